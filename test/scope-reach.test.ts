/**
 * scope-guard's reach, through the bundle as the runner starts it: on a workspace monorepo whose
 * packages publish `.mjs` / `.d.mts` / `.cjs` build output and depend on each other through
 * `workspace:` and `link:` (test/graph-fixtures.ts), the blast radius holds every importer
 * TypeScript 5.9's own module resolution finds on a built, installed copy; and the imports the
 * graph could not resolve are counted and named in the summary, next to the verdict, so a silent
 * miss cannot pass for a small blast radius.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';
import { reverseClosure, runOracle, workspaceMonorepo } from './graph-fixtures.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
let installed: string;
let oracle: Map<string, string[]>;

beforeAll(() => {
  installed = realpathSync(mkdtempSync(join(tmpdir(), 'scope-reach-')));
  oracle = runOracle(workspaceMonorepo(), installed).edges;
});

afterAll(() => {
  rmSync(installed, { recursive: true, force: true });
  while (repos.length) repos.pop()!.cleanup();
});

const guard = (r: TestRepo, inputs: Record<string, string>) =>
  runAction('scope-guard', { workspace: r.dir, inputs: { token: '', comment: 'false', mode: 'warn', ...inputs }, env: { GITHUB_API_URL: loopback.server.url } });

interface RadiusItem {
  file: string;
  depth: number;
  changed: boolean;
  chain: string[];
}

describe('scope-guard on a workspace monorepo publishing .mjs / .d.mts / .cjs (workspace: and link: dependencies)', () => {
  it.each([
    [['packages/p0/src/util.ts']],
    [['packages/p1/src/client.mts', 'vendor/tool/src/helper.js']],
    [['packages/p4/src/index.tsx']],
  ])('finds every importer TypeScript finds of %j, examples/ included', async (changed) => {
    const monorepo = workspaceMonorepo();
    const r = createRepo({ initial: { ...monorepo.tree, '.github/rollback-gate.yml': 'blast-radius:\n  max-depth: 20\n' } });
    repos.push(r);
    const base = r.head();
    r.commit('change the hubs', Object.fromEntries(changed.map((f) => [f, `${monorepo.tree[f]}// changed\n`])));
    const run = await guard(r, { base, head: 'HEAD' });
    expect(run.exitCode).toBe(0);

    const expected = new Set<string>();
    for (const file of changed) for (const importer of reverseClosure(oracle, file)) expected.add(importer);
    expect(expected.size).toBeGreaterThan(0);
    const radius = JSON.parse(run.outputs['blast-radius']!) as RadiusItem[];
    expect(radius.map((e) => e.file).sort()).toEqual([...expected].sort());
    // Each chain is a real import path TypeScript agrees with, from a changed file to the dependent.
    for (const item of radius) {
      expect(changed).toContain(item.chain[0]);
      for (let i = 1; i < item.chain.length; i++) expect(oracle.get(item.chain[i]!)).toContain(item.chain[i - 1]);
    }
  });

  it('says in the summary how many imports it could not resolve and which, next to the verdict', async () => {
    const monorepo = workspaceMonorepo();
    const r = createRepo({ initial: monorepo.tree });
    repos.push(r);
    const base = r.head();
    r.commit('change util', { 'packages/p0/src/util.ts': 'export const base = 2;\n' });
    const run = await guard(r, { base, head: 'HEAD' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['passed']).toBe('true');
    expect(run.summary).toContain('## ✅ scope-guard: within scope (2 unresolved imports: the blast radius may be larger)');
    expect(run.summary).toMatch(/\| unresolved imports \| \*\*2\*\* in 1 file, 2 distinct modules/);
    expect(run.summary).toContain('### Imports that resolved to no file');
    expect(run.summary).toContain('| `examples/app/src/broken.ts:1` | `@m/p1/nope` |');
    expect(run.summary).toContain('| `examples/app/src/broken.ts:2` | `./gone.js` |');
    // The third-party and built-in imports of the same file are not counted.
    expect(run.summary).not.toContain('`node:fs`');
    expect(run.summary).not.toContain('`react`');

    // Fixed: the caveat and the section are gone, and the row says 0.
    r.commit('fix the broken imports', { 'examples/app/src/broken.ts': "import { one } from '@m/p1';\nexport const x = one;\n" });
    const fixed = await guard(r, { base, head: 'HEAD' });
    expect(fixed.summary).toContain('## ✅ scope-guard: within scope\n');
    expect(fixed.summary).toContain('| unresolved imports | 0 |');
    expect(fixed.summary).not.toContain('### Imports that resolved to no file');
  });
});
