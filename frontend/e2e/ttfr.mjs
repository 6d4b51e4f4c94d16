// Time to first results, measured in the browser: from the keystroke that completes a query
// in the search box to the first animation frame that shows a matching result.
//
// Reusable against any Skilldex (the lead runs it against a 100k-skill index):
//
//   node ttfr.mjs --base-url http://127.0.0.1:8080 [--query pdf] [--runs 5] [--path /]
//                 [--no-submit] [--chromium /usr/bin/chromium]
//
// Each run loads the page in a fresh browser context, types the query (then presses Enter
// unless --no-submit), and waits for a link in the page's main content whose text contains
// a query word and that is new since typing began (or, if the same link was already shown,
// once the api answered GET /api/v1/skills?q=<query>). Prints every run and the median.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Runs in the page before its own scripts: watches input events, the DOM and fetches. */
function installProbe() {
  const probe = {
    query: null,
    start: null,
    found: null,
    painted: null,
    before: new WeakMap(),
    responseSeen: false,
  };
  window.__skilldexTtfr = probe;

  const words = () =>
    probe.query
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w.length >= 2);

  // Search results of the main content (a skill card, whose name or description names a
  // word; a description match shows no word in the link) or, on pages without cards, links.
  const matchingResults = () => {
    const root = document.querySelector('main') ?? document.body;
    const wanted = words();
    const cards = [...root.querySelectorAll('.skill-card')];
    const candidates = cards.length > 0 ? cards : [...root.querySelectorAll('a[href]')];
    return candidates.filter((a) => {
      if (a.closest('nav, header, form, [role="search"]')) return false;
      const text = (a.textContent ?? '').toLowerCase();
      return wanted.some((w) => text.includes(w));
    });
  };

  const check = () => {
    if (probe.start === null || probe.found !== null) return;
    const shown = matchingResults().some((a) => {
      const earlier = probe.before.get(a);
      return earlier === undefined || earlier !== a.innerHTML || probe.responseSeen;
    });
    if (!shown) return;
    probe.found = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => (probe.painted = performance.now())));
  };

  probe.arm = (query) => {
    probe.query = query;
    for (const a of matchingResults()) probe.before.set(a, a.innerHTML);
  };

  document.addEventListener(
    'input',
    (event) => {
      if (probe.query === null || probe.found !== null) return;
      const value = (event.target?.value ?? '').trim().toLowerCase();
      if (value === probe.query.trim().toLowerCase()) probe.start = performance.now();
    },
    true,
  );

  new PerformanceObserver((list) => {
    if (probe.query === null) return;
    for (const entry of list.getEntries()) {
      const url = new URL(entry.name, location.href);
      const q = (url.searchParams.get('q') ?? '').trim().toLowerCase();
      if (url.pathname === '/api/v1/skills' && q === probe.query.trim().toLowerCase()) {
        probe.responseSeen = true;
        check();
      }
    }
  }).observe({ type: 'resource', buffered: false });

  const startObserving = () =>
    new MutationObserver(check).observe(document.documentElement, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  if (document.documentElement) startObserving();
  else document.addEventListener('readystatechange', startObserving, { once: true });
}

/**
 * Measures one run on an open page (a fresh context is best). Returns milliseconds from the
 * completing keystroke to the frame showing the first matching result (`ms`), and to the
 * DOM change that added it (`domMs`).
 */
export async function measureTimeToFirstResults(
  page,
  { baseUrl, query = 'pdf', path = '/', submit = true, timeoutMs = 30_000 },
) {
  await page.addInitScript(installProbe);
  await page.goto(new URL(path, baseUrl).href, { waitUntil: 'load' });
  const box = page
    .getByRole('searchbox')
    .or(page.getByRole('textbox', { name: /search/i }))
    .first();
  await box.waitFor({ state: 'visible', timeout: timeoutMs });
  await box.click();
  await box.fill('');
  await page.evaluate((q) => window.__skilldexTtfr.arm(q), query);
  await box.pressSequentially(query);
  if (submit) await box.press('Enter');
  try {
    await page.waitForFunction(() => window.__skilldexTtfr.painted !== null, null, { timeout: timeoutMs });
  } catch (error) {
    const state = await page.evaluate(() => ({
      started: window.__skilldexTtfr.start !== null,
      responseSeen: window.__skilldexTtfr.responseSeen,
    }));
    throw new Error(
      `no result matching "${query}" appeared within ${timeoutMs} ms ` +
        `(input seen: ${state.started}, search response seen: ${state.responseSeen}): ${error.message}`,
    );
  }
  const { start, found, painted } = await page.evaluate(() => {
    const probe = window.__skilldexTtfr;
    return { start: probe.start, found: probe.found, painted: probe.painted };
  });
  if (start === null) throw new Error('the search box never received the complete query');
  return { ms: painted - start, domMs: found - start };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `runs` measurements, each in a fresh context of one browser. */
export async function measureRuns(browser, { baseUrl, query, path, submit, runs = 5, timeoutMs }) {
  const results = [];
  for (let i = 0; i < runs; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      results.push(await measureTimeToFirstResults(page, { baseUrl, query, path, submit, timeoutMs }));
    } finally {
      await context.close();
    }
  }
  const ms = results.map((r) => r.ms);
  return { runs: results, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms) };
}

export function describe({ query, medianMs, minMs, maxMs, runs }) {
  return (
    `time to first results for "${query}": median ${medianMs.toFixed(0)} ms ` +
    `(min ${minMs.toFixed(0)}, max ${maxMs.toFixed(0)}, ${runs.length} runs, ` +
    'from the completing keystroke to the frame showing the first result)'
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      'base-url': { type: 'string' },
      query: { type: 'string', default: 'pdf' },
      runs: { type: 'string', default: '5' },
      path: { type: 'string', default: '/' },
      'no-submit': { type: 'boolean', default: false },
      chromium: { type: 'string', default: process.env.SKILLDEX_E2E_CHROMIUM ?? '/usr/bin/chromium' },
      'timeout-ms': { type: 'string', default: '30000' },
    },
  });
  const baseUrl = values['base-url'] ?? process.env.SKILLDEX_E2E_BASE_URL;
  if (!baseUrl) {
    console.error('usage: node ttfr.mjs --base-url http://HOST:PORT [--query pdf] [--runs 5]');
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: values.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    const query = values.query;
    const summary = await measureRuns(browser, {
      baseUrl,
      query,
      path: values.path,
      submit: !values['no-submit'],
      runs: Number(values.runs),
      timeoutMs: Number(values['timeout-ms']),
    });
    summary.runs.forEach((r, i) =>
      console.log(`run ${i + 1}: ${r.ms.toFixed(0)} ms (result in DOM after ${r.domMs.toFixed(0)} ms)`),
    );
    console.log(describe({ query, ...summary }));
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`ttfr: ${error.message}`);
    process.exit(1);
  });
}
