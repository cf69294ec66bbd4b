// Store conformance for invoices (schema 8), run by src/store/conformance/suite.ts on every adapter:
// one invoice per consumer × product × plan × period whatever the race, gapless numbers per period
// month, status moves only from open, team scoping, and the billable-usage query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateKeyError } from '../ports.ts';
import { unique, type SuiteContext } from '../conformance/support.ts';
import { emptyHistogram, type UsageRow } from '../usage/types.ts';
import type { InvoiceRow } from '../schema.ts';
import type { NewInvoice } from './invoices.ts';
import { billableUsage, servicesCalled } from './usage.ts';

function draft(consumer: string, periodStart: string, over: Partial<NewInvoice> = {}): NewInvoice {
  return {
    team_id: 'team-1', app_id: 'app-1', consumer, product: 'shipping', plan: 'pro', period_start: periodStart, period_end: '2031-02-01T00:00:00.000Z',
    currency: 'USD', calls: 3_000_000_000, billable_calls: 2_999_999_999, lines: '[]', subtotal_minor: 4_000_000_000, total_minor: 4_000_000_000, provider: 'manual', provider_reference: null, ...over,
  };
}

export function billingTests(ctx: SuiteContext): void {
  const { store } = ctx;

  test('billing: one invoice per consumer × product × plan × period, even when finalisations race', async () => {
    const s = store();
    const consumer = unique('billed');
    // A month of its own per run: numbering starts at 1 for it.
    const year = 2100 + Math.floor(Math.random() * 800);
    const period = `${year}-03-01T00:00:00.000Z`;
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => s.write((tx) => tx.invoices.insert(draft(consumer, period)))));
    const stored = results.filter((r) => r.status === 'fulfilled');
    assert.equal(stored.length, 1, JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof DuplicateKeyError, String(r.reason));
    const invoice = (stored[0] as PromiseFulfilledResult<InvoiceRow>).value;
    // The losers' numbers rolled back with them: the next invoice of the month is number 2.
    assert.equal(invoice.number, `INV-${year}-03-000001`);
    const other = await s.write((tx) => tx.invoices.insert(draft(consumer, period, { plan: 'gold' })));
    assert.equal(other.number, `INV-${year}-03-000002`);
    const read = await s.read().invoices.get(invoice.id);
    // Counts and amounts beyond 2^31 survive (bigint columns), as numbers.
    assert.deepEqual(read, invoice);
    assert.equal(read?.calls, 3_000_000_000);
  });

  test('billing: status moves only from open, once; invoices are scoped to their team', async () => {
    const s = store();
    const team = unique('team');
    const a = await s.write((tx) => tx.invoices.insert(draft(unique('billed'), '2099-01-01T00:00:00.000Z', { team_id: team })));
    const b = await s.write((tx) => tx.invoices.insert(draft(unique('billed'), '2099-01-01T00:00:00.000Z', { team_id: team })));
    const at = new Date().toISOString();
    const paid = await s.write((tx) => tx.invoices.settle(a.id, 'paid', at, 'wire-42'));
    assert.equal(paid?.status, 'paid');
    assert.equal(paid?.paid_at, at);
    assert.equal(paid?.provider_reference, 'wire-42');
    assert.equal(paid?.version, 2);
    assert.equal(await s.write((tx) => tx.invoices.settle(a.id, 'void', at)), undefined, 'a paid invoice cannot be voided');
    const results = await Promise.all([s.write((tx) => tx.invoices.settle(b.id, 'void', at)), s.write((tx) => tx.invoices.settle(b.id, 'paid', at))]);
    assert.equal(results.filter((r) => r !== undefined).length, 1, 'exactly one settlement wins');
    assert.equal(await s.read().invoices.getOfTeam(unique('team'), a.id), undefined);
    assert.equal((await s.read().invoices.getOfTeam(team, a.id))?.id, a.id);
    const page = await s.read().invoices.list({ limit: 1, team_id: team });
    assert.equal(page.data[0]?.id, b.id, 'newest first');
    const next = await s.read().invoices.list({ limit: 1, team_id: team, cursor: page.next_cursor! });
    assert.deepEqual(next.data.map((i) => i.id), [a.id]);
    const bPaid = results[1] !== undefined; // b went to whichever settlement won
    assert.deepEqual((await s.read().invoices.list({ limit: 10, team_id: team, status: 'paid' })).data.map((i) => i.id), bPaid ? [b.id, a.id] : [a.id]);
    assert.deepEqual((await s.read().invoices.list({ limit: 10, team_id: team, status: 'void' })).data.map((i) => i.id), bPaid ? [] : [b.id]);
  });

  test('billing: billable usage counts answered calls below 500 except 401, 403 and 429, per subscription; the services called', async () => {
    const s = store();
    const consumer = unique('metered');
    const minute = Date.parse('2099-06-10T10:05:00Z');
    const row = (status: number, calls: number, product = 'shipping'): UsageRow => ({
      minute, consumer, credential: '', product, plan: product === '' ? '' : 'pro', service: 'carrier', route: '', status, calls,
      errors_4xx: status >= 400 && status < 500 ? calls : 0, errors_5xx: status >= 500 ? calls : 0, bytes_in: 0, bytes_out: 0, latency_ms_sum: calls, latency: emptyHistogram(),
    });
    await s.write((tx) => tx.usage.addMinutes([row(200, 10), row(401, 1), row(403, 2), row(404, 4), row(429, 8), row(500, 16), row(200, 32, '')]));
    await s.write((tx) => tx.usage.rollUp('hour', '2099-06-10T10:00:00.000Z'));
    const totals = await billableUsage(s.read().usage, { from: '2099-06-01T00:00:00.000Z', to: '2099-07-01T00:00:00.000Z', consumers: [consumer], nowMs: minute });
    assert.deepEqual(totals, [{ consumer, product: 'shipping', plan: 'pro', calls: 41, billable_calls: 14 }]);
    assert.deepEqual(await billableUsage(s.read().usage, { from: '2099-06-01T00:00:00.000Z', to: '2099-07-01T00:00:00.000Z', consumers: [], nowMs: minute }), []);
    assert.deepEqual(await servicesCalled(s.read().usage, { from: '2099-06-01T00:00:00.000Z', to: '2099-07-01T00:00:00.000Z', consumers: [consumer], nowMs: minute }), ['carrier']);
    assert.deepEqual(await servicesCalled(s.read().usage, { from: '2099-07-01T00:00:00.000Z', to: '2099-08-01T00:00:00.000Z', consumers: [consumer], nowMs: minute }), []);
  });
}
