// Reports the gzipped size of the JavaScript a shopper downloads on first
// load (the entry chunk and everything it imports statically; the lazily
// loaded admin chunks are listed apart) and fails above the budget.
//
//   node scripts/size.mjs [distDir]      SIZE_BUDGET_KB=120 by default
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.argv[2] ?? join(here, '..', 'dist'));
const budgetKB = Number(process.env.SIZE_BUDGET_KB ?? 120);

let html;
try {
  html = readFileSync(join(dist, 'index.html'), 'utf8');
} catch {
  console.error(`size: no ${join(dist, 'index.html')}; run "npm run build" first`);
  process.exit(2);
}

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

// What index.html loads: its module scripts and the chunks Vite preloads for them.
const roots = [
  ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
  ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
].map((m) => m[1].replace(/^\//, ''));

if (roots.length === 0) {
  console.error('size: index.html loads no module script');
  process.exit(2);
}

// Follow static imports only: `import … from "./x.js"` and `import "./x.js"`,
// never `import("./x.js")`, which is a lazy chunk.
const staticImport = /(?:\bimport|\bexport)\s*(?:[\w${},*\s]+?\s*from\s*)?["']([^"']+\.js)["']/g;
const initial = new Set();
const queue = [...roots];
while (queue.length > 0) {
  const file = queue.shift();
  if (initial.has(file)) continue;
  initial.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  for (const m of code.matchAll(staticImport)) {
    const spec = m[1];
    if (!spec.startsWith('.') && !spec.startsWith('/')) continue;
    const target = spec.startsWith('/')
      ? spec.slice(1)
      : posix.normalize(posix.join(posix.dirname(file), spec));
    queue.push(target);
  }
}

const allJs = readdirSync(join(dist, 'assets'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => `assets/${f}`);
const lazy = allJs.filter((f) => !initial.has(f));

let total = 0;
console.log('Storefront first load (gzipped JS):');
for (const f of initial) {
  const size = gz(f);
  total += size;
  console.log(`  ${f.padEnd(44)} ${kb(size).padStart(9)}`);
}
console.log(`  ${'total'.padEnd(44)} ${kb(total).padStart(9)}   budget ${budgetKB} KB`);
if (lazy.length > 0) {
  console.log('Lazy chunks (admin, chart), not in the first load:');
  for (const f of lazy) console.log(`  ${f.padEnd(44)} ${kb(gz(f)).padStart(9)}`);
}

if (total > budgetKB * 1024) {
  console.error(`size: the storefront's first load is ${kb(total)} gzipped, over the ${budgetKB} KB budget`);
  process.exit(1);
}
console.log(`size: OK (${relative(process.cwd(), dist) || '.'})`);
