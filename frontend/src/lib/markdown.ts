/**
 * SKILL.md rendering: `marked` turns Markdown into HTML, DOMPurify removes everything that
 * could run (script, iframes, event handlers, javascript: and data: URLs, forms, styles)
 * before React inserts it. External links open in a new tab without referrer or opener and
 * are `nofollow`. Relative paths are files of the skill (SKILL.md sits at its root): images
 * resolve to the version's file endpoint, links to the skill page's preview of that file.
 * Relative links to anything else (a folder, a missing file, outside the skill) lose their
 * `href`.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

const FORBID_TAGS = ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math'];

export interface SkillLinks {
  /** The raw bytes of a file of the version (for images). */
  fileUrl?: (path: string) => string;
  /** The in-app address previewing a file of the skill, or null when it has no such file. */
  fileLink?: (path: string) => string | null;
}

/**
 * The skill-relative path a relative URL names (`./a/b.md#x` → `a/b.md`), or null for
 * absolute URLs, site-absolute paths and paths climbing out of the skill.
 */
export function skillRelativePath(url: string): string | null {
  if (!url || url.startsWith('/') || url.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(url)) return null;
  const bare = url.replace(/[?#].*$/, '');
  const parts: string[] = [];
  for (const raw of bare.split('/')) {
    let part: string;
    try {
      part = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length ? parts.join('/') : null;
}

export function renderMarkdown(markdown: string, links: SkillLinks = {}): string {
  const html = marked.parse(markdown, { async: false, gfm: true }) as string;
  const purifier = DOMPurify();
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (/^https?:\/\//i.test(href)) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      } else if (!href.startsWith('#')) {
        // Relative links point into the skill's files, not into this site.
        const path = skillRelativePath(href);
        const target = path && links.fileLink ? links.fileLink(path) : null;
        if (target) node.setAttribute('href', target);
        else node.removeAttribute('href');
      }
    }
    if (node.tagName === 'IMG') {
      const src = node.getAttribute('src') ?? '';
      const path = skillRelativePath(src);
      if (/^https?:\/\//i.test(src)) {
        node.setAttribute('loading', 'lazy');
        node.setAttribute('referrerpolicy', 'no-referrer');
      } else if (links.fileUrl && path) {
        node.setAttribute('src', links.fileUrl(path));
      } else {
        node.remove();
      }
    }
  });
  return purifier.sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR: ['style', 'srcset'],
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|#|[^:]*$)/i,
  });
}
