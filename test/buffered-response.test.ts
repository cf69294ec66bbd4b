// Responses buffered for a response-body plugin (response-transformer JSON edits): an upstream
// failure after its headers is answered, never retried; the ETag survives an unchanged body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, service } from './harness/gateway.ts';
import { startUpstream, type Handler } from './harness/upstream.ts';

const jsonEdits = { name: 'response-transformer', config: { add: { json: { via_gateway: true } } } };

async function gatewayFor(handler: Handler) {
  const a = await startUpstream(handler);
  const b = await startUpstream(handler);
  const gw = await startGateway({
    services: [service('s', [a.url, b.url], { retries: 3 })],
    routes: [{ name: 'r', service: 's', plugins: [jsonEdits] }],
  });
  return { a, b, gw, close: async () => { await gw.close(); await a.close(); await b.close(); } };
}

test('an upstream that fails mid-body while the response is buffered gets 502, and is not retried', async () => {
  const t = await gatewayFor((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"partial":');
    setTimeout(() => req.socket.destroy(), 20);
  });
  try {
    const res = await fetch(`${t.gw.url}/x`);
    assert.equal(res.status, 502);
    assert.match(((await res.json()) as { type: string }).type, /upstream-/);
    assert.equal(t.a.received.length + t.b.received.length, 1, 'the upstream had answered: the GET must not be sent again');
  } finally {
    await t.close();
  }
});

test('the ETag is dropped when a plugin rewrote the body, and kept when it did not', async () => {
  const t = await gatewayFor((req, res) => {
    const json = req.url === '/json';
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/plain', etag: '"v1"' });
    res.end(json ? '{"a":1}' : 'plain text');
  });
  try {
    const rewritten = await fetch(`${t.gw.url}/json`);
    assert.deepEqual(await rewritten.json(), { a: 1, via_gateway: true });
    assert.equal(rewritten.headers.get('etag'), null);
    const untouched = await fetch(`${t.gw.url}/text`);
    assert.equal(await untouched.text(), 'plain text');
    assert.equal(untouched.headers.get('etag'), '"v1"');
    assert.equal(untouched.headers.get('content-length'), '10');
  } finally {
    await t.close();
  }
});
