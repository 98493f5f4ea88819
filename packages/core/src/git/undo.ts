/**
 * "Already reverted" is proven on trees, never read from a message: a commit counts as reverted only
 * when a later commit on the branch undoes its diff exactly, and that undo has not itself been undone
 * (a revert of the revert re-lands the change).
 *
 * The proof: the revert of X, computed in memory (`git merge-tree`) on the later commit L's parent,
 * gives exactly L's tree. For a batch rollback commit (several `Reverts:` trailers), the reverts of
 * all the commits it names, newest first, on L's parent give exactly L's tree. A body saying "This
 * reverts commit <sha>." only makes L a candidate worth checking; it proves nothing by itself.
 */
import { readCommits, type CommitInfo } from './commits.js';
import type { Git } from './git.js';
import { applyChange } from './merge.js';
import { TRAILERS, isRollbackCommit, trailerValues } from './protocol.js';

interface LedgerEntry {
  commit: CommitInfo;
  /** Paths it changed against its first parent, sorted. */
  paths: string[];
  /** Its position on the first-parent line (0 = oldest read). */
  index: number;
}

export interface Undo {
  /** The commit that undoes it exactly. */
  by: CommitInfo;
  /** True when `by` is a rollback commit (it carries `Rollback-Of:`). */
  rollback: boolean;
}

/** Paths changed by `commit` against its parent `mainline` (1-based), sorted. */
async function changedPaths(git: Git, commit: CommitInfo, mainline: number): Promise<string[]> {
  const parent = commit.parents[mainline - 1];
  if (!parent) return [];
  const out = await git.run(['diff-tree', '-r', '-z', '--name-only', '--no-renames', parent, commit.sha]);
  return out.stdout.split('\0').filter(Boolean).sort();
}

function samePaths(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/**
 * The first-parent history of a branch after a point, read once, that answers "is this commit
 * undone on the branch, and by which commit?" with a tree-level proof.
 */
export class RevertLedger {
  private readonly bySha = new Map<string, LedgerEntry>();
  private readonly memo = new Map<string, Promise<Undo | null>>();

  private constructor(
    private readonly git: Git,
    readonly tip: string,
    private readonly entries: LedgerEntry[],
  ) {
    for (const e of entries) this.bySha.set(e.commit.sha, e);
  }

  /** Reads the first-parent commits in `since..tip` (all of `tip`'s first-parent line without `since`). */
  static async read(git: Git, tip: string, since: string | undefined, limit = 5000): Promise<RevertLedger> {
    const range = since ? `${since}..${tip}` : tip;
    const commits = await readCommits(git, [range], { firstParent: true, newestFirst: false, maxCount: limit });
    const listing = await git.run(['log', '--first-parent', '--no-renames', '--name-only', '-z', '--format=%x1e%H', `--max-count=${limit}`, '--end-of-options', range, '--']);
    const paths = new Map<string, string[]>();
    for (const record of listing.stdout.split('\x1e')) {
      const [sha = '', ...rest] = record.split('\0');
      if (!sha.trim()) continue;
      paths.set(sha.trim(), rest.map((p) => p.replace(/^\n/, '')).filter(Boolean).sort());
    }
    const entries = commits.map((commit, index) => ({ commit, paths: paths.get(commit.sha) ?? [], index }));
    return new RevertLedger(git, tip, entries);
  }

  /** The first-parent commits read, oldest first. */
  get commits(): CommitInfo[] {
    return this.entries.map((e) => e.commit);
  }

  /**
   * The commit that undoes `commit` (reverted against parent `mainline`) on the branch and is not
   * itself undone later, or null when the change is still in effect.
   */
  undoneBy(commit: CommitInfo, mainline: number | null = null): Promise<Undo | null> {
    const key = `${commit.sha}:${mainline ?? 1}`;
    let found = this.memo.get(key);
    if (!found) {
      found = this.findUndo(commit, mainline ?? 1);
      this.memo.set(key, found);
    }
    return found;
  }

  private async findUndo(commit: CommitInfo, mainline: number): Promise<Undo | null> {
    const parent = commit.parents[mainline - 1];
    if (!parent) return null;
    const own = this.bySha.get(commit.sha);
    const paths = own && mainline === 1 ? own.paths : await changedPaths(this.git, commit, mainline);
    if (paths.length === 0) return null;
    const parentTree = await this.git.treeOf(parent);
    for (const later of this.entries) {
      if (own && later.index <= own.index) continue;
      if (later.commit.sha === commit.sha || later.commit.parents.length !== 1) continue;
      const named = trailerValues(later.commit, TRAILERS.reverts);
      const batch = named.length > 1 && named.includes(commit.sha);
      if (!samePaths(later.paths, paths) && !(batch && paths.every((p) => later.paths.includes(p)))) continue;
      const laterParent = later.commit.parents[0]!;
      if (!own && !(await this.git.isAncestor(commit.sha, laterParent))) continue;
      const proven = batch ? await this.undoesAll(named, later.commit) : await this.undoesOne(commit.sha, parentTree, later.commit);
      if (!proven) continue;
      // A revert of the revert brings the change back: then this undo does not count.
      if (await this.undoneBy(later.commit)) continue;
      return { by: later.commit, rollback: isRollbackCommit(later.commit) };
    }
    return null;
  }

  /** Reverting `sha` on `later`'s parent gives exactly `later`'s tree. */
  private async undoesOne(sha: string, parentTree: string, later: CommitInfo): Promise<boolean> {
    const onto = await this.git.treeOf(later.parents[0]!);
    const applied = await applyChange(this.git, sha, parentTree, onto);
    return applied.clean && applied.tree === later.tree;
  }

  /** Reverting every commit `later` names (newest first, merges against their first parent) on its parent gives exactly its tree. */
  private async undoesAll(shas: readonly string[], later: CommitInfo): Promise<boolean> {
    let tree = await this.git.treeOf(later.parents[0]!);
    for (const sha of shas) {
      if (!(await this.git.objectExists(sha))) return false;
      const parent = (await this.git.text(['rev-parse', '--verify', '--end-of-options', `${sha}^1`]).catch(() => ''));
      if (!parent) return false;
      const applied = await applyChange(this.git, sha, await this.git.treeOf(parent), tree);
      if (!applied.clean) return false;
      tree = applied.tree;
    }
    return tree === later.tree;
  }
}

