// The carrier demo's SOAP piece: the legacy rate service (examples/carrier/soap-rates.ts) behind a
// real gateway with the demo config's carrier-soap service and routes, called as REST JSON and as
// SOAP; and the demo config's hand-written mediation model kept equal to what the WSDL import
// derives from the service's WSDL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { mediationConfig, parseWsdl } from '../src/admin/import/wsdl/index.ts';
import { compileConf } from '../src/plugins/test-helpers.ts';
import { soapMediation } from '../src/plugins/soap-mediation/plugin.ts';
import { createSoapRatesServer, GET_RATE_QUOTE_ACTION, soapRatesWsdl } from '../examples/carrier/soap-rates.ts';
import { quoteAll } from '../examples/carrier/rates.ts';
import { startGateway } from './harness/gateway.ts';

interface Entity { name: string; service?: string; targets?: { url: string }[]; plugins?: { name: string; config?: Record<string, unknown> }[] }
const demo = YAML.parse(readFileSync(new URL('../examples/carrier/portcullis.yaml', import.meta.url), 'utf8')) as { services: Entity[]; routes: Entity[] };
const soapService = demo.services.find((s) => s.name === 'carrier-soap')!;
const soapRoutes = demo.routes.filter((r) => r.service === 'carrier-soap');
const mediation = soapRoutes.find((r) => r.name === 'carrier-legacy-rates')!.plugins!.find((p) => p.name === 'soap-mediation')!.config!;

test('the demo config mediates GetRateQuote exactly as the WSDL import would', () => {
  const op = parseWsdl(soapRatesWsdl('http://127.0.0.1:9003/soap/rates')).bindings.get('1.1')!.operations[0]!;
  const env = { builtinIssuer: undefined, redis: undefined, serviceConfig: { path: '/soap/rates' } as never };
  assert.deepEqual(compileConf(soapMediation, mediation, env), compileConf(soapMediation, mediationConfig(op, '1.1'), env));
});

test('the legacy SOAP rate service through the gateway: REST JSON in and out, and SOAP 1.1', async (t) => {
  const upstream = createSoapRatesServer();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { upstream.closeAllConnections(); upstream.close(() => resolve()); }));
  const port = (upstream.address() as AddressInfo).port;
  // The demo's service and routes, with this test's upstream port; authentication and plan limits
  // (which need the store's credentials and subscriptions) are covered by their own tests.
  const gw = await startGateway({
    services: [{ ...soapService, targets: [{ url: `http://127.0.0.1:${port}` }], plugins: [] }],
    routes: soapRoutes.map((r) => ({ ...r, plugins: (r.plugins ?? []).filter((p) => p.name !== 'key-auth') })),
  });
  t.after(() => gw.close());

  const res = await fetch(`${gw.url}/carrier/legacy-rates`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: { postalCode: '10115', country: 'DE' }, to: { postalCode: '75001', country: 'FR' }, parcel: [{ weightKg: 2, lengthCm: 30, widthCm: 20, heightCm: 10 }] }),
  });
  assert.equal(res.status, 200);
  const expected = quoteAll({ from: { postal_code: '10115', country: 'DE' }, to: { postal_code: '75001', country: 'FR' }, parcels: [{ weight_kg: 2, length_cm: 30, width_cm: 20, height_cm: 10 }] });
  assert.deepEqual(await res.json(), { quote: expected.map((q) => ({ service: q.service, amount: q.amount, currency: q.currency, estimatedDays: q.estimated_days })) });

  const bad = await fetch(`${gw.url}/carrier/legacy-rates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: { postalCode: '10115' }, parcel: [] }) });
  assert.equal(bad.status, 400);
  assert.deepEqual(((await bad.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), ['/from/country', '/to', '/parcel']);

  // The service's own Client fault (a negative weight passes the XSD types) as a 400 problem.
  const fault = await fetch(`${gw.url}/carrier/legacy-rates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: { postalCode: '1', country: 'DE' }, to: { postalCode: '2', country: 'DE' }, parcel: [{ weightKg: -1, lengthCm: 1, widthCm: 1, heightCm: 1 }] }) });
  assert.equal(fault.status, 400);
  assert.deepEqual(((p: Record<string, unknown>) => [p.type, p.fault_code, p.fault_string])(await fault.json() as Record<string, unknown>), ['https://portcullis.dev/problems/soap-fault-client', 'Client', 'parcel/weightKg must be a positive number']);

  const envelope = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetRateQuote xmlns="urn:carrier:rates:v1"><from><postalCode>10115</postalCode><country>DE</country></from><to><postalCode>80331</postalCode><country>DE</country></to><parcel><weightKg>1</weightKg><lengthCm>10</lengthCm><widthCm>10</widthCm><heightCm>10</heightCm></parcel></GetRateQuote></soap:Body></soap:Envelope>';
  const soap = await fetch(`${gw.url}/carrier-soap`, { method: 'POST', headers: { 'content-type': 'text/xml', soapaction: `"${GET_RATE_QUOTE_ACTION}"` }, body: envelope });
  assert.equal(soap.status, 200);
  assert.match(await soap.text(), /<quote><service>overnight<\/service><amount>\d+\.\d\d<\/amount>/);
  const wsdl = await fetch(`${gw.url}/carrier-soap?wsdl`);
  assert.match(await wsdl.text(), /<wsdl:definitions/);
});
