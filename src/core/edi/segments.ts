// Reading and writing segments with a document's delimiters. One pass, left to right, each byte
// looked at once (no regular expressions, no backtracking), so the cost is linear in the input and
// the scanner could be fed chunk by chunk. Values are unescaped on reading (EDIFACT release
// character) and escaped again on writing, so a document written back is byte-for-byte the same.
import type { Delimiters, EdiElement, EdiSegment } from './types.ts';

export interface ScanLimits {
  /** Most segments in one document. */
  readonly maxSegments: number;
  /** Longest segment, in characters. */
  readonly maxSegmentLength: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = Object.freeze({ maxSegments: 1_000_000, maxSegmentLength: 100_000 });

export type ScanResult =
  | {
    ok: true; segments: EdiSegment[]; gaps: string[];
    /** Partial scans: where the unfinished segment starts (text.length when there is none)... */
    end: number;
    /** ...and where the last complete one started (its gap may go on in the next chunk). */
    lastStart: number;
  }
  | { ok: false; reason: 'truncated' | 'syntax' | 'too-large'; segment: number; segment_id?: string; message: string };

const CR = 13;
const LF = 10;

/** Whitespace between segments: line breaks only (and never the segment terminator itself). */
export function gapEnd(text: string, from: number, terminator: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c !== CR && c !== LF) || c === terminator) break;
  }
  return i;
}

const SEGMENT_ID = /^[A-Z0-9]{2,3}$/; // anchored, fixed length: no backtracking

/**
 * Scans segments from `from` to the end of `text`. `firstNumber` is the document position of the
 * first one (for messages). Each segment's trailing whitespace is returned in `gaps`.
 */
export function scanSegments(text: string, from: number, d: Delimiters, firstNumber: number, limits: ScanLimits = DEFAULT_SCAN_LIMITS, partial = false): ScanResult {
  const E = d.element.charCodeAt(0);
  const C = d.component.charCodeAt(0);
  const R = d.repetition !== undefined ? d.repetition.charCodeAt(0) : -1;
  const S = d.segment.charCodeAt(0);
  const REL = d.release !== undefined ? d.release.charCodeAt(0) : -1;
  const n = text.length;
  const segments: EdiSegment[] = [];
  const gaps: string[] = [];
  // Elements are collected here and copied out at the exact length: an array grown by push keeps
  // spare capacity (17 slots for a small one), which for 50,000 segments was most of the memory.
  const scratch: EdiElement[] = [];
  // Short values repeat (qualifiers, units, codes): one copy each, up to a bound, instead of a
  // new string per occurrence. It keeps the parsed tree within ~10x the document's size.
  const shared = new Map<string, string>();
  const share = (v: string): string => {
    if (v.length < 2 || v.length > 6) return v;
    const known = shared.get(v);
    if (known !== undefined) return known;
    if (shared.size < 4096) shared.set(v, v);
    return v;
  };
  let i = from;
  let lastStart = from;
  while (i < n) {
    const number = firstNumber + segments.length;
    if (segments.length >= limits.maxSegments) return { ok: false, reason: 'too-large', segment: number, message: `more than ${limits.maxSegments} segments` };
    const start = i;
    scratch.length = 0;
    let id: string | undefined;
    let comps: string[] | undefined;
    let reps: (string | string[])[] | undefined;
    let cur = '';
    let runStart = i;
    let ended = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === REL) {
        if (i + 1 >= n) break;
        cur += text.slice(runStart, i) + text[i + 1];
        i++;
        runStart = i + 1;
        continue;
      }
      if (c !== E && c !== C && c !== S && c !== R) continue;
      if (i - start > limits.maxSegmentLength) return { ok: false, reason: 'too-large', segment: number, message: `segment longer than ${limits.maxSegmentLength} characters` };
      cur += text.slice(runStart, i);
      runStart = i + 1;
      if (c === C) {
        (comps ??= []).push(cur);
        cur = '';
        continue;
      }
      let value: string | string[] = share(cur);
      if (comps !== undefined) {
        comps.push(cur);
        value = comps.slice(); // exact length, as for elements
        comps = undefined;
      }
      cur = '';
      if (c === R) {
        (reps ??= []).push(value);
        continue;
      }
      let element: EdiElement = value;
      if (reps !== undefined) {
        reps.push(value);
        element = { repeat: reps };
        reps = undefined;
      }
      if (id === undefined) {
        if (typeof element !== 'string' || !SEGMENT_ID.test(element)) {
          return { ok: false, reason: 'syntax', segment: number, message: `not a segment tag: "${printable(text.slice(start, Math.min(i, start + 12)))}"` };
        }
        id = element;
      } else {
        scratch.push(element);
      }
      if (c === S) {
        ended = true;
        i++;
        break;
      }
    }
    if (!ended && partial) return { ok: true, segments, gaps, end: start, lastStart };
    if (!ended) {
      const tag = id ?? text.slice(start, Math.min(n, start + 3));
      return { ok: false, reason: 'truncated', segment: number, segment_id: SEGMENT_ID.test(tag) ? tag : undefined, message: 'the document ends inside this segment (no segment terminator)' } as ScanResult;
    }
    const g = gapEnd(text, i, S);
    segments.push({ id: id!, elements: scratch.slice() });
    gaps.push(g === i ? '' : text.slice(i, g));
    lastStart = start;
    i = g;
  }
  return { ok: true, segments, gaps, end: n, lastStart };
}

/**
 * The scanner fed chunk by chunk (a body arriving from the network, a file read in pieces): each
 * push returns the segments completed so far with the line breaks after them. A segment is given
 * out once what follows it is known, so at most one segment (plus the chunk) is ever held, and
 * each character is scanned at most twice. The same segments and gaps as one scanSegments call.
 */
export class SegmentStream {
  readonly #d: Delimiters;
  readonly #limits: ScanLimits;
  #pending = '';
  #next: number;
  constructor(d: Delimiters, firstNumber = 1, limits: ScanLimits = DEFAULT_SCAN_LIMITS) {
    this.#d = d;
    this.#next = firstNumber;
    this.#limits = limits;
  }

  push(chunk: string): Extract<ScanResult, { ok: true }> | Extract<ScanResult, { ok: false }> {
    const text = this.#pending + chunk;
    const r = scanSegments(text, 0, this.#d, this.#next, this.#limits, true);
    if (!r.ok) return r;
    let keep = r.end;
    if (r.end === text.length && r.segments.length > 0) {
      // Everything ended: the last segment's line break may continue in the next chunk.
      keep = r.lastStart;
      r.segments.pop();
      r.gaps.pop();
    }
    if (text.length - keep > this.#limits.maxSegmentLength + 16) {
      return { ok: false, reason: 'too-large', segment: this.#next + r.segments.length, message: `segment longer than ${this.#limits.maxSegmentLength} characters` };
    }
    this.#pending = text.slice(keep);
    this.#next += r.segments.length;
    return r;
  }

  /** The rest, at the end of the input: a segment left unfinished is `truncated`. */
  end(): ScanResult {
    const r = scanSegments(this.#pending, 0, this.#d, this.#next, this.#limits);
    this.#pending = '';
    return r;
  }
}

/** A client-controlled string safe to put in a message: control characters shown as \xNN. */
export function printable(s: string): string {
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    out += c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : s[k];
  }
  return out;
}

export class EdiWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EdiWriteError';
  }
}

function escapeValue(v: string, d: Delimiters): string {
  let special = false;
  for (let k = 0; k < v.length && !special; k++) {
    const ch = v[k];
    special = ch === d.element || ch === d.component || ch === d.segment || ch === d.repetition || ch === d.release;
  }
  if (!special) return v;
  if (d.release === undefined) throw new EdiWriteError(`the value "${printable(v)}" contains a delimiter and X12 has no escape character`);
  let out = '';
  for (let k = 0; k < v.length; k++) {
    const ch = v[k]!;
    if (ch === d.element || ch === d.component || ch === d.segment || ch === d.repetition || ch === d.release) out += d.release;
    out += ch;
  }
  return out;
}

function writeValue(v: string | string[], d: Delimiters): string {
  if (typeof v === 'string') return escapeValue(v, d);
  let out = '';
  for (let k = 0; k < v.length; k++) out += (k === 0 ? '' : d.component) + escapeValue(v[k]!, d);
  return out;
}

export function writeElement(e: EdiElement, d: Delimiters): string {
  if (typeof e === 'string' || Array.isArray(e)) return writeValue(e, d);
  if (d.repetition === undefined) throw new EdiWriteError('a repeated element, but the document has no repetition separator');
  let out = '';
  for (let k = 0; k < e.repeat.length; k++) out += (k === 0 ? '' : d.repetition) + writeValue(e.repeat[k]!, d);
  return out;
}

/** One segment with its terminator (not the gap). */
export function writeSegment(s: EdiSegment, d: Delimiters): string {
  let out = s.id;
  for (const e of s.elements) out += d.element + writeElement(e, d);
  return out + d.segment;
}

/** An element's text as a person reads it: a composite's first component, a repeat's raw text. */
export function textOf(e: EdiElement | undefined, d?: Delimiters): string {
  if (e === undefined) return '';
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) return e[0] ?? '';
  return e.repeat.map((r) => (typeof r === 'string' ? r : r.join(d?.component ?? ':'))).join(d?.repetition ?? '');
}

/** Component `k` (1-based) of element `n` (1-based) of a segment. */
export function componentOf(s: EdiSegment, n: number, k: number): string {
  const e = s.elements[n - 1];
  if (e === undefined) return '';
  if (typeof e === 'string') return k === 1 ? e : '';
  if (Array.isArray(e)) return e[k - 1] ?? '';
  const first = e.repeat[0];
  return typeof first === 'string' ? (k === 1 ? first : '') : (first?.[k - 1] ?? '');
}
