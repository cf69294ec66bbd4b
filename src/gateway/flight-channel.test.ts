// Node-wide miss coalescing: workers' SupervisorFlights talking to one NodeFlightRegistry over a
// transport that delivers later and in order, as IPC does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntryMeta } from '../plugins/proxy-cache/entry.ts';
import type { JoinResult, SharedEntry } from '../plugins/proxy-cache/node-flights.ts';
import { MAX_SHARED_BODY_BYTES, NodeFlightRegistry, SupervisorFlights } from './flight-channel.ts';

const settle = async () => { for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r)); };

function node() {
  const registry = new NodeFlightRegistry();
  let next = 0;
  const worker = () => {
    const id = ++next;
    const flights: SupervisorFlights = new SupervisorFlights((m) => {
      setImmediate(() => registry.handle(id, JSON.parse(JSON.stringify(m)), (a) => setImmediate(() => flights.receive(JSON.parse(JSON.stringify(a))))));
      return true;
    });
    return { id, flights };
  };
  return { registry, worker };
}

function track(p: JoinResult | Promise<JoinResult>): () => JoinResult | 'pending' {
  let r: JoinResult | 'pending' = 'pending';
  void Promise.resolve(p).then((v) => { r = v; });
  return () => r;
}

const META = { status: 200, headers: { 'content-type': 'application/octet-stream' }, freshness: { lifetime: 60, initialAge: 0, responseTime: 0, requestTime: 0 }, etag: undefined, lastModified: undefined, public: false, vary: undefined, marker: false, tags: ['t'] } as unknown as EntryMeta;
const ENTRY: SharedEntry = { key: 'GET h/a', primary: 'GET h/a', meta: META, body: Buffer.from([0, 1, 2, 255, 254]), ttlMs: 60_000, varyValues: undefined };

test('one leader per key for the node; followers get its stored response, bytes intact', async () => {
  const { registry, worker } = node();
  const [a, b, c] = [worker(), worker(), worker()];
  const lead = track(a.flights.join('k'));
  await settle();
  const follows = [track(b.flights.join('k')), track(c.flights.join('k'))];
  const other = track(b.flights.join('other key'));
  await settle();
  assert.equal(lead(), 'lead');
  assert.equal(other(), 'lead', 'another key has its own leader');
  assert.deepEqual(follows.map((f) => f()), ['pending', 'pending']);
  a.flights.done('k', ENTRY);
  await settle();
  for (const f of follows) {
    const got = f() as SharedEntry;
    assert.deepEqual(got.body, ENTRY.body);
    // The meta travels as JSON (as it is stored in Redis): fields left undefined are absent.
    assert.deepEqual(JSON.stringify({ ...got, body: undefined }), JSON.stringify({ ...ENTRY, body: undefined }));
  }
  assert.equal(registry.size, 1, 'only "other key" is still in flight');
  const again = track(c.flights.join('k'));
  await settle();
  assert.equal(again(), 'lead', 'the flight ended: the next miss leads a new one');
});

test('nothing storable, the leader\'s worker gone, or a body too large to copy: followers fetch themselves', async () => {
  const { registry, worker } = node();
  const [a, b] = [worker(), worker()];
  track(a.flights.join('k'));
  await settle();
  const f1 = track(b.flights.join('k'));
  await settle();
  a.flights.done('k', undefined);
  await settle();
  assert.equal(f1(), undefined);
  track(a.flights.join('k2'));
  await settle();
  const f2 = track(b.flights.join('k2'));
  await settle();
  registry.workerGone(a.id);
  await settle();
  assert.equal(f2(), undefined);
  assert.equal(registry.size, 0);
  // A body too large to copy over IPC: the followers fetch themselves.
  track(b.flights.join('big'));
  await settle();
  const f3 = track(a.flights.join('big'));
  await settle();
  b.flights.done('big', { ...ENTRY, body: Buffer.alloc(MAX_SHARED_BODY_BYTES + 1) });
  await settle();
  assert.equal(f3(), undefined);
  // A follower's worker gone: the leader's result reaches nobody, and nothing breaks.
  const c = worker();
  track(b.flights.join('k3'));
  await settle();
  track(c.flights.join('k3'));
  await settle();
  registry.workerGone(c.id);
  b.flights.done('k3', ENTRY);
  await settle();
  assert.equal(registry.size, 0);
});

test('a supervisor that cannot be reached: the worker leads (fetches) at once', async () => {
  const flights = new SupervisorFlights(() => false);
  assert.equal(await flights.join('k'), 'lead');
});
