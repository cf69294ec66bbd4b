// Reads portcullis.yaml: YAML → defaults → schema check → cross-reference checks.
// Everything wrong is reported at once, each line naming its path.
import YAML from 'yaml';
import { parseCidr } from '../net/cidr.ts';
import { ConfigSchema, type Config } from './schema.ts';
import { ConfigError, pointerToPath, type ConfigIssue } from './errors.ts';
import { validate } from './validate.ts';
import { tradingPartnerIssues } from '../edi/partners.ts';

export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** YAML text → plain data (no schema check yet). */
export function parseYaml(text: string): unknown {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError([{ path: '', pointer: '', message: `the file is larger than ${MAX_CONFIG_BYTES} bytes` }]);
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  if (doc.errors.length > 0) {
    const messages = [...new Set(doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}`))];
    throw new ConfigError(messages.map((message) => ({ path: '', pointer: '', message })));
  }
  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion: a "billion laughs" file is refused, not expanded.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError([{ path: '', pointer: '', message: `YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  return raw;
}

export function parseConfigText(text: string): Config {
  return checkConfig(parseYaml(text));
}

/** Validates an already-parsed document (file or, later, the store) and returns it with defaults. */
export function checkConfig(raw: unknown): Config {
  const result = validate<Config>(ConfigSchema, raw);
  if (!result.ok) {
    // Report reference problems too, where the shape allows checking them, so that one run of
    // `portcullis validate` lists everything.
    throw new ConfigError([...result.issues, ...bestEffort(() => crossReferenceIssues(withDefaults(raw)))]);
  }
  const issues = crossReferenceIssues(result.value);
  if (issues.length > 0) throw new ConfigError(issues);
  return result.value;
}

function bestEffort(check: () => ConfigIssue[]): ConfigIssue[] {
  try {
    return check();
  } catch {
    return []; // the document is too malformed for this check; the schema errors say why
  }
}

/** The raw document with defaults filled in and unusable parts replaced by empty ones. */
function withDefaults(raw: unknown): Config {
  const doc = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => x !== null && typeof x === 'object') : []);
  const gateway = doc.gateway !== null && typeof doc.gateway === 'object' ? doc.gateway as Record<string, unknown> : {};
  return {
    gateway: { trusted_proxies: Array.isArray(gateway.trusted_proxies) ? gateway.trusted_proxies.filter((x) => typeof x === 'string') : [] },
    services: list(doc.services).map((s) => ({ load_balancing: {}, targets: [], ...s })),
    routes: list(doc.routes),
    consumers: list(doc.consumers),
    plans: list(doc.plans),
    products: list(doc.products).map((p) => ({ services: [], plans: [], ...p })),
    subscriptions: list(doc.subscriptions),
    trading_partners: list(doc.trading_partners),
  } as unknown as Config;
}

function issue(pointer: string, message: string): ConfigIssue {
  return { pointer, path: pointerToPath(pointer), message };
}

function crossReferenceIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const serviceNames = new Set<string>();
  config.services.forEach((s, i) => {
    if (typeof s.name !== 'string') return;
    if (serviceNames.has(s.name)) issues.push(issue(`/services/${i}/name`, `duplicate service name "${s.name}"`));
    serviceNames.add(s.name);
    const lb = s.load_balancing ?? {};
    if (lb.algorithm === 'consistent-hash' && lb.hash_on === 'header' && !lb.hash_header) {
      issues.push(issue(`/services/${i}/load_balancing/hash_header`, 'is required when hash_on is "header"'));
    }
    if (Array.isArray(s.targets) && s.targets.length > 0 && s.targets.every((t) => t?.weight === 0)) issues.push(issue(`/services/${i}/targets`, 'at least one target needs a weight above 0'));
  });
  const routeNames = new Set<string>();
  config.routes.forEach((r, i) => {
    if (typeof r.name === 'string') {
      if (routeNames.has(r.name)) issues.push(issue(`/routes/${i}/name`, `duplicate route name "${r.name}"`));
      routeNames.add(r.name);
    }
    if (typeof r.service === 'string' && !serviceNames.has(r.service)) issues.push(issue(`/routes/${i}/service`, `no service is named "${r.service}"`));
  });
  issues.push(...commerceReferenceIssues(config, serviceNames));
  const consumerNames = new Set((config.consumers ?? []).map((c) => c?.name).filter((n) => typeof n === 'string'));
  for (const p of tradingPartnerIssues(config.trading_partners ?? [], routeNames, consumerNames)) issues.push(issue(p.pointer, p.message));
  config.gateway.trusted_proxies.forEach((c, i) => {
    if (!parseCidr(c)) issues.push(issue(`/gateway/trusted_proxies/${i}`, 'must be an IPv4 or IPv6 address or CIDR block'));
  });
  const oauth = config.gateway.oauth2_server;
  if (oauth?.enabled && oauth.issuer === undefined) issues.push(issue('/gateway/oauth2_server/issuer', 'is required when the OAuth2 server is enabled (the URL clients reach this gateway at)'));
  if (oauth?.issuer !== undefined && !URL.canParse(oauth.issuer)) issues.push(issue('/gateway/oauth2_server/issuer', 'is not a URL'));
  return issues;
}

/** Names unique per section; products, plans, subscriptions and consumers refer to each other by name. */
function commerceReferenceIssues(config: Config, serviceNames: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = (section: 'consumers' | 'plans' | 'products', what: string) => {
    const seen = new Set<string>();
    (config[section] ?? []).forEach((e, i) => {
      if (typeof e?.name !== 'string') return;
      if (seen.has(e.name)) issues.push(issue(`/${section}/${i}/name`, `duplicate ${what} name "${e.name}"`));
      seen.add(e.name);
    });
    return seen;
  };
  const consumers = names('consumers', 'consumer');
  const plans = names('plans', 'plan');
  names('products', 'product');
  const productPlans = new Map<string, ReadonlySet<string>>();
  (config.products ?? []).forEach((p, i) => {
    if (!p) return;
    productPlans.set(p.name, new Set(p.plans ?? []));
    (p.services ?? []).forEach((s, j) => { if (!serviceNames.has(s)) issues.push(issue(`/products/${i}/services/${j}`, `no service is named "${s}"`)); });
    (p.plans ?? []).forEach((s, j) => { if (!plans.has(s)) issues.push(issue(`/products/${i}/plans/${j}`, `no plan is named "${s}"`)); });
  });
  const pairs = new Set<string>();
  (config.subscriptions ?? []).forEach((s, i) => {
    if (!s) return;
    if (!consumers.has(s.consumer)) issues.push(issue(`/subscriptions/${i}/consumer`, `no consumer is named "${s.consumer}"`));
    const offered = productPlans.get(s.product);
    if (!offered) issues.push(issue(`/subscriptions/${i}/product`, `no product is named "${s.product}"`));
    else if (!offered.has(s.plan)) issues.push(issue(`/subscriptions/${i}/plan`, `product "${s.product}" has no plan "${s.plan}"`));
    const pair = `${s.consumer}\u0000${s.product}`;
    if (pairs.has(pair)) issues.push(issue(`/subscriptions/${i}`, `consumer "${s.consumer}" is already subscribed to product "${s.product}"`));
    pairs.add(pair);
  });
  return issues;
}
