// Browser test harness: a real Portcullis node (store mode, SQLite, the production web build)
// seeded like the demo through its admin API, a real upstream behind it, and real headless
// Chromium driven by playwright-core. Each page can be checked with axe-core (no serious or
// critical violation) and screenshotted to test-results/web/. Console errors and
// Content-Security-Policy violations are collected: the app must run under its own CSP.
//
// Chromium is /usr/bin/chromium: without it the tests skip locally and FAIL on CI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb, isUpToDate } from '../../web/build.ts';
import { expectStatus, spawnNode, until, type NodeProcess } from '../harness/node.ts';
import { onCi } from '../harness/postgres.ts';
import { startUpstream, type Upstream } from '../harness/upstream.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS = fileURLToPath(new URL('../../test-results/web/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let shared: Promise<Browser> | undefined;

/**
 * The browser, launched once per test file (each test then opens its own contexts), or undefined
 * with the test skipped when Chromium is missing off CI. Close it with `closeBrowser` in `after`.
 */
export async function launchBrowser(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (onCi()) assert.fail(`${CHROMIUM} is missing: browser tests cannot be skipped on CI (apt-get install -y chromium)`);
    t.skip(`${CHROMIUM} is not installed`);
    return undefined;
  }
  shared ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return shared;
}

export async function closeBrowser(): Promise<void> {
  const browser = await shared?.catch(() => undefined);
  shared = undefined;
  await browser?.close();
}

export interface Seeded {
  readonly node: NodeProcess;
  readonly upstream: Upstream;
  /** acme's API key (subscribed to orders on "starter"). */
  readonly acmeKey: string;
  /** A viewer's admin token (read-only console). */
  readonly viewerToken: string;
}

/**
 * A node serving the current web build, with: service + route "orders" (key-auth, rate-limiting
 * from the caller's plan), plans "starter" (100/minute) and "gold" (approval required), product
 * "orders", consumer acme (active on starter, with a key) and globex (pending on gold).
 * `opts.env` adds to the node's environment (e.g. short usage metering intervals).
 */
export async function startSeededNode(t: TestContext, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Seeded> {
  if (!isUpToDate()) await buildWeb();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-web-'));
  const upstream = await startUpstream();
  // Webhook endpoints on loopback are allowed, so the console can register one without DNS.
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, stateDir: join(dir, 'state'), env: { PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8', ...opts.env }, t });
  t.after(async () => {
    await node.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    services: [{ name: 'orders', targets: [{ url: upstream.url }], retries: 0 }],
    routes: [{
      name: 'orders', service: 'orders', paths: ['/orders'],
      plugins: [{ name: 'key-auth', config: {} }, { name: 'rate-limiting', config: { source: 'plan', limit_by: 'consumer' } }],
    }],
    consumers: [{ name: 'acme' }, { name: 'globex' }],
    plans: [
      { name: 'starter', title: 'Starter', rate_limits: [{ window: 'minute', limit: 100 }], price: { model: 'free' } },
      { name: 'gold', title: 'Gold', rate_limits: [{ window: 'minute', limit: 1000 }], price: { model: 'flat', currency: 'USD', monthly_minor: 9900 }, requires_approval: true },
    ],
    products: [{ name: 'orders', title: 'Orders API', services: ['orders'], plans: ['starter', 'gold'], status: 'published' }],
    subscriptions: [{ consumer: 'acme', product: 'orders', plan: 'starter', status: 'active' }, { consumer: 'globex', product: 'orders', plan: 'gold', status: 'pending' }],
  }), 'seed config');
  const key = expectStatus(await node.admin('POST', '/admin/credentials', { consumer: 'acme', type: 'key-auth' }), 'acme key', 201);
  expectStatus(await node.admin('POST', '/admin/users', { name: 'watcher', role: 'viewer' }), 'viewer user', 201);
  const viewer = expectStatus(await node.admin('POST', '/admin/users/watcher/tokens', { name: 'console' }), 'viewer token', 201);
  // Everything above is being served once the node reports ready on the latest revision.
  await untilServing(node, 0);
  return { node, upstream, acmeKey: String(key.body.key), viewerToken: String(viewer.body.token) };
}

/**
 * The link of the last mail of this kind to this address, read from the node's log (the log mail
 * transport), as a URL on the node's admin origin: the node listens on an OS-chosen admin port,
 * which the default PORTCULLIS_PORTAL_URL (built before listening) does not know.
 */
export async function mailedLink(node: NodeProcess, to: string, kind: string): Promise<string> {
  let link: string | undefined;
  await until(() => {
    const mails = node.logs().split('\n').filter((l) => l.includes('"portal.mail"'))
      .map((l) => (JSON.parse(l) as { mail: { to: string; kind: string; link?: string } }).mail)
      .filter((m) => m.to === to && m.kind === kind);
    link = mails.at(-1)?.link;
    return link !== undefined;
  }, 15_000, `${kind} mail to ${to}`);
  // The link names the portal as the node serves it (its admin listener, on an OS-chosen port here).
  assert.equal(new URL(link!).origin, new URL(node.adminUrl).origin, 'the mailed link points at the node\'s own portal');
  return link!;
}

/** Signs in to the admin console with an admin token and waits for its dashboard. */
export async function signInToConsole(page: Page, token: string): Promise<void> {
  await page.goto('/console');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

/** Waits until every gateway process serves a config revision above `after`; returns it. */
export async function untilServing(node: NodeProcess, after: number): Promise<number> {
  let revision = after;
  await until(async () => {
    const r = await node.ready();
    revision = r.config_revision ?? 0;
    return r.ready && revision > after;
  }, 15_000, `config revision > ${after} served`);
  return revision;
}

export interface BrowserPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and CSP violations seen so far. */
  readonly problems: string[];
}

/** A fresh browser context (own cookies) at a viewport width, with error collection. */
export async function openPage(browser: Browser, baseURL: string, width = 1280): Promise<BrowserPage> {
  const context = await browser.newContext({ baseURL, viewport: { width, height: 900 } });
  // Generous for a loaded CI machine; a passing step never waits for it.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, context, problems };
}

/** No console error, no CSP violation, no uncaught exception (401s the app handles are fine). */
export function assertNoPageProblems(p: BrowserPage): void {
  // The browser logs every 4xx answer to a fetch as a console error; the app handles those (the
  // session check's 401, a form's 400 shown on its fields). CSP violations and exceptions remain.
  const real = p.problems.filter((m) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(m));
  assert.deepEqual(real, [], 'the page ran without errors or CSP violations');
}

/** axe-core on the current page: no serious or critical violation. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: axe found serious or critical violations`);
}

/** A full-page screenshot to test-results/web/<name>.png (for people, not for assertions). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

/** The page does not scroll sideways (text and tables fit or scroll within their own boxes). */
export async function assertNoHorizontalOverflow(page: Page, what: string): Promise<void> {
  // A string: the test code is type-checked without the DOM library.
  const { scroll, width } = await page.evaluate('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })') as { scroll: number; width: number };
  assert.ok(scroll <= width, `${what}: the page is ${scroll}px wide in a ${width}px viewport`);
}

/**
 * The secret in the open "shown once" dialog (an API key, a client secret, a signing secret), read
 * by its label; the dialog is then closed with "I have copied it".
 */
export async function takeShownOnce(page: Page, label: string): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.getByText('This is the only time it is shown').waitFor();
  const value = (await dialog.getByLabel(label, { exact: true }).textContent())?.trim() ?? '';
  assert.ok(value.length > 10, `${label} shown: ${value}`);
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  await dialog.waitFor({ state: 'detached' });
  return value;
}

/** GETs a gateway path with an API key; the status. */
export async function gatewayStatus(node: NodeProcess, path: string, key: string): Promise<number> {
  const r = await fetch(`${node.proxyUrl}${path}`, { headers: { apikey: key } });
  await r.arrayBuffer();
  return r.status;
}
