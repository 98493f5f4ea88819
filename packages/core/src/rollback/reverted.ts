/** Whether a rollback target is already rolled back (by a proven undo on the branch, or on its pending rollback branch). */
import type { CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { RevertLedger } from '../git/undo.js';

export interface RolledBack {
  /** Where the undo was found: the branch itself, or a pending rollback branch. */
  ref: string;
  /** For each commit of the set (newest first), the commit that undoes it. */
  undone: Array<{ commit: CommitInfo; by: CommitInfo; rollback: boolean }>;
}

/**
 * Whether every commit of `commits` is already proven undone, on the branch (tip `tip`) or on the
 * pending rollback branch `pending` (a PR not merged yet): then a re-run changes nothing. Null when
 * any commit is still in effect (or the set is empty).
 */
export async function findRolledBack(
  git: Git,
  options: { tip: string; branch: string; commits: ReadonlyArray<{ commit: CommitInfo; mainline: 1 | null }>; remote: string; pending: string },
): Promise<RolledBack | null> {
  const { commits } = options;
  const oldest = commits[commits.length - 1];
  if (!oldest) return null;
  const inSet = new Set(commits.map((s) => s.commit.sha));
  const check = async (tip: string, ref: string): Promise<RolledBack | null> => {
    const ledger = await RevertLedger.read(git, tip, oldest.commit.parents[0]);
    const undone: RolledBack['undone'] = [];
    for (const step of commits) {
      const undo = await ledger.undoneBy(step.commit, step.mainline);
      if (!undo || inSet.has(undo.by.sha)) return null;
      undone.push({ commit: step.commit, by: undo.by, rollback: undo.rollback });
    }
    return { ref, undone };
  };
  const onBranch = await check(options.tip, options.branch);
  if (onBranch) return onBranch;
  const pendingTip = await git.remoteRef(options.remote, `refs/heads/${options.pending}`).catch(() => undefined);
  if (!pendingTip) return null;
  await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', options.remote, `+refs/heads/${options.pending}:refs/remotes/${options.remote}/${options.pending}`]);
  if (!(await git.objectExists(pendingTip)) || !(await git.isAncestor(oldest.commit.sha, pendingTip))) return null;
  return check(pendingTip, options.pending);
}
