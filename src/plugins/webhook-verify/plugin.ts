// webhook-verify: a route that receives webhooks forwards only deliveries signed with one of its
// secrets (Standard Webhooks, GitHub or Stripe style), signed recently (within tolerance_seconds),
// and not received before (the replay memory). The checks run on the exact bytes the upstream
// will get: the gateway buffers the body for this plugin (requestBodyLimit) and forwards those
// bytes unchanged. Order of the checks: headers present and well-formed, timestamp (cheap; it
// spares the HMAC for stale deliveries), signature, and only then the replay memory, so that
// nobody without a secret can use up message ids.
import { definePlugin } from '../../core/pipeline/plugin.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { pluginEvents } from '../../telemetry/metrics.ts';
import { redisCounter, type Counted } from '../shared/counting.ts';
import { PURPOSE, remember, replayWindow, type ReplayMemory } from './replay.ts';
import { WebhookVerifySchema } from './schema.ts';
import { keysOf, messageId, outOfTolerance, readDelivery, SIGNATURE_HEADER, verifyDelivery, type SchemeName } from './schemes.ts';

export interface CompiledWebhookVerify {
  readonly scheme: SchemeName;
  readonly keys: readonly Buffer[];
  readonly toleranceMs: number;
  /** undefined with replay_protection: false. */
  readonly replay: ReplayMemory | undefined;
  readonly maxBodyBytes: number;
  /** The 401s' challenge (RFC 9110 §15.5.2: a 401 names how to authenticate). */
  readonly challenge: string;
  readonly tooOld: string;
  readonly tooNew: string;
  readonly noMatch: string;
}

const EMPTY = Buffer.alloc(0);

type Outcome = 'verified' | 'signature-invalid' | 'timestamp-out-of-tolerance' | 'replayed' | 'replay-unchecked' | 'replay-check-unavailable';

function count(ctx: RequestContext, outcome: Outcome): void {
  pluginEvents.labels('webhook-verify', outcome, ctx.serviceName ?? '', ctx.routeName ?? '').inc();
}

function unauthenticated(ctx: RequestContext, conf: CompiledWebhookVerify, detail: string): PluginResponse {
  count(ctx, 'signature-invalid');
  return { problem: 'webhook-signature-invalid', detail, headers: { 'www-authenticate': conf.challenge } };
}

function decide(ctx: RequestContext, conf: CompiledWebhookVerify, counted: Counted): PluginResponse | undefined {
  if (counted.via === 'refused') {
    if (conf.replay!.failOpen) { count(ctx, 'replay-unchecked'); return undefined; }
    count(ctx, 'replay-check-unavailable');
    return { problem: 'webhook-replay-check-unavailable', headers: { 'retry-after': '1' } };
  }
  if (!counted.decision.allowed) { count(ctx, 'replayed'); return { problem: 'webhook-replayed' }; }
  count(ctx, 'verified');
  return undefined;
}

export const webhookVerify = definePlugin<typeof WebhookVerifySchema, CompiledWebhookVerify>({
  name: 'webhook-verify',
  version: '1.0.0',
  description: 'Forwards only webhook deliveries signed with one of the route\'s secrets (Standard Webhooks, GitHub or Stripe), within the timestamp tolerance and not received before.',
  // 2500: after ip-restriction (3000), so an allow list of the sender's addresses refuses strangers
  // before their bodies are read and hashed; ahead of everything else, cors and authentication
  // included (webhook senders are neither browsers nor API-key holders), so that nothing else on
  // the route (validation, rate and quota counts, cache, transformations) ever acts on an unverified
  // delivery, and the body is buffered here, before any plugin could touch it.
  priority: 2500,
  configSchema: WebhookVerifySchema,
  requestBodyLimit: (conf) => conf.maxBodyBytes,
  compile(c, env): CompiledWebhookVerify | string {
    const keys = keysOf(c.scheme, c.secrets);
    if (typeof keys === 'string') return keys;
    let replay: ReplayMemory | undefined;
    if (c.replay_protection) {
      if (c.backend === 'redis' && env.redis === undefined) return 'backend redis needs gateway.redis (the Redis every node shares)';
      const at = env.attachedTo;
      replay = {
        windows: replayWindow(c.tolerance_seconds),
        scope: at === undefined || at.scope === 'global' ? 'global' : `${at.scope}:${at.name}`,
        redis: c.backend === 'redis' ? redisCounter(env.redis!, PURPOSE) : undefined,
        failOpen: c.fail === 'open',
      };
    }
    const tol = c.tolerance_seconds;
    const header = SIGNATURE_HEADER[c.scheme];
    return {
      scheme: c.scheme,
      keys,
      toleranceMs: tol * 1000,
      replay,
      maxBodyBytes: c.max_body_bytes,
      challenge: `Webhook-Signature scheme="${c.scheme}"`,
      tooOld: `The webhook timestamp is more than ${tol} seconds old (the tolerance).`,
      tooNew: `The webhook timestamp is more than ${tol} seconds ahead of the gateway's clock (the tolerance).`,
      noMatch: `No signature in the ${header} header matches the request body under the configured secrets.`,
    };
  },
  handlers: {
    access(ctx, conf) {
      const d = readDelivery(conf.scheme, ctx.headers);
      if ('fault' in d) return unauthenticated(ctx, conf, `The ${d.header} header is ${d.fault}.`);
      const now = Date.now();
      if (d.timestamp !== undefined) {
        const off = outOfTolerance(d.timestamp, now, conf.toleranceMs);
        if (off !== undefined) {
          count(ctx, 'timestamp-out-of-tolerance');
          return { problem: 'webhook-timestamp-out-of-tolerance', detail: off === 'old' ? conf.tooOld : conf.tooNew, headers: { 'www-authenticate': conf.challenge } };
        }
      }
      // A request without a body (no Content-Length, or 0) has none buffered: the empty body.
      const body = ctx.requestBody ?? EMPTY;
      if (!verifyDelivery(d, conf.keys, body)) return unauthenticated(ctx, conf, conf.noMatch);
      if (conf.replay === undefined) { count(ctx, 'verified'); return undefined; }
      const counted = remember(conf.replay, messageId(d, body), now, ctx.log);
      if (counted instanceof Promise) return counted.then((c) => decide(ctx, conf, c));
      return decide(ctx, conf, counted);
    },
  },
});
