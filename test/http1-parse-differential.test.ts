// Differential test of the fast lane's head parser against node:http itself. A real node:http
// server with the gateway's parser options (createProxyServer in src/gateway/server.ts) echoes
// what it parsed; every input goes to it over a raw TCP socket. The property: whenever
// parseRequestHead says `request`, node:http answered the same bytes as a request (not 400/431)
// with the same method, url, headers, rawHeaders and keep-alive decision, and frames it the same
// way (no body; the next request starts at headEnd). Where node refuses, the parser must
// therefore have handed off. The corpus: hand-written smuggling shapes, the real
// header shapes of common clients, and a few thousand seeded mutations of those.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRequestHead, type HeadLimits } from '../src/gateway/http1/parse-head.ts';
// The bench's seeded PRNG (mulberry32): a failure names a reproducible case.
import { prng } from '../bench/micro/lib.ts';

interface Echo { method: string; url: string; headers: Record<string, unknown>; rawHeaders: string[]; keepAlive: boolean; bodyBytes: number }
/** What node did with one connection's bytes: the statuses it sent and the requests it parsed. */
interface NodeAnswer { statuses: number[]; requests: Echo[] }

/**
 * A node:http server parsing as the gateway's proxy listener does. Every request it parses is
 * recorded at once, by the client's port, so that a request node parsed is seen even when an error
 * later in the same bytes destroys the connection before the answer is written.
 */
interface EchoServer { server: Server; port: number; seen: Map<number, Echo[]> }

async function startEchoServer(limits: HeadLimits): Promise<EchoServer> {
  const seen = new Map<number, Echo[]>();
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    requireHostHeader: false,
    joinDuplicateHeaders: true,
    insecureHTTPParser: false,
  }, (req, res) => {
    const echo: Echo = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, keepAlive: res.shouldKeepAlive, bodyBytes: -1 };
    const list = seen.get(req.socket.remotePort!) ?? [];
    list.push(echo);
    seen.set(req.socket.remotePort!, list);
    // Answered once node has read the whole body as it frames it: a body it saw shows up here.
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => { bodyBytes += c.length; });
    req.on('end', () => {
      echo.bodyBytes = bodyBytes;
      res.end();
    });
  });
  // As the gateway: one more than allowed, so that "too many" stays visible.
  server.maxHeadersCount = limits.maxHeaders + 1;
  server.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** Sends the bytes, half-closes, and waits for node to close: its answers and what it parsed. */
function askNode(echo: EchoServer, payload: Buffer): Promise<NodeAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(echo.port, '127.0.0.1');
    let localPort = 0;
    socket.on('connect', () => { localPort = socket.localPort!; });
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const requests = echo.seen.get(localPort) ?? [];
      echo.seen.delete(localPort);
      // The echo server's answers have no body, so every status line is a response.
      resolve({ statuses: [...text.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])), requests });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    // A reset after node's answer (it refused what followed) still leaves the answer to read.
    socket.on('error', (err) => { if (localPort === 0 && !('code' in err && err.code === 'ECONNRESET')) reject(err); });
    socket.end(payload);
  });
}

// ── the corpus ──


const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

/** Request heads as real clients send them (header names, order and case as theirs). */
const CLIENT_SHAPES: Record<string, string> = {
  curl: head(['GET /api/items?limit=10 HTTP/1.1', 'Host: 127.0.0.1:8000', 'User-Agent: curl/8.5.0', 'Accept: */*']),
  'curl -I': head(['HEAD /health HTTP/1.1', 'Host: localhost:8000', 'User-Agent: curl/8.5.0', 'Accept: */*']),
  'curl -X DELETE with auth': head(['DELETE /api/items/42 HTTP/1.1', 'Host: api.example.test', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'User-Agent: curl/8.5.0', 'Accept: */*']),
  wrk: head(['GET /bench HTTP/1.1', 'Host: 127.0.0.1:8000']),
  'wrk with a header': head(['GET /bench HTTP/1.1', 'Host: 127.0.0.1:8000', 'X-Api-Key: k-123']),
  ab: head(['GET /bench HTTP/1.0', 'Host: 127.0.0.1:8000', 'User-Agent: ApacheBench/2.3', 'Accept: */*']),
  chrome: head([
    'GET /app/index.html?x=1 HTTP/1.1', 'Host: example.test', 'Connection: keep-alive',
    'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-mobile: ?0',
    'sec-ch-ua-platform: "Linux"', 'Upgrade-Insecure-Requests: 1',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    'Sec-Fetch-Site: none', 'Sec-Fetch-Mode: navigate', 'Sec-Fetch-User: ?1', 'Sec-Fetch-Dest: document',
    'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-GB,en-US;q=0.9,en;q=0.8',
    'Cookie: session=abc123; theme=dark; _ga=GA1.1.123.456', 'If-None-Match: W/"5e-18f"',
  ]),
  'chrome CORS preflight': head([
    'OPTIONS /api/items HTTP/1.1', 'Host: api.example.test', 'Connection: keep-alive', 'Accept: */*',
    'Access-Control-Request-Method: DELETE', 'Access-Control-Request-Headers: authorization,content-type',
    'Origin: https://app.example.test', 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Sec-Fetch-Mode: cors', 'Sec-Fetch-Site: same-site', 'Sec-Fetch-Dest: empty', 'Referer: https://app.example.test/',
    'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-GB,en;q=0.9',
  ]),
  firefox: head([
    'GET /app/ HTTP/1.1', 'Host: example.test', 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language: en-US,en;q=0.5',
    'Accept-Encoding: gzip, deflate, br', 'DNT: 1', 'Connection: keep-alive', 'Cookie: a=1', 'Upgrade-Insecure-Requests: 1',
    'Sec-Fetch-Dest: document', 'Sec-Fetch-Mode: navigate', 'Sec-Fetch-Site: none', 'Sec-Fetch-User: ?1',
    'If-Modified-Since: Tue, 14 May 2024 10:00:00 GMT', 'Priority: u=0, i',
  ]),
  safari: head([
    'GET /img/logo.png HTTP/1.1', 'Host: example.test', 'Accept: image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
    'Sec-Fetch-Site: same-origin', 'Accept-Language: en-GB,en;q=0.9', 'Accept-Encoding: gzip, deflate, br', 'Sec-Fetch-Mode: no-cors',
    'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'Referer: https://example.test/', 'Sec-Fetch-Dest: image', 'Connection: keep-alive',
  ]),
  'undici fetch': head(['GET /api/items HTTP/1.1', 'host: 127.0.0.1:8000', 'connection: keep-alive', 'accept: */*', 'accept-language: *', 'sec-fetch-mode: cors', 'user-agent: node', 'accept-encoding: gzip, deflate']),
  'undici request': head(['GET /api/items HTTP/1.1', 'host: 127.0.0.1:8000', 'connection: keep-alive', 'x-request-id: 7f1c2a']),
  'node http.get': head(['GET /api/items HTTP/1.1', 'Host: 127.0.0.1:8000', 'Connection: keep-alive']),
  'node http.get, agent off': head(['GET /api/items HTTP/1.1', 'Host: 127.0.0.1:8000', 'Connection: close']),
  'go net/http': head(['GET /api/items HTTP/1.1', 'Host: api.example.test', 'User-Agent: Go-http-client/1.1', 'Accept-Encoding: gzip']),
  'python requests': head(['GET /api/items HTTP/1.1', 'Host: api.example.test', 'User-Agent: python-requests/2.31.0', 'Accept-Encoding: gzip, deflate', 'Accept: */*', 'Connection: keep-alive']),
  k6: head(['GET /api/items HTTP/1.1', 'Host: api.example.test', 'User-Agent: k6/0.50.0 (https://k6.io/)', 'Accept-Encoding: gzip']),
  'kubelet probe': head(['GET /healthz HTTP/1.1', 'Host: 10.0.0.7:8000', 'User-Agent: kube-probe/1.30', 'Accept: */*', 'Connection: close']),
};

/** Smuggling and malformed shapes: node refuses most; the parser must hand every one of them off. */
const HOSTILE: string[] = [
  // CL.TE, TE.CL, TE.TE and framing games
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nTransfer-Encoding\r\n : chunked\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-encoding: cHuNkEd\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b\r\nc"\r\nhello\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0, 0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \r\n\r\nhello',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello',
  'GET / HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n',
  // obs-fold, bare LF / CR, NUL, high bytes, CTLs
  'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n',
  'GET / HTTP/1.1\nHost: a\n\n',
  'GET / HTTP/1.1\r\nHost: a\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n\n',
  'GET / HTTP/1.1\rHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: b\rc\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: b\x00c\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n',
  'GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: \xff\xfe\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX\xe9: b\r\n\r\n',
  'GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: b\x7f\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: b\x1bc\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: b\x0bc\r\n\r\n',
  // request-line forms and versions
  'GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
  'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n',
  'GET a HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /\r\n\r\n',
  'GET / HTTP/0.9\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.0\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n',
  'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'GET / HTTP/1.2\r\nHost: a\r\n\r\n',
  'GET / HTTP/11\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\t\r\nHost: a\r\n\r\n',
  'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /  HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /\tHTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
  'get / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi',
  'GETT / HTTP/1.1\r\nHost: a\r\n\r\n',
  '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  ' GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  // names, colons, whitespace
  'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost\t: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n[x]: z\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n"x": z\r\n\r\n',
  'GET / HTTP/1.1\r\n\tHost: a\r\n\r\n',
  // Host doubles and absences
  'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a, b\r\n\r\n',
  'GET / HTTP/1.1\r\nHost:\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
  // Connection, upgrades, expectations, other framing headers
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: close,\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: ,close\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: close x\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nExpect: nonsense\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTrailer: X\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n__proto__: x\r\n\r\n',
];

/** Valid requests that exercise joins, trimming and keep-alive: node must agree on each. */
const AGREEABLE: string[] = [
  'GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\naccept: y\r\nACCEPT: z\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\ncookie: b=2\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\nAuthorization: y\r\nUser-Agent: u\r\nUser-Agent: v\r\nReferer: r\r\nReferer: s\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX:\r\nX: b\r\nX:\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nconstructor: c\r\nConstructor: d\r\ntoString: t\r\nhasOwnProperty: h\r\nvalueOf: v\r\n\r\n',
  'GET / HTTP/1.1\r\nHost:a\r\nX-A:\t b \t\r\nX-B: in  ner \r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: x-foo , keep-alive\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nKeep-Alive: timeout=5\r\n\r\n',
  "GET /a/b;c=d?e=f&g=[h]&i={j}|k^l`m\\n\"o<p>~!$'()*+,:@ HTTP/1.1\r\nHost: a\r\n\r\n",
  'GET //double/slash HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /%00%0d%0a HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /? HTTP/1.1\r\nHost: a\r\n\r\n',
  "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: token-chars\r\n\r\n",
  'GET / HTTP/1.1\r\nHost: a\r\nX: !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\r\n\r\n',
  // pipelined: the first request is compared; node also answers the second
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\ngarbage\r\n\r\n',
];

const INTERESTING_BYTES = [0x20, 0x09, 0x0d, 0x0a, 0x00, 0x7f, 0x80, 0xff, 0x3a, 0x2c, 0x23, 0x22, 0x2f, 0x3b, 0x0b, 0x0c, 0x41, 0x61];
const INTERESTING_LINES = [
  'Content-Length: 0', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'transfer-encoding : chunked', 'Host: b', 'host: a',
  'Connection: close', 'Connection: upgrade', 'Connection: keep-alive', 'Upgrade: websocket', 'Expect: 100-continue',
  ' folded', '\tfolded', 'X-Empty:', 'X-Dup: 1', 'Cookie: z=9', 'X: \x80', 'X:\x00', 'TE: trailers', 'Proxy-Connection: close', ': v',
];

/** One random edit of a request head, at byte level or line level. */
function mutate(input: Buffer, rand: () => number): Buffer {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const at = Math.floor(rand() * (input.length + 1));
  const byte = rand() < 0.8 ? pick(INTERESTING_BYTES) : Math.floor(rand() * 256);
  const text = input.toString('latin1');
  const lines = text.split('\r\n');
  const headerLine = 1 + Math.floor(rand() * Math.max(1, lines.length - 3));
  switch (Math.floor(rand() * 10)) {
    case 0: return Buffer.concat([input.subarray(0, at), Buffer.from([byte]), input.subarray(at)]);
    case 1: return Buffer.concat([input.subarray(0, at), input.subarray(at + 1)]);
    case 2: { const b = Buffer.from(input); if (at < b.length) b[at] = byte; return b; }
    case 3: { // flip the case of a letter
      const b = Buffer.from(input);
      if (at < b.length && /[A-Za-z]/.test(String.fromCharCode(b[at]!))) b[at]! ^= 0x20;
      return b;
    }
    case 4: lines.splice(headerLine, 0, pick(INTERESTING_LINES)); return Buffer.from(lines.join('\r\n'), 'latin1');
    case 5: lines.splice(headerLine, 0, lines[headerLine] ?? ''); return Buffer.from(lines.join('\r\n'), 'latin1');
    case 6: return input.subarray(0, at); // truncated
    case 7: { // request-line parts
      const [m, u, v] = (lines[0] ?? '').split(' ');
      const parts = [m, u, v];
      const which = Math.floor(rand() * 3);
      parts[which] = pick([['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'get', 'TRACE', 'CONNECT'], ['/', '/a?b=c', 'http://x/', '*', 'x', '/a#b', '//x', '/%2e%2e/'], ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', 'HTTP/1.10']][which]!);
      lines[0] = parts.join(rand() < 0.9 ? ' ' : pick(['  ', '\t']));
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    case 8: { // whitespace around a colon
      const line = lines[headerLine] ?? '';
      const colon = line.indexOf(':');
      if (colon > 0) lines[headerLine] = line.slice(0, colon) + pick(['', ' ', '\t']) + ':' + pick(['', ' ', '\t', '  ']) + line.slice(colon + 1).trimStart() + pick(['', ' ', '\t']);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
    default: { // line endings
      const joiners = lines.map(() => (rand() < 0.1 ? pick(['\n', '\r', '\r\r\n', '\n\r']) : '\r\n'));
      return Buffer.from(lines.map((l, i) => (i === 0 ? l : joiners[i]! + l)).join(''), 'latin1');
    }
  }
}

// ── the runs ──

const DEFAULT_LIMITS: HeadLimits = { maxHeaderBytes: 61440, maxHeaders: 100 }; // the gateway's defaults
const TIGHT_LIMITS: HeadLimits = { maxHeaderBytes: 1024, maxHeaders: 8 }; // the config minimums
let defaultServer: EchoServer;
let tightServer: EchoServer;

before(async () => {
  defaultServer = await startEchoServer(DEFAULT_LIMITS);
  tightServer = await startEchoServer(TIGHT_LIMITS);
});
after(async () => {
  await Promise.all([defaultServer, tightServer].map(({ server }) => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  }));
});

interface Tally { request: number; handoff: number; incomplete: number; nodeRefused: number; nodeParsedHandedOff: number }

/**
 * Runs every case through the parser and through node:http, asserting the property for each, and
 * tallies the parser's verdicts. A few sockets at a time: the machine is shared.
 */
async function differential(server: EchoServer, limits: HeadLimits, cases: Buffer[], label: string): Promise<Tally> {
  const tally: Tally = { request: 0, handoff: 0, incomplete: 0, nodeRefused: 0, nodeParsedHandedOff: 0 };
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const input = cases[index]!;
      const parsed = parseRequestHead(input, 0, limits);
      tally[parsed.kind]++;
      const answer = await askNode(server, input);
      const status = answer.statuses[0];
      if (status !== undefined && status >= 400) tally.nodeRefused++;
      if (parsed.kind === 'handoff' && answer.requests.length > 0) tally.nodeParsedHandedOff++;
      // Incomplete means no head has ended yet: node cannot have parsed a request from it either.
      if (parsed.kind === 'incomplete' && answer.requests.length > 0) {
        failures.push(`${label} #${index} ${JSON.stringify(input.toString('latin1'))}: incomplete, but node parsed ${answer.requests[0]!.url}`);
      }
      if (parsed.kind !== 'request') continue;
      const ours = { method: parsed.method, url: parsed.url, headers: parsed.headers, rawHeaders: parsed.rawHeaders, keepAlive: parsed.keepAlive };
      try {
        // The same bytes: node parsed a first request, and it is ours.
        const first = answer.requests[0];
        assert.ok(first, `node parsed no request (answered ${status})`);
        const { bodyBytes: _unused, ...theirs } = first;
        assert.deepEqual(ours, theirs);
        // Framing: the head alone, then a sentinel request. Node must answer the first as a
        // request (200), read no body, and start the next request exactly at headEnd. After
        // "Connection: close" llhttp refuses any further byte, so the parser must hand that off.
        const headOnly = input.subarray(0, parsed.headEnd);
        const framed = Buffer.concat([headOnly, SENTINEL]);
        if (parsed.keepAlive) {
          const framedAnswer = await askNode(server, framed);
          assert.equal(framedAnswer.statuses[0], 200, 'node answered the head as a request');
          assert.deepEqual(framedAnswer.requests.map((e) => [e.url, e.bodyBytes]), [[parsed.url, 0], ['/__next', 0]], 'framing');
        } else {
          assert.equal(parseRequestHead(framed, 0, limits).kind, 'handoff', 'bytes after a close request');
          const closeAnswer = await askNode(server, headOnly);
          assert.deepEqual(closeAnswer.statuses, [200], 'node answered the head alone');
          assert.deepEqual(closeAnswer.requests.map((e) => [e.url, e.bodyBytes]), [[parsed.url, 0]], 'framing');
        }
      } catch (err) {
        failures.push(`${label} #${index} ${JSON.stringify(input.toString('latin1'))}: ${(err as Error).message.split('\n').slice(0, 12).join(' ')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} disagreement(s) with node:http`);
  return tally;
}

const SENTINEL = Buffer.from('GET /__next HTTP/1.1\r\nHost: next\r\n\r\n', 'latin1');
const bytes = (s: string) => Buffer.from(s, 'latin1');

test('real client shapes: the fast lane accepts every HTTP/1.1 one, exactly as node:http parses it', async () => {
  const entries = Object.entries(CLIENT_SHAPES);
  const tally = await differential(defaultServer, DEFAULT_LIMITS, entries.map(([, s]) => bytes(s)), 'client');
  for (const [name, s] of entries) {
    const expected = name === 'ab' ? 'handoff' : 'request'; // ab speaks HTTP/1.0
    assert.equal(parseRequestHead(bytes(s), 0, DEFAULT_LIMITS).kind, expected, name);
  }
  assert.equal(tally.request, entries.length - 1);
});

test('smuggling and malformed shapes: all handed off (node refuses most of them)', async () => {
  const tally = await differential(defaultServer, DEFAULT_LIMITS, HOSTILE.map(bytes), 'hostile');
  for (const s of HOSTILE) assert.equal(parseRequestHead(bytes(s), 0, DEFAULT_LIMITS).kind, 'handoff', JSON.stringify(s));
  assert.ok(tally.nodeRefused > HOSTILE.length / 2, `node refused ${tally.nodeRefused} of ${HOSTILE.length}: the corpus is hostile`);
});

test('joins, trimming, keep-alive, odd but valid targets and names, pipelining: accepted and identical', async () => {
  const tally = await differential(defaultServer, DEFAULT_LIMITS, AGREEABLE.map(bytes), 'agreeable');
  assert.equal(tally.request, AGREEABLE.length, 'every one accepted');
});

test('limits at the boundary, against node:http configured at the minimums (1024 bytes, 8 fields)', async () => {
  const padTo = (size: number, extraFields: number) => {
    const extra = Array.from({ length: extraFields }, (_, i) => `X-${i}: v\r\n`).join('');
    const base = `GET / HTTP/1.1\r\nHost: a\r\n${extra}X-Pad: \r\n\r\n`;
    return base.replace('X-Pad: ', `X-Pad: ${'p'.repeat(size - base.length)}`);
  };
  const exact = padTo(1024, 0);
  const cases = [exact, padTo(1025, 0), padTo(1023, 0), padTo(600, 6), padTo(600, 7), padTo(600, 8), padTo(1024, 6)];
  const verdicts = cases.map((s) => parseRequestHead(bytes(s), 0, TIGHT_LIMITS).kind);
  assert.deepEqual(verdicts, ['request', 'handoff', 'request', 'request', 'handoff', 'handoff', 'request']);
  await differential(tightServer, TIGHT_LIMITS, cases.map(bytes), 'limits');
});

test('seeded mutations of valid requests: wherever the fast lane accepts, node:http agrees', async (t) => {
  const rand = prng(0x5eed_1e55);
  const seeds = [...Object.values(CLIENT_SHAPES), ...AGREEABLE].map(bytes);
  const cases: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    let b: Buffer = seeds[Math.floor(rand() * seeds.length)]!;
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) b = mutate(b, rand);
    cases.push(b);
  }
  const tally = await differential(defaultServer, DEFAULT_LIMITS, cases, 'mutation');
  const tight = await differential(tightServer, TIGHT_LIMITS, cases.slice(0, 500), 'mutation-tight');
  t.diagnostic(`mutations (default limits): ${cases.length} cases; fast lane request ${tally.request}, handoff ${tally.handoff}, incomplete ${tally.incomplete}; node refused ${tally.nodeRefused}; node parsed but handed off ${tally.nodeParsedHandedOff}`);
  t.diagnostic(`mutations (tight limits): 500 cases; fast lane request ${tight.request}, handoff ${tight.handoff}, incomplete ${tight.incomplete}; node refused ${tight.nodeRefused}`);
  // The property is checked per case above; these keep the corpus meaningful (both sides hit).
  assert.ok(tally.request > 300, 'plenty of mutated requests still accepted (the comparison has teeth)');
  assert.ok(tally.nodeRefused > 300, 'plenty of mutations node refuses');
});
