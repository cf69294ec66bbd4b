// The webhook benchmark's receiver: a separate Node process (forked by bench/webhooks.ts, talking
// over IPC) with a plain node:http server that answers 204 to every POST as soon as the body is in,
// on keep-alive connections. It records, per delivery (endpoint path + `webhook-id`), when it
// arrived, and the publish-to-delivery latency (arrival − the payload's `published_at`: both
// clocks are this machine's wall clock at sub-millisecond resolution, performance.timeOrigin +
// performance.now()). Every 100th delivery's signature is checked with an HMAC written here (not
// the project's signing code), so the figures are proven to be real, correctly signed deliveries.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Messages the bench sends to the receiver. */
export type ReceiverCommand =
  | { readonly id: number; readonly cmd: 'secrets'; readonly secrets: Readonly<Record<string, string>> }
  | { readonly id: number; readonly cmd: 'reset' }
  | { readonly id: number; readonly cmd: 'arrivals'; readonly from: number; readonly to: number }
  | { readonly id: number; readonly cmd: 'count'; readonly tags: readonly string[] }
  | { readonly id: number; readonly cmd: 'phase'; readonly tags: readonly string[] }
  | { readonly id: number; readonly cmd: 'totals' };

export interface PhaseReport {
  /** Distinct deliveries (path + webhook-id) of messages with these tags. */
  readonly distinct: number;
  /** Deliveries that arrived again after their first arrival. */
  readonly duplicates: number;
  /** Publish-to-first-arrival latencies (ms) of the distinct deliveries, sorted ascending. */
  readonly latencies: number[];
  /** When the last of them arrived (ms, wall clock). */
  readonly lastArrival: number;
}

export interface Totals {
  readonly requests: number;
  /** Signatures checked (every 100th delivery) and how many of them failed, with the first reasons. */
  readonly signaturesChecked: number;
  readonly signatureFailures: number;
  readonly failureReasons: string[];
  /** Requests that were not deliveries of this bench (no webhook-id, unparseable body…). */
  readonly malformed: number;
}

const SIGNATURE_SAMPLE_EVERY = 100;
/** How far a webhook-timestamp may be from the arrival time (as the Standard Webhooks spec advises). */
const TIMESTAMP_TOLERANCE_S = 300;

const wallNow = (): number => performance.timeOrigin + performance.now();

interface Arrival {
  /** First arrival (ms, wall clock). */
  readonly at: number;
  readonly latency: number;
  readonly tag: string;
  copies: number;
}

let keys = new Map<string, Buffer>();
let deliveries = new Map<string, Arrival>();
/** Distinct deliveries per tag (what the bench polls while it waits for a phase to drain). */
let perTag = new Map<string, number>();
/** Every arrival's time, duplicates included (the delivered rate counts them as the worker's work). */
let arrivalTimes: number[] = [];
let requests = 0;
let checked = 0;
let failures = 0;
let malformed = 0;
let reasons: string[] = [];

function fail(reason: string): void {
  failures++;
  if (reasons.length < 5) reasons.push(reason);
}

/** Standard Webhooks v1: base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), any of a space-separated list. */
function checkSignature(path: string, req: IncomingMessage, id: string, body: Buffer, at: number): void {
  checked++;
  const key = keys.get(path);
  const timestamp = req.headers['webhook-timestamp'];
  const header = req.headers['webhook-signature'];
  if (!key) return fail(`no secret for ${path}`);
  if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) return fail('missing webhook-timestamp');
  if (Math.abs(Number(timestamp) - at / 1000) > TIMESTAMP_TOLERANCE_S) return fail(`webhook-timestamp ${timestamp} too far from now`);
  if (typeof header !== 'string') return fail('missing webhook-signature');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  const ok = header.split(' ').some((entry) => {
    if (!entry.startsWith('v1,')) return false;
    const sig = Buffer.from(entry.slice(3), 'base64');
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  });
  if (!ok) fail(`bad signature on ${path} ${id}`);
}

function onDelivery(req: IncomingMessage, body: Buffer, at: number): void {
  const path = req.url ?? '';
  const id = req.headers['webhook-id'];
  if (typeof id !== 'string') {
    malformed++;
    return;
  }
  arrivalTimes.push(at);
  if (requests % SIGNATURE_SAMPLE_EVERY === 0) checkSignature(path, req, id, body, at);
  const key = `${path} ${id}`;
  const seen = deliveries.get(key);
  if (seen) {
    seen.copies++;
    return;
  }
  let data: { published_at?: unknown; tag?: unknown } | undefined;
  try {
    data = (JSON.parse(body.toString('utf8')) as { data?: typeof data }).data;
  } catch {
    data = undefined;
  }
  if (typeof data?.published_at !== 'number' || typeof data.tag !== 'string') {
    malformed++;
    return;
  }
  deliveries.set(key, { at, latency: at - data.published_at, tag: data.tag, copies: 1 });
  perTag.set(data.tag, (perTag.get(data.tag) ?? 0) + 1);
}

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = wallNow();
    res.writeHead(204);
    res.end();
    onDelivery(req, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), at);
    requests++;
  });
});
server.headersTimeout = 60_000;

function answer(cmd: ReceiverCommand): unknown {
  switch (cmd.cmd) {
    case 'secrets':
      keys = new Map(Object.entries(cmd.secrets).map(([path, secret]) => [path, Buffer.from(secret.slice('whsec_'.length), 'base64')]));
      return true;
    case 'reset':
      deliveries = new Map();
      perTag = new Map();
      arrivalTimes = [];
      requests = checked = failures = malformed = 0;
      reasons = [];
      return true;
    case 'arrivals': {
      let n = 0;
      for (const t of arrivalTimes) if (t >= cmd.from && t < cmd.to) n++;
      return n;
    }
    case 'count':
      return cmd.tags.reduce((n, tag) => n + (perTag.get(tag) ?? 0), 0);
    case 'phase': {
      const tags = new Set(cmd.tags);
      const latencies: number[] = [];
      let duplicates = 0;
      let lastArrival = 0;
      for (const d of deliveries.values()) {
        if (!tags.has(d.tag)) continue;
        latencies.push(d.latency);
        duplicates += d.copies - 1;
        if (d.at > lastArrival) lastArrival = d.at;
      }
      latencies.sort((a, b) => a - b);
      return { distinct: latencies.length, duplicates, latencies, lastArrival } satisfies PhaseReport;
    }
    case 'totals':
      return { requests, signaturesChecked: checked, signatureFailures: failures, failureReasons: reasons, malformed } satisfies Totals;
  }
}

process.on('message', (cmd: ReceiverCommand) => {
  process.send!({ id: cmd.id, result: answer(cmd) });
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send!({ id: 0, result: (server.address() as AddressInfo).port });
});
