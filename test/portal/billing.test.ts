// The portal's usage and billing API and the admin invoices API, over the real admin server and an
// in-memory SQLite store: usage is written as gateway nodes write it (minute rows) and rolled up as
// the worker does; invoices are finalised by the worker's function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finaliseInvoices } from '../../src/portal/billing/invoicing.ts';
import { manualProvider } from '../../src/portal/billing/providers/manual.ts';
import { billed } from './billing-fixture.ts';
import { assertProblem, catalogFixture, withPortal, type Json } from './helpers.ts';

test('usage: the team’s series per application and API, hourly/daily/monthly, CSV; never another team’s traffic', async () => {
  await withPortal(async (h) => {
    const w = await billed(h);
    const base = `/portal/api/teams/${w.alice.team}/usage`;
    for (const g of ['hour', 'day', 'month']) {
      const r = await w.alice.client.get(`${base}?granularity=${g}`);
      assert.equal(r.status, 200, r.text);
      const points = r.body.points as Json[];
      assert.equal(points.reduce((n, p) => n + Number(p.calls), 0), 355, `${g}: only Alpha's calls`);
      assert.equal(points.reduce((n, p) => n + Number(p.errors_5xx), 0), 5);
      assert.equal(typeof points[0]!.latency_p95_ms, 'number');
      assert.deepEqual(r.body.services, ['carrier']);
    }
    assert.equal(((await w.alice.client.get(`${base}?app=${w.app}&service=carrier`)).body.points as Json[]).length, 1);
    assert.deepEqual((await w.alice.client.get(`${base}?service=other`)).body.points, []);
    const csv = await w.alice.client.get(`${base}?granularity=day&format=csv`);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(csv.text, /^start,calls,errors_4xx,errors_5xx/);
    assert.match(csv.text, /,355,50,5,/);
    // Bob sees only his own app's calls, and cannot name Alice's app.
    const bobs = await w.bob.client.get(`/portal/api/teams/${w.bob.team}/usage`);
    assert.equal((bobs.body.points as Json[]).reduce((n, p) => n + Number(p.calls), 0), 999);
    assertProblem(await w.bob.client.get(`/portal/api/teams/${w.bob.team}/usage?app=${w.app}`), 404, 'not-found');
    assertProblem(await w.alice.client.get(`${base}?granularity=minute`), 400, 'validation-failed');
    assertProblem(await w.alice.client.get(`${base}?service=${'x'.repeat(200)}`), 400, 'validation-failed');
    assertProblem(await w.alice.client.get(`${base}?granularity=hour&from=2000-01-01T00:00:00Z`), 400, 'validation-failed');
  });
});

test('quotas: used, limit and reset date per subscription with a plan quota', async () => {
  await withPortal(async (h) => {
    await catalogFixture(h);
    const alice = await h.user('alice@example.com');
    const app = await alice.client.post(`/portal/api/teams/${alice.team}/apps`, { name: 'Alpha' });
    await alice.client.post(`/portal/api/teams/${alice.team}/apps/${String(app.body.id)}/subscriptions`, { product: 'shipping', plan: 'free' });
    const r = await alice.client.get(`/portal/api/teams/${alice.team}/quotas`);
    assert.equal(r.status, 200, r.text);
    const [q] = r.body.data as Json[];
    const d = new Date(h.settings.now());
    assert.deepEqual({ ...q, subscription: undefined }, {
      app: { id: app.body.id, name: 'Alpha' }, subscription: undefined, product: 'shipping', plan: 'free', period: 'month', limit: 1000, used: 0, remaining: 1000,
      resets_at: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString(),
    });
  });
});

test('invoices: the preview prices billable calls; finalised invoices are listed, shown with how to pay, and downloaded', async () => {
  await withPortal(async (h) => {
    const w = await billed(h);
    const team = `/portal/api/teams/${w.alice.team}`;
    const preview = await w.alice.client.get(`${team}/invoices/preview`);
    assert.equal(preview.status, 200, preview.text);
    const [p] = preview.body.data as Json[];
    // 355 calls, 300 billable (the 429 refusals and 502s are not) at 0.1 = 30 cents.
    assert.deepEqual([p!.calls, p!.billable_calls, p!.total_minor, p!.currency], [355, 300, 30, 'USD']);
    assert.deepEqual((await w.bob.client.get(`/portal/api/teams/${w.bob.team}/invoices/preview`)).body.data, [], 'free plans are never invoiced');
    assert.deepEqual((await w.alice.client.get(`${team}/invoices`)).body.data, []);

    // The month ends: the worker finalises it.
    const nextMonth = new Date(h.settings.now());
    const at = Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 1, 2);
    const done = await finaliseInvoices(h.store, at, { provider: manualProvider({ payTo: 'Acme Bank, IBAN XX00 0000', dueDays: 30 }), graceMs: 3_600_000 });
    assert.equal(done.created.length, 1);
    const list = await w.alice.client.get(`${team}/invoices`);
    const [inv] = list.body.data as Json[];
    assert.match(String(inv!.number), /^INV-\d{4}-\d{2}-000001$/);
    assert.deepEqual([inv!.status, inv!.total_minor, (inv!.app as Json).name], ['open', 30, 'Alpha <script>alert(1)</script>']);
    const one = await w.alice.client.get(`${team}/invoices/${String(inv!.id)}`);
    assert.equal(one.status, 200);
    assert.equal((one.body.payment as Json).provider, 'manual');
    assert.match(String((one.body.payment as Json).text), new RegExp(`quoting ${String(inv!.number)}`));
    const html = await w.alice.client.get(`${team}/invoices/${String(inv!.id)}/download`);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.match(String(html.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(!html.text.includes('<script>'), 'names are escaped');
    assert.match(html.text, /Alpha &#60;script&#62;/);
    assert.match(html.text, /USD 0\.30/);
    const csv = await w.alice.client.get(`${team}/invoices/${String(inv!.id)}/download?format=csv`);
    assert.match(csv.text, /^invoice,INV-/);
    assert.match(csv.text, /\r\nCalls,usage,300,0\.1,30\r\n/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="INV-/);
    // Another team: not found, whichever team is named.
    assertProblem(await w.bob.client.get(`/portal/api/teams/${w.bob.team}/invoices/${String(inv!.id)}`), 404, 'not-found');
    assertProblem(await w.bob.client.get(`${team}/invoices/${String(inv!.id)}`), 404, 'not-found');
  });
});

test('admin: invoices listed across teams, marked paid or void once, audit-logged', async () => {
  await withPortal(async (h) => {
    const w = await billed(h);
    const d = new Date(h.settings.now());
    await finaliseInvoices(h.store, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 2), { provider: manualProvider({ payTo: '', dueDays: 30 }), graceMs: 0 });
    const list = await h.admin('GET', '/admin/invoices?status=open');
    assert.equal(list.status, 200, list.text);
    const [inv] = list.body.data as Json[];
    assert.equal(inv!.team_id, w.alice.team);
    const got = await h.admin('GET', `/admin/invoices/${String(inv!.id)}`);
    assert.deepEqual([got.body.number, got.body.total_minor, (got.body.lines as Json[]).length], [inv!.number, 30, 1]);
    assert.deepEqual((await h.admin('GET', `/admin/invoices?team=${w.bob.team}`)).body.data, []);
    const paid = await h.admin('POST', `/admin/invoices/${String(inv!.id)}/pay`, { reference: 'wire 2026-12-04' });
    assert.equal(paid.status, 200, paid.text);
    assert.equal(paid.body.status, 'paid');
    assertProblem(await h.admin('POST', `/admin/invoices/${String(inv!.id)}/void`, {}), 409, 'invoice-not-open');
    assertProblem(await h.admin('POST', '/admin/invoices/01900000-0000-7000-8000-000000000000/pay', {}), 404, 'not-found');
    const audit = await h.admin('GET', `/admin/audit?entity=invoice`);
    const entries = audit.body.data as Json[];
    assert.deepEqual(entries.map((e) => [e.action, e.entity_key]), [['pay', inv!.number]]);
    const mine = await w.alice.client.get(`/portal/api/teams/${w.alice.team}/invoices/${String(inv!.id)}`);
    assert.equal(mine.body.status, 'paid');
    assert.match(String((mine.body.payment as Json).text), /Paid/);
  });
});
