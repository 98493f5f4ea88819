/**
 * examples/workflows/auto-rollback.yml and alert-rollback.yml, played: each step's `with:` and
 * `env:` taken from the file, the committed bundles run as the runner runs them, with real webhook
 * payloads (@octokit/webhooks-examples), on a real repository with a bare remote, against the
 * OpenAPI-checked loopback API. (actionlint, the suite's `uses:` and the permissions are checked for
 * every example in test/examples.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { HandledRequest } from './harness/github-api.js';
import { useGitHubApi } from './harness/loopback-api.js';
import { playPlanApply, playStorePlan, readExample, stubTriggerApi } from './harness/play-workflow.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { ROOT, webhookPayload } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const readWorkflow = readExample;

beforeEach(() => stubTriggerApi(loopback.server, 'go'));

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

const play = (file: string, r: TestRepo, event: { name: string; payload: unknown }, vars: Record<string, string> = {}) =>
  playPlanApply(file, r, event, { env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' }, vars });

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
    expect(apply!.summary).toContain('\n### 🔄 Trigger: rollback started\n');
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

describe('store-plan.yml (push)', () => {
  it('runs on a push to main, with contents: write and nothing else; it checks out the history and stores, nothing more', () => {
    const wf = readWorkflow('store-plan.yml');
    expect(wf.on).toEqual({ push: { branches: ['main'] } });
    expect(wf.permissions).toEqual({});
    expect(Object.keys(wf.jobs)).toEqual(['store']);
    expect(wf.jobs.store!.permissions).toEqual({ contents: 'write' });
    expect(wf.jobs.store!.steps!.map((s) => s.uses)).toEqual(['actions/checkout@v4', 'rollback-gate/rollback-gate/actions/verify-rollback@v1']);
    expect(wf.jobs.store!.steps![1]!.with).toEqual({ 'store-plan': 'true' });
  });

  it('played with a real push payload: a push landing a squash commit and a merge commit stores both plans; a re-run keeps them', async () => {
    const r = project();
    const before = r.head();
    const squash = r.commit('feat: a (#1)', { 'a.txt': 'a\n' });
    r.git(['switch', '--quiet', '-c', 'feature']);
    r.commit('feat: b', { 'b.txt': 'b\n' });
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #2 from octo/feature', 'feature']);
    const merge = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);
    const event = { name: 'push', payload: webhookPayload('push', undefined, { ref: 'refs/heads/main', before, after: merge, repository: { default_branch: 'main', master_branch: 'main' } }) };
    const store = await playStorePlan(r, event);
    expect(store.stderr).toBe('');
    expect(store.exitCode).toBe(0);
    const refs = git(r.remote, ['for-each-ref', '--format=%(refname)', 'refs/rollback-gate/plans/']).split('\n').sort();
    expect(refs).toEqual([`refs/rollback-gate/plans/${merge}`, `refs/rollback-gate/plans/${squash}`].sort());
    expect(JSON.parse(store.outputs['stored-plans']!).map((o: { landed: string; status: string }) => [o.landed, o.status])).toEqual([[merge, 'stored'], [squash, 'stored']]);
    expect(store.summary).toContain('### Rollback plans stored');
    const again = await playStorePlan(r, event);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.outputs['stored-plans']!).map((o: { status: string }) => o.status)).toEqual(['kept', 'kept']);
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
    expect(section).toContain('examples/workflows/store-plan.yml');
    expect(readFileSync(join(ROOT, 'actions', 'verify-rollback', 'README.md'), 'utf8')).toContain('examples/workflows/store-plan.yml');
  });
});
