import {
  MERGE_METHODS,
  VERIFY_MODES,
  UserError,
  loadConfigForEvent,
  renderVerifyComment,
  renderVerifySummary,
  verifyAnnotations,
  verifyOutputs,
  verifyRollback,
} from '@rollback-gate/core';
import { currentLabels, verifyCall } from '../../shared/src/pr-inputs.js';
import { ActionIO, annotate, eventContext, postStickyComment, runAction, workspaceGit } from '../../shared/src/runtime.js';
import { verifyRollbackSpec } from './spec.js';

const PR_EVENTS = ['pull_request', 'pull_request_target', 'merge_group'];

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(verifyRollbackSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const modeInput = io.choice('mode', ['auto', ...VERIFY_MODES], 'auto');
    const mode = modeInput === 'auto' ? (PR_EVENTS.includes(context.eventName) ? 'pr' : 'drill') : modeInput;
    const mergeMethod = io.choice('merge-method', MERGE_METHODS, 'squash');
    const runChecks = io.flag('run-checks', false);
    const comment = io.flag('comment', true);
    const token = io.text('token');
    const labels = mode === 'pr' ? await currentLabels(token, context) : [];

    const { deps, request } = verifyCall(git, context, config, { mode, base: io.text('base'), head: io.text('head'), mergeMethod, runChecks, labels });
    const result = await verifyRollback(deps, request);

    const outputs = verifyOutputs(result);
    io.output('rollback-ready', outputs['rollback-ready']);
    io.output('entangled', outputs.entangled);
    io.output('irreversible', outputs.irreversible);
    io.output('units', outputs.units);
    io.output('plan-path', outputs['plan-path']);
    io.output('checks', outputs.checks);
    annotate(verifyAnnotations(result));
    summary.push(renderVerifySummary(result));
    if (mode === 'pr' && comment) {
      summary.push(await postStickyComment(token, context, 'verify-rollback', renderVerifyComment(result, { runUrl: context.runUrl })));
    }
    if (!result.rollbackReady) {
      throw new UserError(`not rollback-ready: ${result.problems.join('; ')}.`, 'The job summary lists the units, files and lines.');
    }
  });
}
