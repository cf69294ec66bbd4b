// Config → immutable snapshot: the router and each route's plugin chains, built once per config
// change and swapped atomically by the gateway. Pure: no sockets, no clock, no store.
import { createHash } from 'node:crypto';
import type { Config, RouteConfig, ServiceConfig, GatewaySettings } from '../config/schema.ts';
import { ConfigError, type ConfigIssue } from '../config/errors.ts';
import { compileChains, type PluginCatalog, type RouteChains, type Step } from '../pipeline/compile.ts';
import { Router } from '../router/router.ts';
import { compileIdentities, type CredentialRecord, type IdentityDirectory } from '../identity/directory.ts';
import { compileEntitlements } from '../identity/entitlements.ts';
import { compileTokenIssuer, type RevokedTokenRecord, type SigningKeyMaterial } from '../identity/token-issuer.ts';
import { specLookup, type StoredSpecRecord } from './specs.ts';
import { checkVersions, lifecycleOf, versionCondition, type RouteLifecycle } from './versions.ts';
import { checkSoapConfig, operationCondition } from '../xml/soap-config.ts';

/**
 * What a gateway is given: the checked config document plus, from the store, the credentials
 * (hashes only) that authentication plugins look up. A config file alone carries none.
 */
export type GatewayConfig = Config & {
  readonly credentials?: readonly CredentialRecord[];
  /** The built-in OAuth2 server's signing keys (private parts in memory only) and revoked tokens. */
  readonly signing_keys?: readonly SigningKeyMaterial[];
  readonly revoked_tokens?: readonly RevokedTokenRecord[];
  /** The latest stored API spec of each service a spec-reading plugin (request-validator) uses. */
  readonly specs?: readonly StoredSpecRecord[];
};

export interface CompiledRoute {
  readonly name: string;
  readonly config: RouteConfig;
  readonly service: ServiceConfig;
  readonly stripPath: boolean;
  readonly chains: RouteChains;
  /** Deprecation/Sunset/Link of a versioned route, and when it stops answering (410). */
  readonly lifecycle: RouteLifecycle | undefined;
}

export interface Snapshot {
  /** Content hash of the config this snapshot was compiled from. */
  readonly version: string;
  readonly config: Config;
  readonly settings: GatewaySettings;
  readonly router: Router<CompiledRoute>;
  readonly rewrite: readonly Step[];
  readonly routes: readonly CompiledRoute[];
  readonly services: ReadonlyMap<string, ServiceConfig>;
  readonly identities: IdentityDirectory;
}

export function configVersion(config: Config): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
}

export function compileSnapshot(config: GatewayConfig, catalog: PluginCatalog): Snapshot {
  const issues: ConfigIssue[] = [];
  const services = new Map(config.services.map((s) => [s.name, s]));
  const chains = compileChains(catalog, config, issues, specLookup(config.specs ?? []));
  const routes = config.routes.map((r, i): CompiledRoute => ({
    name: r.name,
    config: r,
    service: services.get(r.service)!,
    stripPath: r.strip_path,
    chains: chains.routes[i]!,
    lifecycle: lifecycleOf(r.version),
  }));
  checkVersions(config.routes, issues);
  checkSoapConfig(config, issues);
  let router: Router<CompiledRoute> | undefined;
  try {
    router = new Router(routes.map((route) => ({
      value: route,
      hosts: route.config.hosts,
      paths: route.config.paths,
      methods: route.config.methods,
      headers: route.config.headers,
      priority: route.config.priority,
      version: versionCondition(route.config),
      condition: route.config.soap_operations === undefined ? undefined : operationCondition(route.service, route.config.soap_operations),
    })));
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length > 0 || !router) throw new ConfigError(issues);
  return Object.freeze({
    version: configVersion(config),
    config,
    settings: config.gateway,
    router,
    rewrite: chains.rewrite,
    routes,
    services,
    identities: compileIdentities(config.consumers, config.credentials ?? [],
      compileTokenIssuer(config.gateway.oauth2_server, config.signing_keys ?? [], config.revoked_tokens ?? []),
      compileEntitlements(config.plans, config.products, config.subscriptions)),
  });
}
