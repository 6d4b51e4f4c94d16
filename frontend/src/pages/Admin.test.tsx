import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/fetch.ts';
import { session } from '../api/skilldex.ts';
import { Admin } from './Admin.tsx';

beforeEach(async () => {
  window.history.replaceState(null, '', '/admin');
  sessionStorage.clear();
  vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(204)));
  await session.logout();
});

const login = {
  access_token: 'jwt',
  expires_in: 900,
  refresh_token: 'sdr_x',
  token_type: 'Bearer',
  user: { id: 'u', username: 'admin', role: 'admin' },
};

describe('Admin', () => {
  it('asks for a login, shows a wrong password, then opens the admin sections with the token', async () => {
    const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.endsWith('/auth/login')) {
        const body = JSON.parse(String(init?.body)) as { password: string };
        return body.password === 'right'
          ? jsonResponse(200, login)
          : jsonResponse(401, { error: { code: 'unauthorized', message: 'invalid username or password' } });
      }
      if (url.includes('/admin/discovery-sources')) {
        expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt');
        return jsonResponse(200, {
          items: [
            {
              id: 's1',
              key: 'topic',
              kind: 'topic_search',
              query: 'claude-skills',
              enabled: true,
              interval_seconds: 3600,
              max_repositories: null,
              max_concurrency: 4,
              last_run_at: null,
              last_workflow_id: null,
            },
          ],
          next_cursor: null,
        });
      }
      return jsonResponse(404, { error: { code: 'not_found', message: 'no' } });
    });
    vi.stubGlobal('fetch', fetch);
    render(<Admin />);
    const password = await screen.findByLabelText('Password');
    expect(screen.queryByRole('heading', { name: 'Discovery sources' })).toBeNull();
    await userEvent.type(screen.getByLabelText('Username'), 'admin');
    await userEvent.type(password, 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid username or password.');

    await userEvent.clear(screen.getByLabelText('Password'));
    await userEvent.type(screen.getByLabelText('Password'), 'right');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('heading', { name: 'Discovery sources' })).toBeInTheDocument();
    expect(await screen.findByText('claude-skills')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Blacklist' })).toHaveAttribute('href', '/admin/blacklist');
    expect(sessionStorage.getItem('skilldex.refresh')).toBe('sdr_x');
  });
});

type Reply = Response | Promise<Response> | undefined;

/** Signs in, then answers admin requests through `handle` (method, path and search). */
async function signedIn(handle: (method: string, url: URL, init?: RequestInit) => Reply) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    if (url.pathname === '/api/v1/auth/login') return jsonResponse(200, login);
    const reply = await handle(init?.method ?? 'GET', url, init);
    return reply ?? jsonResponse(404, { error: { code: 'not_found', message: `no ${url.pathname}` } });
  });
  vi.stubGlobal('fetch', fetch);
  await session.login('admin', 'right');
  return fetch;
}

function source(key: string) {
  return {
    id: `id-${key}`,
    key,
    kind: 'topic_search',
    query: `topic:${key}`,
    enabled: true,
    interval_seconds: 3600,
    max_repositories: null,
    max_concurrency: 4,
    last_run_at: null,
    last_workflow_id: null,
  };
}

describe('Admin actions', () => {
  it('names each row action after its row and asks before deleting', async () => {
    let sources = [source('alpha'), source('beta')];
    const fetch = await signedIn((method, url) => {
      if (url.pathname === '/api/v1/admin/discovery-sources' && method === 'GET')
        return jsonResponse(200, { items: sources, next_cursor: null });
      if (url.pathname === '/api/v1/admin/discovery-sources/id-beta' && method === 'DELETE') {
        sources = sources.filter((s) => s.key !== 'beta');
        return jsonResponse(200, { id: 'id-beta', schedule_sync: 'ok' });
      }
      return undefined;
    });
    window.history.replaceState(null, '', '/admin/discovery-sources');
    const user = userEvent.setup();
    render(<Admin />);
    for (const name of ['Scan now alpha', 'Disable alpha', 'Delete alpha', 'Scan now beta', 'Disable beta', 'Delete beta']) {
      expect(await screen.findByRole('button', { name })).toBeInTheDocument();
    }

    // Cancel leaves everything as it was and gives the focus back.
    await user.click(screen.getByRole('button', { name: 'Delete beta' }));
    expect(screen.getByRole('group', { name: 'Confirm: delete beta' })).toHaveTextContent('Delete beta?');
    expect(screen.getByRole('button', { name: 'Yes, delete beta' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Delete beta' })).toHaveFocus();
    expect(fetch.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Delete beta' }));
    await user.click(screen.getByRole('button', { name: 'Yes, delete beta' }));
    expect(await screen.findByText('beta deleted.')).toHaveAttribute('role', 'status');
    await vi.waitFor(() => expect(screen.queryByRole('button', { name: 'Delete beta' })).toBeNull());
    expect(screen.getByRole('button', { name: 'Delete alpha' })).toBeInTheDocument();
  });

  it('creates a source with its concurrency and lists it', async () => {
    let sources: ReturnType<typeof source>[] = [];
    const fetch = await signedIn((method, url) => {
      if (url.pathname === '/api/v1/admin/discovery-sources' && method === 'GET')
        return jsonResponse(200, { items: sources, next_cursor: null });
      if (url.pathname === '/api/v1/admin/discovery-sources' && method === 'POST') {
        sources = [{ ...source('gamma'), max_concurrency: 7 }];
        return jsonResponse(201, { source: sources[0], schedule_sync: 'ok' });
      }
      return undefined;
    });
    window.history.replaceState(null, '', '/admin/discovery-sources');
    const user = userEvent.setup();
    render(<Admin />);
    await user.type(await screen.findByLabelText('Key'), 'gamma');
    await user.type(screen.getByLabelText('Query'), 'topic:gamma');
    const concurrency = screen.getByLabelText('Syncs at once');
    await user.clear(concurrency);
    await user.type(concurrency, '7');
    await user.click(screen.getByRole('button', { name: 'Add source' }));
    expect(await screen.findByText('Source gamma created.')).toBeInTheDocument();
    const post = fetch.mock.calls.find(([, init]) => init?.method === 'POST' && String(init?.body).includes('gamma'));
    expect(JSON.parse(String(post?.[1]?.body))).toMatchObject({ key: 'gamma', max_concurrency: 7 });
    const row = (await screen.findByRole('cell', { name: 'gamma' })).closest('tr');
    expect(row).toHaveTextContent('7');
  });

  it('a failed action is an alert; a list that failed to load recovers on reload', async () => {
    let blacklistUp = false;
    await signedIn((method, url) => {
      if (url.pathname === '/api/v1/admin/blacklist' && method === 'GET')
        return blacklistUp
          ? jsonResponse(200, {
              items: [{ id: 'b1', owner: 'spam', repo: null, reason: 'spam', created_by: 'admin', created_at: '2026-11-20T12:00:00Z' }],
              next_cursor: null,
            })
          : jsonResponse(503, { error: { code: 'unavailable', message: 'database is unavailable' } });
      if (url.pathname === '/api/v1/admin/blacklist' && method === 'POST') {
        blacklistUp = true;
        return jsonResponse(201, { id: 'b1' });
      }
      if (url.pathname === '/api/v1/admin/blacklist/b1' && method === 'DELETE')
        return jsonResponse(409, { error: { code: 'conflict', message: 'entry is in use' } });
      return undefined;
    });
    window.history.replaceState(null, '', '/admin/blacklist');
    const user = userEvent.setup();
    render(<Admin />);
    expect(await screen.findByRole('alert')).toHaveTextContent('database is unavailable');

    await user.type(screen.getByLabelText('Owner'), 'spam');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    expect(await screen.findByRole('button', { name: 'Remove spam' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Remove spam' }));
    await user.click(screen.getByRole('button', { name: 'Yes, remove spam' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('entry is in use');
  });

  it('a re-sync links to its registration and shows its live status', async () => {
    let polls = 0;
    await signedIn((method, url) => {
      if (url.pathname === '/api/v1/admin/repositories/anthropics/skills/resync' && method === 'POST')
        return jsonResponse(202, {
          registration_id: 'reg-1',
          workflow_id: 'wf',
          status: 'queued',
          existing: false,
          repository: 'anthropics/skills',
        });
      if (url.pathname === '/api/v1/registrations/reg-1') {
        polls += 1;
        return jsonResponse(200, {
          id: 'reg-1',
          repository: 'anthropics/skills',
          status: polls > 1 ? 'succeeded' : 'running',
          workflow_id: 'wf',
          error: null,
          created_at: '2026-11-20T12:00:00Z',
          started_at: '2026-11-20T12:00:00Z',
          finished_at: polls > 1 ? '2026-11-20T12:00:05Z' : null,
          result: polls > 1 ? { skills: 4, new_versions: 1, up_to_date: false } : null,
          skills: [],
        });
      }
      return undefined;
    });
    window.history.replaceState(null, '', '/admin/maintenance');
    const user = userEvent.setup();
    render(<Admin />);
    await user.type(await screen.findByLabelText('Repository (owner/repo)'), 'anthropics/skills');
    await user.click(screen.getByRole('button', { name: 'Re-sync' }));
    expect(await screen.findByRole('link', { name: 'Follow the sync' })).toHaveAttribute('href', '/registrations/reg-1');
    expect(await screen.findByText('running')).toBeInTheDocument();
    expect(await screen.findByText('succeeded', {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByText(/4 skills, 1 new versions/)).toBeInTheDocument();
  });

  it('pages through the audit log with next_cursor', async () => {
    const entry = (id: number) => ({
      id,
      actor: 'admin',
      action: `action.${id}`,
      target_type: 'repository',
      target_id: `r${id}`,
      details: null,
      request_id: null,
      at: '2026-11-20T12:00:00Z',
    });
    const fetch = await signedIn((_method, url) => {
      if (url.pathname !== '/api/v1/admin/audit-log') return undefined;
      return url.searchParams.get('cursor') === 'page-2'
        ? jsonResponse(200, { items: [entry(2)], next_cursor: null })
        : jsonResponse(200, { items: [entry(1)], next_cursor: 'page-2' });
    });
    window.history.replaceState(null, '', '/admin/audit-log');
    const user = userEvent.setup();
    render(<Admin />);
    expect(await screen.findByText('action.1')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Show more audit entries' }));
    expect(await screen.findByText('action.2')).toBeInTheDocument();
    expect(screen.getByText('action.1')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /show more/i })).toBeNull();
    const limits = fetch.mock.calls
      .map(([input]) => new URL(String(input), 'http://x'))
      .filter((u) => u.pathname.endsWith('/audit-log'))
      .map((u) => u.searchParams.get('limit'));
    expect(limits).toEqual(['50', '50']);
  });
});
