/**
 * Reverts computed without a merge (verify/exact-revert.ts) against the real merge, on generated
 * histories: edits, additions, deletions, renames, mode changes, type changes (file to symlink),
 * binary files, submodule (gitlink) updates, files that become directories, and changes in the same
 * directories. Every revert the shortcut takes must be the merge's own answer (clean, same tree), and
 * the verdicts of verify-rollback (pr and drill) must be the same with the shortcut on and off.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_CONFIG,
  Git,
  ScratchStore,
  Simulator,
  describeSimulation,
  exactRevertTrees,
  readWindow,
  renderVerifySummary,
  revertNeedsNoMerge,
  silentLogger,
  verifyRollback,
  type Logger,
  type Revertable,
  type Unit,
  type VerifyResult,
} from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';
import { generateHistory } from './harness/history.js';

const cleanup: Array<() => void> = [];
afterAll(() => cleanup.forEach((f) => f()));

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-exact-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function revertableOf(unit: Unit): Revertable {
  return { commit: unit.commit, tree: unit.tree, parentTree: unit.parentTree, paths: unit.paths, onlyEdits: unit.changes.every((c) => /^[AMT]$/.test(c.status)) };
}

const SEEDS = [1, 2, 3, 4, 5, 6];

describe('reverts that need no merge', () => {
  it('are exactly the merge: clean, the same tree, on every tip of generated histories', async () => {
    let taken = 0;
    let merged = 0;
    for (const seed of SEEDS) {
      const r = createRepo({ initial: { 'README.md': 'x\n' } });
      cleanup.push(() => r.cleanup());
      generateHistory(r, seed, 30);
      const git = new Git(r.dir);
      const store = await ScratchStore.create(git, scratchDir());
      const sim = await Simulator.create(store, 'merge-tree', 'off');
      try {
        const units = await readWindow(git, r.head(), { commits: 40, days: 36500, now: new Date() });
        const revertables = units.map(revertableOf);
        // Every tip of the history, and every unit under it: the shortcut's tree against the merge's.
        for (let tip = 0; tip < revertables.length; tip += 3) {
          const tipTree = revertables[tip]!.tree;
          const targets = revertables.slice(tip + 1).filter((target, i) => revertNeedsNoMerge(target, revertables.slice(tip, tip + 1 + i)));
          const trees = await exactRevertTrees(store, tipTree, targets);
          for (const [index, target] of revertables.slice(tip + 1).entries()) {
            const exact = trees.get(target);
            if (exact === undefined) {
              merged++;
              continue;
            }
            taken++;
            const merge = await sim.revert(target, tipTree);
            expect({ seed, tip, index, clean: merge.clean, tree: merge.tree }).toEqual({ seed, tip, index, clean: true, tree: exact });
          }
        }
        // The trees the shortcut wrote are real objects once git may read them.
        store.flush();
        expect((await store.test(['fsck', '--no-dangling', '--connectivity-only'])).exitCode).toBe(0);
      } finally {
        sim.close();
        store.dispose();
      }
    }
    // Both kinds happened often enough for the comparison to mean something.
    expect(taken).toBeGreaterThan(100);
    expect(merged).toBeGreaterThan(100);
  }, 180_000);

  it('say no when a later change touches a path, a directory above one, or one below it; or the unit deleted or renamed', () => {
    const unit = (paths: string[], onlyEdits = true): Revertable => ({ commit: 'c', tree: 't', parentTree: 'p', paths, onlyEdits });
    expect(revertNeedsNoMerge(unit(['a/b.txt']), [unit(['a/c.txt']), unit(['x/b.txt'])])).toBe(true);
    expect(revertNeedsNoMerge(unit(['a/b.txt']), [unit(['a/b.txt'])])).toBe(false);
    expect(revertNeedsNoMerge(unit(['a/b']), [unit(['a/b/c.txt'])])).toBe(false); // the file became a directory
    expect(revertNeedsNoMerge(unit(['a/b/c.txt']), [unit(['a/b'])])).toBe(false); // the directory became a file
    expect(revertNeedsNoMerge(unit(['a/b.txt'], false), [])).toBe(false); // a deletion or rename: merge
    expect(revertNeedsNoMerge({ ...unit(['a/b.txt']), onlyEdits: undefined }, [])).toBe(false);
    expect(revertNeedsNoMerge(unit(['a/new\nline.txt']), [])).toBe(false);
  });
});

/** The parts of a verdict the shortcut must not change (the merge count is the one that does). */
function verdict(result: VerifyResult): unknown {
  return {
    units: result.units.map((u) => ({ unit: u.unit.commit, status: u.status, before: u.before, inverse: u.inverse, rolledBackBy: u.rolledBackBy })),
    entangled: result.entangled,
    soft: result.soft,
    problems: result.problems,
    warnings: result.warnings,
    rollbackReady: result.rollbackReady,
    landing: result.landing,
    steps: 'steps' in result.plan ? result.plan.steps : undefined,
  };
}

/** Runs `run` with these variables set (undefined: unset), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const put = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  put(vars);
  try {
    return await run();
  } finally {
    put(saved);
  }
}

async function bothWays(run: () => Promise<VerifyResult>): Promise<{ on: VerifyResult; off: VerifyResult }> {
  const on = await withEnv({ ROLLBACK_GATE_EXACT_REVERTS: undefined }, run);
  return { on, off: await withEnv({ ROLLBACK_GATE_EXACT_REVERTS: '0' }, run) };
}

/** A generated history (24 commits) and a change under review on `feature`. */
function historyWithChange(seed: number): { r: TestRepo; tip: string; head: string } {
  const r = createRepo({ initial: { 'README.md': 'x\n' } });
  cleanup.push(() => r.cleanup());
  generateHistory(r, seed, 24);
  const tip = r.head();
  // The change under review: edits a file a recent unit changed and one nothing touched lately.
  // Regular files only (a path the history turned into a symlink or a directory cannot be written as one).
  const files = r
    .git(['ls-tree', '-r', 'HEAD'])
    .split('\n')
    .filter((line) => line.startsWith('100644 blob '))
    .map((line) => line.slice(line.indexOf('\t') + 1))
    .filter((p) => p.endsWith('.txt') && !p.includes(' '));
  const recent = r.git(['diff-tree', '-r', '--name-only', '--no-commit-id', 'HEAD']).split('\n').find((p) => files.includes(p));
  r.git(['switch', '--quiet', '-c', 'feature']);
  const head = r.commit('the change', { [recent ?? files[0]!]: 'rewritten by the change\n', [files[files.length - 1]!]: 'also changed\n' });
  r.git(['switch', '--quiet', 'main']);
  return { r, tip, head };
}

const VERIFY = { ...structuredClone(DEFAULT_CONFIG.verify), window: { commits: 20, days: 36500 } };

function verifyOn(r: TestRepo, mode: 'pr' | 'drill', tip: string, head?: string, log: Logger = silentLogger): Promise<VerifyResult> {
  const deps = { git: new Git(r.dir), log, clock: () => new Date('2030-01-01T00:00:00Z'), tempDir: scratchDir(), env: {} };
  return verifyRollback(deps, { mode, verify: VERIFY, base: tip, ...(head ? { head } : {}), mergeMethod: 'squash', runChecks: false, labels: [], id: mode, planDir: scratchDir() });
}

describe('verify-rollback with and without the shortcut', () => {
  it.each([SEEDS[0]!, SEEDS[3]!])('gives the same pr and drill verdicts (seed %i)', async (seed) => {
    const { r, tip, head } = historyWithChange(seed);
    const pr = await bothWays(() => verifyOn(r, 'pr', tip, head));
    expect(verdict(pr.on)).toEqual(verdict(pr.off));
    expect(pr.on.merges).toBeLessThan(pr.off.merges);
    // Every merge the shortcut saved is a revert it computed, and the summary counts both.
    expect(pr.on.exactReverts).toBeGreaterThan(0);
    expect(pr.off.exactReverts).toBe(0);
    expect(pr.on.merges + pr.on.exactReverts).toBe(pr.off.merges);
    const drill = await bothWays(() => verifyOn(r, 'drill', tip));
    expect(verdict(drill.on)).toEqual(verdict(drill.off));
    expect(drill.on.exactReverts).toBeGreaterThan(0);
    expect(drill.off.exactReverts).toBe(0);
    expect(drill.on.merges + drill.on.exactReverts).toBe(drill.off.merges);
    const footer = (result: VerifyResult): string => renderVerifySummary(result).split('\n').pop()!;
    expect(footer(drill.on)).toBe(
      `<sub>${drill.off.merges} merges simulated: ${drill.on.merges} with \`git merge-tree\`, ${drill.on.exactReverts} reverts computed exactly from the trees (nothing after those units touched their files); the checkout was not touched.</sub>`,
    );
    expect(footer(drill.off)).toBe(`<sub>${drill.off.merges} simulated merges with \`git merge-tree\`; the checkout was not touched.</sub>`);
    expect(drill.on.units.filter((u) => u.status.revertible === 'alone').length).toBeGreaterThan(3);
  }, 120_000);
});

describe('what the summary says the simulation did', () => {
  it('counts the merges git ran and the reverts computed from the trees, with real plurals', () => {
    const say = (merges: number, exactReverts: number, engine: 'merge-tree' | 'index' = 'merge-tree'): string => describeSimulation({ merges, exactReverts, engine }, (t) => `\`${t}\``);
    expect(say(14, 0)).toBe('14 simulated merges with `git merge-tree`');
    expect(say(1, 0)).toBe('1 simulated merge with `git merge-tree`');
    expect(say(0, 0)).toBe('0 simulated merges with `git merge-tree`');
    expect(say(14, 50)).toBe('64 merges simulated: 14 with `git merge-tree`, 50 reverts computed exactly from the trees (nothing after those units touched their files)');
    expect(say(1, 1)).toBe('2 merges simulated: 1 with `git merge-tree`, 1 revert computed exactly from the trees (nothing after that unit touched its files)');
    expect(say(0, 1)).toBe('1 merge simulated: none with `git merge-tree`, 1 revert computed exactly from the trees (nothing after that unit touched its files)');
    expect(say(1_200, 3_400, 'index')).toBe('4,600 merges simulated: 1,200 with a temporary index, 3,400 reverts computed exactly from the trees (nothing after those units touched their files)');
    // On a terminal: no Markdown.
    expect(describeSimulation({ merges: 3, exactReverts: 2, engine: 'merge-tree' })).toBe('5 merges simulated: 3 with git merge-tree, 2 reverts computed exactly from the trees (nothing after those units touched their files)');
  });
});

/**
 * A `git` first on PATH that answers `merge-tree --stdin` with a base per line (git 2.42+) through
 * test/harness/merge-tree-stdin.mjs, and is the real git otherwise; the lines it was sent go to `log`.
 */
function gitWithBatch(log: string): string {
  const dir = scratchDir();
  const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
  const emulator = join(dirname(fileURLToPath(import.meta.url)), 'harness', 'merge-tree-stdin.mjs');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\nmt=; st=\nfor a in "$@"; do case "$a" in merge-tree) mt=1;; --stdin) st=1;; esac; done\n` +
      `if [ -n "$mt" ] && [ -n "$st" ]; then MERGE_TREE_STDIN_LOG='${log}' exec '${process.execPath}' '${emulator}' '${real}' "$@"; fi\nexec '${real}' "$@"\n`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  return dir;
}

describe('the shortcut with merges batched through merge-tree --stdin (emulated: this git is 2.39)', () => {
  it('gives the verdicts of one merge-tree per merge; the batch reads the trees the shortcut kept in memory', async () => {
    const { r, tip, head } = historyWithChange(SEEDS[0]!);
    const log = join(scratchDir(), 'stdin-lines');
    writeFileSync(log, '');
    const withBatch = { PATH: `${gitWithBatch(log)}:${process.env.PATH}`, ROLLBACK_GATE_MERGE_BATCH: undefined };
    const lines: string[] = [];
    const recording: Logger = { ...silentLogger, info: (message) => lines.push(message) };

    // The reference: one merge-tree per merge, every revert merged.
    const reference = { pr: await withEnv({ ROLLBACK_GATE_MERGE_BATCH: '0', ROLLBACK_GATE_EXACT_REVERTS: '0' }, () => verifyOn(r, 'pr', tip, head)) };
    const referenceDrill = await withEnv({ ROLLBACK_GATE_MERGE_BATCH: '0', ROLLBACK_GATE_EXACT_REVERTS: '0' }, () => verifyOn(r, 'drill', tip));
    // Batched, with the shortcut on (what a git 2.42+ runner does) and off.
    const pr = await withEnv({ ...withBatch, ROLLBACK_GATE_EXACT_REVERTS: undefined }, () => verifyOn(r, 'pr', tip, head, recording));
    const drill = await withEnv({ ...withBatch, ROLLBACK_GATE_EXACT_REVERTS: undefined }, () => verifyOn(r, 'drill', tip, undefined, recording));
    const probe = '4b825dc642cb6eb9a060e54bf8d69288fbee4904 -- 4b825dc642cb6eb9a060e54bf8d69288fbee4904 4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    const all = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // The empty merge is both the question each run asks git first (can it batch? detectMergeBatch)
    // and the flush that ends each burst of merges (git holds back an answer's last byte): two
    // questions, and at most one flush per merge sent.
    const empties = all.filter((line) => line === probe).length;
    const sent = all.filter((line) => line !== probe);
    expect(empties).toBeGreaterThan(2);
    expect(empties).toBeLessThanOrEqual(2 + sent.length);
    const drillOff = await withEnv({ ...withBatch, ROLLBACK_GATE_EXACT_REVERTS: '0' }, () => verifyOn(r, 'drill', tip));

    expect(lines.filter((line) => line.includes('(one merge-tree --stdin process)'))).toHaveLength(2);
    expect(verdict(pr)).toEqual(verdict(reference.pr));
    expect(verdict(drill)).toEqual(verdict(referenceDrill));
    expect(verdict(drillOff)).toEqual(verdict(referenceDrill));
    // Every merge went through the batch, one line each; the shortcut saved the same merges as without it.
    expect(sent).toHaveLength(pr.merges + drill.merges);
    expect(drill.exactReverts).toBeGreaterThan(0);
    expect(drill.merges + drill.exactReverts).toBe(referenceDrill.merges);
    expect(pr.merges + pr.exactReverts).toBe(reference.pr.merges);

    // Some merges start from a tree the shortcut made in memory (a revert after a later unit's exact
    // revert): the batch process could read it only because it was written before the line was sent.
    const units = await readWindow(new Git(r.dir), tip, { commits: 20, days: 36500, now: new Date() });
    const revertables = units.map(revertableOf);
    const exactTrees = new Set(
      drill.units.flatMap((report, i) => (i > 0 && revertNeedsNoMerge(revertables[i]!, revertables.slice(0, i)) && report.status.tree ? [report.status.tree] : [])),
    );
    const fromExact = sent.filter((line) => exactTrees.has(line.split(' -- ')[1]?.split(' ')[0] ?? ''));
    expect(fromExact.length).toBeGreaterThan(0);
  }, 180_000);

  it('a batch process that dies part-way (killed by a signal): the merges it had not answered are made one process each, the verdicts stay the same', async () => {
    const { r, tip, head } = historyWithChange(SEEDS[3]!);
    const log = join(scratchDir(), 'stdin-lines');
    writeFileSync(log, '');
    const reference = await withEnv({ ROLLBACK_GATE_MERGE_BATCH: '0' }, async () => ({ pr: await verifyOn(r, 'pr', tip, head), drill: await verifyOn(r, 'drill', tip) }));
    const dying = { PATH: `${gitWithBatch(log)}:${process.env.PATH}`, ROLLBACK_GATE_MERGE_BATCH: undefined, MERGE_TREE_STDIN_ABORT_AT: '6' };
    const batched = await withEnv(dying, async () => ({ pr: await verifyOn(r, 'pr', tip, head), drill: await verifyOn(r, 'drill', tip) }));
    expect(readFileSync(log, 'utf8').split('\n').filter((line) => line === 'ABORT').length).toBeGreaterThan(1);
    expect(verdict(batched.pr)).toEqual(verdict(reference.pr));
    expect(verdict(batched.drill)).toEqual(verdict(reference.drill));
    // A merge redone alone is a merge git answered, not one it died on: nothing to warn about.
    expect(batched.drill.warnings.some((w) => w.includes('died'))).toBe(false);
  }, 180_000);
});
