// Serving the built web app from the admin listener: cache headers (immutable hashed assets,
// index.html never cached, with a fresh CSP nonce), the Content-Security-Policy, content types, precompressed bodies chosen by
// Accept-Encoding, ETags, the single-page-app fallback for browser navigations, and that nothing
// outside the build (or on the API prefixes) is ever served. A real admin server over a real
// build folder written to a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import pino from 'pino';
import { createAdminServer } from './server.ts';
import { connectOrigin, CONTENT_SECURITY_POLICY, contentSecurityPolicy, withNonce } from './web-assets.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

function writeBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'pc-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, 'assets', 'index-AbC123.js'), SCRIPT);
  writeFileSync(join(root, 'assets', 'index-AbC123.js.gz'), gzipSync(SCRIPT));
  writeFileSync(join(root, 'assets', 'index-AbC123.js.br'), brotliCompressSync(SCRIPT));
  writeFileSync(join(root, 'assets', 'app-Zz9.css'), 'body{margin:0}');
  writeFileSync(join(root, 'assets', 'notes.unknownext'), 'not a web file');
  // A secret beside the build: must never be reachable.
  writeFileSync(join(root, '..', 'pc-web-secret.txt'), 'top secret');
  return root;
}

async function withServer(fn: (app: ReturnType<typeof createAdminServer>) => Promise<void>, webRoot?: string | false) {
  const root = webRoot ?? writeBuild();
  const app = createAdminServer({
    logger: pino({ level: 'silent' }),
    readiness: () => ({ ready: true, status: 'ready', config_version: undefined, gateway_versions: [], last_reload: undefined, config_source: 'file' }),
    metrics: async () => '',
    webRoot: root,
  });
  await app.ready();
  try {
    await fn(app);
  } finally {
    await app.close();
    if (typeof root === 'string' && webRoot === undefined) rmSync(root, { recursive: true, force: true });
  }
}

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

const nonceOf = (body: string) => /<meta property="csp-nonce" nonce="([A-Za-z0-9+/=]+)">/.exec(body)?.[1];

test('index.html: never cached, a strict CSP without inline scripts, a fresh style nonce per page', () => withServer(async (app) => {
  const nonces = new Set<string>();
  for (const url of ['/', '/index.html', '/']) {
    const r = await app.inject({ method: 'GET', url, headers: { ...HTML, 'accept-encoding': 'br, gzip' } });
    assert.equal(r.statusCode, 200);
    const nonce = nonceOf(r.body);
    assert.ok(nonce && nonce.length >= 24, 'the page carries its nonce for styled-components');
    nonces.add(nonce);
    assert.equal(r.body, withNonce(INDEX, nonce));
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers.etag, undefined, 'no revalidation of a page whose nonce changes');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-security-policy'], contentSecurityPolicy({ nonce, connect: [] }));
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    const csp = Object.fromEntries(String(r.headers['content-security-policy']).split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    assert.equal(csp['script-src'], "'self'", 'no unsafe-inline or eval for scripts');
    assert.equal(csp['style-src'], `'self' 'nonce-${nonce}'`, 'styles: own files and nonced style elements, never unsafe-inline');
    assert.equal(csp['connect-src'], "'self'");
    assert.equal(csp['frame-ancestors'], "'none'");
    assert.equal(csp['object-src'], "'none'");
  }
  assert.equal(nonces.size, 3, 'every page gets its own nonce');
}));

test('CSP connect-src: the gateway origin the portal calls, only as an origin', () => {
  assert.equal(connectOrigin('https://api.example.com/x?y'), 'https://api.example.com');
  assert.equal(connectOrigin("https://a.example.com; script-src *"), undefined);
  assert.equal(connectOrigin('javascript:alert(1)'), undefined);
  assert.equal(connectOrigin(undefined), undefined);
  assert.match(contentSecurityPolicy({ connect: ['http://127.0.0.1:8000'] }), /connect-src 'self' http:\/\/127\.0\.0\.1:8000;/);
  assert.equal(CONTENT_SECURITY_POLICY, contentSecurityPolicy());
  assert.equal(withNonce('<html><HEAD lang="en"><title>x</title></HEAD></html>', 'n'), '<html><HEAD lang="en"><meta property="csp-nonce" nonce="n"><title>x</title></HEAD></html>');
});

test('hashed assets: immutable for a year, correct types, ETag and 304', () => withServer(async (app) => {
  const js = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
  assert.equal(js.statusCode, 200);
  assert.equal(js.body, SCRIPT);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['content-encoding'], undefined);
  assert.equal(js.headers.vary, 'Accept-Encoding');
  const etag = String(js.headers.etag);
  assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
  const again = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  const css = await app.inject({ method: 'GET', url: '/assets/app-Zz9.css' });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const svg = await app.inject({ method: 'GET', url: '/favicon.svg' });
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.equal(svg.headers['cache-control'], 'public, max-age=3600', 'unhashed files are cached briefly');
  const head = await app.inject({ method: 'HEAD', url: '/assets/index-AbC123.js' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
}));

test('precompressed bodies follow Accept-Encoding (br over gzip; q=0 refuses)', () => withServer(async (app) => {
  const get = (accept: string) => app.inject({ method: 'GET', url: '/assets/index-AbC123.js', headers: { 'accept-encoding': accept } });
  const br = await get('gzip, deflate, br');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(br.rawPayload).toString(), SCRIPT);
  const gz = await get('gzip');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.rawPayload).toString(), SCRIPT);
  assert.equal((await get('br;q=0, gzip;q=0.5')).headers['content-encoding'], 'gzip');
  assert.equal((await get('br;q=0, gzip;q=0')).headers['content-encoding'], undefined);
  assert.equal((await get('identity')).body, SCRIPT);
  // A file without precompressed siblings is sent as is.
  assert.equal((await app.inject({ method: 'GET', url: '/assets/app-Zz9.css', headers: { 'accept-encoding': 'br, gzip' } })).headers['content-encoding'], undefined);
}));

test('single-page app: browser navigations get index.html; programs, missing files and API paths get 404 problems', () => withServer(async (app) => {
  for (const url of ['/console', '/console/services', '/console/consumers/acme%20shop', '/apis/orders?tab=docs']) {
    const r = await app.inject({ method: 'GET', url, headers: HTML });
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.body, withNonce(INDEX, nonceOf(r.body) ?? ''), url);
    assert.equal(r.headers['cache-control'], 'no-store');
  }
  const problem = async (url: string, headers: Record<string, string> = HTML) => {
    const r = await app.inject({ method: 'GET', url, headers });
    assert.equal(r.statusCode, 404, url);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/, url);
    assert.equal(JSON.parse(r.body).type, 'https://portcullis.dev/problems/route-not-found', url);
    return r;
  };
  await problem('/console/services', {}); // curl: no text/html
  await problem('/console/services', { accept: 'application/json' });
  await problem('/assets/missing-123.js');
  await problem('/assets/notes.unknownext'); // a kind of file we cannot label is not served
  for (const url of ['/admin', '/admin/', '/admin/nothing', '/portal/api', '/portal/api/catalog', '/health/extra']) await problem(url);
  // The probes still answer.
  assert.equal((await app.inject({ method: 'GET', url: '/health', headers: HTML })).statusCode, 200);
  // Non-GET methods are not the app's.
  assert.equal((await app.inject({ method: 'POST', url: '/console', headers: HTML })).statusCode, 404);
}));

test('no path leaves the build folder', () => withServer(async (app) => {
  for (const url of ['/../pc-web-secret.txt', '/assets/../../pc-web-secret.txt', '/%2e%2e/pc-web-secret.txt', '/assets/%2e%2e%2f%2e%2e%2fpc-web-secret.txt', '/..%2fpc-web-secret.txt', '/%2e%2e%5cpc-web-secret.txt', '//etc/passwd', '/assets/%00', '/%E0%A4%A']) {
    const r = await app.inject({ method: 'GET', url, headers: HTML });
    assert.doesNotMatch(r.body, /top secret|root:/, url);
    assert.ok(r.statusCode === 404 || (r.statusCode === 200 && r.body === withNonce(INDEX, nonceOf(r.body) ?? '')) || r.statusCode === 400, `${url}: ${r.statusCode}`);
  }
}));

test('without a build the APIs and probes work and the app paths are 404s', () => withServer(async (app) => {
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  const r = await app.inject({ method: 'GET', url: '/', headers: HTML });
  assert.equal(r.statusCode, 404);
}, mkdtempSync(join(tmpdir(), 'pc-web-empty-'))));
