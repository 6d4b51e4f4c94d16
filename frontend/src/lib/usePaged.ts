/** A cursor-paginated list (`{ items, next_cursor }`): first page, "more", reload. */
import { useEffect, useRef, useState } from 'react';
import type { Page } from '../api/types.ts';

export interface Paged<T> {
  /** Every item loaded so far; null until the first page arrives. */
  items: T[] | null;
  /** The first page failed (the list, if any, is from before a reload). */
  error: unknown;
  /** Another page can be asked for. */
  hasMore: boolean;
  loadingMore: boolean;
  /** The last "more" failed; the items stay. */
  moreError: unknown;
  more: () => void;
  /** Loads the first page again (after a change); the shown items stay until it arrives. */
  reload: () => void;
}

/**
 * Loads page after page of `load(cursor, signal)`. New `deps` or a reload abort whatever is
 * in flight, the first page included, so no stale page is ever shown or appended.
 */
export function usePaged<T>(
  load: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>,
  deps: unknown[],
): Paged<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const generation = useRef<AbortController | null>(null);
  const moreRequest = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    generation.current = controller;
    moreRequest.current?.abort();
    moreRequest.current = null;
    setError(null);
    setMoreError(null);
    setLoadingMore(false);
    load(null, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setItems(page.items);
        setNext(page.next_cursor);
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      },
    );
    return () => {
      controller.abort();
      moreRequest.current?.abort();
    };
    // The caller lists what `load` depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);

  function more() {
    const owner = generation.current;
    if (!next || !owner || moreRequest.current) return;
    const controller = new AbortController();
    moreRequest.current = controller;
    setLoadingMore(true);
    setMoreError(null);
    load(next, controller.signal)
      .then((page) => {
        if (controller.signal.aborted || owner.signal.aborted) return;
        setItems((current) => [...(current ?? []), ...page.items]);
        setNext(page.next_cursor);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted && !owner.signal.aborted) setMoreError(e);
      })
      .finally(() => {
        if (moreRequest.current === controller) {
          moreRequest.current = null;
          setLoadingMore(false);
        }
      });
  }

  return {
    items,
    error,
    hasMore: next !== null,
    loadingMore,
    moreError,
    more,
    reload: () => setVersion((v) => v + 1),
  };
}
