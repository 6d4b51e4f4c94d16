// The search page searches as you type (no Enter), keeps one history entry per settled
// query so back/forward step between searches, and works from the keyboard alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  expectGone,
  expectVisible,
  focused,
  launchBrowser,
  linkTo,
  openPage,
  screenshot,
  searchBox,
  skillHeading,
} from '../lib/harness.mjs';

const DEBUGGING = '/obra/superpowers/systematic-debugging';
const PDF = '/anthropics/skills/pdf';
/** A little over the UI's SEARCH_SETTLE_MS (1 s): the query has settled into its own entry. */
const SETTLE_MS = 1_200;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const query = (page) => new URL(page.url()).searchParams.get('q');

async function waitForQuery(page, q) {
  await page.waitForURL((url) => url.searchParams.get('q') === q);
}

test('typing in the search box shows results without pressing Enter', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/search');
  const box = await expectVisible(searchBox(page), 'the search box on /search');
  const main = page.getByRole('main');

  // Key by key, like a visitor; no Enter anywhere in this test.
  await box.pressSequentially('debugging', { delay: 30 });
  await expectVisible(linkTo(main, DEBUGGING), `the result ${DEBUGGING} while typing "debugging"`);
  await waitForQuery(page, 'debugging');
  await screenshot(page, 'search-as-you-type');
});

test('back and forward step between two typed searches and restore their results', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/search');
  const box = await expectVisible(searchBox(page), 'the search box on /search');
  const main = page.getByRole('main');

  await box.pressSequentially('debugging', { delay: 30 });
  await expectVisible(linkTo(main, DEBUGGING), `the result ${DEBUGGING} for "debugging"`);
  await waitForQuery(page, 'debugging');
  await page.waitForTimeout(SETTLE_MS);

  await box.fill('');
  await box.pressSequentially('pdf', { delay: 30 });
  await expectVisible(linkTo(main, PDF), `the result ${PDF} for "pdf"`);
  await waitForQuery(page, 'pdf');

  await page.goBack();
  await waitForQuery(page, 'debugging');
  await expectVisible(linkTo(main, DEBUGGING), `the result ${DEBUGGING} again after going back`);
  await expectGone(linkTo(main, PDF), 'the "pdf" results after going back');
  assert.equal(await box.inputValue(), 'debugging', 'the box shows the query of the entry gone back to');
  await screenshot(page, 'search-history-back');

  await page.goForward();
  await waitForQuery(page, 'pdf');
  await expectVisible(linkTo(main, PDF), `the result ${PDF} again after going forward`);
  assert.equal(await box.inputValue(), 'pdf');

  // Back from the first search leaves the search page's history: /search without a query.
  await page.goBack();
  await waitForQuery(page, 'debugging');
  await page.goBack();
  await page.waitForURL((url) => url.pathname === '/search' && !url.searchParams.get('q'));
  assert.equal(query(page), null);
});

test('keyboard only: Tab to the search box, type, arrow into a result and open it', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/');
  await expectVisible(searchBox(page), 'the search box on the home page');
  // Start from the top of the document: a click on the page's top-left corner (no control
  // there) moves the focus and the sequential navigation starting point off the autofocused box.
  await page.mouse.click(2, 2);
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true, `focus is on ${await focused(page)}`);

  let presses = 0;
  while (!(await searchBox(page).evaluate((el) => el === document.activeElement))) {
    assert.ok(++presses <= 15, `the search box was not reached with Tab (focus on ${await focused(page)})`);
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type('pdf', { delay: 30 });
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === 'pdf');
  const main = page.getByRole('main');
  await expectVisible(linkTo(main, PDF), `the result ${PDF} for "pdf"`);

  // The search page keeps the focus in its box; the down arrow moves into the results.
  await page.waitForFunction(() => document.activeElement?.getAttribute('type') === 'search');
  await page.keyboard.press('ArrowDown');
  const first = await page.evaluate(() => document.activeElement?.getAttribute('href') ?? '');
  assert.match(first, /^\/skills\//, `the down arrow focused ${await focused(page)}, not a result`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), first, 'the up arrow went back');
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === first);
  const name = decodeURIComponent(first.split('/').pop());
  const heading = await expectVisible(skillHeading(page, name), `the heading "${name}" of the opened skill`);
  // After the navigation the focus is on the new page's heading.
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  assert.equal(await heading.evaluate((el) => el === document.activeElement), true);
  await screenshot(page, 'keyboard-opened-skill');
});
