// Compiles plugin instances into per-route, per-phase arrays at snapshot time. Precedence: for
// one plugin name the most specific instance wins (route > service > global), and a disabled
// instance at a more specific scope switches the plugin off there. Within a phase, plugins run
// by priority (higher first), then by name.
import type { Config, PluginInstance, ServiceConfig } from '../config/schema.ts';
import { pointerToPath, type ConfigIssue } from '../config/errors.ts';
import { validate } from '../config/validate.ts';
import type { PluginResponse, RequestContext } from './context.ts';
import { compileEnvOf, type AnyPlugin, type PluginCompileEnv } from './plugin.ts';
import type { Phase, Scope } from './phases.ts';

export interface Step {
  readonly name: string;
  readonly priority: number;
  readonly conf: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly run: (...args: any[]) => any;
}

const SOAP_PROXY = 'soap-proxy';
const SOAP_MEDIATION = 'soap-mediation';

export type RequestPhase = Exclude<Phase, 'rewrite'>;

export interface RouteChains {
  readonly access: readonly Step[];
  readonly 'upstream-request': readonly Step[];
  readonly 'upstream-response': readonly Step[];
  readonly 'response-body': readonly Step[];
  readonly log: readonly Step[];
  /** Fallback hooks for a failed upstream (empty on nearly every route). */
  readonly 'upstream-error': readonly Step[];
  /** Largest body the response-body steps buffer (0 when there are none). */
  readonly responseBodyLimit: number;
  /**
   * When an access step needs the buffered request body: the cap (the smallest any asks for) and
   * the index in `access` of the first such step; the gateway buffers just before it.
   */
  readonly requestBody: { readonly limit: number; readonly at: number } | undefined;
  /** Names of the plugins active on the route, in run order, for docs and debugging. */
  readonly plugins: readonly string[];
}

interface CompiledInstance {
  readonly plugin: AnyPlugin;
  readonly enabled: boolean;
  readonly conf: unknown;
}

export type PluginCatalog = ReadonlyMap<string, AnyPlugin>;

export function catalogOf(plugins: readonly AnyPlugin[]): PluginCatalog {
  return new Map(plugins.map((p) => [p.name, p]));
}

export function compileInstance(catalog: PluginCatalog, instance: PluginInstance, pointer: string, scope: Scope, owner: string, issues: ConfigIssue[], env: PluginCompileEnv): CompiledInstance | undefined {
  const at = (p: string, message: string) => issues.push({ pointer: p, path: pointerToPath(p), message });
  const plugin = catalog.get(instance.name);
  if (!plugin) {
    at(`${pointer}/name`, `unknown plugin "${instance.name}" (bundled: ${[...catalog.keys()].sort().join(', ')})`);
    return undefined;
  }
  if (plugin.scopes && !plugin.scopes.includes(scope)) {
    at(`${pointer}/name`, `plugin "${plugin.name}" can only be attached ${plugin.scopes.map((s) => (s === 'global' ? 'globally' : `to a ${s}`)).join(' or ')}`);
    return undefined;
  }
  // A disabled instance only switches the plugin off where it is attached: its config is not needed.
  if (!instance.enabled) return { plugin, enabled: false, conf: undefined };
  const result = validate<unknown>(plugin.configSchema, instance.config, `${pointer}/config`);
  if (!result.ok) {
    issues.push(...result.issues);
    return undefined;
  }
  let conf: unknown = result.value;
  if (plugin.compile) {
    try {
      conf = plugin.compile(result.value, { ...env, attachedTo: { scope, name: owner } });
    } catch (err) {
      conf = err instanceof Error ? err.message : String(err);
    }
    if (typeof conf === 'string') {
      at(`${pointer}/config`, conf);
      return undefined;
    }
  }
  return { plugin, enabled: instance.enabled, conf };
}

function stepsFor(instances: readonly CompiledInstance[], phase: Phase | 'upstream-error'): Step[] {
  const steps: Step[] = [];
  const authSteps: Step[] = [];
  for (const i of instances) {
    if (phase === 'response-body' && !needsBody(i)) continue;
    const handler = i.plugin.handlers[phase];
    if (!handler) continue;
    const step: Step = { name: i.plugin.name, priority: i.plugin.priority, conf: i.conf, run: handler as Step['run'] };
    if (phase === 'access' && i.plugin.authenticates) authSteps.push(step);
    steps.push(step);
  }
  if (authSteps.length < 2) return steps;
  // Several authentication plugins: one step where the first success wins (see anyOf).
  const combined = anyOf(authSteps);
  const at = steps.indexOf(authSteps[0]!);
  return [...steps.slice(0, at).filter((s) => !authSteps.includes(s)), combined, ...steps.slice(at).filter((s) => !authSteps.includes(s))];
}

/**
 * Authentication plugins on one route mean "any of these": each is tried in priority order; the
 * first to identify a (non-anonymous) consumer ends the step, and so does a 403 (a credential
 * that is valid but not enough); an anonymous fallback set by one is kept if no other succeeds;
 * when all fail, the first failure is the answer.
 */
function anyOf(auth: readonly Step[]): Step {
  const authenticated = (ctx: RequestContext) => ctx.consumer !== undefined && ctx.anonymous !== true;
  return {
    name: auth.map((s) => s.name).join('|'),
    priority: auth[0]!.priority,
    conf: undefined,
    async run(ctx: RequestContext): Promise<PluginResponse | undefined> {
      let failure: PluginResponse | undefined;
      for (const step of auth) {
        const result = await (step.run(ctx, step.conf) as PluginResponse | undefined | Promise<PluginResponse | undefined>);
        if (result === undefined) {
          if (authenticated(ctx)) return undefined;
        } else if ('problem' in result && result.problem === 'forbidden') {
          // A valid credential without the rights (e.g. a token missing a scope) is a refusal,
          // not a missing credential: no other plugin's anonymous fallback may override it.
          return result;
        } else {
          failure ??= result;
        }
      }
      return ctx.consumer !== undefined ? undefined : failure;
    },
  };
}

function needsBody(i: CompiledInstance): boolean {
  return i.plugin.handlers['response-body'] !== undefined && (i.plugin.needsResponseBody?.(i.conf) ?? true);
}

function requestBodyOf(active: readonly CompiledInstance[], access: readonly Step[]): RouteChains['requestBody'] {
  let limit = Infinity;
  let at = access.length;
  for (const i of active) {
    const cap = i.plugin.handlers.access !== undefined ? i.plugin.requestBodyLimit?.(i.conf) : undefined;
    if (cap === undefined) continue;
    limit = Math.min(limit, cap);
    const index = access.findIndex((s) => s.conf === i.conf && s.name === i.plugin.name);
    if (index !== -1) at = Math.min(at, index);
  }
  return limit === Infinity ? undefined : { limit, at };
}

function byRunOrder(a: CompiledInstance, b: CompiledInstance): number {
  return b.plugin.priority - a.plugin.priority || (a.plugin.name < b.plugin.name ? -1 : a.plugin.name > b.plugin.name ? 1 : 0);
}

/**
 * The plugin a service's protocol brings (protocol graphql: the graphql plugin, with its defaults
 * and the service's schema), attached to the service when its own list does not name it.
 */
function protocolPlugin(service: ServiceConfig): PluginInstance | undefined {
  if (service.protocol !== 'graphql') return undefined;
  const schema = service.graphql?.schema;
  return { name: 'graphql', enabled: true, config: schema !== undefined ? { schema } : {} };
}

/** graphql instances of a graphql service get the service's inline schema unless they carry their own. */
function withProtocolConfig(service: ServiceConfig, list: readonly PluginInstance[]): readonly PluginInstance[] {
  const schema = service.graphql?.schema;
  if (service.protocol !== 'graphql' || schema === undefined || !list.some((p) => p.name === 'graphql')) return list;
  return list.map((p) => (p.name === 'graphql' && p.config.schema === undefined ? { ...p, config: { ...p.config, schema } } : p));
}

export interface CompiledChains {
  /** Global plugins' rewrite steps, run before routing. */
  readonly rewrite: readonly Step[];
  /** One entry per config.routes index. */
  readonly routes: readonly RouteChains[];
}

export function compileChains(catalog: PluginCatalog, config: Config, issues: ConfigIssue[], specOf?: PluginCompileEnv['specOf']): CompiledChains {
  const gatewayEnv = compileEnvOf(config.gateway, specOf);
  const partners = config.trading_partners;
  const baseEnv = partners !== undefined && partners.length > 0 ? { ...gatewayEnv, tradingPartners: partners } : gatewayEnv;
  const services = new Map(config.services.map((s) => [s.name, s]));
  const compileList = (list: readonly PluginInstance[], base: string, scope: Scope, owner: string, service?: string): Map<string, CompiledInstance> => {
    const env = service === undefined || list.length === 0 ? baseEnv : { ...baseEnv, service, serviceConfig: services.get(service) };
    const out = new Map<string, CompiledInstance>();
    list.forEach((inst, i) => {
      const pointer = `${base}/${i}`;
      if (out.has(inst.name)) {
        issues.push({ pointer: `${pointer}/name`, path: pointerToPath(`${pointer}/name`), message: `plugin "${inst.name}" is attached twice here` });
        return;
      }
      const compiled = compileInstance(catalog, inst, pointer, scope, owner, issues, env);
      if (compiled) out.set(inst.name, compiled);
    });
    return out;
  };
  const global = compileList(config.plugins, '/plugins', 'global', '');
  const perService = new Map(config.services.map((s, i) => {
    const compiled = compileList(withProtocolConfig(s, s.plugins), `/services/${i}/plugins`, 'service', s.name, s.name);
    const implicit = protocolPlugin(s);
    if (s.graphql !== undefined && s.protocol !== 'graphql') issues.push({ pointer: `/services/${i}/graphql`, path: pointerToPath(`/services/${i}/graphql`), message: 'graphql settings need protocol: graphql' });
    if (implicit !== undefined && catalog.has(implicit.name) && !compiled.has(implicit.name)) {
      const inst = compileInstance(catalog, implicit, `/services/${i}/protocol`, 'service', s.name, issues, { ...baseEnv, service: s.name, serviceConfig: s });
      if (inst) compiled.set(implicit.name, inst);
    }
    return [s.name, compiled];
  }));
  const routes = config.routes.map((route, i): RouteChains => {
    const effective = new Map(global);
    for (const [name, inst] of perService.get(route.service) ?? []) effective.set(name, inst);
    const service = services.get(route.service);
    const routePlugins = service === undefined ? route.plugins : withProtocolConfig(service, route.plugins);
    for (const [name, inst] of compileList(routePlugins, `/routes/${i}/plugins`, 'route', route.name, route.service)) effective.set(name, inst);
    // A soap service's routes check every envelope (docs/soap.md), unless the route mediates
    // REST to SOAP (its clients send JSON) or attaches soap-proxy itself. (A soap service without
    // its soap section is reported by checkSoapConfig.)
    if (service?.protocol === 'soap' && service.soap !== undefined && !effective.has(SOAP_PROXY) && !effective.has(SOAP_MEDIATION)) {
      const implicit = compileList([{ name: SOAP_PROXY, enabled: true, config: {} }], `/routes/${i}`, 'route', route.name, route.service).get(SOAP_PROXY);
      if (implicit !== undefined) effective.set(SOAP_PROXY, implicit);
    }
    const active = [...effective.values()].filter((inst) => inst.enabled).sort(byRunOrder);
    const bodyLimits = active.filter(needsBody).map((inst) => inst.plugin.responseBodyLimit ?? 1024 * 1024);
    const access = stepsFor(active, 'access');
    return {
      access,
      requestBody: requestBodyOf(active, access),
      'upstream-request': stepsFor(active, 'upstream-request'),
      'upstream-response': stepsFor(active, 'upstream-response'),
      'response-body': stepsFor(active, 'response-body'),
      log: stepsFor(active, 'log'),
      'upstream-error': stepsFor(active, 'upstream-error'),
      responseBodyLimit: bodyLimits.length > 0 ? Math.min(...bodyLimits) : 0,
      plugins: active.map((inst) => inst.plugin.name),
    };
  });
  const rewrite = stepsFor([...global.values()].filter((inst) => inst.enabled).sort(byRunOrder), 'rewrite');
  return { rewrite, routes };
}
