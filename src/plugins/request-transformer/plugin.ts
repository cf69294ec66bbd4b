import { definePlugin } from '../../core/pipeline/plugin.ts';
import { RequestTransformerSchema } from './schema.ts';
import { compileRequestTransformer, transformRequest, type CompiledRequestTransformer } from './transform.ts';

export const requestTransformer = definePlugin<typeof RequestTransformerSchema, CompiledRequestTransformer>({
  name: 'request-transformer',
  version: '1.0.0',
  description: 'Removes, renames, replaces, adds and appends request headers and query parameters; sets the upstream path.',
  priority: 801,
  configSchema: RequestTransformerSchema,
  compile: compileRequestTransformer,
  handlers: {
    'upstream-request'(ctx, conf) {
      transformRequest(ctx, conf);
    },
  },
});
