// The SOAP parts of a config at snapshot time: soap sections where they belong, operations known,
// and soap_operations turned into a router condition on the declared action.
//   npx node --test test/soap-config.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../src/core/config/load.ts';
import { ConfigError } from '../src/core/config/errors.ts';
import { compileSnapshot } from '../src/core/snapshot/compile.ts';
import { BUNDLED_CATALOG } from '../src/plugins/index.ts';

const soapService = { name: 'calc', protocol: 'soap', targets: [{ url: 'http://127.0.0.1:9' }], soap: { operations: [{ name: 'Add', action: 'http://tempuri.org/Add' }, { name: 'Divide', action: 'http://tempuri.org/Divide' }] } };

function issues(raw: Record<string, unknown>): string[] {
  try {
    compileSnapshot(checkConfig(raw), BUNDLED_CATALOG);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
}

test('soap sections and soap_operations are checked against the services', () => {
  assert.deepEqual(issues({ services: [{ ...soapService, soap: undefined }], routes: [] }), ['services[0]: a soap service needs a "soap" section listing its operations']);
  assert.match(issues({ services: [{ name: 'h', targets: [{ url: 'http://127.0.0.1:9' }] }], routes: [{ name: 'r', service: 'h', soap_operations: ['Add'] }] })[0]!, /is not a soap service/);
  assert.match(issues({ services: [soapService], routes: [{ name: 'r', service: 'calc', soap_operations: ['Power'] }] })[0]!, /has no operation "Power"/);
  assert.deepEqual(issues({ services: [soapService], routes: [{ name: 'r', service: 'calc', soap_operations: ['Add'] }] }), []);
});

test('routes of a soap service get soap-proxy unless they mediate; soap_operations routes by the declared action', () => {
  const snap = compileSnapshot(checkConfig({
    services: [soapService],
    routes: [
      { name: 'all', service: 'calc', paths: ['/calc'] },
      { name: 'divide', service: 'calc', paths: ['/calc'], soap_operations: ['Divide'] },
    ],
  }), BUNDLED_CATALOG);
  assert.deepEqual(snap.routes.map((r) => r.chains.plugins), [['soap-proxy'], ['soap-proxy']]);
  const match = (headers: Record<string, string>) => snap.router.match('POST', undefined, '/calc', (n) => headers[n])?.value.name;
  assert.equal(match({ 'content-type': 'text/xml', soapaction: '"http://tempuri.org/Divide"' }), 'divide');
  assert.equal(match({ 'content-type': 'application/soap+xml; action="http://tempuri.org/Divide"' }), 'divide');
  assert.equal(match({ 'content-type': 'text/xml', soapaction: '"http://tempuri.org/Add"' }), 'all');
  assert.equal(match({ 'content-type': 'text/xml' }), 'all');
});
