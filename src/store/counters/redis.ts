// Rate counters on Redis: exact across every node that shares the Redis. A Lua script reads both
// intervals of every window, judges the request with the same sliding-window rule as
// sliding-window.ts, and counts it in all windows only if all allow it. The script reads Redis's
// own clock (TIME), so the nodes' clocks never disagree about intervals.
//
// The hits one process makes in one turn of the event loop go to Redis together, as one script
// call that judges them one after the other, in arrival order: the answers are exactly those of
// one call per hit made back to back (each hit sees the counts of the hits before it, and a
// script runs atomically), but a busy gateway pays one round trip, one command and one reply per
// turn instead of per request (bench/README.md, "Traffic control cost").
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.ts';
import type { RateCounter, RateDecision, RateWindow, WindowState } from './ports.ts';

/** Most hits in one script call: a longer turn is sent as several calls (in order). */
const MAX_BATCH = 256;

// KEYS: the key of every window of every hit, in order (interval index appended here). ARGV: the
// number of hits, then per hit its number of windows and its weight, then per window its seconds
// and limit. Returns per hit { allowed (1, 0; -1: a count key holds something that is not a count,
// and nothing was counted for this hit), retryMs, then per window: remaining, resetSeconds }.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- A count, or nil when the key holds something else: that hit fails alone, the others go on.
local function count(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' then return nil end
  if not v then return 0 end
  return tonumber(v)
end
local out = {}
local o = 0
local k = 0
local a = 2
for h = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  local w = tonumber(ARGV[a + 1])
  a = a + 2
  local base = o
  out[base + 1] = 1
  out[base + 2] = 0
  local cur = {}
  local fits = {}
  local retry = 0
  local broken = false
  for i = 1, n do
    local windowMs = tonumber(ARGV[a]) * 1000
    local limit = tonumber(ARGV[a + 1])
    local key = KEYS[k + i]
    local interval = math.floor(now / windowMs)
    local ck = key .. ':' .. interval
    local current = count(ck)
    local previous = count(key .. ':' .. (interval - 1))
    out[base + 1 + 2 * i] = 0
    out[base + 2 + 2 * i] = 0
    if current == nil or previous == nil then
      broken = true
    else
      local into = now - interval * windowMs
      local elapsed = into / windowMs
      local estimate = previous * (1 - elapsed) + current
      cur[i] = ck
      out[base + 2 + 2 * i] = math.max(1, math.ceil((windowMs - into) / 1000))
      if estimate + w <= limit then
        out[base + 1 + 2 * i] = math.max(0, math.floor(limit - estimate - w))
        fits[i] = true
      else
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
    a = a + 2
  end
  if broken then
    out[base + 1] = -1
  elseif retry > 0 then
    -- Nothing is counted: windows that had room report it without this hit.
    for i = 1, n do
      if fits[i] then out[base + 1 + 2 * i] = out[base + 1 + 2 * i] + w end
    end
    out[base + 1] = 0
    out[base + 2] = retry
  else
    for i = 1, n do
      redis.call('INCRBY', cur[i], w)
      redis.call('PEXPIRE', cur[i], tonumber(ARGV[a - 2 * (n - i + 1)]) * 2000 + 1000)
    end
  end
  k = k + n
  o = base + 2 + 2 * n
end
return out
`;

/** The decision of the hit whose answer starts at `at` in the script's reply. */
function decision(windows: readonly RateWindow[], out: readonly number[], at: number): RateDecision {
  const states: WindowState[] = windows.map((w, i) => ({ limit: w.limit, remaining: Number(out[at + 2 + 2 * i]), resetSeconds: Number(out[at + 3 + 2 * i]) }));
  const allowed = Number(out[at]) === 1;
  return { allowed, windows: states, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(Number(out[at + 1]) / 1000)) };
}

interface WithRateScript {
  portcullisRate(...args: (string | number)[]): Promise<number[]>;
}

/** A hit waiting for this turn's script call: told its decision or the call's failure. */
interface Pending {
  readonly key: string;
  readonly windows: readonly RateWindow[];
  readonly weight: number;
  readonly decided: (d: RateDecision) => void;
  readonly failed: (err: unknown) => void;
}

export class RedisRateCounter implements RateCounter {
  private readonly conn: RedisConnection;
  private scripted: WithRateScript | undefined;
  /** Hits of this turn of the event loop, sent together when the turn's I/O has been handled. */
  private queue: Pending[] = [];
  private flushScheduled = false;
  /** Told of every script call and how many hits it carries (a metric). */
  private readonly onCall: ((hits: number) => void) | undefined;

  constructor(conn: RedisConnection, onCall?: (hits: number) => void) {
    this.conn = conn;
    this.onCall = onCall;
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
      if (typeof scripted.portcullisRate !== 'function') {
        client.defineCommand('portcullisRate', { lua: SCRIPT });
        // The connection auto-pipelines (for the cache and quota commands); this command is
        // batched here already, one per turn, and a pipeline around each would only add work.
        client.options.autoPipeliningIgnoredCommands = [...(client.options.autoPipeliningIgnoredCommands ?? []), 'portcullisRate'];
      }
      this.scripted = client as unknown as WithRateScript;
    }
    return this.scripted;
  }

  hit(key: string, windows: readonly RateWindow[], _nowMs: number, weight = 1): Promise<RateDecision> {
    return new Promise<RateDecision>((resolve, reject) => this.enqueue({ key, windows, weight, decided: resolve, failed: reject }));
  }

  /**
   * As `hit`, with the decision (or the failure) turned into the caller's result as it arrives:
   * one promise per request on this hot path instead of a chain.
   */
  hitThen<T>(key: string, windows: readonly RateWindow[], weight: number, onDecision: (d: RateDecision) => T, onFailure: (err: unknown) => T | PromiseLike<T>): Promise<T> {
    // (The callbacks never throw into the batch: one caller's exception rejects its own promise.)
    return new Promise<T>((resolve, reject) => this.enqueue({
      key, windows, weight,
      decided: (d) => { try { resolve(onDecision(d)); } catch (err) { reject(err); } },
      failed: (err) => { try { resolve(onFailure(err)); } catch (e) { reject(e); } },
    }));
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (this.queue.length >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate, not a microtask: it runs once the poll phase has handled every socket that
      // was ready, so the hits of all requests that arrived together share one call.
      setImmediate(this.flushTurn);
    }
  }

  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    if (this.queue.length > 0) this.flush();
  };

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const keys: string[] = [];
    const argv: (string | number)[] = [batch.length];
    for (const p of batch) {
      // A hash tag keeps every key of one limit in one Redis Cluster slot.
      const base = `${this.conn.prefix}rl:{${p.key}}:`;
      argv.push(p.windows.length, p.weight);
      for (const w of p.windows) {
        keys.push(base + w.seconds);
        argv.push(w.seconds, w.limit);
      }
    }
    this.onCall?.(batch.length);
    this.client().portcullisRate(keys.length, ...keys, ...argv).then((out) => {
      let at = 0;
      for (const p of batch) {
        if (Number(out[at]) === -1) p.failed(new Error(`the count keys of rate limit ${JSON.stringify(p.key)} hold values that are not counts`));
        else p.decided(decision(p.windows, out, at));
        at += 2 + 2 * p.windows.length;
      }
    }, (err: unknown) => {
      for (const p of batch) p.failed(err);
    });
  }
}
