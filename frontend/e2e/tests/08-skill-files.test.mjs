// The skill page's files: a tree of folders, a preview of the chosen file (by mouse, by
// keyboard, by address) and relative links in SKILL.md opening the preview of their file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { expectVisible, launchBrowser, openPage, screenshot, skillHeading } from '../lib/harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('the file tree shows folders and previews the file picked with the mouse or the keyboard', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/skills/anthropics/skills/skill-creator');
  await expectVisible(skillHeading(page, 'skill-creator'), 'the skill-creator page');
  const tree = await expectVisible(page.getByRole('tree', { name: 'Files of skill-creator' }), 'the file tree');

  const agents = tree.getByRole('treeitem', { name: 'agents', exact: true });
  await expectVisible(agents, 'the folder agents/ in the tree');
  assert.equal(await agents.getAttribute('aria-expanded'), 'true');
  const grader = tree.getByRole('treeitem', { name: /^grader\.md/ });
  assert.equal(await grader.getAttribute('aria-level'), '2', 'grader.md sits inside agents/');

  await grader.locator('.file-tree__row').click();
  const preview = page.getByRole('region', { name: 'Preview of agents/grader.md' });
  await expectVisible(preview.locator('pre'), 'the preview of agents/grader.md');
  assert.match(await preview.locator('pre').innerText(), /\S/, 'the preview shows the file text');
  assert.equal(new URL(page.url()).searchParams.get('file'), 'agents/grader.md');
  // skill-creator's SKILL.md is very long: the viewport, scrolled to the preview, says enough.
  await preview.scrollIntoViewIfNeeded();
  await screenshot(page, 'skill-file-preview', { fullPage: false });

  // Keyboard: the picked file holds the tree's tab stop; ↑ reaches its neighbour, Enter opens it.
  await grader.focus();
  await page.keyboard.press('ArrowUp');
  const neighbour = await page.evaluate(() => document.activeElement?.dataset.path);
  assert.ok(neighbour?.startsWith('agents/'), `ArrowUp focused ${neighbour}`);
  await page.keyboard.press('Enter');
  await expectVisible(page.getByRole('region', { name: `Preview of ${neighbour}` }).locator('pre'), `the preview of ${neighbour}`);
  // ← twice: to the folder, then closes it.
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await agents.getAttribute('aria-expanded'), 'false', 'ArrowLeft closed agents/');
  assert.equal(await tree.getByRole('treeitem', { name: /^grader\.md/ }).count(), 0);
});

test('a relative link in SKILL.md opens the preview of that file of the skill', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/skills/obra/superpowers/requesting-code-review');
  await expectVisible(skillHeading(page, 'requesting-code-review'), 'the requesting-code-review page');

  const link = page.locator('.markdown').getByRole('link', { name: 'code-reviewer.md' }).first();
  await expectVisible(link, 'the SKILL.md link to code-reviewer.md');
  await link.click();
  await page.waitForURL((url) => url.searchParams.get('file') === 'code-reviewer.md');
  const preview = page.getByRole('region', { name: 'Preview of code-reviewer.md' });
  await expectVisible(preview.getByText('Code Reviewer Prompt Template'), 'the text of code-reviewer.md in the preview');
  assert.equal(await preview.evaluate((el) => el === document.activeElement), true, 'the preview has the focus');
  await screenshot(page, 'skill-relative-link-preview');

  // The address is shareable: a fresh load opens the same preview.
  await page.reload();
  await expectVisible(
    page.getByRole('region', { name: 'Preview of code-reviewer.md' }).getByText('Code Reviewer Prompt Template'),
    'the preview after reloading the ?file= address',
  );
});
