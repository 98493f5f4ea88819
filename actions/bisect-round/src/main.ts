import { join } from 'node:path';
import {
  bisectRange,
  bisectRoundBound,
  loadConfigForEvent,
  markdown,
  parallelForRounds,
  planBisectRound,
  probeCommit,
  readVerdictFiles,
  renderBisectPlanSummary,
  renderBisectProbeSummary,
  ScratchStore,
  ThrowawayWorktree,
  UserError,
  checkTimeoutCapMs,
  writeVerdictFile,
} from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, runAction, runnerTemp, workspaceGit } from '../../shared/src/runtime.js';
import { bisectRoundSpec } from './spec.js';

function wholeNumber(raw: string, name: string, fallback: number, min: number, max: number): number {
  if (raw === '') return fallback;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected a whole number from ${min} to ${max}.`);
  }
  return Number(raw);
}

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(bisectRoundSpec);
    const mode = io.choice('mode', ['plan', 'probe'], 'plan');
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, eventContext(), io.text('config'));
    const good = io.text('good');
    if (!good) throw new UserError('give `good`: a commit the failure is not in yet (a checkpoint tag, the last commit whose CI passed).');
    const range = await bisectRange(git, good, io.text('bad') || 'HEAD');
    io.output('good', range.good);
    io.output('bad', range.bad);
    const verdictsDir = io.text('verdicts') || join(runnerTemp(), 'rollback-gate', 'bisect-verdicts');

    if (mode === 'probe') {
      const sha = io.text('commit').toLowerCase();
      const command = io.text('bisect-command');
      if (!command.trim()) throw new UserError('`mode: probe` needs `bisect-command`, the command that fails on a bad commit.');
      const commit = sha === range.good ? { sha, tree: await git.treeOf(sha), parents: [], subject: 'the good end' } : range.commits.find((c) => c.sha === sha);
      if (!commit) {
        throw new UserError(
          `input \`commit\` is ${JSON.stringify(io.text('commit'))}, which is not the good end or one of the ${range.commits.length} commits of ${range.good.slice(0, 12)}..${range.bad.slice(0, 12)}.`,
          'Pass a commit from the matrix of `mode: plan`, with the same `good` and `bad`.',
        );
      }
      if (io.text('token')) actionLogger.info('the bisect command runs without `token` (withheld from its environment, as are the runner\'s files).');
      const maxTimeoutMs = checkTimeoutCapMs(process.env);
      const store = await ScratchStore.create(git, join(runnerTemp(), 'rollback-gate'));
      try {
        const worktree = await ThrowawayWorktree.create(store);
        try {
          const outcome = await probeCommit(worktree, commit, {
            command,
            retries: wholeNumber(io.text('retries'), 'retries', 0, 0, 99),
            timeoutMinutes: config.verify.timeoutMinutes,
            maxTimeoutMs,
            env: process.env,
            log: actionLogger,
          });
          io.output('verdict', outcome.verdict);
          io.output('verdict-path', writeVerdictFile(verdictsDir, range, outcome));
          summary.push(renderBisectProbeSummary(outcome, commit.subject));
        } finally {
          worktree.remove();
        }
      } finally {
        store.dispose();
      }
      return;
    }

    const parallel = wholeNumber(io.text('parallel'), 'parallel', 1, 1, 256);
    const round = wholeNumber(io.text('round'), 'round', 1, 1, 1000);
    const rounds = wholeNumber(io.text('rounds'), 'rounds', 0, 0, 1000);
    const n = range.commits.length;
    if (rounds > 0 && round === 1 && bisectRoundBound(n, parallel) > rounds) {
      const enough = parallelForRounds(n, rounds);
      throw new UserError(
        `${n} commits can take ${bisectRoundBound(n, parallel)} rounds with parallel ${parallel}, and the workflow holds ${rounds}.`,
        enough ? `Set \`parallel\` to ${enough} or more, or narrow the range.` : 'Narrow the range (a nearer good end).',
      );
    }
    const recorded = readVerdictFiles(verdictsDir, range);
    const plan = planBisectRound({ good: range.good, commits: range.commits.map((c) => c.sha) }, recorded, parallel);
    io.output('status', plan.status);
    io.output('matrix', { include: plan.status === 'probe' ? plan.probes.map((p) => ({ commit: p.commit, role: p.role })) : [] });
    io.output('culprit', plan.status === 'culprit' ? plan.culprit : '');
    io.output('candidates', plan.status === 'probe' ? plan.candidates : plan.status === 'culprit' ? 1 : plan.candidates.length);
    summary.push(renderBisectPlanSummary({ round, rounds, parallel, range, recorded, plan }));
    if (plan.status === 'cannot-tell') throw new UserError(plan.message, plan.candidates.length > 0 ? 'Make the command run on those commits (exit 125 skips), or look at them by hand.' : 'Check `bisect-command` and the range.');
    if (plan.status === 'probe' && rounds > 0 && round > rounds) {
      throw new UserError(
        `the workflow's ${markdown.plural(rounds, 'round')} ran out with ${markdown.plural(plan.candidates, 'candidate')} left, between ${plan.between.good.slice(0, 12)} (good) and ${plan.between.bad.slice(0, 12)} (bad).`,
        `Run the bisect again with good: ${plan.between.good} and bad: ${plan.between.bad}, or with a larger \`parallel\` (skipped commits cost rounds).`,
      );
    }
  });
}
