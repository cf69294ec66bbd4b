import SwaggerParser from '@apidevtools/swagger-parser';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
const doc = YAML.parse(readFileSync('examples/carrier/openapi.yaml', 'utf8'), { maxAliasCount: 100, uniqueKeys: true });
const t = Date.now();
const r: any = await SwaggerParser.validate(structuredClone(doc), { resolve: { external: false } } as any);
console.log('ok', Date.now() - t, Object.keys(r.paths));
const t2 = Date.now();
await SwaggerParser.validate(structuredClone(doc), { resolve: { external: false } } as any);
console.log('2nd', Date.now() - t2);
// external ref behaviour
try {
  const r2: any = await SwaggerParser.validate({ openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: { '/a': { $ref: './other.yaml#/a' }, '/b': { get: { responses: { '200': { $ref: 'http://127.0.0.1:1/x.yaml' } } } } } } as any, { resolve: { external: false } } as any);
  console.log('ext ok', JSON.stringify(r2.paths));
} catch (e: any) { console.log('ext err', e.message); }
try {
  await SwaggerParser.validate({ openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: { '/a': { $ref: './other.yaml#/a' } } } as any);
} catch (e: any) { console.log('ext default err', e.name, e.message); }
// circular
const circ: any = { openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: { '/a': { get: { responses: { '200': { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/N' } } } } } } } }, components: { schemas: { N: { type: 'object', properties: { next: { $ref: '#/components/schemas/N' } } } } } };
const c: any = await SwaggerParser.validate(circ, { resolve: { external: false } } as any);
console.log('circ ok', c.components.schemas.N.properties.next === c.components.schemas.N);
// mutation?
const orig: any = YAML.parse(readFileSync('examples/carrier/openapi.yaml', 'utf8'));
const before = JSON.stringify(orig);
await SwaggerParser.validate(orig, { resolve: { external: false } } as any);
try { console.log('mutated:', JSON.stringify(orig) !== before); } catch (e: any) { console.log('mutated, stringify fails', e.message); }
// 3.2, 2.0 number, no version
for (const d of [{ openapi: '3.2.0', info: { title: 'x', version: '1' }, paths: {} }, { swagger: 2.0, info: { title: 'x', version: '1' }, paths: {} }, { info: { title: 'x', version: '1' }, paths: {} }, { openapi: '3.1.0', info: { title: 'x', version: '1' } }, { openapi: '3.1.0', info: { title: 'x', version: '1' }, webhooks: {} }]) {
  try { await SwaggerParser.validate(d as any); console.log('valid', JSON.stringify(d)); } catch (e: any) { console.log('err', e.name, e.message); }
}
