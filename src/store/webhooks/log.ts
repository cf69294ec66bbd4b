// Webhook traffic tables: messages, their deliveries (one per endpoint) and the attempts of each.
// The queries the publisher, the delivery workers and the operations API need.
import { sql } from 'kysely';
import { uuidv7 } from '../ids.ts';
import { DuplicateKeyError, isUniqueViolation, type ListQuery, type Page } from '../ports.ts';
import type { Dialect, WebhookAttemptRow, WebhookDeliveryRow, WebhookMessageRow } from '../schema.ts';
import { keysetPage, type Db } from '../page.ts';
import { toAttempt, toDelivery, toMessage, webhookId, type AttemptRecord, type DeliveryRecord, type DeliveryStatus, type MessageRecord } from './records.ts';

export type MessageInput = Omit<MessageRecord, 'id' | 'created_at'> & { idempotency_key: string | null; idempotency_expires_at: number | null; id?: string; created_at?: string };

/** What a worker learnt from one attempt, recorded if it still holds the delivery's lease. */
export interface AttemptResult extends Pick<AttemptRecord, 'outcome' | 'status_code' | 'error_code' | 'error' | 'latency_ms' | 'response_excerpt' | 'at'> {
  readonly delivery: Pick<DeliveryRecord, 'id' | 'message_id' | 'endpoint_id' | 'lease' | 'attempts' | 'trigger'>;
  /** Where the delivery goes next: done, dead-lettered, or due again at `due_at`. */
  readonly next: { readonly status: 'succeeded' | 'failed' } | { readonly status: 'pending'; readonly due_at: number };
}

export interface MessageFilter {
  readonly application_id?: string;
  readonly event_type?: string;
  readonly channel?: string;
  /** ISO instants, inclusive / exclusive. */
  readonly since?: string;
  readonly until?: string;
}

export interface AttemptFilter {
  readonly endpoint_id?: string;
  readonly message_id?: string;
  readonly delivery_id?: string;
  readonly outcome?: 'succeeded' | 'failed';
  readonly since?: string;
}

/** A claimed delivery and the body to send (null when its message was deleted meanwhile). */
export type ClaimedDelivery = DeliveryRecord & { readonly body: string | null };

/** Postgres NOTIFY channel: new deliveries are due (the workers wake instead of waiting to poll). */
export const WEBHOOK_CHANNEL = 'portcullis_webhooks';

function messageRow(input: MessageInput): WebhookMessageRow {
  return {
    id: input.id ?? webhookId('msg', uuidv7()), application_id: input.application_id, event_type: input.event_type, event_id: input.event_id,
    channels: input.channels === null ? null : JSON.stringify(input.channels), body: input.body, idempotency_key: input.idempotency_key,
    idempotency_expires_at: input.idempotency_expires_at, created_at: input.created_at ?? new Date().toISOString(),
  };
}

function deliveryRows(messageId: string, endpointIds: readonly string[], dueAt: number, trigger: string): WebhookDeliveryRow[] {
  const now = new Date().toISOString();
  return endpointIds.map((endpoint) => ({
    id: webhookId('dlv', uuidv7()), message_id: messageId, endpoint_id: endpoint, status: 'pending', trigger, attempts: 0, due_at: dueAt, lease: 0,
    last_status: null, last_error: null, created_at: now, updated_at: now,
  }));
}

export class WebhookLog {
  readonly #db: Db;
  readonly #dialect: Dialect;
  constructor(db: Db, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  // --- publishing ---------------------------------------------------------------------------

  /** The message an unexpired idempotency key was used for. */
  async messageByIdempotencyKey(key: string, nowMs: number): Promise<MessageRecord | undefined> {
    const row = await this.#db.selectFrom('webhook_messages').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    if (Number(row.idempotency_expires_at ?? 0) > nowMs) return toMessage(row);
    // Expired: the key is free again.
    await this.#db.updateTable('webhook_messages').set({ idempotency_key: null, idempotency_expires_at: null }).where('id', '=', row.id).execute();
    return undefined;
  }

  /** DuplicateKeyError when another transaction took the idempotency key first. */
  async insertMessage(input: MessageInput): Promise<MessageRecord> {
    const row = messageRow(input);
    try {
      await this.#db.insertInto('webhook_messages').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('idempotency key in use');
      throw err;
    }
    return toMessage(row);
  }

  /** One pending delivery per endpoint, due at `dueAt`; wakes the workers on Postgres. */
  async insertDeliveries(messageId: string, endpointIds: readonly string[], dueAt: number, trigger: string): Promise<DeliveryRecord[]> {
    if (endpointIds.length === 0) return [];
    const rows = deliveryRows(messageId, endpointIds, dueAt, trigger);
    await this.#db.insertInto('webhook_deliveries').values(rows).execute();
    if (this.#dialect === 'postgres') await sql`select pg_notify(${WEBHOOK_CHANNEL}, '')`.execute(this.#db);
    return rows.map(toDelivery);
  }

  /**
   * insertMessage and insertDeliveries together. On Postgres they are one statement that also
   * wakes the workers: a publish is a chain of round trips, and each one costs both processes CPU.
   */
  async insertMessageWithDeliveries(input: MessageInput, endpointIds: readonly string[], dueAt: number, trigger: string): Promise<{ message: MessageRecord; deliveries: DeliveryRecord[] }> {
    if (this.#dialect !== 'postgres' || endpointIds.length === 0) {
      const message = await this.insertMessage(input);
      return { message, deliveries: await this.insertDeliveries(message.id, endpointIds, dueAt, trigger) };
    }
    const row = messageRow(input);
    const rows = deliveryRows(row.id, endpointIds, dueAt, trigger);
    try {
      await this.#db.with('m', (db) => db.insertInto('webhook_messages').values(row))
        .with('d', (db) => db.insertInto('webhook_deliveries').values(rows))
        .selectNoFrom(sql<string>`pg_notify(${WEBHOOK_CHANNEL}, '')`.as('notified')).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('idempotency key in use');
      throw err;
    }
    return { message: toMessage(row), deliveries: rows.map(toDelivery) };
  }

  // --- the workers --------------------------------------------------------------------------

  /**
   * Claims up to `limit` due deliveries of enabled endpoints (not those in `skipEndpoints`): each
   * gets a new lease number and is pushed `leaseMs` into the future, so nobody else takes it while
   * this worker sends it, and it comes back by itself if the worker dies. On Postgres rows another
   * worker is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite serialises writers anyway.
   * Each comes with its message's body (null if the message is gone), read in the same statement
   * on Postgres: the worker sends them at once, without another round trip per claim.
   */
  async claimDue(nowMs: number, leaseMs: number, limit: number, skipEndpoints: readonly string[] = []): Promise<ClaimedDelivery[]> {
    const skip = skipEndpoints.length > 0 ? sql`and d.endpoint_id not in (${sql.join(skipEndpoints)})` : sql``;
    const due = sql`select d.id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
      where d.status = 'pending' and d.due_at <= ${nowMs} and e.disabled = 0 ${skip}
      order by d.due_at limit ${limit}`;
    const set = sql`due_at = ${nowMs + leaseMs}, lease = lease + 1, updated_at = ${new Date(nowMs).toISOString()}`;
    if (this.#dialect === 'postgres') {
      const { rows } = await sql<WebhookDeliveryRow & { body: string | null }>`with claimed as (
        update webhook_deliveries set ${set} where id in (${due} for update of d skip locked) returning *)
        select claimed.*, m.body from claimed left join webhook_messages m on m.id = claimed.message_id`.execute(this.#db);
      return rows.map((r) => ({ ...toDelivery(r), body: r.body }));
    }
    const { rows } = await sql<WebhookDeliveryRow>`update webhook_deliveries set ${set} where id in (${due}) returning *`.execute(this.#db);
    const bodies = new Map((await this.messages([...new Set(rows.map((r) => r.message_id))])).map((m) => [m.id, m.body]));
    return rows.map((r) => ({ ...toDelivery(r), body: bodies.get(r.message_id) ?? null }));
  }

  async messages(ids: readonly string[]): Promise<MessageRecord[]> {
    if (ids.length === 0) return [];
    return (await this.#db.selectFrom('webhook_messages').selectAll().where('id', 'in', ids).execute()).map(toMessage);
  }

  /**
   * Records attempts and moves their deliveries on, each only while the worker still holds the
   * lease it claimed with (one that overran its lease lost the delivery to another worker; its
   * attempt number is then recorded once, by whoever recorded first).
   */
  async recordAttempts(results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    const attempts: WebhookAttemptRow[] = results.map((r) => ({
      id: webhookId('atm', uuidv7()), delivery_id: r.delivery.id, message_id: r.delivery.message_id, endpoint_id: r.delivery.endpoint_id,
      attempt: r.delivery.attempts + 1, trigger: r.delivery.trigger, outcome: r.outcome, status_code: r.status_code, error_code: r.error_code, error: r.error,
      latency_ms: Math.round(r.latency_ms), response_excerpt: r.response_excerpt, at: r.at,
    }));
    await this.#db.insertInto('webhook_attempts').values(attempts).onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing()).execute();
    // One statement for the whole batch (a row per result joined to the deliveries): the shorter
    // the recording takes, the fewer sent-but-unrecorded deliveries a crash leaves to send again.
    const rows = results.map((r) => sql`(${r.delivery.id}, CAST(${r.delivery.lease} AS integer), ${r.next.status}, CAST(${r.delivery.attempts + 1} AS integer), CAST(${r.next.status === 'pending' ? r.next.due_at : null} AS bigint), CAST(${r.status_code} AS integer), CAST(${r.error} AS text), ${r.at})`);
    await sql`with v(id, lease, status, attempts, due_at, last_status, last_error, updated_at) as (values ${sql.join(rows)})
      update webhook_deliveries set status = v.status, attempts = v.attempts, due_at = coalesce(v.due_at, webhook_deliveries.due_at),
        last_status = v.last_status, last_error = v.last_error, updated_at = v.updated_at
      from v where webhook_deliveries.id = v.id and webhook_deliveries.lease = v.lease and webhook_deliveries.status = 'pending'`.execute(this.#db);
  }

  // --- operations ---------------------------------------------------------------------------

  listMessages(query: ListQuery & MessageFilter): Promise<Page<MessageRecord>> {
    return keysetPage(this.#db, 'webhook_messages', { ...query, descending: query.descending ?? true }, 'id', (qb) => {
      if (query.application_id !== undefined) qb = qb.where('application_id', '=', query.application_id);
      if (query.event_type !== undefined) qb = qb.where('event_type', '=', query.event_type);
      if (query.since !== undefined) qb = qb.where('created_at', '>=', query.since);
      if (query.until !== undefined) qb = qb.where('created_at', '<', query.until);
      if (query.channel !== undefined) qb = qb.where(this.#dialect === 'postgres' ? sql<boolean>`strpos(channels, ${JSON.stringify(query.channel)}) > 0` : sql<boolean>`instr(channels, ${JSON.stringify(query.channel)}) > 0`);
      return qb;
    }, toMessage);
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const row = await this.#db.selectFrom('webhook_messages').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : undefined;
  }

  async deliveriesOf(messageId: string): Promise<DeliveryRecord[]> {
    return (await this.#db.selectFrom('webhook_deliveries').selectAll().where('message_id', '=', messageId).orderBy('id').execute()).map(toDelivery);
  }

  listDeliveries(query: ListQuery & { endpoint_id?: string; status?: DeliveryStatus }): Promise<Page<DeliveryRecord>> {
    return keysetPage(this.#db, 'webhook_deliveries', { ...query, descending: query.descending ?? true }, 'id', (qb) => {
      if (query.endpoint_id !== undefined) qb = qb.where('endpoint_id', '=', query.endpoint_id);
      if (query.status !== undefined) qb = qb.where('status', '=', query.status);
      return qb;
    }, toDelivery);
  }

  listAttempts(query: ListQuery & AttemptFilter): Promise<Page<AttemptRecord>> {
    return keysetPage(this.#db, 'webhook_attempts', { ...query, descending: query.descending ?? true }, 'id', (qb) => {
      if (query.endpoint_id !== undefined) qb = qb.where('endpoint_id', '=', query.endpoint_id);
      if (query.message_id !== undefined) qb = qb.where('message_id', '=', query.message_id);
      if (query.delivery_id !== undefined) qb = qb.where('delivery_id', '=', query.delivery_id);
      if (query.outcome !== undefined) qb = qb.where('outcome', '=', query.outcome);
      if (query.since !== undefined) qb = qb.where('at', '>=', query.since);
      return qb;
    }, toAttempt);
  }

  /** Messages created since `since` that an endpoint could have received, oldest first (replay). */
  async messagesSince(applicationId: string, since: string, limit: number): Promise<MessageRecord[]> {
    const rows = await this.#db.selectFrom('webhook_messages').selectAll()
      .where((eb) => eb.or([eb('application_id', '=', applicationId), eb('application_id', 'is', null)]))
      .where('created_at', '>=', since).orderBy('created_at').orderBy('id').limit(limit).execute();
    return rows.map(toMessage);
  }

  /** Per message, the statuses of its deliveries to one endpoint. */
  async deliveryStatusesTo(endpointId: string, messageIds: readonly string[]): Promise<Map<string, DeliveryStatus[]>> {
    const out = new Map<string, DeliveryStatus[]>();
    if (messageIds.length === 0) return out;
    const rows = await this.#db.selectFrom('webhook_deliveries').select(['message_id', 'status']).where('endpoint_id', '=', endpointId).where('message_id', 'in', messageIds).execute();
    for (const r of rows) (out.get(r.message_id) ?? out.set(r.message_id, []).get(r.message_id)!).push(r.status as DeliveryStatus);
    return out;
  }

  /** Counts of an endpoint's deliveries by status, and its attempts since `since`. */
  async endpointStats(endpointId: string, since: string): Promise<{ deliveries: Record<string, number>; attempts: { outcome: string; latency_ms: number; status_code: number | null }[] }> {
    const counts = await this.#db.selectFrom('webhook_deliveries').select(['status', (eb) => eb.fn.countAll().as('n')]).where('endpoint_id', '=', endpointId).groupBy('status').execute();
    const attempts = await this.#db.selectFrom('webhook_attempts').select(['outcome', 'latency_ms', 'status_code']).where('endpoint_id', '=', endpointId).where('at', '>=', since)
      .orderBy('id', 'desc').limit(100_000).execute();
    return {
      deliveries: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
      attempts: attempts.map((a) => ({ outcome: a.outcome, latency_ms: Number(a.latency_ms), status_code: a.status_code === null ? null : Number(a.status_code) })),
    };
  }

  /** Deletes messages (with their deliveries and attempts) created before `before` and no longer pending. */
  async prune(before: string, limit: number): Promise<number> {
    const old = await this.#db.selectFrom('webhook_messages').select('id').where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries').select('id').whereRef('webhook_deliveries.message_id', '=', 'webhook_messages.id').where('status', '=', 'pending'))))
      .limit(limit).execute();
    const ids = old.map((r) => r.id);
    if (ids.length === 0) return 0;
    await this.#db.deleteFrom('webhook_attempts').where('message_id', 'in', ids).execute();
    await this.#db.deleteFrom('webhook_deliveries').where('message_id', 'in', ids).execute();
    await this.#db.deleteFrom('webhook_messages').where('id', 'in', ids).execute();
    return ids.length;
  }

  // --- endpoint health ----------------------------------------------------------------------

  async markEndpointsSucceeded(ids: readonly string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.updateTable('webhook_endpoints').set({ failing_since: null, last_success_at: at }).where('id', 'in', ids).execute();
  }

  /** Starts the failure clock of endpoints that were healthy; returns each one's clock. */
  async markEndpointsFailing(ids: readonly string[], nowMs: number): Promise<{ id: string; failing_since: number }[]> {
    if (ids.length === 0) return [];
    await this.#db.updateTable('webhook_endpoints').set({ failing_since: nowMs }).where('id', 'in', ids).where('failing_since', 'is', null).execute();
    const rows = await this.#db.selectFrom('webhook_endpoints').select(['id', 'failing_since']).where('id', 'in', ids).execute();
    return rows.filter((r) => r.failing_since !== null).map((r) => ({ id: r.id, failing_since: Number(r.failing_since) }));
  }
}
