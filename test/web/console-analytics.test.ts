// The console's analytics dashboards in real headless Chromium against a real node: real gateway
// calls (successes, refusals, a 404) are metered, written to the store and then shown by the
// dashboards — totals, SVG charts with their data tables, top consumers, an allowance near its
// quota, and the consumer filter narrowing all of it. Accessible (axe-core: no serious/critical
// violation) at 1280 and 375 px, no sideways scrolling on a phone; screenshots to test-results/web/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { expectStatus, until, type NodeProcess } from '../harness/node.ts';
import {
  assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, gatewayStatus, launchBrowser, openPage, screenshot, startSeededNode, untilServing,
} from './harness.ts';

const TIMEOUT = 240_000;

after(() => closeBrowser());

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/console');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

async function openAnalytics(page: Page): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Analytics', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
}

/** The value shown under a summary figure's label. */
const stat = (page: Page, label: string) => page.locator('.analytics-stat').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');

/** Calls in the last hour by the admin API's per-minute series (optionally for one consumer). */
async function metered(node: NodeProcess, consumer?: string): Promise<number> {
  const now = Date.now();
  const q = new URLSearchParams({ granularity: 'minute', from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString(), ...(consumer ? { consumer } : {}) });
  const s = expectStatus(await node.admin<{ points: { calls: number }[] }>('GET', `/admin/analytics/traffic?${q}`), 'traffic').body;
  return s.points.reduce((n, p) => n + p.calls, 0);
}

test('analytics dashboards show real gateway traffic, errors, latency, top consumers and quota near its limit; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node, acmeKey } = await startSeededNode(t);

  // A monthly allowance of 10 calls on acme's plan, enforced on the orders route.
  const before = (await node.ready()).config_revision ?? 0;
  const plan = await node.admin<{ version: number }>('GET', '/admin/plans/starter');
  expectStatus(await node.admin('PATCH', '/admin/plans/starter', { quota: { period: 'month', limit: 10 } }, { 'if-match': `"v${plan.body.version}"` }), 'starter quota');
  expectStatus(await node.admin('POST', '/admin/plugins', { name: 'quota', route: 'orders', config: { time_zone: 'UTC' } }), 'quota plugin', 201);
  await untilServing(node, before);

  // 9 calls by acme (90 % of its allowance), 2 refused without a key (401), 1 with no route (404).
  const statuses: number[] = [];
  for (let i = 0; i < 9; i++) statuses.push(await gatewayStatus(node, `/orders/${i}`, acmeKey));
  statuses.push(await gatewayStatus(node, '/orders/1', ''), await gatewayStatus(node, '/orders/2', ''), await gatewayStatus(node, '/nowhere', acmeKey));
  assert.deepEqual(statuses, [...Array<number>(9).fill(200), 401, 401, 404]);
  // Metering writes every couple of seconds: wait until the store has all of them.
  await until(async () => (await metered(node)) === 12, 30_000, 'the 12 calls to be written');
  assert.equal(await metered(node, 'acme'), 9);

  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;
  await signIn(page, node.token);

  await t.test('last hour per minute: totals, three charts with their tables, top consumers', async () => {
    await openAnalytics(page);
    await page.getByLabel('Time range').selectOption('1h');
    assert.equal(await page.getByLabel('Granularity').inputValue(), 'minute');
    await until(async () => (await stat(page, 'Calls').innerText()) === '12', 20_000, 'the calls total');
    assert.equal(await stat(page, 'Client errors (4xx)').innerText(), '25%', '3 of 12 answered 4xx');
    assert.equal(await stat(page, 'Server errors (5xx)').innerText(), '0%');
    assert.notEqual(await stat(page, 'Average latency').innerText(), '—');
    for (const name of ['Calls over time', 'Error rate (% of calls)', 'Latency percentiles']) {
      const chart = page.getByRole('img', { name });
      await chart.waitFor();
      assert.ok((await chart.locator('path.chart-line').count()) >= 1, `${name} draws its series`);
    }
    // The calls chart's data table holds the same numbers.
    const traffic = page.getByRole('figure', { name: 'Calls over time' });
    await traffic.getByText('Show the data as a table').click();
    const rows = traffic.getByRole('region', { name: 'Calls per bucket' }).locator('tbody tr');
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as unknown as { cells: { textContent: string }[] }).cells[1]!.textContent)));
    assert.equal(cells.reduce((a, b) => a + b, 0), 12, 'the table adds up to the total');
    const top = page.getByRole('region', { name: 'Top consumers' });
    await top.getByRole('link', { name: 'acme' }).waitFor();
    await top.getByRole('cell', { name: '9', exact: true }).waitFor();
    await assertAccessible(page, 'analytics');
    await screenshot(page, 'analytics');
  });

  await t.test('quota near its limit: acme at 90 % of 10 calls; none at 100 %', async () => {
    const near = page.getByRole('region', { name: 'Allowances near their limit' });
    await near.getByRole('cell', { name: '9 of 10' }).waitFor();
    await near.getByText('90%', { exact: true }).waitFor();
    await page.getByLabel('At least').selectOption('100');
    await near.getByText('No allowance has used 100% or more').waitFor();
  });

  await t.test('the consumer filter narrows the totals; an empty range says so', async () => {
    await page.getByRole('form', { name: 'Analytics filters' }).getByLabel('Consumer').selectOption('acme');
    await until(async () => (await stat(page, 'Calls').innerText()) === '9', 20_000, 'acme\'s calls');
    assert.equal(await stat(page, 'Client errors (4xx)').innerText(), '0%');
    await page.getByRole('form', { name: 'Analytics filters' }).getByLabel('Consumer').selectOption('globex');
    await page.getByText('No calls in this range for these filters').waitFor();
    await assertAccessible(page, 'analytics empty');
  });

  await t.test('phone width: accessible, no sideways scrolling', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await signIn(phone.page, node.token);
    await openAnalytics(phone.page);
    await phone.page.getByLabel('Time range').selectOption('1h');
    await until(async () => (await stat(phone.page, 'Calls').innerText()) === '12', 20_000, 'the calls total on a phone');
    await assertAccessible(phone.page, 'analytics (375 px)');
    await assertNoHorizontalOverflow(phone.page, 'analytics (375 px)');
    await screenshot(phone.page, 'analytics-375');
    assertNoPageProblems(phone);
    await phone.context.close();
  });

  assertNoPageProblems(desktop);
  await desktop.context.close();
});
