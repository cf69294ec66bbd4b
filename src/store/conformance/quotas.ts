// Store conformance: quota usage (nodes add their counts; thresholds are marked exactly once) and
// the events table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QuotaDelta, Store } from '../ports.ts';
import { unique, allPages, isShareable, type SuiteContext } from './support.ts';

const START = '2030-01-01T00:00:00.000Z';
const END = '2030-02-01T00:00:00.000Z';

function delta(subject: string, n: number, over: Partial<QuotaDelta> = {}): QuotaDelta {
  return { subject, period_start: START, period_end: END, period: 'month', limit: 100, consumer: 'acme', plan: 'gold', product: 'shipping', delta: n, ...over };
}

/** One flush as the ledger does it: add, then mark and publish the thresholds crossed. */
async function flush(store: Store, d: QuotaDelta): Promise<string[]> {
  return store.write(async (tx) => {
    const totals = await tx.addQuotaUsage(d);
    const published: string[] = [];
    for (const [threshold, type] of [[80, 'quota.warning'], [100, 'quota.exhausted']] as const) {
      if (totals.used * 100 < threshold * totals.limit || totals.notified >= threshold) continue;
      if (!await tx.markQuotaNotified(d.subject, d.period_start, threshold)) continue;
      await tx.insertEvent({ type, subject: d.subject, idempotency_key: `${type}:${d.subject}:${d.period_start}`, payload: JSON.stringify({ used: totals.used }) });
      published.push(type);
    }
    return published;
  });
}

export function quotaTests(ctx: SuiteContext): void {
  const { store } = ctx;

  test('quota usage: deltas add up, the row follows the latest limit, counts beyond 2^31 fit', async () => {
    const s = store();
    const subject = unique('subscription');
    const revision = await s.read().revision();
    assert.deepEqual(await s.write((tx) => tx.addQuotaUsage(delta(subject, 3))), { used: 3, limit: 100, notified: 0 });
    assert.deepEqual(await s.write((tx) => tx.addQuotaUsage(delta(subject, 4, { limit: 200, plan: 'platinum' }))), { used: 7, limit: 200, notified: 0 });
    const big = 5_000_000_000;
    assert.deepEqual(await s.write((tx) => tx.addQuotaUsage(delta(subject, big, { limit: 1_000_000_000_000, plan: 'platinum' }))), { used: big + 7, limit: 1_000_000_000_000, notified: 0 });
    const other = await s.write((tx) => tx.addQuotaUsage(delta(subject, 1, { period_start: END, period_end: '2030-03-01T00:00:00.000Z' })));
    assert.equal(other.used, 1, 'another period is another row');
    assert.equal(await s.read().revision(), revision, 'usage is not config: the revision does not move');
    const rows = (await s.read().currentQuotaUsage('2030-01-15T00:00:00.000Z')).filter((r) => r.subject === subject);
    assert.equal(rows.length, 2);
    const [jan] = rows;
    assert.equal(jan!.used, big + 7);
    assert.equal(jan!.limit, 1_000_000_000_000);
    assert.equal(jan!.plan, 'platinum');
    assert.equal(jan!.product, 'shipping');
    assert.equal(jan!.period_end, END);
    assert.deepEqual((await s.read().currentQuotaUsage(END)).filter((r) => r.subject === subject).map((r) => r.period_start), [END], 'periods over at `now` are left out');
  });

  test('quota usage: concurrent additions, also from another node, lose nothing', async () => {
    const s = store();
    const subject = unique('subscription');
    await Promise.all(Array.from({ length: 20 }, () => s.write((tx) => tx.addQuotaUsage(delta(subject, 2)))));
    let expected = 40;
    if (isShareable(ctx.url())) { // a second node, where the database can be opened twice
      const b = await ctx.openAnother();
      try {
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? s : b).write((tx) => tx.addQuotaUsage(delta(subject, 1)))));
        expected += 20;
      } finally {
        await ctx.closeAnother(b);
      }
    }
    const row = (await s.read().currentQuotaUsage(START)).find((r) => r.subject === subject);
    assert.equal(row?.used, expected);
  });

  test('quota thresholds: marked only upwards, each published exactly once across nodes', async () => {
    const s = store();
    const subject = unique('subscription');
    await s.write((tx) => tx.addQuotaUsage(delta(subject, 1)));
    assert.equal(await s.write((tx) => tx.markQuotaNotified(subject, START, 80)), true);
    assert.equal(await s.write((tx) => tx.markQuotaNotified(subject, START, 80)), false, 'already at 80');
    assert.equal(await s.write((tx) => tx.markQuotaNotified(subject, START, 100)), true);
    assert.equal(await s.write((tx) => tx.markQuotaNotified(subject, START, 80)), false, 'never downwards');
    assert.equal(await s.write((tx) => tx.markQuotaNotified(unique('nobody'), START, 80)), false, 'no row, nothing marked');

    // Two nodes race to cross both thresholds: every flush may see a crossing, one publishes each.
    const raced = unique('subscription');
    const nodes = [s];
    if (isShareable(ctx.url())) nodes.push(await ctx.openAnother());
    try {
      const published = (await Promise.all(Array.from({ length: 24 }, (_, i) => flush(nodes[i % nodes.length]!, delta(raced, 5))))).flat();
      assert.deepEqual(published.sort(), ['quota.exhausted', 'quota.warning']);
    } finally {
      for (const n of nodes.slice(1)) await ctx.closeAnother(n);
    }
    const row = (await s.read().currentQuotaUsage(START)).find((r) => r.subject === raced);
    assert.equal(row?.used, 120);
    assert.equal(row?.notified, 100);
    const events = await allPages((cursor) => s.read().listEvents({ limit: 10, subject: raced, cursor }), 10);
    assert.deepEqual(events.rows.map((e) => e.type), ['quota.warning', 'quota.exhausted'], 'in the order they were published');
  });

  test('quota usage listing: filters by consumer, plan and current period; pages', async () => {
    const s = store();
    const consumer = unique('consumer');
    const subjects = Array.from({ length: 5 }, () => unique('subscription'));
    for (const [i, subject] of subjects.entries()) {
      await s.write((tx) => tx.addQuotaUsage(delta(subject, i + 1, { consumer, plan: i < 3 ? 'gold' : 'free' })));
    }
    await s.write((tx) => tx.addQuotaUsage(delta(subjects[0]!, 9, { consumer, period_start: '2029-12-01T00:00:00.000Z', period_end: START })));
    const all = await allPages((cursor) => s.read().listQuotaUsage({ limit: 2, consumer, cursor }), 2);
    assert.equal(all.rows.length, 6, 'every period');
    assert.equal(all.pages, 3);
    const now = '2030-01-10T00:00:00.000Z';
    const current = await allPages((cursor) => s.read().listQuotaUsage({ limit: 2, consumer, current_at: now, cursor }), 2);
    assert.deepEqual(current.rows.map((r) => r.subject), [...subjects].sort(), 'one row per subject, by subject');
    assert.deepEqual(current.rows.map((r) => r.used), [...subjects].sort().map((sub) => subjects.indexOf(sub) + 1));
    const free = await s.read().listQuotaUsage({ limit: 10, consumer, plan: 'free', current_at: now });
    assert.deepEqual(free.data.map((r) => r.subject).sort(), subjects.slice(3).sort());
    assert.deepEqual((await s.read().listQuotaUsage({ limit: 10, consumer: unique('nobody') })).data, []);
  });

  test('events: recorded once per idempotency key, listed oldest first by type and subject', async () => {
    const s = store();
    const subject = unique('subject');
    const key = unique('key');
    const first = await s.write((tx) => tx.insertEvent({ type: 'quota.warning', subject, idempotency_key: key, payload: '{"used":80}' }));
    assert.ok(first);
    assert.equal(first.published_at, null);
    assert.equal(await s.write((tx) => tx.insertEvent({ type: 'quota.warning', subject, idempotency_key: key, payload: '{"used":81}' })), undefined, 'same key: nothing written');
    await s.write((tx) => tx.insertEvent({ type: 'test.other', subject, idempotency_key: null, payload: '{}' }));
    await s.write((tx) => tx.insertEvent({ type: 'test.other', subject, idempotency_key: null, payload: '{}' }));
    const listed = await allPages((cursor) => s.read().listEvents({ limit: 2, subject, cursor }), 2);
    assert.deepEqual(listed.rows.map((e) => e.type), ['quota.warning', 'test.other', 'test.other']);
    assert.deepEqual(JSON.parse(listed.rows[0]!.payload), { used: 80 });
    assert.equal((await s.read().listEvents({ limit: 10, subject, type: 'test.other' })).data.length, 2, 'events without a key are not deduplicated');
  });
}
