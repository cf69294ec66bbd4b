// How the webhooks commands print: compact aligned tables and key/value blocks for people, records
// as JSON for scripts. Text that comes from outside (receivers' answers, error messages, anything
// an API user typed) is stripped of control characters first, so it cannot drive the terminal.
import type { EndpointRecord } from '../store/webhooks/records.ts';
import { presentEndpoint } from '../webhooks/present.ts';

export type Cell = string | number | boolean | null | undefined;

// C0/C1 controls and the bidi overrides that can make a line read differently from what it is.
const UNSAFE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function clean(text: string): string {
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\r' || c === '\t' ? ' ' : '?'));
}

export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** ISO instants without milliseconds: still valid for --since, and shorter in a table. */
export const when = (iso: string | null | undefined): string => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-');

const cellText = (c: Cell): string => (c === null || c === undefined || c === '' ? '-' : clean(String(c)));

/** A header row and aligned columns (two spaces apart; the last column is not padded). */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  const cells = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)];
}

/** `key  value` lines, keys aligned. */
export function fields(pairs: readonly (readonly [string, Cell])[]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cellText(v)}`);
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

export const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

// --- records as scripts see them (the admin API's shapes, minus anything secret) --------------

/** Header values often carry the receiver's credentials: the CLI shows only their names. */
export const endpointJson = (e: EndpointRecord) => presentEndpoint(e, { hideHeaderValues: true });
export { presentDelivery as deliveryJson, presentMessage as messageJson } from '../webhooks/present.ts';
