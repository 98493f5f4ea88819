/**
 * The thin layer between the runner and the engine: inputs, outputs, summary, annotations and the
 * one top-level catch, over the runner protocol in runner-commands.ts (not @actions/core: see there why).
 */
import * as runner from './runner-commands.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Git,
  GitHubClient,
  UserError,
  VerdictFailure,
  markdown,
  outputValue,
  protectFromWorkflowCommands,
  resolveEventContext,
  spawnGitRunner,
  type Annotation,
  type EventContext,
  type Logger,
} from '@rollback-gate/core';

/** An action's declared interface: the names in action.yml, typed so code can read and set only those. */
export interface ActionSpec<I extends string, O extends string> {
  name: string;
  inputs: readonly I[];
  outputs: readonly O[];
}

export function defineAction<const I extends string, const O extends string>(spec: ActionSpec<I, O>): ActionSpec<I, O> {
  return spec;
}

/** Typed access to one action's inputs and outputs. */
export class ActionIO<I extends string, O extends string> {
  constructor(readonly spec: ActionSpec<I, O>) {}

  text(name: I): string {
    return runner.getInput(name);
  }

  /** true/false (YAML 1.2 core schema spellings); anything else names the input and the accepted values. */
  flag(name: I, fallback: boolean): boolean {
    const raw = runner.getInput(name);
    if (raw === '') return fallback;
    if (['true', 'True', 'TRUE'].includes(raw)) return true;
    if (['false', 'False', 'FALSE'].includes(raw)) return false;
    throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected true or false.`);
  }

  /** One of a fixed set of words. */
  choice<const C extends string>(name: I, choices: readonly C[], fallback: C): C {
    const raw = runner.getInput(name);
    if (raw === '') return fallback;
    const found = choices.find((c) => c === raw.toLowerCase());
    if (!found) {
      throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected one of: ${choices.join(', ')}.`);
    }
    return found;
  }

  output(name: O, value: unknown): void {
    runner.setOutput(name, outputValue(value));
  }
}

/** A Logger for the engine that prints untrusted text so the runner honours no command in it. */
export const actionLogger: Logger = {
  info: (message) => runner.info(protectFromWorkflowCommands(message)),
  warning: (message) => runner.warning(message),
  debug: (message) => runner.debug(message),
};

export function annotate(annotations: readonly Annotation[]): void {
  for (const a of annotations) {
    const properties = { title: a.title, file: a.file, startLine: a.startLine, endLine: a.endLine };
    if (a.level === 'error') runner.error(a.message, properties);
    else if (a.level === 'warning') runner.warning(a.message, properties);
    else runner.notice(a.message, properties);
  }
}

/** The repository the action works on: `working-directory` under GITHUB_WORKSPACE. */
export function workspaceGit(workingDirectory: string): Git {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const cwd = resolve(workspace, workingDirectory || '.');
  return new Git(cwd, spawnGitRunner(), actionLogger);
}

export function eventContext(): EventContext {
  return resolveEventContext(process.env, (path) => readFileSync(path, 'utf8'));
}

/** A GitHub API client for the token, or undefined when there is none (API features are then skipped). */
export function githubClient(token: string): GitHubClient | undefined {
  if (!token) return undefined;
  return new GitHubClient({ baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com', token });
}

/**
 * Creates or updates the one sticky comment `marker` on the run's pull request. Never fails the
 * step: without a token, a PR or the permission, it says why in the returned line (for the summary).
 */
export async function postStickyComment(token: string, context: EventContext, marker: string, body: string): Promise<string> {
  const client = githubClient(token);
  if (!client) return 'No PR comment: no `token`.';
  if (context.prNumber === undefined || !context.owner || !context.repo) return 'No PR comment: this run is not for a pull request.';
  try {
    const { created } = await client.upsertStickyComment(context.owner, context.repo, context.prNumber, marker, body);
    return created ? `Commented on #${context.prNumber}.` : `Updated the comment on #${context.prNumber}.`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    runner.warning(`could not comment on the pull request: ${message}`);
    return `No PR comment: ${message.split('\n')[0]} Grant \`permissions: pull-requests: write\` to comment.`;
  }
}

export function runnerTemp(): string {
  return process.env.RUNNER_TEMP ?? resolve(process.cwd(), '.rollback-gate-tmp');
}

/**
 * Runs an action's main function with the one top-level catch: user mistakes fail the step with
 * their message and next step; anything else is reported as an internal error with its stack.
 * The summary is written whatever happens.
 */
export async function runAction(main: (summary: string[]) => Promise<void>): Promise<void> {
  const summary: string[] = [];
  try {
    await main(summary);
  } catch (error) {
    if (error instanceof UserError) {
      runner.setFailed(error.message);
      // A verdict is the summary's own headline already: no "Failed" section saying it again.
      if (!(error instanceof VerdictFailure)) summary.push(`### Failed\n\n${error.message.split('\n').map((l) => `> ${markdown.prose(l)}`).join('\n')}`);
    } else {
      const err = error as Error;
      runner.setFailed(`internal error: ${err.message}. Please report it with the log of this step.`);
      runner.info(protectFromWorkflowCommands(err.stack ?? String(err)));
      summary.push(`### Failed\n\ninternal error: ${markdown.prose(String(err.message))}`);
    }
  } finally {
    if (summary.length > 0 && process.env.GITHUB_STEP_SUMMARY) {
      runner.appendSummary(summary.join('\n\n'));
    }
  }
}
