import { readCommits, type CommitInfo } from '../git/commits.js';
import { UserError } from '../base/errors.js';
import type { Classification } from '../git/classify.js';
import type { Git } from '../git/git.js';
import { applyChange } from '../git/merge.js';
import { isRollbackCommit, rollbackTrailers } from '../git/protocol.js';
import { describeCommitLine, type ListedCommit } from '../output/commit-list.js';
import { RevertLedger } from '../git/undo.js';
import { plural } from '../output/markdown.js';

export interface RevertStep {
  commit: CommitInfo;
  /** `git revert -m 1` for a merge commit. */
  mainline: 1 | null;
}

export interface RevertOutcome {
  /** The steps that changed the tree, newest first. */
  applied: RevertStep[];
  /** Commits already reverted on the branch (skipped), with why; `by` is the commit proven to undo it. */
  skipped: Array<{ commit: CommitInfo; reason: string; by?: CommitInfo; byRollback?: boolean }>;
  tree: string;
  /** Files the reverts changed. */
  files: string[];
}

export interface RevertOptions {
  /** Classifies commits named in messages as agent or human. */
  classify?: (commit: CommitInfo) => Classification;
  /** The branch, for messages. */
  branch?: string;
}

/** A commit as the lists in messages and summaries show it. */
export function listed(commit: CommitInfo, classify?: (commit: CommitInfo) => Classification): ListedCommit {
  return { sha: commit.sha, subject: commit.subject, author: commit.authorName, kind: classify ? classify(commit).kind : null };
}

/** The revert of one step on `onto`, in memory. */
async function revertOnto(git: Git, step: RevertStep, onto: string): Promise<ReturnType<typeof applyChange>> {
  const parent = step.commit.parents[step.mainline ? step.mainline - 1 : 0];
  if (!parent) throw new UserError(`commit ${step.commit.sha} is a root commit; it cannot be reverted.`);
  return applyChange(git, step.commit.sha, await git.treeOf(parent), onto);
}

/**
 * Reverts the steps newest first onto `tipTree`, in memory (`git merge-tree`, no worktree). A commit
 * proven undone on the branch (see RevertLedger) by a commit outside the set is skipped. A conflict
 * aborts naming the commit, the files and the later changes it conflicts with, and offers the range
 * that would revert cleanly; nothing is written to any ref.
 */
export async function revertSteps(git: Git, tip: string, tipTree: string, steps: readonly RevertStep[], options: RevertOptions = {}): Promise<RevertOutcome> {
  const outcome: RevertOutcome = { applied: [], skipped: [], tree: tipTree, files: [] };
  const inSet = new Set(steps.map((s) => s.commit.sha));
  const oldest = steps[steps.length - 1];
  const ledger = oldest ? await RevertLedger.read(git, tip, oldest.commit.parents[0]) : undefined;
  for (const step of steps) {
    const undo = ledger ? await ledger.undoneBy(step.commit, step.mainline) : null;
    // An undo inside the set is reverted with it (both go, the net change is nil): it does not count.
    if (undo && !inSet.has(undo.by.sha)) {
      outcome.skipped.push({
        commit: step.commit,
        reason: `already ${undo.rollback ? 'rolled back' : 'reverted'} by ${undo.by.sha.slice(0, 12)} "${undo.by.subject}"`,
        by: undo.by,
        byRollback: undo.rollback,
      });
      continue;
    }
    const applied = await revertOnto(git, step, outcome.tree);
    if (!applied.clean) throw await conflictError(git, tip, tipTree, step, steps, outcome, applied.conflicts, options);
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

/** The first-parent commits in `from..to`, newest first, without rollback commits, as revert steps. */
async function rangeSteps(git: Git, from: string, to: string): Promise<RevertStep[]> {
  const commits = await readCommits(git, [`${from}..${to}`], { firstParent: true, newestFirst: true });
  return commits.filter((c) => !isRollbackCommit(c)).map((c) => ({ commit: c, mainline: c.parents.length > 1 ? 1 : null }));
}

/** Whether reverting all `steps` newest first on `tree` is clean. */
async function revertsCleanly(git: Git, tree: string, steps: readonly RevertStep[]): Promise<boolean> {
  let current = tree;
  for (const step of steps) {
    const applied = await revertOnto(git, step, current);
    if (!applied.clean) return false;
    current = applied.tree;
  }
  return true;
}

/**
 * The conflict, explained: the later commits on the branch (outside the set) that touch the
 * conflicting files, and the smallest range from the set's oldest commit through one of them that
 * reverts cleanly on the tip.
 */
async function conflictError(
  git: Git,
  tip: string,
  tipTree: string,
  step: RevertStep,
  steps: readonly RevertStep[],
  outcome: RevertOutcome,
  conflicts: readonly string[],
  options: RevertOptions,
): Promise<UserError> {
  const inSet = new Set(steps.map((s) => s.commit.sha));
  const where = options.branch ?? 'the branch';
  const head = `reverting ${describeCommitLine(listed(step.commit, options.classify))} conflicts in ${conflicts.join(', ')}${outcome.applied.length > 0 ? ` (after reverting ${outcome.applied.map((s) => s.commit.sha.slice(0, 12)).join(', ')})` : ''}`;
  const touching = await git.run(['log', '--first-parent', '--format=%H', '--end-of-options', `${step.commit.sha}..${tip}`, '--', ...conflicts]);
  const laterShas = touching.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !inSet.has(s));
  if (laterShas.length === 0) {
    return new UserError(`${head}. Nothing was pushed.`, 'A later change builds on it: roll back the later change too (a range), or resolve the revert by hand.');
  }
  const later = await readCommits(git, laterShas, { newestFirst: true, maxCount: laterShas.length, noWalk: true });
  const names = later.slice(0, 10).map((c) => describeCommitLine(listed(c, options.classify)));
  const oldest = steps[steps.length - 1]!.commit;
  let offer: string | undefined;
  const start = oldest.parents[0];
  if (start) {
    // Oldest first: the smallest range through a later change that reverts cleanly.
    for (const candidate of [...later].reverse().slice(0, 5)) {
      const range = await rangeSteps(git, start, candidate.sha);
      if (await revertsCleanly(git, tipTree, range)) {
        offer = `\`target: ${start.slice(0, 12)}..${candidate.sha.slice(0, 12)}\` reverts cleanly: it takes back ${plural(range.length, 'commit')}, the later changes through ${candidate.sha.slice(0, 12)} included.`;
        break;
      }
    }
  }
  return new UserError(
    `${head} with ${plural(later.length, 'later change')} on ${where}: ${names.join('; ')}${later.length > names.length ? `; and ${later.length - names.length} more` : ''}. They are not reverted. Nothing was pushed.`,
    offer ?? 'No range ending at one of those changes reverts cleanly either: resolve the revert by hand.',
  );
}

/** Writes the revert commits on top of `tip`: one commit for the batch, or one per step. Each carries our rollback trailers. */
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
    const message = `${options.title}\n\n${body}\n\n${rollbackTrailers(options.id, outcome.applied.map((s) => s.commit.sha))}\n`;
    return git.text(['commit-tree', outcome.tree, '-p', options.tip, '-F', '-'], { input: message, env: options.env });
  }
  let tip = options.tip;
  let tree = options.tipTree;
  for (const step of outcome.applied) {
    tree = (await revertOnto(git, step, tree)).tree;
    const message = `Revert "${step.commit.subject}"\n\nThis reverts commit ${step.commit.sha}.\n\n${rollbackTrailers(options.id, [step.commit.sha])}\n`;
    tip = await git.text(['commit-tree', tree, '-p', tip, '-F', '-'], { input: message, env: options.env });
  }
  return tip;
}
