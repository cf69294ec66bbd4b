// WSDL import: the calculator fixture (SOAP 1.1 and a 1.2 variant) and a WSDL with richer XSD
// types, through parse, plan, the REST-face OpenAPI and the store (dry run and real).
//   npx node --test src/admin/import/wsdl/wsdl.test.ts
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BUNDLED_CATALOG } from '../../../plugins/index.ts';
import { openStore } from '../../../store/open.ts';
import { ConfigService } from '../../config-service.ts';
import { ImportError, importWsdl, parseWsdl, planWsdlImport, restFaceOpenApi } from './index.ts';
import { parseSpec } from '../openapi.ts';
import { ephemeralMasterKey } from '../../../core/identity/sealed.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/soap/${name}`, import.meta.url), 'utf8');
const CALC = fixture('calculator.wsdl');
const CALC12 = fixture('calculator12.wsdl');
const TEMPURI = 'http://tempuri.org/';

test('the calculator WSDL: four operations with actions and int fields in sequence order', () => {
  const wsdl = parseWsdl(CALC);
  assert.equal(wsdl.name, 'Calculator');
  const b = wsdl.bindings.get('1.1')!;
  assert.equal(b.address, 'http://localhost:8000/wsdl');
  assert.deepEqual(b.operations.map((o) => [o.name, o.action]), [['Add', 'http://tempuri.org/Add'], ['Subtract', 'http://tempuri.org/Subtract'], ['Multiply', 'http://tempuri.org/Multiply'], ['Divide', 'http://tempuri.org/Divide']]);
  const add = b.operations[0]!;
  assert.match(add.documentation, /Adds two integers/);
  assert.deepEqual(add.request, {
    name: 'Add', namespace: TEMPURI, type: 'string', min_occurs: 1, max_occurs: 1, nillable: false,
    fields: [
      { name: 'intA', namespace: TEMPURI, type: 'int', min_occurs: 1, max_occurs: 1, nillable: false },
      { name: 'intB', namespace: TEMPURI, type: 'int', min_occurs: 1, max_occurs: 1, nillable: false },
    ],
  });
  assert.equal(add.response.name, 'AddResponse');
  assert.equal(wsdl.bindings.has('1.2'), false);
  assert.equal(parseWsdl(CALC12).bindings.get('1.2')!.operations.length, 4);
});

test('plan: a soap service from soap:address, a proxy route, REST routes with soap-mediation', () => {
  const plan = planWsdlImport(parseWsdl(CALC), { rest: true, upstream: 'http://127.0.0.1:9/calc.asmx' });
  assert.deepEqual(plan.service, {
    name: 'calculator', protocol: 'soap', targets: [{ url: 'http://127.0.0.1:9' }], path: '/calc.asmx',
    soap: { versions: ['1.1'], operations: plan.binding.operations.map((o) => ({ name: o.name, action: o.action })) },
    tags: ['wsdl'],
  });
  assert.deepEqual(plan.routes.map((r) => [r.name, r.paths]), [
    ['calculator.soap', ['=/calculator']], ['calculator.add', ['=/calculator/add']], ['calculator.subtract', ['=/calculator/subtract']],
    ['calculator.multiply', ['=/calculator/multiply']], ['calculator.divide', ['=/calculator/divide']],
  ]);
  const plugins = plan.routes[1]!.plugins as { name: string; config: { operation: string; action: string } }[];
  assert.equal(plugins[0]!.name, 'soap-mediation');
  assert.equal(plugins[0]!.config.action, 'http://tempuri.org/Add');
  const doc = restFaceOpenApi(plan, 'Calculator') as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }> };
  assert.deepEqual(doc.paths['/calculator/add']!.post.requestBody.content['application/json']!.schema, {
    type: 'object', additionalProperties: false, required: ['intA', 'intB'],
    properties: { intA: { type: 'integer', 'x-xsd-type': 'int' }, intB: { type: 'integer', 'x-xsd-type': 'int' } },
  });
});

const RICH = `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:ship" targetNamespace="urn:ship" name="Shipping">
  <types>
    <xs:schema targetNamespace="urn:ship">
      <xs:simpleType name="Speed"><xs:restriction base="xs:string"><xs:enumeration value="ground"/><xs:enumeration value="express"/></xs:restriction></xs:simpleType>
      <xs:complexType name="Parcel"><xs:sequence><xs:element name="weight" type="xs:double"/><xs:element name="fragile" type="xs:boolean" minOccurs="0"/></xs:sequence></xs:complexType>
      <xs:complexType name="Quote"><xs:sequence><xs:element name="speed" type="t:Speed"/><xs:element name="amount" type="xs:decimal"/><xs:element name="note" type="xs:string" nillable="true"/></xs:sequence></xs:complexType>
      <xs:element name="Rate"><xs:complexType><xs:sequence>
        <xs:element name="speed" type="t:Speed" minOccurs="0"/>
        <xs:element name="parcel" type="t:Parcel" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="RateResponse"><xs:complexType><xs:sequence><xs:element name="quote" type="t:Quote" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="RateIn"><part name="p" element="t:Rate"/></message>
  <message name="RateOut"><part name="p" element="t:RateResponse"/></message>
  <portType name="P"><operation name="Rate"><input message="t:RateIn"/><output message="t:RateOut"/></operation></portType>
  <binding name="B" type="t:P"><soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Rate"><soap12:operation soapAction="urn:ship#Rate"/><input><soap12:body use="literal"/></input><output><soap12:body use="literal"/></output></operation>
  </binding>
  <service name="Shipping"><port name="S" binding="t:B"><soap12:address location="https://ship.example/soap"/></port></service>
</definitions>`;

test('the REST face is a valid OpenAPI 3.1 document', async () => {
  const plan = planWsdlImport(parseWsdl(RICH), { rest: true });
  const spec = await parseSpec({ text: JSON.stringify(restFaceOpenApi(plan, 'Shipping')) });
  assert.equal(spec.specVersion, '3.1.0');
  const schema = (spec.document as { paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } } } }> }).paths['/shipping/rate']!.post.requestBody.content['application/json'].schema;
  assert.deepEqual((schema.properties as Record<string, unknown>).parcel, {
    type: 'array', minItems: 1,
    items: { type: 'object', additionalProperties: false, required: ['weight'], properties: { weight: { type: 'number', 'x-xsd-type': 'double' }, fragile: { type: 'boolean', 'x-xsd-type': 'boolean' } } },
  });
});

test('richer XSD: named types, enumerations, unbounded, optional, nillable, unqualified locals', () => {
  const b = parseWsdl(RICH).bindings.get('1.2')!;
  const op = b.operations[0]!;
  assert.equal(op.action, 'urn:ship#Rate');
  const [speed, parcel] = op.request.fields as Record<string, unknown>[];
  assert.deepEqual(speed, { name: 'speed', namespace: '', min_occurs: 0, max_occurs: 1, nillable: false, type: 'string', enumeration: ['ground', 'express'] });
  assert.equal(parcel!.max_occurs, -1);
  assert.deepEqual((parcel!.fields as { name: string; type: string; min_occurs: number }[]).map((f) => [f.name, f.type, f.min_occurs]), [['weight', 'double', 1], ['fragile', 'boolean', 0]]);
  const quote = (op.response.fields as Record<string, unknown>[])[0]!;
  assert.equal((quote.fields as { nillable: boolean }[])[2]!.nillable, true);
});

const RPC = `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <types><xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
    <xs:complexType name="Base"><xs:sequence><xs:element name="id" type="xs:long"/></xs:sequence></xs:complexType>
    <xs:complexType name="Item"><xs:complexContent><xs:extension base="t:Base"><xs:sequence><xs:element ref="t:label"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
    <xs:element name="label" type="xs:string"/>
  </xs:schema></types>
  <message name="In"><part name="item" type="t:Item"/><part name="count" type="xs:int"/></message>
  <message name="Out"><part name="ok" type="xs:boolean"/></message>
  <portType name="P"><operation name="Put"><input message="t:In"/><output message="t:Out"/></operation></portType>
  <binding name="B" type="t:P"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Put"><soap:operation soapAction=""/><input><soap:body use="literal" namespace="urn:t:rpc"/></input><output><soap:body use="literal" namespace="urn:t:rpc"/></output></operation>
  </binding>
  <service name="S"><port name="S" binding="t:B"><soap:address location="http://h.example/s"/></port></service>
</definitions>`;

test('rpc/literal: a wrapper per operation with one unqualified child per part; extension and element ref', () => {
  const op = parseWsdl(RPC).bindings.get('1.1')!.operations[0]!;
  assert.equal(op.action, '');
  assert.equal(op.request.name, 'Put');
  assert.equal(op.request.namespace, 'urn:t:rpc');
  assert.equal(op.response.name, 'PutResponse');
  const [item, count] = op.request.fields as { name: string; namespace: string; type: string; fields?: { name: string; namespace: string; type: string }[] }[];
  assert.deepEqual([item!.name, item!.namespace, count!.name, count!.type], ['item', '', 'count', 'int']);
  assert.deepEqual(item!.fields!.map((f) => [f.name, f.namespace, f.type]), [['id', 'urn:t', 'long'], ['label', 'urn:t', 'string']]);
});

test('unsafe or broken WSDLs are refused with one readable line each', () => {
  const refuse = (text: string, pattern: RegExp) => assert.throws(() => parseWsdl(text), (err: unknown) => err instanceof ImportError && pattern.test(err.problems.join('\n')));
  refuse(`<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>${CALC.replace(/^<\?xml[^>]*>/, '')}`, /xml-forbidden/);
  refuse('<definitions xmlns="urn:not-wsdl"/>', /not a WSDL 1.1 document/);
  refuse(CALC.replace('element="tns:Add"', 'element="tns:Nope"'), /element \{http:\/\/tempuri.org\/\}Nope is not defined/);
  refuse(CALC.replace(/<wsdl:service[\s\S]*<\/wsdl:service>/, ''), /no service port/);
});

async function freshConfig(t: TestContext): Promise<ConfigService> {
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  return new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
}

test('import: dry run writes nothing; the real one stores the service, routes, WSDL and REST face; re-import is a no-op', async (t) => {
  const config = await freshConfig(t);
  const actor = { name: 'test' };
  const dry = await importWsdl(config, { text: CALC }, { rest: true, dryRun: true, upstream: 'http://127.0.0.1:9/calc', actor });
  assert.equal(dry.applied, false);
  assert.equal(dry.spec_ids, undefined);
  assert.equal((await config.store.read().all('route')).length, 0);
  const done = await importWsdl(config, { text: CALC }, { rest: true, upstream: 'http://127.0.0.1:9/calc', actor });
  assert.equal(done.applied, true);
  assert.deepEqual(done.operations, ['Add', 'Subtract', 'Multiply', 'Divide']);
  const specs = await config.store.read().listSpecs('calculator');
  assert.deepEqual(specs.map((s) => s.format).sort(), ['openapi-3.1', 'wsdl']);
  assert.equal((await config.store.read().getSpec(done.spec_ids!.wsdl))?.content, CALC);
  // Operator tuning on the imported service survives a re-import, which changes nothing.
  const svc = await config.store.read().getByKey('service', 'calculator');
  await config.update('service', svc!.id, { read_timeout_ms: 5000 }, undefined, actor, true);
  const again = await importWsdl(config, { text: CALC }, { rest: true, upstream: 'http://127.0.0.1:9/calc', actor });
  assert.deepEqual(again.changes, []);
  assert.deepEqual(again.spec_ids, done.spec_ids);
  assert.equal((await config.load()).config.services.find((s) => s.name === 'calculator')!.read_timeout_ms, 5000);
  // A route name another service owns is refused.
  await config.apply({ services: [{ name: 'other', targets: [{ url: 'http://127.0.0.1:9' }] }], routes: [{ name: 'calc2.soap', service: 'other' }] }, { dryRun: false, actor, merge: true });
  await assert.rejects(importWsdl(config, { text: CALC }, { serviceName: 'calc2', actor }), (err: unknown) => err instanceof ImportError && /already exists for service "other"/.test(err.message));
});
