// The carrier's event publisher against a real HTTP server in Portcullis's place (the publish
// endpoint's contract: POST, bearer token, Idempotency-Key, 202), which can refuse connections,
// answer 503 or 422, or hold a request unanswered. The same against the real Portcullis:
// webhooks-demo.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import type { OutgoingEvent } from './events.ts';
import { createCarrier, type Carrier, type CarrierOptions } from './server.ts';
import type { Label } from './shipments.ts';
import { CarrierClient, listen, must } from './test-support.ts';

const LABEL = { service: 'express', from: { postal_code: '10115', country: 'DE' }, to: { postal_code: '80331', country: 'DE' }, parcels: [{ weight_kg: 2, length_cm: 30, width_cm: 20, height_cm: 10 }] };
const START = Date.parse('2025-01-15T09:30:00.000Z');
const STEP = 30_000;

/** Polls until `check` holds (a deadline, not a sleep: it returns as soon as it holds). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Publish { key: string; authorization: string; body: { event_type: string; application: string; payload: OutgoingEvent['payload'] } }
type Mode = 'accept' | 'unavailable' | 'hold' | ((p: Publish) => number);

/** Where the carrier publishes: records every request and answers as `mode` says. */
class PublishEndpoint {
  readonly requests: Publish[] = [];
  /** Requests answered 202, in order. */
  readonly accepted: Publish[] = [];
  mode: Mode = 'accept';
  private readonly held: Array<{ res: ServerResponse; p: Publish }> = [];
  private server = this.newServer();
  port = 0;

  private newServer(): http.Server {
    return http.createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        const p: Publish = { key: String(req.headers['idempotency-key']), authorization: String(req.headers.authorization), body: JSON.parse(text) as Publish['body'] };
        this.requests.push(p);
        if (this.mode === 'hold') return void this.held.push({ res, p });
        this.answer(res, p);
      });
    });
  }

  private answer(res: ServerResponse, p: Publish): void {
    const status = this.mode === 'accept' || this.mode === 'hold' ? 202 : this.mode === 'unavailable' ? 503 : this.mode(p);
    if (status === 202) this.accepted.push(p);
    const body = status === 202 ? '{}' : JSON.stringify({ status, detail: `refused with ${status}` });
    res.writeHead(status, { 'content-type': status === 202 ? 'application/json' : 'application/problem+json' }).end(body);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/admin/webhooks/messages`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  async listen(port = 0): Promise<this> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (connections are refused) but keeps the port number for `listen(port)`. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close');
    this.server = this.newServer();
  }

  /** Answers the held requests the carrier still waits for, as the current mode says. */
  release(): void {
    for (const { res, p } of this.held.splice(0)) if (!res.socket?.destroyed) this.answer(res, p);
  }
}

const closers: Array<() => unknown> = [];
after(async () => {
  for (const close of closers.toReversed()) await close();
});

/** A carrier on a fake clock, publishing to `endpoint`; its timer is out of the way (tests tick). */
async function carrierFor(endpoint: PublishEndpoint, events: Partial<NonNullable<CarrierOptions['events']>> = {}, clock = { now: START }): Promise<Carrier & { client: CarrierClient; log: string[]; clock: { now: number } }> {
  const log: string[] = [];
  const carrier = createCarrier({
    now: () => clock.now,
    stepMs: STEP,
    events: { url: endpoint.url, token: 'carrier-token', pollMs: 3_600_000, minBackoffMs: 20, maxBackoffMs: 100, log: (l) => log.push(l), ...events },
  });
  const client = new CarrierClient(await listen(carrier.server));
  closers.push(() => {
    carrier.server.close();
    carrier.server.closeAllConnections();
  });
  return { ...carrier, client, log, clock };
}

async function createLabel(client: CarrierClient): Promise<Label> {
  const r = await client.call<Label>('POST', '/labels', LABEL);
  assert.equal(r.res.status, 201);
  return r.json;
}

// The event types' schemas, as Portcullis validates publishes against them.
const spec = parseYaml(readFileSync(new URL('./webhooks.yaml', import.meta.url), 'utf8')) as { event_types: Array<{ name: string; schemas: Record<string, object>; example: unknown }> };
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validators = new Map(spec.event_types.map((t) => [t.name, ajv.compile(must(t.schemas['1'], `${t.name} schema`))]));

test('webhooks.yaml: one event type per tracking status, each example valid against its own schema only', () => {
  assert.deepEqual(spec.event_types.map((t) => t.name), ['shipment.label_created', 'shipment.in_transit', 'shipment.out_for_delivery', 'shipment.delivered']);
  for (const t of spec.event_types) {
    for (const [name, validate] of validators) assert.equal(validate(t.example), name === t.name, `${t.name}'s example against ${name}`);
  }
});

test('a label publishes label_created, then each status once, in order, with its idempotency key', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  const carrier = await carrierFor(endpoint);
  const events = must(carrier.events, 'events');
  const label = await createLabel(carrier.client);
  await events.outbox.idle();
  assert.equal(endpoint.requests.length, 1);

  carrier.clock.now = START + STEP; // in transit
  events.tick();
  await events.outbox.idle();
  carrier.clock.now = START + STEP + 1000; // nothing new
  events.tick();
  carrier.clock.now = START + 60 * STEP; // the timer was late: two steps at once, in order
  events.tick();
  await events.outbox.idle();
  carrier.clock.now = START + 120 * STEP; // delivered is the last: no longer watched
  events.tick();
  await events.outbox.idle();

  const statuses = ['label_created', 'in_transit', 'out_for_delivery', 'delivered'];
  assert.deepEqual(endpoint.requests.map((p) => p.body.event_type), statuses.map((s) => `shipment.${s}`));
  assert.deepEqual(endpoint.requests.map((p) => p.key), statuses.map((s) => events.keyOf(label.tracking_number, s as 'delivered')));
  assert.equal(new Set(endpoint.requests.map((p) => p.key)).size, 4);
  for (const key of endpoint.requests.map((p) => p.key)) assert.match(key, new RegExp(`^${label.tracking_number}:[a-z_]+:[0-9a-f]{8}$`));
  assert.deepEqual(endpoint.requests.map((p) => p.body.payload.occurred_at), [0, 1, 2, 3].map((i) => new Date(START + i * STEP).toISOString()));
  for (const p of endpoint.requests) {
    assert.equal(p.authorization, 'Bearer carrier-token');
    assert.equal(p.body.application, 'demo-shop');
    assert.equal(p.body.payload.tracking_number, label.tracking_number);
    assert.equal(p.body.payload.label_id, label.label_id);
    const validate = must(validators.get(p.body.event_type), p.body.event_type);
    assert.ok(validate(p.body.payload), `${p.body.event_type}: ${JSON.stringify(validate.errors)}`);
  }
  assert.deepEqual(endpoint.requests[3]?.body.payload, {
    tracking_number: label.tracking_number, label_id: label.label_id, service: 'express', status: 'delivered',
    occurred_at: '2025-01-15T09:31:30.000Z', location: '80331, DE', from: LABEL.from, to: LABEL.to,
  });
  assert.deepEqual(carrier.log, []);
});

test('a new carrier run publishes the same tracking number under new keys (numbers restart, keys must not repeat)', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  const first = await carrierFor(endpoint);
  const second = await carrierFor(endpoint);
  const a = await createLabel(first.client);
  const b = await createLabel(second.client);
  assert.equal(a.tracking_number, b.tracking_number);
  await must(first.events, 'events').outbox.idle();
  await must(second.events, 'events').outbox.idle();
  assert.equal(endpoint.requests.length, 2);
  assert.notEqual(endpoint.requests[0]?.key, endpoint.requests[1]?.key);
});

test('while Portcullis is unreachable, events wait and are retried with the same key; they arrive in order when it is back', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  await endpoint.stop(); // connections refused from here on
  const carrier = await carrierFor(endpoint);
  const events = must(carrier.events, 'events');
  const labels = [await createLabel(carrier.client), await createLabel(carrier.client)];
  carrier.clock.now = START + STEP;
  events.tick();
  await until(() => carrier.log.length > 0, 'the outage log line');
  assert.match(must(carrier.log[0], 'log line'), /^carrier events: cannot publish to http:\/\/127\.0\.0\.1:\d+\/admin\/webhooks\/messages \(ECONNREFUSED\); keeping events and retrying$/);
  assert.equal(events.outbox.size, 4);
  // The API is unaffected.
  assert.equal((await carrier.client.call('GET', `/tracking/${labels[0]!.tracking_number}`)).res.status, 200);

  endpoint.mode = 'unavailable'; // back, but answering 503: still retried, still the same event first
  await endpoint.listen(endpoint.port);
  await until(() => endpoint.requests.length >= 3, 'three attempts');
  assert.deepEqual(new Set(endpoint.requests.map((p) => p.key)), new Set([events.keyOf(labels[0]!.tracking_number, 'label_created')]));

  endpoint.mode = 'accept';
  await events.outbox.idle();
  assert.deepEqual(endpoint.accepted.map((p) => `${p.body.payload.tracking_number} ${p.body.payload.status}`), [
    `${labels[0]!.tracking_number} label_created`, `${labels[1]!.tracking_number} label_created`,
    `${labels[0]!.tracking_number} in_transit`, `${labels[1]!.tracking_number} in_transit`,
  ]);
  assert.equal(carrier.log.length, 2, carrier.log.join('\n'));
  assert.match(must(carrier.log[1], 'recovery line'), /^carrier events: publishing again after \d+ s$/);
});

test('a publish that hangs holds up no API response; it times out and is retried', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  endpoint.mode = 'hold';
  const carrier = await carrierFor(endpoint, { timeoutMs: 300 });
  const first = await createLabel(carrier.client);
  await until(() => endpoint.heldCount === 1, 'the first publish to arrive');
  // The publish is in flight and unanswered: the API still answers, and the next label is
  // queued behind it rather than sent beside it.
  const second = await createLabel(carrier.client);
  assert.equal((await carrier.client.call('GET', `/labels/${first.label_id}`)).res.status, 200);
  assert.equal(endpoint.requests.length, 1);
  assert.equal(must(carrier.events, 'events').outbox.size, 2);
  // Unanswered past timeoutMs: the same event again (Portcullis's idempotency makes it one event).
  await until(() => endpoint.requests.length >= 2, 'the retry after the timeout');
  assert.equal(endpoint.requests[1]?.key, endpoint.requests[0]?.key);
  assert.match(must(carrier.log[0], 'log line'), /\(no answer in time\)/);
  endpoint.mode = 'accept';
  endpoint.release();
  await must(carrier.events, 'events').outbox.idle();
  assert.deepEqual([...new Set(endpoint.requests.map((p) => p.body.payload.tracking_number))], [first.tracking_number, second.tracking_number]);
});

test('the outbox is bounded: the oldest waiting events are dropped, with one line then a count', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  endpoint.mode = 'hold';
  const carrier = await carrierFor(endpoint, { maxQueue: 3 });
  const events = must(carrier.events, 'events');
  const labels = [await createLabel(carrier.client)];
  await until(() => endpoint.heldCount === 1, 'the first publish to arrive');
  for (let i = 0; i < 4; i++) labels.push(await createLabel(carrier.client));
  assert.equal(events.outbox.size, 3);
  assert.deepEqual(carrier.log, ['carrier events: outbox full (3 events): dropping the oldest until Portcullis takes them again']);
  endpoint.mode = 'unavailable';
  endpoint.release();
  await until(() => endpoint.requests.length >= 2, 'a retry');
  endpoint.mode = 'accept';
  await events.outbox.idle();
  // The one in flight stayed; of those waiting, the two oldest went.
  assert.deepEqual(endpoint.accepted.map((p) => p.body.payload.tracking_number), [labels[0], labels[3], labels[4]].map((l) => l!.tracking_number));
  assert.match(must(carrier.log.at(-1), 'recovery line'), /^carrier events: publishing again after \d+ s; 2 events were dropped meanwhile \(outbox full\)$/);
});

test('an event Portcullis refuses for good (4xx) is dropped with a line, and the next ones still go', async () => {
  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  endpoint.mode = (p) => (p.body.payload.tracking_number === 'PC0000000002' ? 422 : 202);
  const carrier = await carrierFor(endpoint);
  await createLabel(carrier.client);
  await createLabel(carrier.client);
  await must(carrier.events, 'events').outbox.idle();
  assert.equal(endpoint.requests.length, 2, 'not retried');
  assert.deepEqual(endpoint.accepted.map((p) => p.body.payload.tracking_number), ['PC0000000003']);
  assert.deepEqual(carrier.log, ['carrier events: Portcullis refused shipment.label_created for PC0000000002 (HTTP 422: refused with 422); dropped']);
});

test('without events options the carrier publishes nothing', async () => {
  const carrier = createCarrier({ stepMs: STEP });
  assert.equal(carrier.events, undefined);
  const client = new CarrierClient(await listen(carrier.server));
  closers.push(() => {
    carrier.server.close();
    carrier.server.closeAllConnections();
  });
  await createLabel(client);
});

test('run directly: --events-url is checked, announced, and the process still exits 0 on SIGTERM', async () => {
  const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
  const bad = spawn(process.execPath, [SERVER, '--port', '0', '--events-url', 'ftp://x'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bad.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  assert.equal((await once(bad, 'exit'))[0], 2);
  assert.match(stderr, /--events-url must be an http\(s\) URL/);

  const endpoint = await new PublishEndpoint().listen();
  closers.push(() => endpoint.stop());
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--events-url', endpoint.url], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORTCULLIS_EVENTS_TOKEN: 'from-env' } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const listening = must((await lines.next()).value as string | undefined, 'first line');
  const base = must(/^carrier listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(listening)?.[1], listening);
  assert.equal((await lines.next()).value, `carrier publishing shipment events to ${endpoint.url}`);
  assert.equal((await fetch(base + '/labels', { method: 'POST', body: JSON.stringify(LABEL) })).status, 201);
  await until(() => endpoint.accepted.length === 1, 'the label_created publish');
  assert.equal(endpoint.accepted[0]?.authorization, 'Bearer from-env');
  child.kill('SIGTERM');
  assert.equal((await once(child, 'exit'))[0], 0);
});
