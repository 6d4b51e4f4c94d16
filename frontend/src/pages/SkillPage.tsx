import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { api } from '../api/skilldex.ts';
import type { FileEntry, Finding, SkillPage as Skill } from '../api/types.ts';
import { FileTree } from '../components/FileTree.tsx';
import { CopyButton, ErrorNotice, MoreButton, Skeleton, formatCount, formatDate, useLoad } from '../components/ui.tsx';
import { renderMarkdown } from '../lib/markdown.ts';
import { Link, navigate, useLocation, useTitle } from '../lib/router.tsx';
import { usePaged } from '../lib/usePaged.ts';

/** Files previewed as text, up to this size. */
const PREVIEW_BYTES = 256 * 1024;

function isText(file: FileEntry) {
  return /^text\/|json|yaml|xml|javascript|x-sh|x-python|toml/.test(file.content_type);
}

export function SkillPage({ owner, repo, name }: { owner: string; repo: string; name: string }) {
  useTitle(name);
  const skill = useLoad((signal) => api.skill(owner, repo, name, signal), [owner, repo, name]);
  if (skill.error) return <ErrorNotice error={skill.error} title="This skill could not be loaded" />;
  if (!skill.data) return <Skeleton lines={10} label="Loading the skill" />;
  return <SkillView skill={skill.data} />;
}

function SkillView({ skill }: { skill: Skill }) {
  const { pathname, search } = useLocation();
  const selected = search.get('file');
  const hash = skill.latest_version?.content_hash;
  const html = useMemo(() => {
    if (!hash) return renderMarkdown(skill.body);
    const paths = new Set(skill.files.map((f) => f.path));
    return renderMarkdown(skill.body, {
      fileUrl: (path) => api.fileUrl(skill.owner, skill.repo, skill.name, hash, path),
      fileLink: (path) => (paths.has(path) ? filePreviewHref(pathname, path) : null),
    });
  }, [skill, hash, pathname]);
  const errors = skill.findings.filter((f) => f.severity === 'error');
  const warnings = skill.findings.filter((f) => f.severity === 'warning');
  const github = githubUrl(skill);

  // Links to files of the skill (rewritten by renderMarkdown) open the preview in place.
  function onMarkdownClick(event: MouseEvent<HTMLDivElement>) {
    const link = (event.target as Element).closest('a');
    const href = link?.getAttribute('href');
    if (!link || !href?.startsWith('/') || link.target || event.button !== 0) return;
    if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href, { scroll: false });
  }

  return (
    <article className="skill-page">
      <header className="skill-page__header">
        <p className="breadcrumbs">
          <Link href={`/repositories/${encodeURIComponent(skill.owner)}/${encodeURIComponent(skill.repo)}`}>
            {skill.owner}/{skill.repo}
          </Link>
          {skill.path && <span className="muted"> · {skill.path}</span>}
        </p>
        <h1>{skill.name}</h1>
        {skill.description && <p className="skill-page__description">{skill.description}</p>}
        <div className="skill-card__meta">
          <span title="Repository stars">★ {formatCount(skill.repository.stars)}</span>
          <span title="Downloads">⇩ {formatCount(skill.downloads)}</span>
          <span>{skill.license ?? skill.repository.license ?? 'No licence given'}</span>
          {skill.status === 'removed' && <span className="badge badge--error">Removed from its repository</span>}
          {skill.latest_version && <span>Updated {formatDate(skill.latest_version.published_at)}</span>}
        </div>
        {(skill.download_url || github) && (
          <p className="skill-page__actions">
            {skill.download_url && (
              <a className="button" href={skill.download_url} download>
                Download .tar.gz
              </a>
            )}
            {github && (
              <a className="button button--secondary" href={github} rel="noopener noreferrer">
                View on GitHub
              </a>
            )}
          </p>
        )}
      </header>

      <div className="skill-page__grid">
        <div className="skill-page__main">
          {skill.findings.length > 0 && <Findings errors={errors} warnings={warnings} />}
          <section aria-labelledby="readme-title" className="card">
            <h2 id="readme-title" className="section-title">
              SKILL.md
            </h2>
            {skill.body ? (
              // Sanitized by renderMarkdown (DOMPurify): no script, handler or javascript: URL survives.
              <div className="markdown" onClick={onMarkdownClick} dangerouslySetInnerHTML={{ __html: html }} />
            ) : (
              <p className="muted">No instructions: this version could not be parsed.</p>
            )}
          </section>
        </div>
        <aside className="skill-page__side">
          <section aria-labelledby="install-title" className="card">
            <h2 id="install-title" className="section-title">
              Install
            </h2>
            {skill.install.map((cmd) => (
              <div key={cmd.label} className="install">
                <p className="install__label">{cmd.label}</p>
                <div className="install__row">
                  <code className="install__command">{cmd.command}</code>
                  <CopyButton text={cmd.command} label={`Copy the ${cmd.label} command`} />
                </div>
              </div>
            ))}
          </section>
          {hash && (
            <Files
              skill={skill}
              hash={hash}
              selected={selected}
              onSelect={(path) => navigate(filePreviewHref(pathname, path), { replace: true })}
            />
          )}
          <Versions skill={skill} />
          {skill.marketplaces.length > 0 && (
            <section aria-labelledby="plugins-title" className="card">
              <h2 id="plugins-title" className="section-title">
                In plugins
              </h2>
              <ul className="plain-list">
                {skill.marketplaces.map((m) => (
                  <li key={`${m.marketplace}/${m.plugin}`}>
                    {m.plugin} <span className="muted">in {m.marketplace}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
      </div>
    </article>
  );
}

/** The skill page showing `path` in its file preview. */
function filePreviewHref(pathname: string, path: string): string {
  return `${pathname}?file=${encodeURIComponent(path)}`;
}

/** The skill's folder on GitHub, else its repository; null without a GitHub address. */
function githubUrl(skill: Skill): string | null {
  const repository = skill.repository.html_url;
  if (!repository) return null;
  const branch = skill.repository.default_branch;
  if (!branch || !skill.path) return repository;
  const folder = skill.path.split('/').map(encodeURIComponent).join('/');
  return `${repository}/tree/${encodeURIComponent(branch)}/${folder}`;
}

function Findings({ errors, warnings }: { errors: Finding[]; warnings: Finding[] }) {
  return (
    <section aria-labelledby="findings-title" className="card">
      <h2 id="findings-title" className="section-title">
        Validation: {errors.length} error{errors.length === 1 ? '' : 's'}, {warnings.length} warning
        {warnings.length === 1 ? '' : 's'}
      </h2>
      {errors.length > 0 && (
        <p className="muted">Skills with errors are not published until their author fixes them.</p>
      )}
      <ul className="findings">
        {[...errors, ...warnings].map((f, i) => (
          <li key={i} className={`finding finding--${f.severity}`}>
            <span className={`badge badge--${f.severity}`}>{f.severity}</span> <strong>{f.message}</strong>
            <div className="muted">
              {f.file}
              {f.line ? `:${f.line}` : ''}
              {f.field ? ` · ${f.field}` : ''} · <code>{f.code}</code>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Files({
  skill,
  hash,
  selected,
  onSelect,
}: {
  skill: Skill;
  hash: string;
  selected: string | null;
  onSelect: (path: string) => void;
}) {
  const file = selected === null ? null : (skill.files.find((f) => f.path === selected) ?? null);
  const preview = useRef<HTMLDivElement>(null);
  const tree = useRef<HTMLDivElement>(null);
  // Opened from a link in SKILL.md (or a shared address): bring the preview into view.
  useEffect(() => {
    if (selected !== null && !tree.current?.contains(document.activeElement)) preview.current?.focus();
  }, [selected]);

  return (
    <section aria-labelledby="files-title" className="card">
      <h2 id="files-title" className="section-title">
        Files
      </h2>
      <div ref={tree}>
        <FileTree files={skill.files} label={`Files of ${skill.name}`} selected={selected} onSelect={onSelect} />
      </div>
      {selected !== null && (
        <div className="preview" aria-label={`Preview of ${selected}`} role="region" tabIndex={-1} ref={preview}>
          <p className="preview__title">{selected}</p>
          {file ? (
            <FilePreview key={file.path} file={file} url={api.fileUrl(skill.owner, skill.repo, skill.name, hash, file.path)} />
          ) : (
            <p className="muted">This version has no file {selected}.</p>
          )}
        </div>
      )}
    </section>
  );
}

/** The text of one file; a newer choice aborts the request of the previous one. */
function FilePreview({ file, url }: { file: FileEntry; url: string }) {
  const previewable = isText(file) && file.size <= PREVIEW_BYTES;
  const [state, setState] = useState<{ text?: string; error?: string } | null>(null);
  useEffect(() => {
    if (!previewable) return;
    const controller = new AbortController();
    fetch(url, { signal: controller.signal })
      .then(async (response) => {
        const text = response.ok ? await response.text() : null;
        if (controller.signal.aborted) return;
        setState(text !== null ? { text } : { error: `The file could not be read (${response.status}).` });
      })
      .catch(() => {
        if (!controller.signal.aborted) setState({ error: 'The file could not be read.' });
      });
    return () => controller.abort();
  }, [url, previewable]);
  if (!previewable) return <p className="muted">No preview for this file; it is in the archive.</p>;
  if (state === null) return <Skeleton lines={4} label={`Loading ${file.path}`} />;
  if (state.error) return <p className="muted">{state.error}</p>;
  return <pre className="preview__text">{state.text}</pre>;
}

function Versions({ skill }: { skill: Skill }) {
  const versions = usePaged(
    (cursor, signal) => api.versions(skill.owner, skill.repo, skill.name, cursor, signal),
    [skill.owner, skill.repo, skill.name],
  );
  return (
    <section aria-labelledby="versions-title" className="card">
      <h2 id="versions-title" className="section-title">
        Versions
      </h2>
      {versions.error ? (
        <ErrorNotice error={versions.error} />
      ) : !versions.items ? (
        <Skeleton lines={2} label="Loading versions" />
      ) : versions.items.length === 0 ? (
        <p className="muted">Never published.</p>
      ) : (
        <ul className="plain-list versions">
          {versions.items.map((v) => (
            <li key={v.content_hash}>
              <code title={v.content_hash}>{v.content_hash.slice(0, 12)}</code>{' '}
              <span className="muted">
                {formatDate(v.published_at)} · commit {v.commit_sha.slice(0, 7)} · {v.file_count} files
              </span>
              {v.yanked && <span className="badge badge--error">yanked{v.yanked_reason ? `: ${v.yanked_reason}` : ''}</span>}
            </li>
          ))}
        </ul>
      )}
      {versions.hasMore && (
        <MoreButton loading={versions.loadingMore} error={versions.moreError} onMore={versions.more} what="versions" />
      )}
    </section>
  );
}
