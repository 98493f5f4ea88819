import {
  MERGE_METHODS,
  VERIFY_MODES,
  UserError,
  VerdictFailure,
  loadConfigForEvent,
  markdown,
  renderVerifyComment,
  renderVerifySummary,
  storeLandedPlans,
  verifyAnnotations,
  verifyOutputs,
  verifyRollback,
  type Config,
  type EventContext,
  type Git,
  type LandedPlanOutcome,
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
    if (io.flag('store-plan', false)) {
      const stored = await storePlans(git, context, config, runChecks);
      io.output('stored-plans', stored.outcomes);
      summary.push(stored.text);
      return;
    }
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
    const links = markdown.contextLinks(context);
    summary.push(renderVerifySummary(result, { links }));
    if (mode === 'pr' && comment) {
      summary.push(await postStickyComment(token, context, 'verify-rollback', renderVerifyComment(result, { runUrl: context.runUrl, links })));
    }
    if (!result.rollbackReady) {
      throw new VerdictFailure(`not rollback-ready: ${result.problems.join('; ')}.`, 'The job summary lists the units, files and lines.');
    }
  });
}

/** `store-plan`: the rollback plans of the commits a push to the default branch landed, kept as refs; no command runs. */
async function storePlans(git: Git, context: EventContext, config: Config, runChecks: boolean): Promise<{ outcomes: LandedPlanOutcome[]; text: string }> {
  if (context.eventName !== 'push' || !context.head) {
    throw new UserError(`\`store-plan: true\` keeps the plans of changes as they land, and this is a ${context.eventName} event.`, 'Run it on `push` to the default branch.');
  }
  if (runChecks) throw new UserError('`store-plan` pushes (contents: write) and runs no command of the project; `run-checks: true` would run them in that job.', 'Run the checks in another job, or set `run-checks: false` here.');
  if (context.defaultBranch && context.headBranch !== context.defaultBranch) {
    return { outcomes: [], text: `No rollback plan stored: the push is to ${context.headBranch ?? context.ref ?? 'another ref'}, not the default branch ${context.defaultBranch}.` };
  }
  const { deps, request } = verifyCall(git, context, config, { mode: 'pr', mergeMethod: 'squash', runChecks: false, labels: [] });
  const outcomes = await storeLandedPlans(deps, { before: context.base, after: context.head, verify: config.verify, repository: context.repository, runUrl: context.runUrl, planDir: request.planDir });
  return { outcomes, text: ['### Rollback plans stored', '', ...outcomes.map((o) => `- \`${o.landed.slice(0, 12)}\`: ${o.status}${o.reason ? ` (${o.reason})` : ''}${o.digest ? `, ${o.digest}` : ''} as \`${o.ref}\``)].join('\n') };
}
