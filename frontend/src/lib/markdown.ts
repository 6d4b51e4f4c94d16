/**
 * SKILL.md rendering: `marked` turns Markdown into HTML, DOMPurify removes everything that
 * could run (script, iframes, event handlers, javascript: and data: URLs, forms, styles)
 * before React inserts it. Links open in a new tab without referrer or opener and are
 * `nofollow`; images from relative paths resolve to the version's file endpoint.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

const FORBID_TAGS = ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math'];

export function renderMarkdown(markdown: string, fileUrl?: (path: string) => string): string {
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
        node.removeAttribute('href');
      }
    }
    if (node.tagName === 'IMG') {
      const src = node.getAttribute('src') ?? '';
      if (/^https?:\/\//i.test(src)) {
        node.setAttribute('loading', 'lazy');
        node.setAttribute('referrerpolicy', 'no-referrer');
      } else if (fileUrl && src && !src.includes(':') && !src.startsWith('/')) {
        node.setAttribute('src', fileUrl(src.replace(/^\.\//, '')));
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
