// One GET for a page: loading, the data or the error message, and a way to try again. `key`
// names what the fetch depends on (the effect runs again when it changes); an answer that
// arrives after the key moved on is dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../../api/portal.ts';

export type Load<T> = { state: 'loading' } | { state: 'error'; message: string; status: number | undefined } | { state: 'ready'; data: T };

export function useLoad<T>(fetcher: () => Promise<T>, key: string): Load<T> & { retry(): void } {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const latest = useRef(fetcher);
  useEffect(() => { latest.current = fetcher; });
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    latest.current().then(
      (data) => { if (live) setLoad({ state: 'ready', data }); },
      (err: unknown) => { if (live) setLoad({ state: 'error', message: messageOf(err), status: (err as { status?: number }).status }); },
    );
    return () => { live = false; };
  }, [key, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...load, retry };
}
