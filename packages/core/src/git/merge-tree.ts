import type { Git } from './git.js';

/** Identity and date for throwaway commits that only exist to steer `git merge-tree`; never pushed. */
const SCRATCH_ENV = {
  GIT_AUTHOR_NAME: 'rollback-gate',
  GIT_AUTHOR_EMAIL: 'scratch@rollback-gate.invalid',
  GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_NAME: 'rollback-gate',
  GIT_COMMITTER_EMAIL: 'scratch@rollback-gate.invalid',
  GIT_COMMITTER_DATE: '@0 +0000',
};

export interface AppliedChange {
  clean: boolean;
  /** The resulting tree (with conflict markers in conflicted files when not clean). */
  tree: string;
  /** Paths that conflicted. */
  conflicts: string[];
}

async function scratchCommit(git: Git, tree: string, parent: string): Promise<string> {
  return git.text(['commit-tree', tree, '-p', parent, '-m', 'rollback-gate scratch'], { env: SCRATCH_ENV });
}

/**
 * Applies the change from commit `base` to tree `target` onto tree `onto`, as a three-way merge
 * with `base` as the merge base, without touching any index, working tree or ref.
 *
 * Works on git >= 2.38 (`merge-tree --write-tree`); `--merge-base` (2.40) is not needed: both sides
 * are scratch commits whose only parent is `base`, so `base` is their merge base.
 * - cherry-pick of C onto T: applyChange(git, C^, tree(C), tree(T))
 * - revert of C on T:        applyChange(git, C, tree(C^), tree(T))
 */
export async function applyChange(git: Git, base: string, target: string, onto: string): Promise<AppliedChange> {
  const [ours, theirs] = await Promise.all([scratchCommit(git, onto, base), scratchCommit(git, target, base)]);
  const result = await git.run(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', ours, theirs], {
    okExitCodes: [0, 1],
    hint: 'rollback-gate needs git 2.38 or newer (`git merge-tree --write-tree`).',
  });
  const fields = result.stdout.split('\0');
  const tree = fields[0] ?? '';
  const conflicts = result.exitCode === 0 ? [] : [...new Set(fields.slice(1).filter(Boolean))];
  return { clean: result.exitCode === 0, tree, conflicts };
}
