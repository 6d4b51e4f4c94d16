import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/fetch.ts';
import { RegistrationView, Submit } from './Submit.tsx';

beforeEach(() => {
  window.history.replaceState(null, '', '/submit');
});

function registration(status: string, extra = {}) {
  return {
    id: 'r1',
    repository: 'acme/kit',
    status,
    workflow_id: 'sync:github.com/acme/kit',
    error: null,
    created_at: '2026-11-25T10:00:00Z',
    started_at: null,
    finished_at: status === 'succeeded' || status === 'failed' ? '2026-11-25T10:00:05Z' : null,
    result: null,
    skills: [],
    ...extra,
  };
}

describe('Submit', () => {
  it('posts the repository and opens its live status view', async () => {
    const fetch = vi.fn(async () =>
      jsonResponse(202, {
        registration_id: 'r1',
        workflow_id: 'sync:github.com/acme/kit',
        status: 'queued',
        existing: false,
        repository: 'acme/kit',
      }),
    );
    vi.stubGlobal('fetch', fetch);
    render(<Submit />);
    await userEvent.type(screen.getByRole('textbox', { name: 'GitHub repository' }), 'https://github.com/acme/kit');
    await userEvent.click(screen.getByRole('button', { name: 'Submit' }));
    await vi.waitFor(() => expect(window.location.pathname).toBe('/registrations/r1'));
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ repository: 'https://github.com/acme/kit' });
  });

  it('shows why a registration is refused', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(400, { error: { code: 'bad_request', message: 'only GitHub repositories can be registered' } }),
      ),
    );
    render(<Submit />);
    await userEvent.type(screen.getByRole('textbox', { name: 'GitHub repository' }), 'https://gitlab.com/a/b');
    await userEvent.click(screen.getByRole('button', { name: 'Submit' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('only GitHub repositories can be registered');
  });
});

describe('RegistrationView', () => {
  it('follows a registration from queued through running to success and links the skills', async () => {
    const answers = [
      registration('queued'),
      registration('running'),
      registration('succeeded', {
        skills: [{ name: 'hello-world', path: 'skills/hello-world', owner: 'acme', repo: 'kit', errors: 0, warnings: 1 }],
      }),
    ];
    const fetch = vi.fn(async () => jsonResponse(200, answers.shift() ?? registration('succeeded')));
    vi.stubGlobal('fetch', fetch);
    render(<RegistrationView id="r1" />);
    expect(await screen.findByText('queued', { selector: 'strong' })).toBeInTheDocument();
    expect(await screen.findByText('running', { selector: 'strong' }, { timeout: 3000 })).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'hello-world' }, { timeout: 3000 })).toHaveAttribute(
      'href',
      '/skills/acme/kit/hello-world',
    );
    expect(screen.getByText('succeeded', { selector: 'strong' })).toBeInTheDocument();
    const calls = fetch.mock.calls.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(fetch.mock.calls.length).toBe(calls);
  });

  it('shows the reason of a failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse(200, registration('failed', { error: 'not_found: acme/kit does not exist' }))),
    );
    render(<RegistrationView id="r1" />);
    expect(await screen.findByRole('alert')).toHaveTextContent('acme/kit does not exist');
  });
});
