// Serves the built web app (portal at `/`, admin console at `/console`) from dist/web on the admin
// listener. The whole build is read into memory once at start: it is small, every answer is then
// a map lookup (no file system access per request, so no path can ever escape the build folder),
// and precompressed .br/.gz siblings written by web/build.ts are picked by Accept-Encoding.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface CspOptions {
  /** Allows `<style>` elements carrying this nonce (styled-components in the docs page's Redoc). */
  readonly nonce?: string;
  /** Origins scripts may call besides this one (the gateway, for the portal's "try it"). */
  readonly connect?: readonly string[];
}

/**
 * No inline script, nothing from other origins, no framing. React sets styles through the CSSOM
 * (allowed under style-src 'self'); Vite's build emits only external files. The one exception
 * is style elements with the response's nonce: Redoc's styled-components inject their rules that
 * way, and a nonce (never 'unsafe-inline') keeps injected markup from adding styles. Scripts may
 * call this origin and the gateway (try it), nothing else.
 */
export function contentSecurityPolicy(opts: CspOptions = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    opts.nonce ? `style-src 'self' 'nonce-${opts.nonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...(opts.connect ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy without a nonce or extra origins (what a page gets at the least). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Only origins go into connect-src: anything else (a typo, a path, a quote) is left out. */
export function connectOrigin(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * index.html with the page's nonce in `<meta property="csp-nonce">`, where styled-components
 * looks for it. Browsers hide a `nonce` attribute from the DOM's attribute readers and from CSS
 * selectors, so injected markup cannot read it back.
 */
export function withNonce(html: string, nonce: string): string {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  const meta = `<meta property="csp-nonce" nonce="${nonce}">`;
  return head ? html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length) : meta + html;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Paths the app never answers: they belong to the APIs and probes, which answer their own 404s. */
const RESERVED = ['/admin/', '/portal/api/', '/health/', '/ready/', '/metrics/'];
const RESERVED_EXACT = new Set(['/admin', '/portal/api', '/health', '/ready', '/metrics']);

interface Asset {
  readonly body: Buffer;
  readonly br: Buffer | undefined;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
}

function* filesUnder(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* filesUnder(full);
    else yield full;
  }
}

/** The build as url path → asset; empty when there is no build. */
export function loadWebAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(root, 'index.html'))) return assets;
  for (const file of filesUnder(root)) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    const type = TYPES[extname(file)];
    if (type === undefined) continue; // only kinds we can label correctly are served
    const urlPath = '/' + relative(root, file).split(sep).join('/');
    if (urlPath.includes('/.')) continue; // build metadata (.vite/manifest.json) is not part of the site
    const body = readFileSync(file);
    const sibling = (ext: string) => (existsSync(file + ext) ? readFileSync(file + ext) : undefined);
    // Vite names every file under assets/ by its content hash: it can be cached forever.
    const cacheControl = urlPath === '/index.html' ? 'no-cache' : urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
    assets.set(urlPath, { body, br: sibling('.br'), gzip: sibling('.gz'), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, cacheControl });
  }
  return assets;
}

/** Which encoding to send, from Accept-Encoding (q=0 refuses a coding). */
export function pickEncoding(accept: string | undefined, asset: Asset): 'br' | 'gzip' | undefined {
  if (!accept) return undefined;
  const accepted = new Set<string>();
  for (const part of accept.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (coding && (q === undefined || Number(q) > 0)) accepted.add(coding.trim());
  }
  if (asset.br && (accepted.has('br') || accepted.has('*'))) return 'br';
  if (asset.gzip && (accepted.has('gzip') || accepted.has('*'))) return 'gzip';
  return undefined;
}

const acceptsHtml = (accept: string | undefined) => accept !== undefined && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);

const isReserved = (path: string) => RESERVED_EXACT.has(path) || RESERVED.some((p) => path.startsWith(p));

export interface WebAppOptions {
  readonly root: string;
  /** Answers what the app does not serve (the API's problem+json 404). */
  notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** URLs the pages may call besides their own origin (asked per page: the gateway's port may come later). */
  connectSources?: () => readonly (string | undefined)[];
}

/** Mounts the app for every GET/HEAD outside the API prefixes; returns how many files it serves. */
export function mountWebApp(app: FastifyInstance, opts: WebAppOptions): number {
  const assets = loadWebAssets(opts.root);
  const index = assets.get('/index.html');
  if (!index) return 0;

  const indexHtml = index.body.toString('utf8');
  // The page: a fresh nonce per answer, so it is never cached or revalidated (no ETag) and never
  // served precompressed (it is a few hundred bytes).
  const sendPage = (reply: FastifyReply) => {
    const nonce = randomBytes(18).toString('base64');
    const connect = (opts.connectSources?.() ?? []).map(connectOrigin).filter((o): o is string => o !== undefined);
    return reply.code(200)
      .header('content-type', index.type)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', contentSecurityPolicy({ nonce, connect: [...new Set(connect)] }))
      .header('x-frame-options', 'DENY')
      .send(withNonce(indexHtml, nonce));
  };

  const send = (req: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    if (asset === index) return sendPage(reply);
    reply.header('content-type', asset.type)
      .header('cache-control', asset.cacheControl)
      .header('etag', asset.etag)
      .header('vary', 'Accept-Encoding')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (asset.type.startsWith('text/html')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-frame-options', 'DENY');
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === asset.etag)) return reply.code(304).send();
    const encoding = pickEncoding(req.headers['accept-encoding'], asset);
    const body = encoding === 'br' ? asset.br! : encoding === 'gzip' ? asset.gzip! : asset.body;
    if (encoding) reply.header('content-encoding', encoding);
    return reply.code(200).send(body);
  };

  app.get('/*', (req, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0]!);
    } catch {
      return opts.notFound(req, reply);
    }
    if (isReserved(path)) return opts.notFound(req, reply);
    const asset = assets.get(path === '/' ? '/index.html' : path);
    if (asset) return send(req, reply, asset);
    // A page of the single-page app (its router decides what to show) is what a browser navigating
    // asks for: text/html. A path naming a file not in the build, or a program asking for anything
    // else (curl, an API client with a typo), gets the API's 404 problem instead of a page.
    if (/\.[A-Za-z0-9]{1,12}$/.test(path) || !acceptsHtml(req.headers.accept)) return opts.notFound(req, reply);
    return send(req, reply, index);
  });
  return assets.size;
}
