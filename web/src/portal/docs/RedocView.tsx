// Redoc, in its own lazily loaded chunk (it and its libraries are far larger than the rest of the
// portal). Themed from the design tokens as they are computed on the page, so a branding override
// of the tokens reaches the reference too. styled-components injects its rules into a <style>
// element carrying the page's CSP nonce (<meta property="csp-nonce">, set by the server).
import { useEffect, useRef } from 'react';
import { RedocStandalone } from 'redoc';

/**
 * Redoc labels each sidebar entry with the operation's summary alone, while the entry shows the
 * method too ("GET One parcel"): a name that differs from the visible text confuses speech input
 * users (WCAG 2.5.3). Without the label the visible text is the name.
 */
function dropMismatchedLabels(root: HTMLElement): () => void {
  const fix = () => {
    for (const li of root.querySelectorAll('li[data-item-id][aria-label]')) li.removeAttribute('aria-label');
  };
  fix();
  const observer = new MutationObserver(fix);
  observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
  return () => observer.disconnect();
}

function token(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export default function RedocView({ spec, onReady }: { spec: object; onReady?: () => void }) {
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => (root.current ? dropMismatchedLabels(root.current) : undefined), []);
  const theme = {
    colors: {
      primary: { main: token('--pc-color-primary', '#1f4b99') },
      text: { primary: token('--pc-color-text', '#1a1d23'), secondary: token('--pc-color-text-muted', '#4f5866') },
      border: { dark: token('--pc-color-border', '#c9ced8'), light: token('--pc-color-surface-muted', '#eef0f4') },
    },
    typography: {
      fontFamily: token('--pc-font-sans', 'system-ui, sans-serif'),
      headings: { fontFamily: token('--pc-font-sans', 'system-ui, sans-serif') },
      code: { fontFamily: token('--pc-font-mono', 'monospace') },
    },
    sidebar: { backgroundColor: token('--pc-color-surface-muted', '#eef0f4'), textColor: token('--pc-color-text', '#1a1d23') },
    rightPanel: { backgroundColor: '#1f2733' },
  };
  return (
    <div ref={root}>
    <RedocStandalone
      spec={spec}
      onLoaded={() => onReady?.()}
      options={{
        theme,
        // Search runs in a Worker made from a blob: URL, which the CSP (worker-src 'self') refuses.
        disableSearch: true,
        hideDownloadButton: true,
        // The portal's header stays above; Redoc's sidebar scrolls below it.
        scrollYOffset: 0,
        expandResponses: '200,201',
        nativeScrollbars: true,
      }}
    />
    </div>
  );
}
