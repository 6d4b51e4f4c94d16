// The skill skilldex-fixtures/hostile-markdown/markdown-xss is valid, so it publishes, but its
// SKILL.md body carries <script>, an onerror handler, a javascript: link, an <iframe> and
// more (test-support/fixtures/repos/skilldex-fixtures/hostile-markdown). Its page must show
// the Markdown and run none of it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  apiGet,
  expectVisible,
  launchBrowser,
  openPage,
  openSkillViaSearch,
  screenshot,
} from '../lib/harness.mjs';

const SKILL = { owner: 'skilldex-fixtures', repo: 'hostile-markdown', name: 'markdown-xss' };

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Everything script-capable inside `root` (the rendered Markdown) and, for event-handler
 * attributes and javascript: URLs, in the whole page: React never renders either.
 */
function findActiveContent(root) {
  const isJsUrl = (value) => /^javascript:/i.test((value ?? '').replace(/[\u0000-\u0020]/g, ''));
  const describe = (el) => el.outerHTML.slice(0, 160);
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'];
  const problems = [];
  for (const el of root.querySelectorAll('script, iframe, frame, object, embed')) {
    problems.push(`<${el.tagName.toLowerCase()}> in the rendered Markdown: ${describe(el)}`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push(`event handler attribute ${attr.name}: ${describe(el)}`);
      if (urlAttributes.includes(attr.name.toLowerCase()) && isJsUrl(attr.value)) {
        problems.push(`javascript: URL in ${attr.name}: ${describe(el)}`);
      }
    }
  }
  for (const el of document.querySelectorAll('script')) {
    if ((el.textContent ?? '').includes('__pwned')) problems.push(`injected <script> in the page: ${describe(el)}`);
  }
  return problems;
}

test('the hostile fixture skill published without error findings', async () => {
  const skill = await apiGet(`/api/v1/skills/${SKILL.owner}/${SKILL.repo}/${SKILL.name}`);
  assert.equal(skill.status, 'active');
  assert.equal(skill.error_count, 0, `findings: ${JSON.stringify(skill.findings)}`);
  assert.match(skill.body, /<script>window\.__pwned=1;alert\(1\)<\/script>/, 'the body reaches the UI unchanged');
});

test('the hostile skill page renders its Markdown and executes none of the injected script', async (t) => {
  const { page, context, dialogs, pageErrors } = await openPage(browser);
  t.after(() => context.close());
  await openSkillViaSearch(page, { query: 'markdown-xss', ...SKILL });

  // The harmless parts render, so the checks below look at real rendered Markdown.
  const attempts = await expectVisible(page.getByRole('heading', { name: 'Attempts', exact: true }), 'the heading "Attempts"');
  await expectVisible(page.getByRole('listitem').filter({ hasText: 'another list item' }), 'the list item "another list item"');
  await expectVisible(page.getByText('End of the probe.'), 'the closing paragraph "End of the probe."');
  // The rendered Markdown: the element holding the body's headings.
  const body = attempts.locator('xpath=..');
  const markdown = await body.elementHandle();

  // Every problem at once, so one run tells the whole story.
  const check = async (when) => {
    const problems = [
      ...dialogs.map((d) => `dialog opened: ${d}`),
      ...(await markdown.evaluate(findActiveContent)),
      ...pageErrors.map((e) => `uncaught page error: ${e}`),
    ];
    const pwned = await page.evaluate(() => typeof window.__pwned);
    if (pwned !== 'undefined') problems.unshift(`window.__pwned was set (${pwned}): injected script ran`);
    assert.deepEqual(problems, [], `the hostile Markdown is not neutralised ${when}`);
  };
  await check('after the page loaded');
  await screenshot(page, 'hostile-skill-page');

  // The javascript: link, the onclick link and the onmouseover block, if they survived as text.
  const link = body.getByText('link', { exact: true });
  if (await link.count()) await link.first().click();
  const onclick = body.getByText('an onclick link', { exact: true });
  if (await onclick.count()) await onclick.first().click();
  const hover = body.getByText('hover me', { exact: true });
  if (await hover.count()) await hover.first().hover();
  // No event signals "nothing ran"; give a javascript: navigation or handler time to fire.
  await page.waitForTimeout(500);
  assert.match(page.url(), /\/skilldex-fixtures\/hostile-markdown\/markdown-xss/, 'the page navigated away');
  await check('after clicking the links');
});
