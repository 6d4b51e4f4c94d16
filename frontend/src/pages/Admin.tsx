import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { adminApi, session } from '../api/skilldex.ts';
import { ErrorNotice, Skeleton, formatDate } from '../components/ui.tsx';
import { Link, useLocation, useTitle } from '../lib/router.tsx';

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

/** Loads an admin list and reloads it after a change. */
function useAdminList<T>(load: () => Promise<{ items: T[] }>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    load().then(
      (page) => setItems(page.items),
      (e: unknown) => setError(e),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  return { items, error, reload: () => setVersion((v) => v + 1) };
}

function Sources() {
  const list = useAdminList(adminApi.sources);
  const [form, setForm] = useState({ key: '', kind: 'topic_search', query: '', interval_seconds: 86400 });
  const [status, setStatus] = useState<string | null>(null);
  async function act(work: () => Promise<unknown>, done: string) {
    try {
      await work();
      setStatus(done);
      list.reload();
    } catch (e) {
      setStatus(message(e));
    }
  }
  return (
    <section aria-labelledby="sources-title">
      <h2 id="sources-title">Discovery sources</h2>
      <p className="muted">Each enabled source is a Temporal Schedule that scans GitHub and syncs what it finds.</p>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => adminApi.createSource(form), `Source ${form.key} created.`);
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
        <button className="button" type="submit">
          Add source
        </button>
      </form>
      {status && <p role="status">{status}</p>}
      {list.error ? (
        <ErrorNotice error={list.error} />
      ) : !list.items ? (
        <Skeleton lines={3} label="Loading discovery sources" />
      ) : list.items.length === 0 ? (
        <p className="muted">No discovery sources yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Key</th>
              <th>Kind</th>
              <th>Query</th>
              <th>Interval</th>
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
                <td>{formatDate(s.last_run_at)}</td>
                <td className="table__actions">
                  <button className="button button--small" type="button" onClick={() => void act(() => adminApi.runSource(s.id), `Scan of ${s.key} started.`)}>
                    Scan now
                  </button>
                  <button
                    className="button button--secondary button--small"
                    type="button"
                    onClick={() => void act(() => adminApi.setSourceEnabled(s.id, !s.enabled), `${s.key} ${s.enabled ? 'disabled' : 'enabled'}.`)}
                  >
                    {s.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button
                    className="button button--secondary button--small"
                    type="button"
                    onClick={() => void act(() => adminApi.deleteSource(s.id), `${s.key} deleted.`)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Blacklist() {
  const list = useAdminList(adminApi.blacklist);
  const [owner, setOwner] = useState('');
  const [repo, setRepo] = useState('');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  async function act(work: () => Promise<unknown>, done: string) {
    try {
      await work();
      setStatus(done);
      list.reload();
    } catch (e) {
      setStatus(message(e));
    }
  }
  return (
    <section aria-labelledby="blacklist-title">
      <h2 id="blacklist-title">Blacklist</h2>
      <p className="muted">Listed owners or repositories are never synced and their skills are hidden.</p>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => adminApi.addBlacklist(owner.trim(), repo.trim() || null, reason), `${owner}${repo ? `/${repo}` : ''} blacklisted.`);
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
      {status && <p role="status">{status}</p>}
      {list.error ? (
        <ErrorNotice error={list.error} />
      ) : !list.items ? (
        <Skeleton lines={3} label="Loading the list" />
      ) : list.items.length === 0 ? (
        <p className="muted">Nothing is listed.</p>
      ) : (
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
            {list.items.map((b) => (
              <tr key={b.id}>
                <td>{b.owner}</td>
                <td>{b.repo ?? 'all'}</td>
                <td>{b.reason}</td>
                <td>
                  {formatDate(b.created_at)} {b.created_by && <span className="muted">by {b.created_by}</span>}
                </td>
                <td>
                  <button className="button button--secondary button--small" type="button" onClick={() => void act(() => adminApi.removeBlacklist(b.id), 'Removed.')}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Maintenance() {
  const [repository, setRepository] = useState('');
  const [skill, setSkill] = useState('');
  const [hash, setHash] = useState('');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  async function act(work: () => Promise<unknown>, done: string) {
    try {
      await work();
      setStatus(done);
    } catch (e) {
      setStatus(message(e));
    }
  }
  return (
    <section aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Re-sync and yank</h2>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          const [owner = '', repo = ''] = repository.trim().split('/');
          void act(() => adminApi.resync(owner, repo), `Re-sync of ${repository} started.`);
        }}
      >
        <label>
          Repository (owner/repo) <input value={repository} onChange={(e) => setRepository(e.target.value)} required />
        </label>
        <button className="button" type="submit">
          Re-sync
        </button>
      </form>
      <form
        className="form form--inline"
        onSubmit={(e) => {
          e.preventDefault();
          const [owner = '', repo = '', name = ''] = skill.trim().split('/');
          void act(() => adminApi.yank(owner, repo, name, hash.trim(), reason), `Version ${hash.slice(0, 12)} yanked.`);
        }}
      >
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
            void act(() => adminApi.unyank(owner, repo, name, hash.trim()), `Version ${hash.slice(0, 12)} restored.`);
          }}
        >
          Unyank
        </button>
      </form>
      {status && <p role="status">{status}</p>}
    </section>
  );
}

function AuditLog() {
  const list = useAdminList(adminApi.audit);
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {list.error ? (
        <ErrorNotice error={list.error} />
      ) : !list.items ? (
        <Skeleton lines={4} label="Loading the audit log" />
      ) : list.items.length === 0 ? (
        <p className="muted">No admin actions yet.</p>
      ) : (
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
      )}
    </section>
  );
}
