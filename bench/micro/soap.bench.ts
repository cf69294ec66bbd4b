// SOAP and XML safety micro benchmark: what the safe XML parser, soap-proxy's checks and
// soap-mediation's conversions cost per request, and what refusing the XML attacks costs (the
// point of the pre-scan: an attack should cost no more than reading its bytes once).
// Run: node bench/micro/soap.bench.ts  (npm run bench:soap).
import { readFileSync } from 'node:fs';
import { parseWsdl, mediationConfig } from '../../src/admin/import/wsdl/index.ts';
import { parseXml, writeEnvelope } from '../../src/core/xml/index.ts';
import { fakeContext, compileConf } from '../../src/plugins/test-helpers.ts';
import { soapMediation } from '../../src/plugins/soap-mediation/plugin.ts';
import { soapProxy } from '../../src/plugins/soap-proxy/plugin.ts';
import { environmentLine, fmt, fmtNs, table, timeOps, writeSection } from './lib.ts';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const envelope = (inner: string) => `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11}"><soap:Body><Add xmlns="http://tempuri.org/">${inner}</Add></soap:Body></soap:Envelope>`;
const SMALL = envelope('<intA>40</intA><intB>2</intB>');
const LARGE = envelope(Array.from({ length: 1000 }, (_, i) => `<item id="${i}">value ${i} &amp; more</item>`).join(''));

let laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol">';
for (let i = 1; i <= 9; i++) laughs += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
const ATTACKS: [string, string][] = [
  ['billion laughs', `${laughs}]><lolz>&lol9;</lolz>`],
  ['XXE (external entity)', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'],
  ['quadratic blow-up (100 KB attribute)', envelope(`<intA a="${'A'.repeat(100_000)}">1</intA>`)],
  ['deep nesting (5,000 levels)', envelope(`${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}`)],
  ['5,000 attributes', envelope(`<intA ${Array.from({ length: 5000 }, (_, i) => `a${i}="1"`).join(' ')}>1</intA>`)],
];

const calc = parseWsdl(readFileSync(new URL('../../test/fixtures/soap/calculator.wsdl', import.meta.url), 'utf8')).bindings.get('1.1')!;
const add = calc.operations[0]!;
const env = { builtinIssuer: undefined, redis: undefined, service: 'calculator', serviceConfig: { name: 'calculator', protocol: 'soap', path: '/calc', soap: { versions: ['1.1'], require_action: true, max_body_bytes: 1 << 20, operations: calc.operations.map((o) => ({ name: o.name, action: o.action })) } } as never };
const proxyConf = compileConf(soapProxy, {}, env);
const mediationConf = compileConf(soapMediation, mediationConfig(add, '1.1'), env);
const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://tempuri.org/Add"' };
const smallBytes = Buffer.from(SMALL);
const jsonBody = Buffer.from('{"intA":40,"intB":2}');
const response = Buffer.from(writeEnvelope('1.1', [{ name: 'AddResponse', attributes: { xmlns: 'http://tempuri.org/' }, children: [{ name: 'AddResult', children: ['42'] }] }]));

const out: string[] = [];
const say = (s = ''): void => { out.push(s); console.log(s); };
say('## SOAP and XML safety');
say();
say(environmentLine());
say();

const rows: string[][] = [];
const row = (label: string, bytes: number, fn: () => unknown) => { const t = timeOps(fn); rows.push([label, fmt(bytes), fmtNs(t.ns)]); };
row('parseXml: calculator envelope', Buffer.byteLength(SMALL), () => parseXml(SMALL));
row('parseXml: 1,000-element envelope', Buffer.byteLength(LARGE), () => parseXml(LARGE));
row('soap-proxy access check (parse + envelope + operation + action)', smallBytes.length, () => soapProxy.handlers.access!(fakeContext({ method: 'POST', headers, body: smallBytes }), proxyConf));
row('soap-mediation request: JSON → envelope', jsonBody.length, () => soapMediation.handlers.access!(fakeContext({ method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonBody }), mediationConf));
row('soap-mediation response: envelope → JSON', response.length, () => {
  const ctx = fakeContext({ method: 'POST' });
  ctx.response = { status: 200, headers: {}, bodyTap: undefined };
  return soapMediation.handlers['response-body']!(ctx, mediationConf, response);
});
say('### Per-request cost');
say();
say(table(['operation', 'bytes', 'per call'], ['l', 'r', 'r'], rows));
say();

const attackRows: string[][] = [];
for (const [label, doc] of ATTACKS) {
  const r = parseXml(doc);
  if (r.ok) throw new Error(`benchmark setup: ${label} was accepted`);
  const t = timeOps(() => parseXml(doc));
  const bytes = Buffer.byteLength(doc);
  attackRows.push([label, fmt(bytes), r.code, fmtNs(t.ns), `${fmt(t.ns / bytes, 2)} ns/B`]);
}
say('### Refusing XML attacks');
say();
say('Each is refused by the linear pre-scan before any parser runs; the cost stays proportional to the bytes received.');
say();
say(table(['attack', 'bytes', 'refused as', 'per refusal', 'per byte'], ['l', 'r', 'l', 'r', 'r'], attackRows));

const file = writeSection('soap', out.join('\n'));
console.log(`\n(written to ${file})`);
