import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RollbackFailure, UserError, loadConfigForEvent, renderRollbackSummary, rollback, systemClock, type RollbackReport } from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, githubClient, runAction, runnerTemp, workspaceGit } from '../../shared/src/runtime.js';
import { rollbackSpec } from './spec.js';

const STRATEGIES = ['auto', 'delete-branch', 'revert-squash', 'revert-range', 'revert-merge', 'bisect'] as const;

function wholeNumber(raw: string, name: string, fallback: number): number {
  if (raw === '') return fallback;
  if (!/^\d{1,2}$/.test(raw)) throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected a whole number from 0 to 99.`);
  return Number(raw);
}

function isoTime(raw: string, name: string): string | undefined {
  if (!raw) return undefined;
  const time = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(time)) {
    throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected an ISO 8601 time such as 2026-03-01T12:00:00Z.`);
  }
  return new Date(time).toISOString();
}

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(rollbackSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const target = io.text('target');
    const plan = io.text('plan');
    if (!target && !plan) {
      throw new UserError('give `target` (a session id, checkpoint tag, PR number, commit or range) or a sealed `plan` file.');
    }
    const tempDir = join(runnerTemp(), 'rollback-gate');
    const capSeconds = Number(process.env.ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS ?? '');
    let report: RollbackReport | undefined;
    try {
      const outcome = await rollback(
        { git, log: actionLogger, clock: systemClock, github: githubClient(io.text('token')), env: process.env },
        {
          target,
          strategy: io.choice('strategy', STRATEGIES, 'auto'),
          bisectCommand: io.text('bisect-command'),
          retries: wholeNumber(io.text('retries'), 'retries', 0),
          planPath: plan ? (existsSync(plan) ? plan : join(git.cwd, plan)) : '',
          replan: io.flag('replan', false),
          branch: io.text('branch'),
          batch: io.flag('batch', true),
          direct: io.flag('direct', false),
          dryRun: io.flag('dry-run', false),
          detectedAt: isoTime(io.text('detected-at'), 'detected-at'),
          owner: context.owner,
          repo: context.repo,
          runUrl: context.runUrl,
          config,
          tempDir,
          maxCommandTimeoutMs: Number.isFinite(capSeconds) && capSeconds > 0 ? capSeconds * 1000 : undefined,
        },
      );
      report = outcome.report;
      io.output('report-path', outcome.reportPath);
      summary.push(renderRollbackSummary(outcome.report, outcome.target, outcome.skipped));
    } catch (error) {
      // The report is written whatever happened: point at it and show it.
      if (error instanceof RollbackFailure) {
        report = error.outcome.report;
        io.output('report-path', error.outcome.reportPath);
        summary.push(renderRollbackSummary(report, error.outcome.target, error.outcome.skipped));
      }
      throw error;
    } finally {
      if (report) {
        io.output('strategy', report.strategy);
        io.output('commits', report.commits);
        io.output('culprit', report.culprit ?? '');
        io.output('rollback-sha', report.rollbackSha ?? '');
        io.output('branch', report.branch ?? '');
        io.output('pr-url', report.prUrl ?? '');
        io.output('verified', report.verified);
      }
    }
  });
}
