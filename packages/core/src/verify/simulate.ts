/**
 * verify's simulations: reverts (base = the unit, ours = the tip, theirs = the unit's parent),
 * cherry-picks and landings, through the one merge engine (git/merge.ts) on the scratch store.
 */
import { spawn } from 'node:child_process';
import { GIT_SAFETY_OPTIONS } from '../git/git.js';
import { detectMergeBatch, detectMergeEngine, MergeTreeBatch, TreeMerger, type GitSpawner, type MergeEngine, type MergeOutcome } from '../git/merge.js';
import type { ScratchStore } from '../sandbox/scratch.js';
import { groupDigits, plural } from '../output/markdown.js';
import { exactRevertTrees, revertNeedsNoMerge } from './exact-revert.js';
import type { Revertable } from './revertable.js';

/** Runs at most `limit` tasks at a time; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Whether to batch merges: 'auto' (when git can), or never ('off'; `ROLLBACK_GATE_MERGE_BATCH=0` says the same). */
export type MergeBatching = 'auto' | 'off';

/** `git <args>` as a long-lived process on the scratch store (its objects, the repository's through alternates). */
function scratchSpawner(store: ScratchStore): GitSpawner {
  return (args) =>
    spawn('git', [...GIT_SAFETY_OPTIONS, ...args], {
      cwd: store.git.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...store.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
}

export class Simulator extends TreeMerger {
  constructor(
    override readonly store: ScratchStore,
    engine: MergeEngine,
    batch?: MergeTreeBatch,
  ) {
    super(store, engine, true, batch);
  }

  /**
   * A simulator on the scratch store: `git merge-tree` when git has it (else a temporary index),
   * all merges through one `merge-tree --stdin` process when git can (2.42+, detected by running it).
   */
  static async create(store: ScratchStore, engine?: MergeEngine, batching: MergeBatching = process.env.ROLLBACK_GATE_MERGE_BATCH === '0' ? 'off' : 'auto'): Promise<Simulator> {
    const chosen = engine ?? (await detectMergeEngine(store));
    const batch = chosen === 'merge-tree' && batching === 'auto' && (await detectMergeBatch(store)) ? new MergeTreeBatch(scratchSpawner(store), store.format) : undefined;
    return new Simulator(store, chosen, batch);
  }

  /** How merges run, for the log and the summary. */
  describe(): string {
    return this.batch ? `${this.engine} merges (one merge-tree --stdin process)` : `${this.engine} merges`;
  }

  /** Reverts computed without a merge (exact-revert.ts), for the log and the summary (mergeCount does not count them). */
  exactReverts = 0;

  /**
   * Before the reverts of `items` on `tipTree` are asked for: those that need no merge (nothing in
   * their `later` touched their paths; see exact-revert.ts) are computed at once, in one
   * `git cat-file --batch`, and remembered, so `revert` answers them without a merge.
   * `ROLLBACK_GATE_EXACT_REVERTS=0` turns it off (every revert is merged).
   */
  async prepareReverts(items: ReadonlyArray<{ target: Revertable; later: readonly Revertable[] }>, tipTree: string): Promise<void> {
    if (process.env.ROLLBACK_GATE_EXACT_REVERTS === '0') return;
    // A revert merge3 answers without git (the tip is the unit's tree, or its parent's) is not one to save.
    const trivial = (target: Revertable): boolean => target.tree === target.parentTree || tipTree === target.tree || tipTree === target.parentTree;
    const targets = items.filter(({ target, later }) => !trivial(target) && revertNeedsNoMerge(target, later)).map((i) => i.target);
    if (targets.length === 0) return;
    const trees = await exactRevertTrees(this.store, tipTree, targets);
    for (const [target, tree] of trees) {
      if (this.remember(target.tree, tipTree, target.parentTree, { clean: true, tree, conflicts: [] })) this.exactReverts++;
    }
  }

  /** The tree `git revert` of a unit (`tree`, reverted to `parentTree`) would give on `tipTree`. */
  revert(unit: { tree: string; parentTree: string }, tipTree: string): Promise<MergeOutcome> {
    return this.merge3(unit.tree, tipTree, unit.parentTree);
  }
}

/** What a run's simulation did: merges git ran, and reverts computed from the trees without one. */
export interface SimulationCounts {
  merges: number;
  exactReverts: number;
  engine: MergeEngine;
}

/**
 * What the simulation did, in one clause: the merges git ran and the reverts computed from the
 * trees without one (`17 merges simulated: 14 with git merge-tree, 3 reverts computed exactly from
 * the trees …`). `code` quotes a command (backticks in Markdown; nothing on a terminal).
 */
export function describeSimulation(counts: SimulationCounts, code: (text: string) => string = (text) => text): string {
  const engine = counts.engine === 'merge-tree' ? code('git merge-tree') : 'a temporary index';
  if (counts.exactReverts === 0) return `${plural(counts.merges, 'simulated merge')} with ${engine}`;
  const units = counts.exactReverts === 1 ? 'that unit touched its' : 'those units touched their';
  const exact = `${plural(counts.exactReverts, 'revert')} computed exactly from the trees (nothing after ${units} files)`;
  return `${plural(counts.merges + counts.exactReverts, 'merge')} simulated: ${counts.merges === 0 ? 'none' : groupDigits(counts.merges)} with ${engine}, ${exact}`;
}
