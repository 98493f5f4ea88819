import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROLLBACK_STRATEGIES,
  RollbackFailure,
  UserError,
  rollback,
  spawnGitRunner,
  systemClock,
  type GitRunner,
  type RollbackOutcome,
  type RollbackReport,
  type RollbackRequest,
} from '@rollback-gate/core';
import { UsageError, flag, stringOption, wholeNumber, type ParsedArgs } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { REMOTE, openRepo, requireRemoteForPush, runDirectory, type Repo } from '../context.js';
import { Progress } from '../progress.js';
import { safe, type Terminal, count } from '../terminal.js';

/** The strategies the engine executes; `auto` lets it choose from the target. */
export const STRATEGIES = ['auto', ...ROLLBACK_STRATEGIES] as const;

/**
 * The engine reads the branch from a remote. Locally the remote is this repository itself, under
 * a name given to git through the environment only (nothing is written to .git/config): the plan is
 * made on the local branch as it is now, and works without any remote.
 */
const LOCAL_REMOTE = 'rollback-gate-local';

function localRemoteRunner(root: string): GitRunner {
  const spawn = spawnGitRunner();
  return (args, options) =>
    spawn(args, { ...options, env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `remote.${LOCAL_REMOTE}.url`, GIT_CONFIG_VALUE_0: root, ...options.env } });
}

/**
 * The engine request from the command line. New strategies and options of the engine plug in
 * here: one option in `rollbackCommand.options`, one field below.
 */
function rollbackRequest(args: ParsedArgs, repo: Repo, target: string, branch: string, tempDir: string): RollbackRequest {
  const strategy = (stringOption(args, 'strategy') ?? 'auto') as RollbackRequest['strategy'];
  const bisectCommand = stringOption(args, 'bisect-command') ?? '';
  if (strategy === 'bisect' && !bisectCommand.trim()) throw new UsageError('--strategy bisect needs --bisect-command CMD, the command that fails on a bad commit.', undefined, 'rollback');
  return {
    target,
    strategy,
    bisectCommand,
    retries: wholeNumber(args, 'retries', 0, 99, 'rollback'),
    planPath: '',
    replan: false,
    direct: false,
    // Locally the engine plans and verifies only; --apply makes the branch here, --push pushes it.
    dryRun: true,
    batch: !flag(args, 'one-commit-each'),
    includeDependent: flag(args, 'include-dependent'),
    branch,
    remote: LOCAL_REMOTE,
    config: repo.config,
    tempDir,
  };
}

async function cleanupLocalRemote(repo: Repo): Promise<void> {
  const refs = (await repo.git.run(['for-each-ref', '--format=%(refname)', `refs/remotes/${LOCAL_REMOTE}/`])).stdout.split('\n').filter(Boolean);
  for (const ref of refs) await repo.git.run(['update-ref', '-d', ref]);
}

/** The engine speaks the action's inputs; here they are flags (`include-dependent: true` is `--include-dependent`). */
export function inCliWords(text: string): string {
  return text
    .replace(/`include-dependent: true`/g, '`--include-dependent`')
    .replace(/`strategy: ([a-z-]+)`/g, '`--strategy $1`')
    .replace(/`bisect-command`/g, '`--bisect-command`')
    .replace(/`retries`/g, '`--retries`')
    .replace(/`branch`/g, '`--branch`')
    .replace(/(?:input )?`target`/g, 'TARGET');
}

function render(term: Terminal, report: RollbackReport, outcome: Pick<RollbackOutcome, 'skipped'>, subjects: Map<string, string>): void {
  term.fields([
    ['target', `${safe(report.target.input)}: ${safe(report.target.resolved)}`],
    ['strategy', report.strategy ?? 'not resolved: failed before resolving the target'],
    ...(report.culprit ? ([['culprit', report.culprit]] as Array<[string, string]>) : []),
    ...(report.bisect ? ([['bisect', `${count(report.bisect.runs, 'run')}, ${report.bisect.skipped} skipped`]] as Array<[string, string]>) : []),
    ['verified', report.verified ? 'yes' : report.checks.length === 0 ? 'no checks configured' : 'NO'],
  ]);
  if (report.commits.length > 0) {
    term.line();
    term.heading(`Reverted, newest first (${report.commits.length})`);
    term.table(['commit', 'subject'], report.commits.map((c) => [c.slice(0, 12), safe(subjects.get(c) ?? '')]));
  }
  const subject = (sha: string): string => safe(subjects.get(sha) ?? '');
  if (report.cascade.length > 0) {
    term.line();
    term.heading('Cascade pulled in with the culprit');
    term.table(['commit', 'subject', 'why'], report.cascade.map((c) => [c.commit.slice(0, 12), subject(c.commit), safe(c.reason)]));
  }
  const widening = report.cascadeWidening;
  if (widening && widening.steps.length > 1) {
    term.line();
    term.heading(`Cascade widened until the checks passed: ${widening.passedAt ? `passed at ${widening.passedAt}` : 'no cascade passed, nothing was made'}`);
    term.table(
      ['step', 'added', 'checks', 'note'],
      widening.steps.map((w) => [w.step, w.added.length === 0 ? '-' : w.added.map((a) => a.commit.slice(0, 12)).join(', '), w.verification, safe(w.note ?? '')]),
    );
  }
  if (report.independent && report.independent.length > 0) {
    term.line();
    term.heading(`Later commits checked and kept: they do not build on the culprit (${report.independent.length})`);
    term.table(['commit', 'subject', 'why'], report.independent.map((c) => [c.commit.slice(0, 12), subject(c.commit), safe(c.reason)]));
  }
  const agentWork = report.agentWork;
  if (agentWork) {
    if (agentWork.note) term.line(`\n${safe(agentWork.note)}`);
    const revertedDependents = new Set(agentWork.dependents.filter((d) => d.reverted).map((d) => d.commit));
    const kept = agentWork.kept.filter((c) => !revertedDependents.has(c.commit));
    if (kept.length > 0) {
      term.line();
      term.heading(`Human commits kept (${kept.length})`);
      term.table(['commit', 'subject', 'why'], kept.map((c) => [c.commit.slice(0, 12), subject(c.commit), safe(c.reason)]));
    }
    if (agentWork.dependents.length > 0) {
      term.line();
      term.heading(`Kept commits that build on the agent's (${agentWork.dependents.length}): ${agentWork.includeDependent ? 'reverted with them (--include-dependent)' : 'not reverted; --include-dependent reverts them too'}`);
      term.table(
        ['commit', 'subject', 'builds on', 'reverted', 'why'],
        agentWork.dependents.map((d) => [d.commit.slice(0, 12), subject(d.commit), d.dependsOn.map((c) => c.slice(0, 12)).join(', '), d.reverted ? 'yes' : 'no', safe(d.reason)]),
      );
    }
  }
  if (outcome.skipped.length > 0) {
    term.line();
    term.heading('Skipped');
    term.table(['commit', 'why'], outcome.skipped.map((s) => [s.commit.slice(0, 12), safe(s.reason)]));
  }
  if (report.checks.length > 0) {
    term.line();
    term.heading('Checks on the rolled-back tree');
    term.table(['check', 'exit', 'seconds'], report.checks.map((c) => [safe(c.name), c.timedOut ? 'timed out' : String(c.exitCode), (c.durationMs / 1000).toFixed(1)]));
  }
  if (report.files.length > 0) term.line(`\n${count(report.files.length, 'file')} ${report.files.length === 1 ? 'changes' : 'change'}: ${report.files.slice(0, 8).map(safe).join(', ')}${report.files.length > 8 ? ', …' : ''}`);
}

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Plan the rollback of a session, PR, commit or range; --apply makes it on a branch.',
  usage: 'rollback TARGET [--strategy S] [--bisect-command CMD] [--apply] [--push]',
  description:
    'The rollback action\'s engine on the current branch: resolves TARGET (a session id, a checkpoint tag, a PR number, ' +
    'a commit or a range a..b), picks the strategy (or takes --strategy), bisects when asked, computes the reverts in memory ' +
    'and runs the config\'s verify.commands on the result in a throwaway worktree. By default it only prints the plan. ' +
    '--apply writes the revert commits on a new branch rollback/<id> (your checkout is not touched; a dirty tree is refused); ' +
    '--push also pushes that branch to origin (never over an existing one).',
  options: [
    { name: 'strategy', type: 'string', value: 'S', choices: STRATEGIES, description: `${STRATEGIES.join(', ')}. Default: auto.` },
    { name: 'bisect-command', type: 'string', value: 'CMD', description: 'With --strategy bisect: the command that fails on a bad commit (exit 125 skips).' },
    { name: 'retries', type: 'string', value: 'N', description: 'Bisect flake tolerance: a commit is bad only when its failure repeats N more times.' },
    { name: 'branch', type: 'string', value: 'BRANCH', description: 'The branch to roll back on. Default: the current branch.' },
    { name: 'include-dependent', type: 'boolean', description: 'With --strategy revert-agent: also revert the kept commits that build on the agent\'s commits.' },
    { name: 'one-commit-each', type: 'boolean', description: 'One revert commit per reverted commit (default: one commit for all).' },
    { name: 'apply', type: 'boolean', description: 'Make the revert commits on a new branch rollback/<id>.' },
    { name: 'push', type: 'boolean', description: 'With --apply: push rollback/<id> to origin.' },
  ],
  positionals: [{ name: 'TARGET', required: true, description: 'A session id, checkpoint tag, PR number (123, #123, pr-123), commit, or range a..b.' }],
  examples: ['# what would rolling back the session 20260301-0930 do?', 'rollback-gate rollback 20260301-0930', 'rollback-gate rollback checkpoint/s1..HEAD --strategy bisect --bisect-command "npm test" --apply'],
  async run(ctx) {
    const { term, args } = ctx;
    const target = args.positionals[0]!;
    const push = flag(args, 'push');
    const apply = flag(args, 'apply') || push;
    const { root } = await openRepo(ctx);
    const repo = await openRepo(ctx, { runner: localRemoteRunner(root) });
    const { git } = repo;
    await requireRemoteForPush(git, push);
    if (apply) {
      await git.assertNoOperationInProgress();
      await git.assertCleanWorkingTree();
    }
    const branch = stringOption(args, 'branch') ?? (await git.currentBranch());
    if (!branch) throw new UserError('HEAD is detached; there is no branch to roll back on.', 'Switch to the branch (git switch main), or name it with --branch.');

    const run = runDirectory(ctx, repo);
    const progress = new Progress(term, new Map(), term.tty);
    const request = rollbackRequest(args, repo, target, branch, run.dir);
    let outcome: RollbackOutcome;
    if (request.strategy === 'bisect') progress.start(`bisecting ${safe(target)} with: ${safe(request.bisectCommand)}`);
    try {
      outcome = await rollback({ git, log: progress.logger(), clock: systemClock, github: undefined, env: ctx.env }, request);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      const [problem, hint] = [inCliWords(error.problem), error.hint === undefined ? undefined : inCliWords(error.hint)];
      if (error instanceof RollbackFailure && term.json) {
        term.document({ command: 'rollback', ok: false, error: { kind: 'user', message: problem, hint: hint ?? null }, report: error.outcome.report });
        throw Object.assign(new UserError(problem, hint), { reported: true });
      }
      throw new UserError(problem, hint);
    } finally {
      progress.stop();
      run.dispose();
      await cleanupLocalRemote(repo);
    }
    const { report } = outcome;
    // The engine read every commit the report lists: the target's (its agent work included) and the ones it described.
    const work = outcome.target.agentWork;
    const read = [...outcome.target.commits, ...(outcome.target.later ?? []), ...outcome.described, ...(work ? [...work.agent, ...work.kept, ...work.dependents].map((c) => c.commit) : [])];
    const subjects = new Map(read.map((c) => [c.sha, c.subject]));

    let branchMade: string | null = null;
    let pushed = false;
    if (apply && report.rollbackSha) {
      branchMade = `rollback/${outcome.target.id}`;
      if (await git.refExists(`refs/heads/${branchMade}`)) {
        throw new UserError(`the branch ${branchMade} exists already (an earlier rollback of ${outcome.target.id}?); nothing was changed.`, `Look at it (git log ${branchMade}), or delete it (git branch -D ${branchMade}) and run again.`);
      }
      await git.run(['branch', '--end-of-options', branchMade, report.rollbackSha]);
      if (push) {
        const result = await git.test(['push', '--porcelain', `--force-with-lease=refs/heads/${branchMade}:`, '--end-of-options', REMOTE, `refs/heads/${branchMade}:refs/heads/${branchMade}`]);
        if (result.exitCode !== 0) {
          throw new UserError(`pushing ${branchMade} to ${REMOTE} was rejected: ${(result.stderr || result.stdout).trim()}`, `The branch is made locally; if ${REMOTE} has ${branchMade} already, review that one, or delete it there (git push ${REMOTE} :${branchMade}).`);
        }
        pushed = true;
      }
    }
    const reports = join(repo.gitDir, 'rollback-gate', 'reports');
    mkdirSync(reports, { recursive: true });
    const reportPath = join(reports, `rollback-${outcome.target.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    if (existsSync(outcome.reportPath)) copyFileSync(outcome.reportPath, reportPath);
    const finding = report.checks.some((c) => c.exitCode !== 0 || c.timedOut);

    if (term.json) {
      term.document({ command: 'rollback', applied: branchMade !== null, branch: branchMade, pushed, reportPath, report, skipped: outcome.skipped });
      return finding ? EXIT.finding : EXIT.ok;
    }
    const head =
      report.commits.length === 0
        ? `nothing to roll back for ${safe(target)}: every commit is already reverted.`
        : `${branchMade ? `${term.paint('green', '✓')} rollback of ${outcome.target.id} made on ${branchMade}` : `rollback plan for ${outcome.target.id}`}: ${report.strategy}, ${count(report.commits.length, 'commit')} reverted${finding ? `, ${term.paint('red', 'checks FAIL on the result')}` : report.verified ? ', verified' : ''}${pushed ? `, pushed to ${REMOTE}` : ''}`;
    term.essential(head);
    render(term, report, outcome, subjects);
    term.line();
    term.line(`Report: ${reportPath}`);
    if (!apply && report.rollbackSha) term.line(`Make it: rollback-gate rollback ${safe(target)}${args.values.strategy ? ` --strategy ${safe(String(args.values.strategy))}` : ''} --apply`);
    if (branchMade && !pushed) term.line(`Try it:  git switch ${branchMade}     publish it: git push ${REMOTE} ${branchMade}`);
    return finding ? EXIT.finding : EXIT.ok;
  },
};
