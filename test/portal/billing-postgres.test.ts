// The usage and billing API on Postgres: usage series and CSV, the preview, finalisation, the
// invoice and its downloads, admin settlement, on a fresh database on the server
// PORTCULLIS_TEST_POSTGRES names. Skipped locally without it; fails on CI without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from '../harness/postgres.ts';
import { finaliseInvoices } from '../../src/portal/billing/invoicing.ts';
import { manualProvider } from '../../src/portal/billing/providers/manual.ts';
import { billed } from './billing-fixture.ts';
import { assertProblem, withPortal, type Json } from './helpers.ts';

if (postgresUrl() !== undefined) {
  test('usage and billing API on Postgres', async () => {
    const db = await createTestDatabase();
    try {
      await withPortal(async (h) => {
        const w = await billed(h);
        const team = `/portal/api/teams/${w.alice.team}`;
        const usage = await w.alice.client.get(`${team}/usage?granularity=month`);
        assert.equal(usage.status, 200, usage.text);
        assert.equal((usage.body.points as Json[]).reduce((n, p) => n + Number(p.calls), 0), 355);
        assert.deepEqual(usage.body.services, ['carrier']);
        assert.match((await w.alice.client.get(`${team}/usage?format=csv`)).text, /,355,50,5,/);
        const [p] = (await w.alice.client.get(`${team}/invoices/preview`)).body.data as Json[];
        assert.deepEqual([p!.calls, p!.billable_calls, p!.total_minor], [355, 300, 30]);
        const d = new Date(h.settings.now());
        const at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1, 2);
        const provider = manualProvider({ payTo: 'IBAN XX', dueDays: 30 });
        const runs = await Promise.all([finaliseInvoices(h.store, at, { provider, graceMs: 0 }), finaliseInvoices(h.store, at, { provider, graceMs: 0 })]);
        assert.equal(runs[0].created.length + runs[1].created.length, 1, 'two workers at once: one invoice');
        const [inv] = (await w.alice.client.get(`${team}/invoices`)).body.data as Json[];
        assert.match(String(inv!.number), /-000001$/);
        assert.match((await w.alice.client.get(`${team}/invoices/${String(inv!.id)}/download?format=csv`)).text, /\r\nTotal,,,,30\r\n/);
        assertProblem(await w.bob.client.get(`/portal/api/teams/${w.bob.team}/invoices/${String(inv!.id)}`), 404, 'not-found');
        assert.equal((await h.admin('POST', `/admin/invoices/${String(inv!.id)}/void`, {})).body.status, 'void');
        assertProblem(await h.admin('POST', `/admin/invoices/${String(inv!.id)}/pay`, {}), 409, 'invoice-not-open');
      }, { db: db.url });
    } finally {
      await db.drop();
    }
  });
} else if (onCi()) {
  test('usage and billing API on Postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the billing API on Postgres`);
  });
} else {
  test('usage and billing API on Postgres', { skip: `${POSTGRES_ENV} is not set: the billing API was not run on Postgres` }, () => undefined);
}
