// `portcullis config diff|apply|export` against a real SQLite store: the GitOps loop. Apply is one
// transaction, dry runs write nothing, export round-trips exactly, and broken files change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { BIN } from './harness/gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-gitops-'));
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));

function cli(db: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', timeout: 30_000, env: { ...env, PORTCULLIS_LOG_FORMAT: 'json' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let n = 0;
function file(doc: unknown): string {
  const path = join(dir, `doc-${++n}.yaml`);
  writeFileSync(path, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return path;
}

const newDb = () => `sqlite:${join(dir, `store-${++n}.db`)}`;

const BASE = {
  services: [
    { name: 'orders', targets: [{ url: 'http://127.0.0.1:9001' }], plugins: [{ name: 'response-transformer', config: { add: { headers: { 'x-svc': 'orders' } } } }] },
    { name: 'billing', targets: [{ url: 'http://127.0.0.1:9002' }] },
  ],
  routes: [
    { name: 'orders-api', service: 'orders', paths: ['/orders'], tags: ['public'] },
    { name: 'billing-api', service: 'billing', paths: ['/billing'] },
  ],
  consumers: [{ name: 'acme', groups: ['partners'] }],
  plans: [{ name: 'free', rate_limits: [{ window: 'minute', limit: 60 }] }],
  products: [{ name: 'commerce', services: ['orders', 'billing'], plans: ['free'], status: 'published' }],
  subscriptions: [{ consumer: 'acme', product: 'commerce', plan: 'free' }],
};

test('apply creates everything in one go; a second apply and a diff find nothing to do', () => {
  const db = newDb();
  const path = file(BASE);
  const dry = cli(db, 'config', 'apply', path, '--dry-run');
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^\+ service orders$/m);
  assert.match(dry.stdout, /dry run: nothing written/);
  const diffBefore = cli(db, 'config', 'diff', path, '--exit-code');
  assert.equal(diffBefore.status, 2, 'the dry run wrote nothing, so there are still changes');
  const applied = cli(db, 'config', 'apply', path);
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stdout, /9 changes: 9 to create, 0 to update, 0 to delete/);
  assert.match(applied.stdout, /applied to sqlite:.*: revision 1/);
  const again = cli(db, 'config', 'apply', path);
  assert.match(again.stdout, /^no changes$/m);
  assert.match(again.stdout, /nothing to apply/);
  const diff = cli(db, 'config', 'diff', path, '--exit-code');
  assert.equal(diff.status, 0);
  assert.match(diff.stdout, /^no changes$/m);
});

test('export round-trips exactly: export → apply to a fresh store → export is byte-identical (but for the header)', () => {
  const db = newDb();
  assert.equal(cli(db, 'config', 'apply', file(BASE)).status, 0);
  const out1 = join(dir, 'export-1.yaml');
  const e1 = cli(db, 'config', 'export', '-o', out1);
  assert.equal(e1.status, 0, e1.stderr);
  const other = newDb();
  assert.equal(cli(other, 'config', 'apply', out1).status, 0);
  const out2 = join(dir, 'export-2.yaml');
  assert.equal(cli(other, 'config', 'export', '-o', out2).status, 0);
  const body = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => !l.startsWith('# exported')).join('\n');
  assert.equal(body(out2), body(out1));
  assert.equal(cli(db, 'config', 'diff', out1, '--exit-code').status, 0, 'the export describes the store it came from');
  const json = cli(db, 'config', 'export', '--format', 'json');
  const doc = JSON.parse(json.stdout) as { routes: { name: string }[]; services: { plugins: unknown[] }[] };
  assert.deepEqual(doc.routes.map((r) => r.name), ['orders-api', 'billing-api'], 'declaration order is kept');
  assert.equal(doc.services[0]!.plugins.length, 1, 'service plugins nest back into their service');
});

test('diff names field-level changes, moves and deletions; apply makes them', () => {
  const db = newDb();
  assert.equal(cli(db, 'config', 'apply', file(BASE)).status, 0);
  const changed = structuredClone(BASE) as typeof BASE & { routes: Record<string, unknown>[] };
  changed.routes = [{ name: 'billing-api', service: 'billing', paths: ['/billing'] }, { name: 'orders-api', service: 'orders', paths: ['/orders', '/o'], tags: ['public'] }];
  changed.services = [BASE.services[0]!, { name: 'billing', targets: [{ url: 'http://127.0.0.1:9003' }] }];
  changed.subscriptions = [];
  const path = file(changed);
  const diff = cli(db, 'config', 'diff', path);
  assert.equal(diff.status, 0);
  assert.match(diff.stdout, /^~ service billing$/m);
  assert.match(diff.stdout, /^ {4}targets: \[\{"url":"http:\/\/127\.0\.0\.1:9002","weight":100\}\] → \[\{"url":"http:\/\/127\.0\.0\.1:9003","weight":100\}\]$/m);
  assert.match(diff.stdout, /^~ route orders-api \(moved\)$/m);
  assert.match(diff.stdout, /^ {4}paths: \["\/orders"\] → \["\/orders","\/o"\]$/m);
  assert.match(diff.stdout, /^- subscription acme\/commerce$/m);
  assert.equal(cli(db, 'config', 'apply', path).status, 0);
  assert.equal(cli(db, 'config', 'diff', path, '--exit-code').status, 0);
  const doc = JSON.parse(cli(db, 'config', 'export', '--format', 'json').stdout) as { routes: { name: string }[]; subscriptions: unknown[] };
  assert.deepEqual(doc.routes.map((r) => r.name), ['billing-api', 'orders-api']);
  assert.deepEqual(doc.subscriptions, []);
});

test('sections absent from a file are left alone', () => {
  const db = newDb();
  assert.equal(cli(db, 'config', 'apply', file(BASE)).status, 0);
  const onlyPlans = file({ plans: [{ name: 'free', rate_limits: [{ window: 'minute', limit: 120 }] }] });
  const r = cli(db, 'config', 'apply', onlyPlans);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^~ plan free$/m);
  assert.match(r.stdout, /1 change: 0 to create, 1 to update, 0 to delete/);
  const doc = JSON.parse(cli(db, 'config', 'export', '--format', 'json').stdout) as { services: unknown[]; routes: unknown[]; consumers: unknown[] };
  assert.equal(doc.services.length, 2);
  assert.equal(doc.routes.length, 2);
  assert.equal(doc.consumers.length, 1);
});

test('a broken file is refused whole with every problem listed, and the store is unchanged', () => {
  const db = newDb();
  assert.equal(cli(db, 'config', 'apply', file(BASE)).status, 0);
  const before = cli(db, 'config', 'export', '--format', 'json').stdout;
  const broken = structuredClone(BASE) as unknown as { routes: Record<string, unknown>[]; services: Record<string, unknown>[]; subscriptions: Record<string, unknown>[] };
  broken.routes.push({ name: 'ghost', service: 'nowhere', paths: ['~(a+)+$'] });
  broken.services[1]!.targets = [{ url: 'ftp://nope' }];
  broken.subscriptions.push({ consumer: 'nobody', product: 'commerce', plan: 'free' });
  const r = cli(db, 'config', 'apply', file(broken));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /problems/);
  assert.match(r.stderr, /services\[1\]\.targets\[0\]\.url: must be an http\(s\) URL/);
  assert.match(r.stderr, /routes\[2\]\.paths\[0\]/);
  assert.match(r.stderr, /subscriptions\[1\]\.consumer: no consumer is named "nobody"/);
  assert.equal(cli(db, 'config', 'export', '--format', 'json').stdout, before, 'nothing was written');
  const yamlBomb = cli(db, 'config', 'apply', file('a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n'));
  assert.equal(yamlBomb.status, 1);
  assert.match(yamlBomb.stderr, /YAML/);
});

test('usage errors exit 2 with a message', () => {
  const db = newDb();
  assert.equal(cli(db, 'config').status, 2);
  assert.equal(cli(db, 'config', 'frobnicate').status, 2);
  assert.equal(cli(db, 'config', 'apply').status, 2);
  const bad = spawnSync(process.execPath, [BIN, 'config', 'export', '--db', 'mysql://x'], { encoding: 'utf8', env });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unsupported database/);
});

test('a store that cannot be opened is one line and exit 1, never a stack trace', async () => {
  const refused = spawnSync(process.execPath, [BIN, 'config', 'export', '--db', 'postgres://postgres@127.0.0.1:1/nope'], { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^portcullis: cannot open the store postgres:\/\/postgres@127\.0\.0\.1:1\/nope: .*ECONNREFUSED/m);
  assert.doesNotMatch(refused.stderr, /^\s+at /m);
  // A database migrated by a newer Portcullis: refused, untouched.
  const db = newDb();
  assert.equal(cli(db, 'config', 'apply', file(BASE)).status, 0);
  const { DatabaseSync } = await import('node:sqlite');
  const raw = new DatabaseSync(db.slice('sqlite:'.length));
  raw.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00Z')");
  raw.close();
  const newer = cli(db, 'config', 'export');
  assert.equal(newer.status, 1);
  assert.match(newer.stderr, /schema is at version 999, newer than this Portcullis understands/);
  assert.doesNotMatch(newer.stderr, /^\s+at /m);
  const start = spawnSync(process.execPath, [BIN, 'start', '--db', 'mysql://x'], { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(start.status, 2);
  assert.match(start.stderr, /unsupported database/);
});

test('admin token: a new token straight in the store works for the admin API, and is audited', async () => {
  const db = newDb();
  const r = cli(db, 'admin', 'token', '--user', 'ops', '--name', 'recovery');
  assert.equal(r.status, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(token, /^pcat_[A-Za-z0-9_-]{43}$/);
  assert.match(r.stderr, /token for admin user "ops" \(role admin\); shown once/);
  const { openStore } = await import('../src/store/open.ts');
  const { AdminAuth } = await import('../src/admin/auth.ts');
  const store = await openStore(db);
  try {
    const principal = await new AdminAuth(store).authenticate(`Bearer ${token}`);
    assert.equal(principal?.user, 'ops');
    assert.equal(principal?.role, 'admin');
    const audit = (await store.read().listAudit({ limit: 10 })).data.map((a) => `${a.action} ${a.entity} ${a.entity_key}`);
    assert.deepEqual(audit, ['create admin_token ops/recovery', 'create admin_user ops']);
    assert.ok(!JSON.stringify(audit).includes(token));
  } finally {
    await store.close();
  }
  assert.equal(cli(db, 'admin').status, 2);
});
