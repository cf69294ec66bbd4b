import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCachePurgeNotice, encodeCachePurgeNotice } from './purge-notice.ts';
import { InvalidationAnnouncer } from './invalidation-announcer.ts';
import type { CachePurgeNotice } from './purge-notice.ts';

test('a notice round-trips; many purges are split into payloads under Postgres\'s 8,000-byte limit', () => {
  const small: CachePurgeNotice = { origin: 'node-1', purges: [{ key: 'GET h/a' }, { prefix: 'GET h/b/' }, { tag: 't' }] };
  const [one, ...rest] = encodeCachePurgeNotice(small);
  assert.deepEqual(rest, []);
  assert.deepEqual(decodeCachePurgeNotice(one), small);

  const many: CachePurgeNotice = { origin: 'node-1', purges: Array.from({ length: 500 }, (_, i) => ({ key: `GET api.example.com/items/${i}?page=${'x'.repeat(40)}` })) };
  const payloads = encodeCachePurgeNotice(many);
  assert.ok(payloads.length > 1);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) < 8000, `${Buffer.byteLength(p)} bytes`);
  assert.deepEqual(payloads.flatMap((p) => decodeCachePurgeNotice(p)!.purges), many.purges, 'every purge, in order');
});

test('a key too long for a notice is sent as a prefix of itself (a superset), cut on a character', () => {
  const key = `GET h/${'é'.repeat(5000)}`;
  const [payload, ...rest] = encodeCachePurgeNotice({ origin: 'n', purges: [{ key }] });
  assert.deepEqual(rest, []);
  assert.ok(Buffer.byteLength(payload!) < 8000);
  const purge = decodeCachePurgeNotice(payload)!.purges[0] as { prefix: string };
  assert.ok('prefix' in purge && key.startsWith(purge.prefix) && purge.prefix.length > 1000);
  assert.ok(!purge.prefix.includes('\uFFFD'));
});

test('payloads that are not notices are ignored', () => {
  for (const bad of [undefined, '', 'nope', '{}', '[]', '{"origin":1,"purges":[]}', '{"origin":"n","purges":[{"key":""}]}', '{"origin":"n","purges":[{"key":"k","tag":"t"}]}', '{"origin":"n","purges":[{"path":"/x"}]}']) {
    assert.equal(decodeCachePurgeNotice(bad), undefined, String(bad));
  }
});

test('invalidations are gathered and sent together; a failing store is logged once, and its return too', async () => {
  const sent: CachePurgeNotice[] = [];
  let up = true;
  const logs: string[] = [];
  const store = { announceCachePurge: async (n: CachePurgeNotice) => { if (!up) throw new Error('down'); sent.push(n); return true; } };
  const announcer = new InvalidationAnnouncer(store, 'me', { warn: (_o: object, msg: string) => logs.push(`warn ${msg}`), info: (_o: object, msg: string) => logs.push(`info ${msg}`) }, 1);
  announcer.add('GET h/a');
  announcer.add('GET h/b');
  announcer.add('GET h/a');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent, [{ origin: 'me', purges: [{ key: 'GET h/a' }, { key: 'GET h/b' }] }]);
  up = false;
  announcer.add('GET h/c');
  await new Promise((r) => setTimeout(r, 20));
  announcer.add('GET h/d');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^warn could not tell the other nodes/);
  up = true;
  announcer.add('GET h/e');
  await new Promise((r) => setTimeout(r, 20));
  assert.match(logs[1]!, /^info cache invalidations reach the other nodes again/);
  assert.deepEqual(sent.at(-1), { origin: 'me', purges: [{ key: 'GET h/e' }] });
});
