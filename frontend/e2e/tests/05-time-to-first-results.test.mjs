// Time to first results in the browser (ttfr.mjs): from the keystroke completing a query to
// the frame showing its first result. Printed by scripts/e2e.sh; the same script measures
// any Skilldex (`node ttfr.mjs --base-url URL`).
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { BASE_URL, RESULTS, launchBrowser } from '../lib/harness.mjs';
import { describe, measureRuns } from '../ttfr.mjs';

const QUERY = 'pdf';
// Generous: a small index on loopback; the point is a figure, with a bound that still
// catches a search that waits on something it should not.
const BOUND_MS = 3_000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test(`time to first results for "${QUERY}" is measured and under ${BOUND_MS} ms`, async () => {
  const summary = await measureRuns(browser, { baseUrl: BASE_URL, query: QUERY, runs: 5, timeoutMs: 15_000 });
  const line = describe({ query: QUERY, ...summary });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'ttfr.txt'), `${line}\n`);
  assert.ok(summary.medianMs < BOUND_MS, line);
});
