import { useCallback, useEffect, useState } from 'react';
import { messageOf } from '../api/client.ts';

/** Loads data for a page; `reload` runs it again (after a change). */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): { data: T | undefined; error: string | undefined; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => { if (live) setState({ data, error: undefined, loading: false }); },
      (err: unknown) => { if (live) setState({ data: undefined, error: messageOf(err), loading: false }); },
    );
    return () => { live = false; };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
