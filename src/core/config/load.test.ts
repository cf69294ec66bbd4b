import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatIssue, pointerToPath } from './errors.ts';
import { checkConfig, parseConfigText } from './load.ts';

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  assert.fail('expected a ConfigError');
};

test('defaults are filled in from the schema', () => {
  const c = checkConfig({ services: [{ name: 's', targets: [{ url: 'http://a:1' }] }], routes: [{ name: 'r', service: 's' }] });
  assert.equal(c.gateway.max_header_bytes, 61440);
  assert.equal(c.gateway.max_headers, 100);
  assert.equal(c.services[0]!.targets[0]!.weight, 100);
  assert.equal(c.services[0]!.retries, 2);
  assert.equal(c.services[0]!.load_balancing.algorithm, 'round-robin');
  assert.deepEqual(c.routes[0]!.paths, []);
});

test('errors name the path the way the file reads', () => {
  const lines = issuesOf(() => checkConfig({
    services: [
      { name: 'a', targets: [{ url: 'http://a' }] },
      { name: 'b', targets: [{ url: 'http://b' }] },
      { name: 'c', targets: [{ url: 'ftp://c' }], bogus: true },
    ],
  }));
  assert.ok(lines.includes('services[2].targets[0].url: must be an http(s) URL without credentials, query or fragment'), lines.join('\n'));
  assert.ok(lines.includes('services[2].bogus: is not a known field'), lines.join('\n'));
});

test('required fields, enums and types are reported', () => {
  const lines = issuesOf(() => checkConfig({ services: [{ targets: [{ url: 'http://x' }], load_balancing: { algorithm: 'random' }, retries: 'many' }] }));
  assert.ok(lines.includes('services[0].name: is required'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('services[0].load_balancing.algorithm: must be one of "round-robin", "least-connections", "consistent-hash"')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('services[0].retries:')), lines.join('\n'));
});

test('cross references: duplicate names, unknown services, hash header, trusted proxies', () => {
  const lines = issuesOf(() => checkConfig({
    gateway: { trusted_proxies: ['10.0.0.0/8', 'nope'] },
    services: [
      { name: 's', targets: [{ url: 'http://a' }], load_balancing: { algorithm: 'consistent-hash', hash_on: 'header' } },
      { name: 's', targets: [{ url: 'http://b', weight: 0 }] },
    ],
    routes: [{ name: 'r', service: 'missing' }, { name: 'r', service: 's' }],
  }));
  assert.deepEqual(lines.sort(), [
    'gateway.trusted_proxies[1]: must be an IPv4 or IPv6 address or CIDR block',
    'routes[0].service: no service is named "missing"',
    'routes[1].name: duplicate route name "r"',
    'services[0].load_balancing.hash_header: is required when hash_on is "header"',
    'services[1].name: duplicate service name "s"',
    'services[1].targets: at least one target needs a weight above 0',
  ]);
});

test('YAML: syntax errors, duplicate keys and alias bombs are rejected', () => {
  assert.match(issuesOf(() => parseConfigText('services: [\n'))[0]!, /^YAML: /);
  assert.match(issuesOf(() => parseConfigText('gateway: {}\ngateway: {}\n'))[0]!, /^YAML: /);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
  assert.throws(() => parseConfigText(bomb.join('\n')));
});

test('an empty file is a valid, empty config', () => {
  const c = parseConfigText('');
  assert.deepEqual(c.services, []);
  assert.equal(c.format_version, 1);
});

test('pointerToPath escapes odd keys', () => {
  assert.equal(pointerToPath('/services/2/targets/0/url'), 'services[2].targets[0].url');
  assert.equal(pointerToPath('/routes/0/headers/x~1y'), 'routes[0].headers["x/y"]');
  assert.equal(pointerToPath(''), '');
});
