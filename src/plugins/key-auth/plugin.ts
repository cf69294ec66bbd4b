// key-auth: an API key in a header or query parameter identifies the consumer. The key is hashed
// (SHA-256) and looked up in the snapshot's identity directory: no database on the hot path, and
// no stored secret to compare against. Every failure answers the same 401.
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { removeHeader, type HeaderValue, type RequestContext } from '../../core/pipeline/context.ts';
import { isAuthenticated, setConsumer, unauthenticated } from '../shared/consumer-headers.ts';
import { queryParam, withoutQueryParam } from '../shared/query.ts';

export { queryParam, withoutQueryParam };
import { KeyAuthSchema, type KeyAuthConfig } from './schema.ts';

interface CompiledKeyAuth extends KeyAuthConfig {
  readonly headerNames: readonly string[];
}

const first = (v: HeaderValue | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function hideKeys(ctx: RequestContext, conf: CompiledKeyAuth): void {
  if (conf.key_in_header) for (const header of conf.headerNames) removeHeader(ctx.upstream.headers, header);
  if (conf.key_in_query) for (const name of conf.key_names) ctx.upstream.query = withoutQueryParam(ctx.upstream.query, name);
}

/** The presented key and where it was found, or undefined. */
function findKey(ctx: RequestContext, conf: CompiledKeyAuth): { key: string } | undefined {
  if (conf.key_in_header) {
    for (const header of conf.headerNames) {
      const v = first(ctx.headers[header]);
      if (v !== undefined && v !== '') return { key: v.trim() };
    }
  }
  if (conf.key_in_query) {
    for (const name of conf.key_names) {
      const v = queryParam(ctx.upstream.query, name);
      if (v !== undefined && v !== '') return { key: v };
    }
  }
  return undefined;
}

export const keyAuth = definePlugin<typeof KeyAuthSchema, CompiledKeyAuth>({
  name: 'key-auth',
  version: '1.0.0',
  description: 'Authenticates consumers by API key (header or query parameter), looked up by hash in memory.',
  priority: 1250,
  configSchema: KeyAuthSchema,
  scopes: ['global', 'service', 'route'],
  authenticates: true,
  compile: (c) => (!c.key_in_header && !c.key_in_query ? 'needs key_in_header or key_in_query' : { ...c, headerNames: c.key_names.map((n) => n.toLowerCase()) }),
  handlers: {
    access(ctx, conf) {
      const found = findKey(ctx, conf);
      // Every place a key may be is cleared, not just the one used: a key sent twice, or to a
      // route where another plugin authenticated, must not reach the upstream either.
      if (conf.hide_credentials) hideKeys(ctx, conf);
      // A consumer set by an earlier auth plugin on this route wins ("any of these").
      if (isAuthenticated(ctx)) return;
      const match = found ? ctx.identities.apiKey(found.key, Date.now()) : undefined;
      if (match) {
        setConsumer(ctx, match.consumer, match.credentialId);
        return;
      }
      return unauthenticated(ctx, conf.anonymous, 'Key realm="portcullis"');
    },
  },
});
