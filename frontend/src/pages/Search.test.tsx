import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, mockFetchRoutes } from '../test/fetch.ts';
import { summary } from '../test/fixtures.ts';
import { Search, SEARCH_DEBOUNCE_MS, SEARCH_SETTLE_MS, clearSearchCache } from './Search.tsx';

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
      marketplace: [],
      plugin: [],
    },
    ...extra,
  };
}

beforeEach(() => {
  window.history.replaceState(null, '', '/search?q=pdf');
  clearSearchCache();
});

const pause = (ms: number) => act(() => new Promise((r) => setTimeout(r, ms)));
const urlQuery = () => new URLSearchParams(window.location.search).get('q');
const queried = (fetch: { mock: { calls: unknown[][] } }) =>
  fetch.mock.calls.map(([input]) => new URL(String(input), 'http://x').searchParams);

/** Answers each search with one result named after its query (and cursor). */
function searchByQuery(handle?: (params: URLSearchParams) => Promise<Response> | undefined) {
  const fetch = vi.fn(async (input: RequestInfo | URL, _init?: RequestInit) => {
    const params = new URL(String(input), 'http://x').searchParams;
    const custom = handle?.(params);
    if (custom) return custom;
    const q = params.get('q') ?? 'all';
    return jsonResponse(200, results([summary(params.get('cursor') ? `${q}-more` : `${q}-skill`)]));
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}
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

  it('searches as you type after a pause, one history entry per settled query', async () => {
    // The settle window is measured with Date.now(): a clock this test moves itself.
    let clock = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const fetch = searchByQuery();
    const user = userEvent.setup();
    render(<Search />);
    await screen.findByRole('link', { name: 'pdf-skill' });
    const box = screen.getByRole('searchbox', { name: 'Search skills' });
    const historyLength = window.history.length;

    await user.clear(box);
    await user.type(box, 'docx');
    // Before the pause nothing changed; after it, one search for the whole word and one entry.
    expect(urlQuery()).toBe('pdf');
    await pause(SEARCH_DEBOUNCE_MS + 50);
    expect(urlQuery()).toBe('docx');
    expect(window.history.length).toBe(historyLength + 1);
    await screen.findByRole('link', { name: 'docx-skill' });

    // Still changing (before it settled): the same entry is replaced.
    await user.type(box, '2');
    await pause(SEARCH_DEBOUNCE_MS + 50);
    expect(urlQuery()).toBe('docx2');
    expect(window.history.length).toBe(historyLength + 1);
    await screen.findByRole('link', { name: 'docx2-skill' });

    // Once settled, the next query gets its own entry.
    clock += SEARCH_SETTLE_MS;
    await user.clear(box);
    await user.type(box, 'xlsx');
    await pause(SEARCH_DEBOUNCE_MS + 50);
    expect(urlQuery()).toBe('xlsx');
    expect(window.history.length).toBe(historyLength + 2);
    await screen.findByRole('link', { name: 'xlsx-skill' });
    expect(queried(fetch).map((p) => p.get('q'))).toEqual(['pdf', 'docx', 'docx2', 'xlsx']);
  });

  it('back and forward restore the query, the filters and the results', async () => {
    const fetch = searchByQuery();
    const user = userEvent.setup();
    window.history.replaceState(null, '', '/search?q=pdf&has_errors=false');
    render(<Search />);
    await screen.findByRole('link', { name: 'pdf-skill' });
    const box = screen.getByRole('searchbox', { name: 'Search skills' });
    await user.clear(box);
    await user.type(box, 'docx');
    await pause(SEARCH_DEBOUNCE_MS + 50);
    await screen.findByRole('link', { name: 'docx-skill' });
    expect(window.location.search).toBe('?q=docx&has_errors=false');

    await act(async () => {
      window.history.back();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
    });
    expect(urlQuery()).toBe('pdf');
    expect(box).toHaveValue('pdf');
    expect(screen.getByRole('radio', { name: /valid only/i })).toBeChecked();
    // The remembered results show at once, without asking again.
    expect(screen.getByRole('link', { name: 'pdf-skill' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'docx-skill' })).toBeNull();

    await act(async () => {
      window.history.forward();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
    });
    expect(box).toHaveValue('docx');
    expect(screen.getByRole('link', { name: 'docx-skill' })).toBeInTheDocument();
    expect(queried(fetch).map((p) => p.get('q'))).toEqual(['pdf', 'docx']);
    expect(queried(fetch).every((p) => p.get('has_errors') === 'false')).toBe(true);
  });

  it('a page still loading when the query changes is dropped, not appended', async () => {
    let finishStale: (r: Response) => void = () => undefined;
    const fetch = searchByQuery((params) => {
      if (params.get('cursor')) return new Promise<Response>((resolve) => (finishStale = resolve));
      const q = params.get('q') ?? '';
      return Promise.resolve(jsonResponse(200, results([summary(`${q}-skill`)], { next_cursor: `after-${q}` })));
    });
    const user = userEvent.setup();
    render(<Search />);
    await screen.findByRole('link', { name: 'pdf-skill' });
    await user.click(screen.getByRole('button', { name: 'Show more' }));
    expect(screen.getByRole('button', { name: 'Loading…' })).toBeDisabled();

    const box = screen.getByRole('searchbox', { name: 'Search skills' });
    await user.clear(box);
    await user.type(box, 'docx');
    await pause(SEARCH_DEBOUNCE_MS + 50);
    await screen.findByRole('link', { name: 'docx-skill' });
    const stale = fetch.mock.calls.find(([input]) => String(input).includes('cursor='));
    expect((stale?.[1] as RequestInit | undefined)?.signal?.aborted).toBe(true);
    await act(async () => finishStale(jsonResponse(200, results([summary('pdf-more')]))));
    expect(screen.queryByRole('link', { name: 'pdf-more' })).toBeNull();
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Show more' })).toBeEnabled();
  });

  it('a failed "Show more" keeps the list, says why and tries again', async () => {
    let fail = true;
    searchByQuery((params) => {
      if (params.get('cursor') && fail)
        return Promise.resolve(jsonResponse(503, { error: { code: 'unavailable', message: 'database is unavailable' } }));
      if (params.get('cursor')) return Promise.resolve(jsonResponse(200, results([summary('pdf-more')])));
      return Promise.resolve(jsonResponse(200, results([summary('pdf-skill')], { next_cursor: 'c1' })));
    });
    const user = userEvent.setup();
    render(<Search />);
    await screen.findByRole('link', { name: 'pdf-skill' });
    await user.click(screen.getByRole('button', { name: 'Show more' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('database is unavailable');
    expect(screen.getByRole('link', { name: 'pdf-skill' })).toBeInTheDocument();

    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('link', { name: 'pdf-more' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'pdf-skill' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('button', { name: /show more|try again/i })).toBeNull();
  });

  it('the down arrow moves from the box into the results and back up', async () => {
    searchByQuery(() => Promise.resolve(jsonResponse(200, results([summary('pdf'), summary('docx')]))));
    const user = userEvent.setup();
    render(<Search />);
    await screen.findByRole('link', { name: 'pdf' });
    const box = screen.getByRole('searchbox', { name: 'Search skills' });
    expect(box).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole('link', { name: 'pdf' })).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole('link', { name: 'docx' })).toHaveFocus();
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(box).toHaveFocus();
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

  it('offers marketplace and plugin filters only where the results have them', async () => {
    const fetch = mockFetchRoutes({
      '/api/v1/skills': {
        status: 200,
        body: results([summary('pdf')], {
          facets: {
            ...results([]).facets,
            marketplace: [{ value: 'anthropic-agent-skills', count: 3 }],
            plugin: [{ value: 'document-skills', count: 2 }],
          },
        }),
      },
    });
    render(<Search />);
    const filters = await screen.findByRole('complementary', { name: 'Filters' });
    expect(await within(filters).findByRole('group', { name: 'Marketplace' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /document-skills\s*2/ }));
    expect(new URLSearchParams(window.location.search).get('plugin')).toBe('document-skills');
    await vi.waitFor(() =>
      expect(fetch.mock.calls.some(([input]) => String(input).includes('plugin=document-skills'))).toBe(true),
    );
    // The active filter shows as a chip that removes it.
    await userEvent.click(await screen.findByRole('button', { name: /document-skills.*remove filter/ }));
    expect(new URLSearchParams(window.location.search).get('plugin')).toBeNull();
  });

  it('leaves out marketplace and plugin filters when no result is in one', async () => {
    mockFetchRoutes({ '/api/v1/skills': { status: 200, body: results([summary('pdf')]) } });
    render(<Search />);
    const filters = await screen.findByRole('complementary', { name: 'Filters' });
    await screen.findByRole('link', { name: 'pdf' });
    expect(within(filters).getByRole('group', { name: 'Owner' })).toBeInTheDocument();
    expect(within(filters).queryByRole('group', { name: 'Marketplace' })).toBeNull();
    expect(within(filters).queryByRole('group', { name: 'Plugin' })).toBeNull();
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
