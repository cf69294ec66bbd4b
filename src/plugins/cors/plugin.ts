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
  // An actual request's CORS fields are answer fields (set in access), added as the response is
  // written: so they also reach answers the gateway makes itself (401, 429, 502), which a browser
  // would otherwise hide from the page, and a cached response never stores one origin's fields.
  if (!preflight) return;
  const origin = allowedOrigin(conf, ctx.headers);
  // A disallowed origin gets no CORS headers: the request went through, the browser hides the answer.
  if (origin !== undefined && preflightRefusal(conf, ctx.headers) === undefined) Object.assign(headers, preflightHeaders(conf, origin));
}

/** The Access-Control-* fields of an actual request from an allowed origin, on every answer to it. */
function setAnswerFields(ctx: RequestContext, conf: CompiledCors): void {
  const origin = allowedOrigin(conf, ctx.headers);
  if (origin === undefined) return;
  const fields = (ctx.answerHeaders ??= {});
  // Assigned, not appended: each is a single value (a list of origins is invalid).
  for (const [name, value] of Object.entries(actualHeaders(conf, origin))) fields[name] = value;
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
      if (!isPreflight(ctx.method, ctx.headers)) return setAnswerFields(ctx, conf);
      if (conf.preflightContinue) return undefined;
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
