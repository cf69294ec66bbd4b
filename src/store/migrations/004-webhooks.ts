// Schema 4: webhooks. Event types, applications (subscribing tenants) and their endpoints; messages
// (one per published event) fanned out into deliveries (one per matching endpoint), each delivery's
// attempts recorded. A delivery is the unit the workers claim: `due_at` is when it may next be
// sent, and claiming pushes it forward by a lease, so a worker that dies mid-send leaves the
// delivery to be claimed again when the lease runs out (at-least-once).
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const webhooks: Migration = {
  version: 4,
  name: 'webhooks',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('webhook_event_types')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      // JSON: {"1": schema, "2": schema}; publishing validates against the latest unless told.
      .addColumn('schemas', 'text', (c) => c.notNull())
      .addColumn('example', 'text')
      .addColumn('platform', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();

    await s.createTable('webhook_applications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('consumer', 'text')
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createIndex('webhook_applications_consumer_idx').on('webhook_applications').column('consumer').execute();

    await s.createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      // JSON arrays, or null for "every event type" / "every channel".
      .addColumn('event_types', 'text')
      .addColumn('channels', 'text')
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('disabled_reason', 'text')
      .addColumn('allow_http', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rate_limit', 'integer')
      .addColumn('max_in_flight', 'integer', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      // JSON: [{sealed, created_at, expires_at|null}], newest first; each sealed under the master key.
      .addColumn('secrets', 'text', (c) => c.notNull())
      // ms since the epoch of the first failure since the last success (null while healthy).
      .addColumn('failing_since', 'bigint')
      .addColumn('last_success_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createIndex('webhook_endpoints_application_idx').on('webhook_endpoints').column('application_id').execute();

    await s.createTable('webhook_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // null: broadcast to every application.
      .addColumn('application_id', 'text')
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text')
      .addColumn('channels', 'text')
      // The exact bytes every attempt sends and signs.
      .addColumn('body', 'text', (c) => c.notNull())
      // Scoped by application; cleared once expired so the key can be used again.
      .addColumn('idempotency_key', 'text', (c) => c.unique())
      .addColumn('idempotency_expires_at', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('webhook_messages_app_created_idx').on('webhook_messages').columns(['application_id', 'created_at']).execute();
    await s.createIndex('webhook_messages_created_idx').on('webhook_messages').columns(['created_at', 'id']).execute();

    await s.createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      // pending → succeeded | failed (dead letter, after the last attempt)
      .addColumn('status', 'text', (c) => c.notNull())
      // scheduled (published), manual (resend, replay), test (test-send): copied to its attempts.
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      // ms since the epoch: when it may be sent next (or when a claim's lease runs out).
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      // Bumped by every claim: a worker records its result only while it still holds the lease.
      .addColumn('lease', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'due_at']).execute();
    await s.createIndex('webhook_deliveries_message_idx').on('webhook_deliveries').column('message_id').execute();
    await s.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'status']).execute();

    await s.createTable('webhook_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error_code', 'text')
      .addColumn('error', 'text')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('response_excerpt', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    // One row per attempt number: two workers can never both record attempt n of a delivery.
    await s.createIndex('webhook_attempts_delivery_attempt_idx').on('webhook_attempts').columns(['delivery_id', 'attempt']).unique().execute();
    await s.createIndex('webhook_attempts_endpoint_at_idx').on('webhook_attempts').columns(['endpoint_id', 'at']).execute();
    await s.createIndex('webhook_attempts_message_idx').on('webhook_attempts').column('message_id').execute();
  },
};
