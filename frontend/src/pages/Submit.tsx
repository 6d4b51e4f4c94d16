import { useEffect, useState, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { api, skillPath } from '../api/skilldex.ts';
import type { Registration as RegistrationData } from '../api/types.ts';
import { ErrorNotice, Skeleton, formatDate } from '../components/ui.tsx';
import { Link, navigate, useTitle } from '../lib/router.tsx';

/** How often the status view asks for news while a sync runs. */
export const POLL_MS = 1000;

export function Submit() {
  useTitle('Submit a repository');
  const [repository, setRepository] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const created = await api.register(repository.trim());
      navigate(`/registrations/${created.registration_id}`);
    } catch (e) {
      setError(isApiError(e) ? e.message : 'The registration could not be sent.');
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <h1>Submit a repository</h1>
      <p className="muted">
        Skilldex indexes every skill folder (<code>SKILL.md</code>) of a public GitHub repository, validates it against
        the Agent Skills specification and publishes a version for each change. Submitting starts a sync; you can follow
        it here.
      </p>
      <form className="form" onSubmit={submit}>
        <label htmlFor="repository">GitHub repository</label>
        <input
          id="repository"
          name="repository"
          type="text"
          placeholder="owner/repo or https://github.com/owner/repo"
          value={repository}
          onChange={(e) => setRepository(e.target.value)}
          required
          aria-describedby={error ? 'repository-error' : undefined}
        />
        {error && (
          <p id="repository-error" className="form__error" role="alert">
            {error}
          </p>
        )}
        <button className="button" type="submit" disabled={busy || !repository.trim()}>
          {busy ? 'Submitting…' : 'Submit'}
        </button>
      </form>
    </section>
  );
}

const STEPS = ['queued', 'running', 'succeeded'] as const;
const STEP_LABELS = ['Queued', 'Syncing', 'Published'];

/** A registration, polled while its sync is queued or running. */
export function useRegistration(id: string): { data: RegistrationData | null; error: unknown } {
  const [data, setData] = useState<RegistrationData | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    setData(null);
    setError(null);
    async function poll() {
      try {
        const next = await api.registration(id, controller.signal);
        if (stopped) return;
        setData(next);
        setError(null);
        if (next.status === 'queued' || next.status === 'running') timer = setTimeout(poll, POLL_MS);
      } catch (e) {
        if (stopped) return;
        setError(e);
        timer = setTimeout(poll, POLL_MS * 3);
      }
    }
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [id]);
  return { data, error };
}

export function RegistrationView({ id }: { id: string }) {
  useTitle('Registration');
  const { data, error } = useRegistration(id);

  if (!data) return error ? <ErrorNotice error={error} /> : <Skeleton lines={4} label="Loading the registration" />;
  const [owner, repo] = data.repository.split('/');
  const step = data.status === 'failed' ? 2 : STEPS.indexOf(data.status);
  return (
    <section className="narrow">
      <h1>{data.repository}</h1>
      <ol className="steps" aria-label="Progress">
        {STEPS.map((s, i) => (
          <li key={s} className={i < step ? 'steps__done' : i === step ? 'steps__current' : ''}>
            {i === 2 && data.status === 'failed' ? 'Stopped' : STEP_LABELS[i]}
          </li>
        ))}
      </ol>
      <p className="registration-status" aria-live="polite">
        Status: <strong className={`badge badge--${data.status}`}>{data.status}</strong>
        {data.finished_at && <span className="muted"> · finished {formatDate(data.finished_at)}</span>}
      </p>
      {data.status === 'failed' && (
        <div className="notice notice--error" role="alert">
          <strong>The sync failed</strong>
          <p>{data.error ?? 'No reason was recorded.'}</p>
        </div>
      )}
      {data.status === 'succeeded' && (
        <>
          <p>
            <Link href={`/repositories/${owner}/${repo}`}>Open the repository page</Link>
          </p>
          <h2>Skills</h2>
          {data.skills.length === 0 ? (
            <p className="muted">No skills were found in this repository.</p>
          ) : (
            <ul className="plain-list">
              {data.skills.map((s) => (
                <li key={s.path}>
                  <Link href={skillPath(s.owner, s.repo, s.name)}>{s.name}</Link>{' '}
                  <span className="muted">
                    {s.errors} error(s), {s.warnings} warning(s)
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {error != null && <ErrorNotice error={error} title="Lost contact; retrying" />}
    </section>
  );
}
