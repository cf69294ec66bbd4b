// Reads portcullis.yaml: YAML → defaults → schema check → cross-reference checks.
// Everything wrong is reported at once, each line naming its path.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { parseCidr } from '../net/cidr.ts';
import { ConfigSchema, type Config } from './schema.ts';
import { ConfigError, pointerToPath, type ConfigIssue } from './errors.ts';
import { validate } from './validate.ts';

export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function parseConfigText(text: string): Config {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError([{ path: '', pointer: '', message: `the file is larger than ${MAX_CONFIG_BYTES} bytes` }]);
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ path: '', pointer: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  // maxAliasCount bounds alias expansion (a "billion laughs" YAML file costs nothing).
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  return checkConfig(raw);
}

export function loadConfigFile(file: string): Config {
  return parseConfigText(readFileSync(file, 'utf8'));
}

/** Validates an already-parsed document (file or, later, the store) and returns it with defaults. */
export function checkConfig(raw: unknown): Config {
  const result = validate<Config>(ConfigSchema, raw);
  if (!result.ok) throw new ConfigError(result.issues);
  const issues = crossReferenceIssues(result.value);
  if (issues.length > 0) throw new ConfigError(issues);
  return result.value;
}

function issue(pointer: string, message: string): ConfigIssue {
  return { pointer, path: pointerToPath(pointer), message };
}

function crossReferenceIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const serviceNames = new Set<string>();
  config.services.forEach((s, i) => {
    if (serviceNames.has(s.name)) issues.push(issue(`/services/${i}/name`, `duplicate service name "${s.name}"`));
    serviceNames.add(s.name);
    const lb = s.load_balancing;
    if (lb.algorithm === 'consistent-hash' && lb.hash_on === 'header' && !lb.hash_header) {
      issues.push(issue(`/services/${i}/load_balancing/hash_header`, 'is required when hash_on is "header"'));
    }
    if (s.targets.every((t) => t.weight === 0)) issues.push(issue(`/services/${i}/targets`, 'at least one target needs a weight above 0'));
  });
  const routeNames = new Set<string>();
  config.routes.forEach((r, i) => {
    if (routeNames.has(r.name)) issues.push(issue(`/routes/${i}/name`, `duplicate route name "${r.name}"`));
    routeNames.add(r.name);
    if (!serviceNames.has(r.service)) issues.push(issue(`/routes/${i}/service`, `no service is named "${r.service}"`));
  });
  config.gateway.trusted_proxies.forEach((c, i) => {
    if (!parseCidr(c)) issues.push(issue(`/gateway/trusted_proxies/${i}`, 'must be an IPv4 or IPv6 address or CIDR block'));
  });
  return issues;
}
