// soap-mediation: JSON → envelope (order, namespaces, types, violations), SOAP response → typed
// JSON, faults → problem+json, WS-Security UsernameToken.
//   npx node --test src/plugins/soap-mediation/soap-mediation.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseWsdl } from '../../admin/import/wsdl/parse.ts';
import { mediationConfig } from '../../admin/import/wsdl/plan.ts';
import { parseXml, writeFault, writeEnvelope } from '../../core/xml/index.ts';
import { readEnvelope } from '../../core/xml/soap.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { soapMediation } from './plugin.ts';
import { passwordDigest, securityHeader } from './ws-security.ts';

const CALC = parseWsdl(readFileSync(new URL('../../../test/fixtures/soap/calculator.wsdl', import.meta.url), 'utf8')).bindings.get('1.1')!;
const add = CALC.operations[0]!;
const env = { builtinIssuer: undefined, redis: undefined, serviceConfig: { path: '/calc.asmx' } as never };

function request(conf: ReturnType<typeof compile>, body: unknown, method = 'POST') {
  const ctx = fakeContext({ method, headers: { 'content-type': 'application/json' }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  const out = soapMediation.handlers.access!(ctx, conf);
  return { ctx, out };
}
const compile = (extra: Record<string, unknown> = {}) => compileConf(soapMediation, { ...mediationConfig(add, '1.1'), ...extra }, env);

test('JSON becomes the operation envelope: sequence order, namespace, SOAPAction, endpoint path', () => {
  const { ctx, out } = request(compile(), { intB: 2, intA: 40 });
  assert.equal(out, undefined);
  const xml = ctx.requestBody!.toString();
  assert.match(xml, /<soap:Body><Add xmlns="http:\/\/tempuri.org\/"><intA>40<\/intA><intB>2<\/intB><\/Add><\/soap:Body>/);
  assert.equal(ctx.upstream.headers['content-type'], 'text/xml; charset=utf-8');
  assert.equal(ctx.upstream.headers.soapaction, '"http://tempuri.org/Add"');
  assert.equal(ctx.upstream.path, '/calc.asmx');
  const parsed = parseXml(xml);
  assert.ok(parsed.ok);
  assert.equal(typeof readEnvelope(parsed.root), 'object');
});

test('SOAP 1.2: the action goes in the Content-Type', () => {
  const { ctx } = request(compile({ soap_version: '1.2' }), { intA: 1, intB: 2 });
  assert.equal(ctx.upstream.headers['content-type'], 'application/soap+xml; charset=utf-8; action="http://tempuri.org/Add"');
  assert.match(ctx.requestBody!.toString(), /xmlns:soap="http:\/\/www.w3.org\/2003\/05\/soap-envelope"/);
});

test('bad input is a 400 listing every violation by JSON pointer', () => {
  const { out } = request(compile(), { intA: 'x', intB: 2 ** 40, extra: true });
  assert.deepEqual(out, { problem: 'soap-mediation-invalid', extensions: { errors: [
    { pointer: '/extra', message: 'is not a field of this element' },
    { pointer: '/intA', message: 'must be an integer (int)' },
    { pointer: '/intB', message: 'must be between -2147483648 and 2147483647 (int)' },
  ] } });
  assert.deepEqual(request(compile(), {}).out, { problem: 'soap-mediation-invalid', extensions: { errors: [{ pointer: '/intA', message: 'is required' }, { pointer: '/intB', message: 'is required' }] } });
  assert.equal((request(compile(), '{nope').out as { problem: string }).problem, 'soap-mediation-invalid');
  assert.equal((request(compile(), [1]).out as { problem: string }).problem, 'soap-mediation-invalid');
  assert.equal((request(compile(), { intA: 1, intB: 2 }, 'GET').out as { problem: string }).problem, 'soap-mediation-invalid');
});

test('strings are escaped; arrays, nil and unqualified elements follow the model', () => {
  const model = {
    operation: 'Note', action: 'urn:n', request: { name: 'Note', namespace: 'urn:n', fields: [
      { name: 'text', namespace: 'urn:n', type: 'string' },
      { name: 'tag', namespace: 'urn:n', type: 'string', min_occurs: 0, max_occurs: -1 },
      { name: 'due', type: 'date', nillable: true },
    ] }, response: { name: 'NoteResponse', namespace: 'urn:n', fields: [] },
  };
  const conf = compileConf(soapMediation, model, env);
  const { ctx, out } = request(conf, { text: '</text><evil/>&', tag: ['a', 'b'], due: null });
  assert.equal(out, undefined);
  assert.match(ctx.requestBody!.toString(), /<Note xmlns="urn:n"><text>&lt;\/text&gt;&lt;evil\/&gt;&amp;<\/text><tag>a<\/tag><tag>b<\/tag><due xmlns="" xmlns:xsi="http:\/\/www.w3.org\/2001\/XMLSchema-instance" xsi:nil="true"\/><\/Note>/);
  const bad = request(conf, { text: 'x', tag: 'a', due: '2024-13' }).out as unknown as { extensions: { errors: { pointer: string }[] } };
  assert.deepEqual(bad.extensions.errors.map((e) => e.pointer), ['/tag', '/due']);
});

function respond(conf: ReturnType<typeof compile>, status: number, xml: string) {
  const ctx = fakeContext({ method: 'POST', path: '/calculator/add' });
  ctx.response = { status, headers: { 'content-type': 'text/xml' }, bodyTap: undefined };
  const out = soapMediation.handlers['response-body']!(ctx, conf, Buffer.from(xml))!;
  return { status: ctx.response.status, type: ctx.response.headers['content-type'], body: JSON.parse(out.toString()) as Record<string, unknown> };
}

test('the response element becomes typed JSON', () => {
  const r = respond(compile(), 200, writeEnvelope('1.1', [{ name: 'AddResponse', attributes: { xmlns: 'http://tempuri.org/' }, children: [{ name: 'AddResult', children: ['42'] }] }]));
  assert.deepEqual(r, { status: 200, type: 'application/json', body: { AddResult: 42 } });
});

test('faults become problem+json: Client/Sender → 400, Server/Receiver → 502, with code and string', () => {
  const client = respond(compile(), 500, writeFault('1.1', true, 'Attempted to divide by zero.', 'x'));
  assert.equal(client.status, 400);
  assert.equal(client.type, 'application/problem+json');
  assert.equal(client.body.type, 'https://portcullis.dev/problems/soap-fault-client');
  assert.equal(client.body.fault_code, 'Client');
  assert.equal(client.body.fault_string, 'Attempted to divide by zero.');
  assert.equal(respond(compile(), 500, writeFault('1.1', false, 'boom', 'x')).status, 502);
  const sender = respond(compile({ soap_version: '1.2' }), 400, writeFault('1.2', true, 'bad', 'x'));
  assert.deepEqual([sender.status, sender.body.fault_code], [400, 'Sender']);
  assert.deepEqual([respond(compile(), 500, writeFault('1.2', false, 'down', 'x')).body.fault_code], ['Receiver']);
});

test('anything else from the upstream is a 502 soap-response-invalid (no upstream text echoed)', () => {
  for (const body of ['<html>oops</html>', 'not xml', '<!DOCTYPE x [<!ENTITY a "b">]><x/>', writeEnvelope('1.1', [{ name: 'Other' }])]) {
    const r = respond(compile(), 200, body);
    assert.equal(r.status, 502);
    assert.equal(r.body.type, 'https://portcullis.dev/problems/soap-response-invalid');
    assert.doesNotMatch(JSON.stringify(r.body), /oops|Other/);
  }
});

test('WS-Security: PasswordDigest is Base64(SHA-1(nonce + created + password)); PasswordText carries the password', () => {
  const nonce = Buffer.alloc(16, 7);
  const at = new Date('2026-01-02T03:04:05.678Z');
  const xml = writeEnvelope('1.1', [], [securityHeader({ username: 'u', password: 'p@ss', passwordType: 'PasswordDigest' }, '1.1', at, nonce)]);
  assert.match(xml, /<wsu:Created>2026-01-02T03:04:05Z<\/wsu:Created>/);
  assert.ok(xml.includes(`>${passwordDigest(nonce, '2026-01-02T03:04:05Z', 'p@ss')}</wsse:Password>`));
  assert.ok(!xml.includes('p@ss'));
  assert.match(xml, /soap:mustUnderstand="1"/);
  const text = writeEnvelope('1.2', [], [securityHeader({ username: 'u', password: 'p<ss', passwordType: 'PasswordText' }, '1.2', at, nonce)]);
  assert.match(text, /#PasswordText">p&lt;ss</);
  const { ctx } = request(compile({ ws_security: { username: 'u', password: 'secret-pw' } }), { intA: 1, intB: 2 });
  assert.match(ctx.requestBody!.toString(), /<soap:Header><wsse:Security/);
  assert.ok(!ctx.requestBody!.toString().includes('secret-pw'));
});

test('a bad model is refused at compile time', () => {
  assert.throws(() => compileConf(soapMediation, { ...mediationConfig(add, '1.1'), request: { name: 'A', fields: [{ name: 'x', max_occurs: 0 }] } }, env), /max_occurs/);
  assert.throws(() => compileConf(soapMediation, { ...mediationConfig(add, '1.1'), request: { name: 'A', fields: [{ name: 'x' }, { name: 'x' }] } }, env), /twice/);
  assert.throws(() => compileConf(soapMediation, { ...mediationConfig(add, '1.1'), request: { name: 'A', fields: [{ nom: 'x' }] } }, env));
});
