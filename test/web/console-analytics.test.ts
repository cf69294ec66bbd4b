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
  assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, gatewayStatus, launchBrowser, openPage, screenshot, signInToConsole, startSeededNode, untilServing,
} from './harness.ts';

const TIMEOUT = 240_000;

after(() => closeBrowser());

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
  await signInToConsole(page, node.token);

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
    // The CSV link downloads the same series with the session cookie.
    const csvHref = String(await page.getByRole('link', { name: 'Download as CSV' }).getAttribute('href'));
    const csv = await desktop.context.request.get(csvHref);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/);
    const csvCalls = (await csv.text()).trim().split(/\r?\n/).slice(1).reduce((n, line) => n + Number(line.split(',')[1]), 0);
    assert.equal(csvCalls, 12);
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
    await signInToConsole(phone.page, node.token);
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

const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#7a1fa2"/><circle cx="20" cy="20" r="9" fill="#ffffff"/></svg>';

/** A CSS custom property as the page's root element computes it. */
const rootToken = (page: Page, name: string) => page.evaluate(`getComputedStyle(document.documentElement).getPropertyValue(${JSON.stringify(name)}).trim()`) as Promise<string>;

test('portal branding: the console edits name, colours (with contrast warnings), logo and a Markdown page; the portal shows them; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node } = await startSeededNode(t);
  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;
  await signInToConsole(page, node.token);
  const menu = page.getByRole('navigation', { name: 'Console' });

  await t.test('name and colours: a low-contrast colour warns live; saving applies them', async () => {
    await menu.getByRole('link', { name: 'Portal branding' }).click();
    await page.getByRole('heading', { level: 1, name: 'Portal branding' }).waitFor();
    const name = page.getByRole('textbox', { name: 'Portal name' });
    assert.equal(await name.inputValue(), 'Developer portal');
    await name.fill('Acme Developer Hub');
    const primary = page.getByRole('textbox', { name: 'Primary colour', exact: true });
    await primary.fill('#ffe066');
    await page.getByText('Contrast below WCAG AA').waitFor();
    await screenshot(page, 'branding-warning');
    await primary.fill('#7a1fa2');
    await page.getByRole('textbox', { name: 'Accent colour', exact: true }).fill('#c2410c');
    await page.getByText('Both colours meet WCAG AA contrast.').waitFor();
    // The preview follows before saving.
    await page.getByRole('figure', { name: 'Preview of the portal\'s header' }).getByText('Acme Developer Hub').waitFor();
    await page.getByRole('button', { name: 'Save name and colours' }).click();
    await page.getByText('Branding saved').waitFor();
    const saved = expectStatus(await node.admin('GET', '/admin/portal/branding'), 'branding');
    assert.deepEqual([saved.body.name, saved.body.primary_color, saved.body.accent_color], ['Acme Developer Hub', '#7a1fa2', '#c2410c']);
  });

  await t.test('logo: an SVG is uploaded; an SVG with a script is refused with the reason', async () => {
    const file = page.getByLabel('Upload a logo');
    await file.setInputFiles({ name: 'bad.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
    await page.getByRole('alert').filter({ hasText: 'script' }).waitFor();
    await file.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(LOGO_SVG) });
    await page.getByRole('img', { name: 'The current logo' }).waitFor();
    await assertAccessible(page, 'branding');
    await screenshot(page, 'branding');
  });

  await t.test('a custom page in Markdown: live preview (raw HTML shown as text), created and published', async () => {
    await page.getByRole('tab', { name: 'Custom pages' }).click();
    await page.getByText('No custom pages yet.').waitFor();
    await page.getByRole('button', { name: 'New page' }).click();
    const dialog = page.getByRole('dialog', { name: 'New page' });
    await dialog.getByRole('textbox', { name: 'Title' }).fill('Terms of use');
    await dialog.getByRole('textbox', { name: 'Slug' }).fill('terms');
    await dialog.getByRole('textbox', { name: 'Body (Markdown)' }).fill('## Fair use\n\nBe **kind** to the API.\n\n<script>window.pwned = 1</script>\n\n[Unsafe](javascript:alert(1)) and [the catalog](/catalog).');
    const preview = dialog.getByRole('region', { name: 'Preview' });
    await preview.getByRole('heading', { name: 'Fair use' }).waitFor();
    await preview.getByText('<script>window.pwned = 1</script>').waitFor();
    assert.equal(await preview.getByRole('link', { name: 'Unsafe' }).count(), 0, 'the javascript: link is not a link');
    await dialog.getByLabel('Published (shown in the portal)').check();
    await assertAccessible(page, 'page editor');
    await screenshot(page, 'branding-page-editor');
    await dialog.getByRole('button', { name: 'Create page' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Terms of use', exact: true }).waitFor();
    await assertAccessible(page, 'custom pages');
  });

  await t.test('the branding page at phone width: accessible, no sideways scrolling', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await signInToConsole(phone.page, node.token);
    await phone.page.getByRole('button', { name: 'Menu' }).click();
    await phone.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Portal branding' }).click();
    await phone.page.getByRole('textbox', { name: 'Portal name' }).waitFor();
    await assertAccessible(phone.page, 'branding (375 px)');
    await assertNoHorizontalOverflow(phone.page, 'branding (375 px)');
    await screenshot(phone.page, 'branding-375');
    await phone.page.getByRole('tab', { name: 'Custom pages' }).click();
    await phone.page.getByRole('cell', { name: 'Terms of use', exact: true }).waitFor();
    await assertAccessible(phone.page, 'custom pages (375 px)');
    await assertNoHorizontalOverflow(phone.page, 'custom pages (375 px)');
    assertNoPageProblems(phone);
    await phone.context.close();
  });

  for (const width of [1280, 375]) {
    await t.test(`the portal at ${width} px: name, logo and colours in the header; the page linked and rendered safely`, async () => {
      const p = await openPage(browser, node.adminUrl, width);
      await p.page.goto('/');
      const header = p.page.getByRole('banner');
      await header.getByText('Acme Developer Hub').waitFor();
      await until(async () => (await rootToken(p.page, '--pc-color-primary')) === '#7a1fa2', 10_000, 'the primary colour applied');
      assert.equal(await rootToken(p.page, '--pc-color-accent'), '#c2410c');
      assert.equal(await p.page.title(), 'Acme Developer Hub');
      const logo = header.locator('img.brand-logo');
      await logo.waitFor();
      const loaded = () => logo.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth > 0; });
      await until(loaded, 10_000, 'the logo to load');
      await assertAccessible(p.page, `branded portal at ${width}px`);
      await assertNoHorizontalOverflow(p.page, `branded portal at ${width}px`);
      await screenshot(p.page, `portal-branded-${width}`);

      await p.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Terms of use' }).click();
      await p.page.getByRole('heading', { level: 1, name: 'Terms of use' }).waitFor();
      await until(async () => (await p.page.title()) === 'Terms of use · Acme Developer Hub', 10_000, 'the page\'s title');
      await p.page.getByRole('heading', { level: 2, name: 'Fair use' }).waitFor();
      await p.page.getByText('<script>window.pwned = 1</script>').waitFor();
      assert.equal(await p.page.evaluate('window.pwned'), undefined, 'the script in the Markdown never ran');
      assert.equal(await p.page.getByRole('link', { name: 'the catalog' }).getAttribute('href'), '/catalog');
      await assertAccessible(p.page, `custom page at ${width}px`);
      await assertNoHorizontalOverflow(p.page, `custom page at ${width}px`);
      await screenshot(p.page, `portal-custom-page-${width}`);
      await p.page.goto('/pages/no-such-page');
      await p.page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      assertNoPageProblems(p);
      await p.context.close();
    });
  }

  assertNoPageProblems(desktop);
  await desktop.context.close();
});

test('console improvements: the subscription form picks consumer, product and plan from lists; webhook messages and deliveries with resend', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node, upstream } = await startSeededNode(t);
  expectStatus(await node.admin('POST', '/admin/consumers', { name: 'initech' }), 'consumer initech', 201);
  expectStatus(await node.admin('POST', '/admin/plans', { name: 'lonely', title: 'Not sold by orders' }), 'plan lonely', 201);
  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;
  await signInToConsole(page, node.token);
  const menu = page.getByRole('navigation', { name: 'Console' });

  await t.test('subscriptions: choices, the plan list follows the product', async () => {
    await menu.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('tab', { name: 'All subscriptions' }).click();
    await page.getByRole('button', { name: 'New subscription' }).click();
    const dialog = page.getByRole('dialog', { name: 'New subscription' });
    const consumer = dialog.getByRole('combobox', { name: 'Consumer', exact: true });
    await consumer.locator('option', { hasText: 'initech' }).waitFor({ state: 'attached' });
    const options = async (name: string) => (await dialog.getByRole('combobox', { name, exact: true }).locator('option').allInnerTexts()).slice(1);
    assert.deepEqual(await options('Consumer'), ['acme', 'globex', 'initech']);
    assert.deepEqual(await options('Plan'), ['gold', 'lonely', 'starter'], 'every plan before a product is chosen');
    await consumer.selectOption('initech');
    await dialog.getByRole('combobox', { name: 'Product', exact: true }).selectOption('orders');
    assert.deepEqual(await options('Plan'), ['starter', 'gold'], 'only the plans the product sells');
    await dialog.getByRole('combobox', { name: 'Plan', exact: true }).selectOption('starter');
    await assertAccessible(page, 'new subscription dialog');
    await screenshot(page, 'subscription-new');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await dialog.waitFor({ state: 'detached' });
    const sub = expectStatus(await node.admin('GET', '/admin/subscriptions/initech%2Forders'), 'initech subscription');
    assert.deepEqual([sub.body.consumer, sub.body.product, sub.body.plan], ['initech', 'orders', 'starter']);
  });

  await t.test('webhooks: a published message, its payload and delivery; resend; deliveries by status', async () => {
    expectStatus(await node.admin('POST', '/admin/webhooks/event-types', { name: 'invoice.paid', description: 'An invoice was paid.' }), 'event type', 201);
    expectStatus(await node.admin('POST', '/admin/webhooks/applications', { name: 'billing-hooks' }), 'application', 201);
    expectStatus(await node.admin('POST', '/admin/webhooks/applications/billing-hooks/endpoints', { url: `${upstream.url}/hooks`, allow_http: true }), 'endpoint', 201);
    expectStatus(await node.admin('POST', '/admin/webhooks/messages', { event_type: 'invoice.paid', application: 'billing-hooks', payload: { invoice: 'INV-42', amount: 1200 } }), 'publish', 202);

    await menu.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.getByRole('cell', { name: 'invoice.paid', exact: true }).waitFor();
    await assertAccessible(page, 'webhook messages');
    await page.getByRole('button', { name: /^View message invoice\.paid/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Message invoice.paid' });
    await dialog.getByText('"INV-42"').waitFor();
    const deliveries = dialog.getByRole('region', { name: 'Deliveries of this message' }).locator('tbody tr');
    await until(async () => (await deliveries.count()) === 1, 10_000, 'the delivery');
    await dialog.getByRole('button', { name: 'Resend to every endpoint' }).click();
    await page.getByText('Resent: 1 new delivery').waitFor();
    await until(async () => (await deliveries.count()) === 2, 10_000, 'the resent delivery');
    await assertAccessible(page, 'webhook message');
    await screenshot(page, 'webhooks-message');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('tab', { name: 'Deliveries' }).click();
    const rows = page.getByRole('region', { name: 'Deliveries' }).locator('tbody tr');
    await until(async () => (await rows.count()) === 2, 10_000, 'both deliveries listed');
    // The receiver answers 200: both deliveries succeed (the worker delivers within seconds).
    await until(async () => (await node.admin<{ data: unknown[] }>('GET', '/admin/webhooks/deliveries?status=succeeded')).body.data.length === 2, 30_000, 'both deliveries to succeed');
    await page.getByLabel('Status').selectOption('succeeded');
    const region = page.getByRole('region', { name: 'Deliveries' });
    await until(async () => (await region.getByText('succeeded', { exact: true }).count()) === 2, 10_000, 'two succeeded rows');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No deliveries match.').waitFor();
    await assertAccessible(page, 'webhook deliveries');
    await screenshot(page, 'webhooks-deliveries');
  });

  assertNoPageProblems(desktop);
  await desktop.context.close();
});
