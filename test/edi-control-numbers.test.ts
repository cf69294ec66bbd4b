// EDI control numbers through real nodes: the 997s that many concurrent interchanges get back
// carry distinct ISA13 / GS06 numbers across two worker processes (store mode on SQLite, and
// DB-less mode), continue above the previous ones after a restart (store mode), and two nodes on
// one Postgres database issue disjoint numbers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnGateway, type RawConfig } from './harness/gateway.ts';
import { expectStatus, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { createTestDatabase, onCi, postgresUrl } from './harness/postgres.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const X850 = readFileSync(new URL('./fixtures/edi/850-purchase-order.edi', import.meta.url), 'utf8');
const REQUESTS = 40;

let upstream: Upstream;
before(async () => {
  upstream = await startUpstream((_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{"stored":true}');
  });
});
after(() => upstream.close());

const config = (): RawConfig => ({
  gateway: { access_log: false },
  services: [{ name: 'orders', targets: [{ url: upstream.url }], retries: 0 }],
  routes: [{ name: 'edi-in', service: 'orders', paths: ['=/edi/in'], methods: ['POST'], plugins: [{ name: 'edi', config: { identity: { x12: { qualifier: '01', id: '999999999' } } } }] }],
  trading_partners: [{ name: 'xyz-retail', x12: { qualifier: '12', id: '4405197800' }, document_types: ['850'], routes: ['edi-in'], acknowledgement: 'always' }],
});

interface Numbers { isa13: number; gs06: number }

/** One interchange in; the control numbers of the 997 that answers it. */
async function ackNumbers(base: string): Promise<Numbers> {
  const res = await fetch(`${base}/edi/in`, { method: 'POST', headers: { 'content-type': 'application/edi-x12' }, body: X850 });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return numbersOf(text);
}

function numbersOf(ack: string): Numbers {
  // The ack keeps the line breaks of the interchange it answers (a newline after each `~`).
  const segments = ack.split('~').map((s) => s.trim().split('*'));
  const isa = segments.find((e) => e[0] === 'ISA');
  const gs = segments.find((e) => e[0] === 'GS');
  assert.ok(isa !== undefined && gs !== undefined, `not a 997: ${ack}`);
  assert.match(isa[13]!, /^[0-9]{9}$/, 'ISA13: 9 digits');
  return { isa13: Number(isa[13]), gs06: Number(gs[6]) };
}

/** `n` interchanges at once (each on its own connection, so the workers share them out). */
const burst = (base: string, n = REQUESTS) => Promise.all(Array.from({ length: n }, () => ackNumbers(base)));

function assertDistinct(all: readonly Numbers[], what: string): void {
  assert.equal(new Set(all.map((x) => x.isa13)).size, all.length, `${what}: ISA13 numbers repeat: ${all.map((x) => x.isa13).join(',')}`);
  assert.equal(new Set(all.map((x) => x.gs06)).size, all.length, `${what}: GS06 numbers repeat`);
  for (const x of all) assert.ok(x.isa13 >= 1 && x.isa13 <= 999_999_999);
}

/** Waits until the node serves the EDI route; the acks of the probes count like the others. */
async function serving(base: string, seen: Numbers[]): Promise<void> {
  await until(async () => {
    const res = await fetch(`${base}/edi/in`, { method: 'POST', headers: { 'content-type': 'application/edi-x12' }, body: X850 }).catch(() => undefined);
    if (res === undefined) return false;
    const text = await res.text();
    if (res.status !== 201) return false;
    seen.push(numbersOf(text));
    return true;
  }, 20_000, 'the EDI route to be served');
}

async function startStoreNode(db: string, t: Parameters<typeof spawnNode>[0]['t'], workers: number): Promise<NodeProcess> {
  return spawnNode({ db, workers, t });
}

test('store mode (SQLite), two workers: distinct numbers under concurrency; a restart continues above them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-edicn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = `sqlite:${join(dir, 'portcullis.db')}`;
  const first = await startStoreNode(db, t, 2);
  expectStatus(await first.admin('POST', '/admin/config/apply', config()), 'apply config');
  const seen: Numbers[] = [];
  await serving(first.proxyUrl, seen);
  seen.push(...await burst(first.proxyUrl));
  assertDistinct(seen, 'first run');
  assert.equal(await first.stop(), 0);

  // At once, within the same seconds: a clock-seeded sequence would start below the numbers above.
  const second = await startStoreNode(db, t, 2);
  const later: Numbers[] = [];
  await serving(second.proxyUrl, later);
  later.push(...await burst(second.proxyUrl));
  assertDistinct(later, 'second run');
  const highest = Math.max(...seen.map((x) => x.isa13));
  assert.ok(later.every((x) => x.isa13 > highest), `after the restart every number is above ${highest}: ${later.map((x) => x.isa13).join(',')}`);
});

test('DB-less mode, two workers: distinct numbers under concurrency (the supervisor’s sequence)', async (t) => {
  const gw = await spawnGateway(config(), { workers: 2 });
  t.after(() => gw.stop());
  const seen: Numbers[] = [];
  await serving(gw.url, seen);
  seen.push(...await burst(gw.url));
  assertDistinct(seen, 'DB-less');
});

const skipPostgres = postgresUrl() === undefined && !onCi() ? 'PORTCULLIS_TEST_POSTGRES is not set' : false;

test('two nodes on one Postgres database issue disjoint numbers', { skip: skipPostgres }, async () => {
  const database = await createTestDatabase();
  const nodes: NodeProcess[] = [];
  try {
    const a = await startStoreNode(database.url, undefined, 1);
    nodes.push(a);
    expectStatus(await a.admin('POST', '/admin/config/apply', config()), 'apply config');
    const b = await startStoreNode(database.url, undefined, 1);
    nodes.push(b);
    const seen: Numbers[] = [];
    await serving(a.proxyUrl, seen);
    await serving(b.proxyUrl, seen);
    const [fromA, fromB] = await Promise.all([burst(a.proxyUrl), burst(b.proxyUrl)]);
    seen.push(...fromA, ...fromB);
    assertDistinct(seen, 'two nodes');
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  }
});
