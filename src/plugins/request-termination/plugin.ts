import Type from 'typebox';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { HeaderValueSchema } from '../shared/schema.ts';

export const RequestTerminationSchema = Type.Object({
  message: Type.Optional(Type.String({ maxLength: 1024, description: 'Detail of the maintenance problem response.' })),
  status_code: Type.Integer({ minimum: 200, maximum: 599, default: 503, description: 'Status of a custom body; the default answer is 503 maintenance.' }),
  body: Type.Optional(Type.String({ maxLength: 65536, description: 'A custom body sent instead of the problem document.' })),
  content_type: Type.Optional(HeaderValueSchema),
  retry_after: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400, description: 'Seconds for Retry-After.' })),
}, { additionalProperties: false });

export const requestTermination = definePlugin({
  name: 'request-termination',
  version: '1.0.0',
  description: 'Answers every request itself (maintenance mode, or a fixed response) without calling the upstream.',
  // Runs after authentication and limits, so maintenance answers are not an oracle for keys.
  priority: 2,
  configSchema: RequestTerminationSchema,
  compile(c) {
    if (c.body === undefined && c.status_code !== 503) return 'status_code other than 503 needs a custom body';
    return c;
  },
  handlers: {
    access(_ctx, conf) {
      const headers: Record<string, string> = conf.retry_after !== undefined ? { 'retry-after': String(conf.retry_after) } : {};
      if (conf.body !== undefined) {
        headers['content-type'] = conf.content_type ?? 'text/plain; charset=utf-8';
        return { status: conf.status_code, headers, body: conf.body };
      }
      return { problem: 'maintenance', detail: conf.message, headers };
    },
  },
});
