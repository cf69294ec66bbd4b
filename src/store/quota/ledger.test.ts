import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QuotaAsk } from '../counters/ports.ts';
import { DeferredStore } from '../deferred.ts';
import { openStore } from '../open.ts';
import type { Store } from '../ports.ts';
import { QuotaLedger } from './ledger.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const JAN = Date.parse('2031-01-15T12:00:00Z');
const ask = (subject: string, limit: number, over: Partial<QuotaAsk> = {}): QuotaAsk => ({ subject, period: 'month', timeZone: 'UTC', limit, consumer: 'acme', plan: 'gold', product: 'shipping', ...over });

async function withStore(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; store: Store }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-ledger-'));
  const url = `sqlite:${join(dir, 'store.db')}`;
  const store = await openStore(url);
  t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  return { url, store };
}

async function events(store: Store, subject: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
  const page = await store.read().listEvents({ limit: 100, subject });
  return page.data.map((e) => ({ type: e.type, payload: JSON.parse(e.payload) as Record<string, unknown> }));
}

test('counts exactly up to the limit; a refused request consumes nothing', () => {
  const ledger = new QuotaLedger({ logger: quiet });
  const decisions = Array.from({ length: 5 }, () => ledger.consume(ask('s', 3), JAN));
  assert.deepEqual(decisions.map((d) => [d.allowed, d.used]), [[true, 1], [true, 2], [true, 3], [false, 3], [false, 3]]);
  assert.equal(decisions[0]!.resetsAt, Date.parse('2031-02-01T00:00:00Z'));
  assert.equal(ledger.consume(ask('other', 3), JAN).used, 1, 'subjects are counted apart');
  assert.equal(ledger.consume(ask('s', 3), Date.parse('2031-02-01T00:00:00Z')).used, 1, 'a new period starts from zero');
  assert.equal(ledger.consume(ask('s', 5), JAN).allowed, true, 'a raised limit applies to what was used');
});

test('persists: a new ledger on the same store counts on; deltas of two nodes add up', async (t) => {
  const { url, store } = await withStore(t);
  const a = new QuotaLedger({ store, logger: quiet, now: () => JAN });
  await a.start();
  for (let i = 0; i < 7; i++) assert.equal(a.consume(ask('sub-a', 100), JAN).allowed, true);
  await a.sync();
  const second = await openStore(url);
  t.after(() => second.close());
  const b = new QuotaLedger({ store: second, logger: quiet, now: () => JAN });
  await b.start();
  assert.equal(b.consume(ask('sub-a', 100), JAN).used, 8, 'loaded at start: the first request already counts on');
  for (let i = 0; i < 4; i++) a.consume(ask('sub-a', 100), JAN);
  await b.sync();
  await a.sync();
  const row = (await store.read().currentQuotaUsage(new Date(JAN).toISOString())).find((r) => r.subject === 'sub-a');
  assert.equal(row?.used, 12);
  assert.equal(a.consume(ask('sub-a', 100), JAN).used, 13, 'a flush brings back the other node\'s counts');
  await a.stop();
  await b.stop();
});

test('thresholds: 80% and 100% each published once, with the payload webhooks need', async (t) => {
  const { url, store } = await withStore(t);
  const second = await openStore(url);
  t.after(() => second.close());
  const nodes = [new QuotaLedger({ store, logger: quiet, now: () => JAN }), new QuotaLedger({ store: second, logger: quiet, now: () => JAN })];
  for (const n of nodes) await n.start();
  for (let round = 0; round < 10; round++) {
    for (const n of nodes) n.consume(ask('sub-t', 10), JAN);
    await Promise.all(nodes.map((n) => n.sync()));
  }
  const published = await events(store, 'sub-t');
  assert.deepEqual(published.map((e) => e.type), ['quota.warning', 'quota.exhausted']);
  assert.deepEqual(published[0]!.payload, {
    subject: 'sub-t', consumer: 'acme', plan: 'gold', product: 'shipping', period: 'month', period_start: '2031-01-01T00:00:00.000Z',
    limit: 10, used: 8, threshold: 80, resets_at: '2031-02-01T00:00:00.000Z',
  });
  assert.equal(published[1]!.payload.used, 10);
  // Refused requests after that publish nothing more.
  for (const n of nodes) { n.consume(ask('sub-t', 10), JAN); await n.sync(); }
  assert.equal((await events(store, 'sub-t')).length, 2);
});

test('a store that is down: counts wait in memory and are added when it is back', async (t) => {
  const { url } = await withStore(t);
  const deferred = new DeferredStore(url, 'sqlite');
  const warnings: string[] = [];
  const ledger = new QuotaLedger({ store: deferred, logger: { info: () => undefined, warn: (_o, msg) => warnings.push(msg ?? '') }, now: () => JAN });
  await ledger.start();
  for (let i = 0; i < 3; i++) ledger.consume(ask('sub-d', 10), JAN);
  await ledger.sync();
  await ledger.sync();
  assert.equal(warnings.length, 1, 'said once per outage');
  deferred.attach(await openStore(url));
  t.after(() => deferred.close());
  ledger.consume(ask('sub-d', 10), JAN);
  await ledger.sync();
  const row = (await deferred.read().currentQuotaUsage(new Date(JAN).toISOString())).find((r) => r.subject === 'sub-d');
  assert.equal(row?.used, 4);
  await ledger.stop();
});

test('a finished period is flushed, then forgotten; stop flushes what is left', async (t) => {
  const { store } = await withStore(t);
  let now = JAN;
  const ledger = new QuotaLedger({ store, logger: quiet, now: () => now });
  await ledger.start();
  ledger.consume(ask('sub-p', 10, { period: 'day', timeZone: 'Europe/Paris' }), JAN);
  now = Date.parse('2031-01-16T12:00:00Z');
  await ledger.sync();
  assert.equal(ledger.size, 0);
  const rows = (await store.read().listQuotaUsage({ limit: 10 })).data.filter((r) => r.subject === 'sub-p');
  assert.deepEqual(rows.map((r) => [r.period_start, r.period_end, r.used]), [['2031-01-14T23:00:00.000Z', '2031-01-15T23:00:00.000Z', 1]]);
  ledger.consume(ask('sub-p', 10, { period: 'day', timeZone: 'Europe/Paris' }), now);
  await ledger.stop();
  assert.equal((await store.read().currentQuotaUsage(new Date(now).toISOString())).find((r) => r.subject === 'sub-p')?.used, 1);
});

test('refunds: units consumed and never used come off, also once they were flushed to the store', async (t) => {
  const { store } = await withStore(t);
  const ledger = new QuotaLedger({ store, logger: quiet, now: () => JAN });
  await ledger.start();
  ledger.consume(ask('r', 100), JAN, 10);
  ledger.refund(ask('r', 100), JAN, 3);
  await ledger.sync();
  const row = async () => (await store.read().currentQuotaUsage(new Date(JAN).toISOString())).find((x) => x.subject === 'r')!.used;
  assert.equal(await row(), 7, 'refunded before the flush');
  ledger.refund(ask('r', 100), JAN, 2);
  assert.equal(ledger.consume(ask('r', 100), JAN, 0).used, 5, 'counted off at once');
  await ledger.sync();
  assert.equal(await row(), 5, 'refunded after the flush: a negative delta');
  ledger.refund(ask('r', 100), Date.parse('2031-03-01T00:00:00Z'), 4);
  await ledger.sync();
  assert.equal(await row(), 5, 'a refund for another period touches nothing here');
  await ledger.stop();
});
