// `portcullis demo` (what `npm start` runs): a Portcullis node on the embedded default and the
// carrier sample API as its own upstream process, which publishes shipment events through the
// node's webhooks. Prints URLs and working curls.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, flushLogger, type Logger } from '../telemetry/logger.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { installSignals } from './start.ts';
import { defaultStateDir } from './config-source.ts';
import { generateAdminToken } from '../admin/auth.ts';
import { describeDb, parseDbUrl } from '../store/open.ts';
import { startPlatform, PlatformError, type Platform } from './platform.ts';
import { carrierEventsToken, ensureDemoWebhooks } from './demo-webhooks.ts';
import { ensureDemoEdi } from './demo-edi.ts';
import { storeOpenApiDocument } from '../admin/import/openapi.ts';
import type { StartArgs } from './args.ts';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/ports.ts';
import { ensureDeveloperAccount } from '../portal/demo.ts';

const CARRIER_SERVER = fileURLToPath(new URL('../../examples/carrier/server.ts', import.meta.url));
export const DEMO_CONFIG = fileURLToPath(new URL('../../examples/carrier/portcullis.yaml', import.meta.url));
const CARRIER_OPENAPI = fileURLToPath(new URL('../../examples/carrier/openapi.yaml', import.meta.url));
const CARRIER_PORT = 9001;
/** The carrier's legacy SOAP rate service (examples/carrier/soap-rates.ts), fronted as SOAP and as REST. */
const CARRIER_SOAP_SERVER = fileURLToPath(new URL('../../examples/carrier/soap-rates.ts', import.meta.url));
const CARRIER_SOAP_PORT = 9003;
const SAMPLE_856 = 'examples/carrier/samples/856-demo-shop.edi';
/**
 * Demo only: webhooks may reach loopback receivers (webhook-receiver.ts on 127.0.0.1:9002).
 * `portcullis start` keeps the strict default, where loopback and private networks are refused.
 */
const DEMO_WEBHOOK_NETWORKS = '127.0.0.0/8,::1/128';

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the carrier API exited (code ${child.exitCode})`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the carrier API did not start in time');
}

/**
 * The demo keeps its admin token in a 0600 file beside its database, so that the README's admin
 * API call works on every start. (`portcullis start` prints its token once and keeps no copy.)
 */
function demoAdminToken(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = generateAdminToken();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/**
 * The demo shop's API key, made through the admin API on the first start and kept (0600) beside
 * the admin token, so the printed curls work on every start. Undefined when the store predates
 * the demo consumer (a data/ directory from an older version).
 */
async function demoApiKey(file: string, adminUrl: string, adminToken: string): Promise<string | undefined> {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const res = await fetch(`${adminUrl}/admin/credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ consumer: DEMO_CONSUMER, type: 'key-auth', tags: ['demo'] }),
  });
  if (res.status !== 201) return undefined;
  const { key } = await res.json() as { key: string };
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

const DEMO_CONSUMER = 'demo-shop';
export const DEMO_DEVELOPER = 'developer@demo.portcullis.dev';

/**
 * The demo developer's portal account: verified, with a generated password kept (0600) beside the
 * admin token, so the printed login works on every start. Undefined without a store (DB-less).
 */
async function demoDeveloper(file: string, store: Store | undefined): Promise<{ email: string; password: string } | undefined> {
  if (!store) return undefined;
  const password = existsSync(file) ? readFileSync(file, 'utf8').trim() : randomBytes(18).toString('base64url');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  await ensureDeveloperAccount(store, DEMO_DEVELOPER, password, 'Demo developer team');
  return { email: DEMO_DEVELOPER, password };
}

/** Where this process reaches a server bound to `host` (a wildcard address is reached on loopback). */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * The carrier's event publishing: the event types and the shop's application, and a token of its
 * own. Undefined (the carrier then runs without events) when that fails: the demo still works.
 */
async function carrierEvents(adminUrl: string, adminToken: string, tokenFile: string, logger: Logger): Promise<{ url: string; token: string } | undefined> {
  try {
    const created = await ensureDemoWebhooks(adminUrl, adminToken);
    if (created.length > 0) logger.info({ created }, 'demo webhooks set up');
    return { url: `${adminUrl}/admin/webhooks/messages`, token: await carrierEventsToken(adminUrl, adminToken, tokenFile) };
  } catch (err) {
    logger.warn({ error: (err as Error).message }, 'the carrier publishes no webhook events: setting them up failed');
    return undefined;
  }
}

export async function runDemo(args: StartArgs): Promise<void> {
  const logger = createLogger({ base: { role: 'supervisor' } });
  // Read by the platform's webhook settings when it starts; the user's own value wins.
  process.env.PORTCULLIS_WEBHOOK_ALLOW_NETWORKS ??= DEMO_WEBHOOK_NETWORKS;
  let carrier: ChildProcess | undefined;
  let carrierSoap: ChildProcess | undefined;
  let platform: Platform | undefined;
  const stopCarrier = () => {
    if (carrier && carrier.exitCode === null) carrier.kill('SIGTERM');
    if (carrierSoap && carrierSoap.exitCode === null) carrierSoap.kill('SIGTERM');
  };
  process.on('exit', stopCarrier);
  try {
    const tokenFile = join(args.stateDir ?? defaultStateDir(args.db), 'demo-admin-token');
    const adminToken = process.env.PORTCULLIS_ADMIN_TOKEN ?? demoAdminToken(tokenFile);
    // The platform first, the carrier second: the carrier is told where to publish, and the
    // admin port is only known once the platform listens (--admin-port 0). The gateway's health
    // checks tolerate the moment the carrier is not up yet (two failed probes mark it down).
    platform = await startPlatform({ ...args, seedFile: DEMO_CONFIG, adminToken, logger });
    installSignals(platform, logger, stopCarrier);
    const base = `http://localhost:${platform.proxyPort}`;
    const adminUrl = localUrl(args.adminHost, platform.adminPort);
    const keyFile = join(dirname(tokenFile), 'demo-api-key');
    const apiKey = await demoApiKey(keyFile, adminUrl, adminToken);
    if (apiKey === undefined) logger.warn({ consumer: DEMO_CONSUMER }, `no demo API key: this store predates the demo consumer; delete ${dirname(tokenFile)} to start over`);
    const events = await carrierEvents(adminUrl, adminToken, join(dirname(tokenFile), 'demo-carrier-token'), logger);
    const developerFile = join(dirname(tokenFile), 'demo-developer-password');
    const developer = await demoDeveloper(developerFile, platform.store).catch((err: unknown) => {
      logger.warn({ error: (err as Error).message }, 'no demo developer account: creating it failed');
      return undefined;
    });
    // The EDI route and trading partner (a store seeded by an older demo lacks them). Not fatal.
    await ensureDemoEdi(adminUrl, adminToken).then((created) => { if (created.length > 0) logger.info({ created }, 'demo EDI set up'); }, (err: Error) => logger.warn({ error: err.message }, 'demo EDI not set up'));
    // The carrier API's reference in the portal (its docs page and "try it"): the OpenAPI document,
    // stored for the carrier service (nothing new when unchanged). Not fatal either.
    if (platform.store) await storeOpenApiDocument(platform.store, 'carrier', CARRIER_OPENAPI).catch((err: Error) => logger.warn({ error: err.message }, 'the carrier API reference is not in the portal'));
    const carrierArgs = [CARRIER_SERVER, '--port', String(CARRIER_PORT), ...(events ? ['--events-url', events.url] : [])];
    // The token goes by environment, not argv, where every local user could read it (ps).
    carrier = spawn(process.execPath, carrierArgs, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PORTCULLIS_EVENTS_URL: '', PORTCULLIS_EVENTS_TOKEN: events?.token ?? '' } });
    await waitForHealth(`http://127.0.0.1:${CARRIER_PORT}/health`, carrier, 10_000);
    carrierSoap = spawn(process.execPath, [CARRIER_SOAP_SERVER, '--port', String(CARRIER_SOAP_PORT)], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForHealth(`http://127.0.0.1:${CARRIER_SOAP_PORT}/health`, carrierSoap, 10_000);
    const lines = [
      '',
      '  Portcullis demo is running: the carrier API behind the gateway.',
      '',
      `  Gateway        ${base}`,
      `  Admin API      ${adminUrl}/admin  (OpenAPI: /admin/openapi.json; /health, /ready, /metrics)`,
      `  Config store   ${args.configFile ?? describeDb(parseDbUrl(args.db))}`,
      `  Carrier API    http://127.0.0.1:${CARRIER_PORT}  (the upstream, direct)`,
      `  Portal         ${adminUrl}/  (the developer portal in a browser; its API: /portal/api, OpenAPI /portal/api/openapi.json)`,
      `  Admin console  ${adminUrl}/console  (sign in with the admin token in ${tokenFile})`,
      ...(developer ? [`  Developer      ${developer.email}, password in ${developerFile}`] : []),
      `  Portal try-it  calls the gateway at ${process.env.PORTCULLIS_PORTAL_GATEWAY_URL ?? localUrl(args.host, platform.proxyPort)} (PORTCULLIS_PORTAL_GATEWAY_URL; the carrier service allows the portal's origin by CORS)`,
      '',
      `  Try it (the carrier API takes an API key; the demo shop's is in ${keyFile}):`,
      `    KEY=$(cat ${keyFile})`,
      `    curl ${base}/carrier/tracking/PC0000000001 -H "apikey: $KEY"`,
      `    curl -X POST ${base}/carrier/rates -H "apikey: $KEY" -H 'content-type: application/json' \\`,
      `      -d '{"from":{"postal_code":"10115","country":"DE"},"to":{"postal_code":"75001","country":"FR"},"parcels":[{"weight_kg":2,"length_cm":30,"width_cm":20,"height_cm":10}]}'`,
      `    curl -X POST ${base}/carrier/graphql -H "apikey: $KEY" -H 'content-type: application/json' \\`,
      `      -d '{"query":"{ shipment(trackingNumber: \\"PC0000000001\\") { status events(last: 2) { at status location } } }"}'`,
      '',
      '  Live tracking over WebSocket (prints the first updates of the demo parcel):',
      `    npx node examples/carrier/ws-client.ts ${base.replace(/^http/, 'ws')}/carrier/tracking/PC0000000001/stream --header "apikey: $KEY"`,
      '  The legacy SOAP rate service, as REST JSON (mediated to SOAP 1.1; SOAP clients use /carrier-soap):',
      `    curl -X POST ${base}/carrier/legacy-rates -H "apikey: $KEY" -H 'content-type: application/json' \\`,
      `      -d '{"from":{"postalCode":"10115","country":"DE"},"to":{"postalCode":"75001","country":"FR"},"parcel":[{"weightKg":2,"lengthCm":30,"widthCm":20,"heightCm":10}]}'`,
      '',
      '  Or with an OAuth2 access token (client credentials; see README for making a client):',
      `    curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${base}/oauth2/token`,
      '',
      '  Add a route through the admin API, then call it (served within a second):',
      `    TOKEN=$(cat ${tokenFile})`,
      `    curl -X POST ${adminUrl}/admin/routes -H "authorization: Bearer $TOKEN" \\`,
      `      -H 'content-type: application/json' -d '{"name":"rates-shortcut","service":"carrier","paths":["/rates"],"methods":["POST"],"plugins":[{"name":"key-auth"}]}'`,
      `    curl -X POST ${base}/rates -H "apikey: $KEY" -H 'content-type: application/json' \\`,
      `      -d '{"from":{"postal_code":"10115","country":"DE"},"to":{"postal_code":"75001","country":"FR"},"parcels":[{"weight_kg":2,"length_cm":30,"width_cm":20,"height_cm":10}]}'`,
      '',
      '  EDI: the shop posts an X12 856 ship notice; the carrier gets JSON, the shop a 997:',
      `    curl -X POST ${base}/edi/asn -H "apikey: $KEY" -H 'content-type: application/edi-x12' \\`,
      `      --data-binary @${SAMPLE_856}`,
      '',
      events
        ? '  Webhooks: the carrier publishes shipment.* events to the demo-shop application; subscribe a receiver (README, "Webhooks").'
        : '  Webhooks: not set up (see the warning above); the carrier publishes no events.',
      '',
      ...(developer ? [
        '  The developer portal (plans Free: 1,000 calls/month and Pro: per call): log in, then browse the catalog:',
        `    curl -c /tmp/portal.jar -H 'content-type: application/json' -d "{\\"email\\":\\"${developer.email}\\",\\"password\\":\\"$(cat ${developerFile})\\"}" ${adminUrl}/portal/api/session`,
        `    curl ${adminUrl}/portal/api/catalog`,
        '',
      ] : []),
      '  Press Ctrl+C to stop.',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    if (err instanceof ConfigError) logger.error({ problems: err.issues.map(formatIssue) }, 'invalid demo config');
    else if (err instanceof PlatformError) logger.error({}, err.message);
    else logger.error({ err }, 'demo failed to start');
    stopCarrier();
    await platform?.shutdown().catch(() => undefined);
    flushLogger(logger);
    process.exit(1);
  }
}
