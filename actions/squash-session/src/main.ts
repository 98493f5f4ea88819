import { UserError, loadConfigForEvent, renderSquashSummary, squashSession, systemClock } from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, postStickyComment, runAction, workspaceGit } from '../../shared/src/runtime.js';
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
      },
    );
    io.output('status', result.status);
    io.output('sha', result.sha);
    io.output('backup-ref', result.backupRef ?? '');
    io.output('commits-squashed', result.commitsSquashed);
    io.output('tree-matches', result.treeMatches);
    const report = renderSquashSummary(result);
    summary.push(report);
    if (result.status === 'squashed' && result.pushed) {
      summary.push(await postStickyComment(io.text('token'), context, 'squash-session', report));
    }
  });
}
