/** The config's verify commands on one tree, in a throwaway worktree (the engine's), for `squash --run-checks`. */
import { ScratchStore, ThrowawayWorktree, runChecks, type CheckResult, type Logger } from '@rollback-gate/core';
import type { Repo } from './context.js';

export async function checksOnTree(repo: Repo, tempDir: string, commit: string, log: Logger, env: Record<string, string | undefined>): Promise<CheckResult[]> {
  const store = await ScratchStore.create(repo.git, tempDir);
  try {
    const worktree = await ThrowawayWorktree.create(store);
    try {
      const sha = await repo.git.requireCommit(commit, 'the commit to check');
      await worktree.checkout(await repo.git.treeOf(sha), sha, `checks on ${sha}`);
      return await runChecks(worktree.dir, { commands: repo.config.verify.commands, timeoutMinutes: repo.config.verify.timeoutMinutes, env, log });
    } finally {
      worktree.remove();
    }
  } finally {
    store.dispose();
  }
}
