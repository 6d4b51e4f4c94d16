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
