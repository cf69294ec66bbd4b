// The one Redis connection per process and URL that counters (rate limits, quotas) and the shared
// HTTP cache use. Made lazily, on the first command: validating a config (admin API, CLI) never
// connects. Tuned to fail fast rather than queue: a limiter or cache waiting on a dead Redis would
// stall the proxy, so commands issued while disconnected are refused at once, hung commands time
// out after `command_timeout_ms`, and the client keeps reconnecting (≤ 1 s apart) in the background.
import { Redis } from 'ioredis';

export interface RedisSettings {
  readonly url: string;
  readonly command_timeout_ms: number;
  readonly key_prefix: string;
}

export interface RedisConnection {
  /** The client (created and connecting on first use). */
  client(): Redis;
  /** Prefix for every key Portcullis writes, so one Redis can serve several installations. */
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  /** True while the connection is up (commands will be tried). */
  ready(): boolean;
  /**
   * Before the first connection only: resolves true once connected, false after `ms`. Later
   * outages resolve false at once (callers must not stall while Redis is down).
   */
  firstConnection(ms: number): Promise<boolean>;
  readonly url: string;
}

const connections = new Map<string, RedisConnection>();

/** The shared connection for these settings (same URL, timeout and prefix → same connection). */
export function redisConnection(settings: RedisSettings): RedisConnection {
  const id = `${settings.url}\n${settings.command_timeout_ms}\n${settings.key_prefix}`;
  let conn = connections.get(id);
  if (conn === undefined) {
    conn = createConnection(settings);
    connections.set(id, conn);
  }
  return conn;
}

function createConnection(settings: RedisSettings): RedisConnection {
  let redis: Redis | undefined;
  let everReady = false;
  const client = (): Redis => {
    if (redis === undefined) {
      redis = new Redis(settings.url, {
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: settings.command_timeout_ms,
        connectTimeout: Math.max(500, settings.command_timeout_ms * 5),
        // Reconnect quickly and forever: recovery after an outage must take seconds, not minutes.
        retryStrategy: (times) => Math.min(50 * times, 1000),
        enableAutoPipelining: true,
      });
      // Errors surface on the commands that fail; the event only needs a listener (an unhandled
      // 'error' event would crash the process). Callers count and log their own failures.
      redis.on('error', () => undefined);
      redis.once('ready', () => { everReady = true; });
    }
    return redis;
  };
  return {
    client,
    prefix: settings.key_prefix,
    commandTimeoutMs: settings.command_timeout_ms,
    url: settings.url,
    ready: () => redis?.status === 'ready',
    firstConnection: (ms) => {
      const r = client();
      if (r.status === 'ready') return Promise.resolve(true);
      if (everReady) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (ok: boolean) => { clearTimeout(timer); r.off('ready', onReady); resolve(ok); };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), ms);
        r.once('ready', onReady);
      });
    },
  };
}

/** Closes every connection (process shutdown, tests). */
export async function closeRedisConnections(): Promise<void> {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map(async (c) => {
    try { await c.client().quit(); } catch { c.client().disconnect(); }
  }));
}
