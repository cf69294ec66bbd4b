// `portcullis import graphql` against a real SQLite store: SDL from a file, the same again (nothing
// stored), a broken SDL or a schema the service's config cannot use (refused whole), and
// introspection of a real GraphQL upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import YAML from 'yaml';
import { BIN } from './harness/gateway.ts';
import { startUpstream } from './harness/upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-graphql-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));

interface Run { status: number | null; stdout: string; stderr: string }

function cliSync(db: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', timeout: 30_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, for commands that must reach a server running in this process. */
function cli(db: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--db', db], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const SDL = 'type Query { shipment(id: ID!): Shipment }\ntype Shipment { id: ID! status: String! secret: String }\n';

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('import graphql: a file, the same file again, broken SDL, a schema the config cannot use, introspection', async (t) => {
  const up = await startUpstream((req, res, body) => {
    const { query } = JSON.parse(body.toString('utf8')) as { query: string };
    void Promise.resolve(graphql({ schema: buildSchema(SDL), source: query })).then((r) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r));
    });
  });
  t.after(() => up.close());
  const db = `sqlite:${join(dir, 'store.db')}`;
  const config = write('config.yaml', YAML.stringify({
    services: [
      { name: 'tracking', protocol: 'graphql', targets: [{ url: up.url }], plugins: [{ name: 'graphql', config: { deny: [{ groups: ['interns'], fields: ['Shipment.secret'] }] } }] },
    ],
    routes: [{ name: 'gql', service: 'tracking', paths: ['/graphql'] }],
  }));
  // The deny rule needs a schema, and there is none yet: the config is refused...
  const refused = cliSync(db, 'config', 'apply', config);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr + refused.stdout, /need the service’s schema/);
  // ...so the service comes first without it, then the schema, then the rule.
  const bare = write('bare.yaml', YAML.stringify({ services: [{ name: 'tracking', protocol: 'graphql', targets: [{ url: up.url }] }], routes: [{ name: 'gql', service: 'tracking', paths: ['/graphql'] }] }));
  assert.equal(cliSync(db, 'config', 'apply', bare).status, 0);

  const stored = cliSync(db, 'import', 'graphql', '--service', 'tracking', write('schema.graphql', SDL));
  assert.equal(stored.status, 0, stored.stderr);
  assert.match(stored.stdout, /schema of "tracking" \(\d+ types\) stored in .* as /);
  const again = cliSync(db, 'import', 'graphql', '--service', 'tracking', join(dir, 'schema.graphql'));
  assert.match(again.stdout, /unchanged/);
  assert.equal(cliSync(db, 'config', 'apply', config).status, 0, 'the deny rule compiles against the stored schema');

  const broken = cliSync(db, 'import', 'graphql', '--service', 'tracking', write('broken.graphql', 'type Query { a: Nope }'));
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /not a valid GraphQL schema/);
  const lacking = cliSync(db, 'import', 'graphql', '--service', 'tracking', write('lacking.graphql', 'type Query { shipment(id: ID!): Shipment }\ntype Shipment { id: ID! }\n'));
  assert.equal(lacking.status, 1, 'the deny rule names Shipment.secret, which this schema lacks');
  assert.match(lacking.stderr, /no field "secret"/);
  assert.equal(cliSync(db, 'import', 'graphql', '--service', 'nobody', join(dir, 'schema.graphql')).status, 1);
  assert.equal(cliSync(db, 'import', 'graphql', 'schema.graphql').status, 2, 'usage: --service is required');

  const introspected = await cli(db, 'import', 'graphql', '--service', 'tracking', '--introspect', '--path', '/graphql');
  assert.equal(introspected.status, 0, introspected.stderr);
  assert.match(introspected.stdout, /stored/);
  assert.equal(up.received.length, 1);
});
