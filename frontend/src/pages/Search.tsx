import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../api/skilldex.ts';
import type { SearchResults, SkillSummary } from '../api/types.ts';
import { ErrorNotice, Skeleton, SkillCard, formatCount } from '../components/ui.tsx';
import { navigate, useLocation, useTitle } from '../lib/router.tsx';

/** Milliseconds of quiet typing before the URL (and so the search) follows the box. */
export const SEARCH_DEBOUNCE_MS = 250;
/**
 * A typed query that stands this long becomes its own history entry; changes before that
 * replace the entry, so back steps through searches, not keystrokes.
 */
export const SEARCH_SETTLE_MS = 1000;

const SORTS = [
  ['relevance', 'Relevance'],
  ['updated', 'Recently updated'],
  ['stars', 'Stars'],
  ['downloads', 'Downloads'],
  ['name', 'Name'],
] as const;

/** Facets offered as filters (each a URL parameter of the same name), in page order. */
const VALUE_FACETS = [
  ['owner', 'Owner'],
  ['license', 'Licence'],
  ['marketplace', 'Marketplace'],
  ['plugin', 'Plugin'],
] as const;

function searchUrl(params: URLSearchParams, changes: Record<string, string | null>): string {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `/search?${text}` : '/search';
}

/** The first page of each recent search, so back/forward shows its results at once. */
const CACHE_MS = 60_000;
const CACHE_ENTRIES = 20;
const cache = new Map<string, { results: SearchResults; items: SkillSummary[]; at: number }>();

function cached(key: string) {
  const entry = cache.get(key);
  return entry && Date.now() - entry.at < CACHE_MS ? entry : undefined;
}

function remember(key: string, results: SearchResults, items: SkillSummary[]) {
  cache.delete(key);
  cache.set(key, { results, items, at: Date.now() });
  while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
}

/** Forgets every remembered search (tests start from a clean slate). */
export function clearSearchCache() {
  cache.clear();
}

function currentHref() {
  return window.location.pathname + window.location.search;
}

export function Search() {
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const sort = search.get('sort') ?? '';
  const owner = search.get('owner') ?? '';
  const license = search.get('license') ?? '';
  const marketplace = search.get('marketplace') ?? '';
  const plugin = search.get('plugin') ?? '';
  const hasErrors = search.get('has_errors') ?? '';
  useTitle(q ? `“${q}”` : 'Search');
  const params = { q, sort, owner, license, marketplace, plugin, has_errors: hasErrors };
  const key = JSON.stringify(params);

  const [text, setText] = useState(q);
  // The query this page put in the URL from the box (which may have moved on since).
  const ownQuery = useRef<string | null>(null);
  // The history entry the last typed query made, and when: further typing within
  // SEARCH_SETTLE_MS replaces it; once the query has settled the next one gets its own.
  const typedEntry = useRef<{ href: string; at: number } | null>(null);
  // Back/forward (or a link) changes the URL: the box follows it.
  useEffect(() => {
    if (ownQuery.current !== q) setText(q);
    ownQuery.current = null;
  }, [q]);
  // Typing changes the URL after a pause: one history entry per settled query.
  const searchText = search.toString();
  useEffect(() => {
    const typedQuery = text.trim();
    if (typedQuery === q) return;
    const timer = setTimeout(() => {
      ownQuery.current = typedQuery;
      const to = searchUrl(new URLSearchParams(searchText), { q: typedQuery || null });
      const last = typedEntry.current;
      const replace = last !== null && last.href === currentHref() && Date.now() - last.at < SEARCH_SETTLE_MS;
      navigate(to, { replace });
      typedEntry.current = { href: to, at: Date.now() };
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, q, searchText]);

  const [results, setResults] = useState<SearchResults | null>(() => cached(key)?.results ?? null);
  const [items, setItems] = useState<SkillSummary[]>(() => cached(key)?.items ?? []);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const more = useRef<AbortController | null>(null);

  useEffect(() => {
    // A page of the previous query must never land in this one's list.
    more.current?.abort();
    more.current = null;
    setLoadingMore(false);
    setMoreError(null);
    setError(null);
    const hit = cached(key);
    if (hit) {
      setResults(hit.results);
      setItems(hit.items);
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    api
      .search({ ...params, facets: true }, controller.signal)
      .then((data) => {
        remember(key, data, data.items);
        setResults(data);
        setItems(data.items);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e);
        setLoading(false);
      });
    return () => controller.abort();
    // `key` stands for the params.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => () => more.current?.abort(), []);

  async function loadMore() {
    if (!results?.next_cursor || more.current) return;
    const controller = new AbortController();
    more.current = controller;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const next = await api.search({ ...params, cursor: results.next_cursor }, controller.signal);
      if (controller.signal.aborted) return;
      const seen = new Set(items.map((s) => s.id));
      const merged = [...items, ...next.items.filter((s) => !seen.has(s.id))];
      const updated = { ...results, next_cursor: next.next_cursor };
      remember(key, updated, merged);
      setResults(updated);
      setItems(merged);
    } catch (e) {
      // The list stays; the failure shows next to the button, which tries again.
      if (!controller.signal.aborted) setMoreError(e);
    } finally {
      if (more.current === controller) {
        more.current = null;
        setLoadingMore(false);
      }
    }
  }

  // Arrow keys move between the search box and the result links.
  const list = useRef<HTMLElement>(null);
  const input = useRef<HTMLInputElement>(null);
  function resultLinks(): HTMLAnchorElement[] {
    return [...(list.current?.querySelectorAll<HTMLAnchorElement>('.skill-card__name') ?? [])];
  }
  function onBoxKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== 'ArrowDown') return;
    const first = resultLinks()[0];
    if (first) {
      event.preventDefault();
      first.focus();
    }
  }
  function onListKey(event: KeyboardEvent<HTMLElement>) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const links = resultLinks();
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    event.preventDefault();
    if (event.key === 'ArrowDown') links[Math.min(at + 1, links.length - 1)]?.focus();
    else if (at === 0) input.current?.focus();
    else links[at - 1]?.focus();
  }

  const set = (changes: Record<string, string | null>) => {
    typedEntry.current = null;
    navigate(searchUrl(search, changes));
  };

  return (
    <div className="search-page">
      <h1 className="visually-hidden">Search skills</h1>
      <form
        role="search"
        className="search"
        aria-label="Skill search"
        onSubmit={(e) => {
          e.preventDefault();
          // Enter settles the query: the next one typed gets its own history entry.
          typedEntry.current = null;
          navigate(searchUrl(search, { q: text.trim() || null }));
        }}
      >
        <label htmlFor="search-input" className="search__label">
          Search skills
        </label>
        <div className="search__row">
          <input
            id="search-input"
            className="search__input"
            type="search"
            value={text}
            placeholder="Search by name or description"
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onBoxKey}
            ref={input}
            aria-describedby="search-keys"
            autoFocus
          />
          <label className="visually-hidden" htmlFor="sort">
            Sort by
          </label>
          <select id="sort" value={sort} onChange={(e) => set({ sort: e.target.value || null })}>
            <option value="">Best match</option>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <p id="search-keys" className="visually-hidden">
          Results update as you type. Press the down arrow to move to the results.
        </p>
      </form>

      <div className="search-layout">
        <aside className="filters" aria-label="Filters">
          <h2 className="filters__title">Filters</h2>
          <fieldset>
            <legend>Validation</legend>
            {[
              ['', 'All skills'],
              ['false', 'Valid only'],
              ['true', 'With errors'],
            ].map(([value, label]) => (
              <label key={value} className="filters__option">
                <input
                  type="radio"
                  name="has_errors"
                  checked={hasErrors === value}
                  onChange={() => set({ has_errors: value || null })}
                />
                {label}
                {value && results?.facets && (
                  <span className="filters__count">
                    {formatCount(results.facets.has_errors.find((f) => f.value === value)?.count ?? 0)}
                  </span>
                )}
              </label>
            ))}
          </fieldset>
          {VALUE_FACETS.map(([facet, title]) => {
            const current = params[facet];
            const values = results?.facets?.[facet] ?? [];
            // Marketplaces and plugins are absent from most indexes: no empty box for them.
            if (!current && values.length === 0 && (facet === 'marketplace' || facet === 'plugin')) return null;
            return (
              <fieldset key={facet}>
                <legend>{title}</legend>
                {current && (
                  <button type="button" className="chip chip--active" onClick={() => set({ [facet]: null })}>
                    {current} ✕<span className="visually-hidden"> remove filter</span>
                  </button>
                )}
                {!current &&
                  values.map((v) => (
                    <button key={v.value} type="button" className="chip" onClick={() => set({ [facet]: v.value })}>
                      {v.value} <span className="filters__count">{formatCount(v.count)}</span>
                    </button>
                  ))}
                {!current && results && values.length === 0 && <p className="muted">None</p>}
              </fieldset>
            );
          })}
        </aside>

        <section className="results" aria-label="Results" aria-busy={loading} ref={list} onKeyDown={onListKey}>
          {error ? (
            <ErrorNotice error={error} title="Search failed" />
          ) : loading && !results ? (
            <Skeleton lines={8} label="Searching" />
          ) : results ? (
            <>
              <p className="results__summary" role="status">
                {results.total === 0
                  ? 'No skills found'
                  : `${results.total_exact ? '' : 'More than '}${formatCount(results.total ?? items.length)} skill${results.total === 1 ? '' : 's'}`}
                {results.fuzzy && results.corrected_query && (
                  <>
                    {' '}
                    for <strong>{results.corrected_query}</strong> (nothing matched “{q}”)
                  </>
                )}
              </p>
              {items.length === 0 ? (
                <div className="empty">
                  <p>Nothing matches{q ? ` “${q}”` : ''} with these filters.</p>
                  <p className="muted">Try fewer words, another spelling, or remove a filter.</p>
                </div>
              ) : (
                <ul className="skill-list">
                  {items.map((s) => (
                    <SkillCard key={s.id} skill={s} />
                  ))}
                </ul>
              )}
              {moreError != null && <ErrorNotice error={moreError} title="More results could not be loaded" />}
              {results.next_cursor && (
                <button
                  className="button button--secondary"
                  type="button"
                  onClick={() => void loadMore()}
                  disabled={loadingMore}
                >
                  {loadingMore ? 'Loading…' : moreError != null ? 'Try again' : 'Show more'}
                </button>
              )}
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}
