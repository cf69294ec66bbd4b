// The portal's application pages in real headless Chromium against a real node: a verified
// developer creates an application, subscribes it to a plan that needs approval (pending) and to
// one that does not (active), creates an API key (shown once) and calls the gateway with it (200),
// rotates it with an overlap (old and new keys both work), revokes the old one (401), adds a
// webhook endpoint (secret shown once) and sees a test delivery under Deliveries. An unverified
// developer is told why keys cannot be created. Every page passes axe-core (no serious or
// critical violation) at 1280 and 375 px without console errors, CSP violations or sideways
// scrolling. Screenshots go to test-results/web/portal-apps-*.png.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { expectStatus, until, type NodeProcess } from '../harness/node.ts';
import { assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, gatewayStatus, launchBrowser, openPage, screenshot, startSeededNode, takeShownOnce } from './harness.ts';

const TIMEOUT = 300_000;
const PASSWORD = 'correct horse battery staple';

after(() => closeBrowser());

/** Signs up through the portal API (as a non-browser client) and, if asked, verifies the address from the mail log. */
async function signUp(node: NodeProcess, email: string, verify: boolean): Promise<void> {
  const r = await fetch(`${node.adminUrl}/portal/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(r.status, 202, await r.text());
  if (!verify) return;
  let token: string | undefined;
  await until(() => {
    for (const line of node.logs().split('\n')) {
      if (!line.includes('"portal.mail"')) continue;
      const mail = (JSON.parse(line) as { mail?: { kind: string; to: string; link?: string } }).mail;
      if (mail?.to === email && mail.kind === 'verify-email' && mail.link) token = new URL(mail.link).searchParams.get('token') ?? undefined;
    }
    return token !== undefined;
  }, 15_000, `the verification mail to ${email}`);
  const v = await fetch(`${node.adminUrl}/portal/api/account/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  assert.equal(v.status, 200, await v.text());
}

/** Logs the browser context in (the login page is another part of the portal): the session cookie lands in its jar. */
async function logIn(context: BrowserContext, email: string): Promise<void> {
  const r = await context.request.post('/portal/api/session', { data: { email, password: PASSWORD } });
  assert.equal(r.status(), 200, await r.text());
}

async function check(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await assertNoHorizontalOverflow(page, name);
  await screenshot(page, `portal-apps-${name}`);
}

test('portal applications: create, subscribe (pending and active), keys once, rotate with overlap, revoke, webhooks; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node } = await startSeededNode(t);
  // A second product whose only plan needs approval (the seeded "orders" sells "starter" and "gold").
  expectStatus(await node.admin('POST', '/admin/products', { name: 'orders-plus', title: 'Orders Plus', services: ['orders'], plans: ['gold'], status: 'published' }), 'product', 201);
  expectStatus(await node.admin('POST', '/admin/webhooks/event-types', { name: 'order.created', description: 'An order was placed', schemas: { 1: { type: 'object' } }, example: { id: 1 } }), 'event type', 201);
  await signUp(node, 'dev@example.com', true);
  await signUp(node, 'new@example.com', false);

  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;
  await logIn(desktop.context, 'dev@example.com');
  let appUrl = '';

  await t.test('applications: the empty list, then create one', async () => {
    await page.goto('/apps');
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByText('No applications yet').waitFor();
    await check(page, 'empty');
    await page.getByRole('button', { name: 'New application' }).click();
    const dialog = page.getByRole('dialog', { name: 'New application' });
    await dialog.getByRole('button', { name: 'Create application' }).click();
    await dialog.getByText('Give the application a name.').waitFor();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Shop backend with a rather long name that must not break the layout on a phone');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('Calls the orders API');
    await dialog.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { level: 1, name: /^Shop backend/ }).waitFor();
    appUrl = new URL(page.url()).pathname;
    assert.match(appUrl, /^\/apps\/[\w-]+$/);
  });

  await t.test('subscribe to a plan that needs approval: pending, explained', async () => {
    await page.goto('/apps/subscribe?product=orders-plus&plan=gold');
    await page.getByRole('heading', { level: 1, name: 'Subscribe to Orders Plus' }).waitFor();
    await page.getByText('needs approval', { exact: true }).waitFor();
    await check(page, 'subscribe');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('tab', { name: 'Subscriptions', selected: true }).waitFor();
    await page.getByRole('cell', { name: 'Orders Plus', exact: true }).waitFor();
    await page.getByText('Waiting for an administrator to approve this plan').waitFor();
  });

  await t.test('subscribe to a plan without approval: active', async () => {
    await page.goto('/apps/subscribe?product=orders&plan=starter');
    await page.getByRole('heading', { level: 1, name: 'Subscribe to Orders API' }).waitFor();
    await page.getByText('None: active at once').waitFor();
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('cell', { name: 'Orders API', exact: true }).waitFor();
    await page.getByText('active', { exact: true }).waitFor();
    await check(page, 'subscriptions');
  });

  let first = '';
  let second = '';
  await t.test('keys: create one (shown once) and call the gateway with it', async () => {
    await page.getByRole('tab', { name: 'Keys' }).click();
    await page.getByText('No keys yet').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('dialog', { name: 'Create an API key' }).getByRole('button', { name: 'Create', exact: true }).click();
    // The copy button puts the key on the clipboard.
    await desktop.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: node.adminUrl });
    await page.getByRole('dialog', { name: 'Your new API key' }).getByRole('button', { name: 'Copy API key' }).click();
    await page.getByText('Copied to the clipboard').waitFor();
    const copied = await page.evaluate('navigator.clipboard.readText()') as string;
    first = await takeShownOnce(page, 'API key');
    assert.equal(copied, first);
    assert.match(first, /^pk_live_/);
    await page.getByRole('cell', { name: first.slice(0, 12) }).first().waitFor();
    assert.equal(await page.getByText(first).count(), 0, 'the key is not on the page once the dialog is closed');
    await check(page, 'keys');
    await until(async () => (await gatewayStatus(node, '/orders', first)) === 200, 20_000, 'the new key works at the gateway');
  });

  await t.test('rotate with an overlap: the new key shown once, the old one keeps working until its expiry', async () => {
    await page.getByRole('button', { name: /^Rotate pk_live_/ }).click();
    const dialog = page.getByRole('dialog', { name: /^Rotate / });
    await dialog.getByLabel('Overlap').selectOption('3600');
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByRole('dialog').getByText(/keeps working until/).waitFor();
    second = await takeShownOnce(page, 'API key');
    assert.notEqual(second, first);
    await until(async () => (await gatewayStatus(node, '/orders', second)) === 200, 20_000, 'the rotated key works');
    assert.equal(await gatewayStatus(node, '/orders', first), 200, 'the old key works during the overlap');
    await page.getByText('expires', { exact: true }).waitFor();
  });

  await t.test('revoke the old key (confirmed): 401 at the gateway, the new one still works', async () => {
    const oldPrefix = first.slice(0, 12);
    await page.getByRole('button', { name: new RegExp(`^Revoke ${oldPrefix}`) }).click();
    await page.getByRole('dialog', { name: /^Revoke / }).getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByText('revoked', { exact: true }).waitFor();
    await until(async () => (await gatewayStatus(node, '/orders', first)) === 401, 20_000, 'the revoked key is refused');
    assert.equal(await gatewayStatus(node, '/orders', second), 200);
  });

  await t.test('expiry: set one on the new key, then clear it', async () => {
    const prefix = second.slice(0, 12);
    await page.getByRole('button', { name: new RegExp(`^Expiry of ${prefix}`) }).click();
    let dialog = page.getByRole('dialog', { name: /^Expiry of / });
    await dialog.getByText('Now: does not expire.').waitFor();
    await dialog.getByLabel('New expiry').fill('2031-03-04T05:06');
    await dialog.getByRole('button', { name: 'Set expiry' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: prefix });
    await row.getByText('2031').waitFor();
    assert.equal(await gatewayStatus(node, '/orders', second), 200, 'a future expiry keeps the key working');
    await page.getByRole('button', { name: new RegExp(`^Expiry of ${prefix}`) }).click();
    dialog = page.getByRole('dialog', { name: /^Expiry of / });
    await dialog.getByRole('button', { name: 'Clear expiry' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: 'never', exact: true }).waitFor();
  });

  await t.test('an OAuth2 client: client id and secret shown once', async () => {
    await page.getByRole('button', { name: 'Create OAuth2 client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an OAuth2 client' });
    await dialog.getByRole('textbox', { name: 'Client name' }).fill('billing job');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const shown = page.getByRole('dialog', { name: 'Your OAuth2 client' });
    const clientId = (await shown.getByLabel('Client ID', { exact: true }).textContent())?.trim() ?? '';
    const clientSecret = await takeShownOnce(page, 'Client secret');
    assert.ok(clientId.length > 5 && clientSecret.length > 10 && clientId !== clientSecret);
    await page.getByRole('cell', { name: 'OAuth2 client (billing job)' }).waitFor();
    assert.equal(await page.getByText(clientSecret).count(), 0, 'the secret is gone once the dialog is closed');
  });

  await t.test('rename the application; cancel the pending subscription (confirmed)', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit application' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Shop backend with a rather long name that must not break the layout on a phone, renamed');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: /renamed$/ }).waitFor();
    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    await page.getByRole('button', { name: 'Cancel Orders Plus' }).click();
    await page.getByRole('dialog', { name: 'Cancel the subscription?' }).getByRole('button', { name: 'Cancel subscription' }).click();
    await page.getByRole('row').filter({ hasText: 'Orders Plus' }).getByText('cancelled', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel Orders Plus' }).count(), 0, 'a cancelled subscription cannot be cancelled again');
    assert.equal(await gatewayStatus(node, '/orders', second), 200, 'the active subscription to Orders API still carries the key');
  });

  await t.test('webhooks: add an endpoint (secret once), send a test event, see the delivery', async () => {
    await page.getByRole('tab', { name: 'Webhooks' }).click();
    await page.getByText('No endpoints yet').waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog.getByRole('checkbox', { name: 'order.created' }).check();
    await dialog.getByRole('textbox', { name: 'URL' }).fill('http://hooks.example.com/in');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('Enter an https:// address.').waitFor();
    // Loopback is allowed on this node (harness); nothing listens on port 9, so attempts fail and are listed.
    await dialog.getByRole('textbox', { name: 'URL' }).fill('https://127.0.0.1:9/hooks/portcullis');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await takeShownOnce(page, 'Signing secret');
    assert.match(secret, /^whsec_/);
    await page.getByRole('heading', { level: 3, name: 'https://127.0.0.1:9/hooks/portcullis' }).waitFor();
    await page.getByText('Events: order.created').waitFor();
    await page.getByRole('button', { name: /^Send test event to / }).click();
    await page.getByRole('region', { name: 'Deliveries' }).getByRole('cell', { name: 'test', exact: true }).waitFor();
    await page.getByRole('button', { name: /^Attempts of / }).first().click();
    await page.getByRole('heading', { level: 5, name: /^Attempts of / }).waitFor();
    await check(page, 'webhooks');
  });

  await t.test('webhooks: resend a delivery, rotate the secret (shown once), disable and enable, edit the event types', async () => {
    await page.getByRole('button', { name: /^Resend msg_/ }).first().click();
    const deliveries = page.getByRole('region', { name: 'Deliveries' });
    await until(async () => (await deliveries.getByRole('row').count()) === 3, 20_000, 'a second delivery listed (header row + 2)');
    await page.getByRole('button', { name: /^Rotate secret of / }).click();
    await page.getByRole('dialog', { name: 'Rotate the signing secret' }).getByRole('button', { name: 'Rotate', exact: true }).click();
    const rotated = await takeShownOnce(page, 'Signing secret');
    assert.match(rotated, /^whsec_/);
    await page.getByText('two secrets sign during a rotation', { exact: false }).waitFor();
    await page.getByRole('button', { name: /^Disable / }).click();
    await page.getByText('disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: /^Enable / }).click();
    await page.getByText('Events: order.created').waitFor();
    await page.getByRole('button', { name: /^Edit https:/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the endpoint' });
    await dialog.getByRole('checkbox', { name: 'order.created' }).uncheck();
    await dialog.getByRole('textbox', { name: 'Description' }).fill('Order events for the shop');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Events: all').waitFor();
    await page.getByText('Order events for the shop').waitFor();
    assertNoPageProblems(desktop);
  });

  await t.test('phone width (375 px): the same pages fit and pass axe-core', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await logIn(phone.context, 'dev@example.com');
    await phone.page.goto('/apps');
    await phone.page.getByRole('link', { name: /^Shop backend/ }).waitFor();
    await check(phone.page, 'list-375');
    for (const tab of ['keys', 'subscriptions', 'webhooks']) {
      await phone.page.goto(`${appUrl}?tab=${tab}`);
      await phone.page.getByRole('tab', { name: tab[0]!.toUpperCase() + tab.slice(1), selected: true }).waitFor();
      await phone.page.getByRole('tabpanel').getByRole('heading', { level: 2 }).waitFor();
      await phone.page.locator('.table-wrap .table, .endpoint-list .card').first().waitFor();
      await check(phone.page, `${tab}-375`);
    }
    await phone.page.goto('/apps/subscribe?product=orders&plan=starter');
    await phone.page.getByText('None: active at once').waitFor();
    await check(phone.page, 'subscribe-375');
    assertNoPageProblems(phone);
    await phone.context.close();
  });

  await t.test('an unverified developer sees why keys cannot be created', async () => {
    const other = await openPage(browser, node.adminUrl);
    await logIn(other.context, 'new@example.com');
    await other.page.goto('/apps');
    await other.page.getByRole('button', { name: 'New application' }).click();
    await other.page.getByRole('dialog').getByRole('textbox', { name: 'Name' }).fill('Try-out');
    await other.page.getByRole('dialog').getByRole('button', { name: 'Create application' }).click();
    await other.page.getByText('Verify your email address to create keys').waitFor();
    assert.equal(await other.page.getByRole('button', { name: 'Create API key' }).isDisabled(), true);
    await check(other.page, 'unverified');
    assertNoPageProblems(other);
    await other.context.close();
  });

  await t.test('error states: an application that is not the team\'s, a product that is not published', async () => {
    await page.goto('/apps/0190b5a2-0000-7000-8000-000000000000');
    await page.getByRole('alert').getByText(/no such application/i).waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await check(page, 'app-not-found');
    await page.goto('/apps/subscribe?product=no-such-product');
    await page.getByRole('alert').waitFor();
    await page.getByRole('link', { name: 'Back to the catalog' }).waitFor();
    await assertAccessible(page, 'subscribe to an unknown product');
  });

  await t.test('delete the application (confirmed): its keys stop working', async () => {
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: /^Delete / }).getByRole('button', { name: 'Delete application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByText('No applications yet').waitFor();
    await until(async () => (await gatewayStatus(node, '/orders', second)) === 401, 20_000, 'the deleted application\'s key is refused');
    assertNoPageProblems(desktop);
  });

  await desktop.context.close();
});
