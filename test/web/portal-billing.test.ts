// The portal's Usage and Billing pages in real headless Chromium against a real node: a developer
// whose application made calls through the gateway (metered, flushed and rolled up by the node's
// own worker role) sees them in the usage chart and its data table, this period's preview invoice
// with the right amount, and a finalised invoice's page (lines, total, how to pay). The pages pass
// axe-core (no serious/critical violation) at 1280 and 375 px without horizontal scrolling,
// console errors or CSP violations.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWeb, isUpToDate } from '../../web/build.ts';
import { expectStatus, spawnNode, until } from '../harness/node.ts';
import { startUpstream } from '../harness/upstream.ts';
import { openStore } from '../../src/store/open.ts';
import { priceUsage } from '../../src/portal/billing/pricing.ts';
import { assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, launchBrowser, openPage, screenshot, untilServing } from './harness.ts';

const TIMEOUT = 240_000;
const CALLS = 6;

after(() => closeBrowser());

test('portal usage and billing pages: a developer with traffic sees the usage chart and the period’s preview invoice', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  if (!isUpToDate()) await buildWeb();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-billing-web-'));
  const upstream = await startUpstream();
  // Usage reaches the store and the hourly roll-up within a second (defaults: 2 s and a minute).
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, stateDir: join(dir, 'state'), env: { PORTCULLIS_USAGE_FLUSH_MS: '200', PORTCULLIS_USAGE_ROLLUP_MS: '300' }, t });
  t.after(async () => {
    await node.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    services: [{ name: 'orders', targets: [{ url: upstream.url }], retries: 0 }],
    routes: [{ name: 'orders', service: 'orders', paths: ['/orders'], plugins: [{ name: 'key-auth', config: {} }] }],
    plans: [{ name: 'metered', title: 'Metered', price: { model: 'per_call', currency: 'USD', per_call_minor: 50 } }],
    products: [{ name: 'orders', title: 'Orders API', services: ['orders'], plans: ['metered'], status: 'published' }],
  }), 'seed config');
  const revision = await untilServing(node, 0);

  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;
  // Sign up and log in through the portal API from the browser's own context (its cookie jar).
  const origin = { origin: node.adminUrl };
  expectStatus({ status: (await page.request.post('/portal/api/signup', { data: { email: 'dev@example.com', password: 'correct horse battery staple' }, headers: origin })).status(), headers: {}, body: {} }, 'sign up', 202);
  const login = await page.request.post('/portal/api/session', { data: { email: 'dev@example.com', password: 'correct horse battery staple' }, headers: origin });
  assert.equal(login.status(), 200);
  const session = await login.json() as { csrf_token: string; account: { teams: { id: string }[] } };
  const team = session.account.teams[0]!.id;
  const write = { ...origin, 'x-csrf-token': session.csrf_token };
  // A long name: it must not break the layout.
  const appName = 'Warehouse synchronisation service for the northern distribution centres';
  const app = await (await page.request.post(`/portal/api/teams/${team}/apps`, { data: { name: appName }, headers: write })).json() as { id: string; consumer: string };
  const sub = await page.request.post(`/portal/api/teams/${team}/apps/${app.id}/subscriptions`, { data: { product: 'orders', plan: 'metered' }, headers: write });
  assert.equal(sub.status(), 201, await sub.text());
  // The key through the admin API (the portal's own key page needs a verified email address).
  const key = String(expectStatus(await node.admin('POST', '/admin/credentials', { consumer: app.consumer, type: 'key-auth' }), 'key', 201).body.key);
  await untilServing(node, revision);

  for (let i = 0; i < CALLS; i++) {
    const r = await fetch(`${node.proxyUrl}/orders/${i}`, { headers: { apikey: key } });
    await r.arrayBuffer();
    assert.equal(r.status, 200);
  }
  // Metered, flushed, rolled up: the preview counts them.
  await until(async () => {
    const r = await page.request.get(`/portal/api/teams/${team}/invoices/preview`);
    const body = await r.json() as { data: { billable_calls: number }[] };
    return body.data[0]?.billable_calls === CALLS;
  }, 30_000, 'the calls in the preview');

  await t.test('usage page: the chart and its numbers', async () => {
    await page.goto('/usage');
    await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
    await page.getByRole('img', { name: /Calls per day\. 6 calls/ }).waitFor();
    await page.getByText('The numbers as a table').click();
    const table = page.getByRole('table', { name: 'Usage per bucket' });
    await table.waitFor();
    assert.match(await table.innerText(), /\b6\b/);
    // Hourly: the switch is a radio group.
    await page.getByRole('radio', { name: 'Hour' }).check();
    await page.getByRole('img', { name: /Calls per hour\. 6 calls/ }).waitFor();
    await assertAccessible(page, 'usage');
    await assertNoHorizontalOverflow(page, 'usage');
    await screenshot(page, 'portal-usage');
    const csv = await page.request.get(`/portal/api/teams/${team}/usage?granularity=day&format=csv`);
    assert.match(await csv.text(), /^start,calls/);
  });

  await t.test('billing page: the period’s preview with the right amount', async () => {
    await page.goto('/billing');
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    // 6 calls at 50 cents.
    assert.equal(await page.getByTestId('preview-total').innerText(), '$3.00');
    await page.getByText(`${CALLS} billable of ${CALLS} calls so far`).waitFor();
    await page.getByText('No invoices yet').waitFor();
    await assertAccessible(page, 'billing');
    await assertNoHorizontalOverflow(page, 'billing');
    await screenshot(page, 'portal-billing');
    assertNoPageProblems(desktop);
  });

  await t.test('invoice page: lines, total, status, how to pay, downloads', async () => {
    // Last month's invoice, stored as the worker's finalisation stores them (a second store on the
    // node's database file: the node's own worker only finalises months that are over).
    const db = await openStore(`sqlite:${join(dir, 'portcullis.db')}`);
    const priced = priceUsage({ model: 'per_call', currency: 'USD', monthly_minor: 0, per_call_minor: 50, included_calls: 0, tiers: [] }, 1234);
    const invoice = await db.write((tx) => tx.invoices.insert({
      team_id: team, app_id: app.id, consumer: app.consumer, product: 'orders', plan: 'metered', period_start: '2026-10-01T00:00:00.000Z', period_end: '2026-11-01T00:00:00.000Z',
      currency: 'USD', calls: 1300, billable_calls: 1234, lines: JSON.stringify(priced.lines), subtotal_minor: priced.subtotal_minor, total_minor: priced.total_minor, provider: 'manual', provider_reference: null,
    }));
    await db.close();
    await page.goto('/billing');
    await page.getByRole('link', { name: invoice.number }).click();
    await page.getByRole('heading', { level: 1, name: `Invoice ${invoice.number}` }).waitFor();
    assert.match(await page.getByRole('table', { name: `Lines of invoice ${invoice.number}` }).innerText(), /1,234[\s\S]*\$617\.00/);
    await page.getByText(`quoting ${invoice.number}`).waitFor();
    await assertAccessible(page, 'invoice');
    await assertNoHorizontalOverflow(page, 'invoice');
    await screenshot(page, 'portal-invoice');
    const printable = await page.request.get(`/portal/api/teams/${team}/invoices/${invoice.id}/download`);
    assert.match(await printable.text(), /USD 617\.00/);
    assertNoPageProblems(desktop);
  });

  await t.test('both pages at phone width', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await phone.context.addCookies(await desktop.context.cookies());
    for (const [path, heading] of [['/usage', 'Usage'], ['/billing', 'Billing']] as const) {
      await phone.page.goto(path);
      await phone.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await phone.page.getByRole('heading', { level: 2 }).first().waitFor();
      if (path === '/billing') await phone.page.getByTestId('preview-total').waitFor();
      else await phone.page.getByRole('img', { name: /Calls per day/ }).waitFor();
      await assertAccessible(phone.page, `${heading} at 375 px`);
      await assertNoHorizontalOverflow(phone.page, `${heading} at 375 px`);
      await screenshot(phone.page, `portal-${path.slice(1)}-375`);
    }
    assertNoPageProblems(phone);
    await phone.context.close();
  });
});
