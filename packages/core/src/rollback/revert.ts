import type { CommitInfo } from '../git/commits.js';
import { UserError } from '../base/errors.js';
import type { Git } from '../git/git.js';
import { TRAILERS, hasTrailerLine, trailerLine } from '../git/protocol.js';
import { applyChange } from '../git/merge.js';

export interface RevertStep {
  commit: CommitInfo;
  /** `git revert -m 1` for a merge commit. */
  mainline: 1 | null;
}

export interface RevertOutcome {
  /** The steps that changed the tree, newest first. */
  applied: RevertStep[];
  /** Commits already reverted on the branch (skipped), with why. */
  skipped: Array<{ commit: CommitInfo; reason: string }>;
  tree: string;
  /** Files the reverts changed. */
  files: string[];
}

/** Commits that later commits on the branch already revert ("This reverts commit <sha>"). */
export async function alreadyReverted(git: Git, tip: string, since: string, shas: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const log = await git.run(['log', '--format=%H%x00%B%x1e', '--end-of-options', `${since}..${tip}`]);
  for (const record of log.stdout.split('\x1e')) {
    const [sha = '', body = ''] = record.replace(/^\n/, '').split('\0');
    for (const m of body.matchAll(/This reverts commits? ([0-9a-f]{40})/g)) found.set(m[1]!, sha.trim());
    for (const m of body.matchAll(/^- ([0-9a-f]{40}) /gm)) if (hasTrailerLine(body, TRAILERS.rollbackOf)) found.set(m[1]!, sha.trim());
  }
  return new Map([...found].filter(([reverted]) => shas.includes(reverted)));
}

/**
 * Reverts the steps newest first onto `tipTree`, in memory (`git merge-tree`, no worktree). A conflict
 * aborts with the files and the commit named; nothing is written to any ref.
 */
export async function revertSteps(git: Git, tip: string, tipTree: string, steps: readonly RevertStep[]): Promise<RevertOutcome> {
  const oldest = steps[steps.length - 1];
  const reverted = oldest ? await alreadyReverted(git, tip, oldest.commit.sha, steps.map((s) => s.commit.sha)) : new Map<string, string>();
  const outcome: RevertOutcome = { applied: [], skipped: [], tree: tipTree, files: [] };
  for (const step of steps) {
    const by = reverted.get(step.commit.sha);
    if (by) {
      outcome.skipped.push({ commit: step.commit, reason: `already reverted by ${by.slice(0, 12)}` });
      continue;
    }
    const parent = step.commit.parents[step.mainline ? step.mainline - 1 : 0];
    if (!parent) throw new UserError(`commit ${step.commit.sha} is a root commit; it cannot be reverted.`);
    const parentTree = await git.treeOf(parent);
    const applied = await applyChange(git, step.commit.sha, parentTree, outcome.tree);
    if (!applied.clean) {
      throw new UserError(
        `reverting ${step.commit.sha.slice(0, 12)} "${step.commit.subject}" conflicts in ${applied.conflicts.join(', ')}${outcome.applied.length > 0 ? ` (after reverting ${outcome.applied.map((s) => s.commit.sha.slice(0, 12)).join(', ')})` : ''}. Nothing was pushed.`,
        'A later change builds on it: roll back the later change too (a range), or resolve the revert by hand.',
      );
    }
    if (applied.tree === outcome.tree) {
      outcome.skipped.push({ commit: step.commit, reason: 'reverting it changes nothing (already undone)' });
      continue;
    }
    outcome.tree = applied.tree;
    outcome.applied.push(step);
  }
  if (outcome.applied.length > 0) {
    const diff = await git.run(['diff-tree', '-r', '-z', '--name-only', '--no-renames', tipTree, outcome.tree]);
    outcome.files = diff.stdout.split('\0').filter(Boolean);
  }
  return outcome;
}

/** Writes the revert commit(s) on top of `tip`: one commit for the batch, or one per step. */
export async function commitReverts(
  git: Git,
  options: { tip: string; tipTree: string; outcome: RevertOutcome; batch: boolean; title: string; id: string; env: Record<string, string> },
): Promise<string> {
  const { outcome } = options;
  if (options.batch || outcome.applied.length === 1) {
    const lines = outcome.applied.map((s) => `- ${s.commit.sha} ${s.commit.subject}${s.mainline ? ' (merge, -m 1)' : ''}`);
    const body =
      outcome.applied.length === 1
        ? `This reverts commit ${outcome.applied[0]!.commit.sha}.`
        : `This reverts commits, newest first:\n${lines.join('\n')}`;
    const message = `${options.title}\n\n${body}\n\n${trailerLine(TRAILERS.rollbackOf, options.id)}\n`;
    return git.text(['commit-tree', outcome.tree, '-p', options.tip, '-F', '-'], { input: message, env: options.env });
  }
  let tip = options.tip;
  let tree = options.tipTree;
  for (const step of outcome.applied) {
    const parent = step.commit.parents[step.mainline ? step.mainline - 1 : 0]!;
    const applied = await applyChange(git, step.commit.sha, await git.treeOf(parent), tree);
    tree = applied.tree;
    const message = `Revert "${step.commit.subject}"\n\nThis reverts commit ${step.commit.sha}.\n\n${trailerLine(TRAILERS.rollbackOf, options.id)}\n`;
    tip = await git.text(['commit-tree', tree, '-p', tip, '-F', '-'], { input: message, env: options.env });
  }
  return tip;
}
