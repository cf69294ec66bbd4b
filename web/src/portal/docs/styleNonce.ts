// Redoc's bundle injects its own CSS through webpack's style-loader, which takes a nonce only from
// its private webpack runtime, never from the page. So before Redoc loads, style elements added to
// <head> without a nonce get the page's (from <meta property="csp-nonce">, set by the server).
// A nonce guards against injected markup, not against the app's own scripts, which could read it
// anyway; the CSP stays without 'unsafe-inline'.
let installed = false;

export function pageNonce(): string | undefined {
  const meta = document.head.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce || meta?.getAttribute('content') || undefined;
}

export function nonceStyleElements(): void {
  const nonce = pageNonce();
  if (installed || !nonce) return;
  installed = true;
  const head = document.head;
  const mark = (node: Node) => {
    if (node instanceof HTMLStyleElement && !node.nonce) node.setAttribute('nonce', nonce);
  };
  const append = head.appendChild.bind(head);
  const insertBefore = head.insertBefore.bind(head);
  head.appendChild = <T extends Node>(node: T): T => { mark(node); return append(node); };
  head.insertBefore = <T extends Node>(node: T, child: Node | null): T => { mark(node); return insertBefore(node, child); };
}
