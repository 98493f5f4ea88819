// Fails when package-lock.json has lost other platforms' optional packages.
// npm drops them when it updates the lock from an existing node_modules; `npm ci` on any other
// platform then fails with "Missing: @swc/core-darwin-arm64@... from lock file".
// Fix: rm package-lock.json && npm install --package-lock-only
import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

// Every workspace package must be in the lock too (npm ci: "Missing: @scope/pkg from lock file").
const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const pattern of root.workspaces ?? []) {
  const dirs = pattern.endsWith('/*')
    ? readdirSync(new URL(`../${pattern.slice(0, -2)}`, import.meta.url), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
    : [pattern];
  for (const dir of dirs) {
    const manifest = new URL(`../${dir}/package.json`, import.meta.url);
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (!packages[dir] || !packages[`node_modules/${name}`]) missing.push(`workspace ${dir} (${name})`);
  }
}

if (missing.length > 0) {
  console.error(`package-lock.json lacks ${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} (other platforms' optional packages or workspaces):`);
  for (const line of missing.slice(0, 20)) console.error(`  ${line}`);
  if (missing.length > 20) console.error(`  ... and ${missing.length - 20} more`);
  console.error('npm ci fails without them. Regenerate the lock from scratch:');
  console.error('  rm package-lock.json && npm install --package-lock-only');
  process.exit(1);
}
console.log(`package-lock.json lists every platform's optional packages and every workspace (${Object.keys(packages).length} entries).`);
