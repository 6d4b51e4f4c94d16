import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.ts';

const HOSTILE = `# Attempts

<script>window.__pwned = 1; alert(1)</script>

<img src=x onerror="window.__pwned=1">

[link](javascript:window.__pwned=1)

<a href="#" onclick="window.__pwned=1">an onclick link</a>

<div onmouseover="window.__pwned=1">hover me</div>

<iframe src="https://evil.example/"></iframe>

<form action="https://evil.example/"><input name=x></form>

[ok](https://example.com/docs) and ![logo](assets/logo.png) and [local](references/guide.md)

- another list item

\`\`\`python
print("<b>not html</b>")
\`\`\`
`;

function parse(html: string) {
  const container = document.createElement('div');
  container.innerHTML = html;
  return container;
}

describe('renderMarkdown', () => {
  it('keeps Markdown structure and removes everything executable', () => {
    const dom = parse(renderMarkdown(HOSTILE, (path) => `/files/${path}`));
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

  it('opens external links safely, resolves relative images and drops relative links', () => {
    const dom = parse(renderMarkdown(HOSTILE, (path) => `/files/${path}`));
    const external = dom.querySelector('a[href="https://example.com/docs"]');
    expect(external?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(external?.getAttribute('target')).toBe('_blank');
    expect(dom.querySelector('img[alt="logo"]')?.getAttribute('src')).toBe('/files/assets/logo.png');
    const local = [...dom.querySelectorAll('a')].find((a) => a.textContent === 'local');
    expect(local?.hasAttribute('href')).toBe(false);
  });

  it('drops relative images when there is no version to read them from', () => {
    const dom = parse(renderMarkdown('![x](a.png)'));
    expect(dom.querySelector('img')).toBeNull();
  });
});
