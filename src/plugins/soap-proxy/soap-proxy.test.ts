// soap-proxy: what a SOAP request must be to be forwarded (content type, version, safe XML,
// envelope, operation, action agreement), and where its settings come from.
//   npx node --test src/plugins/soap-proxy/soap-proxy.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeEnvelope } from '../../core/xml/index.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { soapProxy } from './plugin.ts';

const service = (soap: Record<string, unknown> = {}) => ({
  protocol: 'soap', path: '/',
  soap: { versions: ['1.1', '1.2'], require_action: true, max_body_bytes: 65536, operations: [{ name: 'Add', action: 'http://tempuri.org/Add' }, { name: 'Ping', action: '' }], ...soap },
});
const conf = (soap?: Record<string, unknown>) => compileConf(soapProxy, {}, { builtinIssuer: undefined, redis: undefined, serviceConfig: service(soap) as never });
const add = (version: '1.1' | '1.2' = '1.1') => writeEnvelope(version, [{ name: 'Add', attributes: { xmlns: 'http://tempuri.org/' }, children: [{ name: 'intA', children: ['1'] }] }]);

function run(headers: Record<string, string>, body: string, c = conf()) {
  const ctx = fakeContext({ method: 'POST', headers, body: Buffer.from(body) });
  return { out: soapProxy.handlers.access!(ctx, c), ctx };
}

test('a SOAP 1.1 request with a matching SOAPAction passes, its operation noted', () => {
  const { out, ctx } = run({ 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://tempuri.org/Add"' }, add());
  assert.equal(out, undefined);
  assert.equal(ctx.vars.soapOperation, 'Add');
});

test('SOAP 1.2 declares its action in the Content-Type', () => {
  assert.equal(run({ 'content-type': 'application/soap+xml; charset=utf-8; action="http://tempuri.org/Add"' }, add('1.2')).out, undefined);
});

test('refusals name the problem', () => {
  const code = (headers: Record<string, string>, body: string, c = conf()) => (run(headers, body, c).out as { problem: string } | undefined)?.problem;
  const v11 = { 'content-type': 'text/xml', soapaction: 'http://tempuri.org/Add' };
  assert.equal(code({ 'content-type': 'application/json' }, '{}'), 'soap-invalid-request');
  assert.equal(code({ 'content-type': 'application/soap+xml' }, add('1.1')), 'soap-invalid-request'); // version mismatch
  assert.equal(code(v11, add(), conf({ versions: ['1.2'] })), 'soap-invalid-request');
  assert.equal(code(v11, ''), 'soap-invalid-request');
  assert.equal(code(v11, '<x/>'), 'soap-invalid-request');
  assert.equal(code(v11, writeEnvelope('1.1', [])), 'soap-invalid-request');
  assert.equal(code(v11, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'), 'xml-forbidden');
  assert.equal(code(v11, `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`), 'xml-too-large');
  assert.equal(code(v11, '<soap:Envelope'), 'xml-malformed');
  assert.equal(code(v11, writeEnvelope('1.1', [{ name: 'Drop', attributes: { xmlns: 'urn:x' } }])), 'soap-unknown-operation');
  assert.equal(code({ 'content-type': 'text/xml', soapaction: 'urn:other' }, add()), 'soap-unknown-operation');
  assert.equal(code({ 'content-type': 'text/xml', soapaction: 'Ping' }, add()), 'soap-action-mismatch');
  assert.equal(code({ 'content-type': 'text/xml' }, add()), 'soap-action-mismatch');
  assert.equal(code({ 'content-type': 'text/xml', soapaction: '""' }, add()), 'soap-action-mismatch');
});

test('the action may be left out for operations without one, or everywhere when require_action is off', () => {
  const ping = writeEnvelope('1.1', [{ name: 'Ping', attributes: { xmlns: 'urn:x' } }]);
  assert.equal(run({ 'content-type': 'text/xml', soapaction: '""' }, ping).out, undefined);
  assert.equal(run({ 'content-type': 'text/xml' }, add(), conf({ require_action: false })).out, undefined);
});

test('GET (e.g. ?wsdl) passes unchecked; the plugin needs a soap service', () => {
  const ctx = fakeContext({ method: 'GET' });
  assert.equal(soapProxy.handlers.access!(ctx, conf()), undefined);
  assert.throws(() => compileConf(soapProxy, {}, { builtinIssuer: undefined, redis: undefined, serviceConfig: { protocol: 'http' } as never }), /protocol "soap"/);
  assert.equal(soapProxy.requestBodyLimit!(conf()), 65536);
});
