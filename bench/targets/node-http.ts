// Reference target "node-http" (bench/run.sh): the least work a Node.js server can do to answer with
// what a Portcullis cache hit answers. At start it fetches /json and /big once from the cacheable
// upstream (the one portcullis-cache proxies to) and keeps status, header fields and body in memory.
// Per request it only adds the fields a hit adds (Age, Cache-Status, Via, X-Request-Id) and writes
// the response with node:http. No routing, no plugins, no metrics, no logs: its req/s and CPU per
// request are the floor under any gateway built on node:http serving this response, which is what
// the cache-hit bar (≥ nginx proxying the same response) should be read against.
//   node bench/targets/node-http.ts PORT UPSTREAM_HOST:PORT
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const [portArg, upstream] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0 || upstream === undefined) {
  console.error('usage: node bench/targets/node-http.ts PORT UPSTREAM_HOST:PORT');
  process.exit(2);
}

interface Stored {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly fetchedAt: number;
  readonly maxAge: number;
}

/** Fields a cache does not store (per hop, or recomputed per answer), as proxy-cache/entry.ts. */
const NOT_STORED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'age', 'x-request-id']);

async function fetchStored(path: string): Promise<Stored> {
  const res = await fetch(`http://${upstream}${path}`);
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => { if (!NOT_STORED.has(name)) headers[name] = value; });
  const maxAge = Number(/max-age=(\d+)/.exec(headers['cache-control'] ?? '')?.[1] ?? 0);
  return { status: res.status, headers, body, fetchedAt: Date.now(), maxAge };
}

const stored = new Map<string, Stored>();
for (const path of ['/json', '/big']) stored.set(path, await fetchStored(path));

const server = createServer((req, res) => {
  const entry = stored.get(req.url ?? '');
  if (entry === undefined) {
    res.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  const age = Math.floor((Date.now() - entry.fetchedAt) / 1000);
  res.writeHead(entry.status, {
    ...entry.headers,
    'content-length': entry.body.length,
    age: String(age),
    'cache-status': `node-http; hit; ttl=${entry.maxAge - age}`,
    via: '1.1 node-http',
    'x-request-id': randomUUID(),
  });
  res.end(entry.body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
