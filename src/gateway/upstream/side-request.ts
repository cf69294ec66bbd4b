// Requests to a route's upstream outside any client exchange (the plugin contract's
// ctx.upstreamFetch): a background cache refresh. One attempt at a healthy target, the service's
// timeouts, the same forwarding headers as a proxied request, and a cap on the body it collects.
import type { Dispatcher } from 'undici';
import type { HeaderMap, RequestContext, SideResponse, UpstreamFetch } from '../../core/pipeline/context.ts';
import { appendHeader, headerMapFromList, responseHeaderList, stripHopByHop, VIA } from '../headers.ts';
import type { GatewayState } from '../state.ts';

export class SideRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SideRequestError';
  }
}

export function createUpstreamFetch(gw: () => GatewayState): UpstreamFetch {
  return (ctx: RequestContext, headers: HeaderMap, maxBodyBytes: number): Promise<SideResponse> => {
    const state = gw();
    const service = ctx.serviceName === undefined ? undefined : state.runtime.services.get(ctx.serviceName);
    if (service === undefined) return Promise.reject(new SideRequestError('the route has no service'));
    const now = Date.now();
    const target = service.balancer.pick((t) => state.health.isHealthy(t.health, now), '', undefined);
    if (!target) return Promise.reject(new SideRequestError('no healthy upstream target'));
    const conf = service.config;
    const h: HeaderMap = { ...headers };
    stripHopByHop(h);
    h.host = conf.preserve_host ? (ctx.headers.host as string | undefined) : target.hostHeader;
    h['x-forwarded-host'] ??= ctx.headers.host;
    h['x-forwarded-for'] ??= ctx.clientIp;
    appendHeader(h, 'via', VIA);
    h['x-request-id'] = ctx.id;
    return collect(target.pool, {
      path: ctx.upstream.path + ctx.upstream.query,
      method: 'GET',
      headers: h as Record<string, string | string[]>,
      headersTimeout: conf.read_timeout_ms,
      bodyTimeout: conf.read_timeout_ms,
      signal: AbortSignal.timeout(conf.request_timeout_ms),
    }, maxBodyBytes, ctx.id);
  };
}

async function collect(pool: Dispatcher, opts: Dispatcher.RequestOptions, maxBodyBytes: number, requestId: string): Promise<SideResponse> {
  const res = await pool.request(opts);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      res.body.destroy();
      throw new SideRequestError('the response body is larger than asked for');
    }
    chunks.push(chunk as Buffer);
  }
  const headers = headerMapFromList(responseHeaderList(res.headers as HeaderMap, requestId));
  return { status: res.statusCode, headers, body: Buffer.concat(chunks) };
}
