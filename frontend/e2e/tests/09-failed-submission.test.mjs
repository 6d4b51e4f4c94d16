// A submission that fails shows why: skilldex-hostile/path-traversal (built by the fake
// GitHub, test-support/src/fake_github/fixtures.rs) has an archive entry climbing out of the
// extraction folder, so its sync fails with a typed reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SYNC_TIMEOUT, apiGet, expectVisible, launchBrowser, openPage, screenshot } from '../lib/harness.mjs';

const REPOSITORY = 'skilldex-hostile/path-traversal';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a submission whose sync fails shows the reason in the live status view', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await page.goto('/submit');
  await (await expectVisible(page.getByRole('textbox', { name: /github repository/i }), 'the repository box')).fill(REPOSITORY);
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/registrations/'));

  const alert = page.getByRole('alert').filter({ hasText: 'The sync failed' });
  await expectVisible(alert, 'the "The sync failed" alert', SYNC_TIMEOUT);
  const id = new URL(page.url()).pathname.split('/').pop();
  const registration = await apiGet(`/api/v1/registrations/${id}`);
  assert.equal(registration.status, 'failed');
  assert.ok(registration.error, 'the registration records a reason');
  const shown = await alert.innerText();
  assert.ok(shown.includes(registration.error), `the alert shows the reason "${registration.error}": ${shown}`);
  await screenshot(page, 'submit-status-failed');
});
