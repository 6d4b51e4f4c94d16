// The api serves the UI: deep links answer 200 with the app (and its security headers),
// a missing asset is a 404, an unknown API path keeps the JSON envelope, and the built app
// runs under its Content-Security-Policy without a violation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE_URL, expectVisible, launchBrowser, linkTo, openPage, skillHeading } from '../lib/harness.mjs';

const DEEP_LINKS = ['/skills/anthropics/skills/pdf', '/admin', '/search?q=pdf', '/repositories/anthropics/skills'];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('deep links answer 200 with the app and its security headers; missing assets 404', async () => {
  for (const path of DEEP_LINKS) {
    const response = await fetch(`${BASE_URL}${path}`);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `${path}: CSP "${csp}" lacks ${directive}`);
    }
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok(response.headers.get('referrer-policy'), `${path}: no Referrer-Policy`);
    assert.match(await response.text(), /<div id="root">/, path);
  }
  const asset = await fetch(`${BASE_URL}/assets/no-such-chunk.js`);
  assert.equal(asset.status, 404);
  const api = await fetch(`${BASE_URL}/api/v1/no-such-route`);
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code, 'not_found');
});

test('opening deep links in the browser shows their pages with no CSP violation', async (t) => {
  const { page, context, cspViolations, pageErrors } = await openPage(browser);
  t.after(() => context.close());
  const expectations = {
    '/skills/anthropics/skills/pdf': () => skillHeading(page, 'pdf'),
    '/admin': () => page.getByLabel(/password/i),
    '/search?q=pdf': () => linkTo(page.getByRole('main'), '/anthropics/skills/pdf'),
    '/repositories/anthropics/skills': () => page.getByRole('heading', { name: 'anthropics/skills' }),
  };
  for (const path of DEEP_LINKS) {
    const response = await page.goto(path);
    assert.equal(response?.status(), 200, `${path} answered ${response?.status()}`);
    await expectVisible(expectations[path](), `the page at ${path}`);
  }
  await page.waitForLoadState('load');
  // The app itself needs nothing the policy forbids.
  assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations on the app pages');
  assert.deepEqual(pageErrors, [], 'uncaught page errors');

  // On the hostile skill page the policy refuses the body's inline handlers and styles when
  // the sanitizer parses them (Chrome reports the parse; nothing runs: 02-hostile-markdown),
  // and nothing else.
  await page.goto('/skills/skilldex-fixtures/hostile-markdown/markdown-xss');
  await expectVisible(page.getByRole('heading', { name: 'Attempts', exact: true }), 'the hostile skill page');
  await page.waitForLoadState('load');
  const unexpected = cspViolations.filter((v) => !/^(Executing inline event handler|Applying inline style) violates/.test(v));
  assert.deepEqual(unexpected, [], 'Content-Security-Policy violations other than the hostile inline handlers and styles');
  assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined', 'injected script ran');
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
});
