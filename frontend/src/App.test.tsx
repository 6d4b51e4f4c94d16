import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { errorEnvelope, mockFetchRoutes } from './test/fetch.ts';
import { App } from './App.tsx';
import { navigate } from './lib/router.tsx';
import type { SkillSummary } from './api/types.ts';
import { summary } from './test/fixtures.ts';
import { clearSearchCache } from './pages/Search.tsx';

const page = (items: SkillSummary[]) => ({
  items,
  next_cursor: null,
  total: items.length,
  total_exact: true,
  fuzzy: false,
  corrected_query: null,
  facets: null,
});

beforeEach(() => {
  window.history.replaceState(null, '', '/');
  localStorage.clear();
  clearSearchCache();
});

describe('App', () => {
  it('home shows the search box, totals, and recent and starred skills', async () => {
    mockFetchRoutes({
      '/api/v1/stats': { status: 200, body: { skills: 1234, repositories: 56, versions: 2000, downloads: 7890, marketplaces: 3 } },
      '/api/v1/skills': { status: 200, body: page([summary('pdf'), summary('docx')]) },
      '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
    });
    render(<App />);
    expect(screen.getByRole('heading', { level: 1, name: 'Skilldex' })).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search skills' })).toBeEnabled();
    expect(await screen.findByText('1,234')).toBeInTheDocument();
    expect(screen.getByText('7,890')).toBeInTheDocument();
    const recent = screen.getByRole('region', { name: 'Recently updated' });
    expect(await within(recent).findByRole('link', { name: 'pdf' })).toHaveAttribute(
      'href',
      '/skills/anthropics/skills/pdf',
    );
    expect(screen.getByRole('link', { name: /submit a repository/i })).toHaveAttribute('href', '/submit');
  });

  it('submitting the home search opens the results page for the query', async () => {
    const fetch = mockFetchRoutes({
      '/api/v1/skills': { status: 200, body: page([summary('pdf')]) },
    });
    render(<App />);
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search skills' }), 'pdf files{Enter}');
    expect(window.location.pathname).toBe('/search');
    expect(new URLSearchParams(window.location.search).get('q')).toBe('pdf files');
    await screen.findByText('1 skill');
    const urls = fetch.mock.calls.map(([input]) => String(input));
    expect(urls.some((u) => u.includes('q=pdf+files') && u.includes('facets=true'))).toBe(true);
  });

  it('toggles and remembers the theme', async () => {
    mockFetchRoutes({});
    render(<App />);
    // No choice yet: the OS preference applies (no data-theme pinned).
    expect(document.documentElement.dataset.theme).toBeUndefined();
    await userEvent.click(screen.getByRole('button', { name: /switch to dark/i }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('skilldex.theme')).toBe('dark');
    await userEvent.click(screen.getByRole('button', { name: /switch to light/i }));
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('unknown addresses get a not-found page', async () => {
    mockFetchRoutes({});
    render(<App />);
    act(() => navigate('/no/such/page'));
    expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
  });

  it('home totals show placeholders while loading and an error when they fail', async () => {
    let fail: (r: Response) => void = () => undefined;
    mockFetchRoutes({
      '/api/v1/stats': () => new Promise<Response>((resolve) => (fail = resolve)),
      '/api/v1/skills': { status: 200, body: page([]) },
    });
    render(<App />);
    const totals = document.querySelector<HTMLElement>('dl[aria-label="Registry totals"]');
    expect(totals).toHaveAttribute('aria-busy', 'true');
    expect(within(totals as HTMLElement).getAllByText('Loading')).toHaveLength(3);
    expect(screen.queryByText('—')).toBeNull();
    await act(async () =>
      fail(new Response(JSON.stringify(errorEnvelope('unavailable', 'database is unavailable')), { status: 503 })),
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The registry totals could not be loaded');
    expect(alert).toHaveTextContent('database is unavailable');
    expect(document.querySelector('dl[aria-label="Registry totals"]')).toBeNull();
  });

  it('a navigation moves focus to the new page heading, announces it and marks the nav link current', async () => {
    mockFetchRoutes({ '/api/v1/skills': { status: 200, body: page([]) } });
    const user = userEvent.setup();
    render(<App />);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Submit a repository' })).not.toHaveAttribute('aria-current');
    await user.click(within(nav).getByRole('link', { name: 'Submit a repository' }));
    const heading = await screen.findByRole('heading', { level: 1, name: 'Submit a repository' });
    await vi.waitFor(() => expect(heading).toHaveFocus());
    await vi.waitFor(() =>
      expect(screen.getAllByRole('status').some((el) => el.textContent === 'Submit a repository · Skilldex')).toBe(true),
    );
    expect(within(nav).getByRole('link', { name: 'Submit a repository' })).toHaveAttribute('aria-current', 'page');

    // A page that focuses its own control (the search box) keeps it.
    await user.click(within(nav).getByRole('link', { name: 'Browse' }));
    const box = await screen.findByRole('searchbox', { name: 'Search skills' });
    await vi.waitFor(() =>
      expect(screen.getAllByRole('status').some((el) => el.textContent === 'Search · Skilldex')).toBe(true),
    );
    expect(box).toHaveFocus();
    expect(within(nav).getByRole('link', { name: 'Browse' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Submit a repository' })).not.toHaveAttribute('aria-current');
  });

  it('after opening a lazily loaded page, focus lands on its heading, not on the hidden previous page', async () => {
    const pdf = summary('pdf');
    mockFetchRoutes({
      '/api/v1/skills': { status: 200, body: page([pdf]) },
      '/api/v1/skills/anthropics/skills/pdf': {
        status: 200,
        body: { ...pdf, status: 'active', frontmatter: {}, body: '', findings: [], files: [], install: [], download_url: null, marketplaces: [], latest_version: null, repository: { html_url: null, stars: 1, license: null } },
      },
      '/api/v1/skills/anthropics/skills/pdf/versions': { status: 200, body: { items: [], next_cursor: null } },
    });
    window.history.replaceState(null, '', '/search?q=pdf');
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('link', { name: 'pdf' }));
    // The first import of the lazy chunk transforms the Markdown stack: allow it time.
    const heading = await screen.findByRole('heading', { level: 1, name: 'pdf' }, { timeout: 10_000 });
    await vi.waitFor(() => expect(heading).toHaveFocus());
    await vi.waitFor(() =>
      expect(screen.getAllByRole('status').some((el) => el.textContent === 'pdf · Skilldex')).toBe(true),
    );
  });
});
