import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { checkConfig } from '../config/load.ts';
import { ConfigError } from '../config/errors.ts';
import { compileSnapshot } from '../snapshot/compile.ts';
import { catalogOf } from './compile.ts';
import { definePlugin, type AnyPlugin } from './plugin.ts';
import { runPhase } from './run.ts';
import type { RequestContext } from './context.ts';

const Conf = Type.Object({ tag: Type.String({ default: 'x' }) }, { additionalProperties: false });
const tracer = (name: string, priority: number, extra: Partial<AnyPlugin> = {}) => definePlugin({
  name, priority, version: '1', description: name, configSchema: Conf,
  handlers: {
    access(ctx: RequestContext, conf: { tag: string }) { (ctx.vars.trace as string[]).push(`${name}:${conf.tag}`); },
  },
  ...extra,
}) as AnyPlugin;

const catalog = catalogOf([tracer('low', 1), tracer('high', 100), tracer('mid', 50), tracer('also-mid', 50)]);
const svc = { name: 's', targets: [{ url: 'http://127.0.0.1:1' }] };
const newCtx = () => ({ vars: { trace: [] as string[] } }) as unknown as RequestContext;

function run(config: Record<string, unknown>, route = 0): string[] {
  const snap = compileSnapshot(checkConfig(config), catalog);
  const c = newCtx();
  runPhase(snap.routes[route]!.chains.access, c);
  return c.vars.trace as string[];
}

test('steps run by priority (high first), then by name', () => {
  const trace = run({ services: [svc], routes: [{ name: 'r', service: 's', plugins: [{ name: 'low' }, { name: 'mid' }, { name: 'high' }, { name: 'also-mid' }] }] });
  assert.deepEqual(trace, ['high:x', 'also-mid:x', 'mid:x', 'low:x']);
});

test('route instance beats service instance beats global; disabled switches off', () => {
  const config = {
    plugins: [{ name: 'high', config: { tag: 'global' } }, { name: 'low', config: { tag: 'global' } }, { name: 'mid', config: { tag: 'global' } }],
    services: [{ ...svc, plugins: [{ name: 'high', config: { tag: 'service' } }] }],
    routes: [
      { name: 'r1', service: 's', plugins: [{ name: 'high', config: { tag: 'route' } }, { name: 'low', enabled: false }] },
      { name: 'r2', service: 's' },
    ],
  };
  assert.deepEqual(run(config, 0), ['high:route', 'mid:global']);
  assert.deepEqual(run(config, 1), ['high:service', 'mid:global', 'low:global']);
});

test('plugin config errors name their place in the file; unknown plugins list the bundled ones', () => {
  assert.throws(() => compileSnapshot(checkConfig({ services: [svc], routes: [{ name: 'r', service: 's', plugins: [{ name: 'high', config: { tag: 5 } }, { name: 'nope' }, { name: 'low' }, { name: 'low' }] }] }), catalog), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const lines = err.issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(lines.some((l) => l.startsWith('routes[0].plugins[0].config.tag:')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('routes[0].plugins[1].name: unknown plugin "nope" (bundled: also-mid, high, low, mid)')), lines.join('\n'));
    assert.ok(lines.includes('routes[0].plugins[3].name: plugin "low" is attached twice here'), lines.join('\n'));
    return true;
  });
});

test('compile() pre-processes config once and can reject it', () => {
  let compiled = 0;
  const p = definePlugin({
    name: 'pre', priority: 1, version: '1', description: '', configSchema: Conf,
    compile: (c) => { compiled++; return c.tag === 'bad' ? 'tag must not be bad' : { upper: c.tag.toUpperCase() }; },
    handlers: { access(ctx: RequestContext, conf: { upper: string }) { (ctx.vars.trace as string[]).push(conf.upper); } },
  }) as AnyPlugin;
  const cat = catalogOf([p]);
  const snap = compileSnapshot(checkConfig({ plugins: [{ name: 'pre', config: { tag: 'abc' } }], services: [svc], routes: [{ name: 'a', service: 's' }, { name: 'b', service: 's' }] }), cat);
  assert.equal(compiled, 1, 'a global instance is compiled once for all routes');
  const c = newCtx();
  runPhase(snap.routes[1]!.chains.access, c);
  assert.deepEqual(c.vars.trace, ['ABC']);
  assert.throws(() => compileSnapshot(checkConfig({ plugins: [{ name: 'pre', config: { tag: 'bad' } }], services: [svc], routes: [] }), cat), /tag must not be bad/);
});

test('scopes are enforced', () => {
  const globalOnly = tracer('g', 1, { scopes: ['global'] });
  assert.throws(() => compileSnapshot(checkConfig({ services: [svc], routes: [{ name: 'r', service: 's', plugins: [{ name: 'g' }] }] }), catalogOf([globalOnly])), /can only be attached globally/);
});

test('a step that stops the chain returns its response; async steps continue the chain', async () => {
  const stop = definePlugin({ name: 'stop', priority: 10, version: '1', description: '', configSchema: Conf, handlers: { access: () => ({ status: 418 }) } }) as AnyPlugin;
  const wait = definePlugin({ name: 'wait', priority: 20, version: '1', description: '', configSchema: Conf, handlers: { access: async (c: RequestContext) => { await new Promise((r) => setTimeout(r, 5)); (c.vars.trace as string[]).push('waited'); } } }) as AnyPlugin;
  const snap = compileSnapshot(checkConfig({ services: [svc], routes: [{ name: 'r', service: 's', plugins: [{ name: 'stop' }, { name: 'wait' }, { name: 'low' }] }] }), catalogOf([stop, wait, tracer('low', 1)]));
  const c = newCtx();
  const out = await runPhase(snap.routes[0]!.chains.access, c);
  assert.deepEqual(out, { status: 418 });
  assert.deepEqual(c.vars.trace, ['waited'], 'the step after the stop never ran');
});
