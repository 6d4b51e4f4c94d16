/** Small building blocks shared by the pages. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
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

/**
 * Copies `text`; a live region says "Copied". Without a usable clipboard (no
 * `navigator.clipboard`, an insecure origin, a refusal) the text is shown selected in a
 * read-only box to copy by hand.
 */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  const manual = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (state === 'manual') {
      manual.current?.focus();
      manual.current?.select();
    }
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(timer);
  }, [state]);
  async function copy() {
    try {
      if (typeof navigator.clipboard?.writeText !== 'function') throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('manual');
    }
  }
  return (
    <>
      <button type="button" className="button button--secondary button--small" aria-label={label} onClick={() => void copy()}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied' ? 'Copied' : ''}
      </span>
      {state === 'manual' && (
        <label className="copy-fallback">
          <span>Copying is not available here: the command is selected, press Ctrl+C (⌘C on a Mac).</span>
          <input
            ref={manual}
            readOnly
            value={text}
            onFocus={(e) => e.currentTarget.select()}
          />
        </label>
      )}
    </>
  );
}

/** "Show more" for a paged list, with the failure of the last attempt. */
export function MoreButton({
  loading,
  error,
  onMore,
  what,
}: {
  loading: boolean;
  error: unknown;
  onMore: () => void;
  /** What the list holds, for the button's name: "versions", "audit entries". */
  what: string;
}) {
  return (
    <div className="more">
      {error != null && <ErrorNotice error={error} title={`More ${what} could not be loaded`} />}
      <button className="button button--secondary button--small" type="button" onClick={onMore} disabled={loading}>
        {loading ? 'Loading…' : error != null ? `Try again to load more ${what}` : `Show more ${what}`}
      </button>
    </div>
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
