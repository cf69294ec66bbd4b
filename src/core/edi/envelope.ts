// Enveloping outbound documents: the gateway writes ISA/GS/ST…SE/GE/IEA (X12) or UNB/UNH…UNT/UNZ
// (EDIFACT) around the segments an upstream gives it, with counts computed and control numbers
// from the caller (they must keep increasing: see the plugin's control-number source).
import type { PartyId } from './mapping.ts';
import type { OutboundDocuments } from './schema.ts';
import type { EdiElement, EdiSegment, EdifactInterchange, EdifactMessage, X12Group, X12Interchange } from './types.ts';

const seg = (id: string, ...elements: EdiElement[]): EdiSegment => ({ id, elements });
const two = (n: number) => String(n).padStart(2, '0');

/** GS01 functional identifier codes of the common transaction sets. */
export const FUNCTIONAL_IDS: Readonly<Record<string, string>> = { 810: 'IN', 850: 'PO', 855: 'PR', 856: 'SH', 997: 'FA' };

export interface EnvelopeInput {
  readonly sender: PartyId;
  readonly receiver: PartyId;
  readonly documents: OutboundDocuments['documents'];
  /** Interchange control number (ISA13 / UNB05). */
  readonly interchange: number;
  /**
   * Group control numbers (GS06), one per group (a group per functional id, in the order the
   * documents first name them: see x12GroupCount). X12 only; EDIFACT envelopes have no groups.
   */
  readonly groups: readonly number[];
  readonly test: boolean;
  readonly now: Date;
}

/** How many functional groups (GS…GE) envelopeX12 writes for these documents: one per functional id. */
export function x12GroupCount(documents: EnvelopeInput['documents']): number {
  const ids = new Set<string>();
  for (const doc of documents) ids.add(doc.functional_id ?? (Object.hasOwn(FUNCTIONAL_IDS, doc.type) ? FUNCTIONAL_IDS[doc.type]! : `?${doc.type}`));
  return ids.size;
}

/** An X12 004010 interchange; undefined (with a reason) when a document's functional id is unknown. */
export function envelopeX12(input: EnvelopeInput): X12Interchange | string {
  const t = input.now;
  const yymmdd = String(t.getUTCFullYear()).slice(2) + two(t.getUTCMonth() + 1) + two(t.getUTCDate());
  const ccyymmdd = String(t.getUTCFullYear()) + yymmdd.slice(2);
  const hhmm = two(t.getUTCHours()) + two(t.getUTCMinutes());
  const control = String(input.interchange % 1_000_000_000).padStart(9, '0');
  const pad = (s: string, w: number) => s.padEnd(w, ' ');
  const header = seg('ISA', '00', pad('', 10), '00', pad('', 10), input.sender.qualifier, pad(input.sender.id, 15), input.receiver.qualifier, pad(input.receiver.id, 15), yymmdd, hhmm, 'U', '00401', control, '0', input.test ? 'T' : 'P', ':');
  const groups: X12Group[] = [];
  const byId = new Map<string, X12Group>();
  for (const doc of input.documents) {
    const fid = doc.functional_id ?? (Object.hasOwn(FUNCTIONAL_IDS, doc.type) ? FUNCTIONAL_IDS[doc.type] : undefined);
    if (fid === undefined) return `documents of type ${doc.type} need a functional_id (GS01)`;
    let g = byId.get(fid);
    if (g === undefined) {
      const given = input.groups[groups.length];
      if (given === undefined) return `${groups.length + 1} functional groups but ${input.groups.length} group control numbers`;
      const number = String(given);
      g = { header: seg('GS', fid, input.sender.id, input.receiver.id, ccyymmdd, hhmm, number, 'X', '004010'), transactions: [], trailer: seg('GE', '0', number) };
      byId.set(fid, g);
      groups.push(g);
    }
    const st = String(g.transactions.length + 1).padStart(4, '0');
    g.transactions.push({ header: seg('ST', doc.type, st), segments: doc.segments, trailer: seg('SE', String(doc.segments.length + 2), st) });
  }
  for (const g of groups) g.trailer.elements[0] = String(g.transactions.length);
  return {
    format: 'x12', delimiters: { element: '*', component: ':', segment: '~' }, gap: '\n', header,
    groups, trailer: seg('IEA', String(groups.length), control),
  };
}

/** An EDIFACT syntax 3 interchange (UNOA, no UNA, default delimiters). */
export function envelopeEdifact(input: EnvelopeInput): EdifactInterchange {
  const t = input.now;
  const ref = String(input.interchange % 100_000_000_000_000);
  const party = (p: PartyId): EdiElement => (p.qualifier === '' ? p.id : [p.id, p.qualifier]);
  const yymmdd = String(t.getUTCFullYear()).slice(2) + two(t.getUTCMonth() + 1) + two(t.getUTCDate());
  const unb: EdiElement[] = [['UNOA', '3'], party(input.sender), party(input.receiver), [yymmdd, two(t.getUTCHours()) + two(t.getUTCMinutes())], ref];
  if (input.test) unb.push('', '', '', '', '', '1'); // UNB11: test indicator
  const messages: EdifactMessage[] = input.documents.map((doc, i) => {
    const [version, release, agency] = (doc.version ?? 'D:96A:UN').split(':');
    const reference = String(i + 1);
    return { header: seg('UNH', reference, [doc.type, version!, release!, agency!]), segments: doc.segments, trailer: seg('UNT', String(doc.segments.length + 2), reference) };
  });
  return {
    format: 'edifact', delimiters: { component: ':', element: '+', decimal: '.', release: '?', segment: "'", una: false }, gap: '\n',
    header: seg('UNB', ...unb), messages, trailer: seg('UNZ', String(messages.length), ref),
  };
}
