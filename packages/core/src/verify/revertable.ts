// What a revert simulation needs of a unit, in a file of its own: search.ts, simulate.ts and exact-revert.ts all use it.
/** Something that can be reverted: a window unit, or the landing of the change under review. */
export interface Revertable {
  commit: string;
  tree: string;
  parentTree: string;
  paths: readonly string[];
  /**
   * True when its changes are only edits and additions (no deletion, rename or copy): its revert
   * adds no path back (see exact-revert.ts). Absent: not known.
   */
  onlyEdits?: boolean;
}
