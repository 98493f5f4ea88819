import { describe, expect, it } from '@jest/globals';
import { mkdirSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HASH_FILE, ROOT, bundleSourceHash, bundleSources, staleBundle } from '../scripts/bundle-hash.mjs';
import { tempDir } from './harness/repo.js';

/** npm test must not silently run stale bundles: the runner emulation refuses them (scripts/runner.mjs). */
function tree(files: Record<string, string>): string {
  const root = tempDir('rg-fresh-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('bundle freshness', () => {
  it('every committed bundle (the actions and the CLI) was built from the sources in the working tree', () => {
    const actions = readdirSync(join(ROOT, 'actions')).filter((name) => existsSync(join(ROOT, 'actions', name, 'src', 'index.ts')));
    expect(actions.length).toBeGreaterThan(5);
    if (existsSync(join(ROOT, 'packages', 'cli', 'src', 'index.ts'))) actions.push('cli');
    expect(actions.map((name) => ({ name, problem: staleBundle(name) }))).toEqual(actions.map((name) => ({ name, problem: undefined })));
  });

  it('follows relative and workspace imports, and says "run npm run build" when a source changed', () => {
    const root = tree({
      'actions/demo/src/index.ts': "import { run } from './main.js';\nawait run();\n",
      'actions/demo/src/main.ts': "import { helper } from '@rollback-gate/core';\nexport async function run() { helper(); }\n",
      'actions/other/src/index.ts': 'export {};\n',
      'packages/core/src/index.ts': "export { helper } from './util/helper.js';\n",
      'packages/core/src/util/helper.ts': 'export function helper() { return 1; }\n',
      'packages/core/src/unused.ts': 'export const unused = 1;\n',
      'package-lock.json': '{}\n',
    });
    expect(bundleSources('demo', root)).toEqual([
      'actions/demo/src/index.ts',
      'actions/demo/src/main.ts',
      'package-lock.json',
      'packages/core/src/index.ts',
      'packages/core/src/util/helper.ts',
    ]);
    mkdirSync(join(root, 'dist', 'demo'), { recursive: true });
    writeFileSync(join(root, 'dist', 'demo', 'index.js'), '');
    expect(staleBundle('demo', root)).toMatch(/records no sources\.sha256.*run npm run build/);
    writeFileSync(join(root, 'dist', 'demo', HASH_FILE), `${bundleSourceHash('demo', root)}\n`);
    expect(staleBundle('demo', root)).toBeUndefined();

    writeFileSync(join(root, 'packages/core/src/unused.ts'), 'export const unused = 2;\n');
    expect(staleBundle('demo', root)).toBeUndefined();
    writeFileSync(join(root, 'packages/core/src/util/helper.ts'), 'export function helper() { return 2; }\n');
    expect(staleBundle('demo', root)).toBe('dist/demo was built from other sources than the working tree\'s (they changed since the last build): run npm run build (or node scripts/build.mjs demo).');
    expect(staleBundle('other', root)).toBe('dist/other/index.js is missing: run npm run build.');
  });
});
