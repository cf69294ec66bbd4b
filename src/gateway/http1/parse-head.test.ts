// The fast lane's request-head parser: the shapes it accepts, a refusal (handoff) for each rule,
// `incomplete` at every split point, pipelining, the limits at their exact boundary, and
// duplicates joined as node:http joins them. What node:http itself makes of the same bytes is
// checked by test/http1-parse-differential.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, type HeadLimits, type HeadResult } from './parse-head.ts';

const LIMITS: HeadLimits = { maxHeaderBytes: 61440, maxHeaders: 100 };

function parse(text: string | Buffer, limits: HeadLimits = LIMITS, start = 0): HeadResult {
  return parseRequestHead(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, start, limits);
}

function accepted(text: string, limits: HeadLimits = LIMITS) {
  const r = parse(text, limits);
  assert.equal(r.kind, 'request', `expected a request: ${JSON.stringify(text)}`);
  if (r.kind !== 'request') throw new Error('unreachable');
  return r;
}

function handedOff(text: string | Buffer, why: string, limits: HeadLimits = LIMITS): void {
  assert.equal(parse(text, limits).kind, 'handoff', `${why}: ${JSON.stringify(text.toString())}`);
}

const MIN = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
/** A request with `line` as its one extra header line (no CRLF in `line`). */
const withHeader = (line: string) => `GET / HTTP/1.1\r\nHost: a\r\n${line}\r\n\r\n`;

test('the simplest request is parsed whole', () => {
  const r = accepted(MIN);
  assert.equal(r.method, 'GET');
  assert.equal(r.url, '/');
  assert.deepEqual(r.headers, { host: 'a' });
  assert.deepEqual(r.rawHeaders, ['Host', 'a']);
  assert.equal(r.keepAlive, true);
  assert.equal(r.headEnd, Buffer.byteLength(MIN));
});

test('the four methods, origin-form targets with queries, and real client shapes are accepted', () => {
  for (const m of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
    assert.equal(accepted(`${m} /x HTTP/1.1\r\nHost: a\r\n\r\n`).method, m);
  }
  const target = "/a/b%20c;p=1?q=1&r=[x]&s=~!$'()*+,:@|{}^`\\\"<>";
  assert.equal(accepted(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`).url, target);

  const curl = accepted('GET /api/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n');
  assert.deepEqual(curl.headers, { host: '127.0.0.1:8000', 'user-agent': 'curl/8.5.0', accept: '*/*' });

  const browser = accepted([
    'GET /index.html HTTP/1.1', 'Host: example.test', 'Connection: keep-alive',
    'sec-ch-ua: "Chromium";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-mobile: ?0',
    'Upgrade-Insecure-Requests: 1',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Sec-Fetch-Site: none', 'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-GB,en;q=0.9',
    'Cookie: a=1; b=2', 'If-None-Match: W/"abc"', '', '',
  ].join('\r\n'));
  assert.equal(browser.keepAlive, true);
  assert.equal(browser.headers['upgrade-insecure-requests'], '1', 'not the Upgrade header');
  assert.equal(browser.rawHeaders.length, 24);

  const undici = accepted('GET /x HTTP/1.1\r\nhost: 127.0.0.1:9\r\nconnection: keep-alive\r\naccept: */*\r\naccept-language: *\r\nsec-fetch-mode: cors\r\nuser-agent: node\r\naccept-encoding: gzip, deflate\r\n\r\n');
  assert.equal(undici.rawHeaders[0], 'host', 'name case kept as sent');
});

test('values lose surrounding OWS, keep inner whitespace; empty values are kept', () => {
  const r = accepted('GET / HTTP/1.1\r\nHost:a\r\nX-A: \t in  ner\t \r\nX-Empty:\r\nX-Blank: \t \r\n\r\n');
  assert.deepEqual(r.rawHeaders, ['Host', 'a', 'X-A', 'in  ner', 'X-Empty', '', 'X-Blank', '']);
});

test('Connection: close (any case, anywhere in a token list) clears keepAlive; keep-alive keeps it', () => {
  assert.equal(accepted(withHeader('Connection: close')).keepAlive, false);
  assert.equal(accepted(withHeader('connection: keep-alive , CLOSE')).keepAlive, false);
  assert.equal(accepted(withHeader('Connection: keep-alive')).keepAlive, true);
  assert.equal(accepted(withHeader('Connection: closed')).keepAlive, true, 'a different token');
  assert.equal(accepted(withHeader('Connection: x-custom,te')).keepAlive, true);
});

test('duplicates are joined as node:http joins them (", ", "; " for cookie), prototype names included', () => {
  const r = accepted('GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\naccept: y\r\nCookie: a=1\r\ncookie: b=2\r\nX: \r\nx: z\r\nConstructor: c\r\nconstructor: d\r\nToString: t\r\n\r\n');
  assert.equal(r.headers.accept, 'x, y');
  assert.equal(r.headers.cookie, 'a=1; b=2');
  assert.equal(r.headers.x, ', z');
  assert.equal(r.headers.constructor, 'c, d');
  assert.equal(r.headers.tostring, 't');
  assert.deepEqual(r.rawHeaders.slice(2, 6), ['Accept', 'x', 'accept', 'y']);
});

test('request-line rules: each refusal hands off', () => {
  const cases: Array<[string, string]> = [
    ['POST / HTTP/1.1\r\nHost: a\r\n\r\n', 'a method with a body'],
    ['PUT / HTTP/1.1\r\nHost: a\r\n\r\n', 'a method with a body'],
    ['get / HTTP/1.1\r\nHost: a\r\n\r\n', 'lower-case method'],
    ['GETS / HTTP/1.1\r\nHost: a\r\n\r\n', 'method with a known prefix'],
    ['CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n', 'CONNECT'],
    ['\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', 'leading empty line'],
    [' GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'leading space'],
    ['GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 'two spaces after the method'],
    ['GET /  HTTP/1.1\r\nHost: a\r\n\r\n', 'two spaces after the target'],
    ['GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n', 'tab as separator'],
    ['GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n', 'absolute-form'],
    ['OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', 'asterisk-form'],
    ['GET a/b HTTP/1.1\r\nHost: a\r\n\r\n', 'target without a leading slash'],
    ['GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n', 'fragment'],
    ['GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n', 'DEL in the target'],
    ['GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n', 'high byte in the target'],
    ['GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n', 'NUL in the target'],
    ['GET / HTTP/1.0\r\nHost: a\r\n\r\n', 'HTTP/1.0'],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 'HTTP/2.0'],
    ['GET / http/1.1\r\nHost: a\r\n\r\n', 'lower-case version'],
    ['GET / HTTP/1.1 \r\nHost: a\r\n\r\n', 'space after the version'],
    ['GET /\r\nHost: a\r\n\r\n', 'HTTP/0.9 shape'],
    ['GET / HTTP/1.1\nHost: a\r\n\r\n', 'bare LF after the request-line'],
    ['GET / HTTP/1.1\rHost: a\r\n\r\n', 'bare CR after the request-line'],
  ];
  for (const [text, why] of cases) handedOff(text, why);
});

test('header-line rules: each refusal hands off', () => {
  const cases: Array<[string, string]> = [
    [withHeader('X-A : b'), 'space before the colon'],
    [withHeader('X-A\t: b'), 'tab before the colon'],
    [withHeader(': b'), 'empty name'],
    [withHeader('X A: b'), 'space in the name'],
    [withHeader('X"A: b'), 'non-token byte in the name'],
    [withHeader('X-A b'), 'no colon'],
    [withHeader('X\xe9: b'), 'high byte in the name'],
    [withHeader('X-A: b\xe9'), 'obs-text in the value'],
    [withHeader('X-A: b\x00c'), 'NUL in the value'],
    [withHeader('X-A: b\x7f'), 'DEL in the value'],
    [withHeader('X-A: b\x01'), 'CTL in the value'],
    [withHeader('X-A: b\rc'), 'bare CR in the value'],
    [withHeader('X-A: b\nc'), 'bare LF in the value'],
    ['GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n', 'a header line ending in bare LF'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\n', 'a head ending in bare LF'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\r\n', 'CR CR LF'],
    ['GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', 'obs-fold with SP'],
    ['GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n', 'obs-fold with HTAB'],
    ['GET / HTTP/1.1\r\n Host: a\r\n\r\n', 'whitespace before the first header'],
  ];
  for (const [text, why] of cases) handedOff(text, why);
});

test('framing, body and protocol-switch headers hand off, whatever their value or case', () => {
  const lines = [
    'Content-Length: 0', 'content-length: 5', 'CONTENT-LENGTH: +0', 'Transfer-Encoding: chunked',
    'transfer-encoding: identity', 'Upgrade: websocket', 'Upgrade: h2c', 'Expect: 100-continue',
    'HTTP2-Settings: AAMAAABkAAQAAP__', 'TE: trailers', 'Trailer: X-A', 'Proxy-Connection: close',
    'Set-Cookie: a=1', '__proto__: x',
  ];
  for (const line of lines) handedOff(withHeader(line), 'refused header');
});

test('Host: exactly one, non-empty, no comma', () => {
  handedOff('GET / HTTP/1.1\r\n\r\n', 'no Host');
  handedOff('GET / HTTP/1.1\r\nX: y\r\n\r\n', 'no Host');
  handedOff('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'two Hosts');
  handedOff('GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n', 'the same Host twice');
  handedOff('GET / HTTP/1.1\r\nHost:\r\n\r\n', 'empty Host');
  handedOff('GET / HTTP/1.1\r\nHost: a, b\r\n\r\n', 'one Host that looks like two joined');
  handedOff('GET / HTTP/1.1\r\nHost:  \t\r\n\r\n', 'whitespace-only Host');
});

test('Connection: only a strict token list, and never upgrade', () => {
  for (const v of ['Upgrade', 'keep-alive, upgrade', '', ',close', 'close,', 'close,,x', 'a b', 'close;x', '"close"']) {
    handedOff(withHeader(`Connection: ${v}`), `Connection: ${v}`);
  }
});

test('incomplete at every split point of a valid request, then the same request once whole', () => {
  const text = 'OPTIONS /p?q=1 HTTP/1.1\r\nHost: h:1\r\nAccept: */*\r\nX-Empty:\r\nConnection: keep-alive, close\r\n\r\n';
  const whole = Buffer.from(text, 'latin1');
  for (let cut = 0; cut < whole.length; cut++) {
    assert.equal(parseRequestHead(whole.subarray(0, cut), 0, LIMITS).kind, 'incomplete', `cut at ${cut}`);
  }
  const r = parseRequestHead(whole, 0, LIMITS);
  assert.equal(r.kind, 'request');
  if (r.kind === 'request') assert.equal(r.keepAlive, false);
});

test('a prefix that already breaks a rule hands off before the head is complete', () => {
  for (const prefix of ['POST ', 'GETX', 'GET /a#', 'GET / HTTP/1.0', 'GET / HTTP/1.1\r\nX : ', 'GET / HTTP/1.1\r\nContent-Length:', 'GET / HTTP/1.1\r\nHost: a\r\nHost:', 'GET / HTTP/1.1\r\nA: \x00']) {
    handedOff(prefix, 'broken prefix');
  }
});

test('pipelined requests: headEnd is where the next one starts, and parsing from there works', () => {
  const first = 'GET /one HTTP/1.1\r\nHost: a\r\n\r\n';
  const second = 'HEAD /two HTTP/1.1\r\nHost: b\r\nConnection: x\r\n\r\n';
  const buf = Buffer.from(first + second + 'GET /thr', 'latin1');
  const r1 = parseRequestHead(buf, 0, LIMITS);
  assert.equal(r1.kind, 'request');
  if (r1.kind !== 'request') return;
  assert.equal(r1.url, '/one');
  assert.equal(r1.headEnd, first.length);
  const r2 = parseRequestHead(buf, r1.headEnd, LIMITS);
  assert.equal(r2.kind, 'request');
  if (r2.kind !== 'request') return;
  assert.deepEqual([r2.method, r2.url, r2.headers.host, r2.keepAlive], ['HEAD', '/two', 'b', true]);
  assert.equal(r2.headEnd, first.length + second.length, 'an offset in buf, not from start');
  assert.equal(parseRequestHead(buf, r2.headEnd, LIMITS).kind, 'incomplete');
});

test('maxHeaderBytes: a head of exactly the limit is accepted, one byte more hands off', () => {
  const base = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n';
  const limit = 1024;
  const exact = base.replace('X-Pad: ', `X-Pad: ${'p'.repeat(limit - base.length)}`);
  assert.equal(exact.length, limit);
  accepted(exact, { maxHeaderBytes: limit, maxHeaders: 100 });
  handedOff(exact.replace('X-Pad: ', 'X-Pad: p'), 'one byte over', { maxHeaderBytes: limit, maxHeaders: 100 });
  // Without the terminator: incomplete below the limit, handoff once the limit is reached.
  const open = Buffer.from(exact.slice(0, -2), 'latin1');
  assert.equal(parseRequestHead(open, 0, { maxHeaderBytes: limit, maxHeaders: 100 }).kind, 'incomplete');
  handedOff(exact.slice(0, -2) + 'xx', 'limit reached without CRLFCRLF', { maxHeaderBytes: limit, maxHeaders: 100 });
  // The limit counts from start, not from the buffer's beginning.
  const pipelined = Buffer.from(MIN + exact, 'latin1');
  assert.equal(parseRequestHead(pipelined, MIN.length, { maxHeaderBytes: limit, maxHeaders: 100 }).kind, 'request');
});

test('maxHeaders: n fields accepted, n + 1 handed off', () => {
  const n = 8;
  const head = (fields: number) => `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: fields - 1 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`;
  assert.equal(accepted(head(n), { maxHeaderBytes: 4096, maxHeaders: n }).rawHeaders.length, 2 * n);
  handedOff(head(n + 1), 'n + 1 fields', { maxHeaderBytes: 4096, maxHeaders: n });
});

test('after "Connection: close", bytes already behind the head hand off (llhttp refuses them)', () => {
  const close = 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  assert.equal(accepted(close).keepAlive, false);
  handedOff(close + 'G', 'a byte after a close request');
  handedOff(close + MIN, 'a pipelined request after a close request');
  assert.equal(parse(MIN + 'G').kind, 'request', 'keep-alive: the caller parses on from headEnd');
});
