// Reads the text of a spec from a file or an http(s) URL. The size cap and timeout hold however
// the bytes arrive (declared length, chunked, compressed), because the URL may be anybody's.
import { readFile, stat } from 'node:fs/promises';
import { importProblem, OpenApiImportError } from './errors.ts';
import { BodyTooLargeError, readCappedBody } from '../../core/net/read-capped.ts';

export const MAX_SPEC_BYTES = 10 * 1024 * 1024;
export const FETCH_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'application/yaml, application/x-yaml, application/json;q=0.9, text/*;q=0.8, */*;q=0.5';

export interface ReadOptions {
  /** Whole download, redirects included (default 10 s). */
  readonly timeoutMs?: number;
  /** Largest spec accepted, in bytes (default 10 MiB). */
  readonly maxBytes?: number;
}

export interface SourceText {
  readonly text: string;
  /** The path or URL, as shown in messages. */
  readonly label: string;
  /** The URL the text was finally served from: relative server URLs resolve against it. */
  readonly url?: URL;
}

const isHttp = (url: URL) => url.protocol === 'http:' || url.protocol === 'https:';

/** Anything that starts like `scheme://` is treated as a URL; everything else is a file path. */
export function looksLikeUrl(source: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source);
}

export async function readSource(source: string, opts: ReadOptions = {}): Promise<SourceText> {
  const maxBytes = opts.maxBytes ?? MAX_SPEC_BYTES;
  if (!looksLikeUrl(source)) return { text: decode(await readSpecFile(source, maxBytes), source), label: source };
  if (!URL.canParse(source)) throw importProblem(`${source}: not a valid URL`);
  const url = new URL(source);
  if (!isHttp(url)) throw importProblem(`${source}: only http:// and https:// URLs can be imported`);
  if (url.username !== '' || url.password !== '') throw importProblem(`${url.protocol}//${url.host}${url.pathname}: a URL with credentials cannot be fetched`);
  return fetchSpec(url, opts.timeoutMs ?? FETCH_TIMEOUT_MS, maxBytes);
}

async function readSpecFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw importProblem(`${path}: not a file`);
    if (info.size > maxBytes) throw tooLarge(path, maxBytes);
    const bytes = await readFile(path);
    if (bytes.length > maxBytes) throw tooLarge(path, maxBytes); // it grew since the stat
    return bytes;
  } catch (err) {
    if (err instanceof OpenApiImportError) throw err;
    throw importProblem(`${path}: cannot read it (${describeSystemError(err)})`);
  }
}

async function fetchSpec(start: URL, timeoutMs: number, maxBytes: number): Promise<SourceText> {
  const signal = AbortSignal.timeout(timeoutMs);
  let url = start;
  try {
    for (let redirects = 0; ; redirects++) {
      // Redirects are followed by hand so that each hop is checked: http(s) only, a bounded count.
      const res = await fetch(url, { redirect: 'manual', signal, headers: { accept: ACCEPT } });
      if (REDIRECT_STATUSES.has(res.status)) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (location === null) throw importProblem(`${url.href}: HTTP ${res.status} redirect without a Location header`);
        if (redirects === MAX_REDIRECTS) throw importProblem(`${start.href}: more than ${MAX_REDIRECTS} redirects`);
        const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
        if (next === undefined || !isHttp(next)) throw importProblem(`${url.href}: redirects to "${location}", which is not an http(s) URL`);
        if (next.username !== '' || next.password !== '') throw importProblem(`${url.href}: redirects to a URL with credentials`);
        url = next;
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw importProblem(`${url.href}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
      }
      const bytes = await readCapped(res, maxBytes, url.href);
      return { text: decode(bytes, url.href), label: url.href, url };
    }
  } catch (err) {
    if (err instanceof OpenApiImportError) throw err;
    if (signal.aborted) throw importProblem(`${url.href}: no complete answer within ${timeoutMs / 1000} s`);
    throw importProblem(`${url.href}: ${describeSystemError(err)}`);
  }
}

async function readCapped(res: Response, maxBytes: number, label: string): Promise<Uint8Array> {
  try {
    return await readCappedBody(res, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw tooLarge(label, maxBytes);
    throw err;
  }
}

function decode(bytes: Uint8Array, label: string): string {
  try {
    // A leading BOM is dropped; anything that is not UTF-8 is refused rather than garbled.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw importProblem(`${label}: not UTF-8 text`);
  }
}

const tooLarge = (label: string, maxBytes: number) => importProblem(`${label}: larger than the ${formatBytes(maxBytes)} limit for a spec`);

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  UND_ERR_SOCKET: 'connection closed',
};

/** A short reason from a file system or network error (fetch hides the useful part in `cause`). */
function describeSystemError(err: unknown): string {
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return SYSTEM_ERRORS[code] ?? code;
  return inner instanceof Error ? inner.message : String(inner);
}
