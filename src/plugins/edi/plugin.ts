import { sniffFormat } from '../../core/edi/index.ts';
import { isProblemResponse, type PluginResponse, type RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { compileEdi, type EdiConf } from './compile.ts';
import type { EdiFormatLabel, EdiOutcome } from './metrics.ts';
import { inboundAccess } from './inbound.ts';
import { outboundAccess } from './outbound.ts';
import { responseBody } from './response.ts';
import { EdiSchema } from './schema.ts';

export const edi = definePlugin<typeof EdiSchema, EdiConf>({
  name: 'edi',
  version: '1.0.0',
  description: 'Accepts X12 and EDIFACT from trading partners and forwards canonical JSON (or the reverse), with envelope checks and functional acknowledgements.',
  // After authentication, limits and request-validator: only admitted requests cost a parse.
  priority: 900,
  scopes: ['route'],
  configSchema: EdiSchema,
  compile: compileEdi,
  requestBodyLimit: (conf) => conf.maxBodyBytes,
  needsResponseBody: (conf) => conf.direction === 'inbound' ? conf.ack !== 'never' || conf.convertResponse : conf.convertResponse,
  // Larger upstream answers pass unmodified (a 2xx that big gets no acknowledgement in its place).
  responseBodyLimit: 8 * 1024 * 1024,
  handlers: {
    access(ctx, conf) {
      // Inbound, the syntax is read before the body is replaced by JSON; outbound, after it is written.
      const inbound = conf.direction === 'inbound' ? inboundFormat(ctx) : undefined;
      const answer = inbound !== undefined ? inboundAccess(ctx, conf) : outboundAccess(ctx, conf);
      if (answer instanceof Promise) {
        // Waiting for a block of control numbers (rare): counted once the answer is known.
        return answer.then((a) => {
          conf.count(inbound ?? outboundFormat(ctx), outcomeOf(a));
          return a;
        });
      }
      conf.count(inbound ?? outboundFormat(ctx), outcomeOf(answer));
      return answer;
    },
    'response-body': responseBody,
  },
});

function outcomeOf(answer: PluginResponse | undefined): EdiOutcome {
  if (answer === undefined) return 'forwarded';
  if (!isProblemResponse(answer)) return 'forwarded';
  switch (answer.problem) {
    case 'edi-partner-not-allowed': return 'not_allowed';
    case 'edi-unsupported-media-type': return 'unsupported_media_type';
    case 'edi-control-numbers-unavailable': return 'unavailable';
    default: return 'invalid';
  }
}

/** The syntax for the metric, from the body's first bytes. */
function inboundFormat(ctx: RequestContext): EdiFormatLabel {
  const body = ctx.requestBody;
  return (body === undefined ? undefined : sniffFormat(body.subarray(0, 3).toString('latin1'))) ?? 'unknown';
}

/** The syntax written for the partner (the Content-Type set on success). */
function outboundFormat(ctx: RequestContext): EdiFormatLabel {
  const type = ctx.upstream.headers['content-type'];
  return type === 'application/edi-x12' ? 'x12' : type === 'application/edifact' ? 'edifact' : 'unknown';
}
