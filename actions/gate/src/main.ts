import {
  MERGE_METHODS,
  MODES,
  UserError,
  checkScope,
  loadConfigForEvent,
  renderScopeSummary,
  renderVerifySummary,
  scopeAnnotations,
  verifyAnnotations,
  verifyOutputs,
  verifyRollback,
} from '@rollback-gate/core';
import { currentLabels, scopeBase, verifyCall } from '../../shared/src/pr-inputs.js';
import { ActionIO, actionLogger, annotate, eventContext, postStickyComment, runAction, workspaceGit } from '../../shared/src/runtime.js';
import { gateSpec } from './spec.js';

/** One step, one verdict: the change stays in scope and keeps the rollback window open. */
export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(gateSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const token = io.text('token');
    const mode = io.choice('mode', MODES, config.scope.mode);
    const labels = await currentLabels(token, context);
    const head = io.text('head') || context.head || 'HEAD';
    const base = await scopeBase(git, context, config, io.text('base'));

    const scope = await checkScope(git, actionLogger, { base, head, mode, labels, config });
    const call = verifyCall(git, context, config, {
      mode: 'pr',
      base: io.text('base'),
      head: io.text('head'),
      mergeMethod: io.choice('merge-method', MERGE_METHODS, 'squash'),
      runChecks: io.flag('run-checks', false),
      labels,
    });
    const verify = await verifyRollback(call.deps, call.request);

    const verifyOut = verifyOutputs(verify);
    const scopePassed = scope.passed || mode === 'warn';
    const passed = scopePassed && verify.rollbackReady;
    io.output('passed', passed);
    io.output('rollback-ready', verify.rollbackReady);
    io.output('scope', { 'files-changed': scope.counted.length, layers: scope.layers, violations: scope.violations, 'blast-radius': scope.blastRadius, passed: scope.passed });
    io.output('verify', { units: verifyOut.units, entangled: verifyOut.entangled, irreversible: verifyOut.irreversible, checks: verifyOut.checks });
    io.output('plan-path', verifyOut['plan-path']);
    annotate([...scopeAnnotations(scope), ...verifyAnnotations(verify)]);

    const verdict = passed ? '## rollback-gate: ✅ passed' : '## rollback-gate: ❌ not passed';
    const report = [verdict, renderScopeSummary(scope, config), renderVerifySummary(verify)].join('\n\n');
    summary.push(report);
    if (io.flag('comment', true)) summary.push(await postStickyComment(token, context, 'gate', report));
    if (!passed) {
      const reasons = [
        ...(scopePassed ? [] : [`${scope.violations.length} scope violation(s)`]),
        ...(verify.rollbackReady ? [] : verify.problems),
      ];
      throw new UserError(`rollback-gate: ${reasons.join('; ')}.`, 'The job summary has both reports.');
    }
  });
}
