// EDI in and out: which syntax a document is, parsing with envelope checks, writing back.
import { parseEdifact, writeEdifact } from './edifact.ts';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from './segments.ts';
import type { EdiInterchange, EdiIssue } from './types.ts';
import { parseX12, writeX12 } from './x12.ts';

export type EdiFormat = 'x12' | 'edifact';

/** The syntax a document is written in, from its first bytes; undefined when neither. */
export function sniffFormat(text: string): EdiFormat | undefined {
  if (text.startsWith('ISA')) return 'x12';
  if (text.startsWith('UNA') || text.startsWith('UNB')) return 'edifact';
  return undefined;
}

export type EdiParse = { format: EdiFormat; interchange: EdiInterchange | undefined; issues: EdiIssue[] } | { format: undefined; interchange: undefined; issues: EdiIssue[] };

/** Parses an X12 or EDIFACT interchange; `issues` non-empty means it must be rejected. */
export function parseEdi(text: string, limits: ScanLimits = DEFAULT_SCAN_LIMITS): EdiParse {
  const format = sniffFormat(text);
  if (format === undefined) return { format, interchange: undefined, issues: [{ reason: 'envelope', segment: 1, message: 'neither X12 (ISA) nor EDIFACT (UNA or UNB)' }] };
  const r = format === 'x12' ? parseX12(text, limits) : parseEdifact(text, limits);
  return { format, interchange: r.interchange, issues: r.issues };
}

/** Writes an interchange (generic form) back to EDI text. Throws EdiWriteError on values it cannot write. */
export function writeEdi(doc: EdiInterchange): string {
  return doc.format === 'x12' ? writeX12(doc) : writeEdifact(doc);
}

export { issueText } from './types.ts';
export type { EdiInterchange, EdiIssue } from './types.ts';
