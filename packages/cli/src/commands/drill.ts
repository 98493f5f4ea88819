import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { UserError, describeSimulation, systemClock, verifyOutputs, verifyRollback } from '@rollback-gate/core';
import { flag, stringOption } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { openRepo, runDirectory } from '../context.js';
import { Progress } from '../progress.js';
import { safe, count } from '../terminal.js';

export const drillCommand: Command = {
  name: 'drill',
  summary: 'Rehearse the rollback of every recent change (the window) on the current tip, as a table.',
  usage: 'drill [--base REF] [--run-checks]',
  description:
    'verify-rollback in drill mode: for each unit of the rollback window (the last verify.window commits or days of ' +
    'first-parent history), simulates its rollback on the tip in memory: alone, with later units, or not at all; whether ' +
    'the revert is the exact inverse; with --run-checks, the config\'s verify.commands on each rolled-back tree. ' +
    'Exit 1 when a unit can no longer be rolled back.',
  options: [
    { name: 'base', type: 'string', value: 'REF', description: 'The tip to drill. Default: HEAD.' },
    { name: 'run-checks', type: 'boolean', description: 'Run verify.commands on each rolled-back tree (in throwaway worktrees).' },
  ],
  positionals: [],
  examples: ['rollback-gate drill', 'rollback-gate drill --base origin/main --run-checks --json'],
  async run(ctx) {
    const { term, args } = ctx;
    const repo = await openRepo(ctx);
    if (!stringOption(args, 'base') && (await repo.git.isEmptyRepository())) {
      throw new UserError('the repository has no commits yet; there is nothing to drill.', 'Make a first commit; the drill rehearses the rollback of the recent ones.');
    }
    const run = runDirectory(ctx, repo);
    const progress = new Progress(term, new Map(), term.tty);
    const planDir = join(repo.gitDir, 'rollback-gate', 'plans');
    mkdirSync(planDir, { recursive: true });
    progress.start(`drilling the rollback window (${repo.config.verify.window.commits} commits / ${repo.config.verify.window.days} days)…`);
    let result;
    try {
      result = await verifyRollback(
        { git: repo.git, log: progress.logger(), clock: systemClock, tempDir: run.dir, env: ctx.env },
        {
          mode: 'drill',
          verify: repo.config.verify,
          base: stringOption(args, 'base'),
          mergeMethod: 'squash',
          runChecks: flag(args, 'run-checks'),
          labels: [],
          id: 'local',
          planDir,
        },
      );
    } finally {
      progress.stop();
      run.dispose();
    }
    const outputs = verifyOutputs(result);
    if (term.json) {
      term.document({
        command: 'drill',
        tip: result.tip,
        ...outputs,
        problems: result.problems,
        warnings: result.warnings,
        simulation: { engine: result.engine, merges: result.merges, 'exact-reverts': result.exactReverts },
      });
      return result.rollbackReady ? EXIT.ok : EXIT.finding;
    }
    const broken = outputs.units.filter((u) => u.revertible === 'no').length;
    term.essential(
      !result.rollbackReady
        ? `${term.paint('red', '✗')} drill on ${result.tip.slice(0, 12)}: ${result.problems.map(safe).join('; ')}`
        : outputs.units.length === 0
          ? `${term.paint('yellow', '–')} drill on ${result.tip.slice(0, 12)}: nothing was checked, the window holds no unit`
          : `${term.paint('green', '✓')} drill on ${result.tip.slice(0, 12)}: ${outputs.units.length === 1 ? 'the one unit' : `all ${outputs.units.length} units`} can be rolled back`,
    );
    term.table(
      ['commit', 'unit', 'rollback', 'with', 'inverse', 'checks', 'age (days)'],
      outputs.units.map((u) => [
        u.commit.slice(0, 12),
        safe(u.unit),
        u['rolled-back-by']
          ? 'already reverted'
          : u.revertible === 'alone'
            ? term.paint('green', 'alone')
            : u.revertible === 'with-later'
              ? term.paint('yellow', 'with later')
              : term.paint('red', 'no'),
        u['rolled-back-by'] ? `by ${u['rolled-back-by'].slice(0, 12)}` : safe((u.with ?? []).map((sha) => sha.slice(0, 12)).join(', ')),
        u.inverse === undefined ? '' : u.inverse ? 'exact' : 'not exact',
        u.checks.length === 0 ? '' : u.checks.every((c) => c.passed) ? 'pass' : term.paint('red', 'FAIL'),
        String(u['age-days']),
      ]),
    );
    for (const w of result.warnings.slice(0, 10)) term.warning(safe(w));
    if (broken > 0) term.line(`\n${count(broken, 'unit')} cannot be rolled back on this tip any more; see the conflicts with --json.`);
    term.line(`${describeSimulation(result)}; the checkout was not touched.`);
    term.line(`Plan: ${outputs['plan-path']}`);
    return result.rollbackReady ? EXIT.ok : EXIT.finding;
  },
};
