// The admin console in real headless Chromium against a real node: an admin signs in with a token,
// creates a plan with a price, lowers a plan's rate limit in the generated form (and a real
// gateway call then gets 429 at the new limit), approves a pending subscription from the queue,
// creates a consumer key and sees it once. Every main page passes axe-core (no serious/critical
// violation) at desktop and phone (375 px) widths without console errors or CSP violations, and a
// viewer sees no edit buttons. Screenshots go to test-results/web/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { expectStatus, until } from '../harness/node.ts';
import {
  assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, gatewayStatus, launchBrowser, openPage, screenshot, signInToConsole, startSeededNode, untilServing,
} from './harness.ts';

const TIMEOUT = 240_000;

after(() => closeBrowser());

/** Navigates in-app through the sidebar (opening the phone menu when it is collapsed). */
async function goTo(page: Page, link: string, heading = link): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

test('admin console: sign in, price a plan, enforce a new rate limit, approve, issue a key once; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node, acmeKey, viewerToken } = await startSeededNode(t);

  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;

  await t.test('sign-in page, then sign in with the admin token (an HttpOnly cookie, not script-readable)', async () => {
    await page.goto('/console');
    await page.getByRole('heading', { name: 'Portcullis console' }).waitFor();
    await assertAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    // A wrong token is refused in place.
    await page.getByLabel('Admin token').fill('pcat_not-a-real-token-000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not valid').waitFor();
    await page.getByLabel('Admin token').fill(node.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    const cookies = await desktop.context.cookies();
    const session = cookies.find((c) => c.name === 'pc_admin');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/admin');
    assert.equal(await page.evaluate('document.cookie.includes("pc_admin")'), false, 'scripts cannot read it');
  });

  await t.test('dashboard: readiness, config version and counts', async () => {
    await page.getByText('ready', { exact: true }).waitFor();
    await page.getByRole('link', { name: '2 Plans' }).waitFor();
    await assertAccessible(page, 'dashboard');
    await screenshot(page, 'dashboard');
  });

  await t.test('create a plan with a flat monthly price in the pricing editor', async () => {
    await goTo(page, 'Plans');
    await page.getByRole('cell', { name: 'starter', exact: true }).waitFor();
    await assertAccessible(page, 'plans');
    await screenshot(page, 'plans');
    await page.getByRole('button', { name: 'New plan' }).click();
    const dialog = page.getByRole('dialog', { name: 'New plan' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('premium');
    await dialog.getByRole('textbox', { name: 'Title', exact: true }).fill('Premium');
    await dialog.getByLabel('Price model').selectOption('flat');
    await dialog.getByLabel('Monthly fee (USD)').fill('49.50');
    await dialog.getByText('cost $49.50').waitFor(); // the live example follows the price
    await assertAccessible(page, 'new plan dialog');
    await screenshot(page, 'plan-new');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    await page.getByRole('cell', { name: 'premium', exact: true }).waitFor();
    const plan = expectStatus(await node.admin('GET', '/admin/plans/premium'), 'plan premium');
    assert.deepEqual(plan.body.price, { model: 'flat', currency: 'USD', monthly_minor: 4950, per_call_minor: 0, included_calls: 0, tiers: [] });
    assert.equal(plan.body.title, 'Premium');
  });

  await t.test('API validation errors land on their fields', async () => {
    await page.getByRole('button', { name: 'New plan' }).click();
    const dialog = page.getByRole('dialog', { name: 'New plan' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('bad name!');
    await dialog.getByRole('button', { name: 'Create plan' }).click();
    await dialog.getByRole('alert').waitFor();
    const field = dialog.getByRole('textbox', { name: 'Name', exact: true });
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    const errorId = String(await field.getAttribute('aria-describedby')).split(' ').find((id) => id.endsWith('-error'));
    assert.ok(errorId, 'the field is described by its error');
    assert.notEqual((await dialog.locator(`[id="${errorId}"]`).innerText()).trim(), '');
    await dialog.getByRole('alert').getByText('/name').waitFor(); // and the summary names the field
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  await t.test('lower the starter plan to 2 per minute in the form: the gateway answers 429 on the third call', async () => {
    const before = (await node.ready()).config_revision ?? 0;
    await page.getByRole('button', { name: 'Edit starter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit plan starter' });
    const limit = dialog.getByRole('group', { name: 'Rate limit 1' }).getByRole('textbox', { name: 'Limit', exact: true });
    assert.equal(await limit.inputValue(), '100');
    await limit.fill('2');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: '2/minute' }).waitFor();
    await untilServing(node, before);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await gatewayStatus(node, '/orders/1', acmeKey));
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  await t.test('approve the pending subscription from the queue', async () => {
    await goTo(page, 'Subscriptions');
    await page.getByRole('cell', { name: 'globex', exact: true }).waitFor();
    await assertAccessible(page, 'subscription queue');
    await screenshot(page, 'subscriptions-queue');
    await page.getByRole('button', { name: 'Approve globex on orders' }).click();
    await page.getByText('No subscription is waiting for approval.').waitFor();
    const sub = expectStatus(await node.admin('GET', '/admin/subscriptions/globex%2Forders'), 'globex subscription');
    assert.equal(sub.body.status, 'active');
  });

  let globexKey = '';
  await t.test('create a consumer key: shown once, works at the gateway, never shown again', async () => {
    await goTo(page, 'Consumers');
    await page.getByRole('link', { name: 'globex' }).click();
    await page.getByRole('heading', { level: 1, name: 'Consumer globex' }).waitFor();
    await page.getByText('No credentials yet.').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    globexKey = (await dialog.getByRole('status', { name: 'API key' }).or(dialog.locator('output')).first().innerText()).trim();
    assert.match(globexKey, /^pk_live_[A-Za-z0-9_-]{20,}$/);
    await assertAccessible(page, 'new key dialog');
    await screenshot(page, 'consumer-key-once');
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'key-auth', exact: true }).waitFor();
    await until(async () => (await gatewayStatus(node, '/orders/2', globexKey)) === 200, 10_000, 'the new key to be accepted');
    await page.reload();
    await page.getByRole('cell', { name: 'key-auth', exact: true }).waitFor();
    assert.equal((await page.content()).includes(globexKey), false, 'the key is not shown again');
    await assertAccessible(page, 'consumer page');
    await screenshot(page, 'consumer');
  });

  await t.test('rotate the key (ending the old one now), then revoke the new one', async () => {
    await page.getByRole('button', { name: /^Rotate pk_live_/ }).click();
    const rotate = page.getByRole('dialog', { name: /^Rotate pk_live_/ });
    await rotate.getByRole('combobox', { name: 'Overlap' }).selectOption('0');
    await rotate.getByRole('button', { name: 'Rotate', exact: true }).click();
    const shown = page.getByRole('dialog', { name: 'Rotated: the new credential' });
    const rotatedKey = (await shown.locator('output').innerText()).trim();
    assert.match(rotatedKey, /^pk_live_/);
    assert.notEqual(rotatedKey, globexKey);
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await until(async () => (await gatewayStatus(node, '/orders/3', rotatedKey)) === 200 && (await gatewayStatus(node, '/orders/3', globexKey)) === 401, 10_000, 'the new key in, the old one out');
    await page.getByRole('button', { name: `Revoke ${rotatedKey.slice(0, 12)}…` }).click();
    await page.getByText('revoked', { exact: true }).waitFor();
    await until(async () => (await gatewayStatus(node, '/orders/4', rotatedKey)) === 401, 10_000, 'the revoked key to be refused');
  });

  await t.test('audit log lists the console’s changes by the admin user', async () => {
    await goTo(page, 'Audit log');
    await page.getByLabel('Entity kind').fill('plan');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'premium' }).waitFor();
    await assertAccessible(page, 'audit log');
    await screenshot(page, 'audit');
  });

  await t.test('webhooks: create an event type, an application and an endpoint (its secret shown once)', async () => {
    await goTo(page, 'Webhooks');
    await page.getByRole('button', { name: 'New event type' }).click();
    let dialog = page.getByRole('dialog', { name: 'New event type' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('order.created');
    await dialog.getByRole('textbox', { name: 'Description', exact: true }).fill('An order was placed.');
    await assertAccessible(page, 'new event type dialog');
    await dialog.getByRole('button', { name: 'Create event type' }).click();
    await page.getByRole('cell', { name: 'order.created', exact: true }).waitFor();
    await assertAccessible(page, 'webhook event types');
    await screenshot(page, 'webhooks-event-types');

    await page.getByRole('tab', { name: 'Applications' }).click();
    await page.getByRole('button', { name: 'New application' }).click();
    dialog = page.getByRole('dialog', { name: 'New application' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('shop-hooks');
    await dialog.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('cell', { name: 'shop-hooks', exact: true }).waitFor();

    await page.getByRole('tab', { name: 'Endpoints' }).click();
    await page.getByRole('button', { name: 'New endpoint' }).click();
    dialog = page.getByRole('dialog', { name: 'New endpoint' });
    await dialog.getByRole('combobox', { name: 'Application' }).selectOption({ label: 'shop-hooks' });
    await dialog.getByRole('textbox', { name: 'URL', exact: true }).fill('http://127.0.0.1:9/hooks');
    await dialog.getByRole('checkbox', { name: 'Allow HTTP' }).check();
    await assertAccessible(page, 'new endpoint dialog');
    await screenshot(page, 'webhooks-endpoint-new');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'Endpoint signing secret' });
    const secret = (await secretDialog.locator('output').innerText()).trim();
    assert.match(secret, /^whsec_/);
    await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('cell', { name: 'http://127.0.0.1:9/hooks', exact: true }).waitFor();
    assert.equal((await page.content()).includes(secret), false, 'the secret is not shown again');
    await assertAccessible(page, 'webhook endpoints');
    await screenshot(page, 'webhooks-endpoints');
  });

  await t.test('services, routes and plugins pages render their tables and forms', async () => {
    for (const [link, cell] of [['Services', 'orders'], ['Routes', 'orders'], ['Plugins', 'key-auth'], ['Products', 'orders']] as const) {
      await goTo(page, link);
      await page.getByRole('cell', { name: cell, exact: true }).first().waitFor();
      await assertAccessible(page, link);
      await screenshot(page, link.toLowerCase());
    }
    // The plugin form is generated from the chosen plugin's own schema.
    await goTo(page, 'Plugins');
    await page.getByRole('button', { name: 'New plugin instance' }).click();
    const dialog = page.getByRole('dialog', { name: 'New plugin instance' });
    await dialog.getByRole('combobox', { name: 'Name', exact: true }).selectOption('rate-limiting');
    await dialog.getByLabel('Source').waitFor();
    await assertAccessible(page, 'plugin form');
    await screenshot(page, 'plugin-form');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });
  assertNoPageProblems(desktop);

  await t.test('phone width (375 px): menu, pages and dialogs fit and stay accessible', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    t.after(() => phone.context.close());
    await signInToConsole(phone.page, node.token);
    await assertNoHorizontalOverflow(phone.page, 'dashboard');
    await assertAccessible(phone.page, 'dashboard (phone)');
    await screenshot(phone.page, 'phone-dashboard');
    for (const link of ['Plans', 'Subscriptions', 'Consumers', 'Audit log']) {
      await goTo(phone.page, link);
      await phone.page.locator('table, .table-state').first().waitFor();
      await assertNoHorizontalOverflow(phone.page, link);
      await assertAccessible(phone.page, `${link} (phone)`);
      await screenshot(phone.page, `phone-${link.toLowerCase().replace(/ /g, '-')}`);
    }
    await goTo(phone.page, 'Plans');
    await phone.page.getByRole('button', { name: 'Edit premium' }).click();
    await phone.page.getByRole('dialog', { name: 'Edit plan premium' }).waitFor();
    await assertNoHorizontalOverflow(phone.page, 'plan dialog');
    await screenshot(phone.page, 'phone-plan-dialog');
    assertNoPageProblems(phone);
  });

  await t.test('a viewer sees the pages without edit buttons', async () => {
    const viewer = await openPage(browser, node.adminUrl);
    t.after(() => viewer.context.close());
    await signInToConsole(viewer.page, viewerToken);
    await goTo(viewer.page, 'Plans');
    await viewer.page.getByRole('cell', { name: 'premium', exact: true }).waitFor();
    await viewer.page.getByText('You have read-only (viewer) access.').waitFor();
    assert.equal(await viewer.page.getByRole('button', { name: /^(New plan|Edit|Delete)/ }).count(), 0);
    await goTo(viewer.page, 'Consumers');
    await viewer.page.getByRole('link', { name: 'acme' }).click();
    await viewer.page.getByRole('cell', { name: 'key-auth', exact: true }).waitFor();
    assert.equal(await viewer.page.getByRole('button', { name: /^(Create API key|Rotate|Revoke)/ }).count(), 0);
    // Signing out clears the session: the console asks for a token again.
    await viewer.page.getByRole('button', { name: 'Sign out' }).click();
    await viewer.page.getByLabel('Admin token').waitFor();
    await viewer.page.reload();
    await viewer.page.getByLabel('Admin token').waitFor();
    assertNoPageProblems(viewer);
  });
});

test('portal landing page: accessible, no console code, under its CSP', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node } = await startSeededNode(t);
  for (const width of [1280, 375]) {
    const p = await openPage(browser, node.adminUrl, width);
    const scripts: string[] = [];
    p.page.on('request', (r) => { if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname); });
    await p.page.goto('/');
    await p.page.getByRole('heading', { level: 1 }).waitFor();
    await p.page.waitForLoadState('networkidle');
    assert.ok(scripts.length >= 2, `entry and landing chunk: ${scripts.join(', ')}`);
    assert.ok(scripts.every((s) => !/Console|Subscriptions|ConsumerPage|Audit/.test(s)), `no console chunk on the landing page: ${scripts.join(', ')}`);
    await assertNoHorizontalOverflow(p.page, `portal at ${width}px`);
    await assertAccessible(p.page, `portal at ${width}px`);
    await screenshot(p.page, `portal-${width}`);
    assertNoPageProblems(p);
    await p.context.close();
  }
});
