// Functional acknowledgements built from what was received: X12 997 (AK1/AK2/AK3/AK4/AK5/AK9) and
// EDIFACT CONTRL (UCI/UCM/UCS/UCD). Accepted or rejected, per transaction set / message, with the
// reasons of the envelope checks. The ack goes back to the sender: sender and receiver swap.
import { edifactMessages } from './edifact.ts';
import { unitsOf } from './mapping.ts';
import { componentOf, textOf } from './segments.ts';
import type { EdiElement, EdiIssue, EdiSegment, EdifactInterchange, X12Interchange } from './types.ts';

export interface AckNumbers {
  /** Interchange control number of the ack (ISA13 / UNB05). */
  readonly interchange: number;
  /** Group control number (GS06). */
  readonly group: number;
}

const seg = (id: string, ...elements: EdiElement[]): EdiSegment => ({ id, elements });
const two = (n: number) => String(n).padStart(2, '0');

function stamp(now: Date): { yymmdd: string; ccyymmdd: string; hhmm: string } {
  const y = now.getUTCFullYear();
  const md = two(now.getUTCMonth() + 1) + two(now.getUTCDate());
  return { yymmdd: String(y).slice(2) + md, ccyymmdd: String(y) + md, hhmm: two(now.getUTCHours()) + two(now.getUTCMinutes()) };
}

// X12 997 codes: AK5 (transaction set) and AK9 (group) syntax error codes.
const AK5_CODE: Record<string, string> = { 'segment-count': '4', 'control-number': '3', truncated: '2', envelope: '5' };
const AK9_CODE: Record<string, string> = { count: '5', 'control-number': '4', truncated: '3', envelope: '3' };

/** A 997 for a received X12 interchange; `issues` from parsing it (empty: everything accepted). */
export function build997(received: X12Interchange, issues: readonly EdiIssue[], numbers: AckNumbers, now = new Date()): X12Interchange {
  const isa = received.header.elements.map((e) => textOf(e));
  const t = stamp(now);
  const control = String(numbers.interchange).padStart(9, '0');
  const header = seg('ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), isa[6]!, isa[7]!, isa[4]!, isa[5]!, t.yymmdd, t.hhmm, isa[10]!, isa[11]!, control, '0', isa[14]!, isa[15]!);
  // Problems of the interchange itself (ISA/IEA) reject every group.
  const interchangeRejected = issues.some((i) => i.group === undefined);
  const sets: { header: EdiSegment; segments: EdiSegment[]; trailer: EdiSegment }[] = [];
  // Where each set starts, for AK3's position within it: one pass, not one per problem.
  const starts = new Map(unitsOf(received).map((u) => [`${u.group}:${u.index}`, u.start]));
  received.groups.forEach((g, gi) => {
    const stControl = String(sets.length + 1).padStart(4, '0');
    const body: EdiSegment[] = [seg('AK1', textOf(g.header.elements[0]), textOf(g.header.elements[5]))];
    let accepted = 0;
    g.transactions.forEach((tx, ti) => {
      body.push(seg('AK2', textOf(tx.header.elements[0]), textOf(tx.header.elements[1])));
      const mine = issues.filter((i) => i.group === gi && i.transaction === ti);
      const codes = new Set<string>();
      for (const i of mine) {
        codes.add(AK5_CODE[i.reason] ?? '5');
        if (i.element !== undefined && i.segment_id !== undefined) {
          // The position within the set: ST is 1.
          const start = starts.get(`${gi}:${ti}`) ?? 0;
          body.push(seg('AK3', i.segment_id, String(i.segment - start + 1), '', '8'));
          body.push(seg('AK4', String(Number(i.element)), '', '7'));
        }
      }
      const ok = mine.length === 0 && !interchangeRejected && !issues.some((i) => i.group === gi && i.transaction === undefined);
      if (ok) accepted++;
      body.push(seg('AK5', ok ? 'A' : 'R', ...[...codes].slice(0, 5)));
    });
    const groupCodes = [...new Set(issues.filter((i) => i.group === gi && i.transaction === undefined).map((i) => AK9_CODE[i.reason] ?? '3'))].slice(0, 5);
    const n = g.transactions.length;
    const status = accepted === n && groupCodes.length === 0 ? 'A' : accepted === 0 ? 'R' : 'P';
    body.push(seg('AK9', status, textOf(g.trailer.elements[0]) || String(n), String(n), String(accepted), ...groupCodes));
    const st = seg('ST', '997', stControl);
    sets.push({ header: st, segments: body, trailer: seg('SE', String(body.length + 2), stControl) });
  });
  const gs = seg('GS', 'FA', textOf(received.groups[0]?.header.elements[2]), textOf(received.groups[0]?.header.elements[1]), t.ccyymmdd, t.hhmm, String(numbers.group), 'X', textOf(received.groups[0]?.header.elements[7]) || '004010');
  return {
    format: 'x12', delimiters: received.delimiters, gap: received.gap, header,
    groups: [{ header: gs, transactions: sets, trailer: seg('GE', String(sets.length), String(numbers.group)) }],
    trailer: seg('IEA', '1', control),
  };
}

// EDIFACT syntax error codes (data element 0085).
const CONTRL_CODE: Record<string, string> = { 'segment-count': '29', count: '29', 'control-number': '28', truncated: '13', envelope: '15', syntax: '21', 'bad-delimiters': '20', 'too-large': '18' };

/** A CONTRL for a received EDIFACT interchange. */
export function buildContrl(received: EdifactInterchange, issues: readonly EdiIssue[], numbers: AckNumbers, now = new Date()): EdifactInterchange {
  const unb = received.header;
  const t = stamp(now);
  const ref = String(numbers.interchange);
  const header = seg('UNB', unb.elements[0] ?? ['UNOA', '3'], unb.elements[2] ?? '', unb.elements[1] ?? '', [t.yymmdd, t.hhmm], ref);
  const top = issues.filter((i) => i.transaction === undefined);
  const starts = unitsOf(received).map((u) => u.start);
  const body: EdiSegment[] = [];
  const uci: EdiElement[] = [textOf(unb.elements[4]), unb.elements[1] ?? '', unb.elements[2] ?? '', top.length === 0 && issues.length === 0 ? '7' : '4'];
  const first = top[0];
  if (first !== undefined) uci.push(CONTRL_CODE[first.reason] ?? '18', first.segment_id ?? '', first.element !== undefined ? String(Number(first.element)) : '');
  body.push(seg('UCI', ...uci));
  edifactMessages(received).forEach(({ message }, mi) => {
    const mine = issues.filter((i) => i.transaction === mi && i.transaction !== undefined);
    const type = [1, 2, 3, 4].map((k) => componentOf(message.header, 2, k));
    const ucm: EdiElement[] = [textOf(message.header.elements[0]), type, mine.length === 0 && top.length === 0 ? '7' : '4'];
    if (mine[0] !== undefined) ucm.push(CONTRL_CODE[mine[0].reason] ?? '18');
    body.push(seg('UCM', ...ucm));
    for (const i of mine) {
      if (i.element === undefined) continue;
      body.push(seg('UCS', String(i.segment - (starts[mi] ?? 0) + 1), CONTRL_CODE[i.reason] ?? '18'));
      body.push(seg('UCD', CONTRL_CODE[i.reason] ?? '18', String(Number(i.element))));
    }
  });
  const message = { header: seg('UNH', '1', ['CONTRL', 'D', '3', 'UN']), segments: body, trailer: seg('UNT', String(body.length + 2), '1') };
  const out: EdifactInterchange = {
    format: 'edifact', delimiters: received.delimiters, gap: received.gap, header,
    messages: [message], trailer: seg('UNZ', '1', ref),
  };
  if (received.una_gap !== undefined) out.una_gap = received.una_gap;
  return out;
}
