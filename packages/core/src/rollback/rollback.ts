import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Config } from '../config/config.js';
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import { assertNotOption, type Git } from '../git/git.js';
import { GitHubApiError, type GitHubClient } from '../github/github.js';
import { ROLLBACK_REPORT_SCHEMA, type CheckOutcome, type RollbackExecutionStrategy, type RollbackReport } from './rollback-report.js';
import { ensureHistory } from '../git/shallow.js';
import { runChecks, ThrowawayWorktree } from '../sandbox/checks.js';
import { readPlan } from '../verify/plan.js';
import { ScratchStore } from '../sandbox/scratch.js';
import { bisect, BisectRangeError, findCascade, type BisectResult } from './bisect.js';
import { commitReverts, revertSteps, type RevertStep } from './revert.js';
import { resolveTarget, type ResolvedTarget } from './target.js';
import { renderRollbackSummary } from './summary.js';

export const LOCK_PREFIX = 'refs/rollback-gate/lock/';
export const ARCHIVE_PREFIX = 'refs/rollback-gate/archive/';

export interface RollbackDeps {
  git: Git;
  log: Logger;
  clock: Clock;
  github: GitHubClient | undefined;
  /** The environment verify and bisect commands start from (secrets are withheld from them). */
  env: Record<string, string | undefined>;
}

export interface RollbackRequest {
  target: string;
  strategy: RollbackExecutionStrategy | 'auto';
  bisectCommand: string;
  retries: number;
  /** A sealed plan to execute instead of resolving `target` freshly. */
  planPath: string;
  replan: boolean;
  direct: boolean;
  dryRun: boolean;
  batch: boolean;
  /** The branch to roll back on; default: the remote's default branch. */
  branch: string;
  remote?: string;
  owner?: string;
  repo?: string;
  runUrl?: string;
  detectedAt?: string;
  config: Config;
  /** A per-run temporary directory (RUNNER_TEMP/rollback-gate). */
  tempDir: string;
  /** Caps each command's timeout (for tests and impatient users). */
  maxCommandTimeoutMs?: number;
}

export interface RollbackOutcome {
  report: RollbackReport;
  reportPath: string;
  target: ResolvedTarget;
  skipped: Array<{ commit: string; reason: string }>;
  bisect: BisectResult | null;
}

function toOutcomes(checks: Awaited<ReturnType<typeof runChecks>>, commands: Config['verify']['commands']): CheckOutcome[] {
  return checks.map((c) => ({
    name: c.name,
    command: commands.find((cmd) => cmd.name === c.name)?.run ?? '',
    exitCode: c.exitCode,
    durationMs: c.durationMs,
    timedOut: c.timedOut,
    outputTail: c.tail,
  }));
}

async function takeLock(git: Git, remote: string, id: string, runUrl: string | undefined, now: Date): Promise<{ ref: string; sha: string }> {
  const ref = `${LOCK_PREFIX}${id}`;
  const emptyTree = await git.text(['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' });
  const message = `rollback-gate lock for ${id}\n\nstarted: ${now.toISOString()}\nrun: ${runUrl ?? '(local)'}\n`;
  const sha = await git.text(['commit-tree', emptyTree, '-F', '-'], { input: message, env: await git.identityEnv() });
  const pushed = await git.test(['push', '--porcelain', '--atomic', `--force-with-lease=${ref}:`, '--end-of-options', remote, `${sha}:${ref}`]);
  if (pushed.exitCode !== 0) {
    const holder = await git.remoteRef(remote, ref);
    let detail = '';
    if (holder) {
      await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, holder]);
      detail = (await git.test(['log', '-1', '--format=%b', holder])).stdout.trim().replace(/\n/g, ', ');
    }
    throw new UserError(
      holder
        ? `another rollback of ${id} is running (${detail || `lock ${holder}`}); this run stops and changes nothing.`
        : `could not take the rollback lock ${ref} on ${remote}: ${(pushed.stderr || pushed.stdout).trim()}`,
      holder
        ? `Wait for it to finish. If that run died, remove its lock: git push ${remote} :${ref}`
        : 'Grant `permissions: contents: write` to the job.',
    );
  }
  return { ref, sha };
}

async function releaseLock(git: Git, remote: string, lock: { ref: string; sha: string }, log: Logger): Promise<void> {
  const result = await git.test(['push', '--porcelain', `--force-with-lease=${lock.ref}:${lock.sha}`, '--end-of-options', remote, `:${lock.ref}`]);
  if (result.exitCode !== 0) log.warning(`could not remove the lock ${lock.ref}: ${result.stderr.trim()}`);
}

/** Steps from a sealed plan: its reverts, after checking the seal, the checkpoint and the branch. */
async function stepsFromPlan(git: Git, path: string, tip: string, replan: boolean, log: Logger, target: string): Promise<{ steps: RevertStep[]; expectedTree: string | null; id: string }> {
  const plan = readPlan(path);
  let commits: string[];
  let start: string;
  let expectedTree: string | null;
  if (plan.kind === 'window') {
    const unit = target ? plan.units.find((u) => u.commit.startsWith(target) || u.unit === target) : plan.units[0];
    if (!unit) throw new UserError(`the plan ${path} has no unit ${JSON.stringify(target)}; it has ${plan.units.map((u) => u.unit).join(', ')}.`);
    if (unit.revertible === 'no') throw new UserError(`the plan says unit ${unit.unit} cannot be rolled back on ${plan.tip.commit.slice(0, 12)}.`);
    commits = unit.steps.map((s) => s.commit).filter((c): c is string => !!c);
    start = plan.tip.commit;
    expectedTree = unit.expectedTree;
  } else {
    // A landing plan: find the landed commit, the one after the base whose tree is the planned landing's.
    const history = await readCommits(git, [`${plan.checkpoint.commit}..${tip}`], { firstParent: true, newestFirst: false });
    const index = history.findIndex((c) => c.tree === plan.target.tree || c.parents[1] === plan.target.head);
    const landed = history[index];
    if (!landed) {
      throw new UserError(`the plan ${path} is for a change that has not landed on this branch (no commit after ${plan.checkpoint.commit.slice(0, 12)} has its tree).`);
    }
    // A rebase landing replays the change's commits: the last of them has the planned tree.
    const count = plan.target.mergeMethod === 'rebase' ? Math.max(1, plan.target.commits.length) : 1;
    commits = history.slice(Math.max(0, index - count + 1), index + 1).map((c) => c.sha).reverse();
    start = landed.sha;
    expectedTree = plan.checkpoint.tree;
  }
  for (const sha of commits) {
    if (!(await git.objectExists(sha)) || !(await git.isAncestor(sha, tip))) {
      throw new UserError(`the branch no longer contains ${sha.slice(0, 12)}, which the plan ${path} reverts.`, 'The branch was rewritten since the plan was made; make a new plan.');
    }
  }
  if (start !== tip) {
    const moved = await readCommits(git, [`${start}..${tip}`], { firstParent: true, newestFirst: true });
    const list = moved.slice(0, 10).map((c) => `${c.sha.slice(0, 12)} ${c.subject}`).join('; ');
    if (!replan) {
      throw new UserError(
        `the branch moved since the plan was made: ${moved.length} commit(s) landed on top (${list}).`,
        'Run with `replan: true` to recompute the rollback on the current tip (the plan\'s expected tree no longer applies).',
      );
    }
    log.info(`the branch moved since the plan (${moved.length} commits); replanning on the current tip.`);
    expectedTree = null;
  }
  const infos = await readCommits(git, commits, { newestFirst: true, maxCount: commits.length });
  const ordered = commits.map((sha) => infos.find((c) => c.sha === sha)!).filter(Boolean);
  return { steps: ordered.map((c) => ({ commit: c, mainline: c.parents.length > 1 ? 1 : null })), expectedTree, id: plan.id };
}

/**
 * Executes a rollback: resolve the target, pick (or take) the strategy, compute the reverts in memory,
 * run the verify checks on the result in a throwaway worktree, and deliver it as a PR branch or a
 * leased direct push. Writes the report whatever the outcome.
 */
export async function rollback(deps: RollbackDeps, request: RollbackRequest): Promise<RollbackOutcome> {
  const { git, log, clock } = deps;
  const startedAt = clock().toISOString();
  const remote = request.remote ?? 'origin';
  if (await git.isEmptyRepository()) throw new UserError('the repository has no commits; there is nothing to roll back.');

  const branch = request.branch.trim() || (await git.remoteDefaultBranch(remote));
  if (!branch) throw new UserError(`cannot tell ${remote}'s default branch.`, 'Name the branch to roll back on with `branch`.');
  assertNotOption(branch, 'branch');
  if (!(await git.isValidRefName(`refs/heads/${branch}`))) throw new UserError(`input \`branch\` ${JSON.stringify(branch)} is not a valid branch name.`);
  const tip = await git.remoteRef(remote, `refs/heads/${branch}`);
  if (!tip) throw new UserError(`the branch ${branch} does not exist on ${remote}.`);
  await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]);
  await ensureHistory(git, { remote, what: 'the full history (a rollback looks back to the checkpoint)', log, reachable: async () => !(await git.isShallow()) });
  const tipTree = await git.treeOf(tip);

  const report: RollbackReport = {
    schema: ROLLBACK_REPORT_SCHEMA,
    target: { input: request.target || request.planPath, kind: 'commit', resolved: '' },
    strategy: 'revert-range',
    commits: [],
    culprit: null,
    cascade: [],
    culpritBlastRadius: [],
    bisect: null,
    checks: [],
    files: [],
    sessionId: null,
    startedAt,
    detectedAt: request.detectedAt || null,
    finishedAt: startedAt,
    verified: false,
    outcome: 'failed',
    error: null,
    rollbackSha: null,
    branch: null,
    prUrl: null,
  };
  mkdirSync(request.tempDir, { recursive: true });
  let reportPath = join(request.tempDir, 'rollback-report.json');
  const writeReport = (): void => {
    report.finishedAt = clock().toISOString();
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  };

  let lock: { ref: string; sha: string } | undefined;
  let store: ScratchStore | undefined;
  let bisected: BisectResult | null = null;
  const skipped: Array<{ commit: string; reason: string }> = [];
  let target: ResolvedTarget | undefined;
  try {
    let steps: RevertStep[];
    let expectedTree: string | null = null;
    if (request.planPath) {
      const fromPlan = await stepsFromPlan(git, request.planPath, tip, request.replan, log, request.target);
      steps = fromPlan.steps;
      expectedTree = fromPlan.expectedTree;
      target = {
        input: request.planPath,
        kind: 'commit',
        resolution: `sealed plan ${fromPlan.id}: ${steps.length} revert(s)`,
        id: fromPlan.id.replace(/[^A-Za-z0-9._-]/g, '-'),
        sessionId: null,
        checkpoint: null,
        pullRequest: null,
        strategy: steps.some((s) => s.mainline) ? 'revert-merge' : steps.length > 1 ? 'revert-range' : 'revert-squash',
        commits: steps.map((s) => s.commit),
        range: null,
        unmerged: null,
      };
    } else {
      target = await resolveTarget(
        { git, github: deps.github, owner: request.owner, repo: request.repo, remote, branch, tip, checkpointPrefix: request.config.checkpoint.prefix },
        request.target,
        request.strategy,
      );
      steps = target.commits.map((c) => ({ commit: c, mainline: c.parents.length > 1 ? 1 : null }));
    }
    report.target = { input: target.input, kind: target.kind, resolved: target.resolution };
    report.strategy = target.strategy;
    report.sessionId = target.sessionId;
    reportPath = join(request.tempDir, `rollback-${target.id.replace(/\//g, '_')}.json`);
    log.info(`target: ${target.resolution}; strategy: ${target.strategy}`);

    if (!request.dryRun) lock = await takeLock(git, remote, target.id, request.runUrl, clock());

    if (target.strategy === 'delete-branch') {
      await deleteBranch(deps, request, target, remote, report);
      report.outcome = request.dryRun ? 'dry-run' : 'succeeded';
      report.verified = true;
      return { report, reportPath, target, skipped, bisect: null };
    }

    store = await ScratchStore.create(git, request.tempDir);
    if (target.strategy === 'bisect') {
      if (!request.bisectCommand.trim()) throw new UserError('`strategy: bisect` needs `bisect-command`, the command that fails on a bad commit.');
      const range = target.range ?? { good: target.checkpoint?.commit ?? '', bad: tip };
      try {
        bisected = await bisect(git, store, range.good, range.bad, {
          command: request.bisectCommand,
          retries: request.retries,
          timeoutMinutes: request.config.verify.timeoutMinutes,
          maxTimeoutMs: request.maxCommandTimeoutMs,
          env: deps.env,
          log,
        });
      } catch (error) {
        if (error instanceof BisectRangeError) report.bisect = { runs: error.result.runs, skipped: error.result.skipped };
        throw error;
      }
      report.bisect = { runs: bisected.runs, skipped: bisected.skipped };
      report.culprit = bisected.culprit.sha;
      const later = bisected.commits.slice(bisected.commits.indexOf(bisected.culprit) + 1);
      const found = await findCascade(git, bisected.culprit, later, tip, request.config.blastRadius.maxDepth);
      report.cascade = found.cascade;
      report.culpritBlastRadius = found.blastRadius;
      const cascadeShas = new Set(report.cascade.map((c) => c.commit));
      const chosen: CommitInfo[] = [bisected.culprit, ...later.filter((c) => cascadeShas.has(c.sha))].reverse();
      steps = chosen.map((c) => ({ commit: c, mainline: c.parents.length > 1 ? 1 : null }));
      log.info(`culprit ${bisected.culprit.sha} after ${bisected.runs} run(s); cascade: ${report.cascade.length} later commit(s)`);
    }

    const outcome = await revertSteps(git, tip, tipTree, steps);
    for (const s of outcome.skipped) skipped.push({ commit: s.commit.sha, reason: s.reason });
    report.commits = outcome.applied.map((s) => s.commit.sha);
    report.files = outcome.files;
    if (outcome.applied.length === 0) {
      report.outcome = request.dryRun ? 'dry-run' : 'succeeded';
      report.verified = true;
      log.info('nothing to revert: every commit was already reverted.');
      return { report, reportPath, target, skipped, bisect: bisected };
    }

    // Verify: the project's checks on the rolled-back tree; a full-session rollback must return the checkpoint's tree.
    const commands = request.config.verify.commands;
    let checksPass = true;
    if (commands.length > 0) {
      const worktree = await ThrowawayWorktree.create(store);
      try {
        await worktree.checkout(outcome.tree, tip, `rollback of ${target.id}`);
        const checks = await runChecks(worktree.dir, {
          commands,
          timeoutMinutes: request.config.verify.timeoutMinutes,
          maxTimeoutMs: request.maxCommandTimeoutMs,
          env: deps.env,
          log,
        });
        report.checks = toOutcomes(checks, commands);
        checksPass = checks.every((c) => c.passed);
      } finally {
        worktree.remove();
      }
    }
    let treeOk = true;
    if (target.checkpoint && target.strategy === 'revert-range') {
      const sinceCheckpoint = await git.text(['rev-list', '--first-parent', '--count', `${target.checkpoint.commit}..${tip}`]);
      if (Number(sinceCheckpoint) === outcome.applied.length) treeOk = outcome.tree === target.checkpoint.tree;
    }
    if (expectedTree && outcome.tree !== expectedTree) {
      throw new UserError(`the rollback's tree ${outcome.tree} is not the tree the sealed plan expects (${expectedTree}); nothing was pushed.`, 'Make a new plan, or run with `replan: true`.');
    }
    report.verified = checksPass && treeOk;

    const title = target.strategy === 'bisect' ? `Roll back ${target.id}: revert culprit ${bisected!.culprit.sha.slice(0, 12)} and its cascade` : `Roll back ${target.id}`;
    report.rollbackSha = await commitReverts(git, { tip, tipTree, outcome, batch: request.batch, title, id: target.id, env: await git.identityEnv() });

    if (request.dryRun) {
      report.outcome = 'dry-run';
      return { report, reportPath, target, skipped, bisect: bisected };
    }
    await deliver(deps, request, target, remote, branch, tip, report);
    report.outcome = 'succeeded';
    return { report, reportPath, target, skipped, bisect: bisected };
  } catch (error) {
    report.outcome = 'failed';
    report.error = (error as Error).message;
    store?.dispose();
    store = undefined;
    if (lock) await releaseLock(git, remote, lock, log);
    lock = undefined;
    writeReport();
    if (error instanceof UserError) throw new RollbackFailure(error, { report, reportPath, target, skipped, bisect: bisected });
    throw error;
  } finally {
    store?.dispose();
    if (lock) await releaseLock(git, remote, lock, log);
    writeReport();
  }
}

/** A rollback that stopped: the user's error, with the report written for it. */
export class RollbackFailure extends UserError {
  constructor(
    cause: UserError,
    readonly outcome: Omit<RollbackOutcome, 'target'> & { target: ResolvedTarget | undefined },
  ) {
    super(cause.problem, cause.hint);
    this.name = 'RollbackFailure';
  }
}

async function deleteBranch(deps: RollbackDeps, request: RollbackRequest, target: ResolvedTarget, remote: string, report: RollbackReport): Promise<void> {
  const { git } = deps;
  const { branch, head } = target.unmerged!;
  const current = await git.remoteRef(remote, `refs/heads/${branch}`);
  const archive = `${ARCHIVE_PREFIX}${target.id}`;
  report.branch = branch;
  if (request.dryRun) return;
  if (current) {
    if (current !== head) deps.log.info(`${branch} moved to ${current} since the PR was read; archiving that.`);
    const pushed = await git.test([
      'push', '--atomic', '--porcelain',
      `--force-with-lease=refs/heads/${branch}:${current}`,
      `--force-with-lease=${archive}:`,
      '--end-of-options', remote,
      `${current}:${archive}`, `:refs/heads/${branch}`,
    ]);
    if (pushed.exitCode !== 0) {
      throw new UserError(`archiving and deleting ${branch} was rejected: ${(pushed.stderr || pushed.stdout).trim()}`, `Nothing was deleted. If ${archive} exists from an earlier run, the branch was archived already.`);
    }
  }
  report.rollbackSha = current ?? head;
  const pr = target.pullRequest;
  if (pr && deps.github && request.owner && request.repo && pr.state === 'open') {
    await deps.github.createIssueComment(request.owner, request.repo, pr.number, `Rolled back by rollback-gate: the branch \`${branch}\` was archived as \`${archive}\` and deleted.\n\nRestore it with \`git fetch origin ${archive} && git push origin FETCH_HEAD:refs/heads/${branch}\`.`);
    await deps.github.updatePull(request.owner, request.repo, pr.number, { state: 'closed' });
  }
}

async function deliver(deps: RollbackDeps, request: RollbackRequest, target: ResolvedTarget, remote: string, branch: string, tip: string, report: RollbackReport): Promise<void> {
  const { git } = deps;
  const sha = report.rollbackSha!;
  if (request.direct) {
    const pushed = await git.test(['push', '--porcelain', `--force-with-lease=refs/heads/${branch}:${tip}`, '--end-of-options', remote, `${sha}:refs/heads/${branch}`]);
    if (pushed.exitCode !== 0) {
      const now = await git.remoteRef(remote, `refs/heads/${branch}`);
      throw new UserError(
        `pushing the rollback to ${branch} was rejected${now && now !== tip ? `: ${branch} moved from ${tip.slice(0, 12)} to ${now.slice(0, 12)} during the run` : ''}: ${(pushed.stderr || pushed.stdout).trim()}`,
        'Nothing was pushed and nothing is lost; run the rollback again on the new tip.',
      );
    }
    report.branch = branch;
    return;
  }
  const rollbackBranch = `rollback/${target.id}`;
  const pushed = await git.test(['push', '--porcelain', `--force-with-lease=refs/heads/${rollbackBranch}:`, '--end-of-options', remote, `${sha}:refs/heads/${rollbackBranch}`]);
  if (pushed.exitCode !== 0) {
    throw new UserError(
      `pushing ${rollbackBranch} was rejected (it exists already, from an earlier rollback of ${target.id}?): ${(pushed.stderr || pushed.stdout).trim()}`,
      `Review or merge that rollback, or delete the branch (git push ${remote} :refs/heads/${rollbackBranch}) and run again.`,
    );
  }
  report.branch = rollbackBranch;
  if (!deps.github || !request.owner || !request.repo) {
    deps.log.info(`pushed ${rollbackBranch}; no token, so no pull request was opened.`);
    return;
  }
  try {
    const pr = await deps.github.createPull(request.owner, request.repo, {
      title: `Roll back ${target.id}`,
      head: rollbackBranch,
      base: branch,
      body: renderRollbackSummary(report, target, []),
    });
    report.prUrl = pr.html_url;
  } catch (error) {
    if (error instanceof GitHubApiError && (error.status === 403 || error.status === 401)) {
      throw new UserError(
        `the rollback was pushed as ${rollbackBranch}, but opening its pull request was refused (${error.status}).`,
        'Grant `permissions: pull-requests: write` (and allow Actions to create pull requests in the repository settings), or use a GitHub App token: pushes and PRs made with GITHUB_TOKEN start no workflows, so checks would not run on the rollback PR.',
      );
    }
    throw error;
  }
}
