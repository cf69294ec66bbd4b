// The generic, lossless JSON form of an EDI interchange (X12 or EDIFACT): the envelope, its
// segments and their elements, with the delimiters read from the document. Writing this form
// back gives the received bytes (docs/edi.md, "Generic form").

/**
 * One data element: a simple value (string), a composite (its components, in order), or a
 * repeated element (X12 repetition separator / EDIFACT syntax 4), each repeat simple or composite.
 * Values are unescaped: EDIFACT release characters are removed on reading and added on writing.
 */
export type EdiElement = string | string[] | { repeat: (string | string[])[] };

export interface EdiSegment {
  /** Segment tag: ISA, GS, ST, BEG, UNB, UNH, NAD... */
  id: string;
  elements: EdiElement[];
  /** Whitespace after this segment's terminator, when it differs from the document's `gap`. */
  gap?: string;
}

export interface Delimiters {
  /** Separates elements (X12 ISA byte 3; EDIFACT `+`). */
  element: string;
  /** Separates the components of a composite (X12 ISA16; EDIFACT `:`). */
  component: string;
  /** Separates repeats of an element (X12 ISA11 from version 00402; EDIFACT syntax 4), if any. */
  repetition?: string;
  /** Ends a segment (X12: the byte after ISA16; EDIFACT `'`). */
  segment: string;
  /** EDIFACT release (escape) character, `?` by default; X12 has none. */
  release?: string;
  /** EDIFACT decimal mark from UNA (kept for writing back). */
  decimal?: string;
  /** EDIFACT: the document began with a UNA service string advice. */
  una?: boolean;
}

export interface X12Transaction { header: EdiSegment; segments: EdiSegment[]; trailer: EdiSegment }
export interface X12Group { header: EdiSegment; transactions: X12Transaction[]; trailer: EdiSegment }
export interface X12Interchange {
  format: 'x12';
  delimiters: Delimiters;
  /** Whitespace written after every segment terminator (line breaks), "" for none. */
  gap: string;
  header: EdiSegment;
  groups: X12Group[];
  trailer: EdiSegment;
}

export interface EdifactMessage { header: EdiSegment; segments: EdiSegment[]; trailer: EdiSegment }
export interface EdifactGroup { header: EdiSegment; messages: EdifactMessage[]; trailer: EdiSegment }
export interface EdifactInterchange {
  format: 'edifact';
  delimiters: Delimiters;
  gap: string;
  /** Whitespace after the UNA service string advice, when present. */
  una_gap?: string;
  header: EdiSegment;
  /** Functional groups (UNG/UNE), when the interchange uses them... */
  groups?: EdifactGroup[];
  /** ...or the messages directly in the interchange. */
  messages?: EdifactMessage[];
  trailer: EdiSegment;
}

export type EdiInterchange = X12Interchange | EdifactInterchange;

/** Where in the document a problem is, and what it is. Positions are 1-based. */
export interface EdiIssue {
  /** Stable reason: syntax, truncated, bad-delimiters, envelope, segment-count, control-number, count... */
  reason: string;
  /** Position of the segment in the whole document (ISA/UNA/UNB = 1). */
  segment: number;
  /** Its tag, when known. */
  segment_id?: string;
  /** Two-digit element position ("01"), when the problem is in one element. */
  element?: string;
  message: string;
  /** Which group and transaction/message it concerns (0-based), for acknowledgements. */
  group?: number;
  transaction?: number;
}

export function issueText(i: EdiIssue): string {
  const where = `segment ${i.segment}${i.segment_id !== undefined ? ` (${i.segment_id})` : ''}${i.element !== undefined ? `, element ${i.element}` : ''}`;
  return `${where}: ${i.message}`;
}

/** Problems collected before the checks stop: a document with more is rejected all the same. */
export const MAX_ISSUES = 100;

export const pos2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
