// Admin happy paths on the "Re-sync and yank" page: a version is yanked and restored (both
// in the audit log), and a re-sync links to its registration and shows it succeed live.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  SYNC_TIMEOUT,
  adminLogIn,
  apiGet,
  expectGone,
  expectVisible,
  launchBrowser,
  openPage,
  screenshot,
} from '../lib/harness.mjs';

const SKILL = 'obra/superpowers/brainstorming';
const REPOSITORY = 'skilldex-fixtures/hostile-markdown';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function openMaintenance(page) {
  await page.goto('/admin/maintenance');
  await adminLogIn(page);
  await expectGone(page.getByLabel(/password/i), 'the login form after logging in');
  await expectVisible(page.getByRole('heading', { name: 'Re-sync and yank' }), 'the heading "Re-sync and yank"');
}

test('an admin yanks a version and restores it, and the audit log records both', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  const skill = await apiGet(`/api/v1/skills/${SKILL}`);
  const hash = skill.latest_version?.content_hash;
  assert.ok(hash, `${SKILL} has a published version`);
  await openMaintenance(page);

  const form = page.getByRole('form', { name: 'Yank or restore a version' });
  await form.getByLabel('Skill (owner/repo/name)').fill(SKILL);
  await form.getByLabel('Version hash').fill(hash);
  await form.getByLabel('Reason').fill('e2e: yank and restore');
  await form.getByRole('button', { name: 'Yank', exact: true }).click();
  await expectVisible(page.getByRole('status').filter({ hasText: `Version ${hash.slice(0, 12)} yanked.` }), 'the yank confirmation');
  await screenshot(page, 'admin-yanked');
  await form.getByRole('button', { name: 'Unyank' }).click();
  await expectVisible(page.getByRole('status').filter({ hasText: `Version ${hash.slice(0, 12)} restored.` }), 'the unyank confirmation');
  assert.equal(await page.getByRole('alert').count(), 0, 'an action failed');

  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log' }).click();
  const log = page.getByRole('table');
  await expectVisible(log.getByText('skill_version.yank', { exact: true }), 'skill_version.yank in the audit log');
  await expectVisible(log.getByText('skill_version.unyank', { exact: true }), 'skill_version.unyank in the audit log');
});

test('a re-sync links to its registration and shows it succeed', async (t) => {
  const { page, context } = await openPage(browser);
  t.after(() => context.close());
  await openMaintenance(page);

  const form = page.getByRole('form', { name: 'Re-sync a repository' });
  await form.getByLabel('Repository (owner/repo)').fill(REPOSITORY);
  await form.getByRole('button', { name: 'Re-sync' }).click();
  const follow = await expectVisible(page.getByRole('link', { name: 'Follow the sync' }), 'the link to the re-sync registration');
  const href = await follow.getAttribute('href');
  assert.match(href ?? '', /^\/registrations\/[0-9a-f-]{36}$/);
  await expectVisible(page.locator('.registration-live').getByText('succeeded', { exact: true }), 'the live status "succeeded"', SYNC_TIMEOUT);
  await screenshot(page, 'admin-resync-succeeded');

  await follow.click();
  await page.waitForURL((url) => url.pathname === href);
  await expectVisible(page.getByRole('heading', { name: REPOSITORY }), 'the registration page of the re-sync');
});
