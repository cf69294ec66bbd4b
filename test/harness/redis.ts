// Redis for integration tests. PORTCULLIS_TEST_REDIS names a server (redis://127.0.0.1:6390);
// tests keep apart by key prefix (testPrefix()). Without the variable Redis tests are skipped
// locally and fail on CI (onCi in postgres.ts). startRedis() runs a private redis-server a test
// can stop, start again and pause (outage tests); it needs the redis-server binary.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCi } from './postgres.ts';

export const REDIS_ENV = 'PORTCULLIS_TEST_REDIS';

export function redisUrl(): string | undefined {
  const url = process.env[REDIS_ENV]?.trim();
  return url ? url : undefined;
}

/** A key prefix no other test run uses. */
export function testPrefix(): string {
  return `pt-${randomBytes(4).toString('hex')}:`;
}

/** How a test that needs Redis behaves without it: skip locally, fail on CI. */
export function redisMissing(): { skip: string } | { fail: string } {
  return onCi() ? { fail: `${REDIS_ENV} is not set: CI must run the Redis tests` } : { skip: `${REDIS_ENV} is not set (e.g. redis://127.0.0.1:6379): Redis not tested` };
}

/** Waits until a shared connection is up (it refuses commands while connecting, by design). */
export async function whenReady(conn: { client(): { status: string; once(event: 'ready', fn: () => void): unknown } }): Promise<void> {
  const c = conn.client();
  if (c.status === 'ready') return;
  await new Promise<void>((resolve) => c.once('ready', resolve));
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, waits for its port to close). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung Redis that keeps its connections open. */
  pause(): void;
  resume(): void;
}

export interface RedisOptions {
  /** Clients must AUTH with this password (the default user's); `url` does not carry it. */
  readonly requirepass?: string;
}

/** A redis-server of this test's own on a free loopback port, without persistence. */
export async function startRedis(opts: RedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-'));
  let child: ChildProcess | undefined;
  const up = async () => {
    // In the foreground, as our child: its pid is known at once and its early exit (port taken) is seen.
    const auth = opts.requirepass === undefined ? [] : ['--requirepass', opts.requirepass];
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, ...auth], { stdio: 'ignore' });
    child = proc;
    let exited = false;
    proc.once('exit', () => { exited = true; });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (exited) throw new Error(`redis-server exited at start (port ${port})`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await up();
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      await gone;
    },
    start: up,
    pause() { child?.kill('SIGSTOP'); },
    resume() { child?.kill('SIGCONT'); },
  };
  process.once('exit', () => { child?.kill('SIGCONT'); child?.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  return redis;
}

/**
 * A test that needs its own redis-server (outages: stop, start, pause). Without the binary it is
 * skipped locally and fails on CI. The server is stopped when the test ends.
 */
export function testWithRedis(name: string, fn: (t: TestContext, redis: PrivateRedis) => Promise<void>, opts: RedisOptions = {}): void {
  if (!hasRedisServer()) {
    if (onCi()) test(name, () => assert.fail('redis-server is not installed: CI must run the Redis tests'));
    else test(name, { skip: 'redis-server not installed' }, () => undefined);
    return;
  }
  test(name, async (t) => {
    const redis = await startRedis(opts);
    t.after(() => redis.stop());
    await fn(t, redis);
  });
}
