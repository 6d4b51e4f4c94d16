#!/usr/bin/env node
// Gzipped size of what the initial route loads: the entry script, the stylesheets and the
// modulepreloads that `dist/index.html` names (run after `npm run build`). Chunks loaded
// later through import() (the skill page's Markdown stack, the admin pages) are not counted.
// Exits 1 above the budget.
//
//   node scripts/bundle-size.mjs [--dist DIR] [--max-kb N]      (kB = 1,000 bytes, like Vite)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
}
const dist = path.resolve(option('--dist', path.join(here, '..', 'dist')));
const maxKb = Number(option('--max-kb', process.env.SKILLDEX_UI_BUDGET_KB ?? '250'));
if (!Number.isFinite(maxKb) || maxKb <= 0) {
  console.error(`bundle-size: --max-kb must be a positive number`);
  process.exit(2);
}

const indexFile = path.join(dist, 'index.html');
if (!existsSync(indexFile)) {
  console.error(`bundle-size: ${indexFile} is missing: run \`npm run build\` first`);
  process.exit(2);
}
const html = readFileSync(indexFile, 'utf8');

/** Same-origin assets the document loads up front, in document order, each once. */
function initialAssets(document) {
  const found = [];
  const attr = (tag, name) => tag.match(new RegExp(`\\s${name}\\s*=\\s*["']([^"']+)["']`, 'i'))?.[1];
  for (const [tag] of document.matchAll(/<script\b[^>]*>/gi)) {
    const src = attr(tag, 'src');
    if (src && /type\s*=\s*["']module["']/i.test(tag)) found.push(['entry', src]);
  }
  for (const [tag] of document.matchAll(/<link\b[^>]*>/gi)) {
    const rel = (attr(tag, 'rel') ?? '').toLowerCase().split(/\s+/);
    const href = attr(tag, 'href');
    if (!href) continue;
    if (rel.includes('modulepreload')) found.push(['modulepreload', href]);
    else if (rel.includes('stylesheet')) found.push(['stylesheet', href]);
  }
  const seen = new Set();
  return found.filter(([, url]) => !/^(?:[a-z]+:)?\/\//i.test(url) && !seen.has(url) && seen.add(url));
}

const assets = initialAssets(html);
if (!assets.some(([kind]) => kind === 'entry')) {
  console.error('bundle-size: dist/index.html names no module entry script');
  process.exit(2);
}

const kb = (bytes) => (bytes / 1000).toFixed(2);
let total = gzipSync(Buffer.from(html), { level: 9 }).length;
const rows = [['document', 'index.html', Buffer.byteLength(html), total]];
for (const [kind, url] of assets) {
  const file = path.join(dist, url.replace(/^\//, '').split(/[?#]/)[0]);
  if (!existsSync(file)) {
    console.error(`bundle-size: ${url} (named in index.html) is not in ${dist}`);
    process.exit(2);
  }
  const bytes = readFileSync(file);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  total += gzipped;
  rows.push([kind, url, bytes.length, gzipped]);
}

console.log('initial route (index.html, its entry script, stylesheets and modulepreloads):');
for (const [kind, url, raw, gzipped] of rows) {
  console.log(`  ${kind.padEnd(13)} ${url.padEnd(40)} ${kb(raw).padStart(9)} kB  gzip ${kb(gzipped).padStart(8)} kB`);
}
const verdict = total <= maxKb * 1000 ? 'within' : 'OVER';
console.log(`initial route: ${kb(total)} kB gzipped (${verdict} the ${maxKb} kB budget)`);
if (total > maxKb * 1000) process.exit(1);
