// Shared pieces of the browser tests: the stack's address (scripts/e2e.sh exports it), the
// Chromium launch, screenshots, and small API helpers for arranging and checking state.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the browser tests through scripts/e2e.sh`);
  }
  return value;
}

export const BASE_URL = required('SKILLDEX_E2E_BASE_URL').replace(/\/$/, '');
export const ARTIFACTS = process.env.SKILLDEX_E2E_ARTIFACTS ?? path.resolve('test-artifacts');
export const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');
export const RESULTS = path.join(ARTIFACTS, 'results');

/** Debian's Chromium; playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.SKILLDEX_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Timeouts (ms) of single UI expectations and of the slow, worker-backed ones. */
export const UI_TIMEOUT = 10_000;
export const SYNC_TIMEOUT = 120_000;

/** A fresh Chromium (Playwright gives each launch its own temporary user-data dir). */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Phone viewports: the narrowest common one, and a current mid-size phone. */
export const PHONE_320 = { width: 320, height: 640 };
export const PHONE_375 = { width: 375, height: 740 };

/**
 * A page in a new context, with the dialogs, uncaught page errors and Content-Security-Policy
 * violations it raises recorded (dialogs are dismissed, so a stray alert() can never block a
 * test). `viewport` and `isMobile` emulate a phone.
 */
export async function openPage(browser, { colorScheme = 'light', viewport = { width: 1280, height: 900 }, isMobile = false } = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    colorScheme,
    viewport,
    isMobile,
    hasTouch: isMobile,
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  const dialogs = [];
  const pageErrors = [];
  const cspViolations = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      cspViolations.push(message.text());
    }
  });
  return { context, page, dialogs, pageErrors, cspViolations };
}

/**
 * How far the page scrolls sideways (0 when it fits the viewport), with the elements that
 * stick out past its right edge (outside scroll containers), for the failure message.
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const scrolls = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const overflow = getComputedStyle(p).overflowX;
        if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
      }
      return false;
    };
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1 && !scrolls(el)) {
        culprits.push(`<${el.tagName.toLowerCase()} class="${el.className}"> right=${Math.round(box.right)}`);
      }
      if (culprits.length >= 5) break;
    }
    return { by: Math.max(0, root.scrollWidth - width), width, culprits };
  });
}

/** Logs in on the /admin login form. */
export async function adminLogIn(page) {
  const password = process.env.SKILLDEX_E2E_ADMIN_PASSWORD;
  if (!password) throw new Error('SKILLDEX_E2E_ADMIN_PASSWORD is not set: run the tests through scripts/e2e.sh');
  await page.getByLabel(/user ?name/i).first().fill(process.env.SKILLDEX_E2E_ADMIN_USERNAME ?? 'admin');
  await page.getByLabel(/password/i).first().fill(password);
  await page.getByRole('button', { name: /log ?in/i }).first().click();
}

/** The element that has the keyboard focus, described (`tag "text"`), inside the page. */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 60)}"` : 'none';
  });
}

/**
 * Saves a screenshot as `<name>.png` and returns its path: the full page, or with
 * `{ fullPage: false }` the viewport (for very long pages).
 */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Screenshots the page as it is (light) and again with the dark colour scheme. */
export async function screenshotLightAndDark(page, name) {
  const files = [await screenshot(page, `${name}-light`)];
  await page.emulateMedia({ colorScheme: 'dark' });
  files.push(await screenshot(page, `${name}-dark`));
  await page.emulateMedia({ colorScheme: 'light' });
  return files;
}

/** The search box of a page: an `<input type=search>` or a textbox named like one. */
export function searchBox(page) {
  return page
    .getByRole('searchbox')
    .or(page.getByRole('textbox', { name: /search/i }))
    .first();
}

/** GET a JSON document from the api; throws with the status and body on a non-2xx answer. */
export async function apiGet(urlPath) {
  const response = await fetch(`${BASE_URL}${urlPath}`, { headers: { accept: 'application/json' } });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`GET ${urlPath} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text);
}

/** The address of a skill in the UI's links (`/…/{owner}/{repo}/{name}`), as a regex. */
export function skillHref(owner, repo, name) {
  return new RegExp(`/${owner}/${repo}/${name}(?:[/?#]|$)`, 'i');
}

/** Screenshots the page a failed expectation left behind, and says where it is. */
async function failureReport(locator, what) {
  const page = locator.page();
  const slug = what.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  let where = '';
  try {
    where = `; page ${new URL(page.url()).pathname}, screenshot ${await screenshot(page, `failure-${slug}`)}`;
  } catch {
    // The page is gone; the message alone must do.
  }
  return where;
}

/** Waits until `locator` is visible; the error names `what` the test was looking for. */
export async function expectVisible(locator, what, timeout = UI_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (error) {
    const where = await failureReport(locator, what);
    throw new Error(`expected ${what} to be visible within ${timeout} ms${where} (${error.message.split('\n')[0]})`);
  }
  return locator.first();
}

/** Waits until no element matches `locator`. */
export async function expectGone(locator, what, timeout = UI_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'detached', timeout });
  } catch (error) {
    const where = await failureReport(locator, what);
    throw new Error(`expected ${what} to be gone within ${timeout} ms${where} (${error.message.split('\n')[0]})`);
  }
}

/**
 * A link (by role) to a page of this site whose path contains `pathPart` (links to GitHub,
 * which share the `{owner}/{repo}/…` shape, are left out). With `{ exact: true }` the path
 * must end with `pathPart`.
 */
export function linkTo(scope, pathPart, { exact = false } = {}) {
  const op = exact ? '$=' : '*=';
  const css = [`[href^="/"][href${op}"${pathPart}"]`, `[href^="${BASE_URL}/"][href${op}"${pathPart}"]`];
  return scope.getByRole('link').and(scope.locator(css.join(', ')));
}

/**
 * Opens a skill page the way a visitor does: search from the home page, then follow the
 * result linking to `{owner}/{repo}/{name}`.
 */
export async function openSkillViaSearch(page, { query, owner, repo, name }) {
  await page.goto('/');
  const box = await expectVisible(searchBox(page), 'the search box on the home page');
  await box.fill(query);
  await box.press('Enter');
  const result = linkTo(page.getByRole('main'), `/${owner}/${repo}/${name}`);
  await expectVisible(result, `a search result linking to ${owner}/${repo}/${name} for "${query}"`);
  await result.first().click();
  await page.waitForURL((url) => url.pathname.includes(`/${owner}/${repo}/${name}`));
  await expectVisible(skillHeading(page, name), `the heading "${name}" of the skill page`);
}

/** The skill page's title: the skill's name, alone or as `owner/repo/name`. */
export function skillHeading(page, name) {
  return page.getByRole('heading', { name: new RegExp(`^(?:\\S+/)?${name}$`) });
}
