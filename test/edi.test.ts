// The edi plugin through the real gateway and a real upstream: inbound X12/EDIFACT → canonical
// JSON, partner authorisation, envelope errors as problem+json, acknowledgements in place of the
// upstream's answer, answers converted back to EDI, and outbound JSON → EDI.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parseEdi } from '../src/core/edi/index.ts';
import { startGateway, type InProcessGateway, type RawConfig } from './harness/gateway.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/edi/${name}`, import.meta.url), 'utf8');
const X850 = fixture('850-purchase-order.edi');
const X856 = fixture('856-ship-notice.edi');
const INVOIC = fixture('INVOIC-d97b.edi');

/** Response bodies read as loose JSON in assertions. */
// eslint-disable-next-line typescript/no-explicit-any
type Json = any;

interface Received { headers: Record<string, string | string[] | undefined>; body: string }

describe('edi plugin through the gateway', () => {
  let upstream: Upstream;
  let gw: InProcessGateway;
  const got: Received[] = [];
  let answer: { status: number; type: string; body: string } | undefined;

  before(async () => {
    upstream = await startUpstream((req, res, body) => {
      got.push({ headers: req.headers, body: body.toString('utf8') });
      const a = answer ?? { status: 201, type: 'application/json', body: '{"stored":true}' };
      res.writeHead(a.status, { 'content-type': a.type });
      res.end(a.body);
    });
    const config: RawConfig = {
      services: [{ name: 'orders', targets: [{ url: upstream.url }] }],
      routes: [
        { name: 'edi-in', service: 'orders', paths: ['=/edi/in'], methods: ['POST'], plugins: [{ name: 'edi', config: { identity: { x12: { qualifier: '01', id: '999999999' } }, forward: 'both' } }] },
        { name: 'edi-asn', service: 'orders', paths: ['=/edi/asn'], methods: ['POST'], plugins: [{ name: 'edi', config: { document_types: ['856'], forward: 'friendly', acknowledgement: 'never' } }] },
        { name: 'edi-convert', service: 'orders', paths: ['=/edi/convert'], methods: ['POST'], plugins: [{ name: 'edi', config: { acknowledgement: 'never', convert_response: true } }] },
        { name: 'edi-out', service: 'orders', paths: ['=/edi/out'], methods: ['POST'], plugins: [{ name: 'edi', config: { direction: 'outbound', identity: { x12: { qualifier: 'ZZ', id: 'CARRIER' }, edifact: { id: 'CARRIER', qualifier: 'ZZZ' } }, convert_response: true } }] },
      ],
      trading_partners: [
        { name: 'xyz-retail', x12: { qualifier: '12', id: '4405197800' }, document_types: ['850', '856', '997'], routes: ['edi-in', 'edi-asn', 'edi-convert', 'edi-out'], acknowledgement: 'always' },
        { name: 'widgets', edifact: { id: '005435656', qualifier: '1' }, document_types: ['INVOIC'], routes: ['edi-in', 'edi-out'], acknowledgement: 'on-error' },
        { name: 'dormant', x12: { qualifier: 'ZZ', id: 'DORMANT' }, document_types: ['850'], routes: ['edi-in'], enabled: false },
      ],
    };
    gw = await startGateway(config, { healthChecks: false });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const post = (path: string, body: string, type = 'application/edi-x12') => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  test('X12 850 in: canonical JSON upstream with partner headers; the 997 answers the partner', async () => {
    got.length = 0;
    const res = await post('/edi/in', X850);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/edi-x12');
    const ack = await res.text();
    const seen = got[0]!;
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-edi-partner'], 'xyz-retail');
    assert.equal(seen.headers['x-edi-format'], 'x12');
    assert.equal(seen.headers['x-edi-document-types'], '850');
    assert.equal(seen.headers['x-edi-interchange-control'], '000003438');
    assert.equal(seen.headers['x-edi-control-numbers'], '000000010');
    const json = JSON.parse(seen.body);
    assert.equal(json.partner, 'xyz-retail');
    assert.equal(json.documents[0].order_number, '08292233294');
    assert.equal(json.documents[0].items.length, 6);
    assert.equal(json.interchange.format, 'x12');
    // The ack is a valid interchange back to the sender, accepting the one transaction set.
    const p = parseEdi(ack);
    assert.deepEqual(p.issues, []);
    assert.match(ack, /^ISA\*00\*          \*00\*          \*01\*999999999      \*12\*4405197800     \*/);
    assert.ok(ack.includes('AK1*PO*1421~'));
    assert.ok(ack.includes('AK2*850*000000010~'));
    assert.ok(ack.includes('AK5*A~'));
    assert.ok(ack.includes('AK9*A*1*1*1~'));
  });

  test('text/plain is sniffed; EDIFACT from a partner that wants acks only on errors gets the upstream answer', async () => {
    got.length = 0;
    const res = await post('/edi/in', INVOIC, 'text/plain; charset=utf-8');
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json() as Json, { stored: true });
    const json = JSON.parse(got[0]!.body);
    assert.equal(json.format, 'edifact');
    assert.equal(json.documents[0].parties[1].name, 'BÜTTNER WIDGET COMPANY');
  });

  test('envelope errors: 400 problem+json naming segment and element, with the rejecting 997; nothing forwarded', async () => {
    got.length = 0;
    const res = await post('/edi/in', X850.replace('SE*33*', 'SE*31*'));
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = await res.json() as Json;
    assert.equal(body.type, 'https://portcullis.dev/problems/edi-invalid-document');
    assert.equal(body.detail, 'segment 35 (SE), element 01: count 31, expected 33');
    assert.deepEqual(body.errors, [{ reason: 'segment-count', segment: 35, segment_id: 'SE', element: '01', detail: 'segment 35 (SE), element 01: count 31, expected 33' }]);
    assert.ok(body.acknowledgement.includes('AK3*SE*33**8~'));
    assert.ok(body.acknowledgement.includes('AK5*R*4~'));
    assert.equal(body.acknowledgement_type, 'application/edi-x12');
    assert.equal(got.length, 0);
  });

  test('truncated and garbage bodies are 400; wrong media types 415', async () => {
    const cut = await post('/edi/in', X850.slice(0, 300));
    assert.equal(cut.status, 400);
    assert.match((await cut.json() as Json).detail, /no segment terminator|has no/);
    const junk = await post('/edi/in', 'hello world', 'text/plain');
    assert.equal(junk.status, 400);
    assert.equal((await junk.json() as Json).detail, 'segment 1: neither X12 (ISA) nor EDIFACT (UNA or UNB)');
    const json = await post('/edi/in', '{}', 'application/json');
    assert.equal(json.status, 415);
    await json.body?.cancel();
    const mismatch = await post('/edi/in', INVOIC, 'application/edi-x12');
    assert.equal(mismatch.status, 400);
    await mismatch.body?.cancel();
  });

  test('partner authorisation: unknown sender, disabled partner, wrong route, type or receiver: 403, nothing forwarded', async () => {
    got.length = 0;
    const unknown = X850.replace('*12*4405197800     *', '*12*4405197801     *');
    const disabled = X850.replace('*12*4405197800     *', '*ZZ*DORMANT        *');
    const otherReceiver = X850.replace('*01*999999999      *', '*01*999999998      *');
    for (const [path, body] of [['/edi/in', unknown], ['/edi/in', disabled], ['/edi/asn', X850], ['/edi/in', otherReceiver]] as const) {
      const res = await post(path, body);
      assert.equal(res.status, 403, `${path}`);
      const p = await res.json() as Json;
      assert.equal(p.type, 'https://portcullis.dev/problems/edi-partner-not-allowed');
      assert.equal(p.detail, 'The sender is not a trading partner allowed to send this document type on this route.');
    }
    assert.equal(got.length, 0);
  });

  test('route with forward: friendly and no ack: the 856 hierarchy upstream, the upstream answer back', async () => {
    got.length = 0;
    const res = await post('/edi/asn', X856);
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json() as Json, { stored: true });
    const json = JSON.parse(got[0]!.body);
    assert.equal(json.interchange, undefined);
    const ship = json.documents[0].hierarchy[0];
    assert.equal(ship.children[0].children[1].description, 'RED WIDGET');
  });

  test('convert_response: a canonical interchange answered as JSON goes back as EDI; other JSON is a 502', async () => {
    const doc = parseEdi(fixture('997-acknowledgement.edi')).interchange;
    answer = { status: 200, type: 'application/json', body: JSON.stringify(doc) };
    try {
      const res = await post('/edi/convert', X850);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/edi-x12');
      assert.equal(await res.text(), fixture('997-acknowledgement.edi'));
      answer = { status: 200, type: 'application/json', body: '{"not":"edi"}' };
      const bad = await post('/edi/convert', X850);
      assert.equal(bad.status, 502);
      assert.equal((await bad.json() as Json).type, 'https://portcullis.dev/problems/edi-response-not-convertible');
      answer = { status: 422, type: 'application/json', body: '{"error":"duplicate order"}' };
      const refused = await post('/edi/convert', X850);
      assert.equal(refused.status, 422, 'upstream errors pass unchanged');
      assert.deepEqual(await refused.json() as Json, { error: 'duplicate order' });
    } finally {
      answer = undefined;
    }
  });

  test('outbound: documents enveloped for the partner with fresh, increasing control numbers; EDI answers become JSON', async () => {
    got.length = 0;
    const ack = fixture('997-acknowledgement.edi');
    answer = { status: 200, type: 'application/edi-x12', body: ack };
    try {
      const documents = [{ type: '856', segments: [{ id: 'BSN', elements: ['00', 'SHP-1', '20251124', '1200'] }, { id: 'HL', elements: ['1', '', 'S'] }] }];
      const res = await post('/edi/out', JSON.stringify({ partner: 'xyz-retail', documents }), 'application/json');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-edi-partner'), 'xyz-retail');
      const first = Number(res.headers.get('x-edi-interchange-control'));
      const answerJson = await res.json() as Json;
      assert.equal(answerJson.documents[0].type, 'functional_acknowledgement');
      const sent = got[0]!;
      assert.equal(sent.headers['content-type'], 'application/edi-x12');
      const p = parseEdi(sent.body);
      assert.deepEqual(p.issues, []);
      assert.match(sent.body, /^ISA\*00\*          \*00\*          \*ZZ\*CARRIER        \*12\*4405197800     \*/);
      assert.ok(sent.body.includes('GS*SH*CARRIER*4405197800*'));
      assert.ok(sent.body.includes('ST*856*0001~\nBSN*00*SHP-1*20251124*1200~\nHL*1**S~\nSE*4*0001~'));
      const again = await post('/edi/out', JSON.stringify({ partner: 'xyz-retail', documents }), 'application/json');
      assert.ok(Number(again.headers.get('x-edi-interchange-control')) > first, 'control numbers increase');
      await again.body?.cancel();

      // EDIFACT to the partner with an EDIFACT identity.
      const inv = await post('/edi/out', JSON.stringify({ partner: 'widgets', documents: [{ type: 'INVOIC', version: 'D:97B:UN', segments: [{ id: 'BGM', elements: ['380', 'INV?1+2', '9'] }] }] }), 'application/json');
      assert.equal(inv.status, 200);
      await inv.body?.cancel();
      assert.match(got[2]!.body, /^UNB\+UNOA:3\+CARRIER:ZZZ\+005435656:1\+/);
      assert.ok(got[2]!.body.includes("UNH+1+INVOIC:D:97B:UN'\nBGM+380+INV??1?+2+9'\nUNT+3+1'"));
    } finally {
      answer = undefined;
    }
  });

  test('outbound: a whole generic interchange is sent as written, only with our sender identity', async () => {
    got.length = 0;
    const ack = parseEdi(fixture('997-acknowledgement.edi')).interchange!;
    const foreign = await post('/edi/out', JSON.stringify(ack), 'application/json');
    assert.equal(foreign.status, 400, 'sender 01/999999999 is not the route identity');
    assert.match((await foreign.json() as Json).detail, /sender is not this route's x12 identity/);
    const ours = structuredClone(ack);
    ours.header.elements[4] = 'ZZ';
    ours.header.elements[5] = 'CARRIER        ';
    const res = await post('/edi/out', JSON.stringify(ours), 'application/json');
    assert.equal(res.status, 201);
    await res.body?.cancel();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.body, fixture('997-acknowledgement.edi').replace('*01*999999999      *', '*ZZ*CARRIER        *'));
  });

  test('outbound refusals: not JSON, not the shape, unknown partner, type not allowed, a value X12 cannot carry', async () => {
    got.length = 0;
    const cases: [string, number][] = [
      ['{', 400],
      [JSON.stringify({ partner: 'xyz-retail', documents: [] }), 400],
      [JSON.stringify({ partner: 'nobody', documents: [{ type: '856', segments: [{ id: 'BSN', elements: [] }] }] }), 403],
      [JSON.stringify({ partner: 'xyz-retail', documents: [{ type: '810', segments: [{ id: 'BIG', elements: [] }] }] }), 403],
      [JSON.stringify({ partner: 'xyz-retail', documents: [{ type: '856', segments: [{ id: 'BSN', elements: ['00', 'A*B'] }] }] }), 400],
    ];
    for (const [body, status] of cases) {
      const res = await post('/edi/out', body, 'application/json');
      assert.equal(res.status, status, body);
      await res.body?.cancel();
    }
    assert.equal(got.length, 0);
  });
});

test('config: partners must name existing routes and have unique identities; the plugin is route-only', async () => {
  const { checkConfig } = await import('../src/core/config/load.ts');
  const { ConfigError } = await import('../src/core/config/errors.ts');
  const base = { services: [{ name: 's', targets: [{ url: 'http://127.0.0.1:9' }] }], routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'edi' }] }] };
  assert.throws(() => checkConfig({ ...base, trading_partners: [{ name: 'a', x12: { qualifier: 'ZZ', id: 'A' }, routes: ['nope'] }, { name: 'b', x12: { qualifier: 'ZZ', id: 'A' } }] }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const messages = err.issues.map((i) => `${i.pointer} ${i.message}`);
    assert.ok(messages.includes('/trading_partners/0/routes/0 no route is named "nope"'), messages.join('\n'));
    assert.ok(messages.includes('/trading_partners/1 has the same interchange identity as trading partner "a"'), messages.join('\n'));
    return true;
  });
  const gw = await startGateway({ ...base, routes: [{ ...base.routes[0], plugins: [] }], plugins: [{ name: 'edi' }] }).then(() => undefined, (err: Error) => err);
  assert.ok(gw instanceof Error && /can only be attached to a route/.test(gw.message), String(gw));
});
