// EDI micro benchmark: a 1 MB X12 856 ship notice and a 1 MB 850 purchase order translated to the
// JSON the edi plugin forwards (parse + envelope checks + friendly mapping + generic form +
// JSON.stringify), and written back to X12. Target: under 100 ms per 1 MB document.
// Run: node bench/micro/edi.bench.ts  (part of `npm run bench:micro`).
import { parseEdi, writeEdi } from '../../src/core/edi/index.ts';
import { friendlyOf, unitsOf } from '../../src/core/edi/mapping.ts';
import { environmentLine, fmt, fmtMs, table, timeRuns, writeSection } from './lib.ts';

const ISA = 'ISA*00*          *00*          *ZZ*PARTNER        *ZZ*CARRIER        *251124*0930*^*00501*000000042*0*P*:~\n';

/** An interchange of one transaction set whose body segments come from `line(i)`, grown to about `bytes`. */
function generate(type: string, fid: string, head: string[], line: (i: number) => string[], bytes: number): string {
  const body = [...head];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    for (const s of line(i)) {
      body.push(s);
      size += s.length + 2;
    }
  }
  const tx = [`ST*${type}*0001`, ...body, `SE*${body.length + 2}*0001`];
  return `${ISA}GS*${fid}*PARTNER*CARRIER*20251124*0930*7*X*005010~\n${tx.join('~\n')}~\nGE*1*7~\nIEA*1*000000042~\n`;
}

const MB = 1024 * 1024;
const docs: [string, string][] = [
  ['856 ship notice (HL: shipment → 1 order → packs → items)', generate('856', 'SH', ['BSN*00*SHP-1*20251124*1200', 'HL*1**S', 'TD1*CTN*200****G*1200*LB', 'N1*ST*CARRIER CO*92*C-1001', 'HL*2*1*O', 'PRF*PO-55120'], (i) => {
    const pack = 2 + i * 2;
    return [`HL*${pack + 1}*2*P`, `MAN*GM*0000${i}`, `HL*${pack + 2}*${pack + 1}*I`, `LIN*${i}*VP*SKU-${i}*UP*0123456${i}`, `SN1*${i}*${i % 50}*EA`, `PID*F****ITEM ${i}`];
  }, MB)],
  ['850 purchase order (PO1/PID lines)', generate('850', 'PO', ['BEG*00*SA*PO-1**20251124', 'N1*ST*CARRIER CO*92*C-1001', 'N3*1 HARBOUR WAY', 'N4*ROTTERDAM**3011AA*NL'], (i) => [
    `PO1*${i}*${i % 90 + 1}*EA*${(i % 1000) / 10 + 1}*TE*VP*SKU-${i}*UP*0123456${i}`, `PID*F****ITEM NUMBER ${i}`,
  ], MB)],
];

const out: string[] = [];
const say = (s = ''): void => {
  out.push(s);
  console.log(s);
};
say('## EDI');
say();
say(environmentLine());
say();

const rows: string[][] = [];
for (const [label, text] of docs) {
  const check = parseEdi(text);
  if (check.issues.length > 0 || check.interchange === undefined) throw new Error(`benchmark setup: ${label} is not valid`);
  if (writeEdi(check.interchange) !== text) throw new Error(`benchmark setup: ${label} does not round-trip`);
  const segments = text.split('~').length - 1;
  const parse = timeRuns(20, () => parseEdi(text));
  const friendly = timeRuns(20, () => {
    const doc = parseEdi(text).interchange!;
    return JSON.stringify({ documents: unitsOf(doc).map((u) => friendlyOf(doc, u)) });
  });
  const translate = timeRuns(20, () => {
    const doc = parseEdi(text).interchange!;
    return JSON.stringify({ documents: unitsOf(doc).map((u) => friendlyOf(doc, u)), interchange: doc });
  });
  const doc = check.interchange;
  const write = timeRuns(20, () => writeEdi(doc));
  const jsonBytes = Buffer.byteLength(JSON.stringify({ documents: unitsOf(doc).map((u) => friendlyOf(doc, u)), interchange: doc }));
  const span = (t: { median: number; min: number }) => `${fmtMs(t.median)} (min ${fmtMs(t.min)})`;
  rows.push([label, `${fmt(text.length / 1024)} KiB`, fmt(segments), span(parse), span(friendly), span(translate), fmtMs(write.median), `${fmt(jsonBytes / 1024)} KiB`]);
}
say('### 1 MB X12 documents (median of 20 runs, ms)');
say();
say('"to JSON" is what the edi plugin does per request: parse with envelope checks, then the forwarded JSON, with `forward: friendly` (the default) or `both` (friendly + the generic form). ' +
  'Target: < 100 ms. On a shared machine the minimum is the figure least disturbed by other load.');
say();
say(table(['document', 'size', 'segments', 'parse + check', 'to JSON (friendly)', 'to JSON (both)', 'write back', 'JSON size (both)'], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows));

const file = writeSection('edi', out.join('\n'));
console.log(`\n(written to ${file})`);
