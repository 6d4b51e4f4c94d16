import { useMemo, useState } from 'react';
import { api } from '../api/skilldex.ts';
import type { FileEntry, Finding, SkillPage as Skill } from '../api/types.ts';
import { CopyButton, ErrorNotice, Skeleton, formatCount, formatDate, useLoad } from '../components/ui.tsx';
import { renderMarkdown } from '../lib/markdown.ts';
import { Link, useTitle } from '../lib/router.tsx';

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
  const hash = skill.latest_version?.content_hash;
  const fileUrl = (path: string) => (hash ? api.fileUrl(skill.owner, skill.repo, skill.name, hash, path) : '');
  const html = useMemo(() => renderMarkdown(skill.body, hash ? fileUrl : undefined), [skill.body, hash]);
  const errors = skill.findings.filter((f) => f.severity === 'error');
  const warnings = skill.findings.filter((f) => f.severity === 'warning');

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
        {skill.download_url && (
          <p>
            <a className="button" href={skill.download_url} download>
              Download .tar.gz
            </a>{' '}
            {skill.repository.html_url && (
              <a className="button button--secondary" href={skill.repository.html_url} rel="noopener noreferrer">
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
              <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />
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
          {hash && <Files skill={skill} hash={hash} />}
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

function Files({ skill, hash }: { skill: Skill; hash: string }) {
  const [open, setOpen] = useState<FileEntry | null>(null);
  const [preview, setPreview] = useState<{ text?: string; error?: string } | null>(null);

  async function show(file: FileEntry) {
    setOpen(file);
    if (!isText(file) || file.size > PREVIEW_BYTES) {
      setPreview({ error: 'No preview for this file; it is in the archive.' });
      return;
    }
    setPreview(null);
    try {
      const response = await fetch(api.fileUrl(skill.owner, skill.repo, skill.name, hash, file.path));
      setPreview(response.ok ? { text: await response.text() } : { error: `The file could not be read (${response.status}).` });
    } catch {
      setPreview({ error: 'The file could not be read.' });
    }
  }

  return (
    <section aria-labelledby="files-title" className="card">
      <h2 id="files-title" className="section-title">
        Files
      </h2>
      <ul className="file-tree">
        {skill.files.map((file) => (
          <li key={file.path} style={{ paddingLeft: `${(file.path.split('/').length - 1) * 0.9}rem` }}>
            <button
              type="button"
              className="link-button"
              aria-pressed={open?.path === file.path}
              onClick={() => void show(file)}
            >
              {file.path.split('/').pop()}
            </button>
            <span className="muted"> {formatCount(file.size)} B{file.executable ? ' · executable' : ''}</span>
          </li>
        ))}
      </ul>
      {open && (
        <div className="preview" aria-label={`Preview of ${open.path}`} role="region">
          <p className="preview__title">{open.path}</p>
          {preview === null ? (
            <Skeleton lines={4} label="Loading the file" />
          ) : preview.error ? (
            <p className="muted">{preview.error}</p>
          ) : (
            <pre className="preview__text">{preview.text}</pre>
          )}
        </div>
      )}
    </section>
  );
}

function Versions({ skill }: { skill: Skill }) {
  const versions = useLoad(
    (signal) => api.versions(skill.owner, skill.repo, skill.name, signal),
    [skill.owner, skill.repo, skill.name],
  );
  return (
    <section aria-labelledby="versions-title" className="card">
      <h2 id="versions-title" className="section-title">
        Versions
      </h2>
      {versions.error ? (
        <ErrorNotice error={versions.error} />
      ) : !versions.data ? (
        <Skeleton lines={2} label="Loading versions" />
      ) : versions.data.items.length === 0 ? (
        <p className="muted">Never published.</p>
      ) : (
        <ul className="plain-list versions">
          {versions.data.items.map((v) => (
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
    </section>
  );
}
