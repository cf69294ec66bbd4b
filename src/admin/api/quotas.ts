// Quota usage as the store holds it: each node adds its counts there every second, so what this
// shows lags the gateway's own counts by up to about a second (more while the store is down). Read
// from the store so that an admin process apart from the gateways sees every node's usage.
import Type from 'typebox';
import type { QuotaUsageRow } from '../../store/schema.ts';
import type { ConfigService } from '../config-service.ts';
import { findEntity } from './entities.ts';
import { CURSOR_PARAM, LIMIT_PARAM, Timestamp, pageBody, pageParams, pageSchema, type Operation } from './types.ts';

const UsageSchema = Type.Object({
  subject: Type.String({ description: 'What the allowance belongs to: `subscription:<consumer>/<product>` (plan quotas) or `consumer:<consumer>[@service:<name>|@route:<name>]` (configured ones).' }),
  consumer: Type.String(),
  plan: Type.Union([Type.String(), Type.Null()]),
  product: Type.Union([Type.String(), Type.Null()]),
  period: Type.Union([Type.Literal('day'), Type.Literal('month')]),
  period_start: Timestamp,
  limit: Type.Integer(),
  used: Type.Integer({ description: 'Requests counted so far in this period, by every node (as of their last flush, ≤ 1 s ago).' }),
  remaining: Type.Integer({ minimum: 0 }),
  resets_at: Timestamp,
  updated_at: Timestamp,
}, { title: 'QuotaUsage' });

export function presentUsage(row: QuotaUsageRow): Record<string, unknown> {
  return {
    subject: row.subject, consumer: row.consumer, plan: row.plan, product: row.product, period: row.period, period_start: row.period_start,
    limit: row.limit, used: row.used, remaining: Math.max(0, row.limit - row.used), resets_at: row.period_end, updated_at: row.updated_at,
  };
}

export function quotaOperations(service: ConfigService): Operation[] {
  const store = service.store;
  return [
    {
      id: 'list-quotas', method: 'GET', path: '/admin/quotas', tag: 'Quota', role: 'viewer',
      summary: 'Quota usage of the current periods',
      description: 'One item per subject whose current period has counted requests, ordered by subject. Usage reaches the store within about a second of being counted.',
      query: [LIMIT_PARAM, CURSOR_PARAM,
        { name: 'consumer', description: 'Only this consumer’s allowances.', schema: Type.String() },
        { name: 'plan', description: 'Only allowances of this plan.', schema: Type.String() }],
      responses: { 200: { description: 'One page.', schema: pageSchema(UsageSchema) } },
      async handler(input) {
        const q = input.query;
        const page = await store.read().listQuotaUsage({
          ...pageParams(q), current_at: new Date().toISOString(),
          ...(q.consumer !== undefined ? { consumer: q.consumer } : {}), ...(q.plan !== undefined ? { plan: q.plan } : {}),
        });
        return { body: pageBody(page, presentUsage) };
      },
    },
    {
      id: 'get-consumer-quota', method: 'GET', path: '/admin/consumers/{id}/quota', tag: 'Quota', role: 'viewer',
      summary: 'A consumer’s quota usage in the current periods',
      description: 'The consumer by id or name; one item per allowance (each subscription with a plan quota, each configured quota) that has counted requests this period.',
      query: [LIMIT_PARAM, CURSOR_PARAM],
      responses: { 200: { description: 'One page.', schema: pageSchema(UsageSchema) } },
      problems: ['not-found'],
      async handler(input) {
        const consumer = await findEntity(service, 'consumer', input.params.id!);
        const page = await store.read().listQuotaUsage({ ...pageParams(input.query), consumer: consumer.key, current_at: new Date().toISOString() });
        return { body: pageBody(page, presentUsage) };
      },
    },
  ];
}
