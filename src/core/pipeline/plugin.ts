// The plugin contract: a manifest (name, version, priority, config schema, scopes) and one
// handler per phase it implements. Handlers continue by returning nothing and stop the chain
// by returning a response; they are synchronous unless they must wait (then they return a promise).
import type { Static, TSchema } from 'typebox';
import type { PluginResponse, RequestContext, UpstreamFailureView } from './context.ts';
import type { Scope } from './phases.ts';
import type { ServiceConfig } from '../config/schema.ts';
import type { TradingPartner } from '../entities/schemas.ts';

type MaybePromise<T> = T | Promise<T>;
export type StopOrContinue = PluginResponse | undefined | void;

export interface PhaseHandlers<C> {
  /** Before routing; only for global instances (the route is not known yet). */
  rewrite?(ctx: RequestContext, conf: C): MaybePromise<StopOrContinue>;
  /** Authenticate, authorize, limit. */
  access?(ctx: RequestContext, conf: C): MaybePromise<StopOrContinue>;
  /** Transform the request about to go upstream. */
  'upstream-request'?(ctx: RequestContext, conf: C): MaybePromise<StopOrContinue>;
  /** Edit status and headers of the upstream response (synchronous). */
  'upstream-response'?(ctx: RequestContext, conf: C): StopOrContinue;
  /** Rewrite the buffered response body (synchronous); return the new body or nothing. */
  'response-body'?(ctx: RequestContext, conf: C, body: Buffer): Buffer | undefined | void;
  /**
   * Not a phase: a fallback hook, run (synchronously, by priority) when the upstream could not
   * answer at all (connection failure, timeout after retries, no healthy target). The first
   * handler to return a response answers instead of the gateway's 502/503/504 problem.
   */
  'upstream-error'?(ctx: RequestContext, conf: C, failure: UpstreamFailureView): StopOrContinue;
  /** After the response is sent; must not throw or block. */
  log?(ctx: RequestContext, conf: C): void;
}

/** Where the gateway's shared Redis is (settings only: the connection is made on first use). */
export interface RedisLocation {
  readonly url: string;
  readonly command_timeout_ms: number;
  readonly key_prefix: string;
}

/** The API description stored for a service (by `portcullis import openapi`), parsed once per snapshot. */
export interface ServiceSpec {
  /** Store id of the spec row. */
  readonly id: string;
  readonly format: string;
  /** The parsed document (YAML or JSON text turned into plain data). */
  readonly document: unknown;
}

/** Snapshot-wide facts a plugin's compile may depend on. */
export interface PluginCompileEnv {
  /** The `iss` of the built-in OAuth2 server's tokens, when that server is enabled. */
  readonly builtinIssuer: string | undefined;
  /** `gateway.redis`, when configured: plugins with `backend: redis` need it. */
  readonly redis: RedisLocation | undefined;
  /**
   * Where the instance being compiled is attached (name: the service or route; "" when global).
   * Plugins that keep state across requests use it to keep instances apart.
   */
  readonly attachedTo?: { readonly scope: Scope; readonly name: string };
  /** The service the instance being compiled belongs to (undefined for a global instance). */
  readonly service?: string | undefined;
  /** That service's settings (e.g. the operations of a soap service). */
  readonly serviceConfig?: ServiceConfig | undefined;
  /**
   * The latest spec stored for a service, or undefined when there is none; a string when the
   * stored text cannot be parsed (the message). Parsed on first ask, at most once per snapshot.
   */
  readonly specOf?: ((service: string) => ServiceSpec | string | undefined) | undefined;
  /** The config's EDI trading partners (the `edi` plugin indexes the ones allowed on its route). */
  readonly tradingPartners?: readonly TradingPartner[] | undefined;
}

export const NO_COMPILE_ENV: PluginCompileEnv = Object.freeze({ builtinIssuer: undefined, redis: undefined });

/** The compile environment of a (checked) config's gateway settings. */
export function compileEnvOf(gateway: { oauth2_server?: { enabled?: boolean; issuer?: string }; redis?: RedisLocation } | undefined, specOf?: PluginCompileEnv['specOf']): PluginCompileEnv {
  const oauth = gateway?.oauth2_server;
  const builtinIssuer = oauth?.enabled === true && typeof oauth.issuer === 'string' ? oauth.issuer : undefined;
  const redis = gateway?.redis;
  if (specOf !== undefined) return Object.freeze({ builtinIssuer, redis, specOf });
  return builtinIssuer === undefined && redis === undefined ? NO_COMPILE_ENV : Object.freeze({ builtinIssuer, redis });
}

export interface PluginDefinition<S extends TSchema = TSchema, C = Static<S>> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Higher runs earlier within a phase. Bundled priorities are pinned by a test. */
  readonly priority: number;
  readonly configSchema: S;
  /** Where instances may be attached (default: everywhere). */
  readonly scopes?: readonly Scope[];
  /**
   * An authentication plugin (it sets `ctx.consumer` or answers 401). Several on one route mean
   * "any of these": they run as one step, and the request passes when one of them authenticates.
   */
  readonly authenticates?: boolean;
  /** Largest response body the `response-body` handler buffers; larger bodies pass unmodified. */
  readonly responseBodyLimit?: number;
  /** Whether an instance needs the buffered body (default: whenever it has a response-body handler). */
  needsResponseBody?(conf: C): boolean;
  /**
   * The request body cap (bytes) when this instance's `access` handler needs the buffered request
   * body in `ctx.requestBody`; undefined (or no function) keeps the body streaming. The gateway
   * reads the body just before this plugin's access step (after the plugins ahead of it, e.g.
   * authentication), answers 413 above the cap, and forwards the buffered bytes upstream.
   */
  requestBodyLimit?(conf: C): number | undefined;
  /**
   * Turns validated config into what handlers use (compiled regexes, sets...). Runs at snapshot
   * time only. Returns a message string (or throws) to reject the config.
   */
  compile?(config: Static<S>, env: PluginCompileEnv): C | string;
  readonly handlers: PhaseHandlers<C>;
}

/** Identity helper that infers the config types of a plugin definition. */
export function definePlugin<S extends TSchema, C = Static<S>>(def: PluginDefinition<S, C>): PluginDefinition<S, C> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = PluginDefinition<TSchema, any>;
