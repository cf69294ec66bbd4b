// The edi plugin's decisions without a gateway: compile checks, which partners a route admits,
// and the consumer binding. The whole path through a real gateway is in test/edi.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { TradingPartner } from '../../core/entities/schemas.ts';
import { isProblemResponse, type PluginResponse } from '../../core/pipeline/context.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { edi } from './plugin.ts';

const X850 = readFileSync(new URL('../../../test/fixtures/edi/850-purchase-order.edi', import.meta.url));
const partner = (over: Partial<TradingPartner> = {}): TradingPartner => ({
  name: 'xyz', title: '', x12: { qualifier: '12', id: '4405197800' }, document_types: ['850'], routes: ['edi'], acknowledgement: 'never', enabled: true, tags: [], ...over,
});
const env = (partners: TradingPartner[], route = 'edi') => ({ builtinIssuer: undefined, redis: undefined, attachedTo: { scope: 'route' as const, name: route }, tradingPartners: partners });

function access(partners: TradingPartner[], consumer?: string, route = 'edi'): PluginResponse | undefined {
  const conf = compileConf(edi, {}, env(partners, route));
  const ctx = fakeContext({ method: 'POST', headers: { 'content-type': 'application/edi-x12' }, body: X850 });
  if (consumer !== undefined) ctx.consumer = { id: consumer, username: consumer };
  return edi.handlers.access!(ctx, conf) as PluginResponse | undefined;
}
const problemOf = (r: PluginResponse | undefined) => (r !== undefined && isProblemResponse(r) ? r.problem : r === undefined ? 'continue' : 'other');

test('compile: route-only, and outbound routes need a sender identity', () => {
  assert.throws(() => compileConf(edi, {}, { builtinIssuer: undefined, redis: undefined, attachedTo: { scope: 'service', name: 's' } }), /attached to routes/);
  assert.throws(() => compileConf(edi, { direction: 'outbound' }, env([])), /identity\.x12 or identity\.edifact/);
  assert.throws(() => compileConf(edi, { forward: 'everything' }, env([])));
});

test('a partner is admitted only on the routes it lists, while enabled, for its document types', () => {
  assert.equal(problemOf(access([partner()])), 'continue');
  assert.equal(problemOf(access([partner({ routes: ['other'] })])), 'edi-partner-not-allowed');
  assert.equal(problemOf(access([partner({ enabled: false })])), 'edi-partner-not-allowed');
  assert.equal(problemOf(access([partner({ document_types: ['856'] })])), 'edi-partner-not-allowed');
  assert.equal(problemOf(access([])), 'edi-partner-not-allowed');
});

test('a partner bound to a consumer sends only as that consumer (the envelope sender id is only a claim)', () => {
  const bound = partner({ consumer: 'xyz-consumer' });
  assert.equal(problemOf(access([bound])), 'edi-partner-not-allowed', 'unauthenticated');
  assert.equal(problemOf(access([bound], 'someone-else')), 'edi-partner-not-allowed');
  assert.equal(problemOf(access([bound], 'xyz-consumer')), 'continue');
});

test('each interchange is counted by route, direction, format and outcome', async () => {
  const { registry } = await import('../../telemetry/metrics.ts');
  const value = async (outcome: string) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'portcullis_edi_interchanges_total');
    return m?.values.find((v) => v.labels.route === 'metered' && v.labels.outcome === outcome && v.labels.format === 'x12')?.value ?? 0;
  };
  const before = [await value('forwarded'), await value('not_allowed')];
  access([partner({ routes: ['metered'] })], undefined, 'metered');
  access([], undefined, 'metered');
  assert.deepEqual([await value('forwarded'), await value('not_allowed')], [before[0]! + 1, before[1]! + 1]);
});

test('bodies: a UTF-8 BOM and leading line breaks are skipped, Latin-1 is read byte for byte', async () => {
  const { decodeEdi } = await import('./compile.ts');
  assert.equal(decodeEdi(Buffer.from('\uFEFF\r\nISA*', 'utf8')), 'ISA*');
  assert.equal(decodeEdi(Buffer.from([0x55, 0x4e, 0x42, 0x2b, 0xdc])), 'UNB+Ü');
  assert.equal(decodeEdi(Buffer.from('UNB+Ü', 'utf8')), 'UNB+Ü');
});

test('JSON nesting is bounded without recursion', async () => {
  const { nestedDeeperThan, MAX_JSON_DEPTH } = await import('./compile.ts');
  const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
  assert.equal(nestedDeeperThan(deep, MAX_JSON_DEPTH), true);
  assert.equal(nestedDeeperThan({ a: [{ b: ['x'] }] }, MAX_JSON_DEPTH), false);
  const conf = compileConf(edi, { direction: 'outbound', identity: { x12: { qualifier: 'ZZ', id: 'US' } } }, env([partner()]));
  const ctx = fakeContext({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)) });
  assert.equal(problemOf(edi.handlers.access!(ctx, conf) as PluginResponse | undefined), 'edi-invalid-document');
});

test('outbound: every functional group takes its own number, so no GS06 is used twice', async () => {
  const conf = compileConf(edi, { direction: 'outbound', identity: { x12: { qualifier: 'ZZ', id: 'GROUPS' } } }, env([partner({ document_types: ['850', '856'] })]));
  const documents = [
    { type: '850', segments: [{ id: 'BEG', elements: ['00', 'SA', 'PO-1', '', '20251124'] }] },
    { type: '856', segments: [{ id: 'BSN', elements: ['00', 'SHP-1', '20251124', '1200'] }] },
  ];
  const numbers: string[] = [];
  for (let i = 0; i < 3; i++) {
    const ctx = fakeContext({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ partner: 'xyz', documents })) });
    assert.equal(await edi.handlers.access!(ctx, conf), undefined);
    const segments = ctx.requestBody!.toString('utf8').split('~').map((s) => s.trim().split('*'));
    assert.equal(segments.filter((s) => s[0] === 'GS').length, 2);
    numbers.push(...segments.filter((s) => s[0] === 'GS').map((s) => s[6]!));
  }
  assert.equal(new Set(numbers).size, 6, numbers.join(','));
});
