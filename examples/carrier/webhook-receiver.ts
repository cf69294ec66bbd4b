// A tiny webhook receiver for the demo: what a shop's endpoint does with the carrier's events.
// It checks each delivery's Standard Webhooks signature (webhook-id, webhook-timestamp,
// webhook-signature; HMAC-SHA256 under the endpoint's `whsec_` secret) and its timestamp (5
// minutes either way, so a captured delivery cannot be replayed later), prints one line per
// delivery, and answers 204, or 401 when the delivery is not authentic (Portcullis then retries).
//
//   npx node examples/carrier/webhook-receiver.ts --port 9002 --secret whsec_…
//       (or WEBHOOK_SECRET=whsec_…; --secret twice during a rotation; 127.0.0.1 only)
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { secretKey, verifySignatureHeader, WebhookSecretError } from '../../src/core/webhooks/signature.ts';

/** How far a delivery's timestamp may be from our clock. */
export const TOLERANCE_SECONDS = 5 * 60;
/** Shipment events are small; anything this large is not one. */
const MAX_BODY_BYTES = 256 * 1024;
/** Webhook ids remembered to mark deliveries that arrive again (retries, resends, replays). */
const REMEMBERED_IDS = 1000;

export interface Delivery {
  /** The webhook-id (Portcullis's message id; the same on every retry of a message). */
  id: string;
  verified: boolean;
  /** Why it was refused, when not verified. */
  reason?: string;
  /** The same webhook-id was received before. */
  again: boolean;
  /** From the body: `type` and the shipment's `data` (as claimed, when not verified). */
  type: string;
  trackingNumber: string;
  status: string;
  body: string;
}

export interface ReceiverOptions {
  /** `whsec_…` secrets; a delivery signed by any of them is authentic. */
  secrets: readonly string[];
  toleranceSeconds?: number;
  /** Seconds since the epoch (injected by tests). */
  now?: () => number;
  /** Called for every delivery, verified or not (default: print a line). */
  onDelivery?: (delivery: Delivery) => void;
}

/** Why the headers and body are not an authentic, fresh delivery; undefined when they are. */
export function verifyDelivery(headers: http.IncomingHttpHeaders, body: Buffer, keys: readonly Buffer[], nowSeconds: number, toleranceSeconds = TOLERANCE_SECONDS): string | undefined {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return 'missing webhook-* headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed webhook-timestamp';
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) return 'timestamp outside the tolerance';
  return verifySignatureHeader(signature, keys, id, ts, body) ? undefined : 'bad signature';
}

/** What the body says, without trusting it to be shaped right. */
function summary(body: string): Pick<Delivery, 'type' | 'trackingNumber' | 'status'> {
  try {
    const parsed = JSON.parse(body) as { type?: unknown; data?: { tracking_number?: unknown; status?: unknown } };
    // Printed to a terminal: control characters (escape sequences) become "?".
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64).replaceAll(/[^\x20-\x7e]/g, '?') : '-');
    return { type: text(parsed.type), trackingNumber: text(parsed.data?.tracking_number), status: text(parsed.data?.status) };
  } catch {
    return { type: '(not JSON)', trackingNumber: '-', status: '-' };
  }
}

export function formatDelivery(d: Delivery, at = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  const mark = d.verified ? '✓ verified' : `✗ ${d.reason ?? 'refused'}`;
  return `${time}  ${d.type.padEnd(26)} ${d.trackingNumber.padEnd(13)} ${d.status.padEnd(17)} ${mark}${d.again ? ' (again)' : ''}`;
}

/** The body, or undefined past the cap (the rest is read and thrown away, so the 413 arrives). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = Number(req.headers['content-length'] ?? 0);
    let tooLarge = size > MAX_BODY_BYTES;
    if (!tooLarge) size = 0;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      tooLarge = size > MAX_BODY_BYTES;
      if (tooLarge) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A receiver server, not yet listening. Throws WebhookSecretError for a malformed secret. */
export function createWebhookReceiver(opts: ReceiverOptions): http.Server {
  const keys = opts.secrets.map(secretKey);
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const onDelivery = opts.onDelivery ?? ((d: Delivery) => console.log(formatDelivery(d)));
  const seen = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    const reason = verifyDelivery(req.headers, body, keys, now(), opts.toleranceSeconds);
    const id = String(req.headers['webhook-id'] ?? '-');
    const again = reason === undefined && seen.has(id);
    if (reason === undefined && !again) {
      seen.add(id);
      // Sets iterate in insertion order: the first is the oldest.
      if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!);
    }
    const text = body.toString('utf8');
    onDelivery({ id, verified: reason === undefined, ...(reason ? { reason } : {}), again, ...summary(text), body: text });
    res.writeHead(reason === undefined ? 204 : 401).end();
  };
  return http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
}

function main(): void {
  const usage = 'usage: webhook-receiver.ts [--port N] --secret whsec_… (or WEBHOOK_SECRET)';
  let port: number;
  let secrets: string[];
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' }, secret: { type: 'string', multiple: true } }, strict: true });
    const raw = values.port ?? process.env.PORT ?? '9002';
    port = Number(raw);
    if (!/^\d{1,5}$/.test(raw) || port > 65535) throw new Error(`invalid port ${JSON.stringify(raw)}`);
    secrets = values.secret ?? (process.env.WEBHOOK_SECRET ? [process.env.WEBHOOK_SECRET] : []);
    if (secrets.length === 0) throw new Error('a secret is needed to verify deliveries: the endpoint\'s, from the answer that created it');
  } catch (err) {
    console.error(`receiver: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  let server: http.Server;
  try {
    server = createWebhookReceiver({ secrets });
  } catch (err) {
    if (!(err instanceof WebhookSecretError)) throw err;
    console.error(`receiver: ${err.message}`);
    process.exit(2);
  }
  server.on('error', (err) => {
    console.error(`receiver: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`receiver listening on http://127.0.0.1:${(server.address() as AddressInfo).port}: one line per delivery`);
  });
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.main) main();
