import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, mockFetchRoutes } from '../test/fetch.ts';
import { summary } from '../test/fixtures.ts';
import { Search, SEARCH_DEBOUNCE_MS } from './Search.tsx';

function results(items: ReturnType<typeof summary>[], extra = {}) {
  return {
    items,
    next_cursor: null,
    total: items.length,
    total_exact: true,
    fuzzy: false,
    corrected_query: null,
    facets: {
      owner: [{ value: 'anthropics', count: 2 }],
      license: [{ value: 'MIT', count: 2 }],
      has_errors: [
        { value: 'false', count: 2 },
        { value: 'true', count: 0 },
      ],
    },
    ...extra,
  };
}

beforeEach(() => {
  window.history.replaceState(null, '', '/search?q=pdf');
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Search', () => {
  it('shows highlighted results and facet counts for the query in the URL', async () => {
    mockFetchRoutes({
      '/api/v1/skills': {
        status: 200,
        body: results([
          summary('pdf', {
            highlight: { name: '<mark>pdf</mark>', description: 'Work with <mark>PDF</mark> &lt;files&gt;' },
          }),
        ]),
      },
    });
    render(<Search />);
    const mark = await screen.findByText('PDF', { selector: 'mark' });
    expect(mark.parentElement?.textContent).toBe('Work with PDF <files>');
    expect(screen.getByRole('button', { name: /anthropics\s*2/ })).toBeInTheDocument();
    expect(screen.getByText('1 skill')).toBeInTheDocument();
  });

  it('follows typing after a pause, replacing the URL instead of stacking history', async () => {
    const fetch = mockFetchRoutes({ '/api/v1/skills': { status: 200, body: results([]) } });
    const user = userEvent.setup();
    render(<Search />);
    const box = screen.getByRole('searchbox', { name: 'Search skills' });
    const historyLength = window.history.length;
    await user.clear(box);
    await user.type(box, 'docx');
    // Before the pause nothing changed; after it, one search for the whole word.
    expect(new URLSearchParams(window.location.search).get('q')).toBe('pdf');
    await act(() => new Promise((r) => setTimeout(r, SEARCH_DEBOUNCE_MS + 50)));
    expect(new URLSearchParams(window.location.search).get('q')).toBe('docx');
    expect(window.history.length).toBe(historyLength);
    await screen.findByText('No skills found');
    const queries = fetch.mock.calls.map(([input]) => new URL(String(input), 'http://x').searchParams.get('q'));
    expect(queries).toEqual(['pdf', 'docx']);
  });

  it('applies a facet as a filter and says when the query was corrected', async () => {
    const fetch = mockFetchRoutes({
      '/api/v1/skills': {
        status: 200,
        body: results([summary('xlsx')], { fuzzy: true, corrected_query: 'spreadsheet' }),
      },
    });
    render(<Search />);
    expect(await screen.findByText('spreadsheet')).toBeInTheDocument();
    expect(screen.getByText(/nothing matched “pdf”/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /anthropics\s*2/ }));
    expect(new URLSearchParams(window.location.search).get('owner')).toBe('anthropics');
    await vi.waitFor(() =>
      expect(fetch.mock.calls.some(([input]) => String(input).includes('owner=anthropics'))).toBe(true),
    );
  });

  it('shows the error state when the API fails', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse(503, { error: { code: 'unavailable', message: 'database is unavailable' } })),
    );
    render(<Search />);
    expect(await screen.findByRole('alert')).toHaveTextContent('database is unavailable');
  });
});
