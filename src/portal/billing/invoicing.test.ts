// Billing periods, billable calls and finalisation, over a real in-memory SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/ports.ts';
import { invoiceNumber } from '../../store/billing/invoices.ts';
import { isBillableStatus } from '../../store/billing/usage.ts';
import { finaliseInvoices, linesOf, previewInvoices, subscriptionsOf } from './invoicing.ts';
import { periodBefore, periodOf } from './period.ts';
import { manualProvider } from './providers/manual.ts';
import type { PaymentProvider } from './providers/provider.ts';
import { addUsage, usageRow } from './testing.ts';

test('periods are calendar months in UTC, the end exclusive', () => {
  assert.deepEqual(periodOf(Date.parse('2026-11-24T06:00:00Z')), { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' });
  // The last millisecond of a month, the first of the next; December into January; February of a leap year.
  assert.equal(periodOf(Date.parse('2026-11-30T23:59:59.999Z')).start, '2026-11-01T00:00:00.000Z');
  assert.equal(periodOf(Date.parse('2026-12-01T00:00:00.000Z')).start, '2026-12-01T00:00:00.000Z');
  assert.deepEqual(periodOf(Date.parse('2026-12-31T12:00:00Z')), { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
  assert.equal(periodOf(Date.parse('2028-02-29T12:00:00Z')).end, '2028-03-01T00:00:00.000Z');
  assert.deepEqual(periodBefore(Date.parse('2027-01-15T00:00:00Z')), { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
  assert.equal(periodBefore(Date.parse('2027-01-15T00:00:00Z'), 2).start, '2026-11-01T00:00:00.000Z');
});

test('billable calls: answered below 500, except the gateway’s own refusals 401, 403 and 429', () => {
  for (const s of [200, 201, 204, 301, 304, 400, 404, 409, 422]) assert.equal(isBillableStatus(s), true, String(s));
  for (const s of [401, 403, 429, 500, 502, 503, 504, 0]) assert.equal(isBillableStatus(s), false, String(s));
});

test('invoice numbers carry the period month and a six-digit sequence', () => {
  assert.equal(invoiceNumber('2026-11-01T00:00:00.000Z', 123), 'INV-2026-11-000123');
  assert.equal(invoiceNumber('2026-01-01T00:00:00.000Z', 1_234_567), 'INV-2026-01-1234567');
});

interface World { store: Store; team: string; consumer: string; otherConsumer: string }

async function world(): Promise<World> {
  const store = await openStore('sqlite::memory:');
  const price = (p: object) => ({ model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [], ...p });
  const { team, consumer, otherConsumer } = await store.write(async (tx) => {
    await tx.insert('plan', { name: 'metered', title: 'Metered', description: '', rate_limits: [], price: price({ model: 'per_call', per_call_minor: 0.5, included_calls: 10 }), requires_approval: false, tags: [] }, 0);
    await tx.insert('plan', { name: 'basic', title: 'Basic', description: '', rate_limits: [], price: price({ model: 'flat', monthly_minor: 900 }), requires_approval: false, tags: [] }, 1);
    await tx.insert('plan', { name: 'free', title: 'Free', description: '', rate_limits: [], price: price({}), requires_approval: false, tags: [] }, 2);
    const t = await tx.portal.insertTeam('Acme');
    const a = await tx.portal.insertApp({ team_id: t.id, consumer: 'app-a', name: 'Alpha', description: '' });
    await tx.portal.insertApp({ team_id: t.id, consumer: 'app-b', name: 'Beta', description: '' });
    await tx.insert('consumer', { name: 'app-a', tags: [] }, 0);
    await tx.insert('consumer', { name: 'app-b', tags: [] }, 1);
    await tx.insert('subscription', { consumer: 'app-b', product: 'shipping', plan: 'basic', status: 'active' }, 0);
    return { team: t.id, consumer: a.consumer, otherConsumer: 'app-b' };
  });
  return { store, team, consumer, otherConsumer };
}

const NOV = Date.parse('2026-11-10T12:00:00Z');
const DEC = Date.parse('2026-12-03T00:00:00Z');

async function seed(w: World, atMs: number): Promise<void> {
  const rows = [
    usageRow({ atMs, consumer: w.consumer, product: 'shipping', plan: 'metered', calls: 100 }),
    usageRow({ atMs, consumer: w.consumer, product: 'shipping', plan: 'metered', status: 404, calls: 20 }),
    usageRow({ atMs, consumer: w.consumer, product: 'shipping', plan: 'metered', status: 429, calls: 30 }),
    usageRow({ atMs, consumer: w.consumer, product: 'shipping', plan: 'metered', status: 401, calls: 5 }),
    usageRow({ atMs, consumer: w.consumer, product: 'shipping', plan: 'metered', status: 503, calls: 7 }),
    // No subscription (no product): never priced. Free plan: no invoice.
    usageRow({ atMs, consumer: w.consumer, calls: 50 }),
    usageRow({ atMs, consumer: w.consumer, product: 'maps', plan: 'free', calls: 40 }),
    // Not a portal application: not billed by the portal.
    usageRow({ atMs, consumer: 'admin-made', product: 'shipping', plan: 'metered', calls: 1000 }),
  ];
  await addUsage(w.store, rows, atMs);
}

test('the preview prices billable calls per application × product × plan, and bills a flat fee without calls', async () => {
  const w = await world();
  try {
    await seed(w, NOV);
    const { period, invoices } = await previewInvoices(w.store, w.team, NOV + 3_600_000);
    assert.equal(period.start, '2026-11-01T00:00:00.000Z');
    assert.deepEqual(invoices.map((i) => [i.app_name, i.plan, i.calls, i.billable_calls, i.total_minor]), [
      // 162 calls, 120 billable (200 and 404), 10 included: 110 × 0.5 = 55.
      ['Alpha', 'metered', 162, 120, 55],
      ['Beta', 'basic', 0, 0, 900],
    ]);
  } finally {
    await w.store.close();
  }
});

test('finalisation stores each finished period once, numbered, and calls the provider once per invoice', async () => {
  const w = await world();
  try {
    await seed(w, NOV);
    const collected: string[] = [];
    const base = manualProvider({ payTo: 'IBAN X', dueDays: 30 });
    const provider: PaymentProvider = { ...base, collect: (inv) => { collected.push(inv.number); return Promise.resolve({ reference: `ref-${inv.number}` }); } };
    // November is not over: nothing. Within the grace period after it: nothing.
    assert.deepEqual((await finaliseInvoices(w.store, NOV, { provider, graceMs: 3_600_000 })).created, []);
    assert.deepEqual((await finaliseInvoices(w.store, Date.parse('2026-12-01T00:30:00Z'), { provider, graceMs: 3_600_000 })).created, []);
    const first = await finaliseInvoices(w.store, DEC, { provider, graceMs: 3_600_000 });
    assert.deepEqual(first.created.map((i) => [i.number, i.consumer, i.plan, i.total_minor, i.status]), [
      ['INV-2026-11-000001', 'app-a', 'metered', 55, 'open'],
      ['INV-2026-11-000002', 'app-b', 'basic', 900, 'open'],
    ]);
    assert.deepEqual(collected, ['INV-2026-11-000001', 'INV-2026-11-000002']);
    const stored = await w.store.read().invoices.get(first.created[0]!.id);
    assert.equal(stored?.provider_reference, 'ref-INV-2026-11-000001');
    assert.deepEqual(linesOf(stored!).map((l) => [l.kind, l.quantity, l.amount_minor]), [['included', 10, 0], ['usage', 110, 55]]);
    // Again, and concurrently: nothing more, no number used.
    const again = await Promise.all([finaliseInvoices(w.store, DEC + 60_000, { provider, graceMs: 0 }), finaliseInvoices(w.store, DEC + 60_000, { provider, graceMs: 0 })]);
    assert.deepEqual(again.map((r) => r.created.length), [0, 0]);
    assert.equal(collected.length, 2);
    assert.equal((await w.store.read().invoices.list({ limit: 100 })).data.length, 2);
    // December's flat fee gets December's first number.
    const january = await finaliseInvoices(w.store, Date.parse('2027-01-02T00:00:00Z'), { provider, graceMs: 0 });
    assert.deepEqual(january.created.map((i) => [i.number, i.plan]), [['INV-2026-12-000001', 'basic']]);
  } finally {
    await w.store.close();
  }
});

test('a period waits while usage roll-ups before its end are pending', async () => {
  const w = await world();
  try {
    // Minutes added without the worker's roll-up: the hour is dirty.
    await w.store.write((tx) => tx.usage.addMinutes([usageRow({ atMs: NOV, consumer: w.consumer, product: 'shipping', plan: 'metered', calls: 100 })]));
    const provider = manualProvider({ payTo: '', dueDays: 30 });
    const r = await finaliseInvoices(w.store, DEC, { provider, graceMs: 0 });
    assert.deepEqual(r.created, []);
    assert.deepEqual(r.waiting, ['2026-11-01T00:00:00.000Z']);
  } finally {
    await w.store.close();
  }
});

test('the manual provider makes no call and tells how to pay an open invoice', async () => {
  const p = manualProvider({ payTo: 'Acme Bank, IBAN DE00 1234', dueDays: 14 });
  assert.deepEqual(await p.collect({} as never), {});
  assert.match(p.instructions({ number: 'INV-2026-11-000001', total_minor: 500, currency: 'USD', status: 'open' }).text, /within 14 days, quoting INV-2026-11-000001.*IBAN DE00 1234/);
  assert.match(p.instructions({ number: 'INV-2026-11-000001', total_minor: 500, currency: 'USD', status: 'paid' }).text, /Paid/);
  assert.match(p.instructions({ number: 'INV-2026-11-000001', total_minor: 0, currency: 'USD', status: 'open' }).text, /Nothing to pay/);
});

test('subscriptionsOf: the same subscriptions whether read per consumer or all at once', async () => {
  const store = await openStore('sqlite::memory:');
  try {
    const consumers = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    await store.write(async (tx) => {
      for (const [i, c] of consumers.entries()) {
        await tx.insert('consumer', { name: c, tags: [] }, i);
        await tx.insert('subscription', { consumer: c, product: 'p', plan: 'x', status: 'active' }, i);
      }
      await tx.insert('consumer', { name: 'other', tags: [] }, 99);
      await tx.insert('subscription', { consumer: 'other', product: 'p', plan: 'x', status: 'active' }, 99);
    });
    const ids = (rows: { data: Record<string, unknown> }[]) => rows.map((r) => String(r.data.consumer)).sort();
    assert.deepEqual(ids(await subscriptionsOf(store.read(), consumers)), consumers, 'many: one read, filtered');
    assert.deepEqual(ids(await subscriptionsOf(store.read(), consumers.slice(0, 3))), consumers.slice(0, 3), 'few: per consumer');
  } finally {
    await store.close();
  }
});

test('a provider that collects at once marks the invoice paid; one that fails leaves it open and is logged', async () => {
  for (const mode of ['paid', 'throws'] as const) {
    const w = await world();
    try {
      await seed(w, NOV);
      const warnings: string[] = [];
      const provider: PaymentProvider = {
        ...manualProvider({ payTo: '', dueDays: 30 }), name: 'card',
        collect: (inv) => (mode === 'paid' ? Promise.resolve({ status: 'paid' as const, reference: `ch_${inv.number}` }) : Promise.reject(new Error('card declined'))),
      };
      const r = await finaliseInvoices(w.store, DEC, { provider, graceMs: 0, logger: { warn: (_o, m) => warnings.push(String(m)) } });
      const stored = await Promise.all(r.created.map((i) => w.store.read().invoices.get(i.id)));
      if (mode === 'paid') {
        assert.deepEqual(stored.map((i) => [i?.status, i?.provider, i?.provider_reference?.startsWith('ch_INV-')]), [['paid', 'card', true], ['paid', 'card', true]]);
        assert.ok(stored.every((i) => i?.paid_at !== null));
        assert.deepEqual(warnings, []);
      } else {
        assert.deepEqual(stored.map((i) => i?.status), ['open', 'open']);
        assert.equal(warnings.length, 2);
      }
    } finally {
      await w.store.close();
    }
  }
});
