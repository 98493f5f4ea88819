// Type-check once, then bundle every actions/<name>/src/index.ts with ncc into dist/<name>/,
// and the CLI (packages/cli/src/index.ts) into dist/cli/ with the workflow templates beside it.
// dist/<name>/sources.sha256 records what each action was built from (scripts/bundle-hash.mjs).
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync, rmSync, writeFileSync, readFileSync, cpSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HASH_FILE, bundleSourceHash } from './bundle-hash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!process.env.SKIP_TYPECHECK) {
  console.log('type-check: tsc -p . --noEmit');
  run(bin('tsc'), ['-p', '.', '--noEmit']);
}

const actions = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'actions', d.name, 'src', 'index.ts')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name));

const entries = actions.map((name) => ({ name, source: `actions/${name}/src/index.ts` }));
if (only.length === 0 || only.includes('cli')) entries.push({ name: 'cli', source: 'packages/cli/src/index.ts' });

for (const { name, source } of entries) {
  const out = join(root, 'dist', name);
  rmSync(out, { recursive: true, force: true });
  console.log(`bundle: ${source} -> dist/${name}/`);
  execFileSync(
    bin('ncc'),
    ['build', source, '-o', `dist/${name}`, '-m', '-t', '--license', 'licenses.txt', '-q'],
    { cwd: root, stdio: 'inherit' },
  );
  if (name === 'cli') {
    // `rollback-gate init` writes the example workflows; the bin must be executable.
    cpSync(join(root, 'examples', 'workflows'), join(out, 'templates', 'workflows'), { recursive: true });
    chmodSync(join(out, 'index.js'), 0o755);
  }
  // ncc writes {"type":"module"} for ESM output; keep it stable and newline-terminated.
  const pkg = join(out, 'package.json');
  writeFileSync(pkg, JSON.stringify(JSON.parse(readFileSync(pkg, 'utf8'))) + '\n');
  // What it was built from: the runner emulation refuses a bundle whose sources changed since.
  writeFileSync(join(out, HASH_FILE), `${bundleSourceHash(name, root)}\n`);
}
