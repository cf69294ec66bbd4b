import Type from 'typebox';

export const ConcurrencyLimitSchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Requests in flight at most, on the node (across all its gateway worker processes).' }),
  queue: Type.Integer({ minimum: 0, maximum: 100_000, default: 0, description: 'Requests that may wait for a slot beyond the limit (0 = none wait).' }),
  queue_timeout_ms: Type.Integer({ minimum: 1, maximum: 600_000, default: 1000, description: 'How long a request waits in the queue before it is refused.' }),
  scope: Type.Union([Type.Literal('route'), Type.Literal('service')], { default: 'route', description: 'One cap per route, or one cap shared by all routes of the service.' }),
  retry_after: Type.Integer({ minimum: 0, maximum: 3600, default: 1, description: 'Seconds sent as Retry-After with a refusal.' }),
}, { additionalProperties: false });
