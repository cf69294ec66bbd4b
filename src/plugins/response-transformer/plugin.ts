import { definePlugin } from '../../core/pipeline/plugin.ts';
import { ResponseTransformerSchema } from './schema.ts';
import { compileResponseTransformer, transformJsonBody, transformResponseHeaders, type CompiledResponseTransformer } from './transform.ts';

export const responseTransformer = definePlugin<typeof ResponseTransformerSchema, CompiledResponseTransformer>({
  name: 'response-transformer',
  version: '1.0.0',
  description: 'Edits response headers, and top-level keys of JSON response bodies (buffered up to 1 MiB).',
  priority: 800,
  configSchema: ResponseTransformerSchema,
  responseBodyLimit: 1024 * 1024,
  compile: compileResponseTransformer,
  needsResponseBody: (conf) => conf.json !== undefined,
  handlers: {
    'upstream-response'(ctx, conf) {
      if (ctx.response) transformResponseHeaders(ctx.response.headers, conf);
    },
    'response-body'(ctx, conf, body) {
      if (!conf.json || !ctx.response) return undefined;
      return transformJsonBody(ctx.response.headers, body, conf.json);
    },
  },
});
