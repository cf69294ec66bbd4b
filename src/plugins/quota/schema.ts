import Type from 'typebox';

export const QuotaSchema = Type.Object({
  source: Type.Union([Type.Literal('plan'), Type.Literal('config')], {
    default: 'plan',
    description: 'plan: the quota of the plan the caller subscribed to for this service (shared by all services of the product); config: `period` and `limit` below, per consumer and where the instance is attached.',
  }),
  period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')], { description: 'source: config only: the calendar period of the allowance.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'source: config only: requests allowed per period and consumer.' })),
  time_zone: Type.String({ default: 'UTC', minLength: 1, maxLength: 64, description: 'IANA time zone whose calendar days and months the periods follow, e.g. "Europe/Berlin".' }),
  no_plan: Type.Union([Type.Literal('reject'), Type.Literal('allow')], {
    default: 'reject',
    description: 'Callers without a consumer, or (source: plan) without a plan with a quota for this service: reject (403 subscription-required) or allow uncounted.',
  }),
  fail: Type.Union([Type.Literal('open'), Type.Literal('closed')], {
    default: 'open',
    description: 'When the quota counter cannot answer: open lets the request pass uncounted; closed answers 503 quota-unavailable.',
  }),
  cost: Type.Union([Type.Literal('request'), Type.Literal('graphql')], { default: 'request', description: 'What a request uses up: request: 1; graphql: the cost of its GraphQL operation as the graphql plugin estimated it (at least 1; other requests use 1). Quotas are then in cost units.' }),
  headers: Type.Boolean({ default: true, description: 'Send the RateLimit and RateLimit-Policy fields (policy "quota") on responses.' }),
}, { additionalProperties: false });
