/* eslint-disable typescript/no-explicit-any -- friendly forms are read as loose JSON in these assertions */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildContrl, build997 } from './ack.ts';
import { parseEdi, writeEdi } from './index.ts';
import { EdiMappingError, MAX_HIERARCHY_DEPTH, friendlyOf, partiesOf, unitsOf } from './mapping.ts';
import { SegmentStream, scanSegments, writeSegment } from './segments.ts';
import { EDIFACT_DEFAULTS } from './edifact.ts';
import { FriendlyDocumentSchema } from './friendly-schema.ts';
import { validate } from '../config/validate.ts';
import { issueText, type EdiInterchange, type EdifactInterchange, type X12Interchange } from './types.ts';

const DIR = new URL('../../../test/fixtures/edi/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const parsed = (text: string): EdiInterchange => {
  const p = parseEdi(text);
  assert.deepEqual(p.issues.map(issueText), []);
  return p.interchange!;
};
const issuesOf = (text: string) => parseEdi(text).issues.map(issueText);
const friendly = (name: string) => {
  const doc = parsed(fixture(name));
  return friendlyOf(doc, unitsOf(doc)[0]!) as Record<string, any>;
};

describe('round trip', () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.edi'))) {
    it(`${name} is written back byte for byte`, () => {
      const text = fixture(name);
      const p = parseEdi(text);
      assert.ok(p.interchange);
      assert.equal(writeEdi(p.interchange), text);
      // Through JSON too: the generic form is plain data.
      assert.equal(writeEdi(JSON.parse(JSON.stringify(p.interchange))), text);
    });
  }
  it('reads the delimiters from ISA: repetition (ISA11), component (ISA16), terminator', () => {
    const doc = parsed(fixture('810-invoice.edi')) as X12Interchange;
    assert.deepEqual(doc.delimiters, { element: '*', component: ':', repetition: '^', segment: '~' });
    const it1 = doc.groups[0]!.transactions[0]!.segments.find((s) => s.id === 'IT1' && s.elements[0] === '2')!;
    assert.deepEqual(it1.elements[6], { repeat: ['STR-20', 'STR-21'] });
  });
  it('before version 00402 ISA11 is a code, not a repetition separator', () => {
    assert.equal(parsed(fixture('850-purchase-order.edi')).delimiters.repetition, undefined);
  });
  it('other delimiters: the same document with |, !, \\n and no line breaks', () => {
    const text = fixture('850-purchase-order.edi').replaceAll('*', '|').replaceAll('~\n', '!').replace(/~$/, '!').replace('|>!', '|}!');
    const doc = parsed(text);
    assert.deepEqual(doc.delimiters, { element: '|', component: '}', segment: '!' });
    assert.equal(doc.gap, '');
    assert.equal(writeEdi(doc), text);
  });
  it('a line break as the segment terminator', () => {
    const text = fixture('850-purchase-order.edi').replaceAll('~\n', '\n').replace(/~$/, '\n');
    const doc = parsed(text);
    assert.equal(doc.delimiters.segment, '\n');
    assert.equal(doc.gap, '');
    assert.equal(writeEdi(doc), text);
  });
  it('EDIFACT: UNA delimiters and release characters', () => {
    const doc = parsed(fixture('DESADV-d96a.edi')) as EdifactInterchange;
    assert.equal(doc.delimiters.una, true);
    const nad = doc.messages![0]!.segments.find((s) => s.id === 'NAD')!;
    assert.equal(nad.elements[3], 'ACME SUPPLY+CO');
    assert.equal(writeSegment(nad, doc.delimiters), "NAD+SU+5412345000013::9++ACME SUPPLY?+CO'");
    const custom = "UNA#*.! ~UNB*UNOA#3*A#1*B#1*251124#1015*9~UNH*1*ORDERS#D#96A#UN~BGM*220*N!*1~UNT*3*1~UNZ*1*9~";
    const c = parsed(custom) as EdifactInterchange;
    assert.equal(c.messages![0]!.segments[0]!.elements[1], 'N*1');
    assert.equal(writeEdi(c), custom);
  });
  it('EDIFACT without UNA uses the defaults', () => {
    assert.deepEqual(parsed(fixture('INVOIC-d97b.edi')).delimiters, { component: ':', element: '+', decimal: '.', release: '?', segment: "'", una: false });
  });
});

describe('envelope errors', () => {
  const x850 = fixture('850-purchase-order.edi');
  it('the published ORDERS sample has a wrong UNT count', () => {
    assert.deepEqual(issuesOf(fixture('ORDERS-d96b.edi')), ['segment 20 (UNT), element 01: count 21, expected 18']);
  });
  it('SE01 segment count', () => {
    assert.deepEqual(issuesOf(x850.replace('SE*33*', 'SE*32*')), ['segment 35 (SE), element 01: count 32, expected 33']);
  });
  it('SE02 / GE02 / IEA02 control numbers', () => {
    assert.deepEqual(issuesOf(x850.replace('SE*33*000000010', 'SE*33*000000011')), ['segment 35 (SE), element 02: control number 000000011, expected 000000010 (ST02)']);
    assert.deepEqual(issuesOf(x850.replace('GE*1*1421', 'GE*1*1422')), ['segment 36 (GE), element 02: control number 1422, expected 1421 (GS06 in segment 2)']);
    assert.deepEqual(issuesOf(x850.replace('IEA*1*000003438', 'IEA*1*000003439')), ['segment 37 (IEA), element 02: control number 000003439, expected 000003438 (ISA13)']);
  });
  it('GE01 and IEA01 counts', () => {
    assert.deepEqual(issuesOf(x850.replace('GE*1*', 'GE*2*')), ['segment 36 (GE), element 01: 2 transaction sets, the group has 1']);
    assert.deepEqual(issuesOf(x850.replace('IEA*1*', 'IEA*3*')), ['segment 37 (IEA), element 01: 3 functional groups, the interchange has 1']);
  });
  it('EDIFACT UNZ, UNE and UNT references and counts', () => {
    const orders = fixture('ORDERS-d96b-corrected.edi');
    assert.deepEqual(issuesOf(orders.replace('UNZ+1+2722166169492', 'UNZ+2+2722166169493')), [
      'segment 22 (UNZ), element 01: count 2, the interchange has 1 groups',
      'segment 22 (UNZ), element 02: interchange reference 2722166169493, expected 2722166169492 (UNB05)',
    ]);
    assert.deepEqual(issuesOf(orders.replace('UNE+1+1', 'UNE+0+7')), [
      'segment 21 (UNE), element 01: 0 messages, the group has 1',
      'segment 21 (UNE), element 02: group reference 7, expected 1 (UNG05 in segment 2)',
    ]);
    assert.deepEqual(issuesOf(orders.replace('UNT+18+1', 'UNT+18+2')), ['segment 20 (UNT), element 02: message reference 2, expected 1 (UNH01)']);
  });
  it('truncated documents', () => {
    assert.deepEqual(issuesOf(x850.slice(0, 50)), ['segment 1 (ISA): the ISA segment is 106 characters long; the document has 50']);
    assert.deepEqual(issuesOf(x850.slice(0, x850.indexOf('GE*'))), ['segment 36 (GE): the document ends inside this segment (no segment terminator)'].slice(0, 0).concat([
      'segment 35 (SE): the group of segment 2 has no GE',
      'segment 35 (SE): the interchange has no IEA',
    ]));
    assert.deepEqual(issuesOf(x850.slice(0, x850.length - 3)), ['segment 37 (IEA): the document ends inside this segment (no segment terminator)']);
    assert.deepEqual(issuesOf(x850.slice(0, x850.indexOf('CTT*'))), [
      'segment 32 (PO4): transaction set of segment 3 has no SE',
      'segment 32 (PO4): the group of segment 2 has no GE',
      'segment 32 (PO4): the interchange has no IEA',
    ]);
  });
  it('bad delimiters', () => {
    assert.match(issuesOf(x850.replace('ISA*01*0000000000*', 'ISA*01*000000000*'))[0]!, /^segment 1 \(ISA\), element 02: ISA is fixed-width/);
    assert.deepEqual(issuesOf(x850.replace('*P*>~', '*P*~~')), ['segment 1 (ISA): the element, component, repetition and segment delimiters must all differ']);
    assert.deepEqual(issuesOf(x850.replace('*P*>~', '*P*A~')), ['segment 1 (ISA): "A" cannot be a delimiter (letters, digits and space are data)']);
    assert.deepEqual(issuesOf("UNA:+.? +UNB+UNOA:3+A+B+1+1+"), ['segment 1 (UNA): the component, element, release, repetition and segment characters must all differ']);
  });
  it('segments outside the envelope', () => {
    assert.deepEqual(issuesOf(x850.replace('GS*PO', 'REF*XX~\nGS*PO')), ['segment 2 (REF): expected GS or IEA']);
    assert.deepEqual(issuesOf(x850 + '\nST*850*1~'), ['segment 38 (ST): segment after IEA']);
    assert.deepEqual(issuesOf('hello'), ['segment 1: neither X12 (ISA) nor EDIFACT (UNA or UNB)']);
  });
  it('problems are collected up to a bound, then the checks stop', () => {
    const junk = Array.from({ length: 5000 }, () => 'REF*XX').join('~\n');
    const issues = parseEdi(x850.replace('GS*PO', `${junk}~\nGS*PO`)).issues;
    assert.equal(issues.length, 101);
    assert.equal(issues[100]!.reason, 'too-many-errors');
    const edifact = parseEdi(`UNB+UNOA:3+A+B+251124:1015+1'${"FTX+X'".repeat(5000)}UNZ+0+1'`).issues;
    assert.equal(edifact.length, 101);
  });
  it('control characters in messages are escaped', () => {
    assert.deepEqual(issuesOf(x850.replace('SE*33*', 'SE*3\u00013*')), ['segment 35 (SE), element 01: count 3\\x013, expected 33']);
  });
});

describe('friendly form', () => {
  it('850 purchase order', () => {
    const o = friendly('850-purchase-order.edi');
    assert.equal(o.order_number, '08292233294');
    assert.equal(o.order_date, '20101127');
    assert.equal(o.items.length, 6);
    assert.deepEqual(o.items[0], { line: '1', quantity: 120, unit: 'EA', unit_price: 9.25, product_ids: [{ qualifier: 'CB', id: '065322-117' }, { qualifier: 'PR', id: 'RO' }, { qualifier: 'VN', id: 'AB3542' }], description: 'SMALL WIDGET' });
    assert.equal(o.parties[0].address.city, 'SOLON');
    assert.equal(o.total_amount, 13045.94);
  });
  it('856 ship notice: the HL hierarchy shipment → order → item', () => {
    const n = friendly('856-ship-notice.edi');
    assert.equal(n.shipment_id, '829716');
    const ship = n.hierarchy[0];
    assert.equal(ship.level, 'shipment');
    assert.equal(ship.weight, 60.31);
    const order = ship.children[0];
    assert.equal(order.level, 'order');
    assert.equal(order.order_number, '99999817');
    assert.deepEqual(order.children.map((i: any) => [i.level, i.quantity, i.description]), [['item', 24, 'BLUE WIDGET'], ['item', 6, 'RED WIDGET']]);
  });
  it('856 with packs: shipment → order → pack → item', () => {
    const body = ['BSN*00*S1*20251124*1200', 'HL*1**S', 'HL*2*1*O', 'PRF*PO-1', 'HL*3*2*P', 'MAN*GM*00012345', 'HL*4*3*I', 'LIN**VP*A1', 'SN1**5*EA'];
    const doc = parsed(x12(['ST*856*0001', ...body, `SE*${body.length + 2}*0001`]));
    const n = friendlyOf(doc, unitsOf(doc)[0]!) as any;
    const pack = n.hierarchy[0].children[0].children[0];
    assert.equal(pack.level, 'pack');
    assert.equal(pack.marks, '00012345');
    assert.deepEqual(pack.children[0], { level: 'item', hl: '4', product_ids: [{ qualifier: 'VP', id: 'A1' }], quantity: 5, unit: 'EA' });
  });
  it('a hierarchy deeper than the bound is refused, naming the HL segment (no unbounded recursion later)', () => {
    const deep = Array.from({ length: MAX_HIERARCHY_DEPTH + 1 }, (_, i) => `HL*${i + 1}*${i === 0 ? '' : i}*I`);
    const body = ['BSN*00*S1*20251124*1200', ...deep];
    const doc = parsed(x12(['ST*856*0001', ...body, `SE*${body.length + 2}*0001`]));
    const u = unitsOf(doc)[0]!;
    assert.equal(u.start, 3);
    assert.throws(() => friendlyOf(doc, u), (err: unknown) => {
      assert.ok(err instanceof EdiMappingError);
      assert.equal(err.segment, 3 + 1 + 1 + MAX_HIERARCHY_DEPTH, 'ST, BSN, then the HL one level too deep');
      assert.equal(err.segmentId, 'HL');
      return true;
    });
    const ok = parsed(x12(['ST*856*0001', ...body.slice(0, -1), `SE*${body.length + 1}*0001`]));
    assert.ok(friendlyOf(ok, unitsOf(ok)[0]!));
  });
  it('unit positions count the envelope segments', () => {
    const doc = parsed(fixture('ORDERS-d96b-corrected.edi'));
    assert.equal(unitsOf(doc)[0]!.start, 3, 'UNB, UNG, then UNH');
  });
  it('810 invoice', () => {
    const inv = friendly('810-invoice.edi');
    assert.equal(inv.invoice_number, 'INV-20931');
    assert.equal(inv.total_amount, 154);
    assert.deepEqual(inv.items.map((i: any) => [i.quantity, i.unit_price]), [[10, 12.5], [4, 7.25]]);
  });
  it('997 acknowledgement', () => {
    const a = friendly('997-acknowledgement.edi');
    assert.deepEqual(a.transactions, [{ type: '850', control_number: '000000010', errors: [], status: 'A' }]);
    assert.equal(a.status, 'A');
  });
  it('EDIFACT ORDERS, INVOIC, DESADV, CONTRL', () => {
    const o = friendly('ORDERS-d96b-corrected.edi');
    assert.equal(o.document_number, 'C1441747');
    assert.deepEqual([o.items[0].quantity, o.items[0].unit_price, o.items[0].description], [288, 12.8, 'WIDGETS']);
    const inv = friendly('INVOIC-d97b.edi');
    assert.equal(inv.parties[1].name, 'BÜTTNER WIDGET COMPANY');
    assert.deepEqual(inv.amounts, [{ qualifier: '39', amount: 2137.58 }, { qualifier: '8', amount: 525 }]);
    const des = friendly('DESADV-d96a.edi');
    assert.equal(des.hierarchy[0].level, 'shipment');
    assert.deepEqual(des.hierarchy[0].children.map((p: any) => [p.level, p.items[0].quantity]), [['pack', 10], ['pack', 4]]);
    const ctl = friendly('CONTRL-d3.edi');
    assert.deepEqual(ctl.messages, [{ reference: '00000000000117', type: 'INVOIC', action: '7', errors: [] }]);
  });
  it('every friendly form matches its JSON Schema (friendly-schema.ts)', () => {
    for (const name of readdirSync(DIR).filter((f) => f.endsWith('.edi'))) {
      const doc = parseEdi(fixture(name)).interchange!;
      for (const u of unitsOf(doc)) {
        const v = validate(FriendlyDocumentSchema, friendlyOf(doc, u));
        assert.ok(v.ok, `${name}: ${v.ok ? '' : v.issues.slice(0, 3).map((i) => `${i.pointer} ${i.message}`).join('; ')}`);
      }
    }
  });
  it('parties of the interchange', () => {
    assert.deepEqual(partiesOf(parsed(fixture('850-purchase-order.edi'))), { sender: { qualifier: '12', id: '4405197800' }, receiver: { qualifier: '01', id: '999999999' } });
    assert.deepEqual(partiesOf(parsed(fixture('INVOIC-d97b.edi'))), { sender: { qualifier: '1', id: '005435656' }, receiver: { qualifier: '1', id: '006415160' } });
  });
  it('a type without a mapping, or named like an object property, has no friendly form', () => {
    for (const type of ['855', 'constructor', '__proto__']) {
      const doc = parsed(x12([`ST*${type}*0001`, 'SE*2*0001']));
      assert.equal(friendlyOf(doc, unitsOf(doc)[0]!), undefined);
    }
  });
});

const ISA = 'ISA*00*          *00*          *ZZ*PARTNER        *ZZ*CARRIER        *251124*0930*^*00501*000000042*0*T*:';
function x12(tx: string[], groupControl = '7'): string {
  return [ISA, `GS*SH*PARTNER*CARRIER*20251124*0930*${groupControl}*X*005010`, ...tx.map((s) => `${s}`), `GE*1*${groupControl}`, 'IEA*1*000000042'].join('~\n') + '~\n';
}

describe('acknowledgements', () => {
  const at = new Date('2025-11-24T10:15:00Z');
  const segmentsOf = (text: string) => text.trim().split('~\n');
  it('997 accepting a document', () => {
    const p = parseEdi(fixture('850-purchase-order.edi'));
    const ack = writeEdi(build997(p.interchange as X12Interchange, p.issues, { interchange: 12, group: 12 }, at));
    assert.deepEqual(segmentsOf(ack), [
      'ISA*00*          *00*          *01*999999999      *12*4405197800     *251124*1015*U*00400*000000012*0*P*>',
      'GS*PO*999999999*4405197800*20251124*1015*12*X*004010VICS'.replace('GS*PO', 'GS*FA'),
      'ST*997*0001',
      'AK1*PO*1421',
      'AK2*850*000000010',
      'AK5*A',
      'AK9*A*1*1*1',
      'SE*6*0001',
      'GE*1*12',
      'IEA*1*000000012~',
    ]);
    assert.deepEqual(parseEdi(ack).issues, []); // a valid interchange itself
  });
  it('997 rejecting: AK3/AK4 name the segment and element, AK5 and AK9 the codes', () => {
    const text = x12(['ST*856*0001', 'BSN*00*S1*20251124*1200', 'SE*5*0001']);
    const p = parseEdi(text);
    assert.deepEqual(p.issues.map(issueText), ['segment 5 (SE), element 01: count 5, expected 3']);
    const ack = writeEdi(build997(p.interchange as X12Interchange, p.issues, { interchange: 3, group: 4 }, at));
    assert.deepEqual(segmentsOf(ack).slice(2, -2), ['ST*997*0001', 'AK1*SH*7', 'AK2*856*0001', 'AK3*SE*3**8', 'AK4*1**7', 'AK5*R*4', 'AK9*R*1*1*0', 'SE*8*0001']);
    assert.equal(segmentsOf(ack)[0]!.slice(0, 54), 'ISA*00*          *00*          *ZZ*CARRIER        *ZZ*');
  });
  it('997 with a group problem: AK9 code 4 (group control number)', () => {
    const text = x12(['ST*856*0001', 'BSN*00*S1*20251124*1200', 'SE*3*0001']).replace('GE*1*7', 'GE*1*8');
    const p = parseEdi(text);
    const ack = writeEdi(build997(p.interchange as X12Interchange, p.issues, { interchange: 3, group: 4 }, at));
    assert.ok(ack.includes('AK5*R~'));
    assert.ok(ack.includes('AK9*R*1*1*0*4~'));
  });
  it('CONTRL accepting and rejecting', () => {
    const ok = parseEdi(fixture('INVOIC-d97b.edi'));
    const accepted = writeEdi(buildContrl(ok.interchange as EdifactInterchange, ok.issues, { interchange: 31, group: 31 }, at));
    assert.equal(accepted, [
      "UNB+UNOA:3+006415160:1+005435656:1+251124:1015+31'",
      "UNH+1+CONTRL:D:3:UN'",
      "UCI+00000000000778+005435656:1+006415160:1+7'",
      "UCM+00000000000117+INVOIC:D:97B:UN+7'",
      "UNT+4+1'",
      "UNZ+1+31'",
      '',
    ].join('\n'));
    const bad = parseEdi(fixture('ORDERS-d96b.edi'));
    const rejected = writeEdi(buildContrl(bad.interchange as EdifactInterchange, bad.issues, { interchange: 32, group: 32 }, at));
    assert.deepEqual(rejected.split('\n').slice(1, -2), [
      "UNH+1+CONTRL:D:3:UN'",
      "UCI+2722166169492+5400110000009:14+5013546107732:14+4'",
      "UCM+1+ORDERS:D:96B:UN+4+29'",
      "UCS+18+29'",
      "UCD+29+1'",
      "UNT+6+1'",
    ]);
    assert.deepEqual(parseEdi(rejected).issues, []);
  });
});

describe('streaming', () => {
  const scanAll = (text: string, d: Parameters<typeof scanSegments>[2]) => {
    const r = scanSegments(text, 0, d, 1);
    assert.ok(r.ok);
    return { segments: r.segments, gaps: r.gaps };
  };
  const chunked = (text: string, d: Parameters<typeof scanSegments>[2], sizes: number[]) => {
    const stream = new SegmentStream(d);
    const segments = [];
    const gaps = [];
    let at = 0;
    for (let k = 0; at < text.length; k++) {
      const size = sizes[k % sizes.length]!;
      const r = stream.push(text.slice(at, at + size));
      assert.ok(r.ok);
      segments.push(...r.segments);
      gaps.push(...r.gaps);
      at += size;
    }
    const last = stream.end();
    assert.ok(last.ok);
    return { segments: [...segments, ...last.segments], gaps: [...gaps, ...last.gaps] };
  };
  it('fed in chunks of any size, the scanner gives the same segments and line breaks', () => {
    const x = fixture('810-invoice.edi');
    const xd = parsed(x).delimiters;
    // After the ISA (the stream starts where the delimiters are known).
    const body = x.slice(107);
    const edifact = fixture('DESADV-d96a.edi').slice(10);
    for (const sizes of [[1], [2, 3], [7], [64], [1, 50, 3]]) {
      assert.deepEqual(chunked(body, xd, sizes), scanAll(body, xd), `x12 ${sizes.join(',')}`);
      assert.deepEqual(chunked(edifact, { ...EDIFACT_DEFAULTS, una: true }, sizes), scanAll(edifact, { ...EDIFACT_DEFAULTS, una: true }), `edifact ${sizes.join(',')}`);
    }
  });
  it('a release character at the end of a chunk escapes the first character of the next', () => {
    const stream = new SegmentStream(EDIFACT_DEFAULTS);
    const first = stream.push("FTX+A?");
    assert.ok(first.ok);
    assert.deepEqual(first.segments, []);
    const r = stream.push("+B'\nUNS+S'");
    assert.ok(r.ok);
    assert.deepEqual(r.segments, [{ id: 'FTX', elements: ['A+B'] }]);
    assert.deepEqual(r.gaps, ['\n']);
    const end = stream.end();
    assert.ok(end.ok);
    assert.deepEqual(end.segments, [{ id: 'UNS', elements: ['S'] }]);
  });
  it('an unfinished segment at the end is truncated; an endless one is too large', () => {
    const stream = new SegmentStream(EDIFACT_DEFAULTS);
    stream.push("UNS+S'UNT+2");
    const end = stream.end();
    assert.equal(end.ok, false);
    const tight = new SegmentStream(EDIFACT_DEFAULTS, 1, { maxSegments: 10, maxSegmentLength: 32 });
    const r = tight.push('X'.repeat(100));
    assert.equal(r.ok ? 'ok' : r.reason, 'too-large');
  });
});
