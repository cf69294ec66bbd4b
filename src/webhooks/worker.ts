// The delivery worker: claims due deliveries, signs and sends them, records every attempt, and
// moves each delivery on (done, retried later, or dead-lettered). Several workers share one store:
// a claim leases deliveries (see WebhookLog.claimDue), so two workers never send the same attempt
// at once, and a worker that dies leaves its deliveries to be claimed again when their lease runs
// out: at-least-once. Results are written in batches (one transaction per batch), which is what
// lets one worker keep well over a thousand deliveries a second in flight on a small machine.
//
// Fairness: every endpoint has its own in-flight cap and optional rate limit, enforced here; an
// endpoint with a full local backlog is left out of the next claims, so one slow or throttled
// endpoint fills only its own queue and never the worker's capacity.
import type { MasterKey } from '../core/identity/sealed.ts';
import { signatureHeader } from '../core/webhooks/signature.ts';
import type { Store } from '../store/ports.ts';
import type { AttemptResult } from '../store/webhooks/log.ts';
import type { DeliveryRecord, EndpointRecord } from '../store/webhooks/records.ts';
import type { Logger } from '../telemetry/logger.ts';
import { webhookAttempts, webhookAttemptSeconds, webhookDeadLetters, webhookEndpointsDisabled, webhookInFlight } from '../telemetry/metrics.ts';
import { recordPlatformEvent } from './platform-events.ts';
import { retryDelay } from './schedule.ts';
import { signingKeys } from './secrets.ts';
import type { WebhookRequest, WebhookResponse } from './sender.ts';
import { onDeliveriesDue } from './wake.ts';

export interface DeliverySender {
  send(req: WebhookRequest): Promise<WebhookResponse>;
}

export interface WorkerOptions {
  readonly store: Store;
  readonly sender: DeliverySender;
  readonly masterKey: MasterKey;
  readonly logger: Logger;
  /** Per attempt, connect to last body byte. */
  readonly timeoutMs: number;
  /** How long a claim holds a delivery; longer than the timeout plus the time to record. */
  readonly leaseMs: number;
  /** Sends in flight at most (all endpoints together). */
  readonly concurrency: number;
  /** Longest wait between looks at the store when nothing announces new deliveries. */
  readonly pollMs: number;
  /** An endpoint failing without a single success for this long is disabled. */
  readonly disableAfterMs: number;
  readonly batchSize?: number;
  /** Waits between attempts (default: the standard schedule; tests shorten it). */
  readonly schedule?: readonly number[];
  readonly now?: () => number;
  readonly random?: () => number;
}

/** An endpoint as the worker uses it: the record, its signing keys in the clear, its local queue. */
interface EndpointState {
  record: EndpointRecord;
  keys: Buffer[];
  loadedAt: number;
  inFlight: number;
  queue: Claimed[];
  /** Token bucket of the endpoint's rate limit. */
  tokens: number;
  refilledAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface Claimed {
  readonly delivery: DeliveryRecord;
  readonly body: string;
  /** When the claim's lease runs out (ms). */
  readonly leaseUntil: number;
}

const ENDPOINT_REFRESH_MS = 2000;
const ENDPOINT_FORGET_MS = 10 * 60 * 1000;
const USER_HEADERS_BLOCKED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent']);

export class DeliveryWorker {
  readonly #o: WorkerOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #endpoints = new Map<string, EndpointState>();
  readonly #results: AttemptResult[] = [];
  /** Endpoints whose receiver answered 410 Gone, to be disabled with the next recorded batch. */
  readonly #gone = new Set<string>();
  #inFlight = 0;
  #queued = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #woken = false;
  #flushing: Promise<void> | undefined;
  #idle: (() => void)[] = [];
  #unsubscribe: (() => void) | undefined;
  #storeDown = false;

  constructor(opts: WorkerOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = onDeliveriesDue(() => this.wake());
    this.#loop = this.#run();
  }

  /** New deliveries may be due: claim now rather than at the next poll. */
  wake(): void {
    this.#woken = true;
    const w = this.#wakeUp;
    this.#wakeUp = undefined;
    w?.();
  }

  /**
   * Stops claiming, lets the sends in flight finish (within the timeout) and records them.
   * Queued deliveries that were not sent are simply left: their lease runs out and they are
   * claimed again.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.wake();
    await this.#loop;
    for (const s of this.#endpoints.values()) {
      clearTimeout(s.timer);
      this.#queued -= s.queue.length;
      s.queue = [];
    }
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#flush();
    webhookInFlight.set(0);
  }

  get inFlight(): number { return this.#inFlight; }

  async #run(): Promise<void> {
    const batch = this.#o.batchSize ?? 200;
    while (this.#running) {
      const room = this.#o.concurrency - this.#inFlight - this.#queued;
      let full = false;
      if (room > 0) {
        try {
          const want = Math.min(room, batch);
          const claimed = await this.#claim(want);
          full = claimed === want;
          if (this.#storeDown) {
            this.#storeDown = false;
            this.#o.logger.info({}, 'webhook worker: the store is reachable again');
          }
        } catch (err) {
          if (!this.#storeDown) this.#o.logger.warn({ error: (err as Error).message }, 'webhook worker: cannot claim deliveries; retrying');
          this.#storeDown = true;
        }
      }
      if (!full && this.#running) await this.#pause(room > 0 ? this.#o.pollMs : Math.min(this.#o.pollMs, 50));
    }
  }

  #pause(ms: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#wakeUp = undefined; resolve(); }, ms);
      this.#wakeUp = () => { clearTimeout(timer); this.#woken = false; resolve(); };
    });
  }

  /** Claims up to `want` deliveries and hands them to their endpoints; returns how many. */
  async #claim(want: number): Promise<number> {
    const now = this.#now();
    const saturated: string[] = [];
    for (const [id, s] of this.#endpoints) if (s.queue.length + s.inFlight >= this.#backlogCap(s.record)) saturated.push(id);
    const deliveries = await this.#o.store.write((tx) => tx.webhookLog.claimDue(now, this.#o.leaseMs, want, saturated.slice(0, 500)));
    if (deliveries.length === 0) return 0;
    await this.#loadEndpoints(deliveries.map((d) => d.endpoint_id), now);
    const leaseUntil = now + this.#o.leaseMs;
    for (const d of deliveries) {
      const state = this.#endpoints.get(d.endpoint_id);
      // No message: the delivery was cancelled with it.
      if (!state || d.body === null) continue;
      state.queue.push({ delivery: d, body: d.body, leaseUntil });
      this.#queued++;
      this.#drain(state);
    }
    return deliveries.length;
  }

  /** How many deliveries an endpoint may hold here (queued + in flight) before claims skip it. */
  #backlogCap(e: EndpointRecord): number {
    const byConcurrency = e.max_in_flight * 4;
    // A rate-limited endpoint gets no more than it can be sent within half a lease.
    return e.rate_limit === null ? byConcurrency : Math.max(1, Math.min(byConcurrency, Math.floor(e.rate_limit * this.#o.leaseMs / 2000)));
  }

  /** Forgets idle endpoints not seen for a while (deleted ones, quiet ones: loaded again when needed). */
  #forgetIdle(now: number): void {
    for (const [id, s] of this.#endpoints) {
      if (s.inFlight === 0 && s.queue.length === 0 && now - s.loadedAt > ENDPOINT_FORGET_MS) {
        clearTimeout(s.timer);
        this.#endpoints.delete(id);
      }
    }
  }

  async #loadEndpoints(ids: readonly string[], now: number): Promise<void> {
    if (this.#endpoints.size > 1000) this.#forgetIdle(now);
    const stale = [...new Set(ids)].filter((id) => {
      const s = this.#endpoints.get(id);
      return s === undefined || now - s.loadedAt > ENDPOINT_REFRESH_MS;
    });
    if (stale.length === 0) return;
    const records = await this.#o.store.read().webhookModel.getEndpoints(stale);
    for (const record of records) {
      let keys: Buffer[];
      try {
        keys = signingKeys(this.#o.masterKey, record.id, record.secrets, new Date(now));
      } catch (err) {
        this.#o.logger.error({ endpoint: record.id, error: (err as Error).message }, 'webhook worker: cannot open the endpoint\'s signing secret (another master key?); not sending to it');
        continue;
      }
      const s = this.#endpoints.get(record.id);
      if (s) {
        s.record = record;
        s.keys = keys;
        s.loadedAt = now;
      } else {
        this.#endpoints.set(record.id, { record, keys, loadedAt: now, inFlight: 0, queue: [], tokens: record.rate_limit ?? 0, refilledAt: now, timer: undefined });
      }
    }
  }

  /** Sends what the endpoint's caps allow now; comes back when its rate limit lets more go. */
  #drain(s: EndpointState): void {
    if (this.#gone.has(s.record.id)) return;
    const rate = s.record.rate_limit;
    while (s.queue.length > 0 && s.inFlight < s.record.max_in_flight && this.#inFlight < this.#o.concurrency) {
      const now = this.#now();
      if (rate !== null) {
        s.tokens = Math.min(rate, s.tokens + ((now - s.refilledAt) / 1000) * rate);
        s.refilledAt = now;
        if (s.tokens < 1) {
          if (!s.timer) {
            s.timer = setTimeout(() => { s.timer = undefined; this.#drain(s); }, Math.ceil(((1 - s.tokens) / rate) * 1000));
            s.timer.unref();
          }
          return;
        }
        s.tokens -= 1;
      }
      const item = s.queue.shift()!;
      this.#queued--;
      // Too little of the lease left to finish: leave it; it is claimed again when the lease ends.
      if (now + this.#o.timeoutMs >= item.leaseUntil) continue;
      void this.#send(s, item);
    }
  }

  async #send(s: EndpointState, item: Claimed): Promise<void> {
    s.inFlight++;
    this.#inFlight++;
    webhookInFlight.set(this.#inFlight);
    const { delivery, body } = item;
    const timestamp = Math.floor(this.#now() / 1000);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.record.headers)) if (!USER_HEADERS_BLOCKED.has(k.toLowerCase())) headers[k] = v;
    headers['content-type'] = 'application/json';
    headers['webhook-id'] = delivery.message_id;
    headers['webhook-timestamp'] = String(timestamp);
    headers['webhook-signature'] = signatureHeader(s.keys, delivery.message_id, timestamp, body);
    let res: WebhookResponse;
    try {
      res = await this.#o.sender.send({ url: s.record.url, headers, body, timeoutMs: this.#o.timeoutMs, allowHttp: s.record.allow_http });
    } catch (err) {
      res = { ok: false, latencyMs: 0, excerpt: '', error: { code: 'network', message: (err as Error).message } };
    }
    this.#settle(delivery, res);
    // 410 Gone: the receiver says the endpoint no longer exists; stop sending to it at once.
    if (res.status === 410 && !this.#gone.has(s.record.id)) {
      this.#gone.add(s.record.id);
      this.#queued -= s.queue.length;
      s.queue = [];
    }
    s.inFlight--;
    this.#inFlight--;
    webhookInFlight.set(this.#inFlight);
    if (this.#inFlight === 0) for (const done of this.#idle.splice(0)) done();
    this.#drain(s);
    if (this.#running && this.#inFlight + this.#queued < this.#o.concurrency / 2) this.wake();
  }

  #settle(delivery: DeliveryRecord, res: WebhookResponse): void {
    const now = this.#now();
    const made = delivery.attempts + 1;
    let next: AttemptResult['next'];
    if (res.ok) {
      next = { status: 'succeeded' };
    } else {
      const wait = retryDelay(made, this.#random(), res.retryAfterMs, this.#o.schedule);
      next = wait === undefined ? { status: 'failed' } : { status: 'pending', due_at: now + wait };
      if (wait === undefined) webhookDeadLetters.inc();
    }
    webhookAttempts.labels(res.ok ? 'succeeded' : 'failed').inc();
    webhookAttemptSeconds.observe(res.latencyMs / 1000);
    this.#results.push({
      delivery, outcome: res.ok ? 'succeeded' : 'failed', status_code: res.status ?? null, error_code: res.error?.code ?? null, error: res.error?.message ?? (res.ok ? null : `HTTP ${res.status}`),
      latency_ms: res.latencyMs, response_excerpt: res.excerpt, at: new Date(now).toISOString(), next,
    });
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = (async () => {
      // Let the sends finishing in this turn join the batch.
      await new Promise((r) => setImmediate(r));
      while (this.#results.length > 0 && this.#running) await this.#flushOnce();
    })().finally(() => { this.#flushing = undefined; });
  }

  /** At shutdown: a few tries, then the leases take over (the unrecorded deliveries are sent again). */
  async #flush(): Promise<void> {
    await this.#flushing;
    for (let tries = 0; this.#results.length > 0 && tries < 3; tries++) await this.#flushOnce();
    if (this.#results.length > 0) this.#o.logger.warn({ unrecorded: this.#results.length }, 'webhook worker: stopping without recording some attempts; those deliveries will be sent again');
  }

  /** Writes one batch of results; on a store failure they are kept and written later. */
  async #flushOnce(): Promise<void> {
    const batch = this.#results.splice(0, 500);
    const gone = [...this.#gone].filter((id) => batch.some((r) => r.delivery.endpoint_id === id && r.status_code === 410));
    const nowMs = this.#now();
    try {
      const disabled = await this.#o.store.write(async (tx) => {
        await tx.webhookLog.recordAttempts(batch);
        const ok = new Set(batch.filter((r) => r.outcome === 'succeeded').map((r) => r.delivery.endpoint_id));
        const failing = [...new Set(batch.filter((r) => r.outcome === 'failed' && !ok.has(r.delivery.endpoint_id)).map((r) => r.delivery.endpoint_id))];
        await tx.webhookLog.markEndpointsSucceeded([...ok], new Date(nowMs).toISOString());
        const clocks = await tx.webhookLog.markEndpointsFailing(failing, nowMs);
        const off: string[] = [];
        const disable = async (id: string, reason: string, failingSince: number) => {
          if (!await tx.webhookModel.disableFailingEndpoint(id, reason)) return;
          const endpoint = await tx.webhookModel.getEndpoint(id);
          const since = new Date(failingSince).toISOString();
          await recordPlatformEvent(tx, 'webhook.endpoint.disabled', `endpoint:${id}`, { endpoint_id: id, application_id: endpoint?.application_id ?? null, url: endpoint?.url ?? null, failing_since: since, reason }, `webhook.endpoint.disabled:${id}:${failingSince}`);
          off.push(id);
        };
        for (const id of gone) await disable(id, 'the receiver answered 410 Gone', clocks.find((c) => c.id === id)?.failing_since ?? nowMs);
        for (const c of clocks) {
          if (nowMs - c.failing_since >= this.#o.disableAfterMs) await disable(c.id, `failing without a success since ${new Date(c.failing_since).toISOString()}`, c.failing_since);
        }
        return off;
      });
      for (const id of gone) this.#gone.delete(id);
      for (const id of disabled) {
        webhookEndpointsDisabled.inc();
        this.#o.logger.warn({ endpoint: id }, 'webhook endpoint disabled: it failed without a single success for too long');
        const s = this.#endpoints.get(id);
        if (s) s.loadedAt = 0;
      }
    } catch (err) {
      this.#results.unshift(...batch);
      this.#o.logger.warn({ error: (err as Error).message, pending: this.#results.length }, 'webhook worker: cannot record attempts; retrying');
      await new Promise((r) => setTimeout(r, 1000));
      // The leases of these deliveries may run out meanwhile: another claim then sends them again
      // (at-least-once), and the first recording of each attempt number wins.
    }
  }
}
