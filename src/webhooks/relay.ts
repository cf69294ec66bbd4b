// Relays platform events from the `events` outbox to webhook messages: to the `platform`
// application (the API owner's), and for events about a consumer also to that consumer's
// applications. Each batch is published and marked published in one transaction, so every event
// becomes messages exactly once, even with several workers relaying.
import type { Store, StoreSession } from '../store/ports.ts';
import type { EventRow } from '../store/schema.ts';
import { PLATFORM_APPLICATION, PLATFORM_EVENT_TYPES } from './platform-events.ts';
import { publishIn } from './publish.ts';
import { announceDeliveriesDue } from './wake.ts';
import { webhookPublished } from '../telemetry/metrics.ts';

const BATCH = 100;

/** Registers the platform event types and the platform application (idempotent, and safe when nodes race). */
export async function ensurePlatformModel(tx: StoreSession): Promise<void> {
  for (const [name, t] of Object.entries(PLATFORM_EVENT_TYPES)) {
    const existing = await tx.webhookModel.getEventType(name);
    const input = { name, description: t.description, schemas: { '1': t.schema }, example: t.example, platform: true };
    if (!existing) await tx.webhookModel.ensureEventType(input);
    else if (JSON.stringify(existing.schemas) !== JSON.stringify(input.schemas) || existing.description !== t.description) await tx.webhookModel.updateEventType(name, { ...input, archived: existing.archived });
  }
  if (!await tx.webhookModel.getApplication(PLATFORM_APPLICATION)) {
    await tx.webhookModel.ensureApplication({ name: PLATFORM_APPLICATION, consumer: null, description: 'Events Portcullis publishes about itself (consumers, keys, quotas, subscriptions, endpoints), for the API owner.', metadata: {} });
  }
}

async function relayOne(tx: StoreSession, event: EventRow, nowMs: number): Promise<number> {
  const def = PLATFORM_EVENT_TYPES[event.type];
  if (!def) return 0;
  const data = JSON.parse(event.payload) as Record<string, unknown>;
  const targets = new Set<string>([PLATFORM_APPLICATION]);
  if (def.toConsumer && typeof data.consumer === 'string') for (const app of await tx.webhookModel.applicationsOfConsumer(data.consumer)) targets.add(app.id);
  if (typeof data.application_id === 'string' && await tx.webhookModel.getApplication(data.application_id)) targets.add(data.application_id);
  let deliveries = 0;
  for (const application of targets) {
    const r = await publishIn(tx, { event_type: event.type, payload: data, application, event_id: event.id }, nowMs);
    deliveries += r.deliveries;
  }
  return deliveries;
}

/** Relays one batch; returns how many events it took (a full batch means: call again). */
export async function relayPlatformEvents(store: Store, nowMs = Date.now()): Promise<number> {
  const pending = await store.read().unpublishedEvents(1);
  if (pending.length === 0) return 0;
  let deliveries = 0;
  const taken = await store.write(async (tx) => {
    await ensurePlatformModel(tx);
    const events = await tx.unpublishedEvents(BATCH, true);
    for (const e of events) deliveries += await relayOne(tx, e, nowMs);
    await tx.markEventsPublished(events.map((e) => e.id), new Date(nowMs).toISOString());
    return events.length;
  });
  if (taken > 0) webhookPublished.labels('platform').inc(taken);
  if (deliveries > 0) announceDeliveriesDue();
  return taken;
}
