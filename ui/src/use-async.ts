import { useCallback, useEffect, useRef, useState } from 'react';

/** What {@link useAsync} returns. `data` stays while a refresh runs, so pages do not flicker. */
export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly isLoading: boolean;
  /** When `data` was last loaded, ms since the epoch. */
  readonly updatedAt: number | undefined;
  readonly reload: () => void;
}

/**
 * Runs `load` when `key` changes and, with `refreshMs`, again every `refreshMs` while the page is
 * visible. A run still going when the next starts (or the component unmounts) is aborted.
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  options: { refreshMs?: number | undefined } = {},
): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; isLoading: boolean; updatedAt?: number }>({
    isLoading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, isLoading: true }));
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, isLoading: false, updatedAt: Date.now() });
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({
          ...s,
          error: err instanceof Error ? err : new Error(String(err)),
          isLoading: false,
        }));
      },
    );
    return () => ctl.abort();
  }, [key, tick]);

  const refreshMs = options.refreshMs;
  useEffect(() => {
    if (refreshMs === undefined) return;
    const id = window.setInterval(() => {
      if (!document.hidden) setTick((n) => n + 1);
    }, refreshMs);
    return () => window.clearInterval(id);
  }, [refreshMs, key]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, data: state.data, error: state.error, updatedAt: state.updatedAt, reload };
}
