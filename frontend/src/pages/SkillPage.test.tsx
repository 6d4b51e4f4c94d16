import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileEntry, SkillPage as Skill, Version } from '../api/types.ts';
import { jsonResponse } from '../test/fetch.ts';
import { summary } from '../test/fixtures.ts';
import { SkillPage } from './SkillPage.tsx';

const HASH = 'a'.repeat(64);
const PAGE = '/skills/anthropics/skills/pdf';

function file(path: string, extra: Partial<FileEntry> = {}): FileEntry {
  return { path, size: 120, sha256: 'b'.repeat(64), content_type: 'text/markdown', executable: false, ...extra };
}

function version(n: number): Version {
  return {
    content_hash: String(n).repeat(64),
    commit_sha: `${n}`.padStart(40, 'c'),
    published_at: '2026-11-20T12:00:00Z',
    archive_size: 1000,
    file_count: 3,
    error_count: 0,
    warning_count: 0,
    yanked: false,
    yanked_reason: null,
  };
}

function skill(extra: Partial<Skill> = {}): Skill {
  const { latest_version: _, ...base } = summary('pdf');
  return {
    ...base,
    status: 'active',
    frontmatter: {},
    body: '# PDF\n\nSee [the reference](./reference/guide.md#usage) and [outside](../other/SKILL.md).\n',
    findings: [],
    repository: {
      id: 'r',
      owner: 'anthropics',
      name: 'skills',
      full_name: 'anthropics/skills',
      description: null,
      html_url: 'https://github.com/anthropics/skills',
      default_branch: 'main',
      stars: 10,
      license: 'MIT',
      topics: [],
      archived: false,
      sync_status: 'succeeded',
      last_synced_at: null,
      last_error: null,
      last_error_kind: null,
      last_indexed_commit: null,
      skill_count: 1,
    },
    latest_version: version(1),
    files: [file('SKILL.md'), file('reference/guide.md'), file('reference/forms/fill.md'), file('scripts/run.py', { content_type: 'text/x-python', executable: true })],
    install: [{ label: 'Claude Code', command: 'skilldex install anthropics/skills/pdf' }],
    download_url: `/api/v1/skills/anthropics/skills/pdf/versions/${HASH}/download`,
    marketplaces: [],
    ...extra,
  };
}

type Handler = (url: URL, init?: RequestInit) => Promise<Response> | Response | undefined;

function stubApi(page: Skill, handle: Handler = () => undefined) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const custom = await handle(url, init);
    if (custom) return custom;
    if (url.pathname === `/api/v1${PAGE}`) return jsonResponse(200, page);
    if (url.pathname === `/api/v1${PAGE}/versions`) return jsonResponse(200, { items: [version(1)], next_cursor: null });
    const prefix = `/api/v1${PAGE}/versions/${page.latest_version?.content_hash}/files/`;
    if (url.pathname.startsWith(prefix)) return new Response(`contents of ${url.pathname.slice(prefix.length)}`);
    return jsonResponse(404, { error: { code: 'not_found', message: 'Not found' } });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

beforeEach(() => {
  window.history.replaceState(null, '', PAGE);
});

const renderPage = () => render(<SkillPage owner="anthropics" repo="skills" name="pdf" />);

describe('SkillPage', () => {
  it('links to GitHub even when the skill has no published version', async () => {
    stubApi(
      skill({
        download_url: null,
        latest_version: null,
        has_errors: true,
        error_count: 1,
        findings: [{ severity: 'error', code: 'name', message: 'name is missing', file: 'SKILL.md', line: 1, field: 'name' }],
        path: 'skills/pdf',
      }),
      (url) => (url.pathname.endsWith('/versions') ? jsonResponse(200, { items: [], next_cursor: null }) : undefined),
    );
    renderPage();
    const github = await screen.findByRole('link', { name: 'View on GitHub' });
    expect(github).toHaveAttribute('href', 'https://github.com/anthropics/skills/tree/main/skills/pdf');
    expect(screen.queryByRole('link', { name: /download/i })).toBeNull();
    expect(screen.getByText('name is missing')).toBeInTheDocument();
  });

  it('shows the files as a tree of folders, usable with the keyboard', async () => {
    stubApi(skill());
    const user = userEvent.setup();
    renderPage();
    const tree = await screen.findByRole('tree', { name: 'Files of pdf' });
    const items = () => within(tree).getAllByRole('treeitem').map((el) => el.getAttribute('aria-label'));
    // Folders first, nested: reference/ holds forms/ and guide.md.
    expect(items()).toEqual(['reference', 'forms', 'fill.md (120 B)', 'guide.md (120 B)', 'scripts', 'run.py (120 B, executable)', 'SKILL.md (120 B)']);
    const reference = within(tree).getByRole('treeitem', { name: 'reference' });
    expect(reference).toHaveAttribute('aria-expanded', 'true');
    expect(reference).toHaveAttribute('aria-level', '1');
    expect(within(tree).getByRole('treeitem', { name: /^guide\.md/ })).toHaveAttribute('aria-level', '2');

    // One tab stop; arrows move, ← closes a folder, Enter opens a file.
    await user.tab();
    while (!tree.contains(document.activeElement)) await user.tab();
    expect(reference).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(within(tree).getByRole('treeitem', { name: 'forms' })).toHaveFocus();
    await user.keyboard('{ArrowLeft}');
    expect(within(tree).getByRole('treeitem', { name: 'forms' })).toHaveAttribute('aria-expanded', 'false');
    expect(within(tree).queryByRole('treeitem', { name: /^fill\.md/ })).toBeNull();
    await user.keyboard('{ArrowLeft}');
    expect(reference).toHaveFocus();
    await user.keyboard('{End}');
    expect(within(tree).getByRole('treeitem', { name: /^SKILL\.md/ })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(await screen.findByText('contents of SKILL.md')).toBeInTheDocument();
    expect(within(tree).getByRole('treeitem', { name: /^SKILL\.md/ })).toHaveAttribute('aria-selected', 'true');
    expect(new URLSearchParams(window.location.search).get('file')).toBe('SKILL.md');
    expect(within(tree).getAllByRole('treeitem').filter((el) => el.tabIndex === 0)).toHaveLength(1);
  });

  it('the preview shows the file chosen last, aborting the slower earlier one', async () => {
    let finishSlow: (r: Response) => void = () => undefined;
    let slowSignal: AbortSignal | undefined;
    stubApi(skill(), (url, init) => {
      if (!url.pathname.endsWith('/files/reference/guide.md')) return undefined;
      slowSignal = init?.signal ?? undefined;
      return new Promise<Response>((resolve) => (finishSlow = resolve));
    });
    const user = userEvent.setup();
    renderPage();
    const tree = await screen.findByRole('tree', { name: 'Files of pdf' });
    await user.click(within(tree).getByText('guide.md'));
    expect(screen.getByRole('status', { name: 'Loading reference/guide.md' })).toBeInTheDocument();
    await user.click(within(tree).getByText('SKILL.md'));
    const preview = screen.getByRole('region', { name: 'Preview of SKILL.md' });
    expect(await within(preview).findByText('contents of SKILL.md')).toBeInTheDocument();
    expect(slowSignal?.aborted).toBe(true);
    await act(async () => finishSlow(new Response('contents of the slow guide')));
    expect(screen.queryByText('contents of the slow guide')).toBeNull();
    expect(within(preview).getByText('contents of SKILL.md')).toBeInTheDocument();
  });

  it("a relative link in SKILL.md opens that file's preview; a link out of the skill has no target", async () => {
    stubApi(skill());
    const user = userEvent.setup();
    renderPage();
    const link = await screen.findByRole('link', { name: 'the reference' });
    expect(link).toHaveAttribute('href', `${PAGE}?file=reference%2Fguide.md`);
    expect(screen.getByText('outside').closest('a')).not.toHaveAttribute('href');
    const before = window.history.length;
    await user.click(link);
    expect(window.location.pathname + window.location.search).toBe(`${PAGE}?file=reference%2Fguide.md`);
    expect(window.history.length).toBe(before + 1);
    const preview = await screen.findByRole('region', { name: 'Preview of reference/guide.md' });
    expect(await within(preview).findByText('contents of reference/guide.md')).toBeInTheDocument();
    expect(preview).toHaveFocus();
  });

  it('pages through the versions', async () => {
    const fetch = stubApi(skill(), (url) => {
      if (!url.pathname.endsWith('/versions')) return undefined;
      return url.searchParams.get('cursor') === 'next'
        ? jsonResponse(200, { items: [version(2)], next_cursor: null })
        : jsonResponse(200, { items: [version(1)], next_cursor: 'next' });
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Show more versions' }));
    const versions = screen.getByRole('region', { name: 'Versions' });
    expect(await within(versions).findByText(version(2).content_hash.slice(0, 12))).toBeInTheDocument();
    expect(within(versions).getByText(version(1).content_hash.slice(0, 12))).toBeInTheDocument();
    expect(within(versions).queryByRole('button', { name: /show more/i })).toBeNull();
    expect(fetch.mock.calls.some(([input]) => String(input).includes('cursor=next'))).toBe(true);
  });

  it('says "Copied" in a live region, and offers the command to copy by hand without a clipboard', async () => {
    stubApi(skill());
    const user = userEvent.setup();
    renderPage();
    const button = await screen.findByRole('button', { name: 'Copy the Claude Code command' });
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await user.click(button);
    expect(writeText).toHaveBeenCalledWith('skilldex install anthropics/skills/pdf');
    expect(screen.getAllByRole('status').some((el) => el.textContent === 'Copied')).toBe(true);

    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    await user.click(button);
    const manual = await screen.findByRole('textbox', { name: /press ctrl\+c/i });
    expect(manual).toHaveValue('skilldex install anthropics/skills/pdf');
    expect(manual).toHaveFocus();
  });
});
