// SOAP through real gateways and a real SOAP upstream (test/fixtures/soap/calculator-server.ts):
// the calculator WSDL imported by the admin API (and the CLI, dry run) into a node in store mode,
// called as SOAP 1.1 and as REST via mediation both ways, faults mapped; SOAP 1.2, routing by
// operation and WS-Security on an in-process gateway; the XML attack suite answered 400 with the
// process still serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWsdl, planWsdlImport } from '../src/admin/import/wsdl/index.ts';
import { BIN, startGateway } from './harness/gateway.ts';
import { expectStatus, spawnNode, until } from './harness/node.ts';
import { startCalculator } from './fixtures/soap/calculator-server.ts';
import { registry } from '../src/telemetry/metrics.ts';
import { writeEnvelope } from '../src/core/xml/index.ts';
import { securityHeader } from '../src/plugins/soap-mediation/ws-security.ts';

const FIXTURES = new URL('./fixtures/soap/', import.meta.url);
const CALC_WSDL = readFileSync(new URL('calculator.wsdl', FIXTURES), 'utf8');
const CALC12_WSDL = readFileSync(new URL('calculator12.wsdl', FIXTURES), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

const envelope = (op: string, a: number, b: number, ns = SOAP11) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ns}"><soap:Body><${op} xmlns="http://tempuri.org/"><intA>${a}</intA><intB>${b}</intB></${op}></soap:Body></soap:Envelope>`;

/** Runs the CLI without blocking this process (it serves the upstream the CLI may fetch from). */
async function portcullis(args: string[]): Promise<{ stdout: string }> {
  return promisify(execFile)(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

interface Answer { status: number; type: string; text: string }

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}
const soap11 = (url: string, op: string, body: string, action = `http://tempuri.org/${op}`) => post(url, body, { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` });
const json = (url: string, body: unknown) => post(url, JSON.stringify(body), { 'content-type': 'application/json' });

/** The XML attacks: each must be refused by the gateway, before the upstream sees anything. */
function attacks(): [string, string, string][] {
  let laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol">';
  for (let i = 1; i <= 9; i++) laughs += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
  const inBody = (inner: string) => `<soap:Envelope xmlns:soap="${SOAP11}"><soap:Body><Add xmlns="http://tempuri.org/">${inner}</Add></soap:Body></soap:Envelope>`;
  return [
    ['XXE file entity', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + inBody('<intA>&x;</intA><intB>1</intB>'), 'xml-forbidden'],
    ['XXE URL entity', '<!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]>' + inBody('<intA>&x;</intA>'), 'xml-forbidden'],
    ['parameter entity', '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>' + inBody(''), 'xml-forbidden'],
    ['billion laughs', `${laughs}]>${inBody('<intA>&lol9;</intA>')}`, 'xml-forbidden'],
    ['quadratic blow-up', inBody(`<intA a="${'A'.repeat(100_000)}">1</intA>`), 'xml-too-large'],
    ['deep nesting', inBody(`${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}`), 'xml-too-large'],
    ['huge attribute count', inBody(`<intA ${Array.from({ length: 5000 }, (_, i) => `a${i}="1"`).join(' ')}>1</intA>`), 'xml-too-large'],
    ['processing instruction', `<?xml-stylesheet href="http://127.0.0.1:1/x.xsl"?>${inBody('')}`, 'xml-forbidden'],
    ['malformed', inBody('<intA>1</intB>'), 'xml-malformed'],
  ];
}

test('calculator WSDL imported by the admin API: SOAP 1.1 proxy, REST mediation, faults, XML attacks', async (t) => {
  const calc = await startCalculator({ wsdl: CALC_WSDL });
  t.after(() => calc.close());
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-soap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = `sqlite:${join(dir, 'p.db')}`;

  // The CLI's dry run reads the same WSDL file and writes nothing.
  const cli = await portcullis(['import', 'wsdl', new URL('calculator.wsdl', FIXTURES).pathname, '--db', db, '--rest', '--upstream', `${calc.url}/calc.asmx`, '--dry-run']);
  assert.match(cli.stdout, /wsdl \(SOAP 1\.1\): service "calculator" with 4 operations and 5 routes/);
  assert.match(cli.stdout, /dry run: nothing written/);
  // … and from a URL (the upstream's own ?wsdl).
  const fromUrl = await portcullis(['import', 'wsdl', `${calc.url}/calc.asmx?wsdl`, '--db', db, '--dry-run']);
  assert.match(fromUrl.stdout, /service "calculator" with 4 operations and 1 route\b/);

  const node = await spawnNode({ db, t });
  const dry = expectStatus(await node.admin('POST', '/admin/import/wsdl', { wsdl: CALC_WSDL, upstream: `${calc.url}/calc.asmx`, rest: true, dry_run: true }), 'dry run', 200);
  assert.equal(dry.body.applied, false);
  const done = expectStatus(await node.admin('POST', '/admin/import/wsdl', { wsdl: CALC_WSDL, upstream: `${calc.url}/calc.asmx`, rest: true }), 'import', 200);
  assert.deepEqual(done.body.operations, ['Add', 'Subtract', 'Multiply', 'Divide']);
  const bad = await node.admin('POST', '/admin/import/wsdl', { wsdl: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' });
  assert.equal(bad.status, 400);
  assert.doesNotMatch(JSON.stringify(bad.body), /passwd/);
  const list = expectStatus(await node.admin<{ data: { format: string; service: string }[] }>('GET', '/admin/specs'), 'specs').body.data;
  assert.deepEqual(list.filter((s) => s.service === 'calculator').map((s) => s.format).sort(), ['openapi-3.1', 'wsdl']);
  const stored = await fetch(`${node.adminUrl}/admin/specs/${(done.body.spec_ids as { wsdl: string }).wsdl}`, { headers: { authorization: `Bearer ${node.token}` } });
  assert.match(stored.headers.get('content-type') ?? '', /^application\/xml/);
  assert.equal(await stored.text(), CALC_WSDL);

  const proxy = `${node.proxyUrl}/calculator`;
  const add = envelope('Add', 40, 2);
  await until(async () => (await soap11(proxy, 'Add', add)).status === 200, 10_000, 'the imported routes serve');

  // SOAP 1.1 through the proxy route: the envelope reaches the upstream byte for byte.
  const sum = await soap11(proxy, 'Add', add);
  assert.equal(sum.status, 200);
  assert.match(sum.text, /<AddResult>42<\/AddResult>/);
  assert.equal(calc.seen.at(-1)!.body, add);
  assert.equal(calc.seen.at(-1)!.path, '/calc.asmx');
  // The upstream's own fault passes through untouched.
  const divZero = await soap11(proxy, 'Divide', envelope('Divide', 1, 0));
  assert.equal(divZero.status, 500);
  assert.match(divZero.text, /<faultstring>Attempted to divide by zero.<\/faultstring>/);
  // The gateway's refusals are SOAP 1.1 faults for SOAP clients.
  const seen = calc.seen.length;
  const unknown = await soap11(proxy, 'Power', envelope('Power', 2, 8), 'http://tempuri.org/Power');
  assert.equal(unknown.status, 400);
  assert.match(unknown.type, /^text\/xml/);
  assert.match(unknown.text, /<faultcode>soap:Client<\/faultcode>.*<gw:problem[^>]*>soap-unknown-operation<\/gw:problem>/s);
  const mismatch = await soap11(proxy, 'Add', envelope('Divide', 1, 0));
  assert.match(mismatch.text, /soap-action-mismatch/);
  // GET ?wsdl is forwarded as is.
  const wsdl = await fetch(`${proxy}?wsdl`);
  assert.equal(wsdl.status, 200);
  assert.equal(await wsdl.text(), CALC_WSDL);

  // The XML attack suite: every one refused with its code, nothing forwarded, the node still serves.
  for (const [name, body, code] of attacks()) {
    const r = await soap11(proxy, 'Add', body);
    assert.equal(r.status, 400, name);
    assert.match(r.text, new RegExp(`>${code}</gw:problem>`), name);
    assert.doesNotMatch(r.text, /passwd|lol|AAAA/, name);
  }
  assert.equal(calc.seen.length, seen + 1, 'only the GET ?wsdl reached the upstream'); // the refusals never did
  assert.equal((await soap11(proxy, 'Add', add)).status, 200);

  // REST via mediation: JSON in, JSON out; faults and bad input as problem+json.
  const rest = await json(`${node.proxyUrl}/calculator/add`, { intA: 40, intB: 2 });
  assert.deepEqual([rest.status, rest.type, JSON.parse(rest.text)], [200, 'application/json', { AddResult: 42 }]);
  assert.match(calc.seen.at(-1)!.headers.soapaction as string, /^"http:\/\/tempuri.org\/Add"$/);
  const client = await json(`${node.proxyUrl}/calculator/divide`, { intA: 1, intB: 0 });
  assert.equal(client.status, 400);
  assert.equal(client.type, 'application/problem+json');
  assert.deepEqual(((p) => [p.type, p.fault_code, p.fault_string])(JSON.parse(client.text)), ['https://portcullis.dev/problems/soap-fault-client', 'Client', 'Attempted to divide by zero.']);
  const server = await json(`${node.proxyUrl}/calculator/multiply`, { intA: 2147483647, intB: 2 });
  assert.equal(server.status, 502);
  assert.equal(JSON.parse(server.text).fault_code, 'Server');
  const invalid = await json(`${node.proxyUrl}/calculator/subtract`, { intA: '1' });
  assert.equal(invalid.status, 400);
  assert.deepEqual(JSON.parse(invalid.text).errors, [{ pointer: '/intA', message: 'must be an integer (int)' }, { pointer: '/intB', message: 'is required' }]);
});

test('SOAP 1.2: routing by operation, per-operation plugins, faults in 1.2, WS-Security checked by the upstream', async (t) => {
  const security = { username: 'gw', password: 'canary-ws-password-1f0c' };
  const calc = await startCalculator({ security });
  t.after(() => calc.close());
  const plan = planWsdlImport(parseWsdl(CALC12_WSDL), { rest: true, upstream: `${calc.url}/calc` });
  const routes = plan.routes.map((r) => {
    if (r.name === 'calculator.add') return { ...r, plugins: [{ name: 'soap-mediation', config: { ...(r.plugins as { config: object }[])[0]!.config, ws_security: security } }] };
    if (r.name === 'calculator.subtract') return { ...r, plugins: [{ name: 'soap-mediation', config: { ...(r.plugins as { config: object }[])[0]!.config, ws_security: { ...security, password: 'wrong', password_type: 'PasswordText' } } }] };
    return r;
  });
  // Divide gets its own route on the same path, with a plugin the other operations do not have.
  routes.push({ name: 'calculator.divide-soap', service: 'calculator', paths: ['=/calculator'], methods: ['POST'], strip_path: true, soap_operations: ['Divide'], plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.1'] } }] } as never);
  // Multiply needs an API key (none exists here): its 401 keeps its challenge header.
  routes.push({ name: 'calculator.multiply-soap', service: 'calculator', paths: ['=/calculator'], methods: ['POST'], strip_path: true, soap_operations: ['Multiply'], plugins: [{ name: 'key-auth' }] } as never);
  const gw = await startGateway({ services: [plan.service], routes });
  t.after(() => gw.close());
  const call = (op: string, a: number, b: number, action = `http://tempuri.org/${op}`) =>
    post(`${gw.url}/calculator`, envelope(op, a, b, SOAP12), { 'content-type': `application/soap+xml; charset=utf-8; action="${action}"` });

  // The proxy route needs no WS-Security of its own: this upstream demands it, so the SOAP client's
  // missing token is the upstream's Sender fault, passed through.
  const plain = await call('Add', 1, 2);
  assert.equal(plain.status, 400);
  assert.match(plain.text, /UsernameToken missing/);
  // With the client's own token the SOAP 1.2 envelope goes through, byte for byte.
  const signed = writeEnvelope('1.2', [{ name: 'Add', attributes: { xmlns: 'http://tempuri.org/' }, children: [{ name: 'intA', children: ['40'] }, { name: 'intB', children: ['2'] }] }], [securityHeader({ ...security, passwordType: 'PasswordDigest' }, '1.2')]);
  const ok = await post(`${gw.url}/calculator`, signed, { 'content-type': 'application/soap+xml; charset=utf-8; action="http://tempuri.org/Add"' });
  assert.equal(ok.status, 200);
  assert.match(ok.text, new RegExp(`xmlns:soap="${SOAP12}".*<AddResult>42</AddResult>`, 's'));
  assert.equal(calc.seen.at(-1)!.body, signed);
  // Divide is routed to its own route, whose ip-restriction refuses: a SOAP 1.2 fault.
  const divide = await call('Divide', 4, 2);
  assert.equal(divide.status, 403);
  assert.match(divide.type, /^application\/soap\+xml/);
  assert.match(divide.text, new RegExp(`xmlns:soap="${SOAP12}".*<soap:Value>soap:Sender</soap:Value>.*>forbidden</gw:problem>`, 's'));
  const multiply = await fetch(`${gw.url}/calculator`, { method: 'POST', body: envelope('Multiply', 2, 3, SOAP12), headers: { 'content-type': 'application/soap+xml; action="http://tempuri.org/Multiply"' } });
  assert.equal(multiply.status, 401);
  assert.equal(multiply.headers.get('www-authenticate'), 'Key realm="portcullis"');
  assert.match(await multiply.text(), />unauthorized<\/gw:problem>/);
  // Declaring another action does not get Divide past its route: the Body must agree.
  assert.match((await call('Divide', 4, 2, 'http://tempuri.org/Add')).text, /soap-action-mismatch/);
  // An undeclared action is refused (require_action), so per-operation routes cannot be dodged.
  const undeclared = await post(`${gw.url}/calculator`, envelope('Divide', 4, 2, SOAP12), { 'content-type': 'application/soap+xml' });
  assert.match(undeclared.text, /soap-action-mismatch/);

  // REST with a PasswordDigest UsernameToken: the upstream recomputes the digest and answers.
  const sum = await json(`${gw.url}/calculator/add`, { intA: 40, intB: 2 });
  assert.deepEqual([sum.status, JSON.parse(sum.text)], [200, { AddResult: 42 }]);
  const sent = calc.seen.at(-1)!;
  assert.equal(sent.headers['content-type'], 'application/soap+xml; charset=utf-8; action="http://tempuri.org/Add"');
  assert.match(sent.body, /#PasswordDigest/);
  assert.ok(!sent.body.includes(security.password), 'a digest never carries the password');
  // A wrong password: the upstream's Sender fault becomes a 400 problem.
  const refused = await json(`${gw.url}/calculator/subtract`, { intA: 1, intB: 1 });
  assert.equal(refused.status, 400);
  assert.deepEqual(((p) => [p.fault_code, p.fault_string])(JSON.parse(refused.text)), ['Sender', 'authentication failed']);

  // Counted per service, declared operation and outcome.
  const metrics = await registry.metrics();
  const count = (op: string, outcome: string) => Number(new RegExp(`portcullis_soap_requests_total\\{service="calculator",operation="${op}",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  assert.equal(count('Add', 'forwarded'), 2);
  assert.equal(count('Divide', 'soap-action-mismatch'), 2);
  assert.equal(count('Add', 'mediated'), 1);
  assert.equal(count('Subtract', 'fault-client'), 1);
});
