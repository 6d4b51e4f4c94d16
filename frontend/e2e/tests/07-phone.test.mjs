// Phone widths: every page fits 320 px (and 375 px) without scrolling sideways; home,
// search and the skill page are screenshotted at both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  PHONE_320,
  PHONE_375,
  expectVisible,
  horizontalOverflow,
  launchBrowser,
  linkTo,
  openPage,
  screenshot,
  skillHeading,
} from '../lib/harness.mjs';

/** Every page of the UI, each with something that shows it has rendered. */
const PAGES = [
  { name: 'home', path: '/', ready: (page) => linkTo(page.getByRole('main'), '/skills/') },
  { name: 'search', path: '/search?q=pdf', ready: (page) => linkTo(page.getByRole('main'), '/anthropics/skills/pdf') },
  { name: 'skill', path: '/skills/anthropics/skills/pdf', ready: (page) => skillHeading(page, 'pdf') },
  {
    name: 'skill-file',
    path: '/skills/anthropics/skills/pdf?file=reference.md',
    ready: (page) => page.getByRole('region', { name: 'Preview of reference.md' }).locator('pre'),
  },
  {
    name: 'skill-hostile',
    path: '/skills/skilldex-fixtures/hostile-markdown/markdown-xss',
    ready: (page) => page.getByRole('heading', { name: 'Attempts', exact: true }),
  },
  { name: 'repository', path: '/repositories/anthropics/skills', ready: (page) => linkTo(page.getByRole('main'), '/anthropics/skills/pdf') },
  { name: 'submit', path: '/submit', ready: (page) => page.getByRole('heading', { name: 'Submit a repository' }) },
  { name: 'admin-login', path: '/admin', ready: (page) => page.getByLabel(/password/i) },
  { name: 'not-found', path: '/no/such/page', ready: (page) => page.getByRole('heading', { name: 'Page not found' }) },
];
const SCREENSHOTS = new Set(['home', 'search', 'skill']);

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const viewport of [PHONE_320, PHONE_375]) {
  test(`every page fits a ${viewport.width} px wide phone without horizontal scrolling`, async (t) => {
    const { page, context } = await openPage(browser, { viewport, isMobile: true });
    t.after(() => context.close());
    const overflowing = [];
    for (const { name, path, ready } of PAGES) {
      await page.goto(path);
      await expectVisible(ready(page), `the ${name} page (${path}) at ${viewport.width} px`);
      // Images and fonts can still change the layout once the content shows.
      await page.waitForLoadState('load');
      const overflow = await horizontalOverflow(page);
      if (overflow.by > 0) overflowing.push(`${path}: ${overflow.by} px too wide (${overflow.culprits.join(', ')})`);
      if (SCREENSHOTS.has(name)) await screenshot(page, `phone-${viewport.width}-${name}`);
    }
    assert.deepEqual(overflowing, [], `pages scroll sideways at ${viewport.width} px`);
  });
}
