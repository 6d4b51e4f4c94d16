import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { adminApi, session } from '../api/skilldex.ts';
import type { RegistrationCreated } from '../api/types.ts';
import { ErrorNotice, MoreButton, Skeleton, formatDate } from '../components/ui.tsx';
import { Link, useLocation, useTitle } from '../lib/router.tsx';
import { usePaged } from '../lib/usePaged.ts';
import { useRegistration } from './Submit.tsx';

const SECTIONS = [
  ['discovery-sources', 'Discovery sources'],
  ['blacklist', 'Blacklist'],
  ['maintenance', 'Re-sync and yank'],
  ['audit-log', 'Audit log'],
] as const;

function message(error: unknown): string {
  return isApiError(error) || error instanceof Error ? error.message : String(error);
}

export function Admin() {
  useTitle('Admin');
  const user = useSyncExternalStore(session.subscribe, () => session.user);
  const [resuming, setResuming] = useState(true);
  useEffect(() => {
    void session.resume().finally(() => setResuming(false));
  }, []);
  if (!user) return resuming ? <Skeleton lines={3} label="Checking your session" /> : <Login />;
  return <AdminPages user={user} />;
}

function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username, password);
    } catch (e) {
      setError(isApiError(e) && e.status === 401 ? 'Invalid username or password.' : message(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="narrow">
      <h1>Admin login</h1>
      <form className="form" onSubmit={submit}>
        <label htmlFor="username">Username</label>
        <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        {error && (
          <p className="form__error" role="alert">
            {error}
          </p>
        )}
        <button className="button" type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </section>
  );
}

function AdminPages({ user }: { user: string }) {
  const { pathname } = useLocation();
  const current = SECTIONS.find(([slug]) => pathname === `/admin/${slug}`)?.[0] ?? 'discovery-sources';
  return (
    <div className="admin">
      <div className="admin__bar">
        <p className="muted">
          Signed in as <strong>{user}</strong>
        </p>
        <button className="button button--secondary button--small" type="button" onClick={() => void session.logout()}>
          Log out
        </button>
      </div>
      <nav className="admin__nav" aria-label="Admin sections">
        {SECTIONS.map(([slug, label]) => (
          <Link key={slug} href={`/admin/${slug}`} aria-current={slug === current ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {current === 'discovery-sources' && <Sources />}
      {current === 'blacklist' && <Blacklist />}
      {current === 'maintenance' && <Maintenance />}
      {current === 'audit-log' && <AuditLog />}
    </div>
  );
}

type ActionResult = { ok: boolean; text: string; registration?: string };

/** Runs admin actions and remembers how the last one ended. */
function useAction(after?: () => void) {
  const [result, setResult] = useState<ActionResult | null>(null);
  async function run(work: () => Promise<unknown>, done: string | ((value: unknown) => ActionResult)) {
    setResult(null);
    try {
      const value = await work();
      setResult(typeof done === 'string' ? { ok: true, text: done } : done(value));
      after?.();
    } catch (e) {
      setResult({ ok: false, text: message(e) });
    }
  }
  return { result, run };
}

/** Success is a polite status; a failure is an alert. */
function ActionStatus({ result }: { result: ActionResult | null }) {
  return (
    <>
      <p role="status" className="action-status">
        {result?.ok && result.text}
        {result?.ok && result.registration && (
          <>
            {' '}
            <Link href={`/registrations/${encodeURIComponent(result.registration)}`}>Follow the sync</Link>
          </>
        )}
      </p>
      {result && !result.ok && (
        <div className="notice notice--error" role="alert">
          <strong>The action failed</strong>
          <p>{result.text}</p>
        </div>
      )}
      {result?.ok && result.registration && <LiveRegistration id={result.registration} />}
    </>
  );
}

/** The registration a re-sync started, as it runs. */
function LiveRegistration({ id }: { id: string }) {
  const { data, error } = useRegistration(id);
  if (error != null && !data) return <ErrorNotice error={error} title="The sync status could not be read" />;
  if (!data) return <Skeleton lines={1} label="Loading the sync status" />;
  return (
    <div className="card registration-live" aria-live="polite">
      <p>
        Sync of <strong>{data.repository}</strong>: <span className={`badge badge--${data.status}`}>{data.status}</span>
        {data.finished_at && <span className="muted"> · finished {formatDate(data.finished_at)}</span>}
      </p>
      {data.status === 'failed' && <p>{data.error ?? 'No reason was recorded.'}</p>}
      {data.status === 'succeeded' && data.result && (
        <p className="muted">
          {String(data.result.skills ?? 0)} skills, {String(data.result.new_versions ?? 0)} new versions
          {data.result.up_to_date ? ' (already up to date)' : ''}
        </p>
      )}
    </div>
  );
}

/**
 * A destructive action asked twice: the first press shows "Delete x?" with a confirm and a
 * cancel button (focus moves to the confirm), the second does it.
 */
function ConfirmButton({ label, target, onConfirm }: { label: string; target: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (returnFocus.current) first.current?.focus();
    returnFocus.current = false;
  }, [asking]);
  const cancel = () => {
    returnFocus.current = true;
    setAsking(false);
  };
  if (!asking) {
    return (
      <button
        ref={first}
        className="button button--secondary button--small"
        type="button"
        aria-label={`${label} ${target}`}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <span
      className="confirm"
      role="group"
      aria-label={`Confirm: ${label.toLowerCase()} ${target}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') cancel();
      }}
    >
      <span>
        {label} {target}?
      </span>
      <button
        ref={confirm}
        className="button button--danger button--small"
        type="button"
        aria-label={`Yes, ${label.toLowerCase()} ${target}`}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button className="button button--secondary button--small" type="button" onClick={cancel}>
        Cancel
      </button>
    </span>
  );
}

function Sources() {
  const list = usePaged((cursor, signal) => adminApi.sources(cursor, signal), []);
  const [form, setForm] = useState({
    key: '',
    kind: 'topic_search',
    query: '',
    interval_seconds: 86400,
    max_concurrency: 4,
  });
  const { result, run } = useAction(list.reload);
  return (
    <section aria-labelledby="sources-title">
      <h2 id="sources-title">Discovery sources</h2>
      <p className="muted">Each enabled source is a Temporal Schedule that scans GitHub and syncs what it finds.</p>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => adminApi.createSource(form), `Source ${form.key} created.`);
        }}
      >
        <label>
          Key <input value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })} required />
        </label>
        <label>
          Kind{' '}
          <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="topic_search">Topic search</option>
            <option value="code_search">Code search</option>
            <option value="marketplace">Marketplace repository</option>
          </select>
        </label>
        <label>
          Query <input value={form.query} onChange={(e) => setForm({ ...form, query: e.target.value })} required />
        </label>
        <label>
          Every (s){' '}
          <input
            type="number"
            min={60}
            value={form.interval_seconds}
            onChange={(e) => setForm({ ...form, interval_seconds: Number(e.target.value) })}
          />
        </label>
        <label>
          Syncs at once{' '}
          <input
            type="number"
            min={1}
            max={20}
            value={form.max_concurrency}
            onChange={(e) => setForm({ ...form, max_concurrency: Number(e.target.value) })}
          />
        </label>
        <button className="button" type="submit">
          Add source
        </button>
      </form>
      <ActionStatus result={result} />
      {list.error ? (
        <ErrorNotice error={list.error} title="The discovery sources could not be loaded" />
      ) : !list.items ? (
        <Skeleton lines={3} label="Loading discovery sources" />
      ) : list.items.length === 0 ? (
        <p className="muted">No discovery sources yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Kind</th>
                <th>Query</th>
                <th>Interval</th>
                <th>Syncs at once</th>
                <th>Last run</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((s) => (
                <tr key={s.id}>
                  <td>{s.key}</td>
                  <td>{s.kind}</td>
                  <td>
                    <code>{s.query}</code>
                  </td>
                  <td>{s.interval_seconds} s</td>
                  <td>{s.max_concurrency}</td>
                  <td>{formatDate(s.last_run_at)}</td>
                  <td className="table__actions">
                    <button
                      className="button button--small"
                      type="button"
                      aria-label={`Scan now ${s.key}`}
                      onClick={() => void run(() => adminApi.runSource(s.id), `Scan of ${s.key} started.`)}
                    >
                      Scan now
                    </button>
                    <button
                      className="button button--secondary button--small"
                      type="button"
                      aria-label={`${s.enabled ? 'Disable' : 'Enable'} ${s.key}`}
                      onClick={() =>
                        void run(
                          () => adminApi.setSourceEnabled(s.id, !s.enabled),
                          `${s.key} ${s.enabled ? 'disabled' : 'enabled'}.`,
                        )
                      }
                    >
                      {s.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      target={s.key}
                      onConfirm={() => void run(() => adminApi.deleteSource(s.id), `${s.key} deleted.`)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <MoreButton loading={list.loadingMore} error={list.moreError} onMore={list.more} what="sources" />
      )}
    </section>
  );
}

function Blacklist() {
  const list = usePaged((cursor, signal) => adminApi.blacklist(cursor, signal), []);
  const [owner, setOwner] = useState('');
  const [repo, setRepo] = useState('');
  const [reason, setReason] = useState('');
  const { result, run } = useAction(list.reload);
  return (
    <section aria-labelledby="blacklist-title">
      <h2 id="blacklist-title">Blacklist</h2>
      <p className="muted">Listed owners or repositories are never synced and their skills are hidden.</p>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => adminApi.addBlacklist(owner.trim(), repo.trim() || null, reason),
            `${owner}${repo ? `/${repo}` : ''} blacklisted.`,
          );
        }}
      >
        <label>
          Owner <input value={owner} onChange={(e) => setOwner(e.target.value)} required />
        </label>
        <label>
          Repository (empty: whole owner) <input value={repo} onChange={(e) => setRepo(e.target.value)} />
        </label>
        <label>
          Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button className="button" type="submit">
          Add
        </button>
      </form>
      <ActionStatus result={result} />
      {list.error ? (
        <ErrorNotice error={list.error} title="The blacklist could not be loaded" />
      ) : !list.items ? (
        <Skeleton lines={3} label="Loading the list" />
      ) : list.items.length === 0 ? (
        <p className="muted">Nothing is listed.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Owner</th>
                <th>Repository</th>
                <th>Reason</th>
                <th>Added</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((b) => {
                const target = b.repo ? `${b.owner}/${b.repo}` : b.owner;
                return (
                  <tr key={b.id}>
                    <td>{b.owner}</td>
                    <td>{b.repo ?? 'all'}</td>
                    <td>{b.reason}</td>
                    <td>
                      {formatDate(b.created_at)} {b.created_by && <span className="muted">by {b.created_by}</span>}
                    </td>
                    <td>
                      <ConfirmButton
                        label="Remove"
                        target={target}
                        onConfirm={() => void run(() => adminApi.removeBlacklist(b.id), `${target} removed from the blacklist.`)}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <MoreButton loading={list.loadingMore} error={list.moreError} onMore={list.more} what="entries" />
      )}
    </section>
  );
}

function Maintenance() {
  const [repository, setRepository] = useState('');
  const [skill, setSkill] = useState('');
  const [hash, setHash] = useState('');
  const [reason, setReason] = useState('');
  const resync = useAction();
  const yank = useAction();
  return (
    <section aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Re-sync and yank</h2>
      <form
        className="form form--inline"
        aria-labelledby="resync-title"
        onSubmit={(e) => {
          e.preventDefault();
          const [owner = '', repo = ''] = repository.trim().split('/');
          void resync.run(
            () => adminApi.resync(owner, repo),
            (value) => {
              const created = value as RegistrationCreated;
              return {
                ok: true,
                text: created.existing
                  ? `A sync of ${created.repository} is already running.`
                  : `Re-sync of ${created.repository} started.`,
                registration: created.registration_id,
              };
            },
          );
        }}
      >
        <h3 id="resync-title" className="form__title">
          Re-sync a repository
        </h3>
        <label>
          Repository (owner/repo) <input value={repository} onChange={(e) => setRepository(e.target.value)} required />
        </label>
        <button className="button" type="submit">
          Re-sync
        </button>
      </form>
      <ActionStatus result={resync.result} />
      <form
        className="form form--inline"
        aria-labelledby="yank-title"
        onSubmit={(e) => {
          e.preventDefault();
          const [owner = '', repo = '', name = ''] = skill.trim().split('/');
          void yank.run(() => adminApi.yank(owner, repo, name, hash.trim(), reason), `Version ${hash.trim().slice(0, 12)} yanked.`);
        }}
      >
        <h3 id="yank-title" className="form__title">
          Yank or restore a version
        </h3>
        <label>
          Skill (owner/repo/name) <input value={skill} onChange={(e) => setSkill(e.target.value)} required />
        </label>
        <label>
          Version hash <input value={hash} onChange={(e) => setHash(e.target.value)} required />
        </label>
        <label>
          Reason <input value={reason} onChange={(e) => setReason(e.target.value)} required />
        </label>
        <button className="button" type="submit">
          Yank
        </button>
        <button
          className="button button--secondary"
          type="button"
          onClick={() => {
            const [owner = '', repo = '', name = ''] = skill.trim().split('/');
            void yank.run(() => adminApi.unyank(owner, repo, name, hash.trim()), `Version ${hash.trim().slice(0, 12)} restored.`);
          }}
        >
          Unyank
        </button>
      </form>
      <ActionStatus result={yank.result} />
    </section>
  );
}

function AuditLog() {
  const list = usePaged((cursor, signal) => adminApi.audit(cursor, signal), []);
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {list.error ? (
        <ErrorNotice error={list.error} title="The audit log could not be loaded" />
      ) : !list.items ? (
        <Skeleton lines={4} label="Loading the audit log" />
      ) : list.items.length === 0 ? (
        <p className="muted">No admin actions yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>Target</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatDate(entry.at)}</td>
                  <td>{entry.actor ?? 'system'}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    {entry.target_type} {entry.target_id}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <MoreButton loading={list.loadingMore} error={list.moreError} onMore={list.more} what="audit entries" />
      )}
    </section>
  );
}
