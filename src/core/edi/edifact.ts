// UN/EDIFACT: delimiters from the optional UNA service string advice (else the defaults
// `:+.? '`), the envelope (UNB/UNZ, optional UNG/UNE, UNH/UNT) checked as it is assembled, and the
// writer. Release characters are handled by the segment scanner.
import { DEFAULT_SCAN_LIMITS, gapEnd, printable, scanSegments, textOf, writeSegment, type ScanLimits } from './segments.ts';
import type { ParseOutcome } from './x12.ts';
import { MAX_ISSUES, type Delimiters, type EdiIssue, type EdiSegment, type EdifactGroup, type EdifactInterchange, type EdifactMessage } from './types.ts';

export const EDIFACT_DEFAULTS: Delimiters = Object.freeze({ component: ':', element: '+', decimal: '.', release: '?', segment: "'" });

/** Reads the delimiters: UNA when present (9 characters), else the syntax defaults. */
export function edifactDelimiters(text: string): { delimiters: Delimiters; next: number } | EdiIssue {
  if (!text.startsWith('UNA')) return { delimiters: { ...EDIFACT_DEFAULTS, una: false }, next: 0 };
  if (text.length < 9) return { reason: 'truncated', segment: 1, segment_id: 'UNA', message: 'UNA is 9 characters long' };
  const [component, element, decimal, release, repetition, segment] = [text[3]!, text[4]!, text[5]!, text[6]!, text[7]!, text[8]!];
  const d: Delimiters = { component, element, decimal, segment, una: true };
  // A space in UNA4 means no release character; in UNA5 it is "reserved" (syntax 3: no repetition).
  if (release !== ' ') d.release = release;
  if (repetition !== ' ') d.repetition = repetition;
  const chars = [component, element, segment, ...(d.release !== undefined ? [d.release] : []), ...(d.repetition !== undefined ? [d.repetition] : [])];
  for (const c of chars) {
    if (/^[A-Za-z0-9 ]$/.test(c)) return { reason: 'bad-delimiters', segment: 1, segment_id: 'UNA', message: `"${printable(c)}" cannot be a delimiter (letters, digits and space are data)` };
  }
  if (new Set(chars).size !== chars.length) return { reason: 'bad-delimiters', segment: 1, segment_id: 'UNA', message: 'the component, element, release, repetition and segment characters must all differ' };
  return { delimiters: d, next: 9 };
}

/** Parses and checks an EDIFACT interchange. Issues mean the document is rejected. */
export function parseEdifact(text: string, limits: ScanLimits = DEFAULT_SCAN_LIMITS): ParseOutcome<EdifactInterchange> {
  const head = edifactDelimiters(text);
  if ('reason' in head) return { interchange: undefined, issues: [head] };
  const d = head.delimiters;
  let from = head.next;
  let unaGap: string | undefined;
  if (d.una === true) {
    const g = gapEnd(text, from, d.segment.charCodeAt(0));
    unaGap = text.slice(from, g);
    from = g;
  }
  const offset = d.una === true ? 2 : 1; // document position of the first scanned segment
  const scan = scanSegments(text, from, d, offset, limits);
  if (!scan.ok) return { interchange: undefined, issues: [{ reason: scan.reason, segment: scan.segment, segment_id: scan.segment_id, message: scan.message }] };
  const segs = scan.segments;
  if (segs.length === 0) return { interchange: undefined, issues: [{ reason: 'truncated', segment: offset, message: 'the interchange has no UNB' }] };
  const gap = scan.gaps[0]!;
  segs.forEach((s, k) => {
    if (scan.gaps[k] !== gap) s.gap = scan.gaps[k];
  });
  const unb = segs[0]!;
  if (unb.id !== 'UNB') return { interchange: undefined, issues: [{ reason: 'envelope', segment: offset, segment_id: unb.id, message: 'an EDIFACT interchange starts with UNA or UNB' }] };

  const issues: EdiIssue[] = [];
  const groups: EdifactGroup[] = [];
  const messages: EdifactMessage[] = [];
  let trailer: EdiSegment | undefined;
  let group: EdifactGroup | undefined;
  let groupStart = 0;
  let msg: EdifactMessage | undefined;
  let msgStart = 0;
  let msgCount = 0; // messages so far, across groups: acknowledgements index them this way
  const where = () => ({ group: group !== undefined ? groups.length - 1 : undefined, transaction: msgCount - 1 });

  for (let k = 1; k < segs.length; k++) {
    const s = segs[k]!;
    const number = k + offset;
    if (issues.length >= MAX_ISSUES) {
      issues.push({ reason: 'too-many-errors', segment: number, segment_id: s.id, message: `more than ${MAX_ISSUES} problems; the checks stopped here` });
      return { interchange: undefined, issues };
    }
    if (trailer !== undefined) {
      issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: 'segment after UNZ' });
      break;
    }
    if (msg !== undefined) {
      if (s.id === 'UNT') {
        msg.trailer = s;
        const count = number - msgStart + 1;
        const declared = textOf(s.elements[0]);
        if (declared !== String(count)) issues.push({ reason: 'segment-count', segment: number, segment_id: 'UNT', element: '01', message: `count ${printable(declared)}, expected ${count}`, ...where() });
        const ref = textOf(s.elements[1]);
        const unhRef = textOf(msg.header.elements[0]);
        if (ref !== unhRef) issues.push({ reason: 'control-number', segment: number, segment_id: 'UNT', element: '02', message: `message reference ${printable(ref)}, expected ${printable(unhRef)} (UNH01)`, ...where() });
        msg = undefined;
      } else if (s.id === 'UNH' || s.id === 'UNE' || s.id === 'UNG' || s.id === 'UNZ' || s.id === 'UNB') {
        issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: `message ${printable(textOf(msg.header.elements[0]))} (segment ${msgStart}) has no UNT before this ${s.id}`, ...where() });
        msg = undefined;
        k--;
      } else {
        msg.segments.push(s);
      }
      continue;
    }
    if (s.id === 'UNH') {
      msg = { header: s, segments: [], trailer: { id: 'UNT', elements: [] } };
      msgStart = number;
      msgCount++;
      if (group !== undefined) group.messages.push(msg);
      else if (groups.length > 0) issues.push({ reason: 'envelope', segment: number, segment_id: 'UNH', message: 'a message outside UNG/UNE in an interchange that uses groups' });
      else messages.push(msg);
      continue;
    }
    if (group !== undefined) {
      if (s.id === 'UNE') {
        group.trailer = s;
        const w = { group: groups.length - 1 };
        const declared = textOf(s.elements[0]);
        if (declared !== String(group.messages.length)) issues.push({ reason: 'count', segment: number, segment_id: 'UNE', element: '01', message: `${printable(declared)} messages, the group has ${group.messages.length}`, ...w });
        const ref = textOf(s.elements[1]);
        const ungRef = textOf(group.header.elements[4]);
        if (ref !== ungRef) issues.push({ reason: 'control-number', segment: number, segment_id: 'UNE', element: '02', message: `group reference ${printable(ref)}, expected ${printable(ungRef)} (UNG05 in segment ${groupStart})`, ...w });
        group = undefined;
      } else {
        issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: `expected UNH or UNE in the group of segment ${groupStart}`, group: groups.length - 1 });
        if (s.id === 'UNG' || s.id === 'UNZ') {
          group = undefined;
          k--;
        }
      }
      continue;
    }
    if (s.id === 'UNG') {
      if (messages.length > 0) issues.push({ reason: 'envelope', segment: number, segment_id: 'UNG', message: 'a group in an interchange whose messages are not grouped' });
      group = { header: s, messages: [], trailer: { id: 'UNE', elements: [] } };
      groupStart = number;
      groups.push(group);
    } else if (s.id === 'UNZ') {
      trailer = s;
      const units = groups.length > 0 ? groups.length : messages.length;
      const declared = textOf(s.elements[0]);
      if (declared !== String(units)) issues.push({ reason: 'count', segment: number, segment_id: 'UNZ', element: '01', message: `count ${printable(declared)}, the interchange has ${units} ${groups.length > 0 ? 'groups' : 'messages'}` });
      const ref = textOf(s.elements[1]);
      const unbRef = textOf(unb.elements[4]);
      if (ref !== unbRef) issues.push({ reason: 'control-number', segment: number, segment_id: 'UNZ', element: '02', message: `interchange reference ${printable(ref)}, expected ${printable(unbRef)} (UNB05)` });
    } else {
      issues.push({ reason: 'envelope', segment: number, segment_id: s.id, message: 'expected UNG, UNH or UNZ' });
    }
  }
  const end = segs.length - 1 + offset;
  const lastId = segs[segs.length - 1]!.id;
  if (msg !== undefined) issues.push({ reason: 'truncated', segment: end, segment_id: lastId, message: `message of segment ${msgStart} has no UNT`, ...where() });
  if (group !== undefined) issues.push({ reason: 'truncated', segment: end, segment_id: lastId, message: `the group of segment ${groupStart} has no UNE`, group: groups.length - 1 });
  if (trailer === undefined) issues.push({ reason: 'truncated', segment: end, segment_id: lastId, message: 'the interchange has no UNZ' });
  else if (groups.length === 0 && messages.length === 0) issues.push({ reason: 'envelope', segment: end, segment_id: 'UNZ', message: 'the interchange has no message' });
  const interchange: EdifactInterchange = { format: 'edifact', delimiters: d, gap, header: unb, trailer: trailer ?? { id: 'UNZ', elements: [] } };
  if (unaGap !== undefined) interchange.una_gap = unaGap;
  if (groups.length > 0) interchange.groups = groups;
  else interchange.messages = messages;
  return { interchange, issues };
}

/** Messages of an interchange, grouped or not, with their group index (undefined when ungrouped). */
export function edifactMessages(doc: EdifactInterchange): { message: EdifactMessage; group: number | undefined }[] {
  if (doc.groups !== undefined) return doc.groups.flatMap((g, gi) => g.messages.map((message) => ({ message, group: gi })));
  return (doc.messages ?? []).map((message) => ({ message, group: undefined }));
}

export function* edifactSegments(doc: EdifactInterchange): Generator<EdiSegment> {
  yield doc.header;
  const msgs = function* (list: EdifactMessage[]) {
    for (const m of list) {
      yield m.header;
      yield* m.segments;
      yield m.trailer;
    }
  };
  if (doc.groups !== undefined) {
    for (const g of doc.groups) {
      yield g.header;
      yield* msgs(g.messages);
      yield g.trailer;
    }
  } else {
    yield* msgs(doc.messages ?? []);
  }
  yield doc.trailer;
}

/** Writes an interchange back with its own delimiters (UNA when it had one) and line breaks. */
export function writeEdifact(doc: EdifactInterchange): string {
  const d = doc.delimiters;
  const parts: string[] = [];
  if (d.una === true) {
    parts.push(`UNA${d.component}${d.element}${d.decimal ?? '.'}${d.release ?? ' '}${d.repetition ?? ' '}${d.segment}`, doc.una_gap ?? '');
  }
  for (const s of edifactSegments(doc)) parts.push(writeSegment(s, d), s.gap ?? doc.gap);
  return parts.join('');
}
