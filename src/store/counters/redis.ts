// Rate counters on Redis: exact across every node that shares the Redis. One round trip per
// request: a Lua script reads both intervals of every window, judges the request with the same
// sliding-window rule as sliding-window.ts, and counts it in all windows only if all allow it.
// The script reads Redis's own clock (TIME), so the nodes' clocks never disagree about intervals.
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.ts';
import type { RateCounter, RateDecision, RateWindow, WindowState } from './ports.ts';

// KEYS[i]: the key of window i (interval index appended here); ARGV: seconds, limit per window,
// then the request's weight. Returns { allowed (0/1), retryMs, then per window: remaining, resetMs }.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local w = tonumber(ARGV[2 * n + 1] or '1')
local out = {1, 0}
local cur = {}
local fits = {}
local retry = 0
for i = 1, n do
  local windowMs = tonumber(ARGV[2 * i - 1]) * 1000
  local limit = tonumber(ARGV[2 * i])
  local interval = math.floor(now / windowMs)
  local ck = KEYS[i] .. ':' .. interval
  local current = tonumber(redis.call('GET', ck) or '0')
  local previous = tonumber(redis.call('GET', KEYS[i] .. ':' .. (interval - 1)) or '0')
  local into = now - interval * windowMs
  local elapsed = into / windowMs
  local estimate = previous * (1 - elapsed) + current
  cur[i] = ck
  out[2 + 2 * i] = math.max(1, math.ceil((windowMs - into) / 1000))
  if estimate + w <= limit then
    out[1 + 2 * i] = math.max(0, math.floor(limit - estimate - w))
    fits[i] = true
  else
    out[1 + 2 * i] = 0
    local wait
    if current + w <= limit and previous > 0 then
      wait = ((1 - (limit - w - current) / previous) - elapsed) * windowMs
    else
      local target = 0
      if current > 0 then target = math.min(1, math.max(0, 1 - (limit - w) / current)) end
      wait = (1 - elapsed) * windowMs + target * windowMs
    end
    wait = math.max(1, math.ceil(wait))
    if wait > retry then retry = wait end
  end
end
if retry > 0 then
  -- Nothing is counted: windows that had room report it without this request.
  for i = 1, n do
    if fits[i] then out[1 + 2 * i] = out[1 + 2 * i] + w end
  end
  out[1] = 0
  out[2] = retry
  return out
end
for i = 1, n do
  redis.call('INCRBY', cur[i], w)
  redis.call('PEXPIRE', cur[i], tonumber(ARGV[2 * i - 1]) * 2000 + 1000)
end
return out
`;

function decision(windows: readonly RateWindow[], out: number[]): RateDecision {
  const states: WindowState[] = windows.map((w, i) => ({ limit: w.limit, remaining: Number(out[2 + 2 * i]), resetSeconds: Number(out[3 + 2 * i]) }));
  const allowed = Number(out[0]) === 1;
  return { allowed, windows: states, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(Number(out[1]) / 1000)) };
}

interface WithRateScript {
  portcullisRate(...args: (string | number)[]): Promise<number[]>;
}

export class RedisRateCounter implements RateCounter {
  private readonly conn: RedisConnection;
  private scripted: WithRateScript | undefined;

  constructor(conn: RedisConnection) {
    this.conn = conn;
  }

  /** Whether commands will be tried at all (false while disconnected: callers fall back at once). */
  available(): boolean {
    this.client();
    return this.conn.ready();
  }

  /** Waits (once, at start) for the first connection, at most one command timeout. */
  firstConnection(): Promise<boolean> {
    this.client();
    return this.conn.firstConnection(this.conn.commandTimeoutMs);
  }

  private client(): WithRateScript {
    if (this.scripted === undefined) {
      const client: Redis = this.conn.client();
      // defineCommand sends EVALSHA and falls back to EVAL once when the script is not cached.
      const scripted = client as unknown as Partial<WithRateScript>;
      if (typeof scripted.portcullisRate !== 'function') client.defineCommand('portcullisRate', { lua: SCRIPT });
      this.scripted = client as unknown as WithRateScript;
    }
    return this.scripted;
  }

  hit(key: string, windows: readonly RateWindow[], _nowMs: number, weight = 1): Promise<RateDecision> {
    const args: (string | number)[] = [windows.length];
    // A hash tag keeps every key of one limit in one Redis Cluster slot.
    const base = `${this.conn.prefix}rl:{${key}}:`;
    for (const w of windows) args.push(base + w.seconds);
    for (const w of windows) args.push(w.seconds, w.limit);
    args.push(weight);
    // One promise layer on top of the client's (this runs for every request on Redis-limited routes).
    return this.client().portcullisRate(...args).then((out) => decision(windows, out));
  }
}
