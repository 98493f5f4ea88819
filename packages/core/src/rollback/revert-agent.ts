/**
 * Strategy `revert-agent`: undo only the agent's commits of a session, a PR or a range, newest
 * first, and keep every human commit. Agent or human is the classifier's call (config `agents`:
 * trailers and authors), nothing else. A kept commit that builds on an agent change (its hunks
 * overlap or adjoin the agent's, it uses a name the agent added or changed, or the agent's revert
 * conflicts with it) is named with the commit it depends on; nothing is applied unless
 * `include-dependent: true`, which reverts it too. Everything is computed in memory (no worktree).
 */
import type { Classification } from '../git/classify.js';
import { commitFiles, readCommits, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { applyChange } from '../git/merge.js';
import { isRollbackCommit } from '../git/protocol.js';
import { RevertLedger } from '../git/undo.js';
import { UserError } from '../base/errors.js';
import { describeCommitLine } from '../output/commit-list.js';
import { DependencyTracker } from './cascade.js';
import { listed } from './revert.js';
import { plural } from '../output/markdown.js';

export interface AgentDependent {
  /** The kept commit that builds on the agent's work. */
  commit: CommitInfo;
  /** The commits it depends on (agent commits, or dependents of them), oldest first. */
  dependsOn: string[];
  /** The evidence, in words. */
  reason: string;
}

export interface AgentSelection {
  /** The agent's commits of the target, newest first (merges landing the target are opened up into their commits). */
  agent: Array<{ commit: CommitInfo; reason: string }>;
  /** The target's other commits, kept, newest first, with the classifier's reason. */
  kept: Array<{ commit: CommitInfo; reason: string }>;
  /** Kept commits (of the target or later on the branch) that build on the agent's commits, oldest first. */
  dependents: AgentDependent[];
  includeDependent: boolean;
  /** What is reverted, newest first: the agent's commits, and the dependents with `include-dependent`. */
  revert: CommitInfo[];
}

interface Entry {
  commit: CommitInfo;
  inTarget: boolean;
  agent: boolean;
}

const short = (sha: string): string => sha.slice(0, 12);

/** The commits from the target's oldest commit to the tip, oldest first; a merge of the target is replaced by the commits it merged. */
async function sequenceOf(git: Git, commits: readonly CommitInfo[], tip: string, classify: (c: CommitInfo) => Classification): Promise<Entry[]> {
  const inTarget = new Set(commits.map((c) => c.sha));
  const oldest = commits[commits.length - 1]!;
  const base = oldest.parents[0];
  const line = await readCommits(git, [base ? `${base}..${tip}` : tip], { firstParent: true });
  const entries: Entry[] = [];
  const push = (commit: CommitInfo, own: boolean): void => {
    entries.push({ commit, inTarget: own, agent: own && !isRollbackCommit(commit) && commit.parents.length <= 1 && classify(commit).kind === 'agent' });
  };
  for (const commit of line) {
    const own = inTarget.has(commit.sha);
    if (own && commit.parents.length > 1) {
      // The merge that landed a PR: its own commits are the ones to tell apart.
      for (const side of await readCommits(git, [`${commit.parents[0]}..${commit.parents[1]}`])) push(side, true);
      continue;
    }
    push(commit, own);
  }
  return entries;
}

/**
 * Selects what revert-agent reverts on `tip` for the target's `commits` (newest first): the agent's
 * commits, the kept commits that depend on them (with the evidence), and the trial revert's
 * conflicts as dependents too. Throws when a conflict has no later commit to blame.
 */
export async function selectAgentCommits(
  git: Git,
  options: { commits: readonly CommitInfo[]; tip: string; classify: (c: CommitInfo) => Classification; includeDependent: boolean; maxDepth: number; branch: string },
): Promise<AgentSelection> {
  const { commits, tip, classify, includeDependent } = options;
  const selection: AgentSelection = { agent: [], kept: [], dependents: [], includeDependent, revert: [] };
  if (commits.length === 0) return selection;
  const sequence = await sequenceOf(git, commits, tip, classify);
  const agentShas = new Set(sequence.filter((e) => e.agent).map((e) => e.commit.sha));
  for (const e of [...sequence].reverse()) {
    if (!e.inTarget || isRollbackCommit(e.commit)) continue;
    const why = classify(e.commit).reason;
    if (e.agent) selection.agent.push({ commit: e.commit, reason: why });
    else if (e.commit.parents.length <= 1) selection.kept.push({ commit: e.commit, reason: why });
  }
  if (agentShas.size === 0) return selection;

  // Evidence: follow the agent's changes through the history; a kept commit using them is a dependent.
  const tracker = await DependencyTracker.create(git, tip, options.maxDepth, (origin) => (agentShas.has(origin) ? `agent commit ${short(origin)}` : `dependent commit ${short(origin)}`));
  const dependents = new Map<string, AgentDependent>();
  for (const e of sequence) {
    if (e.agent) {
      await tracker.shift(e.commit);
      await tracker.absorb(e.commit);
      continue;
    }
    if (isRollbackCommit(e.commit) || tracker.spans.size === 0) {
      await tracker.shift(e.commit);
      continue;
    }
    const evidence = await tracker.evidence(e.commit);
    await tracker.shift(e.commit);
    if (evidence.length === 0) continue;
    dependents.set(e.commit.sha, { commit: e.commit, dependsOn: [...new Set(evidence.map((x) => x.origin))], reason: evidence.map((x) => x.text).join('; ') });
    await tracker.absorb(e.commit);
  }

  // The revert itself is the proof: a conflict is a dependency the evidence missed.
  const order = new Map(sequence.map((e, i) => [e.commit.sha, i]));
  const toRevert = (): CommitInfo[] =>
    sequence
      .filter((e) => e.agent || (includeDependent && dependents.has(e.commit.sha)))
      .map((e) => e.commit)
      .reverse();
  const ledger = await RevertLedger.read(git, tip, sequence[0]!.commit.parents[0]);
  for (let round = 0; round < 50; round++) {
    const steps = toRevert();
    const inSet = new Set(steps.map((c) => c.sha));
    let tree = await git.treeOf(tip);
    let conflict: { commit: CommitInfo; files: string[] } | undefined;
    for (const commit of steps) {
      const undo = await ledger.undoneBy(commit, null);
      if (undo && !inSet.has(undo.by.sha)) continue;
      const applied = await applyChange(git, commit.sha, await git.treeOf(commit.parents[0]!), tree);
      if (!applied.clean) {
        conflict = { commit, files: applied.conflicts };
        break;
      }
      tree = applied.tree;
    }
    if (!conflict) break;
    const from = order.get(conflict.commit.sha) ?? 0;
    const blamed: CommitInfo[] = [];
    for (const e of sequence.slice(from + 1)) {
      if (e.agent || inSet.has(e.commit.sha) || isRollbackCommit(e.commit)) continue;
      const files = await commitFiles(git, e.commit);
      const shared = conflict.files.filter((f) => files.includes(f));
      if (shared.length === 0) continue;
      blamed.push(e.commit);
      // Named already by its evidence (not reverted without include-dependent): that explains the conflict.
      if (dependents.has(e.commit.sha)) continue;
      dependents.set(e.commit.sha, {
        commit: e.commit,
        dependsOn: [conflict.commit.sha],
        reason: `reverting ${agentShas.has(conflict.commit.sha) ? 'agent' : 'dependent'} commit ${short(conflict.commit.sha)} conflicts in ${shared.join(', ')}, which this commit changed later`,
      });
    }
    if (blamed.length === 0) {
      throw new UserError(
        `reverting ${describeCommitLine(listed(conflict.commit, classify))} conflicts in ${conflict.files.join(', ')}, and no later kept commit on ${options.branch} touches those files. Nothing was pushed.`,
        'Resolve the revert by hand (git revert), or roll back a range instead.',
      );
    }
    if (!includeDependent) break;
  }
  selection.dependents = [...dependents.values()].sort((a, b) => (order.get(a.commit.sha) ?? 0) - (order.get(b.commit.sha) ?? 0));
  selection.revert = toRevert();
  return selection;
}

/** The pairs "kept commit -> the agent commit it builds on", one line each, for messages. */
export function describeDependents(selection: AgentSelection, classify: (c: CommitInfo) => Classification): string {
  return selection.dependents
    .map((d) => `${describeCommitLine(listed(d.commit, classify))} depends on ${d.dependsOn.map(short).join(', ')}: ${d.reason}`)
    .join('; ');
}

/** revert-agent applies nothing while a kept commit builds on the agent's work, unless `include-dependent: true`. */
export function assertNoDependents(selection: AgentSelection, classify: (c: CommitInfo) => Classification): void {
  if (selection.includeDependent || selection.dependents.length === 0) return;
  const n = selection.dependents.length;
  throw new UserError(
    `${plural(n, 'kept commit')} ${n === 1 ? 'builds' : 'build'} on the agent's commits, so reverting only the agent's work would break them: ${describeDependents(selection, classify)}. Nothing was applied.`,
    'Set `include-dependent: true` to revert those commits too (the summary lists them), or revert by hand.',
  );
}
