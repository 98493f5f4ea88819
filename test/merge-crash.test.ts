/**
 * A merge git itself dies on. git 2.39's merge-ort aborts (an assertion in process_renames) on a
 * revert where the reverted commit moved a directory's files up and a later commit moved other files
 * of it down: found rehearsing changesets/changesets' real history (#2190). The merge engine makes
 * that merge with the temporary index instead of failing the whole rehearsal, and verify says so.
 * On a git that does not die here, the same tests check that the merge still answers.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { Git, applyChange } from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';
import { cli } from './cli-harness.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const PRE = ['p1', 'p2', 'p3'];
const TOP = ['a', 'b', 'x', 'y'];

/** T: the pre files at the top; U (the unit): them moved into pre/ and x, y added; tip: the top files moved into pre/. */
function history(): { r: TestRepo; parent: string; unit: string; tip: string } {
  const r = createRepo({ initial: { 'README.md': '# crash\n' } });
  repos.push(r);
  const parent = r.commit('the pre files at the top', {
    ...Object.fromEntries(PRE.map((p) => [`c/${p}.md`, `pre file ${p}\n`])),
    'c/a.md': 'top file a\n',
    'c/b.md': 'top file b\n',
    'c/pre.json': '{"pre":2}\n',
    'c/config.json': '{"config":1}\n',
  });
  const unit = r.commit('move the prerelease files to pre/', {
    ...Object.fromEntries(PRE.map((p) => [`c/${p}.md`, null])),
    ...Object.fromEntries(PRE.map((p) => [`c/pre/${p}.md`, `pre file ${p}\n`])),
    'c/x.md': 'top file x\n',
    'c/y.md': 'top file y\n',
    'c/pre.json': '{"pre":1}\n',
  });
  const tip = r.commit('move the top files to pre/ too', {
    ...Object.fromEntries(TOP.map((f) => [`c/${f}.md`, null])),
    ...Object.fromEntries(TOP.map((f) => [`c/pre/${f}.md`, `top file ${f}\n`])),
    'c/config.json': '{"config":2}\n',
  });
  return { r, parent, unit, tip };
}

/** Whether this git dies on the revert: git's own `git revert` of the unit, in a throwaway clone. */
function gitDiesOnIt(r: TestRepo, unit: string): boolean {
  const script = 'd=$(mktemp -d) && git clone -q "$0" "$d/c" && cd "$d/c" && git -c user.name=t -c user.email=t@t revert --no-edit "$1" >/dev/null 2>&1; s=$?; rm -rf "$d"; exit $s';
  const revert = spawnSync('sh', ['-c', script, r.dir, unit]);
  return revert.status === null || revert.status >= 128;
}

describe('a merge git dies on', () => {
  it('is made with the temporary index, not an internal error', async () => {
    const { r, parent, unit, tip } = history();
    const tree = (rev: string) => r.git(['rev-parse', `${rev}^{tree}`]);
    const dies = gitDiesOnIt(r, unit);
    const reverted = await applyChange(new Git(r.dir), unit, tree(parent), tree(tip), { engine: 'merge-tree' });
    // Either way the merge answers; where git dies, the index merge (no rename detection) sees the
    // tip's moves of a and b as delete/modify against the unit's state, or merges cleanly.
    expect(typeof reverted.clean).toBe('boolean');
    if (dies) {
      const index = await applyChange(new Git(r.dir), unit, tree(parent), tree(tip), { engine: 'index' });
      expect(reverted).toEqual(index);
    }
  });

  it('leaves the drill standing, with a warning naming what git said', async () => {
    const { r } = history();
    r.commit('config', { '.github/rollback-gate.yml': 'verify:\n  window: { commits: 10, days: 3650 }\n' });
    const dies = gitDiesOnIt(r, r.git(['rev-parse', 'HEAD~2']));
    const run = await cli(['drill', '--json'], { cwd: r.dir });
    expect(run.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(run.stdout) as { warnings: string[]; units: unknown[] };
    expect(report.units.length).toBeGreaterThan(0);
    const warned = report.warnings.some((w) => /^git merge-tree died on \d+ merges? \(.+\); .* temporary index/.test(w));
    expect(warned).toBe(dies);
  });
});
