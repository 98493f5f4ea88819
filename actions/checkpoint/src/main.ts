import { PRUNE_MODES, createCheckpoint, loadConfigForEvent, markdown, pruneCheckpoints, renderCheckpointSummary, systemClock } from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, runAction, runnerTemp, workspaceGit } from '../../shared/src/runtime.js';
import { attestManifest } from './attest.js';
import { checkpointSpec } from './spec.js';

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(checkpointSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const push = io.flag('push', true);
    const prune = io.choice('prune', PRUNE_MODES, 'false');
    const attest = io.flag('attest', false);
    const deps = { git, log: actionLogger, clock: systemClock };

    const result = await createCheckpoint(deps, {
      sessionId: io.text('session-id') || context.sessionId,
      ref: io.text('ref'),
      pullBase: context.prNumber !== undefined ? context.base : undefined,
      pullHead: context.prNumber !== undefined ? context.head : undefined,
      artifacts: io.text('artifacts'),
      push,
      prefix: config.checkpoint.prefix,
      repository: context.repository,
      branch: context.headBranch ?? (await git.currentBranch()),
      actor: context.actor,
      runUrl: context.runUrl,
      workspace: git.cwd,
      manifestDir: `${runnerTemp()}/rollback-gate`,
    });
    io.output('tag', result.tag);
    io.output('sha', result.sha);
    io.output('tree', result.tree);
    io.output('manifest-path', result.manifestPath);
    io.output('digest', result.digest);
    io.output('created', result.created);

    const pruned =
      prune === 'false'
        ? undefined
        : await pruneCheckpoints(
            deps,
            { prefix: config.checkpoint.prefix, keep: config.checkpoint.keep, maxAgeDays: config.checkpoint.maxAgeDays },
            { push, dryRun: prune === 'dry-run', protect: [result.tag] },
          );
    io.output('pruned', (pruned?.deleted ?? []).map((d) => d.tag));
    summary.push(renderCheckpointSummary(result, pruned, markdown.contextLinks(context)));

    if (attest) {
      const attestation = await attestManifest({ token: io.text('token'), context, result });
      summary.push(`### Attestation\n\n${attestation}`);
    }
  });
}
