import { definePlugin } from '../../core/pipeline/plugin.ts';
import { compileEdi, type EdiConf } from './compile.ts';
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
    access: (ctx, conf) => (conf.direction === 'inbound' ? inboundAccess(ctx, conf) : outboundAccess(ctx, conf)),
    'response-body': responseBody,
  },
});
