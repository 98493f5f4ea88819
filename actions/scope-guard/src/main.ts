import {
  MODES,
  VerdictFailure,
  checkScope,
  driftAnnotations,
  driftReport,
  loadConfigForEvent,
  markdown,
  renderDriftSummary,
  renderScopeComment,
  renderScopeSummary,
  scopeAnnotations,
} from '@rollback-gate/core';
import { currentLabels, scopeBase } from '../../shared/src/pr-inputs.js';
import { ActionIO, actionLogger, annotate, eventContext, postStickyComment, runAction, workspaceGit } from '../../shared/src/runtime.js';
import { scopeGuardSpec } from './spec.js';

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(scopeGuardSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    if (io.choice('report', ['check', 'drift'], 'check') === 'drift') {
      // Every import of the tree against the rules, by who introduced it: a report that fails nothing.
      const result = await driftReport(git, actionLogger, { config, head: io.text('head') });
      io.output('drift', {
        total: result.total,
        groups: result.groups.map((g) => ({ introducedBy: g.introducedBy, count: g.violations.length, violations: g.violations.map(({ introducedBy: _, ...v }) => v) })),
        trend: result.trend,
      });
      io.output('passed', result.total === 0);
      annotate(driftAnnotations(result));
      summary.push(renderDriftSummary(result));
      return;
    }
    const token = io.text('token');

    const head = io.text('head') || context.head || 'HEAD';
    const base = await scopeBase(git, context, config, io.text('base'));
    const labels = await currentLabels(token, context);
    const mode = io.choice('mode', MODES, config.scope.mode);
    const result = await checkScope(git, actionLogger, { base, head, mode, labels, config });

    io.output('files-changed', result.counted.length);
    io.output('layers', result.layers);
    io.output('violations', result.violations);
    io.output('blast-radius', result.blastRadius);
    io.output('passed', result.passed);
    annotate(scopeAnnotations(result));
    const links = markdown.contextLinks(context);
    summary.push(renderScopeSummary(result, config, { links }));
    if (io.flag('comment', true)) summary.push(await postStickyComment(token, context, 'scope-guard', renderScopeComment(result, config, { links })));
    // Fails like every action: through the one top-level catch (message, and the Failed summary).
    if (!result.passed && mode === 'fail') throw new VerdictFailure(`scope-guard: ${markdown.plural(result.violations.length, 'violation')}; see the job summary.`);
  });
}

