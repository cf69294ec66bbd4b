import Type, { type Static } from 'typebox';

export const WINDOW_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;
export type WindowName = keyof typeof WINDOW_SECONDS;

const Window = Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]);

export const RateLimitingSchema = Type.Object({
  limits: Type.Array(Type.Object({
    window: Window,
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  }, { additionalProperties: false }), { default: [], maxItems: 4, description: 'At most `limit` requests per window; all windows apply at once. With `source: plan`, these are the limits of callers without a plan.' }),
  source: Type.Union([Type.Literal('config'), Type.Literal('plan')], { default: 'config', description: 'config: the `limits` above; plan: the `rate_limits` of the plan the caller subscribed to for this service.' }),
  limit_by: Type.Union([
    Type.Literal('consumer'), Type.Literal('credential'), Type.Literal('ip'), Type.Literal('header'),
    Type.Literal('route'), Type.Literal('service'), Type.Literal('plan'),
  ], { default: 'consumer', description: 'Whose requests share a count. consumer, credential, header and plan fall back to the client IP when the request has none.' }),
  header_name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', description: 'limit_by header: the request header whose value is counted.' })),
  backend: Type.Union([Type.Literal('local'), Type.Literal('redis')], { default: 'local', description: 'local: counted in this node (exact across its worker processes); redis: counted in gateway.redis (exact across every node).' }),
  fail: Type.Union([Type.Literal('open'), Type.Literal('closed')], { default: 'open', description: 'When the counter cannot answer (Redis down or too slow): open counts on this node instead (a per-node limit); closed answers 503.' }),
  cost: Type.Union([Type.Literal('request'), Type.Literal('graphql')], { default: 'request', description: 'What a request counts for: request: 1; graphql: the cost of its GraphQL operation as the graphql plugin estimated it (at least 1; other requests count 1). Limits are then in cost units.' }),
  hide_headers: Type.Boolean({ default: false, description: 'Do not send RateLimit-Policy / RateLimit on responses (429s still carry Retry-After).' }),
}, { additionalProperties: false });

export type RateLimitingConfig = Static<typeof RateLimitingSchema>;
