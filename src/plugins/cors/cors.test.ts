import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderMap, PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { compileConf, fakeContext, sentHeaders } from '../test-helpers.ts';
import { appendVary, parseHeaderNameList } from './headers.ts';
import { parseOrigin } from './origins.ts';
import { cors } from './plugin.ts';

const APP = 'https://app.example.com';

function context(method: string, headers: HeaderMap): RequestContext {
  return { ...fakeContext({ headers }), method };
}

/** The access verdict for a preflight from `origin` asking for `method` (and `headers`). */
function preflight(raw: unknown, origin: string, method = 'PUT', requestHeaders?: string | string[]) {
  const headers: HeaderMap = { origin, 'access-control-request-method': method };
  if (requestHeaders !== undefined) headers['access-control-request-headers'] = requestHeaders;
  return cors.handlers.access!(context('OPTIONS', headers), compileConf(cors, raw)) as PluginResponse | undefined;
}

/**
 * Response headers as the client gets them, for a request and an upstream answer: the access
 * handler, the upstream-response handler, then the answer fields added as the gateway writes the
 * response (what src/gateway/exchange.ts does).
 */
function respond(raw: unknown, request: HeaderMap, upstream: HeaderMap = {}, method = 'GET'): HeaderMap {
  const ctx = context(method, request);
  const conf = compileConf(cors, raw);
  const verdict = cors.handlers.access!(ctx, conf);
  assert.equal(verdict, undefined, 'an actual request (or a continued preflight) is not answered in access');
  ctx.response = { status: 200, headers: { ...upstream } };
  cors.handlers['upstream-response']!(ctx, conf);
  return sentHeaders({ ...ctx.response.headers, ...ctx.answerHeaders });
}

/** The fields a refusal by a later plugin (key-auth's 401) carries: only the answer fields. */
function answerFieldsOf(raw: unknown, request: HeaderMap, method = 'GET'): Record<string, string> {
  const ctx = context(method, request);
  assert.equal(cors.handlers.access!(ctx, compileConf(cors, raw)), undefined);
  return { ...ctx.answerHeaders };
}

const allowedActual = (raw: unknown, origin: string) => respond(raw, { origin })['access-control-allow-origin'] === origin;
const isRefusal = (r: PluginResponse | undefined) => r !== undefined && 'problem' in r && r.problem === 'forbidden';
const hasCorsHeader = (h: Record<string, unknown> | undefined) => Object.keys(h ?? {}).some((k) => k.startsWith('access-control-'));

// ---- config -----------------------------------------------------------------------------

test('defaults: the standard methods, no extra headers, no credentials', () => {
  const r = preflight({ origins: [APP] }, APP, 'DELETE');
  assert.deepEqual(r, {
    status: 204,
    headers: {
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
});

test('any origin with credentials is refused at compile time', () => {
  assert.throws(() => compileConf(cors, { origins: ['*'], credentials: true }), /cannot be combined with credentials/);
});

test('the null origin cannot be listed, nor enabled together with credentials', () => {
  assert.throws(() => compileConf(cors, { origins: ['null'] }), /origins\[0\].*allow_null_origin/);
  assert.throws(() => compileConf(cors, { origins: ['NULL'] }), /allow_null_origin/);
  assert.throws(() => compileConf(cors, { origins: [APP], allow_null_origin: true, credentials: true }), /allow_null_origin cannot be combined/);
});

test('malformed origin entries are refused with their index', () => {
  assert.throws(() => compileConf(cors, { origins: [] }), /origins/);
  assert.throws(() => compileConf(cors, {}), /origins/);
  assert.throws(() => compileConf(cors, { origins: ['*', APP] }), /"\*" must be the only entry/);
  for (const bad of ['https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'https://user@app.example.com', 'https://app.example.com:99999', 'https://app..example.com', 'https://app.example.com?x']) {
    assert.throws(() => compileConf(cors, { origins: [APP, bad] }), /origins\[1\].*is not an origin/, bad);
  }
});

test('wildcard entries must be a whole leading label under a real parent domain', () => {
  for (const bad of ['https://*example.com', 'https://a.*.example.com', 'https://*.com', '*.example.com', 'https://*.[::1]', 'https://*.example.com/']) {
    assert.throws(() => compileConf(cors, { origins: [bad] }), /origins\[0\]/, bad);
  }
});

test('regex entries: invalid, unsafe (catastrophic backtracking) or match-anything ones are refused', () => {
  assert.throws(() => compileConf(cors, { origins: ['~https://(a'] }), /not a valid regular expression/);
  assert.throws(() => compileConf(cors, { origins: ['~^https://(a+)+\\.example\\.com$'] }), /backtrack catastrophically/);
  assert.throws(() => compileConf(cors, { origins: ['~https://([a-z]*)*\\.example\\.com'] }), /backtrack catastrophically/);
  assert.throws(() => compileConf(cors, { origins: ['~'] }), /1 to 1024/);
  assert.throws(() => compileConf(cors, { origins: ['~.*'] }), /accepts any origin/);
  assert.throws(() => compileConf(cors, { origins: ['~https://.+'] }), /accepts any origin/);
});

test('"*" is not accepted in header lists; methods are upper-case tokens', () => {
  assert.throws(() => compileConf(cors, { origins: [APP], headers: ['x-a', '*'] }), /headers\[1\].*not supported/);
  assert.throws(() => compileConf(cors, { origins: [APP], exposed_headers: ['*'] }), /exposed_headers\[0\]/);
  assert.throws(() => compileConf(cors, { origins: [APP], methods: ['get'] }), /methods/);
  assert.throws(() => compileConf(cors, { origins: [APP], methods: ['*'] }), /methods/);
  assert.throws(() => compileConf(cors, { origins: [APP], max_age: -1 }), /max_age/);
});

// ---- origins ----------------------------------------------------------------------------

test('origins are normalised: case, default ports, leading zeros', () => {
  assert.equal(parseOrigin('HTTPS://App.Example.com:443')?.serialized, APP);
  assert.equal(parseOrigin('http://app.example.com:80')?.serialized, 'http://app.example.com');
  assert.equal(parseOrigin('https://app.example.com:80')?.serialized, 'https://app.example.com:80');
  assert.equal(parseOrigin('https://app.example.com:08443')?.serialized, 'https://app.example.com:8443');
  assert.equal(parseOrigin('http://[::1]:3000')?.serialized, 'http://[::1]:3000');
  for (const bad of ['', 'null', 'https://', 'https://a.com/', 'https://a.com:', 'https://a.com:65536', 'https://a.com.', 'https://a.com, https://b.com', ' https://a.com', 'https://a.com\r\nx: y']) {
    assert.equal(parseOrigin(bad), undefined, JSON.stringify(bad));
  }
  for (const o of ['HTTPS://App.Example.com:443', 'https://APP.EXAMPLE.COM', 'https://app.example.com:443']) assert.ok(allowedActual({ origins: [APP] }, o), o);
  assert.ok(allowedActual({ origins: ['https://app.example.com:443'] }, APP), 'configured default port');
  assert.ok(allowedActual({ origins: ['HTTP://Local.Test:8080'] }, 'http://local.test:8080'));
});

test('exact origins: scheme, host and port must all match', () => {
  const conf = { origins: ['https://example.com'] };
  assert.ok(allowedActual(conf, 'https://example.com'));
  for (const o of ['http://example.com', 'https://example.com:8443', 'https://www.example.com', 'https://example.com.evil.io', 'https://notexample.com', 'https://evil-example.com', 'https://example.com@evil.io', 'https://example.com/', 'https://example.com/path', 'https://example.co']) {
    assert.ok(!allowedActual(conf, o), o);
  }
});

test('wildcard subdomains: one or more labels, never the bare parent, same scheme and port', () => {
  const conf = { origins: ['https://*.example.com'] };
  for (const o of ['https://a.example.com', 'https://a.b.example.com', 'HTTPS://A.Example.COM:443']) assert.ok(allowedActual(conf, o), o);
  for (const o of ['https://example.com', 'https://evil.com.example.com.attacker.io', 'https://example.com.evil.io', 'https://notexample.com', 'https://aexample.com', 'http://a.example.com', 'https://a.example.com:8443', 'https://.example.com', 'https://a..example.com', 'wss://a.example.com']) {
    assert.ok(!allowedActual(conf, o), o);
  }
  assert.ok(allowedActual({ origins: ['https://*.example.com', 'https://example.com'] }, 'https://example.com'), 'the parent when listed');
  assert.ok(allowedActual({ origins: ['http://*.dev.example.com:3000'] }, 'http://a.dev.example.com:3000'));
  assert.ok(!allowedActual({ origins: ['http://*.dev.example.com:3000'] }, 'http://a.dev.example.com'));
});

test('regex origins are anchored at both ends and see the normalised origin', () => {
  const conf = { origins: ['~^https://(a|b)\\.example\\.com$'] };
  assert.ok(allowedActual(conf, 'https://a.example.com'));
  assert.ok(allowedActual(conf, 'https://b.example.com'));
  assert.ok(allowedActual(conf, 'HTTPS://B.example.com:443'), 'normalised before matching');
  for (const o of ['https://a.example.com.evil.io', 'https://a.example.com:8443', 'https://xa.example.com', 'https://c.example.com']) assert.ok(!allowedActual(conf, o), o);
  // Without ^ and $ in the config, and with a top-level alternation, it is still anchored.
  const loose = { origins: ['~https://a\\.example\\.com|https://b\\.example\\.com'] };
  for (const o of ['https://a.example.com.evil.io', 'https://b.example.com.evil.io', 'https://evil.io.https://b.example.com']) assert.ok(!allowedActual(loose, o), o);
  assert.ok(allowedActual(loose, 'https://b.example.com'));
  // A regex never sees what does not parse as an origin.
  assert.ok(!allowedActual({ origins: ['~https://a\\.example\\.com.*'] }, 'https://a.example.com/x'));
});

test('the null origin is refused unless allow_null_origin, even with origins "*"', () => {
  assert.ok(isRefusal(preflight({ origins: [APP] }, 'null')));
  assert.ok(isRefusal(preflight({ origins: ['*'] }, 'null')));
  assert.ok(!hasCorsHeader(respond({ origins: ['*'] }, { origin: 'null' })));
  assert.ok(!hasCorsHeader(respond({ origins: [APP] }, { origin: 'null' })));
  assert.equal(respond({ origins: [APP], allow_null_origin: true }, { origin: 'null' })['access-control-allow-origin'], 'null');
  const r = preflight({ origins: [APP], allow_null_origin: true }, 'null');
  assert.ok(r && 'status' in r && r.status === 204 && r.headers?.['access-control-allow-origin'] === 'null');
});

test('repeated or malformed Origin headers are never allowed', () => {
  const conf = { origins: [APP] };
  assert.ok(!hasCorsHeader(respond(conf, { origin: [APP, APP] })));
  assert.ok(!hasCorsHeader(respond(conf, { origin: `${APP}, https://evil.io` })));
  assert.ok(isRefusal(preflight(conf, `${APP} https://evil.io`)));
  assert.ok(!hasCorsHeader(respond({ origins: ['*'] }, { origin: 'not an origin' })));
});

// ---- preflight --------------------------------------------------------------------------

test('an allowed preflight is answered with 204 and every Access-Control-Allow-* header', () => {
  const conf = { origins: [APP], methods: ['GET', 'PUT'], headers: ['Content-Type', 'X-Request-Id'], credentials: true, max_age: 600, exposed_headers: ['x-total'] };
  assert.deepEqual(preflight(conf, APP, 'PUT', 'content-type'), {
    status: 204,
    headers: {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'content-type, x-request-id',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
  const any = preflight({ origins: ['*'], max_age: 0 }, 'https://anyone.example.org', 'POST');
  assert.deepEqual(any && 'status' in any ? any.headers : undefined, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
    'access-control-max-age': '0',
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  });
});

test('the preflight answer echoes the Origin as sent (browsers compare it byte for byte)', () => {
  const r = preflight({ origins: [APP] }, 'HTTPS://App.Example.com:443');
  assert.equal(r && 'status' in r ? r.headers?.['access-control-allow-origin'] : undefined, 'HTTPS://App.Example.com:443');
});

test('refused preflights get 403 forbidden without any Access-Control-* header', () => {
  const conf = { origins: [APP], methods: ['GET', 'PATCH'], headers: ['x-a'] };
  const cases: Array<[string, string, string | undefined, RegExp]> = [
    ['https://evil.io', 'GET', undefined, /origin/],
    [APP, 'DELETE', undefined, /method/],
    [APP, 'patch', undefined, /method/], // methods are case-sensitive in CORS
    [APP, 'PATCH, GET', undefined, /method/],
    [APP, '', undefined, /method/],
    [APP, 'GET', 'x-a, x-b', /request header/],
    [APP, 'GET', 'authorization', /request header/],
    [APP, 'GET', 'content-type', /request header/], // asked for only when its value is not safelisted
    [APP, 'GET', 'x a', /malformed/],
    [APP, 'GET', 'x-a;x-b', /malformed/],
  ];
  for (const [origin, method, headers, detail] of cases) {
    const r = preflight(conf, origin, method, headers);
    assert.ok(isRefusal(r), `${origin} ${method} ${headers}`);
    assert.match((r as { detail: string }).detail, detail);
    assert.ok(!hasCorsHeader((r as { headers?: Record<string, string> }).headers));
    assert.equal((r as { headers?: Record<string, string> }).headers?.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  }
});

test('Access-Control-Request-Headers: whitespace, case, duplicates and empty items', () => {
  const conf = { origins: [APP], headers: ['X-Trace', 'content-type'] };
  for (const asked of ['x-trace', 'X-Trace,Content-Type', ' x-trace , content-type ', 'x-trace,\tCONTENT-TYPE', 'x-trace, x-trace, X-TRACE', ',x-trace,,', '', '  ', ['x-trace', 'Content-Type']]) {
    const r = preflight(conf, APP, 'POST', asked);
    assert.ok(r && 'status' in r && r.status === 204, JSON.stringify(asked));
    assert.equal(r.headers?.['access-control-allow-headers'], 'x-trace, content-type');
  }
  assert.deepEqual([...parseHeaderNameList(' A ,b,,B,\ta\t')!], ['a', 'b']);
  assert.deepEqual([...parseHeaderNameList(undefined)!], []);
  assert.equal(parseHeaderNameList('a, b c'), undefined);
});

test('not a preflight: OPTIONS without Access-Control-Request-Method, other methods, no Origin', () => {
  const conf = compileConf(cors, { origins: [APP] });
  const access = (method: string, headers: HeaderMap) => cors.handlers.access!(context(method, headers), conf);
  assert.equal(access('OPTIONS', { origin: APP }), undefined);
  assert.equal(access('OPTIONS', { 'access-control-request-method': 'PUT' }), undefined);
  assert.equal(access('OPTIONS', {}), undefined);
  assert.equal(access('PUT', { origin: APP, 'access-control-request-method': 'PUT' }), undefined);
  assert.equal(access('GET', { origin: 'https://evil.io' }), undefined, 'actual requests from other origins proceed');
});

test('preflight_continue: preflights go upstream, and their answer gets the gateway\'s headers', () => {
  const conf = { origins: [APP], headers: ['x-a'], preflight_continue: true };
  assert.equal(preflight(conf, APP), undefined);
  assert.equal(preflight(conf, 'https://evil.io'), undefined);
  const upstream = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'TRACE', allow: 'GET' };
  const request = { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'X-A' };
  assert.deepEqual(respond(conf, request, upstream, 'OPTIONS'), {
    allow: 'GET',
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'access-control-allow-origin': APP,
    'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
    'access-control-allow-headers': 'x-a',
  });
  const refused = respond(conf, { ...request, 'access-control-request-headers': 'x-b' }, upstream, 'OPTIONS');
  assert.ok(!hasCorsHeader(refused));
  assert.ok(!hasCorsHeader(respond(conf, { ...request, origin: 'https://evil.io' }, upstream, 'OPTIONS')));
});

// ---- actual requests --------------------------------------------------------------------

test('an allowed origin gets Allow-Origin (its own), Allow-Credentials and Expose-Headers', () => {
  const conf = { origins: [APP, 'https://*.example.org'], credentials: true, exposed_headers: ['X-Total-Count', 'ETag'] };
  assert.deepEqual(respond(conf, { origin: 'https://b.example.org' }, { 'content-type': 'text/plain' }), {
    'content-type': 'text/plain',
    vary: 'Origin',
    'access-control-allow-origin': 'https://b.example.org',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'x-total-count, etag',
  });
  // Preflight-only headers are not sent on actual responses.
  const plain = respond({ origins: [APP], max_age: 60, headers: ['x-a'] }, { origin: APP });
  assert.deepEqual(plain, { vary: 'Origin', 'access-control-allow-origin': APP });
});

test('origins "*" answers "*" without Vary and without credentials', () => {
  assert.deepEqual(respond({ origins: ['*'], exposed_headers: ['x-a'] }, { origin: 'https://anyone.example.org' }, { vary: 'Accept-Encoding' }), {
    vary: 'Accept-Encoding',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-a',
  });
});

test('a disallowed origin gets no CORS headers, and the upstream\'s own are removed', () => {
  const upstream = { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-secret', 'x-kept': '1' };
  assert.deepEqual(respond({ origins: [APP] }, { origin: 'https://evil.io' }, upstream), { 'x-kept': '1', vary: 'Origin' });
});

test('the upstream cannot widen the policy: its CORS headers are replaced for allowed origins too', () => {
  const upstream = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET', 'access-control-expose-headers': 'x-secret', 'access-control-max-age': '99999' };
  assert.deepEqual(respond({ origins: [APP] }, { origin: APP }, upstream), { vary: 'Origin', 'access-control-allow-origin': APP });
});

test('requests without Origin are not refused nor given CORS headers, but still get Vary: Origin', () => {
  const upstream = { 'access-control-allow-origin': 'https://evil.io', 'content-type': 'text/html' };
  // Vary keeps a shared cache from serving this answer to a cross-origin request.
  assert.deepEqual(respond({ origins: [APP] }, {}, upstream), { 'content-type': 'text/html', vary: 'Origin' });
  assert.deepEqual(respond({ origins: ['*'] }, {}, upstream), { 'content-type': 'text/html' });
});

test('Vary: appended to the upstream\'s, never duplicated, "*" left alone', () => {
  const vary = (upstream: string | string[] | undefined) => respond({ origins: [APP] }, { origin: APP }, upstream === undefined ? {} : { vary: upstream }).vary;
  assert.equal(vary(undefined), 'Origin');
  assert.equal(vary('Accept-Encoding'), 'Accept-Encoding, Origin');
  assert.equal(vary('accept-encoding, origin'), 'accept-encoding, origin');
  assert.equal(vary(['Accept-Encoding', 'ORIGIN']), 'Accept-Encoding, ORIGIN');
  assert.equal(vary(['Accept', 'Accept-Language']), 'Accept, Accept-Language, Origin');
  assert.equal(vary('*'), '*');
  assert.equal(vary(' , '), 'Origin');
  const headers: HeaderMap = { vary: 'Origin' };
  appendVary(headers, ['Origin', 'Access-Control-Request-Method']);
  assert.equal(headers.vary, 'Origin, Access-Control-Request-Method');
});

test('the gateway\'s own answers (a later plugin\'s 401 or 429) carry the CORS fields of an allowed origin, so the page can read them', () => {
  const fields = answerFieldsOf({ origins: [APP], credentials: true, exposed_headers: ['RateLimit'] }, { origin: APP });
  assert.equal(fields['access-control-allow-origin'], APP);
  assert.equal(fields['access-control-allow-credentials'], 'true');
  assert.match(fields['access-control-expose-headers'] ?? '', /ratelimit/i);
  assert.deepEqual(answerFieldsOf({ origins: [APP] }, { origin: 'https://evil.example' }), {});
  assert.deepEqual(answerFieldsOf({ origins: [APP] }, {}), {});
});
