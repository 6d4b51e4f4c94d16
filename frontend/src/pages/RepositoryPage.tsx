import { api } from '../api/skilldex.ts';
import { ErrorNotice, Skeleton, SkillCard, formatCount, formatDate, useLoad } from '../components/ui.tsx';
import { useTitle } from '../lib/router.tsx';

const STATUS_LABELS = { pending: 'Pending', syncing: 'Syncing', succeeded: 'Synced', failed: 'Failed' } as const;

export function RepositoryPage({ owner, repo }: { owner: string; repo: string }) {
  useTitle(`${owner}/${repo}`);
  const page = useLoad((signal) => api.repository(owner, repo, signal), [owner, repo]);
  if (page.error) return <ErrorNotice error={page.error} title="This repository could not be loaded" />;
  if (!page.data) return <Skeleton lines={8} label="Loading the repository" />;
  const r = page.data;
  return (
    <article>
      <header className="skill-page__header">
        <h1>{r.full_name}</h1>
        {r.description && <p className="skill-page__description">{r.description}</p>}
        <div className="skill-card__meta">
          <span className={`badge badge--${r.sync_status}`}>{STATUS_LABELS[r.sync_status]}</span>
          <span>★ {formatCount(r.stars)}</span>
          {r.license && <span>{r.license}</span>}
          <span>Last synced {formatDate(r.last_synced_at)}</span>
          {r.last_indexed_commit && (
            <span>
              at <code>{r.last_indexed_commit.slice(0, 7)}</code>
            </span>
          )}
        </div>
        {r.html_url && (
          <p>
            <a className="button button--secondary" href={r.html_url} rel="noopener noreferrer">
              View on GitHub
            </a>
          </p>
        )}
      </header>
      {r.last_error && (
        <div className="notice notice--error" role="alert">
          <strong>Last sync failed{r.last_error_kind ? ` (${r.last_error_kind})` : ''}</strong>
          <p>{r.last_error}</p>
        </div>
      )}
      {r.problems.length > 0 && (
        <section className="card" aria-labelledby="problems-title">
          <h2 id="problems-title" className="section-title">
            Repository problems
          </h2>
          <ul className="findings">
            {r.problems.map((p, i) => (
              <li key={i} className={`finding finding--${p.severity}`}>
                <span className={`badge badge--${p.severity}`}>{p.severity}</span> {p.message}{' '}
                <span className="muted">{p.file}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="repo-skills-title">
        <h2 id="repo-skills-title">
          {r.skills.length} skill{r.skills.length === 1 ? '' : 's'}
        </h2>
        {r.skills.length === 0 ? (
          <p className="muted">No skills found in this repository.</p>
        ) : (
          <ul className="skill-list">
            {r.skills.map((s) => (
              <SkillCard key={s.id} skill={s} />
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
