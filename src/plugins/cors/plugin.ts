import type { RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { appendVary, removeCorsHeaders } from './headers.ts';
import { actualHeaders, allowedOrigin, compileCors, isPreflight, preflightHeaders, preflightRefusal, PREFLIGHT_VARY, type CompiledCors } from './policy.ts';
import { CorsSchema } from './schema.ts';

/** Replaces whatever CORS headers the upstream sent with the gateway's own. */
function rewriteUpstreamResponse(ctx: RequestContext, conf: CompiledCors): void {
  const headers = ctx.response!.headers;
  removeCorsHeaders(headers);
  // Only with preflight_continue does a preflight get this far.
  const preflight = isPreflight(ctx.method, ctx.headers);
  // Vary even on requests without Origin: a cache must not hand their answer to a cross-origin one.
  if (preflight) appendVary(headers, PREFLIGHT_VARY);
  else if (conf.varyOnOrigin) appendVary(headers, ['Origin']);
  const origin = allowedOrigin(conf, ctx.headers);
  // A disallowed origin gets no CORS headers: the request went through, the browser hides the answer.
  if (origin === undefined) return;
  if (!preflight) Object.assign(headers, actualHeaders(conf, origin));
  else if (preflightRefusal(conf, ctx.headers) === undefined) Object.assign(headers, preflightHeaders(conf, origin));
}

export const cors = definePlugin<typeof CorsSchema, CompiledCors>({
  name: 'cors',
  version: '1.0.0',
  description: 'Cross-origin resource sharing: answers preflights and sets Access-Control-* headers for allowed origins.',
  // Before authentication (key-auth 1250): preflights carry no credentials and must be answered.
  // After ip-restriction (3000): a blocked client gets nothing, not even a preflight answer.
  priority: 2000,
  configSchema: CorsSchema,
  compile: compileCors,
  handlers: {
    access(ctx, conf) {
      if (conf.preflightContinue || !isPreflight(ctx.method, ctx.headers)) return undefined;
      const vary = PREFLIGHT_VARY.join(', ');
      const refusal = preflightRefusal(conf, ctx.headers);
      // Refused without any Access-Control-* header: the browser fails the preflight.
      if (refusal !== undefined) return { problem: 'forbidden', detail: refusal, headers: { vary } };
      return { status: 204, headers: { ...preflightHeaders(conf, allowedOrigin(conf, ctx.headers)!), vary } };
    },
    'upstream-response'(ctx, conf) {
      if (ctx.response) rewriteUpstreamResponse(ctx, conf);
    },
  },
});
