// Fails when package-lock.json has lost other platforms' optional packages.
// npm drops them when it updates the lock from an existing node_modules; `npm ci` on any other
// platform then fails with "Missing: @swc/core-darwin-arm64@... from lock file".
// Fix: rm package-lock.json && npm install --package-lock-only
import { readFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages ?? {};

/** Where npm would place dependency `name` of the package at `dir` (nested first, then hoisted). */
function locate(dir, name) {
  let base = dir;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    const cut = base.lastIndexOf('/node_modules/');
    if (cut >= 0) base = base.slice(0, cut);
    else if (base) base = '';
    else return undefined;
  }
}

const missing = [];
for (const [dir, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!locate(dir, name)) missing.push(`${dir || '(root)'} -> ${name}`);
  }
}

if (missing.length > 0) {
  console.error(`package-lock.json lacks ${missing.length} optional platform package(s):`);
  for (const line of missing.slice(0, 20)) console.error(`  ${line}`);
  if (missing.length > 20) console.error(`  ... and ${missing.length - 20} more`);
  console.error('npm ci fails on the platforms they serve. Regenerate the lock from scratch:');
  console.error('  rm package-lock.json && npm install --package-lock-only');
  process.exit(1);
}
console.log(`package-lock.json lists every platform's optional packages (${Object.keys(packages).length} entries).`);
