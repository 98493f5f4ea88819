import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Config } from '../config/config.js';
import { matchesAny } from '../config/glob.js';
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import type { Git } from '../git/git.js';
import { ARCHIVE_PREFIX, ROLLBACK_BRANCH_PREFIX } from '../git/protocol.js';
import { GitHubApiError, type GitHubClient } from '../github/github.js';
import { shellCommand } from '../output/shell.js';
import { code, commands, md, plural } from '../output/markdown.js';
import { blankRollbackReport, type CheckOutcome, type FullRollbackReport, type RollbackExecutionStrategy, type RollbackReport } from './rollback-report.js';
import { ensureHistory } from '../git/shallow.js';
import { runChecks, ThrowawayWorktree } from '../sandbox/checks.js';
import { scanAddedLines } from '../sandbox/secrets.js';
import { readPlan } from '../verify/plan.js';
import { ScratchStore } from '../sandbox/scratch.js';
import { readCheckpointManifest } from '../checkpoint/checkpoint.js';
import { bisect, BisectRangeError, findCascade, type BisectResult } from './bisect.js';
import { widenCascade } from './cascade.js';
import { bisectInRounds } from './bisect-probe.js';
import { commitReverts, revertSteps, type RevertOutcome, type RevertStep } from './revert.js';
import { resolveTarget, type ResolvedTarget } from './target.js';
import { linksFromRunUrl, renderRollbackPullBody, type CommitListOptions } from './summary.js';
import { findRolledBack } from './reverted.js';
import { rollbackBranch } from './branch.js';
import { createClassifier } from '../git/classify.js';
import { assertNoDependents } from './revert-agent.js';
import { releaseLock, takeLock, type Lock } from './lock.js';
import { checkAttestation, checkTagProtection, manifestDigest, runApprovals } from './provenance.js';
import type { TriggerReport } from '../triggers/types.js';
import { planSchemaOf, readRollbackPlan, ROLLBACK_PLAN_SCHEMA, sealRollbackPlan, writeRollbackPlan, type RollbackPlan } from './rollback-plan.js';
import { loadPrebuiltPlan, prebuiltExecution, type PrebuiltExecution } from './prebuilt.js';
import { artifactTodo, irreversibleGate, irreversibleTodo } from './non-git-state.js';


export const ROLLBACK_PHASES = ['all', 'plan', 'apply'] as const;
export type RollbackPhase = (typeof ROLLBACK_PHASES)[number];

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
  /** Bisect probes run at once (k throwaway worktrees, k-ary rounds); default 1: one after another. */
  parallel?: number;
  /** A folder of verdict files from earlier rounds of a bisect over runners (actions/bisect-round): not probed again. */
  bisectVerdicts?: string;
  /** `all` (default): one job; `plan`: compute, check and seal a rollback plan, push nothing; `apply`: execute a sealed rollback plan, run no command. */
  phase?: RollbackPhase;
  /** A sealed plan to execute: a verify-rollback plan (phase all) or a rollback plan (phase apply). */
  planPath: string;
  replan: boolean;
  direct: boolean;
  dryRun: boolean;
  batch: boolean;
  /** The branch to roll back on; default: the remote's default branch. */
  branch: string;
  /** Labels granted to this plan (sealed into it), e.g. the secret-approval label. */
  labels?: readonly string[];
  /** Who runs it (GITHUB_TRIGGERING_ACTOR), recorded in the report. */
  actor?: string;
  /** Use the plan stored when the target landed (refs/rollback-gate/plans/<sha>) in phase all and apply; default true. */
  prebuilt?: boolean;
  remote?: string;
  owner?: string;
  repo?: string;
  runUrl?: string;
  runId?: string;
  /** The workflow file that runs the rollback (for the re-plan command). */
  workflow?: string;
  detectedAt?: string;
  config: Config;
  /** A per-run temporary directory (RUNNER_TEMP/rollback-gate). */
  tempDir: string;
  /** Where the workspace's non-git artifacts are read (for the checkpoint's artifacts). */
  workspace?: string;
  /** Caps each command's timeout (for tests and impatient users). */
  maxCommandTimeoutMs?: number;
  /** revert-agent: also revert the kept commits that build on the agent's commits. */
  includeDependent?: boolean;
  /** A rollback a trigger started: its record (the report's `trigger` section), and its guardrails on the commits about to be reverted. */
  trigger?: { report: TriggerReport; vet?: (commits: readonly CommitInfo[]) => { verdict: 'declined' | 'report-only'; reason: string } | null };
}

export interface RollbackOutcome {
  report: RollbackReport;
  reportPath: string;
  target: ResolvedTarget;
  skipped: Array<{ commit: string; reason: string }>;
  bisect: BisectResult | null;
  /** phase plan: the sealed rollback plan written. */
  planPath: string | null;
  /**
   * The commits the report lists that its target does not (a bisect's culprit and cascade, an
   * applied plan's commits): read for their subject and author, so that no list shows a bare sha.
   */
  described: CommitInfo[];
}

/** Everything one run carries between its steps. */
interface Run {
  deps: RollbackDeps;
  request: RollbackRequest;
  phase: RollbackPhase;
  remote: string;
  branch: string;
  tip: string;
  tipTree: string;
  report: FullRollbackReport;
  reportPath: string;
  planPath: string | null;
  target?: ResolvedTarget;
  steps: RevertStep[];
  reasons: Map<string, string>;
  expectedTree: string | null;
  outcome?: RevertOutcome;
  bisected: BisectResult | null;
  skipped: Array<{ commit: string; reason: string }>;
  lock?: Lock;
  store?: ScratchStore;
  /** The rollback plan being applied (phase apply). */
  plan?: RollbackPlan;
  /** Set when the run was closed: its finish time is then final. */
  closed?: boolean;
  /** The plan stored when the target landed, being executed (phase all or apply with a target). */
  prebuilt?: PrebuiltExecution;
  /** See RollbackOutcome.described; filled before the pull request is opened and when the run ends. */
  described: CommitInfo[];
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

const stepsOf = (commits: readonly CommitInfo[]): RevertStep[] => commits.map((c) => ({ commit: c, mainline: c.parents.length > 1 ? 1 : null }));

/**
 * Executes a rollback as a list of named steps: open the run (branch, tip, history), then either
 * plan (resolve the target, bisect, revert in memory, run the checks, scan for secrets) and deliver
 * (lease-pushed branch or PR), or, in phase `apply`, re-check a sealed rollback plan against the
 * repository and deliver it without running any command. Writes the report whatever the outcome.
 */
export async function rollback(deps: RollbackDeps, request: RollbackRequest): Promise<RollbackOutcome> {
  const run = await openRun(deps, request);
  // `described` is the run's own array: filled in `finally`, after the outcome is made.
  const failed = (): FailedOutcome => ({ report: run.report, reportPath: run.reportPath, target: run.target, skipped: run.skipped, bisect: run.bisected, planPath: run.planPath, described: run.described });
  const outcome = (): RollbackOutcome => ({ ...failed(), target: run.target! });
  try {
    if (run.phase === 'apply' && request.planPath) {
      await loadPlanForApply(run);
    } else {
      await resolveStep(run);
      // A re-run (also after a run killed after its push) finds its own work and changes nothing.
      if (await alreadyRolledBackStep(run)) return outcome();
      if (agentWorkStep(run)) return outcome();
      await prebuiltStep(run);
      if (run.phase !== 'plan' && !request.dryRun) run.lock = await lockStep(run);
      if (run.target!.strategy !== 'delete-branch') {
        await bisectStep(run);
        vetStep(run);
        await revertStep(run);
        if (run.outcome!.applied.length > 0) {
          // A rollback a trigger started executes the stored plan at once: no check (verification none, said so).
          if (run.phase !== 'apply' && !(run.prebuilt && request.trigger)) await checkStep(run);
          await inspectStep(run);
        }
      }
      await provenanceStep(run);
      if (run.phase === 'plan') {
        writePlanStep(run);
        run.report.outcome = 'planned';
        return outcome();
      }
    }
    if (run.target!.strategy === 'delete-branch') {
      await deleteBranch(deps, request, run.target!, run.remote, run.report);
      run.report.outcome = request.dryRun ? 'dry-run' : 'succeeded';
      return outcome();
    }
    if (run.outcome!.applied.length === 0) {
      run.report.outcome = request.dryRun ? 'dry-run' : 'succeeded';
      deps.log.info('nothing to revert: every commit was already reverted.');
      return outcome();
    }
    await secretGateStep(run);
    await irreversibleGateStep(run);
    await commitStep(run);
    if (request.dryRun) {
      run.report.outcome = 'dry-run';
      return outcome();
    }
    await describeListed(run);
    const openedWith = await deliver(deps, request, run.target!, run.remote, run.branch, run.tip, run.report, run.described);
    run.report.outcome = 'succeeded';
    await closeRun(run);
    await refreshPullBody(run, openedWith);
    return outcome();
  } catch (error) {
    run.report.outcome = error instanceof RollbackDeclined ? 'declined' : 'failed';
    run.report.error = run.target ? (error as Error).message : `failed before resolving the target: ${(error as Error).message}`;
    await closeRun(run);
    if (error instanceof UserError) throw new RollbackFailure(error, failed());
    throw error;
  } finally {
    await closeRun(run);
    await describeListed(run);
  }
}

/**
 * Reads the subject and author of every commit the report lists that the run has not read yet
 * (the reverted commits of an applied plan, a bisect's culprit, cascade and independent commits):
 * the steps' commits first, the rest in one `git log --no-walk`. Only for showing them; a failure
 * leaves them as shas and says so in the log.
 */
async function describeListed(run: Run): Promise<void> {
  const known = new Set([...(run.target?.commits ?? []), ...(run.target?.later ?? []), ...run.described].map((c) => c.sha));
  for (const step of run.steps) {
    if (!known.has(step.commit.sha)) {
      run.described.push(step.commit);
      known.add(step.commit.sha);
    }
  }
  const { report } = run;
  const listed = [
    ...report.commits,
    report.culprit,
    ...report.cascade.map((c) => c.commit),
    ...(report.independent ?? []).map((c) => c.commit),
    ...(report.cascadeWidening?.steps.flatMap((w) => w.added.map((a) => a.commit)) ?? []),
  ];
  const missing = [...new Set(listed)].filter((sha): sha is string => !!sha && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) && !known.has(sha));
  if (missing.length === 0) return;
  try {
    run.described.push(...(await readCommits(run.deps.git, missing, { noWalk: true, newestFirst: true })));
  } catch (error) {
    run.deps.log.info(`the report lists ${missing.length === 1 ? 'a commit' : `${missing.length} commits`} by sha only: reading ${missing.length === 1 ? 'its subject' : 'their subjects'} failed (${(error as Error).message.split('\n')[0]}).`);
  }
}

/** Reads the branch and its tip, makes sure the history is there, and starts the report. */
async function openRun(deps: RollbackDeps, request: RollbackRequest): Promise<Run> {
  const { git, log, clock } = deps;
  const phase = request.phase ?? 'all';
  const startedAt = clock().toISOString();
  const remote = request.remote ?? 'origin';
  if (await git.isEmptyRepository()) throw new UserError('the repository has no commits; there is nothing to roll back.');
  let branchInput = request.branch.trim();
  let plan: RollbackPlan | undefined;
  if (phase === 'apply' && !request.planPath && !request.target) {
    throw new UserError('`phase: apply` needs `plan` (the rollback plan file the plan job wrote, its `plan-path`) or a `target` whose plan was stored when it landed.', 'Download the plan artifact and pass its path as `plan`.');
  }
  if (phase === 'apply' && request.planPath) {
    plan = readRollbackPlan(request.planPath);
    if (branchInput && branchInput !== plan.branch) throw new UserError(`the plan is for branch ${JSON.stringify(plan.branch)}, but \`branch\` is ${JSON.stringify(branchInput)}.`);
    branchInput = plan.branch;
  }
  const { branch, tip } = await rollbackBranch(git, remote, branchInput);
  await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]);
  await ensureHistory(git, { remote, what: 'the full history (a rollback looks back to the checkpoint)', log, reachable: async () => !(await git.isShallow()) });
  if (phase === 'plan') await assertNoPersistedCredential(git);
  mkdirSync(request.tempDir, { recursive: true });
  const report: FullRollbackReport = {
    ...blankRollbackReport({
      target: request.target || request.planPath,
      strategy: request.strategy,
      phase,
      startedAt,
      finishedAt: startedAt,
      detectedAt: request.detectedAt || null,
    }),
    actor: request.actor || null,
    ...(request.trigger ? { trigger: request.trigger.report } : {}),
  };
  return {
    deps,
    request,
    phase,
    remote,
    branch,
    tip,
    tipTree: await git.treeOf(tip),
    report,
    reportPath: join(request.tempDir, 'rollback-report.json'),
    planPath: null,
    steps: [],
    reasons: new Map(),
    expectedTree: null,
    bisected: null,
    skipped: [],
    plan,
    described: [],
  };
}

/**
 * phase plan runs the project's commands; a credential that actions/checkout persisted in the
 * repository's git config (an `http.<url>.extraheader`) would be theirs to read. Refuse before any runs.
 */
export async function assertNoPersistedCredential(git: Git): Promise<void> {
  const found = await git.test(['config', '--includes', '--name-only', '--get-regexp', '^http\\..*\\.extraheader$']);
  if (found.exitCode === 0 && found.stdout.trim()) {
    throw new UserError(
      `phase plan runs your checks and bisect command, but the checkout left a credential in the repository's git config (${found.stdout.trim().split('\n').join(', ')}), which they could read. Nothing was run.`,
      'Set `persist-credentials: false` on actions/checkout in the plan job: the plan needs no credential to push, and apply runs in its own job.',
    );
  }
}

/** Removes the scratch store and the lock, and writes the report. Safe to call twice. */
async function closeRun(run: Run): Promise<void> {
  run.store?.dispose();
  run.store = undefined;
  if (run.lock) await releaseLock(run.deps.git, run.remote, run.lock, run.deps.log);
  run.lock = undefined;
  if (!run.closed) run.report.finishedAt = run.deps.clock().toISOString();
  run.closed = true;
  writeFileSync(run.reportPath, `${JSON.stringify(run.report, null, 2)}\n`);
}

function setTarget(run: Run, target: ResolvedTarget): void {
  run.target = target;
  run.report.target = { input: target.input, kind: target.kind, resolved: target.resolution };
  run.report.strategy = target.strategy;
  run.report.sessionId = target.sessionId;
  run.reportPath = join(run.request.tempDir, `rollback-${target.id.replace(/\//g, '_')}.json`);
  run.deps.log.info(`target: ${target.resolution}; strategy: ${target.strategy}`);
  const work = target.agentWork;
  if (!work) return;
  const revert = new Set(work.revert.map((c) => c.sha));
  run.report.agentWork = {
    agent: work.agent.map((a) => ({ commit: a.commit.sha, reason: a.reason })),
    kept: work.kept.map((k) => ({ commit: k.commit.sha, reason: k.reason })),
    dependents: work.dependents.map((d) => ({ commit: d.commit.sha, reason: d.reason, dependsOn: d.dependsOn, reverted: revert.has(d.commit.sha) })),
    includeDependent: work.includeDependent,
    note: null,
  };
  for (const a of work.agent) run.reasons.set(a.commit.sha, `agent commit: ${a.reason}`);
  for (const d of work.dependents) run.reasons.set(d.commit.sha, `builds on ${d.dependsOn.map((s) => s.slice(0, 12)).join(', ')} (include-dependent): ${d.reason}`);
}

/** revert-agent: nothing to do without agent commits (said plainly); nothing applied while a kept commit builds on them, unless include-dependent. */
function agentWorkStep(run: Run): boolean {
  const target = run.target!;
  const work = target.agentWork;
  if (!work || !run.report.agentWork) return false;
  const classify = createClassifier(run.request.config.agents);
  if (work.agent.length === 0) {
    const note = `${target.id} has no agent commits (by the \`agents\` config: trailers and authors): nothing to revert; its ${plural(work.kept.length, 'human commit')} ${work.kept.length === 1 ? 'is' : 'are'} kept. Nothing was pushed.`;
    run.report.agentWork.note = note;
    run.report.verificationNote = 'not verified: nothing was reverted';
    run.report.outcome = run.request.dryRun ? 'dry-run' : 'succeeded';
    run.deps.log.info(note);
    return true;
  }
  try {
    assertNoDependents(work, classify);
  } catch (error) {
    run.report.agentWork.note = (error as Error).message;
    throw error;
  }
  const n = work.dependents.length;
  run.report.agentWork.note = `reverts the ${plural(work.agent.length, 'agent commit')} newest first and keeps ${plural(work.kept.length, 'human commit')}${n ? `; include-dependent: ${plural(n, 'kept commit')} that ${n === 1 ? 'builds' : 'build'} on the agent's work are reverted too` : ''}`;
  return false;
}

/** What to roll back: the target resolved afresh, or the steps of a verify-rollback plan. */
async function resolveStep(run: Run): Promise<void> {
  const { deps, request } = run;
  if (request.planPath) {
    if (planSchemaOf(request.planPath) === ROLLBACK_PLAN_SCHEMA) {
      throw new UserError(`${request.planPath} is a rollback plan (from \`phase: plan\`); execute it with \`phase: apply\`.`);
    }
    if (run.phase === 'plan') throw new UserError('`phase: plan` takes `target`, not a verify-rollback plan: give the unit\'s commit as `target`.');
    const fromPlan = await stepsFromPlan(deps.git, request.planPath, run.tip, request.replan, deps.log, request.target);
    run.steps = fromPlan.steps;
    run.expectedTree = fromPlan.expectedTree;
    setTarget(run, {
      input: request.planPath,
      kind: 'commit',
      resolution: `sealed plan ${fromPlan.id}: ${plural(run.steps.length, 'revert')}`,
      id: fromPlan.id.replace(/[^A-Za-z0-9._-]/g, '-'),
      sessionId: null,
      checkpoint: null,
      pullRequest: null,
      strategy: run.steps.some((s) => s.mainline) ? 'revert-merge' : run.steps.length > 1 ? 'revert-range' : 'revert-squash',
      commits: run.steps.map((s) => s.commit),
      range: null,
      unmerged: null,
    });
    return;
  }
  setTarget(run, await resolveTarget(targetContext(run, run.tip), request.target, request.strategy));
  run.steps = stepsOf(run.target!.commits);
}

function targetContext(run: Run, tip: string): Parameters<typeof resolveTarget>[0] {
  const { deps, request } = run;
  return { git: deps.git, github: deps.github, owner: request.owner, repo: request.repo, remote: run.remote, branch: run.branch, tip, checkpointPrefix: request.config.checkpoint.prefix, classify: createClassifier(request.config.agents), includeDependent: request.includeDependent ?? false, maxDepth: request.config.blastRadius.maxDepth };
}

/** True (and the report says by which commit) when every commit of the target is already proven undone, on the branch or its pending rollback branch. */
async function alreadyRolledBackStep(run: Run): Promise<boolean> {
  const target = run.target!;
  if (target.strategy === 'delete-branch' || target.strategy === 'bisect' || run.steps.length === 0) return false;
  const found = await findRolledBack(run.deps.git, { tip: run.tip, branch: run.branch, commits: run.steps, remote: run.remote, pending: `rollback/${target.id}` });
  if (!found) return false;
  const by = [...new Set(found.undone.map((u) => u.by.sha))];
  for (const u of found.undone) run.skipped.push({ commit: u.commit.sha, reason: `already ${u.rollback ? 'rolled back' : 'reverted'} by ${u.by.sha.slice(0, 12)} "${u.by.subject}" on ${found.ref}` });
  run.report.rollbackSha = by[0] ?? null;
  run.report.branch = found.ref;
  run.report.outcome = run.request.dryRun ? 'dry-run' : 'succeeded';
  run.deps.log.info(`${target.id} is already rolled back by ${by.map((s) => s.slice(0, 12)).join(', ')} on ${found.ref}; nothing to do.`);
  return true;
}

async function lockStep(run: Run): Promise<Lock> {
  const { deps, request } = run;
  const lock = await takeLock(
    {
      git: deps.git,
      github: deps.github,
      owner: request.owner,
      repo: request.repo,
      remote: run.remote,
      log: deps.log,
      runId: request.runId,
      runUrl: request.runUrl,
      now: deps.clock(),
      timeoutMinutes: request.config.rollback.lockTimeoutMinutes,
    },
    run.target!.id,
  );
  run.report.lockTakenOver = lock.tookOver;
  return lock;
}

/** strategy bisect: find the culprit by running the bisect command, then its cascade. */
async function bisectStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const target = run.target!;
  run.store = await ScratchStore.create(deps.git, request.tempDir);
  if (target.strategy !== 'bisect') return;
  if (!request.bisectCommand.trim()) throw new UserError('`strategy: bisect` needs `bisect-command`, the command that fails on a bad commit.');
  const range = target.range ?? { good: target.checkpoint?.commit ?? '', bad: run.tip };
  try {
    const options = {
      command: request.bisectCommand,
      retries: request.retries,
      timeoutMinutes: request.config.verify.timeoutMinutes,
      maxTimeoutMs: request.maxCommandTimeoutMs,
      env: deps.env,
      log: deps.log,
    };
    const parallel = request.parallel ?? 1;
    run.bisected =
      parallel > 1 || request.bisectVerdicts
        ? await bisectInRounds(deps.git, run.store, range.good, range.bad, { ...options, parallel, verdictsDir: request.bisectVerdicts || undefined })
        : await bisect(deps.git, run.store, range.good, range.bad, options);
  } catch (error) {
    if (error instanceof BisectRangeError) report.bisect = { runs: error.result.runs, skipped: error.result.skipped };
    throw error;
  }
  const bisected = run.bisected;
  report.bisect = { runs: bisected.runs, skipped: bisected.skipped };
  report.culprit = bisected.culprit.sha;
  const later = bisected.commits.slice(bisected.commits.indexOf(bisected.culprit) + 1);
  const found = await findCascade(deps.git, bisected.culprit, later, run.tip, request.config.blastRadius.maxDepth);
  report.cascade = found.cascade;
  report.independent = found.independent;
  report.culpritBlastRadius = found.blastRadius;
  const cascade = new Map(report.cascade.map((c) => [c.commit, c.reason]));
  run.reasons.set(bisected.culprit.sha, `culprit: the first commit on which \`bisect-command\` fails (${plural(bisected.runs, 'run')})`);
  for (const [sha, reason] of cascade) run.reasons.set(sha, `cascade: ${reason}`);
  run.steps = stepsOf([bisected.culprit, ...later.filter((c) => cascade.has(c.sha))].reverse());
  deps.log.info(`culprit ${bisected.culprit.sha} after ${plural(bisected.runs, 'run')}; cascade: ${plural(report.cascade.length, 'later commit')}`);
}

/** A trigger's guardrails on what is about to be reverted (the culprit found by bisect, or the target's commits). */
function vetStep(run: Run): void {
  const vet = run.request.trigger?.vet;
  if (!vet) return;
  const stopped = vet(run.bisected ? [run.bisected.culprit] : run.steps.map((s) => s.commit));
  if (stopped) throw new RollbackDeclined(stopped.verdict, stopped.reason);
}

/** The reverts, in memory, newest first, onto the tip. */
async function revertStep(run: Run): Promise<void> {
  const outcome = await revertSteps(run.deps.git, run.tip, run.tipTree, run.steps, { classify: createClassifier(run.request.config.agents), branch: run.branch });
  run.outcome = outcome;
  for (const s of outcome.skipped) run.skipped.push({ commit: s.commit.sha, reason: s.reason });
  run.report.commits = outcome.applied.map((s) => s.commit.sha);
  run.report.files = outcome.files;
  if (run.expectedTree && outcome.applied.length > 0 && outcome.tree !== run.expectedTree) {
    throw new UserError(`the rollback's tree ${outcome.tree} is not the tree the sealed plan expects (${run.expectedTree}); nothing was pushed.`, 'Make a new plan, or run with `replan: true`.');
  }
}

/** The project's checks on the rolled-back tree, in a throwaway worktree; `verified` only when one ran and all passed. */
async function checkStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const target = run.target!;
  const commands = request.config.verify.commands;
  if (commands.length > 0) {
    report.checks = await checksOn(run, run.outcome!.tree);
    report.verification = report.checks.every((c) => c.exitCode === 0 && !c.timedOut) ? 'passed' : 'failed';
    if (report.verification === 'failed' && target.strategy === 'bisect' && run.bisected) await widenStep(run);
  }
  const outcome = run.outcome!;
  let treeNote: string | null = null;
  if (target.checkpoint && target.strategy === 'revert-range') {
    const sinceCheckpoint = await deps.git.text(['rev-list', '--first-parent', '--count', `${target.checkpoint.commit}..${run.tip}`]);
    if (Number(sinceCheckpoint) === outcome.applied.length && outcome.tree !== target.checkpoint.tree) {
      treeNote = `the rolled-back tree ${outcome.tree.slice(0, 12)} is not the checkpoint's tree ${target.checkpoint.tree.slice(0, 12)}`;
    }
  }
  report.verified = report.verification === 'passed' && !treeNote;
  report.verificationNote =
    report.verification === 'none'
      ? 'not verified: no checks configured (verify.commands)'
      : report.verification === 'failed'
        ? `not verified: ${report.checks.filter((c) => c.exitCode !== 0).map((c) => c.name).join(', ')} failed on the rolled-back tree`
        : treeNote
          ? `not verified: ${treeNote}`
          : null;
}

/** The project's checks on `tree`, in a throwaway worktree. */
async function checksOn(run: Run, tree: string): Promise<CheckOutcome[]> {
  const { deps, request } = run;
  const commands = request.config.verify.commands;
  const worktree = await ThrowawayWorktree.create(run.store!);
  try {
    await worktree.checkout(tree, run.tip, `rollback of ${run.target!.id}`);
    const checks = await runChecks(worktree.dir, { commands, timeoutMinutes: request.config.verify.timeoutMinutes, maxTimeoutMs: request.maxCommandTimeoutMs, env: deps.env, log: deps.log });
    return toOutcomes(checks, commands);
  } finally {
    worktree.remove();
  }
}

/**
 * The checks failed with the minimal cascade: widen it step by step (cascade.ts widenCascade), re-running
 * the checks, and keep the first step that passes. When none does, nothing is delivered.
 */
async function widenStep(run: Run): Promise<void> {
  const { deps, report } = run;
  const bisected = run.bisected!;
  const culprit = bisected.culprit;
  const later = bisected.commits.slice(bisected.commits.indexOf(culprit) + 1);
  let passed: { steps: RevertStep[]; outcome: RevertOutcome; checks: CheckOutcome[] } | undefined;
  const widening = await widenCascade(deps.git, {
    culprit,
    later,
    cascade: report.cascade,
    radius: report.culpritBlastRadius.map((r) => r.file),
    check: async (cascade) => {
      const set = new Set(cascade.map((c) => c.commit));
      const steps = stepsOf([culprit, ...later.filter((c) => set.has(c.sha))].reverse());
      let outcome: RevertOutcome;
      try {
        outcome = await revertSteps(deps.git, run.tip, run.tipTree, steps, { classify: createClassifier(run.request.config.agents), branch: run.branch });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        return { verification: 'conflict', note: error.problem };
      }
      const checks = await checksOn(run, outcome.tree);
      const failed = checks.filter((c) => c.exitCode !== 0 || c.timedOut).map((c) => c.name);
      if (failed.length > 0) return { verification: 'failed', note: `${failed.join(', ')} failed` };
      passed = { steps, outcome, checks };
      return { verification: 'passed', note: null };
    },
  });
  report.cascadeWidening = { steps: widening.steps, passedAt: widening.passedAt };
  if (!passed) {
    const tried = widening.steps.map((s) => `${s.step}: ${s.verification}${s.note ? ` (${s.note})` : ''}`).join('; ');
    deps.log.warning(`the checks fail with every cascade tried: ${tried}`);
    throw new UserError(
      `the checks fail on the rollback of culprit ${culprit.sha.slice(0, 12)} with its minimal cascade and with every wider one tried (${tried}). Nothing was pushed.`,
      'The culprit may not be the only cause: read the checks\' output in the report, or roll back a range by hand.',
    );
  }
  deps.log.info(`the checks pass with the ${widening.passedAt} cascade (${plural(widening.cascade.length, 'commit')})`);
  report.cascade = widening.cascade;
  report.independent = (report.independent ?? []).filter((c) => !widening.cascade.some((w) => w.commit === c.commit));
  for (const c of widening.cascade) if (!run.reasons.has(c.commit)) run.reasons.set(c.commit, `cascade: ${c.reason}`);
  run.steps = passed.steps;
  run.outcome = passed.outcome;
  report.commits = passed.outcome.applied.map((s) => s.commit.sha);
  report.files = passed.outcome.files;
  report.checks = passed.checks;
  report.verification = 'passed';
}

/** What the rollback brings back: secrets in the lines it adds, irreversible paths, non-git state. */
async function inspectStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const outcome = run.outcome!;
  report.secrets = await scanAddedLines(deps.git, run.tipTree, outcome.tree, deps.env);
  for (const finding of report.secrets) deps.log.warning(`the rollback re-introduces a secret (${finding.rule}) in ${finding.file}:${finding.line}`);
  for (const guard of request.config.verify.irreversible) {
    for (const path of outcome.files) {
      if (matchesAny(path, guard.paths)) report.irreversible.push({ path, reason: guard.reason, requireLabel: guard.requireLabel, todo: irreversibleTodo(path, guard.reason, guard.requireLabel) });
    }
  }
}

/** The checkpoint's seal, attestation and tag protection, and its non-git artifacts that changed. */
async function provenanceStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const checkpoint = run.target?.checkpoint;
  if (!checkpoint) {
    await nearestCheckpointArtifacts(run);
    return;
  }
  const api = { github: deps.github, owner: request.owner, repo: request.repo };
  try {
    const manifest = await readCheckpointManifest(deps.git, checkpoint.tag);
    report.provenance.checkpointSealed = true;
    report.provenance.attestation = await checkAttestation(api, manifestDigest(manifest));
    compareArtifacts(run, manifest.artifacts ?? [], null);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    report.provenance.checkpointSealed = false;
  }
  report.provenance.tagProtection = await checkTagProtection(api, request.config.checkpoint.prefix);
}

/** The checkpoint's artifacts whose digest in the workspace differs now (or that are gone), each with what to do. */
function compareArtifacts(run: Run, artifacts: ReadonlyArray<{ name: string; path: string; sha256: string }>, tag: string | null): void {
  const workspace = run.request.workspace ?? run.deps.git.cwd;
  for (const artifact of artifacts) {
    const file = resolve(workspace, artifact.path);
    const current = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
    if (current !== artifact.sha256) run.report.artifacts.push({ name: artifact.name, path: artifact.path, sha256: artifact.sha256, current, todo: artifactTodo(artifact.name, artifact.path, artifact.sha256, current, tag) });
  }
}

/** How far back (first-parent commits) a target without a checkpoint looks for the checkpoint before it. */
const NEAREST_CHECKPOINT_DEPTH = 1000;

/**
 * A target with no checkpoint of its own (a commit, a pull request, a range, a bisected culprit):
 * the artifacts of the newest checkpoint at or before the state the rollback returns to (the first
 * parent of the oldest commit it reverts) are compared as a session's are. No such checkpoint, or
 * one whose manifest does not verify: nothing to compare.
 */
async function nearestCheckpointArtifacts(run: Run): Promise<void> {
  const { deps, request } = run;
  const applied = run.outcome?.applied ?? [];
  const oldest = applied.at(-1)?.commit;
  const base = run.target?.range?.good ?? oldest?.parents[0];
  if (!base) return;
  const listed = await deps.git.text(['for-each-ref', '--format=%(*objectname) %(refname:strip=2)', `refs/tags/${request.config.checkpoint.prefix}`]);
  const tagAt = new Map<string, string>();
  for (const line of listed.split('\n')) {
    const [commit, tag] = line.split(' ');
    if (commit && tag && !tagAt.has(commit)) tagAt.set(commit, tag);
  }
  if (tagAt.size === 0) return;
  const history = (await deps.git.text(['rev-list', '--first-parent', `--max-count=${NEAREST_CHECKPOINT_DEPTH}`, base])).split('\n');
  const commit = history.find((c) => tagAt.has(c));
  if (!commit) return;
  const tag = tagAt.get(commit)!;
  try {
    compareArtifacts(run, (await readCheckpointManifest(deps.git, tag)).artifacts ?? [], tag);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    deps.log.warning(`the checkpoint ${tag} before ${run.target!.id} has no verifiable manifest, so its artifacts were not compared: ${error.problem}`);
  }
}

/** phase plan: seal what was computed into the rollback plan; nothing is pushed. */
function writePlanStep(run: Run): void {
  const { request, report } = run;
  const target = run.target!;
  const applied = run.outcome?.applied ?? [];
  const plan = sealRollbackPlan({
    schema: ROLLBACK_PLAN_SCHEMA,
    repository: request.owner && request.repo ? `${request.owner}/${request.repo}` : null,
    branch: run.branch,
    plannedTip: run.tip,
    target: {
      input: target.input,
      strategyAsked: request.strategy,
      kind: target.kind,
      resolved: target.resolution,
      id: target.id,
      sessionId: target.sessionId,
      checkpoint: target.checkpoint,
      pullRequest: target.pullRequest?.number ?? null,
      unmerged: target.unmerged,
    },
    strategy: target.strategy,
    batch: request.batch,
    commits: applied.map((s) => ({
      sha: s.commit.sha,
      subject: s.commit.subject,
      author: `${s.commit.authorName} <${s.commit.authorEmail}>`,
      mainline: s.mainline,
      reason: run.reasons.get(s.commit.sha) ?? `part of the target ${target.id}`,
    })),
    expectedTree: target.strategy === 'delete-branch' ? null : (run.outcome?.tree ?? run.tipTree),
    files: report.files,
    checks: report.checks,
    verification: report.verification,
    secrets: report.secrets,
    irreversible: report.irreversible,
    artifacts: report.artifacts,
    labels: [...(request.labels ?? [])],
    createdAt: run.deps.clock().toISOString(),
    runUrl: request.runUrl ?? null,
    ...(request.trigger ? { trigger: request.trigger.report } : {}),
    ...(run.prebuilt ? { prebuilt: { ref: run.prebuilt.stored.ref, commit: run.prebuilt.stored.commit, landed: run.prebuilt.stored.landed, digest: run.prebuilt.stored.digest, movedBy: run.prebuilt.movedBy } } : {}),
  });
  run.planPath = join(request.tempDir, `rollback-plan-${target.id.replace(/\//g, '_')}.json`);
  writeRollbackPlan(run.planPath, plan);
  report.plan = { path: run.planPath, digest: plan.seal, createdAt: plan.createdAt, runUrl: plan.runUrl };
  run.deps.log.info(`sealed the rollback plan ${run.planPath} (${plan.seal})`);
}

/**
 * phase apply: the plan is checked against the repository, not only its seal (anyone can re-seal a
 * file): same repository and branch, the tip it was planned on, every commit inside the target as
 * re-resolved now, and the same tree when the reverts are recomputed. No command is run.
 */
async function loadPlanForApply(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const plan = run.plan!;
  const path = request.planPath;
  report.plan = { path, digest: plan.seal, createdAt: plan.createdAt, runUrl: plan.runUrl };
  const repository = request.owner && request.repo ? `${request.owner}/${request.repo}` : null;
  if (plan.repository && repository && plan.repository.toLowerCase() !== repository.toLowerCase()) {
    throw new UserError(`the rollback plan is for ${plan.repository}, not ${repository}; nothing was done.`);
  }
  if (plan.plannedTip !== run.tip) {
    const replan = shellCommand(['gh', 'workflow', 'run', request.workflow ?? 'rollback.yml', '-f', `target=${plan.target.input}`, '-f', `strategy=${plan.target.strategyAsked}`]);
    throw new UserError(
      `${run.branch} moved since the plan was made (planned on ${plan.plannedTip.slice(0, 12)}, now ${run.tip.slice(0, 12)}); a plan is applied only on the tip it was made on, so nothing was pushed.`,
      `Make a new plan on the current tip: ${replan}`,
    );
  }
  // Re-resolve the target as the plan job did (git and API only), and keep the plan inside it.
  const target = await resolveTarget(targetContext(run, run.tip), plan.target.input, plan.target.strategyAsked);
  setTarget(run, target);
  report.strategy = plan.strategy;
  if (target.strategy !== plan.strategy) {
    throw new UserError(`the plan says strategy ${plan.strategy}, but ${JSON.stringify(plan.target.input)} resolves to ${target.strategy} now; nothing was pushed.`, 'Make a new plan.');
  }
  if (plan.strategy === 'delete-branch') {
    if (!target.unmerged || !plan.target.unmerged || target.unmerged.branch !== plan.target.unmerged.branch || target.unmerged.head !== plan.target.unmerged.head) {
      throw new UserError(`the plan would delete ${JSON.stringify(plan.target.unmerged?.branch ?? '')}, which is not the unmerged branch of ${plan.target.input} now; nothing was done.`);
    }
    return;
  }
  const allowed = new Set(
    target.strategy === 'bisect' && target.range
      ? (await readCommits(deps.git, [`${target.range.good}..${run.tip}`], { firstParent: true })).map((c) => c.sha)
      : [...target.commits, ...(target.agentWork?.dependents.map((d) => d.commit) ?? [])].map((c) => c.sha),
  );
  const outside = plan.commits.filter((c) => !allowed.has(c.sha));
  if (outside.length > 0) {
    throw new UserError(
      `the plan reverts ${outside.map((c) => `${c.sha.slice(0, 12)} "${c.subject}"`).join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not part of the target ${plan.target.input} on ${run.branch}; nothing was pushed.`,
      'A seal proves a plan was not changed after sealing, not who sealed it. Make a new plan from the target.',
    );
  }
  if (report.agentWork) {
    // revert-agent: the plan decided which dependents go (include-dependent in the plan job).
    const planned = new Set(plan.commits.map((c) => c.sha));
    for (const d of report.agentWork.dependents) d.reverted = planned.has(d.commit);
    report.agentWork.includeDependent = report.agentWork.dependents.some((d) => d.reverted);
  }
  run.steps = [];
  for (const c of plan.commits) {
    const [commit] = await readCommits(deps.git, [c.sha], { newestFirst: true, maxCount: 1 });
    run.steps.push({ commit: commit!, mainline: commit!.parents.length > 1 ? 1 : null });
  }
  if (plan.commits.length === 0) {
    run.outcome = { applied: [], skipped: [], tree: run.tipTree, files: [] };
  } else {
    await revertStep(run);
    if (run.outcome!.tree !== plan.expectedTree || run.outcome!.applied.length !== plan.commits.length) {
      throw new UserError(`recomputing the plan's reverts on ${run.tip.slice(0, 12)} gives tree ${run.outcome!.tree.slice(0, 12)}, not the plan's expected tree ${String(plan.expectedTree).slice(0, 12)}; nothing was pushed.`, 'Make a new plan.');
    }
  }
  if (plan.prebuilt) await prebuiltOfPlan(run, plan.prebuilt);
  report.checks = plan.checks;
  report.verification = plan.verification;
  report.verified = plan.verification === 'passed' && plan.commits.length > 0;
  report.verificationNote =
    plan.verification === 'passed'
      ? `checks ran in the plan job (${plan.runUrl ?? 'run unknown'}) on this exact tree; apply re-derived the tree and ran no command itself`
      : plan.verification === 'none' && plan.prebuilt
        ? `not verified: the plan job executed the plan stored when ${plan.prebuilt.landed.slice(0, 12)} landed (${plan.prebuilt.ref}) and ran no check; apply re-derived the tree and ran no command itself`
        : plan.verification === 'none'
          ? 'not verified: no checks configured (verify.commands)'
          : 'not verified: a check failed in the plan job';
  report.secrets = plan.secrets;
  report.irreversible = plan.irreversible;
  report.artifacts = plan.artifacts;
  report.culprit = plan.commits.find((c) => c.reason.startsWith('culprit'))?.sha ?? null;
  report.approvals = await runApprovals({ github: deps.github, owner: request.owner, repo: request.repo }, request.runId);
  if (!request.dryRun) run.lock = await lockStep(run);
}

/**
 * A rollback plan the plan job made from a stored pre-built plan: that stored plan is read again (its
 * seal, that it is the plan of the landed commit) and must be the very one the plan job used, and
 * the plan must revert exactly that landed commit. Then the report records it.
 */
async function prebuiltOfPlan(run: Run, used: NonNullable<RollbackPlan['prebuilt']>): Promise<void> {
  const { deps, report } = run;
  const plan = run.plan!;
  const landed = used.landed.slice(0, 12);
  if (plan.commits.length !== 1 || plan.commits[0]!.sha !== used.landed) {
    throw new UserError(`the rollback plan says it executes the plan stored when ${landed} landed, but it reverts ${plan.commits.map((c) => c.sha.slice(0, 12)).join(', ') || 'nothing'}; nothing was pushed.`, 'Make a new plan.');
  }
  const stored = await loadPrebuiltPlan(deps.git, run.remote, used.landed);
  if (!stored || stored.commit !== used.commit || stored.digest !== used.digest) {
    throw new UserError(
      `the rollback plan was made from the plan stored when ${landed} landed (${used.ref} at ${used.commit.slice(0, 12)}, ${used.digest}), and that ref ${stored ? `now holds another plan (${stored.commit.slice(0, 12)}, ${stored.digest})` : 'is gone'}; nothing was pushed.`,
      `Find out who changed ${used.ref} (the server's audit log), then make a new plan.`,
    );
  }
  report.prebuilt = { ref: stored.ref, commit: stored.commit, landed: stored.landed, digest: stored.digest, movedBy: used.movedBy, replanned: used.movedBy > 0 };
}

/** A rollback that re-introduces a secret needs the configured label on the target's PR or in the plan. */
async function secretGateStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  if (report.secrets.length === 0 || request.dryRun || run.phase === 'plan') return;
  const label = request.config.rollback.allowSecretsLabel;
  const granted = new Set([...(run.plan?.labels ?? request.labels ?? [])]);
  const pr = run.target?.pullRequest;
  if (!granted.has(label) && pr && deps.github && request.owner && request.repo) {
    for (const l of await deps.github.listPullLabels(request.owner, request.repo, pr.number)) granted.add(l.name);
  }
  if (granted.has(label)) {
    deps.log.warning(`the rollback re-introduces ${plural(report.secrets.length, 'secret')}; allowed by the label ${label}.`);
    return;
  }
  const where = report.secrets.slice(0, 10).map((s) => `${s.file}:${s.line} (${s.rule})`).join(', ');
  throw new UserError(
    `the rollback would re-introduce ${plural(report.secrets.length, 'secret')} that a later commit removed: ${where}. Nothing was pushed.`,
    `Rotate the secret, then approve with the label ${label} (on ${pr ? `pull request #${pr.number}` : 'the plan: input `labels`'}), or roll back a smaller range.`,
  );
}

/** An irreversible path in the rollback needs its label: granted to the plan, in the input `labels`, or on the target's PR. */
async function irreversibleGateStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  if (report.irreversible.length === 0 || request.dryRun || run.phase === 'plan') return;
  const granted = new Set([...(run.plan?.labels ?? []), ...(request.labels ?? [])]);
  const pr = run.target?.pullRequest;
  if (report.irreversible.some((i) => !granted.has(i.requireLabel)) && pr && deps.github && request.owner && request.repo) {
    for (const l of await deps.github.listPullLabels(request.owner, request.repo, pr.number)) granted.add(l.name);
  }
  irreversibleGate(report.irreversible, granted, pr?.number ?? null);
}

/**
 * The plan stored when the target landed (refs/rollback-gate/plans/<sha>), executed at once: the
 * landed commit's revert, to the plan's tree while the tip is that commit, re-planned on the tip
 * (no command run) when the branch moved. Phase apply with a target needs one.
 */
async function prebuiltStep(run: Run): Promise<void> {
  const { deps, request, report } = run;
  const target = run.target!;
  const usable = request.prebuilt !== false && !request.planPath && (target.strategy === 'revert-squash' || target.strategy === 'revert-merge');
  run.prebuilt = usable ? await prebuiltExecution(deps.git, run.remote, run.tip, run.steps.map((s) => s.commit)) : undefined;
  if (!run.prebuilt) {
    if (run.phase !== 'apply') return;
    throw new UserError(
      `\`phase: apply\` with a target executes the plan stored when it landed, and ${usable ? `no plan is stored for ${target.id} (${target.commits[0]?.sha.slice(0, 12) ?? '?'})` : `${target.id} is not one landed commit (strategy ${target.strategy})`}; apply runs no command, so it does not plan from scratch. Nothing was done.`,
      'Make a plan with `phase: plan` and apply that plan file, or store plans when changes land (verify-rollback `store-plan: true` on push).',
    );
  }
  const { stored, movedBy } = run.prebuilt;
  run.steps = run.prebuilt.steps;
  run.expectedTree = run.prebuilt.expectedTree;
  report.plan = { path: stored.ref, digest: stored.digest, createdAt: stored.plan.createdAt, runUrl: stored.plan.runUrl };
  report.prebuilt = { ref: stored.ref, commit: stored.commit, landed: stored.landed, digest: stored.digest, movedBy, replanned: movedBy > 0 };
  const landed = stored.landed.slice(0, 12);
  const atOnce = request.trigger ? ` (a rollback ${request.trigger.report.event === 'repository_dispatch' ? 'an alert' : 'a red branch'} starts executes it at once; checks run on the rollback's pull request)` : '';
  report.verificationNote =
    movedBy === 0
      ? `not verified: executed the plan stored when ${landed} landed (${stored.ref}); the rolled-back tree is the tree before it landed (${stored.plan.expectedTree.slice(0, 12)}), and no check ran on it${atOnce}`
      : `not verified: ${run.branch} moved ${movedBy} ${movedBy === 1 ? 'commit' : 'commits'} since ${landed} landed, so the stored plan was re-planned on ${run.tip.slice(0, 12)} without running any command; no check ran on the result${atOnce}`;
  deps.log.info(`executing the plan stored when ${landed} landed (${stored.ref}, ${stored.digest})${movedBy ? `; re-planned on the tip, ${plural(movedBy, 'commit')} later` : ''}`);
  if (run.phase === 'apply') report.approvals = await runApprovals({ github: deps.github, owner: request.owner, repo: request.repo }, request.runId);
}

/** The revert commits on top of the tip. */
async function commitStep(run: Run): Promise<void> {
  const { deps, request } = run;
  const target = run.target!;
  const culprit = run.report.culprit;
  const title =
    target.strategy === 'bisect' && culprit
      ? `Roll back ${target.id}: revert culprit ${culprit.slice(0, 12)} and its cascade`
      : target.strategy === 'revert-agent'
        ? `Roll back ${target.id}: revert the agent's commits, keep the human's`
        : `Roll back ${target.id}`;
  const batch = run.plan ? run.plan.batch : request.batch;
  run.report.rollbackSha = await commitReverts(deps.git, { tip: run.tip, tipTree: run.tipTree, outcome: run.outcome!, batch, title, id: target.id, env: await deps.git.identityEnv() });
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
        `the branch moved since the plan was made: ${plural(moved.length, 'commit')} landed on top (${list}).`,
        'Run with `replan: true` to recompute the rollback on the current tip (the plan\'s expected tree no longer applies).',
      );
    }
    log.info(`the branch moved since the plan (${moved.length} commits); replanning on the current tip.`);
    expectedTree = null;
  }
  const ordered: CommitInfo[] = [];
  for (const sha of commits) ordered.push(...(await readCommits(git, [sha], { newestFirst: true, maxCount: 1 })));
  return { steps: stepsOf(ordered), expectedTree, id: plan.id };
}

/** What a rollback that stopped leaves: the report, and the target when it was resolved. */
export type FailedOutcome = Omit<RollbackOutcome, 'target'> & { target: ResolvedTarget | undefined };

/** A trigger's guardrail held the rollback (nothing pushed): not a failure, a decision. */
export class RollbackDeclined extends UserError {
  constructor(
    readonly verdict: 'declined' | 'report-only',
    reason: string,
  ) {
    super(reason);
    this.name = 'RollbackDeclined';
  }
}

/** A rollback that stopped: the user's error, with the report written for it. */
export class RollbackFailure extends UserError {
  /** Set when a trigger's guardrail stopped it (a decision, not an error). */
  readonly declined: RollbackDeclined | null;
  constructor(
    cause: UserError,
    readonly outcome: FailedOutcome,
  ) {
    super(cause.problem, cause.hint);
    this.name = 'RollbackFailure';
    this.declined = cause instanceof RollbackDeclined ? cause : null;
  }
}

async function deleteBranch(deps: RollbackDeps, request: RollbackRequest, target: ResolvedTarget, remote: string, report: RollbackReport): Promise<void> {
  const { git } = deps;
  const { branch, head, fork } = target.unmerged!;
  const pr = target.pullRequest;
  report.verificationNote = 'not verified: deleting a branch runs no checks';
  if (fork) {
    // The PR's branch lives in another repository: a same-named branch here is not the PR's. Close the PR only.
    if (!pr || !deps.github || !request.owner || !request.repo) throw new UserError(`pull request #${pr?.number ?? '?'} comes from a fork; closing it needs a token.`, 'Give `token` (pull-requests: write).');
    if (request.dryRun) return;
    if (pr.state === 'open') {
      await deps.github.createIssueComment(request.owner, request.repo, pr.number, `Rolled back by rollback-gate: this pull request from ${pr.headRepo ?? 'a deleted fork'} was closed. Its branch is in that repository, so nothing in ${request.owner}/${request.repo} was touched.`);
      await deps.github.updatePull(request.owner, request.repo, pr.number, { state: 'closed' });
    }
    return;
  }
  const current = await git.remoteRef(remote, `refs/heads/${branch}`);
  const archive = `${ARCHIVE_PREFIX}${target.id}`;
  if (current && current !== head) {
    throw new UserError(
      `${branch} on ${remote} is at ${current.slice(0, 12)}, not at ${head.slice(0, 12)}, the head ${pr ? `of pull request #${pr.number}` : 'read at the start'}: it is not (or no longer) that branch. Nothing was archived or deleted.`,
      'Check who moved the branch; run the rollback again if it is still to be deleted.',
    );
  }
  report.branch = branch;
  if (request.dryRun) return;
  if (current) {
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
  if (pr && deps.github && request.owner && request.repo && pr.state === 'open') {
    const restore = `${shellCommand(['git', 'fetch', 'origin', archive])} && ${shellCommand(['git', 'push', 'origin', `FETCH_HEAD:refs/heads/${branch}`])}`;
    await deps.github.createIssueComment(request.owner, request.repo, pr.number, md`Rolled back by rollback-gate: the branch ${code(branch)} was archived as ${code(archive)} and deleted. Restore it with:\n\n${commands([restore])}`);
    await deps.github.updatePull(request.owner, request.repo, pr.number, { state: 'closed' });
  }
}

/** How the pull request's body links: the server, the repository and the run, from the run's URL. */
function pullLists(request: RollbackRequest, described: readonly CommitInfo[]): CommitListOptions {
  return { ...linksFromRunUrl(request.runUrl), classify: createClassifier(request.config.agents), described };
}

/**
 * The pull request's body, rendered again once the outcome and the finish time are known (and with
 * the PR's own link); updated when it differs from the body the PR was opened with. A failed update
 * leaves the rollback as it is: the PR exists and is right, only its body is the first one.
 */
async function refreshPullBody(run: Run, openedWith: string | undefined): Promise<void> {
  const { deps, request, report } = run;
  const number = Number(/\/pull\/(\d+)$/.exec(report.prUrl ?? '')?.[1]);
  if (!openedWith || !number || !deps.github || !request.owner || !request.repo) return;
  const body = renderRollbackPullBody(report, run.target, run.skipped, pullLists(request, run.described));
  if (body === openedWith) return;
  try {
    await deps.github.updatePull(request.owner, request.repo, number, { body });
  } catch (error) {
    deps.log.warning(`the pull request ${report.prUrl} keeps the body it was opened with: updating it failed (${(error as Error).message.split('\n')[0]}).`);
  }
}

/** Pushes the rollback (directly, or as a branch with its pull request); returns the body the pull request was opened with. */
async function deliver(deps: RollbackDeps, request: RollbackRequest, target: ResolvedTarget, remote: string, branch: string, tip: string, report: RollbackReport, described: readonly CommitInfo[]): Promise<string | undefined> {
  const { git } = deps;
  const sha = report.rollbackSha!;
  if (request.direct) {
    const pushed = await git.test(['push', '--porcelain', '--atomic', `--force-with-lease=refs/heads/${branch}:${tip}`, '--end-of-options', remote, `${sha}:refs/heads/${branch}`]);
    if (pushed.exitCode !== 0) {
      const now = await git.remoteRef(remote, `refs/heads/${branch}`);
      throw new UserError(
        `pushing the rollback to ${branch} was rejected${now && now !== tip ? `: ${branch} moved from ${tip.slice(0, 12)} to ${now.slice(0, 12)} during the run` : ''}: ${(pushed.stderr || pushed.stdout).trim()}`,
        'Nothing was pushed and nothing is lost; run the rollback again on the new tip.',
      );
    }
    report.branch = branch;
    return undefined;
  }
  const rollbackBranch = `${ROLLBACK_BRANCH_PREFIX}${target.id}`;
  const pushed = await git.test(['push', '--porcelain', '--atomic', `--force-with-lease=refs/heads/${rollbackBranch}:`, '--end-of-options', remote, `${sha}:refs/heads/${rollbackBranch}`]);
  if (pushed.exitCode !== 0) {
    throw new UserError(
      `pushing ${rollbackBranch} was rejected (it exists already, from an earlier rollback of ${target.id}?): ${(pushed.stderr || pushed.stdout).trim()}`,
      `Review or merge that rollback, or delete the branch (${shellCommand(['git', 'push', remote, `:refs/heads/${rollbackBranch}`])}) and run again.`,
    );
  }
  report.branch = rollbackBranch;
  if (!deps.github || !request.owner || !request.repo) {
    deps.log.info(`pushed ${rollbackBranch}; no token, so no pull request was opened.`);
    return undefined;
  }
  // Opened with the outcome it has if nothing fails after this; rendered again once the run is closed.
  const body = renderRollbackPullBody({ ...report, outcome: 'succeeded', finishedAt: deps.clock().toISOString() }, target, [], pullLists(request, described));
  try {
    const pr = await deps.github.createPull(request.owner, request.repo, {
      title: `Roll back ${target.id}`,
      head: rollbackBranch,
      base: branch,
      body,
    });
    report.prUrl = pr.html_url;
    return body;
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
