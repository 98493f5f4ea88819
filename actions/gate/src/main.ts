import {
  MERGE_METHODS,
  MODES,
  VerdictFailure,
  checkScope,
  loadConfigForEvent,
  markdown,
  renderScopeComment,
  renderScopeSummary,
  renderVerifyComment,
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

    // One headline with the verdict; each check's report is a section under it.
    const links = markdown.contextLinks(context);
    const headline = passed ? '## ✅ rollback-gate: passed' : '## ❌ rollback-gate: failed';
    summary.push([headline, renderScopeSummary(scope, config, { links, level: 3 }), renderVerifySummary(verify, { level: 3, links })].join('\n\n'));
    if (io.flag('comment', true)) {
      // The two compact comments under the one headline, held under GitHub's limit; the rest is in the run's summary.
      const comment = markdown.fit(
        markdown.trusted([headline, renderScopeComment(scope, config, { links, level: 3 }), renderVerifyComment(verify, { level: 3, runUrl: context.runUrl, links })].join('\n\n')),
        markdown.md`…cut here: both whole reports are in ${markdown.runLink(links, "the run's summary")}.`,
      );
      summary.push(await postStickyComment(token, context, 'gate', comment));
    }
    if (!passed) {
      const reasons = [
        ...(scopePassed ? [] : [markdown.plural(scope.violations.length, 'scope violation')]),
        ...(verify.rollbackReady ? [] : verify.problems),
      ];
      throw new VerdictFailure(`rollback-gate: ${reasons.join('; ')}.`, 'The job summary has both reports.');
    }
  });
}
