// ANSI X12: the delimiters from the fixed-width ISA segment, the envelope (ISA/IEA, GS/GE, ST/SE)
// checked as it is assembled, and the writer that puts an interchange back into bytes.
import { DEFAULT_SCAN_LIMITS, gapEnd, printable, scanSegments, textOf, writeSegment, type ScanLimits } from './segments.ts';
import { MAX_ISSUES, pos2, type Delimiters, type EdiIssue, type EdiSegment, type X12Group, type X12Interchange, type X12Transaction } from './types.ts';

/** Widths of ISA01..ISA16: the segment is fixed-width, which is how the delimiters are found. */
const ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1] as const;
export const ISA_LENGTH = 106; // "ISA", 16 separators, 86 characters of data, the terminator

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

export type ParseOutcome<T> = { interchange: T; issues: EdiIssue[] } | { interchange: undefined; issues: EdiIssue[] };

function fatal(reason: string, segment: number, message: string, segment_id?: string, element?: string): ParseOutcome<X12Interchange> {
  return { interchange: undefined, issues: [{ reason, segment, segment_id, element, message }] };
}

/** Reads the delimiters of an X12 interchange from its ISA segment. */
export function x12Delimiters(text: string): { delimiters: Delimiters; isa: EdiSegment } | EdiIssue {
  if (!text.startsWith('ISA')) return { reason: 'envelope', segment: 1, message: 'an X12 interchange starts with ISA' };
  if (text.length < ISA_LENGTH) return { reason: 'truncated', segment: 1, segment_id: 'ISA', message: `the ISA segment is ${ISA_LENGTH} characters long; the document has ${text.length}` };
  const element = text[3]!;
  const elements: string[] = [];
  let at = 4;
  for (let k = 0; k < ISA_WIDTHS.length; k++) {
    const w = ISA_WIDTHS[k]!;
    elements.push(text.slice(at, at + w));
    at += w;
    if (k < ISA_WIDTHS.length - 1) {
      if (text[at] !== element) {
        return { reason: 'bad-delimiters', segment: 1, segment_id: 'ISA', element: pos2(k + 1), message: `ISA is fixed-width: expected the element separator "${printable(element)}" after this ${w}-character element, found "${printable(text[at] ?? '')}"` };
      }
      at++;
    }
  }
  const component = elements[15]!;
  const segment = text[at]!;
  const isa11 = elements[10]!;
  const version = elements[11]!;
  // ISA11 is the repetition separator from version 00402 on; before, it is a code (usually "U").
  const repetition = version >= '00402' && !isAlnum(isa11) ? isa11 : undefined;
  const delimiters: Delimiters = repetition === undefined ? { element, component, segment } : { element, component, repetition, segment };
  const chars = [element, component, segment, ...(repetition !== undefined ? [repetition] : [])];
  for (const c of chars) {
    if (isAlnum(c) || c === ' ') return { reason: 'bad-delimiters', segment: 1, segment_id: 'ISA', message: `"${printable(c)}" cannot be a delimiter (letters, digits and space are data)` };
  }
  if (new Set(chars).size !== chars.length) return { reason: 'bad-delimiters', segment: 1, segment_id: 'ISA', message: 'the element, component, repetition and segment delimiters must all differ' };
  return { delimiters, isa: { id: 'ISA', elements } };
}

/** Parses and checks an X12 interchange. Issues mean the document is rejected. */
export function parseX12(text: string, limits: ScanLimits = DEFAULT_SCAN_LIMITS): ParseOutcome<X12Interchange> {
  const head = x12Delimiters(text);
  if ('reason' in head) return { interchange: undefined, issues: [head] };
  const { delimiters: d, isa } = head;
  const afterIsa = gapEnd(text, ISA_LENGTH, d.segment.charCodeAt(0));
  const gap = text.slice(ISA_LENGTH, afterIsa);
  const scan = scanSegments(text, afterIsa, d, 2, limits);
  if (!scan.ok) return fatal(scan.reason, scan.segment, scan.message, scan.segment_id);
  const segs = scan.segments;
  // Line breaks after terminators are kept: the document's usual one, and any segment's own.
  segs.forEach((s, k) => {
    if (scan.gaps[k] !== gap) s.gap = scan.gaps[k];
  });
  if (segs.length === 0) return fatal('truncated', 2, 'nothing follows the ISA segment');

  const issues: EdiIssue[] = [];
  const groups: X12Group[] = [];
  let trailer: EdiSegment | undefined;
  let group: X12Group | undefined;
  let groupStart = 0;
  let tx: X12Transaction | undefined;
  let txStart = 0;
  const closeTx = (seNumber: number) => {
    const t = tx!;
    const count = seNumber - txStart + 1;
    const where = { group: groups.length - 1, transaction: group!.transactions.length - 1 };
    if (t.trailer.id === 'SE') {
      const declared = textOf(t.trailer.elements[0]);
      if (declared !== String(count)) issues.push({ reason: 'segment-count', segment: seNumber, segment_id: 'SE', element: '01', message: `count ${printable(declared)}, expected ${count}`, ...where });
      const control = textOf(t.trailer.elements[1]);
      const stControl = textOf(t.header.elements[1]);
      if (control !== stControl) issues.push({ reason: 'control-number', segment: seNumber, segment_id: 'SE', element: '02', message: `control number ${printable(control)}, expected ${printable(stControl)} (ST02)`, ...where });
    }
    tx = undefined;
  };
  const closeGroup = (geNumber: number, ge: EdiSegment) => {
    const g = group!;
    g.trailer = ge;
    const where = { group: groups.length - 1 };
    const declared = textOf(ge.elements[0]);
    if (declared !== String(g.transactions.length)) issues.push({ reason: 'count', segment: geNumber, segment_id: 'GE', element: '01', message: `${printable(declared)} transaction sets, the group has ${g.transactions.length}`, ...where });
    const control = textOf(ge.elements[1]);
    const gsControl = textOf(g.header.elements[5]);
    if (control !== gsControl) issues.push({ reason: 'control-number', segment: geNumber, segment_id: 'GE', element: '02', message: `control number ${printable(control)}, expected ${printable(gsControl)} (GS06 in segment ${groupStart})`, ...where });
    group = undefined;
  };

  for (let k = 0; k < segs.length; k++) {
    const s = segs[k]!;
    const number = k + 2;
    if (issues.length >= MAX_ISSUES) {
      issues.push({ reason: 'too-many-errors', segment: number, segment_id: s.id, message: `more than ${MAX_ISSUES} problems; the checks stopped here` });
      return { interchange: undefined, issues };
    }
    if (trailer !== undefined) {
      issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: 'segment after IEA' });
      break;
    }
    if (tx !== undefined) {
      if (s.id === 'SE') {
        tx.trailer = s;
        closeTx(number);
      } else if (s.id === 'ST' || s.id === 'GE' || s.id === 'GS' || s.id === 'IEA' || s.id === 'ISA') {
        issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: `transaction set ${printable(textOf(tx.header.elements[1]))} (segment ${txStart}) has no SE before this ${s.id}`, group: groups.length - 1, transaction: group!.transactions.length - 1 });
        tx = undefined;
        k--; // read this segment again, outside the transaction
      } else {
        tx.segments.push(s);
      }
      continue;
    }
    if (group !== undefined) {
      if (s.id === 'ST') {
        tx = { header: s, segments: [], trailer: { id: 'SE', elements: [] } };
        txStart = number;
        group.transactions.push(tx);
      } else if (s.id === 'GE') {
        closeGroup(number, s);
      } else {
        issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: `expected ST or GE in the group of segment ${groupStart}`, group: groups.length - 1 });
        if (s.id === 'GS' || s.id === 'IEA') {
          group = undefined;
          k--;
        }
      }
      continue;
    }
    if (s.id === 'GS') {
      group = { header: s, transactions: [], trailer: { id: 'GE', elements: [] } };
      groupStart = number;
      groups.push(group);
    } else if (s.id === 'IEA') {
      trailer = s;
      const declared = textOf(s.elements[0]);
      if (declared !== String(groups.length)) issues.push({ reason: 'count', segment: number, segment_id: 'IEA', element: '01', message: `${printable(declared)} functional groups, the interchange has ${groups.length}` });
      const control = textOf(s.elements[1]);
      if (control !== isa.elements[12]) issues.push({ reason: 'control-number', segment: number, segment_id: 'IEA', element: '02', message: `control number ${printable(control)}, expected ${printable(String(isa.elements[12]))} (ISA13)` });
    } else {
      issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: 'expected GS or IEA' });
    }
  }
  const end = segs.length + 1;
  if (tx !== undefined) issues.push({ reason: 'truncated', segment: end, segment_id: segs[segs.length - 1]?.id, message: `transaction set of segment ${txStart} has no SE`, group: groups.length - 1, transaction: group!.transactions.length - 1 });
  if (group !== undefined) issues.push({ reason: 'truncated', segment: end, segment_id: segs[segs.length - 1]?.id, message: `the group of segment ${groupStart} has no GE`, group: groups.length - 1 });
  if (trailer === undefined) issues.push({ reason: 'truncated', segment: end, segment_id: segs[segs.length - 1]?.id, message: 'the interchange has no IEA' });
  if (groups.length === 0 && trailer !== undefined) issues.push({ reason: 'envelope', segment: end, segment_id: 'IEA', message: 'the interchange has no functional group' });
  const interchange: X12Interchange = { format: 'x12', delimiters: d, gap, header: isa, groups, trailer: trailer ?? { id: 'IEA', elements: [] } };
  return { interchange, issues };
}

/** The segments of an interchange in document order. */
export function* x12Segments(doc: X12Interchange): Generator<EdiSegment> {
  yield doc.header;
  for (const g of doc.groups) {
    yield g.header;
    for (const t of g.transactions) {
      yield t.header;
      yield* t.segments;
      yield t.trailer;
    }
    yield g.trailer;
  }
  yield doc.trailer;
}

/** Writes an interchange with its own delimiters and line breaks. */
export function writeX12(doc: X12Interchange): string {
  const d = doc.delimiters;
  const parts: string[] = [];
  for (const s of x12Segments(doc)) {
    if (s.id === 'ISA') parts.push(writeIsa(s, d));
    else parts.push(writeSegment(s, d));
    parts.push(s.gap ?? doc.gap);
  }
  return parts.join('');
}

/** ISA is fixed-width and carries the delimiters themselves: its elements are written unescaped, padded. */
function writeIsa(s: EdiSegment, d: Delimiters): string {
  let out = 'ISA';
  for (let k = 0; k < ISA_WIDTHS.length; k++) {
    const v = textOf(s.elements[k]);
    const w = ISA_WIDTHS[k]!;
    out += d.element + (v.length >= w ? v.slice(0, w) : /^[0-9]+$/.test(v) && (k === 12 || k === 8 || k === 9) ? v.padStart(w, '0') : v.padEnd(w, ' '));
  }
  return out + d.segment;
}
