// The platform events config changes raise (DESIGN.md §7: Portcullis publishes through its own
// webhooks): written to the events outbox in the transaction of the change, so an event exists
// exactly when its change committed, whichever path made it (admin API, config apply, import).
import type { EntityData, KindName } from '../core/entities/kinds.ts';
import type { StoreSession } from '../store/ports.ts';
import { recordPlatformEvent } from '../webhooks/platform-events.ts';

/** Records what a create or update of an entity means for subscribers of platform events. */
export async function announceEntityChange(tx: StoreSession, kind: KindName, id: string, before: EntityData | null, after: EntityData): Promise<void> {
  if (kind === 'consumer' && before === null) {
    await recordPlatformEvent(tx, 'consumer.created', `consumer:${String(after.name)}`, { consumer: after.name, consumer_id: id, custom_id: after.custom_id ?? null }, `consumer.created:${id}`);
  }
  if (kind === 'subscription' && after.status === 'active' && before?.status !== 'active') {
    const name = `${String(after.consumer)}/${String(after.product)}`;
    await recordPlatformEvent(tx, 'subscription.approved', `subscription:${name}`, { subscription: name, consumer: after.consumer, product: after.product, plan: after.plan });
  }
}
