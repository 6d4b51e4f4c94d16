/** Small building blocks shared by the pages. */
import { useEffect, useState, type ReactNode } from 'react';
import { isApiError } from '../api/client.ts';
import { skillPath } from '../api/skilldex.ts';
import type { Highlight, SkillSummary } from '../api/types.ts';
import { Link } from '../lib/router.tsx';

export function Skeleton({ lines = 3, label = 'Loading' }: { lines?: number; label?: string }) {
  return (
    <div className="skeleton" role="status" aria-label={label} aria-busy="true">
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className="skeleton__line" style={{ width: `${90 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  const message = isApiError(error) || error instanceof Error ? error.message : String(error);
  return (
    <div className="notice notice--error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
    </div>
  );
}

/** `<mark>`-highlighted text from the API, rendered as React nodes (no HTML injection). */
export function Marked({ html }: { html: string }) {
  const parts = html.split(/(<mark>|<\/mark>)/);
  const nodes: ReactNode[] = [];
  let marked = false;
  parts.forEach((part, i) => {
    if (part === '<mark>') marked = true;
    else if (part === '</mark>') marked = false;
    else if (part) {
      const text = unescape(part);
      nodes.push(marked ? <mark key={i}>{text}</mark> : text);
    }
  });
  return <>{nodes}</>;
}

function unescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en', { notation: n >= 10_000 ? 'compact' : 'standard' }).format(n);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return 'never';
  return new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

export function SkillCard({ skill }: { skill: SkillSummary }) {
  const highlight: Highlight | null = skill.highlight;
  return (
    <li className="skill-card">
      <div className="skill-card__head">
        <Link className="skill-card__name" href={skillPath(skill.owner, skill.repo, skill.name)}>
          {highlight?.name ? <Marked html={highlight.name} /> : skill.name}
        </Link>
        <span className="skill-card__repo">
          {skill.owner}/{skill.repo}
        </span>
      </div>
      <p className="skill-card__description">
        {highlight?.description ? <Marked html={highlight.description} /> : skill.description}
      </p>
      <div className="skill-card__meta">
        <span title="Repository stars">★ {formatCount(skill.stars)}</span>
        <span title="Downloads">⇩ {formatCount(skill.downloads)}</span>
        {skill.license && <span>{skill.license}</span>}
        {skill.has_errors && <span className="badge badge--error">{skill.error_count} error(s)</span>}
        {!skill.has_errors && skill.warning_count > 0 && (
          <span className="badge badge--warning">{skill.warning_count} warning(s)</span>
        )}
      </div>
    </li>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="button button--secondary button--small"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setCopied(true));
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** Loads data for the current inputs; aborts stale requests. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    load(controller.signal).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
