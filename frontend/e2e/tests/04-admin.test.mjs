// The admin pages are behind a login: /admin shows the login form until the right password
// is given, a wrong one shows an error, the right one opens discovery sources, the
// blacklist and the audit log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { expectGone, expectVisible, launchBrowser, openPage, screenshot } from '../lib/harness.mjs';

const USERNAME = process.env.SKILLDEX_E2E_ADMIN_USERNAME ?? 'admin';
const PASSWORD = process.env.SKILLDEX_E2E_ADMIN_PASSWORD;
const ADMIN_PAGES = [/discovery sources/i, /blacklist/i, /audit log/i];

let browser;
before(async () => {
  assert.ok(PASSWORD, 'SKILLDEX_E2E_ADMIN_PASSWORD is not set: run the tests through scripts/e2e.sh');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function logIn(page, password) {
  await page.getByLabel(/user ?name/i).first().fill(USERNAME);
  await page.getByLabel(/password/i).first().fill(password);
  await page.getByRole('button', { name: /log ?in|sign ?in/i }).first().click();
}

test('/admin asks for a login, refuses a wrong password, and opens the admin pages with the right one', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());

  await page.goto('/admin');
  await expectVisible(page.getByLabel(/password/i), 'the password field of the login form at /admin');
  for (const name of ADMIN_PAGES) {
    assert.equal(await page.getByRole('heading', { name }).count(), 0, `${name} is shown before logging in`);
  }
  await screenshot(page, 'admin-login');

  await logIn(page, `${PASSWORD}-wrong`);
  await expectVisible(
    page.getByRole('alert').filter({ hasText: /\S/ }).or(page.getByText(/invalid|incorrect|wrong|unauthori[sz]ed/i)),
    'an error message for the wrong password',
  );
  await expectVisible(page.getByLabel(/password/i), 'the login form still shown after the wrong password');
  await screenshot(page, 'admin-login-wrong-password');

  await logIn(page, PASSWORD);
  await expectGone(page.getByLabel(/password/i), 'the login form after the right password');
  for (const [i, name] of ADMIN_PAGES.entries()) {
    const nav = page.getByRole('link', { name }).or(page.getByRole('tab', { name }));
    await (await expectVisible(nav, `a link or tab to ${name}`)).click();
    await expectVisible(page.getByRole('heading', { name }), `the heading ${name}`);
    await screenshot(page, `admin-${['discovery-sources', 'blacklist', 'audit-log'][i]}`);
  }
});
