// Builds a plugin's compiled config and a request context for plugin unit tests.
import type { TSchema } from 'typebox';
import { validate } from '../core/config/validate.ts';
import { newRequestContext, type HeaderMap, type RequestContext } from '../core/pipeline/context.ts';
import { NO_COMPILE_ENV, type PluginCompileEnv, type PluginDefinition } from '../core/pipeline/plugin.ts';
import { EMPTY_DIRECTORY, type IdentityDirectory } from '../core/identity/directory.ts';

export function compileConf<C>(plugin: PluginDefinition<TSchema, C>, raw: unknown, env: PluginCompileEnv = NO_COMPILE_ENV): C {
  const v = validate<unknown>(plugin.configSchema, raw);
  if (!v.ok) throw new Error(v.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const out = plugin.compile ? plugin.compile(v.value as never, env) : v.value;
  if (typeof out === 'string') throw new Error(out);
  return out as C;
}

export function fakeContext(over: { headers?: HeaderMap; query?: string; path?: string; method?: string; clientIp?: string; params?: Record<string, string>; identities?: IdentityDirectory; body?: Buffer } = {}): RequestContext {
  const headers = over.headers ?? {};
  const noop = () => undefined;
  const ctx = newRequestContext({
    id: 'req-1', method: over.method ?? 'GET', path: over.path ?? '/', query: over.query ?? '', headers,
    clientIp: over.clientIp ?? '127.0.0.1', receivedAt: 0,
    identities: over.identities ?? EMPTY_DIRECTORY,
    upstream: { path: over.path ?? '/', query: over.query ?? '', headers: { ...headers }, maxBodyBytes: 1000, guard: undefined },
    upstreamFetch: undefined,
    log: { info: noop, warn: noop, error: noop, debug: noop },
  });
  Object.assign(ctx, { routeName: 'r', serviceName: 's', params: over.params ?? {}, requestBody: over.body });
  return ctx;
}

/** The headers that would be sent: removed fields are left undefined, and the gateway skips them. */
export function sentHeaders(h: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
}

/** Only the consumer identity fields the upstream would receive. */
export function consumerHeaders(h: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(sentHeaders(h)).filter(([k]) => k.startsWith('x-consumer-') || k === 'x-credential-identifier' || k === 'x-anonymous-consumer'));
}
