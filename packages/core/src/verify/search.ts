/**
 * Which later units must be rolled back with a unit whose revert alone conflicts? Reverting every
 * later unit first always works on a linear first-parent history, so the question is the smallest
 * such set. Only later units that touch the same paths (transitively) can matter; among up to
 * EXHAUSTIVE_LIMIT of them every subset is tried, smallest first; beyond that, units are dropped one
 * at a time while the rollback stays clean, which leaves a set none of whose units can be dropped.
 */
import type { MergeOutcome } from '../git/merge.js';
import type { Simulator } from './simulate.js';
import type { Revertable } from './revertable.js';

export type { Revertable } from './revertable.js';

export type SearchOutcome =
  | { kind: 'with-later'; with: Revertable[]; smallest: boolean; tree: string }
  | { kind: 'no'; conflicts: MergeOutcome['conflicts'] };

const EXHAUSTIVE_LIMIT = 5;
/**
 * Reverts one search may ask for (each distinct one counted once, whether git merged it, an earlier
 * merge answered it or it needed none); past it, the set found so far is reported without
 * minimizing further. Counted per search, so that the answer does not depend on what searches
 * running at the same time merged, nor on which reverts needed no merge (exact-revert.ts).
 */
export const MERGE_BUDGET = 400;

/**
 * Reverts `units` (newest first) one after another on `tipTree`; stops at the first conflict.
 * `asked`: where the reverts asked for are recorded (see MERGE_BUDGET).
 */
export async function chainRevert(sim: Simulator, tipTree: string, units: readonly Revertable[], asked?: Set<string>): Promise<MergeOutcome> {
  let tree = tipTree;
  for (const unit of units) {
    asked?.add(`${unit.tree} ${tree} ${unit.parentTree}`);
    const outcome = await sim.revert(unit, tree);
    if (!outcome.clean) return outcome;
    tree = outcome.tree;
  }
  return { clean: true, tree, conflicts: [] };
}

/** The later units (newest first) that share paths with the target, transitively. */
export function overlappingLater(target: Revertable, later: readonly Revertable[]): Revertable[] {
  const paths = new Set(target.paths);
  const chosen = new Set<Revertable>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const unit of later) {
      if (chosen.has(unit) || !unit.paths.some((p) => paths.has(p))) continue;
      chosen.add(unit);
      for (const p of unit.paths) paths.add(p);
      grew = true;
    }
  }
  return later.filter((unit) => chosen.has(unit));
}

/**
 * The smallest set of `later` units (given newest first) that, reverted first, lets `target` revert
 * cleanly on `tipTree`.
 */
export async function searchWithLater(
  sim: Simulator,
  target: Revertable,
  later: readonly Revertable[],
  tipTree: string,
): Promise<SearchOutcome> {
  const asked = new Set<string>();
  const attempt = (set: readonly Revertable[]): Promise<MergeOutcome> => chainRevert(sim, tipTree, [...set, target], asked);
  let candidates = overlappingLater(target, later);
  let outcome = await attempt(candidates);
  if (!outcome.clean && candidates.length < later.length) {
    candidates = [...later];
    outcome = await attempt(candidates);
  }
  if (!outcome.clean) return { kind: 'no', conflicts: outcome.conflicts };

  if (candidates.length <= EXHAUSTIVE_LIMIT) {
    for (let size = 1; size < candidates.length; size++) {
      for (const subset of combinations(candidates, size)) {
        const tried = await attempt(subset);
        if (tried.clean) return { kind: 'with-later', with: subset, smallest: true, tree: tried.tree };
      }
    }
    return { kind: 'with-later', with: candidates, smallest: true, tree: outcome.tree };
  }

  // Drop units oldest first: the chain's newest-first prefix stays the same, so merges are reused.
  let set = candidates;
  let tree = outcome.tree;
  for (let index = set.length - 1; index >= 0; index--) {
    if (asked.size > MERGE_BUDGET) return { kind: 'with-later', with: set, smallest: false, tree };
    const without = set.filter((_, i) => i !== index);
    const tried = await attempt(without);
    if (tried.clean) {
      set = without;
      tree = tried.tree;
    }
  }
  return { kind: 'with-later', with: set, smallest: false, tree };
}

/** Subsets of `items` of the given size, keeping their order. */
export function* combinations<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i]!, ...rest];
  }
}
