/**
 * examples/workflows/auto-rollback.yml and alert-rollback.yml, played: each step's `with:` and
 * `env:` taken from the file, the committed bundles run as the runner runs them, with real webhook
 * payloads (@octokit/webhooks-examples), on a real repository with a bare remote, against the
 * OpenAPI-checked loopback API. (actionlint, the suite's `uses:` and the permissions are checked for
 * every example in test/examples.test.ts.)
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import type { HandledRequest } from './harness/github-api.js';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, tempDir, type TestRepo } from './harness/repo.js';
import { ROOT, runAction, webhookPayload } from './harness/run-action.js';
import type { Obj, Workflow } from './harness/workflows.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const readWorkflow = (file: string): Workflow => load(readFileSync(join(ROOT, 'examples', 'workflows', file), 'utf8')) as Workflow;

/** Resolves `${{ <expr> }}` from exact expression texts; an expression not in `context` is an error. */
function resolveMap(map: Obj | undefined, context: Record<string, string>): Record<string, string> {
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

beforeEach(() => {
  loopback.server.requests.length = 0;
  loopback.server.on('GET', '/repos/{owner}/{repo}/actions/variables/{name}', { status: 403, body: { message: 'Resource not accessible by integration' } });
  loopback.server.on('GET', '/repos/{owner}/{repo}/issues', { status: 200, body: [] });
  loopback.server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals', {
    status: 200,
    body: [{ state: 'approved', comment: 'go', user: { login: 'oncall-lead' }, environments: [{ id: 1, name: 'rollback' }] }],
  });
  loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{ref}', { status: 200, body: { author: { login: 'ada-human', type: 'User' } } });
  loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', { status: 200, body: [] });
  loopback.server.on('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', { status: 201, body: {} });
});

function project(): TestRepo {
  const r = createRepo({
    initial: {
      'README.md': '# app\n',
      '.github/rollback-gate.yml': 'verify:\n  commands: [{ name: no-bug, run: test ! -f bug.txt }]\ntriggers:\n  enabled: true\n  workflow: ci.yml\n  bisect-command: test ! -f bug.txt\n',
    },
  });
  repos.push(r);
  return r;
}

/** The plan job, the artifact hand-over, the apply job and the postmortem, as the file says. */
async function play(file: string, r: TestRepo, event: { name: string; payload: unknown }, vars: Record<string, string> = {}) {
  const wf = readWorkflow(file);
  const planStep = wf.jobs.plan!.steps!.find((s) => s.id === 'plan')!;
  const applySteps = wf.jobs.apply!.steps!;
  const rollbackStep = applySteps.find((s) => s.id === 'rollback')!;
  const postmortemStep = applySteps.find((s) => s.id === 'postmortem')!;
  const context = { 'vars.ROLLBACK_GATE_PAUSED': vars.ROLLBACK_GATE_PAUSED ?? '' };
  const env = { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' };
  const plan = await runAction('rollback', {
    workspace: r.dir,
    event,
    inputs: { ...resolveMap(planStep.with, context), token: 'ghs_read_only' },
    env: { ...env, ...resolveMap(planStep.env, context) },
  });
  // apply runs only when the plan job wrote a plan (`needs.plan.outputs.plan-path != ''`).
  expect(wf.jobs.apply!.if).toBe("${{ needs.plan.outputs.plan-path != '' }}");
  if (!plan.outputs['plan-path']) return { plan };
  const runnerTemp = mkdtempSync(join(tempDir('rg-runner-temp-'), 'x'));
  mkdirSync(join(runnerTemp, 'rollback-plan'));
  copyFileSync(plan.outputs['plan-path'], join(runnerTemp, 'rollback-plan', basename(plan.outputs['plan-path'])));
  const apply = await runAction('rollback', {
    workspace: r.dir,
    event,
    inputs: { ...resolveMap(rollbackStep.with, { ...context, 'runner.temp': runnerTemp }), token: 'ghs_write' },
    env: { ...env, ...resolveMap(rollbackStep.env, context) },
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

describe('auto-rollback.yml (workflow_run)', () => {
  it('is triggered by the CI workflow completing on main; the plan job is read-only and judges only failures', () => {
    const wf = readWorkflow('auto-rollback.yml');
    expect(wf.on).toEqual({ workflow_run: { workflows: ['CI'], types: ['completed'], branches: ['main'] } });
    expect(wf.jobs.plan!.if).toBe("${{ github.event.workflow_run.conclusion == 'failure' }}");
    expect(wf.jobs.plan!.permissions).toEqual({ contents: 'read', actions: 'read', issues: 'read', 'pull-requests': 'read' });
    expect(wf.jobs.plan!.steps!.find((s) => s.uses?.startsWith('actions/checkout@'))?.with).toMatchObject({ 'persist-credentials': false });
    expect(wf.jobs.apply).toMatchObject({ needs: 'plan', environment: 'rollback' });
  });

  it('played: a red run on main leads through plan and apply to a rollback PR of exactly the culprit, then its recovery record', async () => {
    const r = project();
    const green = r.head();
    r.commit('feat: fine (#1)', { 'fine.txt': 'ok\n' });
    const culprit = r.commit('feat: bug (#2)', { 'bug.txt': 'bug\n' });
    const head = r.commit('feat: later (#3)', { 'later.txt': 'later\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', (q: HandledRequest) => ({
      status: 200,
      body: { total_count: 1, workflow_runs: [{ id: 41, head_sha: green, head_branch: q.query.branch }] },
    }));
    const event = {
      name: 'workflow_run',
      payload: webhookPayload('workflow_run', 'completed', {
        workflow_run: { head_branch: 'main', head_sha: head, conclusion: 'failure', status: 'completed', path: '.github/workflows/ci.yml', name: 'CI', workflow_id: 3003, run_started_at: new Date(Date.now() - 10 * 60_000).toISOString() },
      }),
    };
    const { plan, apply, postmortem } = await play('auto-rollback.yml', r, event);
    expect(plan.exitCode).toBe(0);
    expect(apply!.exitCode).toBe(0);
    expect(JSON.parse(apply!.outputs.commits!)).toEqual([culprit]);
    expect(apply!.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    expect(git(r.remote, ['diff', '--name-only', 'refs/heads/main', `refs/heads/${apply!.outputs.branch}`])).toBe('bug.txt');
    expect(apply!.summary).toContain('oncall-lead');
    expect(apply!.summary).toContain('### Trigger: rollback started');
    expect(postmortem!.exitCode).toBe(0);
    expect(Number(postmortem!.outputs['time-to-recovery-minutes'])).toBeGreaterThanOrEqual(10);
    const report = JSON.parse(readFileSync(apply!.outputs['report-path']!, 'utf8')) as { trigger: { decisions: Array<{ check: string; reason: string }> } };
    expect(report.trigger.decisions.find((d) => d.check === 'kill-switch' && /REST 403/.test(d.reason))).toBeDefined();
  });

  it('played: the kill switch (vars.ROLLBACK_GATE_PAUSED) leaves the plan job without a plan, so apply never runs', async () => {
    const r = project();
    const green = r.head();
    const head = r.commit('feat: bug (#2)', { 'bug.txt': 'bug\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', { status: 200, body: { total_count: 1, workflow_runs: [{ id: 41, head_sha: green }] } });
    const event = {
      name: 'workflow_run',
      payload: webhookPayload('workflow_run', 'completed', { workflow_run: { head_branch: 'main', head_sha: head, conclusion: 'failure', path: '.github/workflows/ci.yml', workflow_id: 3003 } }),
    };
    const { plan, apply } = await play('auto-rollback.yml', r, event, { ROLLBACK_GATE_PAUSED: 'true' });
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs['plan-path']).toBeUndefined();
    expect(apply).toBeUndefined();
    expect(plan.summary).toContain('the kill switch is on');
  });
});

describe('alert-rollback.yml (repository_dispatch)', () => {
  it('is triggered by repository_dispatch of type rollback-gate; the plan job is read-only', () => {
    const wf = readWorkflow('alert-rollback.yml');
    expect(wf.on).toEqual({ repository_dispatch: { types: ['rollback-gate'] } });
    expect(wf.jobs.plan!.permissions).toEqual({ contents: 'read', issues: 'read', 'pull-requests': 'read' });
    expect(wf.jobs.apply).toMatchObject({ needs: 'plan', environment: 'rollback' });
  });

  it('played: an alert without a target rolls back the newest landed unit, its detected_at starting the time to restore', async () => {
    const r = project();
    r.commit('feat: a (#1)', { 'a.txt': 'a\n' });
    const newest = r.commit('feat: b (#2)', { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const detected = new Date(Date.now() - 20 * 60_000).toISOString();
    const payload = webhookPayload('repository_dispatch', undefined, { action: 'rollback-gate', branch: 'main' }) as Record<string, unknown>;
    payload.client_payload = { reason: 'error rate 12%', source: 'alertmanager', severity: 'page', detected_at: detected };
    const { plan, apply, postmortem } = await play('alert-rollback.yml', r, { name: 'repository_dispatch', payload });
    expect(plan.exitCode).toBe(0);
    expect(apply!.exitCode).toBe(0);
    expect(JSON.parse(apply!.outputs.commits!)).toEqual([newest]);
    expect(apply!.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    expect(postmortem!.exitCode).toBe(0);
    expect(Number(postmortem!.outputs['time-to-recovery-minutes'])).toBeGreaterThanOrEqual(20);
    expect(apply!.summary).toContain('alertmanager');
  });
});

/** The README's alert call, checked against the example workflow it triggers. */
describe('README: Triggers', () => {
  it('shows the one gh api call that sends the alert, and the token it needs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Triggers'));
    expect(section).toContain('gh api repos/OWNER/REPO/dispatches');
    expect(section).toContain('-f event_type=rollback-gate');
    expect(section).toMatch(/fine-grained token with \*\*Contents: write\*\*/);
    expect(section).toContain('examples/workflows/auto-rollback.yml');
    expect(section).toContain('examples/workflows/alert-rollback.yml');
  });
});
