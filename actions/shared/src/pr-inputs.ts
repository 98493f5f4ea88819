/** Inputs the PR checks (scope-guard, verify-rollback and the gate) resolve the same way. */
import * as runner from './runner-commands.js';
import { UserError, checkTimeoutCapMs, systemClock, type Config, type EventContext, type Git, type VerifyDeps, type VerifyRequest, describeCheckpoint, findCheckpoint } from '@rollback-gate/core';
import { actionLogger, githubClient, runnerTemp } from './runtime.js';

/** The base a scope check compares with: the input, the event's base, or the session's checkpoint. */
export async function scopeBase(git: Git, context: EventContext, config: Config, input: string): Promise<string> {
  if (input) return input;
  if (context.base) return context.base;
  // Ours (sealed, re-checked) or hand-made (unsealed): `<prefix><id>`, then `<prefix>before-session-<id>`.
  const checkpoint = await findCheckpoint(git, context.sessionId, { prefix: config.checkpoint.prefix, remote: 'origin' });
  if (checkpoint) {
    if (!checkpoint.sealed) runner.info(`comparing with ${describeCheckpoint(checkpoint)}.`);
    return `refs/tags/${checkpoint.tag}`;
  }
  throw new UserError(
    `no base to compare with: the ${context.eventName} event names none and there is no checkpoint for session ${context.sessionId} (${config.checkpoint.prefix}${context.sessionId} or ${config.checkpoint.prefix}before-session-${context.sessionId}).`,
    'Give `base` (a branch, tag or sha), or run the checkpoint action first.',
  );
}

/** The pull request's labels now (a re-run reuses the event's payload, whose labels may be stale; merge_group has none). */
export async function currentLabels(token: string, context: EventContext): Promise<string[]> {
  const client = githubClient(token);
  if (!client || context.prNumber === undefined || !context.owner || !context.repo) return context.labels;
  try {
    return (await client.listPullLabels(context.owner, context.repo, context.prNumber)).map((label) => label.name);
  } catch (error) {
    runner.warning(`could not read the pull request's labels, using the event's: ${(error as Error).message.split('\n')[0]}`);
    return context.labels;
  }
}

/** verify-rollback's engine dependencies and request, the same for the action and the gate. */
export function verifyCall(
  git: Git,
  context: EventContext,
  config: Config,
  inputs: Pick<VerifyRequest, 'mode' | 'base' | 'head' | 'mergeMethod' | 'runChecks' | 'labels'>,
): { deps: VerifyDeps; request: VerifyRequest } {
  const dir = `${runnerTemp()}/rollback-gate`;
  return {
    deps: { git, log: actionLogger, clock: systemClock, tempDir: dir, env: process.env },
    request: {
      ...inputs,
      verify: config.verify,
      eventBase: context.base,
      eventHead: context.head,
      id: inputs.mode === 'pr' ? context.sessionId : `run-${process.env.GITHUB_RUN_ID ?? 'local'}`,
      prNumber: context.prNumber,
      repository: context.repository,
      runUrl: context.runUrl,
      planDir: dir,
      maxCheckTimeoutMs: checkTimeoutCapMs(process.env),
      // pull_request_target runs with the base's secrets: the change's code must not run there.
      mayRunChangeCode: context.eventName !== 'pull_request_target',
    },
  };
}
