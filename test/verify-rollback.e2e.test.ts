/**
 * verify-rollback through its bundle, against real repositories: a generated history whose answers
 * are known (and re-checked with real `git revert` in a separate clone), in pr and drill mode.
 * After every run the user's checkout is bit-for-bit what it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshotCheckout } from './harness/checkout-state.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { gitRevert, lines, prEvent, readSealed, runVerify as verify } from './harness/verify-rollback.js';

const CONFIG = `verify:
  commands:
    - name: load
      run: node check.js
  window: { commits: 50, days: 30 }
`;
const CHECK_JS = `const fs = require('fs');
const path = require('path');
for (const file of fs.readdirSync(path.join(__dirname, 'src')).sort()) require(path.join(__dirname, 'src', file));
console.log('every module loads');
`;
interface KnownHistory {
  repo: TestRepo;
  u: Record<'greet' | 'config' | 'retune' | 'tune' | 'feature' | 'util', string>;
  base: string;
  head: string;
}

/**
 * Oldest first: util (#5), feature using util (#6), tune limits (#3), retune the same lines (#4),
 * configure (Session-Id sess-42, line 2 of config.js), greeting (#1). The pull request edits line 3
 * of greet.js (entangled with #1), line 9 of config.js (same file as sess-42, other lines: not
 * entangled) and adds a file importing util.js (a soft dependency on #5).
 */
function knownHistory(): KnownHistory {
  const repo = createRepo({
    initial: {
      'README.md': '# app\n',
      'check.js': CHECK_JS,
      '.github/rollback-gate.yml': CONFIG,
      'src/config.js': lines('// config', 10),
      'src/limits.js': lines('// limits', 5),
    },
  });
  const util = repo.commit('Add util (#5)', { 'src/util.js': 'module.exports = { twice: (x) => 2 * x };\n' });
  const feature = repo.commit('Use util in the feature (#6)', {
    'src/feature.js': "const { twice } = require('./util.js');\nmodule.exports = () => twice(21);\n",
  });
  const tune = repo.commit('Tune limits (#3)', { 'src/limits.js': lines('// limits', 5, { 2: 'const max = 10;', 3: 'const min = 1;' }) });
  const retune = repo.commit('Retune limits (#4)', { 'src/limits.js': lines('// limits', 5, { 2: 'const max = 20;', 3: 'const min = 2;' }) });
  const config = repo.commit('Configure the timeout\n\nSession-Id: sess-42\n', { 'src/config.js': lines('// config', 10, { 2: 'const timeout = 30;' }) });
  const greet = repo.commit('Add greeting (#1)', { 'src/greet.js': lines('// greet', 5) });
  repo.git(['push', '--quiet', 'origin', 'main']);
  const base = repo.head();
  repo.git(['switch', '--quiet', '-c', 'agent/feature']);
  repo.commit('agent: polish', {
    'src/greet.js': lines('// greet', 5, { 3: '// greet line 3, polished' }),
    'src/config.js': lines('// config', 10, { 2: 'const timeout = 30;', 9: '// config line 9, polished' }),
    'src/new.js': "const { twice } = require('./util.js');\nmodule.exports = twice;\n",
  });
  const head = repo.head();
  repo.git(['push', '--quiet', 'origin', 'agent/feature']);
  return { repo, u: { greet, config, retune, tune, feature, util }, base, head };
}

let history: KnownHistory;
beforeAll(() => {
  history = knownHistory();
});
afterAll(() => history.repo.cleanup());

describe('verify-rollback on a generated history with known answers', () => {
  it('the answers are what real git revert says', () => {
    const { repo, u, base } = history;
    expect(gitRevert(repo, base, [u.greet]).ok).toBe(true);
    expect(gitRevert(repo, base, [u.tune]).ok).toBe(false);
    expect(gitRevert(repo, base, [u.retune, u.tune]).ok).toBe(true);
    expect(gitRevert(repo, base, [u.util]).ok).toBe(true);
  });

  it('pr mode: reports the entangled unit with its file and line, not the same-file follow-up, and a soft dependency', async () => {
    const { repo, u, base, head } = history;
    repo.git(['switch', '--quiet', 'main']);
    const before = snapshotCheckout(repo.dir);
    const run = await verify(repo.dir, { event: prEvent(12, base, head) });
    expect(snapshotCheckout(repo.dir)).toEqual(before);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(1);
    expect(run.outputs['rollback-ready']).toBe('false');

    expect(JSON.parse(run.outputs.entangled!)).toEqual([
      // #1 added greet.js: its revert deletes the file this change edits (at line 3).
      { commit: u.greet, unit: '#1', kind: 'conflict', files: [{ file: 'src/greet.js', conflict: 'modify/delete', lines: [{ start: 3, end: 3 }] }] },
    ]);
    const units = JSON.parse(run.outputs.units!) as Array<Record<string, unknown>>;
    expect(units.map((x) => [x.unit, x.before, x.revertible, x.with ?? null])).toEqual([
      ['#1', 'alone', 'with-later', [head]],
      ['sess-42', 'alone', 'alone', null],
      ['#4', 'alone', 'alone', null],
      ['#3', 'with-later', 'with-later', [u.retune]],
      ['#6', 'alone', 'alone', null],
      ['#5', 'alone', 'alone', null],
    ]);
    expect(units.map((x) => x.commit)).toEqual([u.greet, u.config, u.retune, u.tune, u.feature, u.util]);
    expect(units[0]).toMatchObject({ 'age-days': 0, merge: false, checks: [] });
    expect(JSON.parse(run.outputs.irreversible!)).toEqual([]);
    expect(JSON.parse(run.outputs.checks!)).toEqual([]);

    const entangledAnnotation = run.annotations.find((a) => a.properties.file === 'src/greet.js');
    expect(entangledAnnotation).toMatchObject({ level: 'error', properties: { line: '3', endLine: '3' } });
    expect(entangledAnnotation?.message).toContain('reverted together');
    const soft = run.annotations.find((a) => a.properties.file === 'src/new.js');
    expect(soft?.level).toBe('warning');
    expect(soft?.message).toContain('src/util.js');
    expect(run.annotations.some((a) => a.properties.file === 'src/config.js')).toBe(false);
    expect(run.summary).toContain('## ❌ verify-rollback: not rollback-ready');
    expect(run.summary).toContain('`src/greet.js` line 3 (modify/delete)');
    expect(run.summary).toContain('| `sess-42` |');

    // The sealed plan: verifiable independently, rolling this change back to the base tip.
    const planPath = run.outputs['plan-path']!;
    expect(planPath.startsWith(run.temp)).toBe(true);
    const plan = readSealed(planPath);
    const landedTree = git(repo.dir, ['merge-tree', '--write-tree', base, head]);
    expect(plan).toMatchObject({
      schema: 'rollback-gate/plan@1',
      kind: 'landing',
      id: 'pr-12',
      checkpoint: { commit: base, tree: git(repo.dir, ['rev-parse', `${base}^{tree}`]) },
      target: { head, base, mergeMethod: 'squash', pullRequest: 12, tree: landedTree },
      strategy: 'revert-squash',
      expectedTree: git(repo.dir, ['rev-parse', `${base}^{tree}`]),
      entangled: [{ commit: u.greet, unit: '#1' }],
      verify: [{ name: 'load', run: 'node check.js' }],
    });
  });

  it('drill mode: alone, only with a later unit, and a clean rollback that fails the checks', async () => {
    const { repo, u, base } = history;
    const before = snapshotCheckout(repo.dir);
    const run = await verify(repo.dir, { inputs: { mode: 'drill', 'run-checks': 'true', base: 'main' } });
    expect(snapshotCheckout(repo.dir)).toEqual(before);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(1);
    expect(run.outputs['rollback-ready']).toBe('false');
    const units = JSON.parse(run.outputs.units!) as Array<Record<string, unknown> & { checks: Array<Record<string, unknown>> }>;
    expect(units.map((x) => [x.unit, x.revertible, x.with ?? null, x.inverse ?? null, x.checks.map((c) => c['exit-code'])])).toEqual([
      ['#1', 'alone', null, true, [0]],
      ['sess-42', 'alone', null, true, [0]],
      ['#4', 'alone', null, true, [0]],
      ['#3', 'with-later', [u.retune], null, [0]],
      ['#6', 'alone', null, true, [0]],
      ['#5', 'alone', null, true, [1]],
    ]);
    const checks = JSON.parse(run.outputs.checks!) as Array<Record<string, unknown>>;
    expect(checks).toHaveLength(6);
    expect(checks.find((c) => c.unit === '#5')).toMatchObject({ commit: u.util, name: 'load', 'exit-code': 1, passed: false, 'timed-out': false });
    expect(run.summary).toContain('## ❌ verify-rollback drill: not rollback-ready');
    expect(run.summary).toContain("Cannot find module './util.js'");
    expect(run.summary).toMatch(/\| `#3` \| \[`[0-9a-f]{12}`\]\(https:\/\/github\.com\/[^)]+\) \| today \| Tune limits \\\(\\#&#8203;3\\\) \| only with `#4` \|/);

    // The window plan: #3 rolls back by reverting #4 then #3, to the tree real git makes.
    const plan = JSON.parse(readFileSync(run.outputs['plan-path']!, 'utf8')) as {
      kind: string;
      tip: { commit: string };
      units: Array<{ commit: string; strategy: string; steps: Array<{ commit: string; expectedTree: string }>; expectedTree: string }>;
    };
    expect(plan.kind).toBe('window');
    expect(plan.tip.commit).toBe(base);
    const tune = plan.units.find((x) => x.commit === u.tune)!;
    expect(tune.strategy).toBe('revert-range');
    expect(tune.steps.map((s) => s.commit)).toEqual([u.retune, u.tune]);
    expect(tune.expectedTree).toBe(gitRevert(repo, base, [u.retune, u.tune]).tree);
    expect(tune.steps[0]!.expectedTree).toBe(gitRevert(repo, base, [u.retune]).tree);
    const greet = plan.units.find((x) => x.commit === u.greet)!;
    expect(greet).toMatchObject({ strategy: 'revert-squash', expectedTree: gitRevert(repo, base, [u.greet]).tree });
  });

  it('drill mode: the summary says which reverts git merged and which were computed from the trees', async () => {
    const { repo } = history;
    // #1 is the tip: its revert is its parent's tree, no merge at all. Four others (sess-42, #4, #6,
    // #5) only added or edited files nothing after them touched: their reverts are computed from
    // the trees. #3 is not: #4 retuned its lines. Its revert alone and its revert after #4's are
    // merged (#4's own revert is one of the four): 2 merges, 6 in all, all 6 merged without the shortcut.
    const on = await verify(repo.dir, { inputs: { mode: 'drill', base: 'main' } });
    const off = await verify(repo.dir, { inputs: { mode: 'drill', base: 'main' }, env: { ROLLBACK_GATE_EXACT_REVERTS: '0' } });
    expect(on.outputs.units).toBe(off.outputs.units);
    const said = '6 merges simulated: 2 with `git merge-tree`, 4 reverts computed exactly from the trees (nothing after those units touched their files)';
    expect(on.summary).toContain(`<sub>${said}; the checkout was not touched.</sub>`);
    expect(on.stdout).toContain(said.replace(/`/g, ''));
    expect(off.summary).toContain('<sub>6 simulated merges with `git merge-tree`; the checkout was not touched.</sub>');
  });

  it('a follow-up touching only other lines of a unit\'s file is not entangled; with `entanglement: warn` the check passes', async () => {
    const { repo, base } = history;
    repo.git(['switch', '--quiet', '-c', 'agent/other-lines', base]);
    repo.commit('agent: other lines only', { 'src/config.js': lines('// config', 10, { 2: 'const timeout = 30;', 8: '// eight' }) });
    const head = repo.head();
    repo.git(['switch', '--quiet', 'main']);
    const before = snapshotCheckout(repo.dir);
    const run = await verify(repo.dir, { event: prEvent(13, base, head) });
    expect(snapshotCheckout(repo.dir)).toEqual(before);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['rollback-ready']).toBe('true');
    expect(run.outputs.entangled).toBe('[]');
    expect(run.summary).toContain('## ✅ verify-rollback: rollback-ready');
  });

  it('with `verify.entanglement: warn`, an entangled unit is a warning and the check passes', async () => {
    const { repo, base, head } = history;
    writeFileSync(join(repo.dir, 'warn.yml'), `${CONFIG}  entanglement: warn\n`);
    const before = snapshotCheckout(repo.dir);
    const run = await verify(repo.dir, { event: prEvent(12, base, head), inputs: { config: 'warn.yml' } });
    expect(snapshotCheckout(repo.dir)).toEqual(before);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['rollback-ready']).toBe('true');
    expect(JSON.parse(run.outputs.entangled!)).toHaveLength(1);
    expect(run.annotations.find((a) => a.properties.file === 'src/greet.js')?.level).toBe('warning');
  });
});
