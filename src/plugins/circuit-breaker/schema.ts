import Type from 'typebox';
import { HeaderNameSchema, HeaderValueSchema } from '../shared/schema.ts';

export const FallbackSchema = Type.Object({
  status: Type.Integer({ minimum: 200, maximum: 599, default: 503, description: 'Status of the fallback answer.' }),
  headers: Type.Record(HeaderNameSchema, HeaderValueSchema, { default: {}, maxProperties: 32, description: 'Headers of the fallback answer.' }),
  body: Type.String({ maxLength: 65536, default: '', description: 'Body of the fallback answer.' }),
  content_type: Type.Optional(HeaderValueSchema),
}, { additionalProperties: false });

export const CircuitBreakerSchema = Type.Object({
  level: Type.Union([Type.Literal('both'), Type.Literal('targets'), Type.Literal('service')], { default: 'both', description: 'Which breakers: one per upstream target, one for the whole service, or both.' }),
  failure_ratio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Share of failed requests in the window that opens the breaker.' }),
  min_requests: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20, description: 'Requests the window needs before the ratio counts.' }),
  window_ms: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000, description: 'Length of the rolling window (ten buckets).' }),
  cooldown_ms: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 30_000, description: 'How long an open breaker refuses before letting probes through.' }),
  cooldown_multiplier: Type.Number({ minimum: 1, maximum: 10, default: 1, description: 'Each failed half-open round multiplies the cool-down by this (1 = constant).' }),
  max_cooldown_ms: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 300_000, description: 'Upper bound of a growing cool-down.' }),
  half_open_max_probes: Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Probe requests a half-open breaker lets through at once.' }),
  half_open_successes: Type.Integer({ minimum: 1, maximum: 1000, default: 2, description: 'Successful probes that close a half-open breaker.' }),
  failure_statuses: Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { default: [500, 502, 503, 504], maxItems: 100, uniqueItems: true, description: 'Upstream statuses that count as failures (connection errors and timeouts always do).' }),
  fallback: Type.Optional(FallbackSchema),
}, { additionalProperties: false });
