import { UserError, checkTimeoutCapMs, loadConfigForEvent, markdown, renderSquashComment, renderSquashSummary, squashSession, systemClock, type SquashChecks } from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, postStickyComment, runAction, runnerTemp, workspaceGit } from '../../shared/src/runtime.js';
import { squashSessionSpec } from './spec.js';

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(squashSessionSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const push = io.flag('push', true);
    const branch = io.text('branch') || context.headBranch || (await git.currentBranch());
    if (!branch) {
      throw new UserError(
        'there is no branch to squash: HEAD is detached and this run is not for a pull request.',
        'Name the session branch with the `branch` input.',
      );
    }
    const allowFailing = io.flag('allow-failing-checks', false);
    const checks: SquashChecks | undefined = io.flag('run-checks', false)
      ? {
          commands: config.verify.commands,
          timeoutMinutes: config.verify.timeoutMinutes,
          maxTimeoutMs: checkTimeoutCapMs(process.env),
          allowFailing,
          // pull_request_target runs with the base's secrets: the session's code must not run there.
          mayRunChangeCode: context.eventName !== 'pull_request_target',
          tempDir: `${runnerTemp()}/rollback-gate`,
          env: process.env,
        }
      : undefined;
    const result = await squashSession(
      { git, log: actionLogger, clock: systemClock },
      {
        sessionId: io.text('session-id') || context.sessionId,
        base: io.text('base'),
        branch,
        title: io.text('title'),
        keepHumanCommits: io.flag('keep-human-commits', false),
        allowMerges: io.flag('allow-merges', false),
        requireSigned: io.flag('require-signed', false),
        push,
        defaultBranch: context.defaultBranch ?? (push ? await git.remoteDefaultBranch('origin') : undefined),
        checkpointPrefix: config.checkpoint.prefix,
        agents: config.agents,
        checks,
      },
    );
    io.output('status', result.status);
    io.output('sha', result.sha);
    io.output('backup-ref', result.backupRef ?? '');
    io.output('commits-squashed', result.commitsSquashed);
    io.output('tree-matches', result.treeMatches);
    io.output('checks', result.checks === undefined ? 'not-run' : result.checks.every((c) => c.passed) ? 'passed' : 'failed');
    const links = markdown.contextLinks(context);
    summary.push(renderSquashSummary(result, { links }));
    if (result.status === 'checks-failed') {
      const failed = (result.checks ?? []).filter((c) => !c.passed).map((c) => c.name);
      throw new UserError(
        `the checks failed on the session head ${result.originalHead} (${failed.join(', ')}); nothing was rewritten.`,
        'The job summary has their output. Fix them and run again, or set `allow-failing-checks: true` to squash anyway.',
      );
    }
    if (result.status === 'squashed' && result.pushed) {
      summary.push(await postStickyComment(io.text('token'), context, 'squash-session', renderSquashComment(result, { links })));
    }
  });
}
