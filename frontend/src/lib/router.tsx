/** A small client-side router on the History API: the URL is the state. */
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

function snapshot() {
  return window.location.pathname + window.location.search;
}

/**
 * Navigates within the app; `replace` keeps history clean (typing in a search box).
 * A new entry scrolls to the top unless `scroll` is false.
 */
export function navigate(to: string, { replace = false, scroll = !replace }: { replace?: boolean; scroll?: boolean } = {}) {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const listener of listeners) listener();
  if (scroll) window.scrollTo?.(0, 0);
}

export function useLocation(): { pathname: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot);
  const url = new URL(href, 'http://localhost');
  return { pathname: url.pathname, search: url.searchParams, href };
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function handle(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey ||
      !href.startsWith('/')
    )
      return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={handle} {...rest} />;
}

/** Sets the document title while a page is shown. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Skilldex` : 'Skilldex';
  }, [title]);
}
