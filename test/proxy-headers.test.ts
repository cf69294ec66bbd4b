// What the gateway does to headers, paths and bodies on the way through, observed end to end at
// a real upstream and at the client: hop-by-hop removal, X-Forwarded-*, Via, X-Request-Id, Host,
// strip_path / service path, query strings, Set-Cookie, the transformer plugins, and the shape of
// the gateway's own error bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { echoHandler, refusedPort, startUpstream, type ReceivedRequest, type Upstream } from './harness/upstream.ts';
import { startGateway, service, type InProcessGateway } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DOC = { secret: 's3cr3t', old: 1, status: 'bad', keep: 'k' };

function upstreamHandler(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = req.url ?? '';
  if (url.startsWith('/hop')) {
    res.setHeader('Connection', 'X-Upstream-Private');
    res.setHeader('X-Upstream-Private', 'private');
    res.setHeader('Keep-Alive', 'timeout=5');
    res.setHeader('Proxy-Authenticate', 'Basic realm="up"');
    res.setHeader('Trailer', 'X-T');
    res.setHeader('Upgrade', 'h2c');
    res.setHeader('X-Public', '1');
    res.write('o');
    res.end('k');
  } else if (url.startsWith('/cookies')) {
    res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3, with comma']);
    res.end('ok');
  } else if (url.startsWith('/resp/json')) {
    const text = JSON.stringify(DOC);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), etag: '"v1"', 'x-internal': 'yes', 'x-up': 'u', 'x-multi': 'a' });
    res.end(text);
  } else if (url.startsWith('/resp/chunked')) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-internal': 'yes' });
    const text = JSON.stringify(DOC);
    res.write(text.slice(0, 10));
    res.end(text.slice(10));
  } else if (url.startsWith('/resp/text')) {
    const text = JSON.stringify(DOC);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-internal': 'yes' });
    res.end(text);
  } else {
    echoHandler(req, res, body);
  }
}

let up: Upstream;
let gw: InProcessGateway;
let deadPort = 0;

before(async () => {
  up = await startUpstream(upstreamHandler);
  deadPort = await refusedPort();
  gw = await startGateway({
    services: [
      service('s', [up.url]),
      service('preserve', [up.url], { preserve_host: true }),
      service('v1', [up.url], { path: '/v1' }),
      service('v1-slash', [up.url], { path: '/v1/' }),
      service('dead', [`http://127.0.0.1:${deadPort}`], { retries: 0 }),
    ],
    routes: [
      { name: 'main', service: 's', paths: ['/h', '/hop', '/cookies', '/plain'] },
      { name: 'strip', service: 's', paths: ['/strip'], strip_path: true },
      { name: 'strip-prefixed', service: 'v1', paths: ['/sp'], strip_path: true },
      { name: 'keep-prefixed', service: 'v1-slash', paths: ['/np'] },
      { name: 'preserve', service: 'preserve', paths: ['/preserve'] },
      { name: 'dead', service: 'dead', paths: ['/dead'] },
      {
        name: 'rt', service: 's', paths: ['/rt/{id}'], plugins: [{ name: 'request-transformer', config: {
          remove: { headers: ['x-remove'], querystring: ['secret'] },
          rename: { headers: { 'X-Old': 'X-New' }, querystring: { old: 'new' } },
          replace: { headers: { 'x-replace': 'replaced', 'x-absent': 'never' }, querystring: { r: 'R' }, uri: '/v2/items/{id}/detail' },
          add: { headers: { 'x-added': 'yes', 'x-replace': 'not-added' }, querystring: { added: '1', r: 'not-added' } },
          append: { headers: { 'x-append': 'two' }, querystring: { ap: 'z' } },
        } }],
      },
      {
        name: 'resp', service: 's', paths: ['/resp'], plugins: [{ name: 'response-transformer', config: {
          remove: { headers: ['x-internal'], json: ['secret'] },
          rename: { headers: { 'x-up': 'x-down' }, json: { old: 'new' } },
          replace: { json: { status: 'ok', absent: 'never' } },
          add: { headers: { 'x-frame-options': 'DENY' }, json: { added: true } },
          append: { headers: { 'x-multi': 'b' } },
        } }],
      },
    ],
  });
});

after(async () => {
  await gw?.close();
  await up?.close();
});

interface Res { status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }

/** One request on a fresh connection; `headers` may be raw pairs to send duplicates. */
function send(path: string, opts: { method?: string; headers?: Record<string, string> | string[]; body?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends and returns what the upstream received for this request (exactly one new request). */
async function through(path: string, opts: Parameters<typeof send>[1] = {}): Promise<{ res: Res; got: ReceivedRequest }> {
  const mark = up.received.length;
  const res = await send(path, opts);
  assert.equal(up.received.length, mark + 1, `${path} → ${res.status} ${res.body.slice(0, 200)}`);
  return { res, got: up.received[mark]! };
}

/** All values of a header in a raw header list (names compared case-insensitively). */
function values(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

// ---- hop-by-hop ----------------------------------------------------------------------------

const HOP_REQUEST = ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-foo', 'x-bar'];

test('hop-by-hop request headers (and those named in Connection) do not reach the upstream', async () => {
  const mark = up.received.length;
  const r = await rawRequest(gw.port, 'GET /h HTTP/1.1\r\nHost: client.example\r\nConnection: close, X-Foo, x-BAR\r\nKeep-Alive: timeout=5\r\n' +
    'TE: trailers\r\nTrailer: X-T\r\nUpgrade: websocket\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n' +
    'X-Foo: private\r\nX-Bar: private\r\nX-Keep: 1\r\n\r\n', 10_000);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const got = up.received[mark]!;
  assert.deepEqual(HOP_REQUEST.filter((name) => values(got.rawHeaders, name).length > 0), [], 'hop-by-hop headers forwarded upstream');
  assert.ok([undefined, 'keep-alive'].includes(got.headers.connection), `upstream connection header: ${got.headers.connection}`);
  assert.equal(got.headers['x-keep'], '1');
});

test('consumer identity headers sent by a client never reach the upstream, even on a route without authentication', async () => {
  const mark = up.received.length;
  const r = await rawRequest(gw.port, 'GET /h HTTP/1.1\r\nHost: client.example\r\nConnection: close\r\nX-Consumer-Username: admin\r\nX-Consumer-Id: admin\r\n' +
    'X-Consumer-Custom-Id: 1\r\nX-Consumer-Groups: admins\r\nX-Credential-Identifier: c\r\nX-Anonymous-Consumer: false\r\nX-Keep: 1\r\n\r\n', 10_000);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const got = up.received[mark]!;
  for (const name of ['x-consumer-username', 'x-consumer-id', 'x-consumer-custom-id', 'x-consumer-groups', 'x-credential-identifier', 'x-anonymous-consumer']) {
    assert.equal(got.headers[name], undefined, `${name} forwarded`);
  }
  assert.equal(got.headers['x-keep'], '1');
});

test('hop-by-hop response headers (and those named in Connection) do not reach the client', async () => {
  const r = await rawRequest(gw.port, 'GET /hop HTTP/1.1\r\nHost: client.example\r\nConnection: close\r\n\r\n', 10_000);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const head = r.text.slice(0, r.text.indexOf('\r\n\r\n')).toLowerCase();
  for (const name of ['keep-alive', 'x-upstream-private', 'proxy-authenticate', 'trailer', 'upgrade']) {
    assert.doesNotMatch(head, new RegExp(`\\r\\n${name}:`), `${name} must not be forwarded to the client`);
  }
  assert.match(head, /\r\nconnection: close\r\n/);
  assert.match(head, /\r\nx-public: 1\r\n/);
  assert.match(head, /\r\nvia: 1\.1 portcullis\r\n/);
});

// ---- X-Forwarded-*, Via, Host --------------------------------------------------------------

test('X-Forwarded-For is appended, X-Forwarded-Proto/Host are set (untrusted peer), Via both ways', async () => {
  const { res, got } = await through('/h', { headers: { Host: 'shop.example:8443', 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', Via: '1.0 fred' } });
  assert.equal(got.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  assert.equal(got.headers['x-forwarded-proto'], 'http');
  assert.equal(got.headers['x-forwarded-host'], 'shop.example:8443');
  assert.equal(got.headers.via, '1.0 fred, 1.1 portcullis');
  assert.equal(res.headers.via, '1.1 portcullis');
  const plain = await through('/h', { headers: { Host: 'shop.example' } });
  assert.equal(plain.got.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(plain.got.headers['x-forwarded-host'], 'shop.example');
  assert.equal(plain.got.headers.via, '1.1 portcullis');
});

test('Forwarded (RFC 7239) and X-Forwarded-Port: a client\'s values are replaced by this hop\'s (untrusted peer)', async () => {
  const { got } = await through('/h', { headers: { Host: 'shop.example:8443', Forwarded: 'for=10.9.9.9;proto=https;host=evil.example', 'X-Forwarded-Port': '443' } });
  assert.equal(got.headers.forwarded, `for=127.0.0.1;proto=http;host="shop.example:8443"`);
  assert.equal(got.headers['x-forwarded-port'], String(gw.port), 'the gateway port the client connected to');
  const plain = await through('/h', { headers: { Host: 'shop.example' } });
  assert.equal(plain.got.headers.forwarded, 'for=127.0.0.1;proto=http;host=shop.example');
  assert.equal(plain.got.headers['x-forwarded-port'], String(gw.port));
});

test('Host upstream: the target host:port by default, the client Host with preserve_host', async () => {
  assert.equal((await through('/h', { headers: { Host: 'shop.example:8443' } })).got.headers.host, `127.0.0.1:${up.port}`);
  assert.equal((await through('/preserve/x', { headers: { Host: 'shop.example:8443' } })).got.headers.host, 'shop.example:8443');
});

// ---- X-Request-Id ----------------------------------------------------------------------------

test('X-Request-Id: generated when absent, kept when valid, replaced when invalid; echoed on the response', async () => {
  const a = await through('/h');
  const b = await through('/h');
  const idA = a.got.headers['x-request-id'] as string;
  assert.match(idA, UUID);
  assert.equal(a.res.headers['x-request-id'], idA);
  assert.notEqual(b.got.headers['x-request-id'], idA);
  const valid = 'req-123.abc:9_Z';
  const v = await through('/h', { headers: { 'X-Request-Id': valid } });
  assert.equal(v.got.headers['x-request-id'], valid);
  assert.equal(v.res.headers['x-request-id'], valid);
  for (const bad of ['has spaces in it', 'x'.repeat(300), 'a"b', 'a,b']) {
    const r = await through('/h', { headers: { 'X-Request-Id': bad } });
    assert.match(r.got.headers['x-request-id'] as string, UUID, `replaced: ${bad.slice(0, 20)}`);
    assert.equal(r.res.headers['x-request-id'], r.got.headers['x-request-id']);
  }
});

test('X-Request-Id is echoed in problem bodies', async () => {
  const r = await send('/nowhere', { headers: { 'X-Request-Id': 'trace-42' } });
  assert.equal(r.status, 404);
  assert.equal(r.headers['x-request-id'], 'trace-42');
  assert.equal((JSON.parse(r.body) as { request_id: string }).request_id, 'trace-42');
  const g = await send('/nowhere', { headers: { 'X-Request-Id': 'not valid!' } });
  const id = (JSON.parse(g.body) as { request_id: string }).request_id;
  assert.match(id, UUID);
  assert.equal(g.headers['x-request-id'], id);
});

// ---- paths and query strings -----------------------------------------------------------------

test('strip_path and service path prefixes', async () => {
  const cases: [string, string][] = [
    ['/plain/x?y=1', '/plain/x?y=1'],
    ['/strip/x/y?q=1', '/x/y?q=1'],
    ['/strip', '/'],
    ['/strip/', '/'],
    ['/sp/x', '/v1/x'],
    ['/sp', '/v1'],
    ['/sp/a/b/?z', '/v1/a/b/?z'],
    ['/np/x', '/v1/np/x'],
    ['/np', '/v1/np'],
  ];
  for (const [from, to] of cases) assert.equal((await through(from)).got.url, to, from);
  assert.equal((await send('/stripx')).status, 404); // prefixes match on segment boundaries
  // The stripped prefix is announced; a client-sent one is not believed (untrusted peer).
  assert.equal((await through('/strip/x', { headers: { 'X-Forwarded-Prefix': '/evil' } })).got.headers['x-forwarded-prefix'], '/strip');
  assert.equal((await through('/plain/x', { headers: { 'X-Forwarded-Prefix': '/evil' } })).got.headers['x-forwarded-prefix'], undefined);
});

test('query strings are forwarded byte for byte', async () => {
  const query = "?b=2&a=1&a=%2f+x&empty=&flag&e=%E2%82%AC&s=a%20b&t=~!$'()*,;:@/?&u=%7e&&x==";
  const mark = up.received.length;
  const r = await rawRequest(gw.port, `GET /h/q${query} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 10_000);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(up.received[mark]!.url, `/h/q${query}`);
});

test('duplicate request headers reach the upstream with every value, in order', async () => {
  const { got } = await through('/h', { headers: ['Host', 'a', 'X-Dup', 'one', 'X-Dup', 'two', 'Accept', 'text/html', 'Accept', 'application/json', 'Cookie', 'a=1', 'Cookie', 'b=2'] });
  assert.equal(values(got.rawHeaders, 'x-dup').join(', '), 'one, two');
  assert.equal(values(got.rawHeaders, 'accept').join(', '), 'text/html, application/json');
  assert.equal(values(got.rawHeaders, 'cookie').join('; '), 'a=1; b=2');
});

test('several Set-Cookie headers from the upstream arrive as separate headers', async () => {
  const r = await send('/cookies');
  assert.equal(r.status, 200);
  assert.deepEqual(values(r.rawHeaders, 'set-cookie'), ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3, with comma']);
});

// ---- transformer plugins ---------------------------------------------------------------------

test('request-transformer: headers, query and replace.uri with a {id} parameter, end to end', async () => {
  const { res, got } = await through('/rt/42?secret=s&old=o&r=orig&keep=k&ap=y', {
    headers: ['Host', 'a', 'X-Remove', '1', 'X-Old', 'o', 'X-Replace', 'orig', 'X-Append', 'one', 'X-Other', 'kept'],
  });
  assert.equal(res.status, 200);
  const url = new URL(got.url, 'http://x');
  assert.equal(url.pathname, '/v2/items/42/detail');
  const q = url.searchParams;
  assert.deepEqual([...q.keys()].sort(), ['added', 'ap', 'ap', 'keep', 'new', 'r']);
  assert.deepEqual([q.get('keep'), q.get('new'), q.get('r'), q.get('added'), q.getAll('ap')], ['k', 'o', 'R', '1', ['y', 'z']]);
  const h = got.headers;
  assert.equal(h['x-remove'], undefined);
  assert.equal(h['x-old'], undefined);
  assert.equal(h['x-new'], 'o');
  assert.equal(h['x-replace'], 'replaced');
  assert.equal(h['x-absent'], undefined);
  assert.equal(h['x-added'], 'yes');
  assert.equal(values(got.rawHeaders, 'x-append').join(', '), 'one, two');
  assert.equal(h['x-other'], 'kept');
});

test('response-transformer: JSON keys and headers rewritten, Content-Length matches the new body', async () => {
  for (const path of ['/resp/json', '/resp/chunked']) {
    const r = await send(path);
    assert.equal(r.status, 200, path);
    assert.deepEqual(JSON.parse(r.body), { new: 1, status: 'ok', keep: 'k', added: true }, path);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)), path);
    assert.equal(r.headers['transfer-encoding'], undefined, path);
    assert.equal(r.headers.etag, undefined, `${path}: the representation changed, its ETag must go`);
    assert.equal(r.headers['x-internal'], undefined);
    assert.equal(r.headers['x-frame-options'], 'DENY');
  }
  const j = await send('/resp/json');
  assert.equal(j.headers['x-down'], 'u');
  assert.equal(j.headers['x-up'], undefined);
  assert.deepEqual(values(j.rawHeaders, 'x-multi'), ['a', 'b']);
});

test('response-transformer leaves non-JSON bodies untouched (headers still edited)', async () => {
  const r = await send('/resp/text');
  assert.equal(r.status, 200);
  assert.equal(r.body, JSON.stringify(DOC));
  assert.equal(r.headers['content-length'], String(Buffer.byteLength(JSON.stringify(DOC))));
  assert.equal(r.headers['x-internal'], undefined);
  assert.equal(r.headers['x-frame-options'], 'DENY');
});

// ---- the gateway's own errors ------------------------------------------------------------------

/** Checks one gateway error answer against the problem+json contract. */
async function expectProblem(path: string, status: number, code: string): Promise<void> {
  const r = await send(`${path}?token=SECRET-QUERY-123&api_key=k`, { headers: { 'X-Request-Id': `rid-${status}` } });
  assert.equal(r.status, status, `${path}: ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(r.body) as Record<string, unknown>;
  for (const leak of ['SECRET-QUERY-123', 'api_key', '?', `:${deadPort}`, `:${up.port}`, '127.0.0.1', 'localhost', 'ECONNREFUSED', 'undici', '    at ', 'Error:']) {
    assert.ok(!r.body.includes(leak), `${path}: the problem body leaks ${JSON.stringify(leak)}: ${r.body}`);
  }
  for (const [name, value] of Object.entries(r.headers)) {
    assert.ok(!String(value).includes(`:${deadPort}`) && !String(value).includes('SECRET-QUERY-123'), `header ${name} leaks: ${String(value)}`);
  }
  assert.equal(body.type, `https://portcullis.dev/problems/${code}`);
  assert.equal(body.status, status);
  assert.equal(body.request_id, `rid-${status}`);
  assert.deepEqual(Object.keys(body).sort(), ['detail', 'instance', 'request_id', 'status', 'title', 'type'], `${path}: ${r.body}`);
  assert.ok(typeof body.instance === 'string' && body.instance.startsWith('/'), `instance is a path: ${String(body.instance)}`);
}

test('problem+json bodies (404, 502): exactly the six fields, no upstream address, stack or query string', async () => {
  await expectProblem('/nowhere/x', 404, 'route-not-found');
  await expectProblem('/dead/x', 502, 'upstream-unavailable');
});

test('problem+json bodies for requests refused before routing (400 invalid-path) have the same six fields', async () => {
  await expectProblem('/h/a%2Fb', 400, 'invalid-path');
});
