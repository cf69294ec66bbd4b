// What every `portcullis webhooks` command shares: its description (usage, flags, positional
// arguments), the context it runs in, and the parsing of flag values. Limits on values (a rate limit's
// range, a name's pattern) are the webhook service's business: here only the shape of a flag is
// checked (a number is a number), so the service's message is the one the operator sees.
import { readFileSync } from 'node:fs';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { ListQuery, Page, Store } from '../store/ports.ts';
import type { WebhookService } from '../webhooks/service.ts';
import { UsageError } from './args.ts';
import type { Io } from './config.ts';

export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface Ctx {
  readonly store: Store;
  readonly service: WebhookService;
  readonly io: Io;
  /** --json: records as JSON on stdout instead of a table. */
  readonly json: boolean;
  readonly args: readonly string[];
  readonly values: Values;
}

export interface Command {
  /** What follows `portcullis webhooks`, e.g. `endpoints add APP URL [options]`. */
  readonly usage: string;
  readonly summary: string;
  /** Positional argument names; a trailing `?` marks an optional one. */
  readonly args?: readonly string[];
  readonly options?: ParseArgsOptionsConfig;
  /** One line per flag for `--help`. */
  readonly flags?: readonly string[];
  /** Opens or seals signing secrets: loads the master key (and checks it against the store). */
  readonly secrets?: boolean;
  /** Request-body pointers → the flag or argument they came from, for validation messages. */
  readonly sources?: Readonly<Record<string, string>>;
  run(ctx: Ctx): Promise<number | void>;
}

/** Something the command was given or found is wrong (not the way it was called): exit 1. */
export class CliProblem extends Error {}

// --- flag values ---------------------------------------------------------------------------------

export const str = (ctx: Ctx, name: string): string | undefined => ctx.values[name] as string | undefined;
export const flag = (ctx: Ctx, name: string): boolean => ctx.values[name] === true;

/** A repeatable flag whose values may also be comma-separated: `--types a.b,c.* --types d`. */
export function list(ctx: Ctx, name: string): string[] | undefined {
  const raw = ctx.values[name] as string[] | undefined;
  if (raw === undefined) return undefined;
  return raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function int(ctx: Ctx, name: string): number | undefined {
  const text = str(ctx, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, not "${text}"`);
  return n;
}

export function intIn(ctx: Ctx, name: string, min: number, max: number, fallback: number): number {
  const n = int(ctx, name) ?? fallback;
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}, not ${n}`);
  return n;
}

const AGO = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An instant: RFC 3339 / ISO 8601, or a time ago like `90s`, `15m`, `6h`, `7d`. */
export function instant(ctx: Ctx, name: string, nowMs = Date.now()): string | undefined {
  const text = str(ctx, name);
  if (text === undefined) return undefined;
  const ago = /^(\d{1,9})([smhd])$/.exec(text);
  const ms = ago ? nowMs - Number(ago[1]) * AGO[ago[2] as keyof typeof AGO] : Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be a date-time (2025-05-01T12:00:00Z) or a time ago (15m, 6h, 7d), not "${text}"`);
  return new Date(ms).toISOString();
}

/** Repeatable `--flag K=V`. */
export function pairs(ctx: Ctx, name: string): Record<string, string> | undefined {
  const raw = ctx.values[name] as string[] | undefined;
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of raw) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} takes NAME=VALUE, not "${item}"`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1);
  }
  return out;
}

/** A file's text (`-` is standard input); one that cannot be read is a usage error, as for `config`. */
export function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

export function jsonFile(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliProblem(`${file}: not JSON (${(err as Error).message})`);
  }
}

/** `--payload JSON` or `--payload-file FILE`; undefined when neither is given. */
export function payload(ctx: Ctx): unknown {
  const inline = str(ctx, 'payload');
  const file = str(ctx, 'payload-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give --payload or --payload-file, not both');
  if (file !== undefined) return jsonFile(file);
  if (inline === undefined) return undefined;
  try {
    return JSON.parse(inline) as unknown;
  } catch (err) {
    throw new UsageError(`--payload must be JSON (${(err as Error).message})`);
  }
}

/** A secret brought along (`--secret-file`, never on the command line where `ps` shows it). */
export function secretFromFile(ctx: Ctx): string | undefined {
  const file = str(ctx, 'secret-file');
  return file === undefined ? undefined : readText(file).trim();
}

export const PAYLOAD_OPTIONS = { payload: { type: 'string' }, 'payload-file': { type: 'string' } } as const;
export const LIMIT_OPTION = { limit: { type: 'string' } } as const;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 10_000;

// --- store reads ---------------------------------------------------------------------------------

/** Every item of a keyset listing (the model's lists are short). */
export async function allPages<T>(fetch: (q: ListQuery) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch({ limit: 500, ...(cursor !== undefined ? { cursor } : {}) });
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return out;
}

/** The first `limit` items of a (newest first) listing, and whether there were more. */
export async function firstItems<T>(fetch: (q: ListQuery) => Promise<Page<T>>, limit: number): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetch({ limit: Math.min(500, limit - items.length), ...(cursor !== undefined ? { cursor } : {}) });
    items.push(...page.data);
    cursor = page.next_cursor;
    if (cursor === undefined) return { items, more: false };
    if (items.length >= limit) return { items, more: true };
  }
}

/** Application names by id, for tables (messages and endpoints carry only the id). */
export async function applicationNames(store: Store): Promise<Map<string, string>> {
  const apps = await allPages((q) => store.read().webhookModel.listApplications(q));
  return new Map(apps.map((a) => [a.id, a.name]));
}

/** Prints a table, or says there is nothing (on stderr, so stdout stays empty). */
export function printRows(ctx: Ctx, nothing: string, lines: readonly string[]): void {
  if (lines.length <= 1) ctx.io.err(nothing);
  else for (const l of lines) ctx.io.out(l);
}
