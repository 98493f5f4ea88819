/**
 * verify's simulations: reverts (base = the unit, ours = the tip, theirs = the unit's parent),
 * cherry-picks and landings, through the one merge engine (git/merge.ts) on the scratch store.
 */
import { detectMergeEngine, TreeMerger, type MergeEngine, type MergeOutcome } from '../git/merge.js';
import type { ScratchStore } from '../sandbox/scratch.js';

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

export class Simulator extends TreeMerger {
  constructor(
    override readonly store: ScratchStore,
    engine: MergeEngine,
  ) {
    super(store, engine);
  }

  static async create(store: ScratchStore, engine?: MergeEngine): Promise<Simulator> {
    return new Simulator(store, engine ?? (await detectMergeEngine(store)));
  }

  /** The tree `git revert` of a unit (`tree`, reverted to `parentTree`) would give on `tipTree`. */
  revert(unit: { tree: string; parentTree: string }, tipTree: string): Promise<MergeOutcome> {
    return this.merge3(unit.tree, tipTree, unit.parentTree);
  }
}
