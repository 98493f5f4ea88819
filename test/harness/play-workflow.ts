/**
 * Plays the copy-paste workflows of examples/workflows/ through the committed bundles: each step's
 * `with:` and `env:` taken from the file (every `${{ }}` must be given a value by the test), the
 * artifact hand-over between the plan and the apply job done as actions/upload-artifact and
 * download-artifact would, on a real repository with a bare remote.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from '@jest/globals';
import { load } from 'js-yaml';
import { tempDir, type TestRepo } from './repo.js';
import type { GitHubApiServer } from './github-api.js';
import { ROOT, runAction, type ActionRun } from './run-action.js';
import type { Obj, Workflow } from './workflows.js';

export const readExample = (file: string): Workflow => load(readFileSync(join(ROOT, 'examples', 'workflows', file), 'utf8')) as Workflow;

/** Resolves `${{ <expr> }}` from exact expression texts; an expression not in `context` is an error. */
export function resolveMap(map: Obj | undefined, context: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map ?? {}).map(([k, v]) => [
      k,
      String(v).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
        if (!Object.hasOwn(context, expr)) throw new Error(`the test gives no value for \${{ ${expr} }}`);
        return context[expr]!;
      }),
    ]),
  );
}

export interface Played {
  plan: ActionRun;
  apply?: ActionRun;
  postmortem?: ActionRun;
}

/**
 * A plan → apply workflow (auto-rollback.yml, alert-rollback.yml): the plan job, the artifact
 * hand-over, the apply job and the postmortem, as the file says. `env` reaches every step (the
 * loopback API's URL, a command timeout cap); `beforeApply` runs between the jobs (while the approval waits).
 */
export async function playPlanApply(file: string, r: TestRepo, event: { name: string; payload: unknown }, options: { env: Record<string, string>; vars?: Record<string, string>; beforeApply?: () => void }): Promise<Played> {
  const wf = readExample(file);
  const planStep = wf.jobs.plan!.steps!.find((s) => s.id === 'plan')!;
  const applySteps = wf.jobs.apply!.steps!;
  const rollbackStep = applySteps.find((s) => s.id === 'rollback')!;
  const postmortemStep = applySteps.find((s) => s.id === 'postmortem')!;
  const context = { 'vars.ROLLBACK_GATE_PAUSED': options.vars?.ROLLBACK_GATE_PAUSED ?? '' };
  const plan = await runAction('rollback', {
    workspace: r.dir,
    event,
    inputs: { ...resolveMap(planStep.with, context), token: 'ghs_read_only' },
    env: { ...options.env, ...resolveMap(planStep.env, context) },
  });
  // apply runs only when the plan job wrote a plan (`needs.plan.outputs.plan-path != ''`).
  expect(wf.jobs.apply!.if).toBe("${{ needs.plan.outputs.plan-path != '' }}");
  if (!plan.outputs['plan-path']) return { plan };
  options.beforeApply?.();
  const runnerTemp = mkdtempSync(join(tempDir('rg-runner-temp-'), 'x'));
  mkdirSync(join(runnerTemp, 'rollback-plan'));
  copyFileSync(plan.outputs['plan-path'], join(runnerTemp, 'rollback-plan', basename(plan.outputs['plan-path'])));
  const apply = await runAction('rollback', {
    workspace: r.dir,
    event,
    inputs: { ...resolveMap(rollbackStep.with, { ...context, 'runner.temp': runnerTemp }), token: 'ghs_write' },
    env: { ...options.env, ...resolveMap(rollbackStep.env, context) },
  });
  expect(postmortemStep.if).toContain("steps.rollback.outputs.commits != '[]'");
  if (apply.outputs.commits === '[]') return { plan, apply };
  const postmortem = await runAction('postmortem', {
    workspace: r.dir,
    event,
    inputs: { ...resolveMap(postmortemStep.with, { 'steps.rollback.outputs.report-path': apply.outputs['report-path']! }), token: '' },
  });
  return { plan, apply, postmortem };
}

/** store-plan.yml's job on a push: its verify-rollback step, as the file says. */
export async function playStorePlan(r: TestRepo, event: { name: string; payload: unknown }): Promise<ActionRun> {
  const wf = readExample('store-plan.yml');
  const step = wf.jobs.store!.steps!.find((s) => s.id === 'store')!;
  return runAction('verify-rollback', { workspace: r.dir, event, inputs: { ...resolveMap(step.with, {}), token: '' } });
}

/**
 * What a trigger's plan -> apply workflow asks GitHub beyond git: no repository variable readable
 * with GITHUB_TOKEN (403), no pause issue, the Environment's approval (by `oncall-lead`, with
 * `approvalComment`), a human author of the culprit, no PR for it, reviewers requested.
 */
export function stubTriggerApi(server: GitHubApiServer, approvalComment: string): void {
  server.requests.length = 0;
  server.on('GET', '/repos/{owner}/{repo}/actions/variables/{name}', { status: 403, body: { message: 'Resource not accessible by integration' } });
  server.on('GET', '/repos/{owner}/{repo}/issues', { status: 200, body: [] });
  server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals', {
    status: 200,
    body: [{ state: 'approved', comment: approvalComment, user: { login: 'oncall-lead' }, environments: [{ id: 1, name: 'rollback' }] }],
  });
  server.on('GET', '/repos/{owner}/{repo}/commits/{ref}', { status: 200, body: { author: { login: 'ada-human', type: 'User' } } });
  server.on('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', { status: 200, body: [] });
  server.on('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', { status: 201, body: {} });
}
