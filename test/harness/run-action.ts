/**
 * Runs a committed bundle exactly as GitHub's runner does (scripts/runner.mjs, shared with the demo
 * and the benchmarks), with a real webhook payload from @octokit/webhooks-examples.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, node24, parseCommands, parseOutputFile, prepareRun, runPrepared, type ActionRun } from '../../scripts/runner.mjs';
import { assertReadsWell, CHECKED_REPORTS } from './markdown-check.js';
import { recordMarkdown } from './markdown-record.js';
import { GIT_TEST_ENV, tempDir } from './repo.js';

const require = createRequire(import.meta.url);
export { ROOT, node24, parseCommands, parseOutputFile };

export type { ActionRun, Annotation } from '../../scripts/runner.mjs';

export interface RunOptions {
  workspace: string;
  inputs?: Record<string, string>;
  event?: { name: string; payload: unknown };
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Kill the process when a stdout line matches (for crash-recovery tests). */
  killWhen?: RegExp;
}

/** A real example payload from @octokit/webhooks-examples, deep-merged with overrides. */
export function webhookPayload(event: string, action: string | undefined, overrides: Record<string, unknown> = {}): unknown {
  const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
  const entry = examples.find((e) => e.name === event);
  if (!entry) throw new Error(`no webhook example for ${event}`);
  const example = entry.examples.find((e) => action === undefined || e.action === action) ?? entry.examples[0] ?? {};
  return deepMerge(structuredClone(example), overrides);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)) {
      deepMerge(current as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** The outputs an action's action.yml declares (the root action.yml for the gate). */
export function declaredOutputs(name: string): string[] {
  const file = name === 'gate' ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml');
  const yml = load(readFileSync(file, 'utf8')) as { outputs?: Record<string, unknown> };
  return Object.keys(yml.outputs ?? {});
}

/**
 * Runs dist/<name> through the shared runner emulation (scripts/runner.mjs) with the tests' git
 * identity and a real workflow_dispatch payload by default, and fails when the bundle sets an
 * output its action.yml does not declare.
 */
export async function runAction(name: string, options: RunOptions): Promise<ActionRun> {
  const prepared = prepareRun(name, {
    workspace: options.workspace,
    inputs: options.inputs,
    event: options.event ?? { name: 'workflow_dispatch', payload: webhookPayload('workflow_dispatch', undefined) },
    env: { ...GIT_TEST_ENV, ...options.env },
    filesDir: tempDir('rg-runner-'),
  });
  const run = await runPrepared(prepared, { timeoutMs: options.timeoutMs, killWhen: options.killWhen });
  const declared = declaredOutputs(name);
  const undeclared = Object.keys(run.outputs).filter((o) => !declared.includes(o));
  if (undeclared.length > 0) throw new Error(`dist/${name} set outputs its action.yml does not declare: ${undeclared.join(', ')}`);
  recordMarkdown('summary', name, run.summary);
  if (CHECKED_REPORTS.has(name)) await assertReadsWell(run.summary, `the job summary of dist/${name}`, { kind: 'summary' });
  return run;
}
