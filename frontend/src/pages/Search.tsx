import { useEffect, useRef, useState } from 'react';
import { api } from '../api/skilldex.ts';
import type { SearchResults, SkillSummary } from '../api/types.ts';
import { ErrorNotice, Skeleton, SkillCard, formatCount } from '../components/ui.tsx';
import { navigate, useLocation, useTitle } from '../lib/router.tsx';

/** Milliseconds of quiet typing before the URL (and so the search) follows the box. */
export const SEARCH_DEBOUNCE_MS = 250;

const SORTS = [
  ['relevance', 'Relevance'],
  ['updated', 'Recently updated'],
  ['stars', 'Stars'],
  ['downloads', 'Downloads'],
  ['name', 'Name'],
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

export function Search() {
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const sort = search.get('sort') ?? '';
  const owner = search.get('owner') ?? '';
  const license = search.get('license') ?? '';
  const hasErrors = search.get('has_errors') ?? '';
  useTitle(q ? `“${q}”` : 'Search');

  const [text, setText] = useState(q);
  const typed = useRef(false);
  // Back/forward changes the URL: the box follows it.
  useEffect(() => {
    if (!typed.current) setText(q);
    typed.current = false;
  }, [q]);
  // Typing changes the URL after a pause; replace, so history holds searches, not keystrokes.
  useEffect(() => {
    if (text.trim() === q) return;
    const timer = setTimeout(() => {
      typed.current = true;
      navigate(searchUrl(search, { q: text.trim() || null }), { replace: true });
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, q, search]);

  const [results, setResults] = useState<SearchResults | null>(null);
  const [items, setItems] = useState<SkillSummary[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .search({ q, sort, owner, license, has_errors: hasErrors, facets: true }, controller.signal)
      .then((data) => {
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
  }, [q, sort, owner, license, hasErrors]);

  async function loadMore() {
    if (!results?.next_cursor) return;
    setLoadingMore(true);
    try {
      const next = await api.search({ q, sort, owner, license, has_errors: hasErrors, cursor: results.next_cursor });
      setResults({ ...results, next_cursor: next.next_cursor });
      setItems((current) => [...current, ...next.items]);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  const set = (changes: Record<string, string | null>) => navigate(searchUrl(search, changes));

  return (
    <div className="search-page">
      <form
        role="search"
        className="search"
        aria-label="Skill search"
        onSubmit={(e) => {
          e.preventDefault();
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
          {(['owner', 'license'] as const).map((facet) => {
            const current = facet === 'owner' ? owner : license;
            const values = results?.facets?.[facet] ?? [];
            return (
              <fieldset key={facet}>
                <legend>{facet === 'owner' ? 'Owner' : 'Licence'}</legend>
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

        <section className="results" aria-live="polite" aria-busy={loading}>
          {error ? (
            <ErrorNotice error={error} title="Search failed" />
          ) : loading && !results ? (
            <Skeleton lines={8} label="Searching" />
          ) : results ? (
            <>
              <p className="results__summary">
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
              {results.next_cursor && (
                <button className="button button--secondary" type="button" onClick={loadMore} disabled={loadingMore}>
                  {loadingMore ? 'Loading…' : 'Show more'}
                </button>
              )}
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}
