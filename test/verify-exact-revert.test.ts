/**
 * Reverts computed without a merge (verify/exact-revert.ts) against the real merge, on generated
 * histories: edits, additions, deletions, renames, mode changes, type changes (file to symlink),
 * binary files, submodule (gitlink) updates, files that become directories, and changes in the same
 * directories. Every revert the shortcut takes must be the merge's own answer (clean, same tree), and
 * the verdicts of verify-rollback (pr and drill) must be the same with the shortcut on and off.
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
  exactRevertTrees,
  readWindow,
  revertNeedsNoMerge,
  silentLogger,
  verifyRollback,
  type Revertable,
  type Unit,
  type VerifyResult,
} from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';
import { mulberry32 } from './harness/random.js';

const cleanup: Array<() => void> = [];
afterAll(() => cleanup.forEach((f) => f()));

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-exact-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Entry = { mode: '100644' | '100755' | '120000'; data: string } | { mode: '160000'; sha: string };

/** `count` commits of random changes on top of `r`'s main, through one `git fast-import`. */
function generateHistory(r: TestRepo, seed: number, count: number): void {
  const next = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const dirs = ['', 'a', 'a/b', 'c', 'c/d/e', 'f g', 'h'];
  const files = new Map<string, Entry>();
  const text = (tag: string): string => Array.from({ length: 6 }, (_, i) => `${tag} line ${i} ${Math.floor(next() * 4)}`).join('\n') + '\n';
  const binary = (tag: string): string => `${tag}\u0000\u0001binary ${Math.floor(next() * 1000)}\n`;
  const fresh = (): string => {
    for (;;) {
      const dir = pick(dirs);
      const path = `${dir ? `${dir}/` : ''}file${Math.floor(next() * 40)}.txt`;
      const clash = [...files.keys()].some((p) => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`));
      if (!clash) return path;
    }
  };
  for (let i = 0; i < 24; i++) files.set(fresh(), { mode: i % 7 === 3 ? '100755' : '100644', data: i % 9 === 4 ? binary(`b${i}`) : text(`base ${i}`) });
  files.set('mod/sub', { mode: '160000', sha: '1'.repeat(40) });
  const commits: string[] = [];
  const body = (ops: string[]): void => {
    commits.push(ops.join('\n'));
  };
  const put = (path: string, entry: Entry): string =>
    entry.mode === '160000' ? `M 160000 ${entry.sha} ${path}` : `M ${entry.mode} inline ${path}\ndata ${Buffer.byteLength(entry.data)}\n${entry.data}`;
  body([...files].map(([path, entry]) => put(path, entry)));
  for (let c = 0; c < count; c++) {
    const ops: string[] = [];
    const touched = new Set<string>();
    const regular = (): string[] => [...files.keys()].filter((p) => files.get(p)!.mode !== '160000' && !touched.has(p));
    for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
      const kind = pick(['edit', 'edit', 'edit', 'add', 'add', 'delete', 'rename', 'chmod', 'symlink', 'binary', 'gitlink', 'todir']);
      const choices = regular();
      if (choices.length < 4 && kind !== 'add') continue;
      const path = pick(choices);
      const entry = files.get(path)!;
      if (kind === 'edit' && (entry.mode === '100644' || entry.mode === '100755')) {
        const updated: Entry = { mode: entry.mode, data: text(`c${c}`) };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'binary') {
        const updated: Entry = { mode: '100644', data: binary(`c${c}`) };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'add') {
        const added = fresh();
        const created: Entry = { mode: '100644', data: text(`new ${c}`) };
        files.set(added, created);
        touched.add(added);
        ops.push(put(added, created));
      } else if (kind === 'delete') {
        files.delete(path);
        ops.push(`D ${path}`);
      } else if (kind === 'rename') {
        const to = fresh();
        files.set(to, entry);
        files.delete(path);
        touched.add(to);
        ops.push(`R "${path}" "${to}"`);
      } else if (kind === 'chmod' && (entry.mode === '100644' || entry.mode === '100755')) {
        const updated: Entry = { mode: entry.mode === '100755' ? '100644' : '100755', data: entry.data };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'symlink') {
        const updated: Entry = { mode: '120000', data: 'target/elsewhere.txt' };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'gitlink') {
        const updated: Entry = { mode: '160000', sha: (Math.floor(next() * 9) + 1).toString().repeat(40) };
        files.set('mod/sub', updated);
        touched.add('mod/sub');
        ops.push(put('mod/sub', updated));
      } else if (kind === 'todir') {
        files.delete(path);
        const inner = `${path}/inner.txt`;
        const created: Entry = { mode: '100644', data: text(`dir ${c}`) };
        files.set(inner, created);
        touched.add(inner);
        ops.push(`D ${path}`, put(inner, created));
      }
      touched.add(path);
    }
    if (ops.length > 0) body(ops);
  }
  const base = r.head();
  const stream = commits
    .map((ops, i) => `commit refs/heads/main\ncommitter Gen <gen@example.com> ${1_700_000_000 + i * 60} +0000\ndata 9\nUnit ${String(i).padStart(3, '0')}\n${i === 0 ? `from ${base}\n` : ''}${ops}\n`)
    .join('\n');
  r.git(['fast-import', '--quiet'], { input: stream });
  r.git(['reset', '--quiet', '--hard', 'main']);
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

async function bothWays(run: () => Promise<VerifyResult>): Promise<{ on: VerifyResult; off: VerifyResult }> {
  const on = await run();
  process.env.ROLLBACK_GATE_EXACT_REVERTS = '0';
  try {
    return { on, off: await run() };
  } finally {
    delete process.env.ROLLBACK_GATE_EXACT_REVERTS;
  }
}

describe('verify-rollback with and without the shortcut', () => {
  it.each([SEEDS[0]!, SEEDS[3]!])('gives the same pr and drill verdicts (seed %i)', async (seed) => {
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
    const verify = { ...structuredClone(DEFAULT_CONFIG.verify), window: { commits: 20, days: 36500 } };
    const deps = () => ({ git: new Git(r.dir), log: silentLogger, clock: () => new Date('2030-01-01T00:00:00Z'), tempDir: scratchDir(), env: {} });
    const pr = await bothWays(() =>
      verifyRollback(deps(), { mode: 'pr', verify, base: tip, head, mergeMethod: 'squash', runChecks: false, labels: [], id: `pr-${seed}`, planDir: scratchDir() }),
    );
    expect(verdict(pr.on)).toEqual(verdict(pr.off));
    expect(pr.on.merges).toBeLessThan(pr.off.merges);
    const drill = await bothWays(() =>
      verifyRollback(deps(), { mode: 'drill', verify, base: tip, mergeMethod: 'squash', runChecks: false, labels: [], id: `drill-${seed}`, planDir: scratchDir() }),
    );
    expect(verdict(drill.on)).toEqual(verdict(drill.off));
    expect(drill.on.units.filter((u) => u.status.revertible === 'alone').length).toBeGreaterThan(3);
  }, 120_000);
});
