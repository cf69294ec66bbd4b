// Custom portal pages: Markdown rendered to HTML on the server, safe to insert into the portal as
// is. Raw HTML in the source is shown as text (escaped), never passed through; link and image
// targets are limited to http(s) and relative URLs (no javascript:, data:, vbscript:…); every
// attribute value is escaped. The browser therefore needs no sanitiser of its own.
import { Marked, type Tokens } from 'marked';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const NAMED: Readonly<Record<string, string>> = { amp: '&', colon: ':', tab: '\t', newline: '\n', lt: '<', gt: '>', quot: '"', apos: "'", sol: '/', period: '.' };

/**
 * The URL to emit, or undefined when it is not allowed. Browsers drop ASCII whitespace and control
 * characters inside a URL ("java\tscript:" runs as javascript:), so they are removed before the
 * scheme is read. No scheme = relative (which includes "#fragment" and "//host/path", http(s)).
 */
export function safeUrl(raw: string): string | undefined {
  // Character references are decoded first ("jav&#x61;script:" is javascript: to a browser); a
  // named one we do not know makes the URL suspect rather than guessed at.
  let unknown = false;
  const decoded = raw.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (all, ref: string) => {
    const lower = ref.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16) % 0x110000);
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)) % 0x110000);
    const named = NAMED[lower];
    if (named !== undefined) return named;
    if (all.endsWith(';')) unknown = true;
    return all;
  });
  if (unknown) return undefined;
  // eslint-disable-next-line no-control-regex -- exactly the characters browsers ignore in URLs
  const url = decoded.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return url;
  return scheme === 'http' || scheme === 'https' ? url : undefined;
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    // Raw HTML blocks and inline tags: shown as the text they are.
    html(token: Tokens.HTML | Tokens.Tag): string {
      // A block keeps its own paragraph, as it would have had as HTML.
      return 'block' in token && token.block ? `<p>${escapeHtml(token.text.trim())}</p>\n` : escapeHtml(token.text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const text = this.parser.parseInline(tokens);
      const url = safeUrl(href);
      if (url === undefined) return text;
      const external = /^(https?:)?\/\//i.test(url);
      return `<a href="${escapeHtml(url)}"${title ? ` title="${escapeHtml(title)}"` : ''}${external ? ' rel="noopener noreferrer nofollow"' : ''}>${text}</a>`;
    },
    image({ href, title, text }: Tokens.Image): string {
      const url = safeUrl(href);
      if (url === undefined) return escapeHtml(text);
      // The portal's Content-Security-Policy loads images from its own origin only: an image on
      // another site becomes a link to it rather than a broken picture.
      if (/^(https?:)?\/\//i.test(url)) return `<a href="${escapeHtml(url)}" rel="noopener noreferrer nofollow">${escapeHtml(text || url)}</a>`;
      return `<img src="${escapeHtml(url)}" alt="${escapeHtml(text)}"${title ? ` title="${escapeHtml(title)}"` : ''} loading="lazy">`;
    },
  },
});

/** The HTML of a page's Markdown. */
export function renderMarkdown(source: string): string {
  return marked.parse(source, { async: false });
}
