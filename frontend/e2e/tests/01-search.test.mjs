// Search from the home page, the skill page's rendered Markdown, and the repository page,
// on skills the worker indexed from the corpus repositories.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  expectGone,
  expectVisible,
  launchBrowser,
  linkTo,
  openPage,
  openSkillViaSearch,
  screenshotLightAndDark,
  searchBox,
  skillHeading,
} from '../lib/harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('typing in the home page search box shows matching skills, and a result opens its page', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());

  await page.goto('/');
  const box = await expectVisible(searchBox(page), 'the search box on the home page');
  await screenshotLightAndDark(page, 'home');

  const main = page.getByRole('main');
  await box.fill('debugging');
  await box.press('Enter');
  await expectVisible(
    linkTo(main, '/obra/superpowers/systematic-debugging'),
    'the result obra/superpowers/systematic-debugging for "debugging"',
  );

  // A new query replaces the results.
  await box.fill('pdf');
  await box.press('Enter');
  const pdf = await expectVisible(linkTo(main, '/anthropics/skills/pdf'), 'the result anthropics/skills/pdf for "pdf"');
  await expectGone(
    linkTo(main, '/obra/superpowers/systematic-debugging'),
    'the previous query\'s result systematic-debugging',
  );
  await screenshotLightAndDark(page, 'search-results');

  await pdf.click();
  await page.waitForURL((url) => url.pathname.includes('/anthropics/skills/pdf'));
  await expectVisible(skillHeading(page, 'pdf'), 'the heading "pdf" of the skill page');
});

test('the plugin filter narrows the results to the skills of that plugin', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());

  await page.goto('/search?q=pdf');
  const main = page.getByRole('main');
  await expectVisible(linkTo(main, '/anthropics/skills/pdf'), 'the result pdf for "pdf"');
  await expectVisible(linkTo(main, '/anthropics/skills/canvas-design'), 'the result canvas-design for "pdf"');
  // The corpus marketplace (anthropic-agent-skills) lists pdf in document-skills and
  // canvas-design in example-skills: both facets come from the real index.
  const filters = page.getByRole('complementary', { name: 'Filters' });
  await expectVisible(
    filters.getByRole('group', { name: 'Marketplace' }).getByRole('button', { name: /anthropic-agent-skills\s*2/ }),
    'the marketplace facet anthropic-agent-skills with 2 results',
  );
  await filters
    .getByRole('group', { name: 'Plugin' })
    .getByRole('button', { name: /document-skills\s*1/ })
    .click();
  await page.waitForURL((url) => url.searchParams.get('plugin') === 'document-skills');
  await expectVisible(linkTo(main, '/anthropics/skills/pdf'), 'pdf, in document-skills');
  await expectGone(linkTo(main, '/anthropics/skills/canvas-design'), 'canvas-design, in example-skills only');
});

test('the skill page renders SKILL.md as Markdown, not as source text', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await openSkillViaSearch(page, { query: 'pdf', owner: 'anthropics', repo: 'skills', name: 'pdf' });

  // Headings, a list item and a code block of anthropics/skills/skills/pdf/SKILL.md.
  for (const heading of ['PDF Processing Guide', 'Overview', 'Quick Start', 'Next Steps']) {
    await expectVisible(page.getByRole('heading', { name: heading, exact: true }), `the Markdown heading "${heading}"`);
  }
  await expectVisible(
    page.getByRole('listitem').filter({ hasText: 'For advanced pypdfium2 usage, see REFERENCE.md' }),
    'the list item "For advanced pypdfium2 usage, see REFERENCE.md"',
  );
  await expectVisible(
    page.locator('pre').filter({ hasText: 'from pypdf import PdfReader, PdfWriter' }),
    'the Python code block as <pre>',
  );
  assert.equal(
    await page.getByText('## Overview').count(),
    0,
    'Markdown source ("## Overview") is shown as text instead of being rendered',
  );
  await screenshotLightAndDark(page, 'skill-page');
});

test('the repository page lists the repository\'s skills', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await openSkillViaSearch(page, { query: 'pdf', owner: 'anthropics', repo: 'skills', name: 'pdf' });

  const repoLink = linkTo(page, '/anthropics/skills', { exact: true });
  await (await expectVisible(repoLink, 'a link from the skill page to its repository page anthropics/skills')).click();
  await page.waitForURL((url) => /\/anthropics\/skills\/?$/.test(url.pathname));

  const main = page.getByRole('main');
  await expectVisible(main.getByRole('heading', { name: /anthropics\/skills|^skills$/ }), 'the repository heading');
  for (const name of ['pdf', 'docx', 'xlsx', 'skill-creator']) {
    await expectVisible(linkTo(main, `/anthropics/skills/${name}`), `the repository's skill ${name}`);
  }
  await screenshotLightAndDark(page, 'repository-page');
});
