// What a bundle was built from: a sha256 over every source file reachable from
// actions/<name>/src/index.ts (packages/cli/src/index.ts for dist/cli) (relative imports and @rollback-gate/<package>), the lockfile, the
// tsconfig and this build's scripts. scripts/build.mjs writes it to dist/<name>/sources.sha256;
// the runner emulation (scripts/runner.mjs) refuses to run a bundle whose sources changed since.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HASH_FILE = 'sources.sha256';
const ALWAYS = ['package-lock.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/bundle-hash.mjs'];

function specifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found = [];
  for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[\w*$\s{},]*?\s+from\s+)?['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

function resolveSpecifier(root, from, spec) {
  const pkg = /^@rollback-gate\/([\w-]+)$/.exec(spec);
  if (pkg) return join(root, 'packages', pkg[1], 'src', 'index.ts');
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c) && /\.(ts|json|mjs|js)$/.test(c));
}

/** The entry of dist/<name>: an action's src/index.ts, else a package's (the CLI). */
export function bundleEntry(name, root = ROOT) {
  const action = join('actions', name, 'src', 'index.ts');
  return existsSync(join(root, action)) || !existsSync(join(root, 'packages', name, 'src', 'index.ts')) ? action : join('packages', name, 'src', 'index.ts');
}

function listFiles(root, dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(root, join(dir, e.name)) : [join(dir, e.name)]));
}

/** The source files a bundle is made of, relative to the root, sorted. */
export function bundleSources(name, root = ROOT) {
  const seen = new Set();
  const queue = [join(root, bundleEntry(name, root))];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(root, file, spec);
      if (target) queue.push(target);
    }
  }
  // The CLI's bundle carries the example workflows as `init` templates.
  const extra = name === 'cli' ? listFiles(root, join('examples', 'workflows')) : [];
  return [...[...seen].map((f) => relative(root, f)), ...extra, ...ALWAYS.filter((f) => existsSync(join(root, f)))].sort();
}

export function bundleSourceHash(name, root = ROOT) {
  const hash = createHash('sha256');
  for (const file of bundleSources(name, root)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)).toString('utf8').replace(/\r\n/g, '\n'));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Why dist/<name> cannot be trusted to be its sources, or undefined when it is current. */
export function staleBundle(name, root = ROOT) {
  const bundle = join(root, 'dist', name, 'index.js');
  if (!existsSync(bundle)) return `dist/${name}/index.js is missing: run npm run build.`;
  const file = join(root, 'dist', name, HASH_FILE);
  const built = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (built === undefined) return `dist/${name} records no ${HASH_FILE} (built before the check existed): run npm run build.`;
  if (built !== bundleSourceHash(name, root)) {
    return `dist/${name} was built from other sources than the working tree's (they changed since the last build): run npm run build (or node scripts/build.mjs ${name}).`;
  }
  return undefined;
}
