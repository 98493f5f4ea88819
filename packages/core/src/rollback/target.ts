import { describeCheckpoint, findCheckpoint } from '../checkpoint/checkpoint.js';
import { createClassifier, type Classification } from '../git/classify.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import { UserError } from '../base/errors.js';
import { DEFAULT_CONFIG } from '../config/config.js';
import { assertNotOption, type Git } from '../git/git.js';
import { TRAILERS, isRollbackCommit, trailerValue } from '../git/protocol.js';
import type { GitHubClient, GitHubPullRequest } from '../github/github.js';
import { describeCommitLine } from '../output/commit-list.js';
import { branchLanding, sessionCommits } from './landed.js';
import { listed } from './revert.js';
import { selectAgentCommits, type AgentSelection } from './revert-agent.js';
import type { RollbackExecutionStrategy } from './rollback-report.js';
import { plural } from '../output/markdown.js';

export type TargetKind = 'session' | 'checkpoint' | 'pr' | 'commit' | 'range' | 'branch';

/** What the user asked to roll back, as resolved against the repository (and the API when there is a token). */
export interface ResolvedTarget {
  input: string;
  kind: TargetKind;
  /** A one-line account of the resolution, shown in the summary. */
  resolution: string;
  /** The id naming branches, locks and reports (`pr-12`, a session id, a short sha). */
  id: string;
  sessionId: string | null;
  /** `sealed: false` for a hand-made tag (no manifest): used as given, named as unsealed. */
  checkpoint: { tag: string; commit: string; tree: string; sealed?: boolean } | null;
  /** `headRepo` is the head repository (`owner/name`); `fork` when it is not this repository. */
  pullRequest: { number: number; state: string; merged: boolean; headRef: string; headSha: string; headRepo?: string | null; fork?: boolean } | null;
  /** The strategy the situation calls for. */
  strategy: RollbackExecutionStrategy;
  /** Commits to revert, newest first (empty for delete-branch and bisect). */
  commits: CommitInfo[];
  /** For bisect: the good and bad ends. */
  range: { good: string; bad: string } | null;
  /** For delete-branch: the branch and the head to archive; `fork`: the PR's branch is in another repository, so only the PR is closed. */
  unmerged: { branch: string; head: string; fork?: boolean } | null;
  /** What the summary must say about this rollback (e.g. the consequence of reverting a merge). */
  notes?: string[];
  /** Commits on the branch after the target that are not reverted (kept), newest first. */
  later?: CommitInfo[];
  /** revert-agent: the agent's commits, the kept ones, and the kept commits that build on the agent's. */
  agentWork?: AgentSelection;
}

/** What reverting a merge means for the branch it merged (git-revert's documented consequence). */
export const MERGE_REVERT_NOTE =
  'Reverting a merge: re-merging the same branch later brings nothing of it back (git sees its commits as merged already) until this revert is itself reverted. To re-land it, revert this rollback commit first, then merge the fixes.';


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
  /** Agent or human (config \`agents\`); default: the built-in agent trailers and authors. */
  classify?: (commit: CommitInfo) => Classification;
  /** revert-agent: also revert the kept commits that build on the agent's (input `include-dependent`). */
  includeDependent?: boolean;
  /** How far the import graph is followed for "uses a name the agent added" (config `blast-radius.max-depth`). */
  maxDepth?: number;
}

const PR_NUMBER = /^(?:#|pr-)?(\d{1,9})$/i;

const defaultClassify = createClassifier(DEFAULT_CONFIG.agents);

/** First-parent commits of the branch after `since` (or the last `limit`), newest first. */
async function branchHistory(git: Git, tip: string, since: string | undefined, limit = 2000): Promise<CommitInfo[]> {
  return readCommits(git, [since ? `${since}..${tip}` : tip], { firstParent: true, newestFirst: true, maxCount: limit });
}

/** The landed form of a session or PR on the branch: a squash commit, a merge commit, or nothing. */
function findLanding(history: readonly CommitInfo[], sessionId: string | null, prNumber: number | null): CommitInfo | undefined {
  return history.find((c) => {
    if (isRollbackCommit(c)) return false;
    // A session's squash commit; its own commits carrying the trailer are handled as the session's commits.
    if (sessionId && trailerValue(c, TRAILERS.sessionId) === sessionId) return trailerValue(c, TRAILERS.squashedCommits) !== undefined || history.filter((h) => trailerValue(h, TRAILERS.sessionId) === sessionId).length === 1;
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
  const text = input.trim();
  if (!text) throw new UserError('input `target` is empty.', 'Give a session id, a checkpoint tag, a PR number, a branch, a commit or a range `a..b`.');
  assertNotOption(text, 'target');
  if (/[\s;|&$`<>(){}'"\\]/.test(text)) {
    throw new UserError(`input \`target\` is ${JSON.stringify(input)}; it holds characters no session id, tag, number or commit has.`, 'Give a session id, a checkpoint tag, a PR number, a branch, a commit or a range `a..b`.');
  }
  const base: Omit<ResolvedTarget, 'kind' | 'resolution' | 'id' | 'strategy'> = {
    input: text,
    sessionId: null,
    checkpoint: null,
    pullRequest: null,
    commits: [],
    range: null,
    unmerged: null,
    notes: [],
    later: [],
  };
  const resolved = await resolveKind(context, text, forced, base);
  if (resolved.strategy === 'revert-agent') await agentWork(context, resolved);
  if (resolved.commits.some((c) => c.parents.length > 1) || resolved.strategy === 'revert-merge') resolved.notes = [...(resolved.notes ?? []), MERGE_REVERT_NOTE];
  return resolved;
}

async function resolveKind(
  context: TargetContext,
  text: string,
  forced: RollbackExecutionStrategy | 'auto',
  base: Omit<ResolvedTarget, 'kind' | 'resolution' | 'id' | 'strategy'>,
): Promise<ResolvedTarget> {
  const { git } = context;
  // A range: revert its first-parent commits (merges with -m 1), or bisect inside it.
  if (text.includes('..')) {
    const [from = '', to = ''] = text.split(/\.{2,3}/);
    assertNotOption(to, 'target');
    const good = await git.requireCommit(from, 'the start of the range');
    const bad = await git.requireCommit(to || 'HEAD', 'the end of the range');
    await requireOnBranch(context, bad, `the end of the range ${text}`);
    const all = await readCommits(git, [`${good}..${bad}`], { firstParent: true, newestFirst: true });
    const commits = all.filter((c) => !isRollbackCommit(c));
    if (all.length === 0) throw new UserError(`the range ${text} holds no commits.`);
    if (commits.length === 0) throw new UserError(`the range ${text} holds only rollback commits; a rollback is never itself rolled back.`, 'To bring a rolled-back change back, revert the rollback commit by hand (git revert).');
    const dropped = all.length - commits.length;
    return {
      ...base,
      kind: 'range',
      resolution: `range ${good.slice(0, 12)}..${bad.slice(0, 12)}: ${plural(commits.length, 'commit')}${dropped ? ` (${plural(dropped, 'rollback commit')} in it left alone)` : ''}`,
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

  // A session: its checkpoint tag exists (`<prefix><id>`, `<prefix>before-session-<id>`, or the tag itself).
  const found = prMatch && !text.toLowerCase().startsWith('pr-') ? undefined : await findCheckpoint(git, text, { prefix: context.checkpointPrefix, remote: context.remote });
  if (found) {
    const sessionId = found.sessionId;
    const prNumber = Number(sessionId.match(/^pr-(\d+)$/)?.[1] ?? NaN);
    const pr = Number.isNaN(prNumber) ? undefined : await pullRequest(context, prNumber);
    return resolveSession(context, {
      ...base,
      kind: text.startsWith(context.checkpointPrefix) ? 'checkpoint' : 'session',
      id: sessionId,
      sessionId,
      checkpoint: { tag: found.tag, commit: found.commit, tree: found.tree, sealed: found.sealed },
      pullRequest: pr ? describePull(context, pr) : null,
    }, forced);
  }

  // A pull request by number.
  if (prMatch) {
    const number = Number(prMatch[1]);
    const pr = await pullRequest(context, number);
    return resolvePull(context, { ...base, kind: 'pr', id: `pr-${number}`, pullRequest: pr ? describePull(context, pr) : null }, number, pr, forced);
  }

  // A branch: `agent/session-9`, `origin/agent/session-9`, `refs/heads/...`, `refs/remotes/origin/...`.
  const branch = await findBranch(context, text);
  if (branch) return resolveBranch(context, base, branch.name, branch.head, forced);

  // A commit.
  const sha = await git.resolveCommit(text);
  if (!sha) {
    throw new UserError(
      `input \`target\` ${JSON.stringify(text)} is not a session with a checkpoint (${context.checkpointPrefix}${text} or ${context.checkpointPrefix}before-session-${text}), a pull request number, a branch, a commit or a range.`,
      'Check the name; with actions/checkout, set `fetch-depth: 0` so tags and history are there.',
    );
  }
  await requireOnBranch(context, sha, `commit ${sha.slice(0, 12)}`);
  const [commit] = await readCommits(git, [sha], { maxCount: 1, newestFirst: true });
  if (isRollbackCommit(commit!)) {
    throw new UserError(
      `commit ${sha.slice(0, 12)} is a rollback commit (\`${TRAILERS.rollbackOf}: ${trailerValue(commit!, TRAILERS.rollbackOf)}\`); a rollback is never itself rolled back by rollback-gate.`,
      `To bring the rolled-back change back on purpose, revert it by hand: git revert ${sha.slice(0, 12)}`,
    );
  }
  const strategy = forced === 'auto' ? strategyForCommit(commit!) : forced;
  return {
    ...base,
    kind: 'commit',
    resolution: `commit ${describeCommitLine(listed(commit!, context.classify ?? defaultClassify))}`,
    id: sha.slice(0, 12),
    sessionId: trailerValue(commit!, TRAILERS.sessionId) ?? null,
    strategy,
    commits: [commit!],
    range: strategy === 'bisect' ? { good: commit!.parents[0]!, bad: context.tip } : null,
  };
}

/** revert-agent: only the agent's commits of the target are reverted; the resolution says how many of each. */
async function agentWork(context: TargetContext, resolved: ResolvedTarget): Promise<void> {
  const classify = context.classify ?? defaultClassify;
  const work = await selectAgentCommits(context.git, { commits: resolved.commits, tip: context.tip, classify, includeDependent: context.includeDependent ?? false, maxDepth: context.maxDepth ?? 3, branch: context.branch });
  resolved.agentWork = work;
  resolved.commits = work.revert;
  const dependents = work.dependents.length ? `; ${plural(work.dependents.length, 'kept commit')} ${work.dependents.length === 1 ? 'builds' : 'build'} on them${work.includeDependent ? ', reverted too (include-dependent)' : ''}` : '';
  resolved.resolution += `; revert-agent: ${plural(work.agent.length, 'agent commit')} reverted, ${plural(work.kept.length, 'human commit')} kept${dependents}`;
}

/** A commit that is not on the branch fails before any write, saying which branches hold it. */
async function requireOnBranch(context: TargetContext, sha: string, what: string): Promise<void> {
  const { git } = context;
  if (await git.isAncestor(sha, context.tip)) return;
  await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', context.remote, `+refs/heads/*:refs/remotes/${context.remote}/*`]);
  const listing = await git.test(['branch', '-r', '--format=%(refname:short)', '--contains', sha]);
  const holders = listing.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.endsWith('/HEAD'));
  throw new UserError(
    `${what} is not on ${context.branch} (tip ${context.tip.slice(0, 12)}), so there is nothing of it to roll back there; ${holders.length > 0 ? `it is on ${holders.slice(0, 10).join(', ')}${holders.length > 10 ? ` and ${holders.length - 10} more` : ''}` : `no branch of ${context.remote} contains it`}. Nothing was changed.`,
    holders.length > 0 ? 'Set `branch` to the branch it landed on, or name the commit that landed it on this branch.' : 'Check the sha: it may be from a rewritten or deleted branch.',
  );
}

/** The branch `text` names (local, remote-tracking, or on the remote), with its head; undefined when it names none. */
async function findBranch(context: TargetContext, text: string): Promise<{ name: string; head: string } | undefined> {
  const { git, remote } = context;
  const names = new Set<string>();
  if (text.startsWith('refs/heads/')) names.add(text.slice('refs/heads/'.length));
  else if (text.startsWith(`refs/remotes/${remote}/`)) names.add(text.slice(`refs/remotes/${remote}/`.length));
  else if (text.startsWith('refs/')) return undefined;
  else {
    if (text.startsWith(`${remote}/`)) names.add(text.slice(remote.length + 1));
    names.add(text);
  }
  for (const name of names) {
    if (!name || !(await git.isValidRefName(`refs/heads/${name}`))) continue;
    const head = await git.remoteRef(remote, `refs/heads/${name}`).catch(() => undefined);
    if (head) {
      await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+refs/heads/${name}:refs/remotes/${remote}/${name}`]);
      return { name, head };
    }
    const local = (await git.resolveCommit(`refs/remotes/${remote}/${name}`)) ?? (await git.resolveCommit(`refs/heads/${name}`));
    if (local && ((await git.refExists(`refs/remotes/${remote}/${name}`)) || (await git.refExists(`refs/heads/${name}`)))) return { name, head: local };
  }
  return undefined;
}

/** A branch: unmerged -> delete-branch (head archived); landed -> the revert of how it landed. */
async function resolveBranch(
  context: TargetContext,
  base: Omit<ResolvedTarget, 'kind' | 'resolution' | 'id' | 'strategy'>,
  name: string,
  head: string,
  forced: RollbackExecutionStrategy | 'auto',
): Promise<ResolvedTarget> {
  if (name === context.branch) {
    throw new UserError(`input \`target\` names ${name}, the branch being rolled back itself.`, 'Name the session, pull request, branch or commits to roll back on it.');
  }
  const partial = { ...base, kind: 'branch' as const, id: name.replace(/[^A-Za-z0-9._-]+/g, '-') };
  const landing = await branchLanding(context.git, { head, tip: context.tip, name });
  if (landing) {
    const strategy = forced === 'auto' ? (landing.commit.parents.length > 1 ? 'revert-merge' : 'revert-squash') : forced;
    return { ...partial, strategy, commits: [landing.commit], resolution: `branch ${name} landed on ${context.branch}: ${landing.how}` };
  }
  if (await context.git.isAncestor(head, context.tip)) {
    throw new UserError(
      `branch ${name} (${head.slice(0, 12)}) is already part of ${context.branch}, but not through a merge commit (fast-forward or rebase), so its own commits cannot be told apart.`,
      `Name its commits as a range in \`target\` (\`<its fork point>..${head.slice(0, 12)}\`).`,
    );
  }
  if (forced !== 'auto' && forced !== 'delete-branch') {
    throw new UserError(`branch ${name} has not landed on ${context.branch}; \`strategy: ${forced}\` has nothing to revert.`, 'Use `strategy: delete-branch` (or auto).');
  }
  return {
    ...partial,
    strategy: 'delete-branch',
    unmerged: { branch: name, head, fork: false },
    resolution: `branch ${name} never landed on ${context.branch}: archive its head ${head.slice(0, 12)} and delete it`,
  };
}

function describePull(context: TargetContext, pr: GitHubPullRequest): NonNullable<ResolvedTarget['pullRequest']> {
  const headRepo = pr.head.repo?.full_name ?? null;
  const self = context.owner && context.repo ? `${context.owner}/${context.repo}` : undefined;
  const fork = headRepo === null || (self !== undefined && headRepo.toLowerCase() !== self.toLowerCase());
  return { number: pr.number, state: pr.state, merged: Boolean(pr.merged_at), headRef: pr.head.ref, headSha: pr.head.sha, headRepo, fork };
}

async function resolveSession(
  context: TargetContext,
  partial: Omit<ResolvedTarget, 'resolution' | 'strategy'>,
  forced: RollbackExecutionStrategy | 'auto',
): Promise<ResolvedTarget> {
  const { git } = context;
  const checkpoint = partial.checkpoint!;
  const named = checkpoint.sealed === false ? describeCheckpoint({ tag: checkpoint.tag, sealed: false }) : checkpoint.tag;
  const onBranch = await git.isAncestor(checkpoint.commit, context.tip).catch(() => false);
  const history = onBranch ? await branchHistory(git, context.tip, checkpoint.commit) : await branchHistory(git, context.tip, undefined, 500);
  const landing = findLanding(history, partial.sessionId, partial.pullRequest?.number ?? null);

  if (landing && forced !== 'bisect') {
    const strategy = forced === 'auto' ? strategyForCommit(landing) : forced;
    const kept = history.slice(0, history.indexOf(landing)).filter((c) => !isRollbackCommit(c));
    return {
      ...partial,
      strategy: strategy === 'revert-range' && landing.parents.length === 1 ? 'revert-squash' : strategy,
      commits: [landing],
      later: kept,
      resolution: `session ${partial.id} (checkpoint ${named}) landed on ${context.branch} as ${landing.parents.length > 1 ? 'merge' : 'squash'} commit ${landing.sha.slice(0, 12)}${kept.length ? `; ${plural(kept.length, 'later commit')} kept` : ''}`,
    };
  }
  if (!landing && partial.pullRequest && !partial.pullRequest.merged) return unmergedPull(context, partial, forced);
  if (!onBranch) {
    throw new UserError(
      `session ${partial.id} has not landed on ${context.branch}: its checkpoint ${named} (${checkpoint.commit.slice(0, 12)}) is not an ancestor of ${context.branch}, and no commit with \`${TRAILERS.sessionId}: ${partial.id}\`${partial.pullRequest ? ` or PR #${partial.pullRequest.number}` : ''} is on it.`,
      'Set `branch` to where the session landed, or name the commit, the range or the pull request in `target`.',
    );
  }
  const classify = context.classify ?? defaultClassify;
  if (forced === 'bisect') {
    // Bisect inside the session when its commits can be told apart; else between the checkpoint and the tip.
    const own = await sessionCommits(git, { sessionId: partial.id, checkpoint: checkpoint.commit, tip: context.tip, branch: context.branch, remote: context.remote, history, classify }).catch(() => undefined);
    const bad = own?.commits[0]?.sha ?? context.tip;
    const span = own ? history.slice(history.findIndex((c) => c.sha === bad)).length : history.length;
    return { ...partial, strategy: 'bisect', range: { good: checkpoint.commit, bad }, later: own?.later ?? [], resolution: `session ${partial.id}: bisect ${checkpoint.commit.slice(0, 12)}..${bad.slice(0, 12)} (${own ? (own.commits.length === span ? own.how : `${plural(span, 'commit')}; the session: ${own.how}`) : `${plural(span, 'commit')}, every commit since the checkpoint: its own commits cannot be told apart`})` };
  }
  const own = await sessionCommits(git, { sessionId: partial.id, checkpoint: checkpoint.commit, checkpointTag: checkpoint.tag, tip: context.tip, branch: context.branch, remote: context.remote, history, classify });
  return {
    ...partial,
    strategy: forced === 'auto' ? 'revert-range' : forced,
    commits: own.commits,
    later: own.later,
    resolution: `session ${partial.id}: ${own.how}${own.later.length ? `; ${plural(own.later.length, 'later commit')} on ${context.branch} kept` : ''}${checkpoint.sealed === false ? `; checkpoint ${named}` : ''}`,
  };
}

function unmergedPull(context: TargetContext, partial: Omit<ResolvedTarget, 'resolution' | 'strategy'>, forced: RollbackExecutionStrategy | 'auto'): ResolvedTarget {
  const pr = partial.pullRequest!;
  if (forced !== 'auto' && forced !== 'delete-branch') {
    throw new UserError(`pull request #${pr.number} was never merged; \`strategy: ${forced}\` has nothing to revert.`, 'Use `strategy: delete-branch` (or auto).');
  }
  if (pr.fork) {
    return {
      ...partial,
      strategy: 'delete-branch',
      unmerged: { branch: pr.headRef, head: pr.headSha, fork: true },
      resolution: `pull request #${pr.number} (${pr.state}, never merged) comes from ${pr.headRepo ?? 'a deleted fork'}: close it; no branch of ${context.owner}/${context.repo} is touched`,
    };
  }
  return {
    ...partial,
    strategy: 'delete-branch',
    unmerged: { branch: pr.headRef, head: pr.headSha, fork: false },
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
  const kept = history.slice(0, history.indexOf(landing)).filter((c) => !isRollbackCommit(c));
  // A rebase merge: the PR's commits are the last `commits` first-parent commits up to the merge commit sha.
  if (pr && landing.parents.length === 1 && !/\(#\d+\)\s*$/.test(landing.subject) && (pr.commits ?? 1) > 1) {
    const index = history.indexOf(landing);
    const commits = history.slice(index, index + (pr.commits ?? 1)).filter((c) => !isRollbackCommit(c));
    return { ...partial, strategy: forced === 'auto' ? 'revert-range' : forced, commits, later: kept, resolution: `pull request #${number} was rebase-merged as ${commits.length} commits ending at ${landing.sha.slice(0, 12)}` };
  }
  const strategy = forced === 'auto' ? strategyForCommit(landing) : forced;
  return {
    ...partial,
    strategy: strategy === 'revert-range' ? 'revert-squash' : strategy,
    commits: [landing],
    later: kept,
    resolution: `pull request #${number} landed as ${landing.parents.length > 1 ? 'merge' : 'squash'} commit ${landing.sha.slice(0, 12)}`,
  };
}
