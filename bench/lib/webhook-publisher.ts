// The webhook benchmark's publisher: POST /admin/webhooks/messages over a keep-alive undici Pool,
// either paced at a fixed rate (open loop: event i is due at start + i / rate, whatever happened
// to earlier ones, with at most `concurrency` requests in flight) or as fast as the API answers
// (closed loop: `concurrency` requests back to back). Each event's payload carries its
// `published_at` (wall clock, ms, sub-millisecond) and a `tag` naming the phase it belongs to.
import { Pool } from 'undici';

export interface PublishRun {
  /** Requests answered 202 (published), by tag. */
  readonly published: Map<string, number>;
  /** Requests that failed (status other than 202, or a network error), with the first reasons. */
  readonly errors: number;
  readonly errorReasons: string[];
  /** Publish API latency (ms, from the actual send to the full answer) of the tag being measured, sorted. */
  readonly latencies: number[];
  /** When each publish of any tag was answered 202 (wall clock, ms), in order of answer. */
  readonly answeredAt: number[];
  /**
   * Fixed rate only: measured sends that left more than 50 ms after their due time (all
   * `concurrency` requests were in flight: the API did not keep up with the offered rate).
   */
  readonly late: number;
  /** Wall-clock start and end of the run (ms). */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface Publisher {
  /**
   * `rate` events/s for `seconds`; events due in the first `warmupSeconds` are tagged
   * `${tag}-warm`, the others `tag` (only their publish latencies are kept).
   */
  fixedRate(opts: { rate: number; warmupSeconds: number; seconds: number; tag: string; concurrency: number }): Promise<PublishRun>;
  /** As fast as the API answers with `concurrency` requests in flight, for `seconds` after `warmupSeconds`. */
  closedLoop(opts: { warmupSeconds: number; seconds: number; tag: string; concurrency: number }): Promise<PublishRun>;
  close(): Promise<void>;
}

const LATE_MS = 50;
export const wallNow = (): number => performance.timeOrigin + performance.now();

export function webhookPublisher(adminUrl: string, token: string, application: string, eventType: string, maxConnections: number): Publisher {
  const pool = new Pool(adminUrl, { connections: maxConnections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let seq = 0;

  /** One publish; resolves with its latency (ms) or rejects with why it failed. */
  async function publishOne(tag: string): Promise<number> {
    const sentAt = performance.now();
    const body = JSON.stringify({ event_type: eventType, application, payload: { published_at: wallNow(), tag, seq: seq++ } });
    const res = await pool.request({ origin: adminUrl, path: '/admin/webhooks/messages', method: 'POST', headers, body });
    const text = await res.body.text();
    if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    return performance.now() - sentAt;
  }

  function newRun() {
    return { published: new Map<string, number>(), errors: 0, errorReasons: [] as string[], latencies: [] as number[], answeredAt: [] as number[], late: 0 };
  }

  function fire(run: ReturnType<typeof newRun>, tag: string, measured: boolean): Promise<void> {
    return publishOne(tag).then((ms) => {
      run.published.set(tag, (run.published.get(tag) ?? 0) + 1);
      run.answeredAt.push(wallNow());
      if (measured) run.latencies.push(ms);
    }, (err: Error) => {
      run.errors++;
      if (run.errorReasons.length < 5) run.errorReasons.push(err.message);
    });
  }

  return {
    fixedRate({ rate, warmupSeconds, seconds, tag, concurrency }) {
      const run = newRun();
      const warmCount = Math.round(rate * warmupSeconds);
      const total = warmCount + Math.round(rate * seconds);
      const startedAt = wallNow();
      const t0 = performance.now();
      let sent = 0;
      let inFlight = 0;
      return new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          clearTimeout(timer);
          run.latencies.sort((a, b) => a - b);
          resolve({ ...run, startedAt, endedAt: wallNow() });
        };
        const tick = () => {
          clearTimeout(timer);
          timer = undefined;
          const elapsed = performance.now() - t0;
          const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
          while (sent < due && inFlight < concurrency) {
            const i = sent++;
            if (i >= warmCount && elapsed - (i * 1000) / rate > LATE_MS) run.late++;
            inFlight++;
            const measured = i >= warmCount;
            void fire(run, measured ? tag : `${tag}-warm`, measured).then(() => {
              inFlight--;
              if (sent >= total && inFlight === 0) finish();
              else if (sent < total) tick();
            });
          }
          // A full pool is ticked again by the next answer.
          if (sent < total && inFlight < concurrency) timer = setTimeout(tick, Math.max(0, Math.min(5, ((sent * 1000) / rate) - elapsed)));
        };
        tick();
      });
    },

    async closedLoop({ warmupSeconds, seconds, tag, concurrency }) {
      const run = newRun();
      const startedAt = wallNow();
      const warmEnd = performance.now() + warmupSeconds * 1000;
      const end = warmEnd + seconds * 1000;
      const loop = async () => {
        for (let now = performance.now(); now < end; now = performance.now()) {
          const measured = now >= warmEnd;
          await fire(run, measured ? tag : `${tag}-warm`, measured);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      run.latencies.sort((a, b) => a - b);
      return { ...run, startedAt, endedAt: wallNow() };
    },

    close: () => pool.close(),
  };
}
