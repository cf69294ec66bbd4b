// The `portcullis` command line: validate, help, usage errors, and start refusing a bad config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './harness/gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
let files = 0;

function file(text: string): string {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The environment without PORTCULLIS_* settings (they are fallbacks for flags). */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...env, PORTCULLIS_LOG_FORMAT: 'json' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The problem lines of a failed validate: "  path: message" after the "N problems" header. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim());
}

function expectProblems(path: string, expected: RegExp[]): string[] {
  const r = cli('validate', path);
  assert.equal(r.status, 1, `exit code; stdout=${r.stdout} stderr=${r.stderr}`);
  assert.doesNotMatch(r.stdout, /valid/);
  const lines = problemLines(r.stderr);
  assert.match(r.stderr, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${lines.length} problems?$`, 'm'), 'a header with the count');
  for (const re of expected) assert.equal(lines.filter((l) => re.test(l)).length, 1, `exactly one line matching ${re} in:\n${r.stderr}`);
  assert.equal(lines.length, expected.length, `one line per problem, nothing else:\n${r.stderr}`);
  assert.deepEqual(lines, [...new Set(lines)], 'no problem is listed twice');
  return lines;
}

const GOOD = `
services:
  - name: orders
    targets:
      - url: http://127.0.0.1:9001
      - url: http://127.0.0.1:9002
        weight: 50
routes:
  - name: orders-api
    service: orders
    paths: ["/orders", "=/status", "/orders/{id}", "~^/v[0-9]+/orders"]
    plugins:
      - name: response-transformer
        config: { add: { headers: { x-served-by: portcullis } } }
`;

test('validate: a valid file prints "valid" and exits 0', () => {
  const path = file(GOOD);
  const r = cli('validate', path);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /: valid \(1 services, 1 routes, 0 global plugins; version [0-9a-f]{12}\)/);
  assert.equal(r.stderr, '');
});

test('validate: schema problems, one line each naming the path', () => {
  expectProblems(file(`
services:
  - name: s
    targets:
      - url: ftp://example.com
      - url: http://127.0.0.1:1
        weight: -3
    colour: blue
routes:
  - service: s
`), [
    /^services\[0\]\.targets\[0\]\.url: must be an http\(s\) URL/,
    /^services\[0\]\.targets\[1\]\.weight: /,
    /^services\[0\]\.colour: is not a known field$/,
    /^routes\[0\]\.name: is required$/,
  ]);
});

test('validate: cross-reference problems (missing service, duplicates)', () => {
  expectProblems(file(`
services:
  - name: s
    targets: [{ url: "http://127.0.0.1:1" }]
routes:
  - name: r
    service: x
  - name: r
    service: s
`), [/^routes\[0\]\.service: no service is named "x"$/, /^routes\[1\]\.name: duplicate route name "r"$/]);
});

test('validate: unknown plugin, bad plugin config and a catastrophic regex', () => {
  expectProblems(file(`
services:
  - name: s
    targets: [{ url: "http://127.0.0.1:1" }]
routes:
  - name: r
    service: s
    paths: ["~(a+)+$"]
    plugins:
      - name: no-such-plugin
      - name: response-transformer
        config: { add: { headers: "not-a-map" } }
`), [
    /^routes\[0\]\.plugins\[0\]\.name: unknown plugin "no-such-plugin"/,
    /^routes\[0\]\.plugins\[1\]\.config\.add\.headers: /,
    /^routes\[0\]\.paths\[0\]: regular expression may backtrack catastrophically/,
  ]);
});

test('validate: every problem in the file is reported at once, whatever check finds it', () => {
  // "check a config file, print every problem" (portcullis --help): schema, cross-reference,
  // plugin and route problems in one file are all listed, not one kind per run.
  expectProblems(file(`
services:
  - name: s
    targets: [{ url: "ftp://example.com" }]
routes:
  - name: r
    service: x
    paths: ["~(a+)+$"]
    plugins:
      - name: no-such-plugin
      - name: response-transformer
        config: { add: { headers: "not-a-map" } }
`), [
    /^services\[0\]\.targets\[0\]\.url: must be an http\(s\) URL/,
    /^routes\[0\]\.service: no service is named "x"$/,
    /^routes\[0\]\.plugins\[0\]\.name: unknown plugin "no-such-plugin"/,
    /^routes\[0\]\.plugins\[1\]\.config\.add\.headers: /,
    /^routes\[0\]\.paths\[0\]: regular expression may backtrack catastrophically/,
  ]);
});

test('validate: invalid YAML exits 1 naming the YAML problem and where it is', () => {
  const [line] = expectProblems(file('services:\n  - name: s\n    targets: [ { url: x }\nroutes: []\n'), [/^YAML: /]);
  assert.match(line!, /line \d+, column \d+/);
  // Several YAML errors: each listed once (no identical lines).
  const r = cli('validate', file('services:\n  - name: s\n    targets: [ { url: x }\nroutes: {{{\n'));
  assert.equal(r.status, 1);
  const lines = problemLines(r.stderr);
  assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith('YAML: ')), r.stderr);
  assert.deepEqual(lines, [...new Set(lines)], 'no problem is listed twice');
});

test('validate: duplicate keys are rejected', () => {
  expectProblems(file('services: []\nservices: []\n'), [/^YAML: .*(duplicate|unique)/i]);
});

test('validate: a YAML alias bomb is reported as a problem, without a crash', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  // Rejected as a problem like any other: no crash, no stack trace.
  const r = cli('validate', file(bomb.join('\n') + '\n'));
  assert.equal(r.status, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at |^Node\.js v|ReferenceError/m, 'no stack trace');
  assert.ok(problemLines(r.stderr).some((l) => /^YAML: .*alias/i.test(l)), r.stderr);
});

test('validate: a missing file exits 1 and says it cannot be read', () => {
  const r = cli('validate', join(dir, 'does-not-exist.yaml'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does-not-exist\.yaml: cannot read \(ENOENT\)/);
});

test('validate: without exactly one file is a usage error (exit 2)', () => {
  for (const args of [[], ['a.yaml', 'b.yaml'], ['--strict']]) {
    const r = cli('validate', ...args);
    assert.equal(r.status, 2, `validate ${args.join(' ')}`);
    assert.match(r.stderr, /validate takes one file/);
  }
});

test('--help, no command and --version exit 0', () => {
  for (const args of [['--help'], ['-h'], ['help'], [], ['start', '--help']]) {
    const r = cli(...args);
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /Usage:\n {2}portcullis start/);
    assert.match(r.stdout, /portcullis validate FILE/);
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const v = cli('--version');
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), pkg.version);
});

test('an unknown command or flag is a usage error (exit 2)', () => {
  const r = cli('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /portcullis --help/);
  assert.equal(r.stdout, '');
  const f = cli('start', '--no-such-flag');
  assert.equal(f.status, 2, f.stderr);
});

test('start: bad --workers, --port or --roles values are usage errors (exit 2), before anything starts', () => {
  const config = file(GOOD);
  for (const [args, re] of [
    [['--workers', '0'], /--workers must be a whole number/],
    [['--workers', 'two'], /--workers must be a whole number/],
    [['--workers', '1.5'], /--workers must be a whole number/],
    [['--port', '70000'], /--port must be a port number/],
    [['--admin-port=-1'], /--admin-port must be a port number/],
    [['--roles', 'gateway,bogus'], /unknown role "bogus"/],
  ] as const) {
    const r = cli('start', '--config', config, '--port', '0', '--admin-port', '0', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stdout, /portcullis is running/);
  }
});

interface LogLine { level: number; msg: string; problems?: string[] }
const logLines = (text: string): LogLine[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

test('start: an invalid config exits 1 with every problem in the log', () => {
  const config = file(`
services:
  - name: s
    targets: [{ url: "ftp://example.com" }]
routes:
  - name: r
    service: s
    methods: ["get"]
`);
  const r = cli('start', '--config', config, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--workers', '1');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const entry = logLines(r.stdout + r.stderr).find((l) => l.msg === 'invalid config');
  assert.ok(entry, `an "invalid config" log line in:\n${r.stdout}${r.stderr}`);
  assert.ok(entry.level >= 50, 'logged as an error');
  assert.equal(entry.problems?.length, 2, JSON.stringify(entry.problems));
  assert.ok(entry.problems?.some((p) => p.startsWith('services[0].targets[0].url: must be an http(s) URL')));
  assert.ok(entry.problems?.some((p) => p.startsWith('routes[0].methods[0]: ')));
  assert.doesNotMatch(r.stdout, /portcullis is running/);
});

test('start: a plugin problem and a missing config file also exit 1 with a clear message', () => {
  const config = file(`
services:
  - name: s
    targets: [{ url: "http://127.0.0.1:1" }]
routes:
  - name: r
    service: s
    plugins: [{ name: no-such-plugin }]
`);
  const r = cli('start', '--config', config, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--workers', '1');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /routes\[0\]\.plugins\[0\]\.name: unknown plugin \\?"no-such-plugin\\?"/);
  const missing = cli('start', '--config', join(dir, 'nope.yaml'), '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--workers', '1');
  assert.equal(missing.status, 1);
  assert.match(missing.stdout + missing.stderr, /cannot read config file .*nope\.yaml: ENOENT/);
});
