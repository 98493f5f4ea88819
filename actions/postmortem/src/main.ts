import {
  POSTMORTEM_COMMIT_MODES,
  RECOVERY_TYPES,
  loadConfigForEvent,
  recordPostmortem,
  renderPostmortemSummary,
  systemClock,
} from '@rollback-gate/core';
import { ActionIO, actionLogger, annotate, eventContext, githubClient, runAction, workspaceGit } from '../../shared/src/runtime.js';
import { postmortemSpec } from './spec.js';

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(postmortemSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const result = await recordPostmortem(
      { git, log: actionLogger, clock: systemClock, github: githubClient(io.text('token')) },
      {
        report: io.text('report'),
        type: io.choice('type', RECOVERY_TYPES, 'other'),
        detection: io.text('detection'),
        rootCause: io.text('root-cause'),
        prevention: io.text('prevention'),
        detectedAt: io.text('detected-at'),
        recoveredAt: io.text('recovered-at'),
        strategy: io.text('strategy'),
        scope: io.text('scope'),
        log: io.text('log'),
        commit: io.choice('commit', POSTMORTEM_COMMIT_MODES, 'none'),
        issue: io.flag('issue', false),
        logs: config.postmortem,
        owner: context.owner,
        repo: context.repo,
        branch: context.headBranch,
        defaultBranch: context.defaultBranch,
        fallbackId: context.sessionId,
        runUrl: context.runUrl,
      },
    );
    io.output('record-path', result.logPath);
    io.output('time-to-recovery-minutes', result.record.ttrMinutes ?? '');
    io.output('mttr-minutes', result.stats.mttrMinutes ?? '');
    io.output('slo-met', result.slo.eventMet ?? false);
    io.output('records', result.records);
    annotate(result.annotations);
    summary.push(renderPostmortemSummary(result));
  });
}
