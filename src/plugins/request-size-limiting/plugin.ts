import Type from 'typebox';
import { definePlugin } from '../../core/pipeline/plugin.ts';

export const RequestSizeLimitingSchema = Type.Object({
  allowed_payload_size: Type.Integer({ minimum: 0, description: 'Largest request body in size_unit units (0 = no limit on this route).' }),
  size_unit: Type.Union([Type.Literal('bytes'), Type.Literal('kilobytes'), Type.Literal('megabytes')], { default: 'megabytes' }),
  require_content_length: Type.Boolean({ default: false, description: 'Refuse bodies without Content-Length (chunked) with 400 bad-request.' }),
}, { additionalProperties: false });

const UNIT = { bytes: 1, kilobytes: 1024, megabytes: 1024 * 1024 } as const;

export const requestSizeLimiting = definePlugin<typeof RequestSizeLimitingSchema, { bytes: number; requireLength: boolean }>({
  name: 'request-size-limiting',
  version: '1.0.0',
  description: 'Sets the request body limit of a route (413 above it), enforced on declared and streamed bodies.',
  priority: 951,
  configSchema: RequestSizeLimitingSchema,
  compile: (c) => ({ bytes: c.allowed_payload_size * UNIT[c.size_unit], requireLength: c.require_content_length }),
  handlers: {
    access(ctx, conf) {
      // The gateway enforces the limit: up front against Content-Length, and while streaming otherwise.
      ctx.upstream.maxBodyBytes = conf.bytes;
      if (conf.requireLength && ctx.headers['transfer-encoding'] !== undefined) {
        return { problem: 'bad-request', detail: 'A Content-Length header is required for request bodies on this route.' };
      }
      return undefined;
    },
  },
});
