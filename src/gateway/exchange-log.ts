// The end of every exchange (answered, failed or abandoned by the client): the route's request
// metrics, the usage record, the access log line and the `log` phase of its plugins. Runs once,
// when the client connection is done with the request, whatever path the exchange took.
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../core/pipeline/context.ts';
import type { Step } from '../core/pipeline/compile.ts';
import { runLogPhase } from '../core/pipeline/run.ts';
import type { CompiledRoute } from '../core/snapshot/compile.ts';
import { metricsOfRoute, statusClassIndex } from '../telemetry/metrics.ts';
import { recordUsage } from '../telemetry/usage/recorder.ts';
import type { GatewayRuntime } from './runtime.ts';
import type { GatewayState } from './state.ts';

const NO_STEPS: readonly Step[] = [];

/** What the exchange knows when it ends. */
export interface ExchangeEnd {
  readonly requestId: string;
  readonly req: IncomingMessage;
  /** Undefined when the request was refused before its context was built (edge limits). */
  readonly ctx: RequestContext | undefined;
  readonly route: CompiledRoute | undefined;
  /** The answer's status; 499 when the client went away first. */
  readonly status: number;
  readonly seconds: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** The upstream target of the last attempt, if any was made. */
  readonly target: string | undefined;
  readonly attempts: number;
  /** The kind of the last upstream failure, if any. */
  readonly failure: string | undefined;
}

/** `runtime` is the one the exchange started with (a reload during the request does not change its logging). */
export function logExchange(gw: GatewayState, runtime: GatewayRuntime, end: ExchangeEnd): void {
  const { ctx, route, status, seconds } = end;
  const m = metricsOfRoute(route);
  const cls = statusClassIndex(status);
  m.count[cls]!.inc();
  m.duration[cls]!.observe(seconds);
  recordUsage(ctx, status, seconds * 1000, end.bytesIn, end.bytesOut);
  if (runtime.snapshot.settings.access_log) {
    const req = end.req;
    gw.accessLog.info({
      log: 'access',
      request_id: end.requestId,
      method: req.method,
      path: ctx?.path ?? '(invalid)',
      status,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      route: route?.name || undefined,
      service: route?.service.name || undefined,
      target: end.target,
      attempts: end.attempts || undefined,
      failure: end.failure,
      client_ip: ctx?.clientIp ?? req.socket.remoteAddress,
      bytes_in: end.bytesIn || undefined,
      bytes_out: end.bytesOut,
      user_agent: req.headers['user-agent'],
      // Fields a plugin adds about what the request was (e.g. the GraphQL operation and its cost).
      details: ctx?.vars.accessLogDetails,
    });
  }
  const steps = route?.chains.log ?? NO_STEPS;
  if (steps.length > 0) runLogPhase(steps, ctx!, (plugin, err) => gw.logger.error({ request_id: end.requestId, plugin, err }, 'log-phase plugin failed'));
}
