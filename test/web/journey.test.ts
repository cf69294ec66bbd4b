// Issue 7's one continuous scenario, through the UI only, in real headless Chromium against one
// real seeded node with the real carrier API behind it (key-auth, limits from the caller's plan):
// a NEW developer signs up, follows the verification link the node mailed (log transport), logs
// in, browses the catalog, reads the carrier API's reference (Redoc), subscribes a new application
// to a per-call plan, creates a key (shown once), tries a call from the docs page (200 and the
// body), sees that call in the usage chart and on the period's preview invoice at the plan's price.
// Then an admin, in the console, approves the developer's subscription that needed approval (the
// developer's page shows it active) and lowers the per-call plan's rate limit, which the gateway
// enforces at once (429 at the new limit). Every main page: axe-core (no serious/critical), no
// sideways scrolling, a screenshot named by step in test-results/web/journey-*.png; the developer
// pages once more at 375 px. The only non-UI steps: reading the mailed link from the node's log
// and waiting (reloading the usage page) for metering to reach the hourly roll-up.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expectStatus, until } from '../harness/node.ts';
import { createCarrierServer } from '../../examples/carrier/server.ts';
import { listen } from '../../examples/carrier/test-support.ts';
import {
  assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, launchBrowser, mailedLink, RESULTS, openPage, screenshot, startSeededNode, takeShownOnce, untilServing, type BrowserPage,
} from './harness.ts';

const TIMEOUT = 420_000;
const EMAIL = 'new.developer@example.com';
const PASSWORD = 'a long and correct passphrase';
const CARRIER_SPEC = readFileSync(new URL('../../examples/carrier/openapi.yaml', import.meta.url), 'utf8');
/** The API's title, from its OpenAPI document's info.title. */
const CARRIER_TITLE = 'Portcullis Carrier (demo)';
/** The per-call plan: 50 cents a call (so one call previews as $0.50), 1,000 an hour until the admin lowers it. */
const PER_CALL_MINOR = 50;

after(() => closeBrowser());

/**
 * Redoc's sidebar footer renders its vendor's logo from cdn.redoc.ly, which the CSP refuses on
 * purpose (no third-party loads; the page hides the link). Every other problem counts.
 */
function assertNoRealProblems(p: BrowserPage): void {
  const vendorLogo = /Loading the image 'https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini\.svg' violates/;
  assertNoPageProblems({ ...p, problems: p.problems.filter((m) => !vendorLogo.test(m)) });
}

let step = 0;
/** Screenshots of an earlier run go first: their step numbers may differ from this run's. */
function clearOldScreenshots(): void {
  let names: string[] = [];
  try { names = readdirSync(RESULTS); } catch { return; }
  for (const name of names.filter((n) => n.startsWith('journey-'))) rmSync(join(RESULTS, name), { force: true });
}
/** axe-core, no sideways scrolling, and a screenshot numbered in the journey's order. */
async function checkPage(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await assertNoHorizontalOverflow(page, name);
  step += 1;
  await screenshot(page, `journey-${String(step).padStart(2, '0')}-${name}`);
}

test('the developer journey: sign up → verify → log in → catalog → docs → subscribe → key → try it → usage → invoice; an admin approves and lowers a limit the gateway enforces at once', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  clearOldScreenshots();
  // Metering within a second instead of 2 s and a minute (docs/analytics.md): the usage page reads the hourly roll-up.
  const { node } = await startSeededNode(t, { env: { PORTCULLIS_USAGE_FLUSH_MS: '200', PORTCULLIS_USAGE_ROLLUP_MS: '300' } });
  const carrier = createCarrierServer();
  const carrierUrl = await listen(carrier);
  t.after(() => new Promise<void>((resolve) => {
    carrier.closeAllConnections();
    carrier.close(() => resolve());
  }));
  const portalOrigin = new URL(node.adminUrl).origin;

  // The carrier API as its operator would publish it: imported from its own OpenAPI document
  // (stored, so the portal shows it), key-auth, limits from the caller's plan, CORS for the
  // portal's "try it", and a product selling a per-call plan (the seed's "orders" product sells
  // "gold", which needs approval).
  const before = (await node.ready()).config_revision ?? 0;
  const imported = expectStatus(await node.admin('POST', '/admin/import/openapi', { spec: CARRIER_SPEC, service: 'carrier', upstream: carrierUrl, routes_by: 'path', path_prefix: '/carrier', strip_prefix: true }), 'import the carrier API');
  // Imported routes list their operations' methods; the browser's preflight is OPTIONS.
  for (const name of imported.body.routes as string[]) {
    const route = expectStatus(await node.admin('GET', `/admin/routes/${name}`), `route ${name}`).body as { methods?: string[] };
    if (route.methods) expectStatus(await node.admin('PATCH', `/admin/routes/${name}`, { methods: [...route.methods, 'OPTIONS'] }), `OPTIONS on ${name}`);
  }
  for (const plugin of [
    { name: 'key-auth', config: {} },
    { name: 'rate-limiting', config: { source: 'plan', limit_by: 'consumer' } },
    { name: 'cors', config: { origins: [portalOrigin], headers: ['apikey', 'content-type'], exposed_headers: ['x-request-id'] } },
  ]) expectStatus(await node.admin('POST', '/admin/plugins', { ...plugin, service: 'carrier' }), `${plugin.name} on carrier`, 201);
  expectStatus(await node.admin('POST', '/admin/plans', { name: 'per-call', title: 'Pay per call', description: 'Every call billed, nothing up front.', rate_limits: [{ window: 'hour', limit: 1000 }], price: { model: 'per_call', currency: 'USD', per_call_minor: PER_CALL_MINOR } }), 'per-call plan', 201);
  expectStatus(await node.admin('POST', '/admin/products', { name: 'carrier', title: 'Carrier API', description: 'Rates, labels and tracking for parcels.', services: ['carrier'], plans: ['per-call'], status: 'published' }), 'carrier product', 201);
  await untilServing(node, before);
  // The last write is served once the gateway answers the portal's preflight.
  await until(async () => {
    const r = await fetch(`${node.proxyUrl}/carrier/tracking/PC0000000001`, { method: 'OPTIONS', headers: { origin: portalOrigin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'apikey' } });
    await r.arrayBuffer();
    return r.status === 204 && r.headers.get('access-control-allow-origin') === portalOrigin;
  }, 15_000, 'CORS for the portal served by the gateway');

  const developer = await openPage(browser, node.adminUrl);
  const { page } = developer;
  let appPath = '';
  let key = '';

  await t.test('sign up as a new developer', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    await checkPage(page, 'signup');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Team name').fill('Parcel Shop');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await checkPage(page, 'check-email');
  });

  await t.test('verify the address by the mailed link, then log in', async () => {
    await page.goto(await mailedLink(node, EMAIL, 'verify-email'));
    await page.getByText('Your address is verified.').waitFor();
    await checkPage(page, 'verified');
    await page.getByRole('link', { name: 'Log in' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await checkPage(page, 'login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Logged in: the header names the account and offers the pages behind the login.
    await page.getByRole('link', { name: EMAIL }).waitFor();
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Applications' }).waitFor();
    await checkPage(page, 'logged-in');
  });

  await t.test('browse the catalog to the carrier API and its reference (Redoc renders)', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('heading', { level: 1, name: 'API catalog' }).waitFor();
    await page.getByRole('link', { name: 'Orders API' }).waitFor();
    await checkPage(page, 'catalog');
    await page.getByRole('link', { name: 'Carrier API' }).click();
    await page.getByRole('heading', { level: 1, name: 'Carrier API' }).waitFor();
    await page.getByRole('list', { name: 'Plans' }).getByRole('heading', { name: 'Pay per call' }).waitFor();
    await page.getByText('$0.50 per call').first().waitFor();
    await checkPage(page, 'product');
    await page.getByRole('link', { name: CARRIER_TITLE, exact: true }).click();
    await page.getByRole('link', { name: 'API reference and try it' }).waitFor();
    await checkPage(page, 'api');
    await page.getByRole('link', { name: 'API reference and try it' }).click();
    await page.getByRole('heading', { level: 1, name: /reference$/ }).waitFor();
    // The operation's own heading in Redoc's middle panel (the sidebar's entry may be folded).
    await page.getByTestId('redoc').locator('h2', { hasText: 'Track a shipment' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Try it' }).waitFor();
    await checkPage(page, 'docs');
  });

  await t.test('subscribe a new application to the per-call plan: active at once', async () => {
    await page.goto('/catalog');
    await page.getByRole('link', { name: 'Carrier API' }).click();
    await page.getByRole('link', { name: 'Subscribe to Pay per call' }).click();
    await page.getByRole('heading', { level: 1, name: 'Subscribe to Carrier API' }).waitFor();
    // A new developer has no application yet: the form creates one.
    await page.getByRole('textbox', { name: 'Name' }).fill('Parcel shop checkout');
    await checkPage(page, 'subscribe');
    await page.getByRole('button', { name: 'Create the application and subscribe' }).click();
    await page.getByRole('heading', { level: 1, name: 'Parcel shop checkout' }).waitFor();
    await page.getByRole('tab', { name: 'Subscriptions', selected: true }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Carrier API' }).getByText('active', { exact: true }).waitFor();
    appPath = new URL(page.url()).pathname;
    await checkPage(page, 'app-subscriptions');
  });

  await t.test('create an API key: shown once', async () => {
    await page.getByRole('tab', { name: 'Keys' }).click();
    await page.getByText('No keys yet').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('dialog', { name: 'Create an API key' }).getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('dialog', { name: 'Your new API key' }).waitFor();
    await checkPage(page, 'key-once');
    key = await takeShownOnce(page, 'API key');
    assert.match(key, /^pk_live_/);
    assert.equal(await page.getByText(key).count(), 0, 'the key is not on the page once the dialog is closed');
    await checkPage(page, 'app-keys');
  });

  await t.test('try it from the docs page with that key: 200 and the carrier’s body', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('link', { name: 'Carrier API' }).click();
    await page.getByRole('link', { name: CARRIER_TITLE, exact: true }).click();
    await page.getByRole('link', { name: 'API reference and try it' }).click();
    await page.getByRole('heading', { level: 2, name: 'Try it' }).waitFor();
    await page.getByLabel('Operation', { exact: true }).selectOption({ label: 'GET /tracking/{tracking_number} — Track a shipment' });
    // The API sits under /carrier on the gateway: the document's first server URL says so.
    assert.equal(await page.getByLabel('Base path').inputValue(), '/carrier');
    await page.getByLabel(/^Path parameter tracking_number/).fill('PC0000000001');
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByTestId('try-status').getByText('200').waitFor();
    const body = JSON.parse(await page.getByTestId('try-body').innerText()) as { tracking_number?: string };
    assert.equal(body.tracking_number, 'PC0000000001', 'the carrier answered for the demo parcel');
    await checkPage(page, 'try-it');
  });

  await t.test('the call shows in the usage chart (once metered and rolled up)', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
    // Metering lags (flush, then the roll-up the page reads): reload until the chart counts the call.
    const counted = page.getByRole('img', { name: /^Calls per day\. 1 calls/ });
    await until(async () => {
      await page.getByRole('img', { name: /^Calls per day\./ }).waitFor();
      if (await counted.count() > 0) return true;
      await page.reload();
      return false;
    }, 60_000, 'the try-it call in the usage chart');
    await page.getByText('The numbers as a table').click();
    assert.match(await page.getByRole('table', { name: 'Usage per bucket' }).innerText(), /\b1\b/);
    await checkPage(page, 'usage');
  });

  await t.test('the call is on the period’s preview invoice at the plan’s price', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    assert.equal(await page.getByTestId('preview-total').innerText(), '$0.50');
    await page.getByText('1 billable of 1 calls so far').waitFor();
    await checkPage(page, 'billing');
    assertNoRealProblems(developer);
  });

  await t.test('the developer asks for a plan that needs approval: pending', async () => {
    await page.goto('/catalog');
    await page.getByRole('link', { name: 'Orders API' }).click();
    await page.getByRole('link', { name: 'Subscribe to Gold' }).click();
    await page.getByRole('heading', { level: 1, name: 'Subscribe to Orders API' }).waitFor();
    await page.getByRole('note').getByText('pending').waitFor();
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('row').filter({ hasText: 'Orders API' }).getByText('pending', { exact: true }).waitFor();
    await page.getByText('Waiting for an administrator to approve this plan').waitFor();
    await checkPage(page, 'app-pending');
  });

  const admin = await openPage(browser, node.adminUrl);
  await t.test('an admin approves it in the console; the developer’s page shows it active', async () => {
    const consolePage = admin.page;
    await consolePage.goto('/console');
    await consolePage.getByLabel('Admin token').fill(node.token);
    await consolePage.getByRole('button', { name: 'Sign in' }).click();
    await consolePage.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await consolePage.getByRole('link', { name: 'Subscriptions', exact: true }).click();
    await consolePage.getByRole('heading', { level: 1, name: 'Subscriptions' }).waitFor();
    // The seed's globex waits too; the developer's application is the other one on orders.
    const approve = consolePage.getByRole('button', { name: /^Approve (?!globex ).+ on orders$/ });
    await approve.waitFor();
    await checkPage(consolePage, 'console-approval-queue');
    await approve.click();
    await approve.waitFor({ state: 'detached' });
    await page.goto(appPath);
    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    await page.getByRole('row').filter({ hasText: 'Orders API' }).getByText('active', { exact: true }).waitFor();
    await checkPage(page, 'app-approved');
    assertNoRealProblems(developer);
  });

  await t.test('the admin lowers the per-call plan’s rate limit: the gateway answers 429 at the new limit at once', async () => {
    const consolePage = admin.page;
    const revision = (await node.ready()).config_revision ?? 0;
    await consolePage.getByRole('link', { name: 'Plans', exact: true }).click();
    await consolePage.getByRole('heading', { level: 1, name: 'Plans' }).waitFor();
    await consolePage.getByRole('button', { name: 'Edit per-call' }).click();
    const dialog = consolePage.getByRole('dialog', { name: 'Edit plan per-call' });
    const limit = dialog.getByRole('group', { name: 'Rate limit 1' }).getByRole('textbox', { name: 'Limit', exact: true });
    assert.equal(await limit.inputValue(), '1000');
    await limit.fill('2');
    await checkPage(consolePage, 'console-plan-edit');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await consolePage.getByRole('cell', { name: '2/hour' }).waitFor();
    await checkPage(consolePage, 'console-plans');
    await untilServing(node, revision);
    // The key has one call (try it) in this hour's window already; at most 2 pass, then 429.
    const statuses: number[] = [];
    let policy = '';
    while (statuses.length < 3 && !statuses.includes(429)) {
      const r = await fetch(`${node.proxyUrl}/carrier/tracking/PC0000000001`, { headers: { apikey: key } });
      await r.arrayBuffer();
      statuses.push(r.status);
      policy = r.headers.get('ratelimit-policy') ?? '';
    }
    assert.equal(statuses.at(-1), 429, `refused at the new limit: ${statuses.join(', ')}`);
    assert.ok(statuses.filter((s) => s === 200).length <= 2, `at most 2 calls pass: ${statuses.join(', ')}`);
    assert.match(policy, /q=2\b/, 'the refusal names the new limit');
    assertNoPageProblems(admin);
    await admin.context.close();
  });

  await t.test('the developer pages at phone width (375 px)', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await phone.context.addCookies(await developer.context.cookies());
    const pages: readonly [string, RegExp, string][] = [
      ['/catalog', /^API catalog$/, 'catalog'], ['/products/carrier', /^Carrier API$/, 'product'], [appPath, /^Parcel shop checkout$/, 'app'],
      ['/usage', /^Usage$/, 'usage'], ['/billing', /^Billing$/, 'billing'],
    ];
    for (const [path, heading, name] of pages) {
      await phone.page.goto(path);
      await phone.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      if (path === '/usage') await phone.page.getByRole('img', { name: /^Calls per day\./ }).waitFor();
      // One preview per subscription by now: the per-call plan's and the approved Gold's.
      if (path === '/billing') await phone.page.getByTestId('preview-total').first().waitFor();
      await checkPage(phone.page, `phone-${name}`);
    }
    await phone.page.goto('/apis/carrier/docs');
    await phone.page.getByTestId('redoc').locator('h2', { hasText: 'Track a shipment' }).waitFor();
    await assertAccessible(phone.page, 'reference at 375 px');
    step += 1;
    await screenshot(phone.page, `journey-${String(step).padStart(2, '0')}-phone-docs`);
    assertNoRealProblems(phone);
    await phone.context.close();
  });
  await developer.context.close();
});
