// Webhook records as the admin API and the CLI show them: no sealed secrets (a count instead),
// the message's payload rather than its envelope bytes, instants as ISO text, no lease numbers.
import type { DeliveryRecord, EndpointRecord, MessageRecord } from '../store/webhooks/records.ts';
import { validSecrets } from './secrets.ts';

/** Shown instead of a custom header's value where values are hidden (they often carry credentials). */
export const HIDDEN = '(hidden)';

export function presentEndpoint(e: EndpointRecord, opts: { hideHeaderValues?: boolean; now?: Date } = {}) {
  const { secrets, failing_since, headers, ...rest } = e;
  return {
    ...rest,
    headers: opts.hideHeaderValues ? Object.fromEntries(Object.keys(headers).map((k) => [k, HIDDEN])) : headers,
    failing_since: failing_since === null ? null : new Date(failing_since).toISOString(),
    secrets: validSecrets(secrets, opts.now).length,
  };
}

export function presentMessage(m: MessageRecord) {
  const { body, ...rest } = m;
  return { ...rest, payload: (JSON.parse(body) as { data: unknown }).data };
}

export function presentDelivery(d: DeliveryRecord) {
  const { due_at, lease: _lease, ...rest } = d;
  return { ...rest, next_attempt_at: d.status === 'pending' ? new Date(due_at).toISOString() : null };
}
