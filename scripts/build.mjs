// Type-check once, then bundle every actions/<name>/src/index.ts with ncc into dist/<name>/.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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

for (const name of actions) {
  const out = join(root, 'dist', name);
  rmSync(out, { recursive: true, force: true });
  console.log(`bundle: actions/${name}/src/index.ts -> dist/${name}/`);
  execFileSync(
    bin('ncc'),
    ['build', `actions/${name}/src/index.ts`, '-o', `dist/${name}`, '-m', '-t', '--license', 'licenses.txt', '-q'],
    { cwd: root, stdio: 'inherit' },
  );
  // ncc writes {"type":"module"} for ESM output; keep it stable and newline-terminated.
  const pkg = join(out, 'package.json');
  writeFileSync(pkg, JSON.stringify(JSON.parse(readFileSync(pkg, 'utf8'))) + '\n');
}
