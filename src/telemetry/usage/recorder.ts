// The gateway's side of usage metering: every finished exchange is recorded into this process's
// aggregate (no I/O, no waiting). A cluster worker hands the aggregate to its supervisor every
// `handoffMs`; a gateway running in the supervisor's own process is read by the writer directly.
import client from 'prom-client';
import type { RequestContext } from '../../core/pipeline/context.ts';
import { UsageAggregate, type CallRecord } from './aggregate.ts';
import { usageSettings } from './settings.ts';

const droppedHere = new client.Counter({
  name: 'portcullis_usage_calls_dropped_total',
  help: 'Calls usage metering could not record because this gateway process\'s aggregate was full (PORTCULLIS_USAGE_GATEWAY_MAX_ROWS).',
});

let local: UsageAggregate | undefined;

/** This process's aggregate (created on first use, sized by the settings). */
export function localUsage(): UsageAggregate {
  local ??= new UsageAggregate(usageSettings().gatewayMaxRows);
  return local;
}

// One record object, refilled per call: recording allocates no more than the row key.
const scratch: { -readonly [K in keyof CallRecord]: CallRecord[K] } = {
  atMs: 0, consumer: '', credential: '', product: '', plan: '', service: '', route: '', status: 0, latencyMs: 0, bytesIn: 0, bytesOut: 0,
};

/**
 * Records one finished exchange (any outcome, including the gateway's own refusals). The consumer,
 * credential and the plan the consumer's subscription gives it on this service are taken from the
 * request context; a request refused before it had one counts with empty dimensions.
 */
export function recordUsage(ctx: RequestContext | undefined, status: number, latencyMs: number, bytesIn: number, bytesOut: number): void {
  const consumer = ctx?.consumer?.id ?? '';
  const service = ctx?.serviceName ?? '';
  const entitlement = consumer === '' || service === '' ? undefined : ctx!.identities.entitlements.planFor(consumer, service);
  scratch.atMs = Date.now();
  scratch.consumer = consumer;
  scratch.credential = ctx?.credentialId ?? '';
  scratch.product = entitlement?.product ?? '';
  scratch.plan = entitlement?.plan.name ?? '';
  scratch.service = service;
  scratch.route = ctx?.routeName ?? '';
  scratch.status = status;
  scratch.latencyMs = latencyMs;
  scratch.bytesIn = bytesIn;
  scratch.bytesOut = bytesOut;
  if (!localUsage().record(scratch)) droppedHere.inc();
}
