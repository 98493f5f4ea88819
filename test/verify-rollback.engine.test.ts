/**
 * The verify-rollback engine on real repositories, below the bundle: simulated reverts against
 * real `git revert`, the temporary-index engine (for git without `merge-tree --write-tree`) against
 * merge-tree, the smallest-set search, and the parsers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_CONFIG,
  Git,
  ScratchStore,
  Simulator,
  combinations,
  conflictRegions,
  normalizePatchText,
  parseMergeTreeOutput,
  readWindow,
  silentLogger,
  unitName,
  verifyRollback,
  type MergeEngine,
  type VerifyConfig,
} from '@rollback-gate/core';
import { snapshotCheckout } from './harness/checkout-state.js';
import { createRepo, type TestRepo } from './harness/repo.js';
import { gitRevert, lines } from './harness/verify-rollback.js';

const cleanup: Array<() => void> = [];
afterAll(() => cleanup.forEach((f) => f()));

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-engine-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * 8 units on one 12-line file and a few others: several edit the same lines (so older ones need
 * newer ones), some edit other lines, one adds a file, one deletes one.
 */
function tangledHistory(): { r: TestRepo; units: string[] } {
  const r = createRepo({ initial: { 'f.txt': lines('f', 12), 'g.txt': lines('g', 4), 'old.txt': 'old\n' } });
  cleanup.push(() => r.cleanup());
  const edits: Array<Record<string, string | null>> = [
    { 'f.txt': lines('f', 12, { 2: 'u1' }) },
    { 'f.txt': lines('f', 12, { 2: 'u1', 10: 'u2' }) },
    { 'f.txt': lines('f', 12, { 2: 'u3', 10: 'u2' }) }, // needs nothing later? it is needed by u1
    { 'g.txt': lines('g', 4, { 1: 'u4' }), 'new.txt': 'new\n' },
    { 'f.txt': lines('f', 12, { 2: 'u3', 10: 'u5' }) }, // u2 now needs u5
    { 'old.txt': null },
    { 'f.txt': lines('f', 12, { 2: 'u3', 6: 'u7', 10: 'u5' }) }, // other lines: needed by nobody
    { 'g.txt': lines('g', 4, { 1: 'u8' }) }, // u4 needs u8
  ];
  const units = edits.map((files, i) => r.commit(`Unit ${i + 1} (#${i + 1})`, files));
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, units };
}

const verifyConfig = (over: Partial<VerifyConfig> = {}): VerifyConfig => ({ ...structuredClone(DEFAULT_CONFIG.verify), ...over });

async function drill(r: TestRepo, engine: MergeEngine) {
  return verifyRollback(
    { git: new Git(r.dir), log: silentLogger, clock: () => new Date(), tempDir: scratchDir(), env: {}, engine },
    { mode: 'drill', verify: verifyConfig(), mergeMethod: 'squash', runChecks: false, labels: [], id: `t-${engine}`, planDir: scratchDir() },
  );
}

describe('simulated reverts', () => {
  const { r } = tangledHistory();
  const tip = r.head();

  it('match real git revert: clean exactly when git revert applies, to the same tree', async () => {
    const git = new Git(r.dir);
    const store = await ScratchStore.create(git, scratchDir());
    try {
      const sim = await Simulator.create(store);
      expect(sim.engine).toBe('merge-tree');
      const window = await readWindow(git, tip, { commits: 50, days: 30, now: new Date() });
      const tipTree = await sim.treeOf(tip);
      for (const unit of window) {
        const simulated = await sim.revert(unit, tipTree);
        const real = gitRevert(r, tip, [unit.commit]);
        expect([unit.name, simulated.clean]).toEqual([unit.name, real.ok]);
        if (real.ok) expect(simulated.tree).toBe(real.tree);
      }
    } finally {
      store.dispose();
    }
  });

  it('finds the smallest set of later units, and real git agrees it reverts cleanly', async () => {
    const before = snapshotCheckout(r.dir);
    const result = await drill(r, 'merge-tree');
    expect(snapshotCheckout(r.dir)).toEqual(before);
    const byName = Object.fromEntries(result.units.map((u) => [u.unit.name, u.status]));
    expect(byName['#1']).toMatchObject({ revertible: 'with-later', smallest: true });
    expect(byName['#1']!.with.map((c) => c.name)).toEqual(['#3']);
    expect(byName['#2']!.with.map((c) => c.name)).toEqual(['#5']);
    expect(byName['#4']!.with.map((c) => c.name)).toEqual(['#8']);
    for (const name of ['#3', '#5', '#6', '#7', '#8']) expect(byName[name]!.revertible).toBe('alone');
    for (const report of result.units.filter((u) => u.status.revertible === 'with-later')) {
      const real = gitRevert(r, tip, [...report.status.with.map((c) => c.commit), report.unit.commit]);
      expect(real).toEqual({ ok: true, tree: report.status.tree });
      expect(gitRevert(r, tip, [report.unit.commit]).ok).toBe(false);
    }
    expect(result.units.filter((u) => u.status.revertible === 'alone').every((u) => u.inverse === true)).toBe(true);
  });

  it('the temporary-index engine (git < 2.38) reaches the same verdicts and trees', async () => {
    const viaMergeTree = await drill(r, 'merge-tree');
    const viaIndex = await drill(r, 'index');
    expect(viaIndex.engine).toBe('index');
    const summary = (result: typeof viaIndex) => result.units.map((u) => [u.unit.name, u.status.revertible, u.status.with.map((c) => c.name), u.status.tree]);
    expect(summary(viaIndex)).toEqual(summary(viaMergeTree));
  });
});

describe('entanglement without a shared path', () => {
  async function pr(r: TestRepo, base: string, head: string) {
    return verifyRollback(
      { git: new Git(r.dir), log: silentLogger, clock: () => new Date(), tempDir: scratchDir(), env: {} },
      { mode: 'pr', verify: verifyConfig(), base, head, mergeMethod: 'squash', runChecks: false, labels: [], id: 'dirs', planDir: scratchDir() },
    );
  }

  it.each([
    ['a file where the unit deleted a directory', { 'a/b.txt': 'b\n', 'c.txt': 'c\n' }, { 'a/b.txt': null }, { a: 'a file now\n' }, 'file/directory'],
    ['a renamed directory the unit deleted a file from', { 'd1/x': 'x\n', 'd1/y': 'y\n', 'd1/z': 'z\n' }, { 'd1/x': null }, 'rename d1 d2', 'directory rename'],
  ] as const)('a change adding %s is entangled, as real git says', async (_what, initial, unitFiles, change, conflict) => {
    const r = createRepo({ initial });
    cleanup.push(() => r.cleanup());
    const unit = r.commit('Unit (#1)', unitFiles);
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'feature']);
    if (typeof change === 'string') {
      r.git(['mv', 'd1', 'd2']);
      r.commit('agent: rename d1', {});
    } else r.commit('agent: add a', change);
    const head = r.head();
    r.git(['switch', '--quiet', 'main']);
    expect(gitRevert(r, base, [unit]).ok).toBe(true);
    const before = snapshotCheckout(r.dir);
    const result = await pr(r, base, head);
    expect(snapshotCheckout(r.dir)).toEqual(before);
    expect(result.entangled.map((e) => [e.unit.commit, e.files.map((f) => f.conflict)])).toEqual([[unit, [expect.stringContaining(conflict)]]]);
  });
});

describe('merge-tree output and conflict regions', () => {
  it('parses trees, conflicted files and the specific conflict type', () => {
    const out = ['tree1', 'a.txt', 'bin', '', '1', 'bin', 'CONFLICT (binary)', 'warning: Cannot merge binary files\n', '1', 'bin', 'CONFLICT (contents)', 'CONFLICT (content): Merge conflict in bin\n', '1', 'a.txt', 'CONFLICT (contents)', 'CONFLICT (add/add): Merge conflict in a.txt\n', ''].join('\0');
    const parsed = parseMergeTreeOutput(out);
    expect(parsed.tree).toBe('tree1');
    expect(parsed.files).toEqual(['a.txt', 'bin']);
    expect(Object.fromEntries(parsed.types)).toEqual({ bin: 'binary', 'a.txt': 'add/add' });
    expect(parseMergeTreeOutput('tree2\0')).toEqual({ tree: 'tree2', files: [], types: new Map() });
  });

  it('reports conflict regions as lines of ours, in merge and diff3 style', () => {
    expect(conflictRegions('a\n<<<<<<< ours\nb\nc\n=======\nx\n>>>>>>> theirs\nd\n')).toEqual([{ start: 2, end: 3 }]);
    expect(conflictRegions('<<<<<<< o\nb\n||||||| base\nq\n=======\nx\n>>>>>>> t\nz\n<<<<<<< o\n=======\ny\n>>>>>>> t\n')).toEqual([
      { start: 1, end: 1 },
      { start: 3, end: 3 },
    ]);
  });

  it('normalizes patches without line numbers, context or similarity, keeping binary blob ids', () => {
    const a = 'diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -3 +3 @@\n-old\n+new\n';
    const b = 'diff --git a/x b/x\nindex 7..8 100644\n--- a/x\n+++ b/x\n@@ -30 +30 @@\n-old\n+new\n';
    expect(normalizePatchText(a)).toBe(normalizePatchText(b));
    const binA = 'diff --git a/p b/p\nindex 1..2 100644\nBinary files a/p and b/p differ\n';
    const binB = 'diff --git a/p b/p\nindex 1..3 100644\nBinary files a/p and b/p differ\n';
    expect(normalizePatchText(binA)).not.toBe(normalizePatchText(binB));
  });
});

describe('units and subsets', () => {
  it('names units by Session-Id trailer, PR number, or short sha', () => {
    const sha = 'abcdef0123456789abcdef0123456789abcdef01';
    expect(unitName({ sha, subject: 'x (#12)', trailers: [{ key: 'Session-Id', value: 'agent-7' }] })).toBe('agent-7');
    expect(unitName({ sha, subject: 'Merge pull request #9 from o/b', trailers: [] })).toBe('#9');
    expect(unitName({ sha, subject: 'Squashed (#123)', trailers: [] })).toBe('#123');
    expect(unitName({ sha, subject: 'plain', trailers: [] })).toBe('abcdef012345');
  });

  it('enumerates subsets in order', () => {
    expect([...combinations(['a', 'b', 'c'], 2)]).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
  });

  it('writes commit objects exactly as git would', async () => {
    const r = createRepo();
    cleanup.push(() => r.cleanup());
    const git = new Git(r.dir);
    const store = await ScratchStore.create(git, scratchDir());
    try {
      const tree = r.git(['rev-parse', 'HEAD^{tree}']);
      const id = store.writeCommit(tree, [r.head()], 'm');
      const body = `tree ${tree}\nparent ${r.head()}\nauthor rollback-gate <rollback-gate@localhost> 0 +0000\ncommitter rollback-gate <rollback-gate@localhost> 0 +0000\n\nm\n`;
      expect(r.git(['hash-object', '-t', 'commit', '--stdin'], { input: body })).toBe(id);
      expect((await store.text(['cat-file', '-t', id]))).toBe('commit');
      expect((await git.test(['cat-file', '-e', id])).exitCode).not.toBe(0); // not in the repository itself
    } finally {
      store.dispose();
    }
  });
});
