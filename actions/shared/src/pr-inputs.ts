/** Inputs the PR checks (scope-guard, verify-rollback and the gate) resolve the same way. */
import * as core from '@actions/core';
import { UserError, type Config, type EventContext, type Git } from '@rollback-gate/core';
import { githubClient } from './runtime.js';

/** The base a scope check compares with: the input, the event's base, or the session's checkpoint. */
export async function scopeBase(git: Git, context: EventContext, config: Config, input: string): Promise<string> {
  if (input) return input;
  if (context.base) return context.base;
  const checkpoint = `refs/tags/${config.checkpoint.prefix}${context.sessionId}`;
  if (await git.resolveCommit(checkpoint)) return checkpoint;
  throw new UserError(
    `no base to compare with: the ${context.eventName} event names none and there is no checkpoint for session ${context.sessionId}.`,
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
    core.warning(`could not read the pull request's labels, using the event's: ${(error as Error).message.split('\n')[0]}`);
    return context.labels;
  }
}

/** Caps every verify command's timeout, in seconds (ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: a quick drill, or a job's budget). */
export function checkTimeoutCap(): number | undefined {
  const raw = process.env.ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UserError(`ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS is ${JSON.stringify(raw)}; expected a number of seconds > 0.`);
  }
  return seconds * 1000;
}
