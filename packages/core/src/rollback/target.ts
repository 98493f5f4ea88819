import { readCheckpointManifest } from '../checkpoint/checkpoint.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import { UserError } from '../base/errors.js';
import { assertNotOption, type Git } from '../git/git.js';
import { TRAILERS, trailerValue } from '../git/protocol.js';
import type { GitHubClient, GitHubPullRequest } from '../github/github.js';
import type { RollbackExecutionStrategy } from './rollback-report.js';

export type TargetKind = 'session' | 'checkpoint' | 'pr' | 'commit' | 'range';

/** What the user asked to roll back, as resolved against the repository (and the API when there is a token). */
export interface ResolvedTarget {
  input: string;
  kind: TargetKind;
  /** A one-line account of the resolution, shown in the summary. */
  resolution: string;
  /** The id naming branches, locks and reports (`pr-12`, a session id, a short sha). */
  id: string;
  sessionId: string | null;
  checkpoint: { tag: string; commit: string; tree: string } | null;
  pullRequest: { number: number; state: string; merged: boolean; headRef: string; headSha: string } | null;
  /** The strategy the situation calls for. */
  strategy: RollbackExecutionStrategy;
  /** Commits to revert, newest first (empty for delete-branch and bisect). */
  commits: CommitInfo[];
  /** For bisect: the good and bad ends. */
  range: { good: string; bad: string } | null;
  /** For delete-branch: the branch and the head to archive. */
  unmerged: { branch: string; head: string } | null;
}

export interface TargetContext {
  git: Git;
  github: GitHubClient | undefined;
  owner: string | undefined;
  repo: string | undefined;
  remote: string;
  /** The branch the rollback lands on (the default branch unless told). */
  branch: string;
  /** Its tip as seen at the start. */
  tip: string;
  checkpointPrefix: string;
}

const PR_NUMBER = /^(?:#|pr-)?(\d{1,9})$/i;

/** First-parent commits of the branch after `since` (or the last `limit`), newest first. */
async function branchHistory(git: Git, tip: string, since: string | undefined, limit = 2000): Promise<CommitInfo[]> {
  return readCommits(git, [since ? `${since}..${tip}` : tip], { firstParent: true, newestFirst: true, maxCount: limit });
}

/** The landed form of a session or PR on the branch: a squash commit, a merge commit, or nothing. */
function findLanding(history: readonly CommitInfo[], sessionId: string | null, prNumber: number | null): CommitInfo | undefined {
  return history.find((c) => {
    if (sessionId && trailerValue(c, TRAILERS.sessionId) === sessionId) return true;
    if (prNumber === null) return false;
    if (c.parents.length > 1) return new RegExp(`^Merge pull request #${prNumber}\\b`).test(c.subject);
    return new RegExp(`\\(#${prNumber}\\)\\s*$`).test(c.subject);
  });
}

function strategyForCommit(commit: CommitInfo): RollbackExecutionStrategy {
  if (commit.parents.length > 1) return 'revert-merge';
  if (trailerValue(commit, TRAILERS.sessionId) || /\(#\d+\)\s*$/.test(commit.subject) || trailerValue(commit, TRAILERS.squashedCommits)) return 'revert-squash';
  return 'revert-range';
}

async function pullRequest(context: TargetContext, number: number): Promise<GitHubPullRequest | undefined> {
  if (!context.github || !context.owner || !context.repo) return undefined;
  try {
    return await context.github.getPull(context.owner, context.repo, number);
  } catch (error) {
    if ((error as { status?: number }).status === 404) {
      throw new UserError(`pull request #${number} does not exist in ${context.owner}/${context.repo}.`, 'Check the number in `target`.');
    }
    throw error;
  }
}

/**
 * Resolves `target`: a session id, a checkpoint tag, a PR number (`123`, `#123`, `pr-123`), a
 * commit, or a range `a..b`. An input that could mean two things (a PR number and a tag of the
 * same name) is an error that lists both.
 */
export async function resolveTarget(context: TargetContext, input: string, forced: RollbackExecutionStrategy | 'auto'): Promise<ResolvedTarget> {
  const { git } = context;
  const text = input.trim();
  if (!text) throw new UserError('input `target` is empty.', 'Give a session id, a checkpoint tag, a PR number, a commit or a range `a..b`.');
  assertNotOption(text, 'target');
  if (/[\s;|&$`<>(){}'"\\]/.test(text)) {
    throw new UserError(`input \`target\` is ${JSON.stringify(input)}; it holds characters no session id, tag, number or commit has.`, 'Give a session id, a checkpoint tag, a PR number, a commit or a range `a..b`.');
  }
  const base: Omit<ResolvedTarget, 'kind' | 'resolution' | 'id' | 'strategy'> = {
    input: text,
    sessionId: null,
    checkpoint: null,
    pullRequest: null,
    commits: [],
    range: null,
    unmerged: null,
  };

  // A range: revert its first-parent commits (merges with -m 1), or bisect inside it.
  if (text.includes('..')) {
    const [from = '', to = ''] = text.split(/\.{2,3}/);
    assertNotOption(to, 'target');
    const good = await git.requireCommit(from, 'the start of the range');
    const bad = await git.requireCommit(to || 'HEAD', 'the end of the range');
    const commits = await readCommits(git, [`${good}..${bad}`], { firstParent: true, newestFirst: true });
    if (commits.length === 0) throw new UserError(`the range ${text} holds no commits.`);
    return {
      ...base,
      kind: 'range',
      resolution: `range ${good.slice(0, 12)}..${bad.slice(0, 12)}: ${commits.length} commit(s)`,
      id: `range-${bad.slice(0, 12)}`,
      strategy: forced === 'auto' ? 'revert-range' : forced,
      commits,
      range: { good, bad },
    };
  }

  // Name clashes: a PR number that is also a tag or branch name.
  const prMatch = text.match(PR_NUMBER);
  const asTag = (await git.refExists(`refs/tags/${text}`)) ? `refs/tags/${text}` : undefined;
  const asBranch = (await git.refExists(`refs/heads/${text}`)) || (await git.refExists(`refs/remotes/${context.remote}/${text}`));
  if (prMatch && !text.toLowerCase().startsWith('pr-') && (asTag || asBranch)) {
    throw new UserError(
      `input \`target\` ${JSON.stringify(text)} is ambiguous: it is pull request #${prMatch[1]} and also the ${asTag ? 'tag' : 'branch'} ${text}.`,
      `Write \`#${prMatch[1]}\` or \`pr-${prMatch[1]}\` for the pull request, or \`${asTag ?? `refs/heads/${text}`}\` for the ref.`,
    );
  }

  // A session: its checkpoint tag exists (`<id>` or the tag itself).
  const sessionId = text.startsWith(context.checkpointPrefix) ? text.slice(context.checkpointPrefix.length) : text;
  const tag = `${context.checkpointPrefix}${sessionId}`;
  if (/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(sessionId)) {
    if (!(await git.refExists(`refs/tags/${tag}`))) {
      await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', context.remote, `+refs/tags/${tag}:refs/tags/${tag}`]);
    }
  }
  if (await git.refExists(`refs/tags/${tag}`)) {
    const manifest = await readCheckpointManifest(git, tag);
    const prNumber = Number(sessionId.match(/^pr-(\d+)$/)?.[1] ?? NaN);
    const pr = Number.isNaN(prNumber) ? undefined : await pullRequest(context, prNumber);
    return resolveSession(context, {
      ...base,
      kind: text.startsWith(context.checkpointPrefix) ? 'checkpoint' : 'session',
      id: sessionId,
      sessionId,
      checkpoint: { tag, commit: manifest.commit, tree: manifest.tree },
      pullRequest: pr ? describePull(pr) : null,
    }, forced);
  }

  // A pull request by number.
  if (prMatch) {
    const number = Number(prMatch[1]);
    const pr = await pullRequest(context, number);
    return resolvePull(context, { ...base, kind: 'pr', id: `pr-${number}`, pullRequest: pr ? describePull(pr) : null }, number, pr, forced);
  }

  // A commit.
  const sha = await git.resolveCommit(text);
  if (!sha) {
    throw new UserError(
      `input \`target\` ${JSON.stringify(text)} is not a session with a checkpoint (${tag}), a pull request number, a commit or a range.`,
      'Check the name; with actions/checkout, set `fetch-depth: 0` so tags and history are there.',
    );
  }
  const [commit] = await readCommits(git, [sha], { maxCount: 1, newestFirst: true });
  const strategy = forced === 'auto' ? strategyForCommit(commit!) : forced;
  return {
    ...base,
    kind: 'commit',
    resolution: `commit ${sha.slice(0, 12)} "${commit!.subject}"`,
    id: sha.slice(0, 12),
    sessionId: trailerValue(commit!, TRAILERS.sessionId) ?? null,
    strategy,
    commits: [commit!],
    range: strategy === 'bisect' ? { good: commit!.parents[0]!, bad: context.tip } : null,
  };
}

function describePull(pr: GitHubPullRequest): NonNullable<ResolvedTarget['pullRequest']> {
  return { number: pr.number, state: pr.state, merged: Boolean(pr.merged_at), headRef: pr.head.ref, headSha: pr.head.sha };
}

async function resolveSession(
  context: TargetContext,
  partial: Omit<ResolvedTarget, 'resolution' | 'strategy'>,
  forced: RollbackExecutionStrategy | 'auto',
): Promise<ResolvedTarget> {
  const { git } = context;
  const checkpoint = partial.checkpoint!;
  const onBranch = await git.isAncestor(checkpoint.commit, context.tip).catch(() => false);
  const history = onBranch ? await branchHistory(git, context.tip, checkpoint.commit) : await branchHistory(git, context.tip, undefined, 500);
  const landing = findLanding(history, partial.sessionId, partial.pullRequest?.number ?? null);

  if (forced === 'bisect' || (forced === 'auto' && !landing && onBranch && history.length > 0 && !partial.pullRequest)) {
    // Agent commits landed straight on the branch: bisect between the checkpoint and the tip when asked,
    // else revert the whole session range.
    if (forced === 'bisect') {
      if (!onBranch) throw new UserError(`the checkpoint ${checkpoint.tag} is not an ancestor of ${context.branch}; there is nothing to bisect.`);
      return { ...partial, strategy: 'bisect', range: { good: checkpoint.commit, bad: context.tip }, resolution: `session ${partial.id}: bisect ${checkpoint.commit.slice(0, 12)}..${context.tip.slice(0, 12)} (${history.length} commits)` };
    }
    return { ...partial, strategy: 'revert-range', commits: history, resolution: `session ${partial.id}: ${history.length} commit(s) on ${context.branch} since ${checkpoint.tag}` };
  }
  if (landing) {
    const strategy = forced === 'auto' ? strategyForCommit(landing) : forced;
    return {
      ...partial,
      strategy: strategy === 'revert-range' && landing.parents.length === 1 ? 'revert-squash' : strategy,
      commits: [landing],
      resolution: `session ${partial.id} landed on ${context.branch} as ${landing.parents.length > 1 ? 'merge' : 'squash'} commit ${landing.sha.slice(0, 12)}`,
    };
  }
  if (partial.pullRequest && !partial.pullRequest.merged) {
    return unmergedPull(context, partial, forced);
  }
  throw new UserError(
    `session ${partial.id} has not landed on ${context.branch} (no commit with \`Session-Id: ${partial.id}\`${partial.pullRequest ? ` or PR #${partial.pullRequest.number}` : ''} after ${checkpoint.tag}), and no open pull request was found for it.`,
    'Name the commit, the range or the pull request in `target`, or set `branch` to where the session landed.',
  );
}

function unmergedPull(_context: TargetContext, partial: Omit<ResolvedTarget, 'resolution' | 'strategy'>, forced: RollbackExecutionStrategy | 'auto'): ResolvedTarget {
  const pr = partial.pullRequest!;
  if (forced !== 'auto' && forced !== 'delete-branch') {
    throw new UserError(`pull request #${pr.number} was never merged; \`strategy: ${forced}\` has nothing to revert.`, 'Use `strategy: delete-branch` (or auto).');
  }
  return {
    ...partial,
    strategy: 'delete-branch',
    unmerged: { branch: pr.headRef, head: pr.headSha },
    resolution: `pull request #${pr.number} (${pr.state}, never merged): archive and delete ${pr.headRef}`,
  };
}

async function resolvePull(
  context: TargetContext,
  partial: Omit<ResolvedTarget, 'resolution' | 'strategy'>,
  number: number,
  pr: GitHubPullRequest | undefined,
  forced: RollbackExecutionStrategy | 'auto',
): Promise<ResolvedTarget> {
  const { git } = context;
  if (pr && !pr.merged_at) return unmergedPull(context, partial, forced);
  const history = await branchHistory(git, context.tip, undefined, 2000);
  let landing = findLanding(history, null, number);
  if (!landing && pr?.merge_commit_sha) landing = history.find((c) => c.sha === pr.merge_commit_sha);
  if (!landing) {
    throw new UserError(
      `pull request #${number} is not found on ${context.branch}: no "Merge pull request #${number}" or "(#${number})" commit in its last ${history.length} first-parent commits${pr ? '' : ', and no token to ask the API'}.`,
      'Name the landed commit in `target` instead.',
    );
  }
  // A rebase merge: the PR's commits are the last `commits` first-parent commits up to the merge commit sha.
  if (pr && landing.parents.length === 1 && !/\(#\d+\)\s*$/.test(landing.subject) && (pr.commits ?? 1) > 1) {
    const index = history.indexOf(landing);
    const commits = history.slice(index, index + (pr.commits ?? 1));
    return { ...partial, strategy: forced === 'auto' ? 'revert-range' : forced, commits, resolution: `pull request #${number} was rebase-merged as ${commits.length} commits ending at ${landing.sha.slice(0, 12)}` };
  }
  const strategy = forced === 'auto' ? strategyForCommit(landing) : forced;
  return {
    ...partial,
    strategy: strategy === 'revert-range' ? 'revert-squash' : strategy,
    commits: [landing],
    resolution: `pull request #${number} landed as ${landing.parents.length > 1 ? 'merge' : 'squash'} commit ${landing.sha.slice(0, 12)}`,
  };
}
