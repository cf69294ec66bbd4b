// What the reference targets node-http and node-net (bench/run.sh) answer: /json and /big as the
// cacheable upstream sends them, fetched once at start and kept in memory, with the fields a
// Portcullis cache hit adds per answer (Age, Cache-Status, Via, X-Request-Id).
import { randomUUID } from 'node:crypto';

export interface Stored {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly fetchedAt: number;
  readonly maxAge: number;
}

/** Fields a cache does not store (per hop, or recomputed per answer), as proxy-cache/entry.ts. */
const NOT_STORED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'age', 'x-request-id']);

/** `node bench/targets/NAME.ts PORT UPSTREAM_HOST:PORT`: the port and upstream, or exits with the usage. */
export function portAndUpstream(name: string): { port: number; upstream: string } {
  const [portArg, upstream] = process.argv.slice(2);
  const port = Number(portArg);
  if (!Number.isInteger(port) || port <= 0 || upstream === undefined) {
    console.error(`usage: node bench/targets/${name}.ts PORT UPSTREAM_HOST:PORT`);
    process.exit(2);
  }
  return { port, upstream };
}

async function fetchStored(upstream: string, path: string): Promise<Stored> {
  const res = await fetch(`http://${upstream}${path}`);
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => { if (!NOT_STORED.has(name)) headers[name] = value; });
  const maxAge = Number(/max-age=(\d+)/.exec(headers['cache-control'] ?? '')?.[1] ?? 0);
  return { status: res.status, headers, body, fetchedAt: Date.now(), maxAge };
}

/** /json and /big of the upstream, by path. */
export async function storedResponses(upstream: string): Promise<Map<string, Stored>> {
  const stored = new Map<string, Stored>();
  for (const path of ['/json', '/big']) stored.set(path, await fetchStored(upstream, path));
  return stored;
}

/** The fields a hit adds to the stored ones, as `name: value` pairs, for the reference named `via`. */
export function hitFields(entry: Stored, via: string): Record<string, string> {
  const age = Math.floor((Date.now() - entry.fetchedAt) / 1000);
  return { age: String(age), 'cache-status': `${via}; hit; ttl=${entry.maxAge - age}`, via: `1.1 ${via}`, 'x-request-id': randomUUID() };
}

/** Exits on SIGTERM/SIGINT (the harness stops targets by PID). */
export function exitOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
}
