// Which endpoints a message goes to: the endpoint's event-type filter (exact names, or a prefix
// written `shipment.*`; none = every type) and its channels (none = every message; otherwise
// only messages published on one of them).
import type { EndpointRecord } from '../store/webhooks/records.ts';

export function endpointWants(endpoint: Pick<EndpointRecord, 'event_types' | 'channels'>, eventType: string, channels: readonly string[] | null): boolean {
  if (endpoint.event_types !== null && !endpoint.event_types.some((t) => (t.endsWith('.*') ? eventType.startsWith(t.slice(0, -1)) : t === eventType))) return false;
  if (endpoint.channels !== null && !(channels ?? []).some((c) => endpoint.channels!.includes(c))) return false;
  return true;
}
