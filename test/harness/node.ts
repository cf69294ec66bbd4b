// A Portcullis node in store mode (`portcullis start --db …`) as a child process on OS-chosen
// ports, with an admin API client; and a load generator that records when each proxied request was
// sent and answered and what behaviour it showed, to time config propagation under traffic.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import type { ReadinessReport } from '../../src/admin/server.ts';
import { BIN } from './gateway.ts';
import { get, type Reply } from './http-get.ts';
import { startUpstream, type Upstream } from './upstream.ts';

export interface NodeOptions {
  /** `sqlite:PATH` or `postgres://…`. */
  readonly db: string;
  /** `--state-dir` (where last-good-config.json is written); default: the node's own default. */
  readonly stateDir?: string;
  /** PORTCULLIS_ADMIN_TOKEN (the first admin's token on an empty store); default: a random one. */
  readonly adminToken?: string;
  readonly workers?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
  /** Stop the node when this test ends (whatever happens in it). */
  readonly t?: TestContext;
  /** How long to wait for "portcullis is running" (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface AdminReply<T = Record<string, unknown>> {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the answer is JSON (problem+json too), else the text. */
  body: T;
}

export type ReadyReport = ReadinessReport;

export interface NodeProcess {
  readonly proxyUrl: string;
  readonly adminUrl: string;
  readonly proxyPort: number;
  readonly adminPort: number;
  /** The admin token the node was started with. */
  readonly token: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** A request to the admin API, authenticated with `token` unless `headers.authorization` says otherwise. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminReply<T>>;
  /** GET /ready's body, whatever its status. */
  ready(): Promise<ReadyReport>;
  /** GET /metrics's text. */
  metrics(): Promise<string>;
  /** SIGTERM (or `signal`), then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Sends a signal and returns at once. */
  kill(signal: NodeJS.Signals): void;
  /** Everything the process printed so far (JSON log lines). */
  logs(): string;
}

export const randomToken = (): string => randomBytes(24).toString('hex');

// Whatever a test forgets (or an assertion skips) is killed when the test process exits.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface LaunchedNode {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly token: string;
  logs(): string;
  /** Resolves with the bound ports once "portcullis is running" is logged; rejects if it exits first. */
  readonly started: Promise<{ proxyPort: number; adminPort: number }>;
}

/** Starts `portcullis start` in store mode without waiting for it (for starts that should fail). */
export function launchNode(opts: NodeOptions): LaunchedNode {
  const token = opts.adminToken ?? randomToken();
  const args = [BIN, 'start', '--db', opts.db, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--admin-host', '127.0.0.1', '--workers', String(opts.workers ?? 1)];
  if (opts.stateDir !== undefined) args.push('--state-dir', opts.stateDir);
  args.push(...(opts.args ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_LOG_FORMAT: 'json', PORTCULLIS_LOG_LEVEL: 'info', PORTCULLIS_ADMIN_TOKEN: token, ...opts.env };
  for (const k of ['PORTCULLIS_CONFIG', 'PORTCULLIS_DB', 'PORTCULLIS_STATE_DIR', 'PORTCULLIS_WORKERS']) if (!opts.env || !(k in opts.env)) delete env[k];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    live.delete(child);
    resolve(code);
  }));
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const started = new Promise<{ proxyPort: number; adminPort: number }>((resolve, reject) => {
    let scanned = 0;
    const timer = setTimeout(() => {
      child.stdout!.off('data', onData);
      reject(new Error(`node did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const end = out.lastIndexOf('\n');
      if (end < scanned) return;
      const lines = out.slice(scanned, end).split('\n');
      scanned = end + 1;
      for (const line of lines) {
        if (!line.includes('portcullis is running')) continue;
        const entry = JSON.parse(line) as { proxy: string; admin: string };
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({ proxyPort: Number(new URL(entry.proxy).port), adminPort: Number(new URL(entry.admin).port) });
        return;
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code}) before it was running:\n${out}`));
    });
  });
  started.catch(() => undefined); // observed by whoever awaits it
  return { child, exited, token, logs: () => out, started };
}

/** Runs a node in store mode and resolves once it is serving (proxy and admin ports bound). */
export async function spawnNode(opts: NodeOptions): Promise<NodeProcess> {
  const launched = launchNode(opts);
  const { child, exited, token } = launched;
  let stopping: Promise<number | null> | undefined;
  const stop = (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  opts.t?.after(() => stop());
  let ports;
  try {
    ports = await launched.started;
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
  const adminUrl = `http://127.0.0.1:${ports.adminPort}`;
  const admin = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => adminRequest<T>(adminUrl, token, method, path, body, headers);
  return {
    proxyUrl: `http://127.0.0.1:${ports.proxyPort}`,
    adminUrl,
    proxyPort: ports.proxyPort,
    adminPort: ports.adminPort,
    token,
    child,
    exited,
    admin,
    async ready() {
      const r = await get(`${adminUrl}/ready`);
      return JSON.parse(r.body) as ReadyReport;
    },
    async metrics() {
      return (await get(`${adminUrl}/metrics`)).body;
    },
    stop,
    kill(signal) { child.kill(signal); },
    logs: launched.logs,
  };
}

export function adminRequest<T = Record<string, unknown>>(adminUrl: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<AdminReply<T>> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const all: Record<string, string> = { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers };
  if (payload !== undefined) all['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = request(`${adminUrl}${path}`, { method, headers: all, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        const json = /json/.test(String(res.headers['content-type'] ?? ''));
        let parsed: unknown = text;
        if (json && text !== '') {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Throws with the answer unless the admin API answered `status` (default: any 2xx). */
export function expectStatus<T>(reply: AdminReply<T>, what: string, status?: number): AdminReply<T> {
  const ok = status === undefined ? reply.status >= 200 && reply.status < 300 : reply.status === status;
  if (!ok) throw new Error(`${what}: admin API answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply;
}

/** The value of an unlabelled metric, or undefined when it is absent. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

// --- load and propagation timing ---------------------------------------------------------------

/** One proxied request: when it was sent and answered (performance.now()), and what it showed. */
export interface Sample {
  readonly sentAt: number;
  readonly doneAt: number;
  readonly status: number;
  /** What `classify` made of the reply, e.g. "B/v2" (upstream and header). */
  readonly behaviour: string;
}

export interface Failure {
  readonly sentAt: number;
  readonly doneAt: number;
  readonly error: string;
}

export interface Load {
  readonly samples: Sample[];
  readonly failures: Failure[];
  count(): number;
  stop(): Promise<void>;
}

/**
 * `clients` keep-alive loops sending GET `path` to `url` back to back until stopped (or a hard cap
 * on the count, so that a forgotten load cannot run away).
 */
export function startLoad(url: string, classify: (r: Reply) => string, opts: { clients?: number; path?: (i: number) => string; maxRequests?: number } = {}): Load {
  const clients = opts.clients ?? 8;
  const maxRequests = opts.maxRequests ?? 500_000;
  const path = opts.path ?? ((i: number) => `/load/${i}`);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  let stopped = false;
  const running = () => !stopped && samples.length + failures.length < maxRequests;
  const loop = async (i: number) => {
    while (running()) {
      const sentAt = performance.now();
      try {
        const r = await get(`${url}${path(i)}`, agent);
        samples.push({ sentAt, doneAt: performance.now(), status: r.status, behaviour: classify(r) });
      } catch (err) {
        failures.push({ sentAt, doneAt: performance.now(), error: (err as Error).message });
      }
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  let stopping: Promise<void> | undefined;
  return {
    samples,
    failures,
    count: () => samples.length + failures.length,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await Promise.all(loops);
        agent.destroy();
      })();
      return stopping;
    },
  };
}

export interface Switch {
  /** When the first reply with the new behaviour arrived, relative to `writtenAt` (ms; ≤ 0 if before). */
  readonly firstNewAfterMs: number;
  /** Replies with the old behaviour to requests sent after the first new reply arrived. */
  readonly oldAfterFirstNew: number;
  /** The latest sending time of a request answered with the old behaviour, relative to `writtenAt`. */
  readonly lastOldSentAfterMs: number;
  /** Replies in the window showing neither behaviour. */
  readonly unexpected: string[];
  /** Replies in the window. */
  readonly replies: number;
}

/**
 * How one change showed in the load: the samples answered from `since` (the write was sent) to
 * `until`, where `writtenAt` is when the admin API (or whatever wrote) confirmed the write.
 */
export function analyseSwitch(samples: readonly Sample[], window: { since: number; writtenAt: number; until: number; from: string; to: string }): Switch {
  const inWindow = samples.filter((s) => s.doneAt >= window.since && s.sentAt <= window.until);
  const firstNew = inWindow.filter((s) => s.behaviour === window.to).reduce<Sample | undefined>((a, s) => (a === undefined || s.doneAt < a.doneAt ? s : a), undefined);
  const olds = inWindow.filter((s) => s.behaviour === window.from);
  const lastOldSent = olds.reduce((m, s) => Math.max(m, s.sentAt), -Infinity);
  return {
    firstNewAfterMs: firstNew === undefined ? Infinity : firstNew.doneAt - window.writtenAt,
    oldAfterFirstNew: firstNew === undefined ? 0 : olds.filter((s) => s.sentAt > firstNew.doneAt).length,
    lastOldSentAfterMs: lastOldSent - window.writtenAt,
    unexpected: [...new Set(inWindow.filter((s) => s.behaviour !== window.from && s.behaviour !== window.to).map((s) => s.behaviour))],
    replies: inWindow.length,
  };
}

/** Polls `check` until it returns true or the time is up (then throws, naming `what`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// --- a small scenario shared by the propagation tests and the benchmark ------------------------

/** An upstream that answers its own name. */
export function namedUpstream(name: string): Promise<Upstream> {
  return startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name) });
    res.end(name);
  });
}

/** "<upstream>/<x-version header or ->", or "status N" for anything but a 200. */
export function behaviourOf(r: Reply): string {
  if (r.status !== 200) return `status ${r.status}`;
  const v = r.headers['x-version'];
  return `${r.body}/${typeof v === 'string' ? v : '-'}`;
}

/**
 * A config document: services svc-a → `a` and svc-b → `b`, route `r` on `/` to `service`, with a
 * response-transformer adding `x-version: <version>` when given; no access log.
 */
export function baseDocument(a: Upstream, b: Upstream, service = 'svc-a', version?: string): Record<string, unknown> {
  return {
    gateway: { access_log: false, drain_timeout_ms: 5000 },
    services: [
      { name: 'svc-a', targets: [{ url: a.url }], retries: 0 },
      { name: 'svc-b', targets: [{ url: b.url }], retries: 0 },
    ],
    routes: [{
      name: 'r', service, paths: ['/'],
      plugins: version === undefined ? [] : [{ name: 'response-transformer', config: { add: { headers: { 'x-version': version } } } }],
    }],
  };
}

/** What the node's proxy serves right now (see behaviourOf). */
export async function probe(node: Pick<NodeProcess, 'proxyUrl'>, agent: Agent | false = false): Promise<string> {
  return behaviourOf(await get(`${node.proxyUrl}/probe`, agent));
}
