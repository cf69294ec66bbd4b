// A background job that runs in rounds: one at start, then one every `everyMs`, never two at once
// (a round still running when the next is due is shared, not doubled). A failed round is reported
// and the next one tries again. Used by the worker role's jobs (usage roll-ups, invoices).

export interface PeriodicJob<T> {
  /** One round now, or the one already running; undefined when it failed. */
  run(): Promise<T | undefined>;
  /** No more rounds; resolves once the running one (if any) has finished. */
  stop(): Promise<void>;
}

export function startPeriodic<T>(round: () => Promise<T>, everyMs: number, on: { result?(r: T): void; error(err: Error): void }): PeriodicJob<T> {
  let running: Promise<T | undefined> | undefined;
  const run = (): Promise<T | undefined> => {
    running ??= round().then((r) => {
      on.result?.(r);
      return r;
    }, (err: unknown) => {
      on.error(err instanceof Error ? err : new Error(String(err)));
      return undefined;
    }).finally(() => { running = undefined; });
    return running;
  };
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  void run();
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
