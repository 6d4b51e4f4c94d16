// Submitting a repository from the Submit page: the live status view follows the sync the
// worker runs and ends on success with links to the new skills. The repository,
// skilldex-fixtures/mixed-skills, is not seeded, so this registration is the first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  SYNC_TIMEOUT,
  apiGet,
  expectVisible,
  launchBrowser,
  linkTo,
  openPage,
  screenshot,
  screenshotLightAndDark,
  skillHeading,
} from '../lib/harness.mjs';

const REPOSITORY = 'skilldex-fixtures/mixed-skills';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a repository submitted on the Submit page reaches success in the live status view', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());

  // Not indexed yet: the registration below is what creates it.
  const before = await fetch(`${process.env.SKILLDEX_E2E_BASE_URL}/api/v1/repositories/${REPOSITORY}`);
  assert.equal(before.status, 404, `${REPOSITORY} must not be registered before this test`);

  await page.goto('/');
  await (await expectVisible(page.getByRole('link', { name: /submit|add (a )?repo/i }), 'a "Submit" link on the home page')).click();
  const input = await expectVisible(
    page.getByRole('textbox', { name: /repository|github/i }),
    'a repository text box on the Submit page',
  );
  await input.fill(REPOSITORY);
  await screenshotLightAndDark(page, 'submit');
  await page.getByRole('button', { name: /submit|register|add|index/i }).click();

  await expectVisible(page.getByText(/succeeded/i), 'the status "succeeded" in the live status view', SYNC_TIMEOUT);
  const main = page.getByRole('main');
  await expectVisible(linkTo(main, `/${REPOSITORY}/hello-world`), 'a link to the new skill hello-world');
  await expectVisible(linkTo(main, `/${REPOSITORY}/local-helper`), 'a link to the new skill local-helper');
  await screenshot(page, 'submit-status-succeeded');

  const registered = await apiGet(`/api/v1/repositories/${REPOSITORY}`);
  assert.equal(registered.sync_status, 'succeeded');

  await linkTo(main, `/${REPOSITORY}/hello-world`).first().click();
  await page.waitForURL((url) => url.pathname.includes(`/${REPOSITORY}/hello-world`));
  await expectVisible(skillHeading(page, 'hello-world'), 'the heading of the new skill\'s page');
});
