import { useState, type FormEvent } from 'react';
import { api } from '../api/skilldex.ts';
import { StatusPanel } from '../components/StatusPanel.tsx';
import { ErrorNotice, Skeleton, SkillCard, formatCount, useLoad } from '../components/ui.tsx';
import { navigate, useTitle } from '../lib/router.tsx';

export function Home() {
  useTitle('');
  const [query, setQuery] = useState('');
  const stats = useLoad((signal) => api.stats(signal), []);
  const recent = useLoad((signal) => api.search({ sort: 'updated', limit: 6 }, signal), []);
  const starred = useLoad((signal) => api.search({ sort: 'stars', limit: 6 }, signal), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const q = query.trim();
    navigate(q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  }

  return (
    <>
      <section className="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Skilldex</h1>
        <p className="hero__tagline">
          The open registry of Agent Skills: every <code>SKILL.md</code> folder on GitHub, validated against the
          specification and published as versioned archives you can search and install.
        </p>
        <form role="search" className="search" aria-label="Skill search" onSubmit={submit}>
          <label htmlFor="home-search" className="search__label">
            Search skills
          </label>
          <div className="search__row">
            <input
              id="home-search"
              className="search__input"
              type="search"
              placeholder="pdf, spreadsheets, code review…"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              autoFocus
            />
            <button className="button" type="submit">
              Search
            </button>
          </div>
        </form>
        {stats.error ? (
          <ErrorNotice error={stats.error} title="The registry totals could not be loaded" />
        ) : (
          <dl className="totals" aria-label="Registry totals" aria-busy={!stats.data}>
            {(['skills', 'repositories', 'downloads'] as const).map((key) => (
              <div key={key} className="totals__item">
                <dt>{key}</dt>
                <dd>
                  {stats.data ? (
                    formatCount(stats.data[key])
                  ) : (
                    <span className="skeleton__line totals__placeholder">
                      <span className="visually-hidden">Loading</span>
                    </span>
                  )}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <div className="columns">
        <section aria-labelledby="recent-title">
          <h2 id="recent-title">Recently updated</h2>
          {recent.error ? (
            <ErrorNotice error={recent.error} />
          ) : recent.data ? (
            <ul className="skill-list">
              {recent.data.items.map((s) => (
                <SkillCard key={s.id} skill={s} />
              ))}
            </ul>
          ) : (
            <Skeleton lines={6} label="Loading recently updated skills" />
          )}
        </section>
        <section aria-labelledby="starred-title">
          <h2 id="starred-title">Most starred</h2>
          {starred.error ? (
            <ErrorNotice error={starred.error} />
          ) : starred.data ? (
            <ul className="skill-list">
              {starred.data.items.map((s) => (
                <SkillCard key={s.id} skill={s} />
              ))}
            </ul>
          ) : (
            <Skeleton lines={6} label="Loading most starred skills" />
          )}
        </section>
      </div>
      <StatusPanel />
    </>
  );
}
