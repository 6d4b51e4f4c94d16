import { describe, expect, it } from 'vitest';
import { renderMarkdown, skillRelativePath } from './markdown.ts';

const HOSTILE = `# Attempts

<script>window.__pwned = 1; alert(1)</script>

<img src=x onerror="window.__pwned=1">

[link](javascript:window.__pwned=1)

<a href="#" onclick="window.__pwned=1">an onclick link</a>

<div onmouseover="window.__pwned=1">hover me</div>

<iframe src="https://evil.example/"></iframe>

<form action="https://evil.example/"><input name=x></form>

[ok](https://example.com/docs) and ![logo](assets/logo.png) and [local](references/guide.md)

[dotted](./references/guide.md#usage) [escape](../../etc/passwd) [missing](references/nope.md) [rooted](/admin) [top](#attempts) [mail](mailto:a@example.com)

- another list item

\`\`\`python
print("<b>not html</b>")
\`\`\`
`;

const FILES = new Set(['SKILL.md', 'references/guide.md', 'assets/logo.png']);
const LINKS = {
  fileUrl: (path: string) => `/files/${path}`,
  fileLink: (path: string) => (FILES.has(path) ? `/skill?file=${encodeURIComponent(path)}` : null),
};

function parse(html: string) {
  const container = document.createElement('div');
  container.innerHTML = html;
  return container;
}

describe('renderMarkdown', () => {
  it('keeps Markdown structure and removes everything executable', () => {
    const dom = parse(renderMarkdown(HOSTILE, LINKS));
    expect(dom.querySelector('h1')?.textContent).toBe('Attempts');
    expect(dom.querySelector('li')?.textContent).toBe('another list item');
    expect(dom.querySelector('pre code')?.textContent).toContain('print("<b>not html</b>")');
    expect(dom.querySelectorAll('script, iframe, form, input, object, embed, style')).toHaveLength(0);
    for (const element of dom.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name.startsWith('on'), `${element.tagName} ${attribute.name}`).toBe(false);
        expect(attribute.value.toLowerCase()).not.toContain('javascript:');
      }
    }
    expect(window).not.toHaveProperty('__pwned');
  });

  it('opens external links safely and resolves relative images', () => {
    const dom = parse(renderMarkdown(HOSTILE, LINKS));
    const external = dom.querySelector('a[href="https://example.com/docs"]');
    expect(external?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(external?.getAttribute('target')).toBe('_blank');
    expect(dom.querySelector('img[alt="logo"]')?.getAttribute('src')).toBe('/files/assets/logo.png');
  });

  it("points relative links to files of the skill at the file preview, and drops the others' href", () => {
    const dom = parse(renderMarkdown(HOSTILE, LINKS));
    const link = (text: string) => [...dom.querySelectorAll('a')].find((a) => a.textContent === text);
    expect(link('local')?.getAttribute('href')).toBe('/skill?file=references%2Fguide.md');
    expect(link('dotted')?.getAttribute('href')).toBe('/skill?file=references%2Fguide.md');
    expect(link('local')?.hasAttribute('target')).toBe(false);
    for (const text of ['escape', 'missing', 'rooted', 'mail']) {
      expect(link(text)?.hasAttribute('href'), text).toBe(false);
    }
    expect(link('top')?.getAttribute('href')).toBe('#attempts');
  });

  it('drops relative links without a skill to point them at', () => {
    const dom = parse(renderMarkdown('[local](references/guide.md)'));
    expect(dom.querySelector('a')?.hasAttribute('href')).toBe(false);
  });

  it('resolves skill-relative paths and refuses the ones leaving the skill', () => {
    expect(skillRelativePath('references/guide.md')).toBe('references/guide.md');
    expect(skillRelativePath('./a/./b/../c.md?x=1#y')).toBe('a/c.md');
    expect(skillRelativePath('docs/my%20file.md')).toBe('docs/my file.md');
    for (const url of ['../x.md', 'a/../../x', '/etc/passwd', 'https://x.example/a', 'mailto:x', '#top', '', '%E0%A4%A']) {
      expect(skillRelativePath(url), url).toBeNull();
    }
  });

  it('drops relative images when there is no version to read them from', () => {
    const dom = parse(renderMarkdown('![x](a.png)'));
    expect(dom.querySelector('img')).toBeNull();
  });
});
