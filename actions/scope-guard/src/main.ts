import * as core from '@actions/core';
import { UserError, checkScope, loadConfigForEvent, renderScopeSummary, scopeAnnotations } from '@rollback-gate/core';
import { ActionIO, actionLogger, annotate, eventContext, githubClient, postStickyComment, runAction, workspaceGit } from '../../shared/src/runtime.js';
import { scopeGuardSpec } from './spec.js';

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(scopeGuardSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const token = io.text('token');

    const head = io.text('head') || context.head || 'HEAD';
    let base = io.text('base') || context.base;
    if (!base) {
      const checkpoint = `refs/tags/${config.checkpoint.prefix}${context.sessionId}`;
      if (await git.resolveCommit(checkpoint)) base = checkpoint;
    }
    if (!base) {
      throw new UserError(
        `no base to compare with: the ${context.eventName} event names none and there is no checkpoint for session ${context.sessionId}.`,
        'Give `base` (a branch, tag or sha), or run the checkpoint action first.',
      );
    }

    let labels = context.labels;
    const client = githubClient(token);
    if (labels.length === 0 && context.prNumber !== undefined && client && context.owner && context.repo && context.eventName === 'merge_group') {
      labels = (await client.listPullLabels(context.owner, context.repo, context.prNumber)).map((l) => l.name);
    }
    const mode = io.choice('mode', ['fail', 'warn'], config.scope.mode);
    const result = await checkScope(git, actionLogger, { base, head, mode, labels, config });

    io.output('files-changed', result.counted.length);
    io.output('layers', result.layers);
    io.output('violations', result.violations);
    io.output('blast-radius', result.blastRadius);
    io.output('passed', result.passed);
    annotate(scopeAnnotations(result));
    const report = renderScopeSummary(result, config);
    summary.push(report);
    if (io.flag('comment', true)) summary.push(await postStickyComment(token, context, 'scope-guard', report));
    if (!result.passed && mode === 'fail') core.setFailed(`scope-guard: ${result.violations.length} violation(s); see the job summary.`);
  });
}
