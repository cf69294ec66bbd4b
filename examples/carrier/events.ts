// The carrier's webhook events: `shipment.label_created` when a label is bought, then
// `shipment.<status>` each time a live shipment's tracking status moves on. They are published to
// Portcullis (POST /admin/webhooks/messages), which signs and delivers them to the shop's
// endpoints; the event types are described in webhooks.yaml.
//
// Publishing never touches the API's responses: events go into a bounded in-memory outbox and
// are sent one at a time in the background, in the order they happened. While Portcullis is
// unreachable they wait and are retried with backoff; every publish carries an Idempotency-Key,
// so a retry of a publish that did arrive (its answer was lost) never makes a second event.
import { randomBytes } from 'node:crypto';
import type { LabelRequest } from './validate.ts';
import { TRACKING_STATUSES, type Label, type ShipmentStore, type TrackingEvent, type TrackingStatus } from './shipments.ts';

export interface EventsOptions {
  /** Where to publish, e.g. http://127.0.0.1:8081/admin/webhooks/messages. */
  url: string;
  /** Bearer token of an admin API user allowed to publish (editor role). */
  token?: string;
  /** The application the events are for (one shop in the demo). */
  application?: string;
  /** Events kept while Portcullis is unreachable; past this the oldest are dropped. */
  maxQueue?: number;
  /** First retry delay; it doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** One publish request at most this long before it counts as failed. */
  timeoutMs?: number;
  /** How often live shipments are checked for a new tracking status. */
  pollMs?: number;
  /** Where the outbox reports drops and recoveries (default: stderr). */
  log?: (line: string) => void;
}

export interface ShipmentEventPayload {
  tracking_number: string;
  label_id: string;
  service: Label['service'];
  status: TrackingStatus;
  occurred_at: string;
  location: string;
  from: LabelRequest['from'];
  to: LabelRequest['to'];
}

export interface OutgoingEvent {
  event_type: string;
  payload: ShipmentEventPayload;
  /** The Idempotency-Key: the same event always gets the same key. */
  key: string;
}

/** Answers worth retrying: the request may succeed later. Anything else 4xx is refused for good. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * The bounded queue of events on their way to Portcullis and the one loop that sends them.
 * `push` is synchronous and never throws; everything else happens later.
 */
export class EventOutbox {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly application: string;
  private readonly maxQueue: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly queue: OutgoingEvent[] = [];
  private sending = false;
  private closed = false;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set while publishing fails: when it started, for the recovery line. */
  private failingSince: number | undefined;
  private dropped = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: EventsOptions) {
    this.url = opts.url;
    this.headers = { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
    this.application = opts.application ?? 'demo-shop';
    this.maxQueue = opts.maxQueue ?? 1000;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.log = opts.log ?? ((line) => console.error(line));
  }

  /** Events waiting (including the one being sent). */
  get size(): number {
    return this.queue.length;
  }

  push(event: OutgoingEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      // The oldest waiting one goes: for tracking, the latest status is the one a shop still
      // wants. Never the head while it is in flight: it leaves the queue when its answer comes.
      if (this.dropped === 0) this.log(`carrier events: outbox full (${this.maxQueue} events): dropping the oldest until Portcullis takes them again`);
      this.dropped += 1;
      const oldestWaiting = this.sending ? 1 : 0;
      if (this.queue.length <= oldestWaiting) return; // nothing waits (maxQueue 1): the new one goes
      this.queue.splice(oldestWaiting, 1);
    }
    this.queue.push(event);
    // On the next turn, not inside the caller: the API's response is never behind a publish.
    if (!this.sending && this.retryTimer === undefined) setImmediate(() => void this.pump());
  }

  /** Resolves once nothing is queued (every event was published or refused). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying; what is still queued is forgotten (the outbox lives in memory only). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async pump(): Promise<void> {
    if (this.sending || this.closed) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const event = this.queue[0]!;
        const outcome = await this.send(event);
        if (outcome === 'retry') {
          this.scheduleRetry();
          return;
        }
        this.queue.shift();
        if (this.failingSince !== undefined) this.recovered();
      }
    } finally {
      this.sending = false;
      if (this.queue.length === 0) this.wakeIdle();
    }
  }

  private async send(event: OutgoingEvent): Promise<'done' | 'retry'> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { ...this.headers, 'idempotency-key': event.key },
        body: JSON.stringify({ event_type: event.event_type, application: this.application, payload: event.payload }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      this.failing(describeFetchError(err));
      return 'retry';
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return 'done';
    if (retryable(res.status)) {
      this.failing(`HTTP ${res.status}`);
      return 'retry';
    }
    // Refused for good (a bad token, an unknown application, a payload the schema rejects):
    // retrying would be refused again, and would hold up every event behind it.
    this.log(`carrier events: Portcullis refused ${event.event_type} for ${event.payload.tracking_number} (HTTP ${res.status}${problemDetail(text)}); dropped`);
    return 'done';
  }

  private failing(reason: string): void {
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.log(`carrier events: cannot publish to ${this.url} (${reason}); keeping events and retrying`);
    }
  }

  private recovered(): void {
    const seconds = Math.round((Date.now() - this.failingSince!) / 1000);
    this.log(`carrier events: publishing again after ${seconds} s${this.dropped > 0 ? `; ${this.dropped} events were dropped meanwhile (outbox full)` : ''}`);
    this.failingSince = undefined;
    this.dropped = 0;
    this.backoffMs = 0;
  }

  private scheduleRetry(): void {
    // No jitter: there is one publisher per carrier process, nothing to spread out.
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs === 0 ? this.minBackoffMs : this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.pump();
    }, this.backoffMs);
    // A carrier that is shutting down does not wait for Portcullis to come back.
    this.retryTimer.unref();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  return e.cause?.code ?? e.message;
}

/** ": <detail>" from a problem+json answer, short and on one line. */
function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: unknown };
    return typeof p.detail === 'string' ? `: ${p.detail.replaceAll(/\s+/g, ' ').slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

interface Watched {
  label: Label;
  request: LabelRequest;
  createdMs: number;
  /** Tracking events already published. */
  sent: number;
  /** When the next status is due. */
  dueMs: number;
}

/**
 * Turns labels and tracking into events: `labelCreated` on every new label, and a timer that
 * notices each status a live shipment reaches (all of them, in order, even when the timer was late
 * by several steps). Delivered or forgotten shipments are no longer watched.
 */
export class ShipmentEvents {
  readonly outbox: EventOutbox;
  private readonly store: ShipmentStore;
  private readonly now: () => number;
  private readonly watching = new Map<string, Watched>();
  private readonly timer: NodeJS.Timeout;
  /**
   * Tracking numbers start again at PC0000000002 when the carrier restarts, and Portcullis
   * remembers idempotency keys for 24 hours: the run id keeps a new run's events from passing
   * for an earlier run's.
   */
  private readonly run = randomBytes(4).toString('hex');

  constructor(store: ShipmentStore, opts: EventsOptions & { now?: () => number }) {
    this.store = store;
    this.outbox = new EventOutbox(opts);
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.tick(), opts.pollMs ?? 1000);
    this.timer.unref();
  }

  labelCreated(label: Label, request: LabelRequest): void {
    const watched: Watched = { label, request, createdMs: Date.parse(label.created_at), sent: 0, dueMs: 0 };
    this.watching.set(label.tracking_number, watched);
    this.advance(watched, this.now());
  }

  /** Publishes every status reached since the last look. Public so tests can step a fake clock. */
  tick(): void {
    const now = this.now();
    for (const watched of this.watching.values()) if (now >= watched.dueMs) this.advance(watched, now);
  }

  close(): void {
    clearInterval(this.timer);
    this.outbox.close();
  }

  /** The key a status of a shipment is published with. */
  keyOf(trackingNumber: string, status: TrackingStatus): string {
    return `${trackingNumber}:${status}:${this.run}`;
  }

  private advance(watched: Watched, now: number): void {
    const number = watched.label.tracking_number;
    const tracking = this.store.tracking(number);
    if (!tracking) {
      // Forgotten by the store (its capacity): nothing more will happen to it.
      this.watching.delete(number);
      return;
    }
    for (const event of tracking.events.slice(watched.sent)) this.outbox.push(this.eventOf(watched, event));
    watched.sent = Math.max(watched.sent, tracking.events.length);
    if (watched.sent >= TRACKING_STATUSES.length) this.watching.delete(number);
    else watched.dueMs = Math.max(now, watched.createdMs + watched.sent * this.store.stepMs);
  }

  private eventOf(watched: Watched, event: TrackingEvent): OutgoingEvent {
    const { label, request } = watched;
    return {
      event_type: `shipment.${event.status}`,
      key: this.keyOf(label.tracking_number, event.status),
      payload: {
        tracking_number: label.tracking_number,
        label_id: label.label_id,
        service: label.service,
        status: event.status,
        occurred_at: event.at,
        location: event.location,
        from: request.from,
        to: request.to,
      },
    };
  }
}
