// The portal's catalog and API reference in real headless Chromium against a real node: search and
// tag filter, a product's plans side by side with Subscribe links, an API page with its
// deprecation notice and changelog, the reference rendered by Redoc (a lazy chunk, under the CSP
// with its style nonce), a GraphQL SDL shown as text, and "try it" sending a real call with a
// real key from the browser through the real gateway (CORS for the portal origin) and showing 200
// and the upstream's body. axe-core clean at 1280 and 375 px, no CSP violation, screenshots.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { expectStatus, until } from '../harness/node.ts';
import { assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, gatewayStatus, launchBrowser, openPage, screenshot, startSeededNode, untilServing, type BrowserPage } from './harness.ts';

const TIMEOUT = 240_000;
after(() => closeBrowser());

const PARCELS_V1 = {
  openapi: '3.1.0',
  info: { title: 'Parcels', version: '1.0.0', description: 'Track parcels from pickup to doorstep.' },
  paths: {
    '/parcels/{id}': { get: { operationId: 'getParcel', summary: 'One parcel', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'The parcel.' } } } },
  },
};
const PARCELS_V2 = {
  ...PARCELS_V1,
  info: { ...PARCELS_V1.info, version: '2.0.0' },
  paths: {
    ...PARCELS_V1.paths,
    '/parcels': { post: { operationId: 'createParcel', summary: 'Book a pickup', requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: { 201: { description: 'Booked.' } } } },
  },
};
const SDL = '# Shipments as a graph\ntype Query {\n  "One shipment"\n  shipment(id: ID!): Shipment\n}\n\ntype Shipment { id: ID! status: String @deprecated(reason: "use state") }\n';

/**
 * Redoc's sidebar footer always renders its vendor's logo from cdn.redoc.ly; the CSP refuses it
 * (no third-party loads, on purpose) and the page hides the link. Every other problem counts.
 */
function assertNoRealProblems(p: BrowserPage): void {
  const vendorLogo = /Loading the image 'https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini\.svg' violates/;
  assertNoPageProblems({ ...p, problems: p.problems.filter((m) => !vendorLogo.test(m)) });
}

async function checkPage(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await assertNoHorizontalOverflow(page, name);
  await screenshot(page, name);
}

test('portal catalog: search, product plans, API page with its deprecation notice, Redoc reference, SDL, try it through the gateway; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node, upstream, acmeKey } = await startSeededNode(t);
  const portalOrigin = new URL(node.adminUrl).origin;

  // A second API with two document versions, key-auth, and CORS for the portal's origin; a
  // GraphQL service with a stored SDL; both sold by published products.
  for (const spec of [PARCELS_V1, PARCELS_V2]) {
    expectStatus(await node.admin('POST', '/admin/import/openapi', { spec, service: 'parcels', upstream: upstream.url, tags: ['logistics'] }), 'import parcels');
  }
  expectStatus(await node.admin('POST', '/admin/plugins', { name: 'key-auth', service: 'parcels', config: {} }), 'key-auth on parcels', 201);
  // Imported routes match their operation's method only; browsers' preflights are OPTIONS.
  const routes = expectStatus(await node.admin('GET', '/admin/routes?limit=100'), 'routes').body.data as { name: string; service: string; methods?: string[] }[];
  for (const r of routes.filter((x) => x.service === 'parcels' && x.methods !== undefined)) {
    // The GET route is version 1, deprecated, retiring in the far future: the API page says so.
    const version = r.name === 'parcels.get-parcel' ? { version: { name: '1', by: 'header', default: true, deprecated_at: '2025-01-01T00:00:00Z', sunset_at: '2099-06-30T12:00:00Z', link: 'https://docs.example.com/parcels/v1-to-v2' } } : {};
    expectStatus(await node.admin('PATCH', `/admin/routes/${r.name}`, { methods: [...r.methods!, 'OPTIONS'], ...version }), `OPTIONS on ${r.name}`);
  }
  expectStatus(await node.admin('POST', '/admin/plugins', { name: 'cors', service: 'parcels', config: { origins: [portalOrigin], headers: ['apikey', 'content-type'], exposed_headers: ['x-request-id'] } }), 'cors on parcels', 201);
  expectStatus(await node.admin('POST', '/admin/services', { name: 'tracking', protocol: 'graphql', targets: [{ url: upstream.url }] }), 'graphql service', 201);
  expectStatus(await node.admin('PUT', '/admin/services/tracking/graphql-schema', { sdl: SDL }), 'store the SDL');
  expectStatus(await node.admin('POST', '/admin/products', {
    name: 'logistics', title: 'Logistics with a very long product title that has to wrap on small screens', description: 'Parcels and tracking.', services: ['parcels', 'tracking'], plans: ['starter', 'gold'], status: 'published', tags: ['logistics'],
  }), 'logistics product', 201);
  await untilServing(node, 0);
  // The last of these writes is served once the gateway answers the portal's preflight.
  await until(async () => {
    const r = await fetch(`${node.proxyUrl}/parcels/1`, { method: 'OPTIONS', headers: { origin: portalOrigin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'apikey' } });
    await r.arrayBuffer();
    return r.status === 204 && r.headers.get('access-control-allow-origin') === portalOrigin;
  }, 15_000, 'CORS for the portal served by the gateway');
  assert.equal(await gatewayStatus(node, '/parcels/1', 'not-a-key'), 401, 'parcels needs a real key');

  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;

  await t.test('catalog: every published product; search and tag filter narrow it', async () => {
    await page.goto('/catalog');
    await page.getByRole('heading', { level: 1, name: 'API catalog' }).waitFor();
    await page.getByRole('link', { name: 'Orders API' }).waitFor();
    await page.getByRole('link', { name: /^Logistics with a very long/ }).waitFor();
    await checkPage(page, 'portal-catalog');
    await page.getByLabel('Search APIs and products').fill('parcels');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/catalog\?q=parcels$/);
    await page.getByRole('link', { name: 'Orders API' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: /^Logistics/ }).waitFor();
    await page.goto('/catalog');
    await page.getByRole('button', { name: 'logistics', exact: true }).click();
    await page.waitForURL(/\/catalog\?tag=logistics$/);
    await page.getByRole('link', { name: 'Orders API' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('button', { name: 'logistics', exact: true }).getAttribute('aria-pressed'), 'true');
    await page.getByLabel('Search APIs and products').fill('nothing-matches-this');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Nothing matches.').waitFor();
  });

  await t.test('product page: plans side by side with their limits, price and approval, Subscribe links', async () => {
    await page.goto('/products/orders');
    await page.getByRole('heading', { level: 1, name: 'Orders API' }).waitFor();
    const plans = page.getByRole('list', { name: 'Plans' });
    await plans.getByRole('heading', { name: 'Starter' }).waitFor();
    await plans.getByText('100 per minute').waitFor();
    await plans.getByText('$99.00 per month').waitFor();
    await plans.getByText('needs approval').waitFor();
    const subscribe = page.getByRole('link', { name: 'Subscribe to Gold' });
    assert.equal(await subscribe.getAttribute('href'), '/apps/subscribe?product=orders&plan=gold');
    const boxes = await Promise.all(['Starter', 'Gold'].map((n) => plans.getByRole('heading', { name: n }).boundingBox()));
    assert.ok(boxes[0] && boxes[1] && Math.abs(boxes[0].y - boxes[1].y) < 2, 'the plans sit side by side at 1280 px');
    await checkPage(page, 'portal-product');
  });

  await t.test('API page: versions, documents and the changelog of added paths', async () => {
    await page.goto('/apis/parcels');
    await page.getByRole('heading', { level: 1, name: 'Parcels' }).waitFor();
    await page.getByText('Track parcels from pickup to doorstep.').first().waitFor();
    const notice = page.getByRole('note');
    await notice.getByText(/is deprecated; it stops working on June 30, 2099/).waitFor();
    assert.equal(await notice.getByRole('link', { name: 'Migration guide' }).getAttribute('href'), 'https://docs.example.com/parcels/v1-to-v2');
    await page.getByRole('region', { name: 'Versions' }).getByRole('cell', { name: 'deprecated' }).waitFor();
    const changelog = page.locator('.changelog');
    await changelog.getByText('2.0.0').waitFor();
    await changelog.locator('code', { hasText: '/parcels' }).first().waitFor();
    await checkPage(page, 'portal-api');
  });

  await t.test('reference: Redoc renders the latest document; the version selector switches', async () => {
    await page.getByRole('link', { name: 'API reference and try it' }).click();
    await page.getByRole('heading', { level: 1, name: 'Parcels reference' }).waitFor();
    const redoc = page.getByTestId('redoc');
    await redoc.getByText('Book a pickup').first().waitFor();
    const version = page.getByLabel('Version');
    assert.match(await version.locator('option:checked').innerText(), /^2\.0\.0 · OpenAPI/);
    await version.selectOption({ label: (await version.locator('option').nth(1).innerText()) });
    await page.waitForURL(/document=/);
    await redoc.getByText('One parcel').first().waitFor();
    assert.equal(await redoc.getByText('Book a pickup').count(), 0, 'version 1 has no POST /parcels');
    await screenshot(page, 'portal-docs-v1');
  });

  await t.test('try it: a real call with a real key through the gateway shows 200 and the body', async () => {
    await page.goto('/apis/parcels/docs');
    await page.getByRole('heading', { level: 2, name: 'Try it' }).waitFor();
    await page.getByLabel('Operation', { exact: true }).selectOption({ label: 'GET /parcels/{id} — One parcel' });
    await page.getByLabel(/^Path parameter id/).fill('p-42 x');
    await page.getByLabel('API key', { exact: true }).fill(acmeKey);
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByTestId('try-status').getByText('200').waitFor();
    const body = await page.getByTestId('try-body').innerText();
    const echoed = JSON.parse(body) as { method: string; url: string; headers: Record<string, string> };
    assert.equal(echoed.method, 'GET');
    assert.equal(echoed.url, '/parcels/p-42%20x', 'the parameter is encoded into its path segment');
    // key-auth consumed the key: it is not forwarded upstream.
    assert.equal(echoed.headers.apikey, undefined);
    assert.equal(body, JSON.stringify(echoed, null, 2), 'the JSON body is pretty-printed');
    assert.equal(await page.evaluate('sessionStorage.getItem("portcullis.portal.try-key")'), acmeKey, 'the key is kept for the tab');
    assert.equal(await page.evaluate('Object.keys(localStorage).filter((k) => localStorage.getItem(k).includes("' + acmeKey + '")).length'), 0, 'never in localStorage');
    await checkPage(page, 'portal-try-it');
  });

  await t.test('a GraphQL API shows its SDL as highlighted text', async () => {
    await page.goto('/apis/tracking/docs');
    await page.getByRole('region', { name: /GraphQL schema/ }).waitFor();
    await page.locator('.sdl-keyword', { hasText: 'type' }).first().waitFor();
    await page.locator('.sdl-directive', { hasText: '@deprecated' }).waitFor();
    await checkPage(page, 'portal-docs-sdl');
  });
  assertNoRealProblems(desktop);
  await desktop.context.close();

  await t.test('phone width (375 px): catalog, product, API page and reference', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    for (const [path, heading, name] of [['/catalog', 'API catalog', 'portal-catalog-phone'], ['/products/orders', 'Orders API', 'portal-product-phone'], ['/apis/parcels', 'Parcels', 'portal-api-phone']] as const) {
      await phone.page.goto(path);
      await phone.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await checkPage(phone.page, name);
    }
    await phone.page.goto('/apis/parcels/docs');
    await phone.page.getByTestId('redoc').locator('h2', { hasText: 'Book a pickup' }).waitFor();
    await assertAccessible(phone.page, 'reference at 375 px');
    await screenshot(phone.page, 'portal-docs-phone');
    assertNoRealProblems(phone);
    await phone.context.close();
  });
});
