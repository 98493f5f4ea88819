/**
 * Rollbacks that start themselves (issue 13, triggers): a red default branch (`workflow_run`) or an
 * alert (`repository_dispatch`) becomes a rollback, through the plan and apply phases, or is
 * declined with the reason. Every test runs the committed bundle on a real repository with a bare
 * remote, with real webhook payloads from @octokit/webhooks-examples, against the OpenAPI-checked
 * loopback API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import type { HandledRequest } from './harness/github-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const OWNER = 'octo-org';
const REPO = 'octo-repo';
const WORKFLOW_ID = 7001;

function config(extra = ''): string {
  return [
    'verify:',
    '  commands:',
    '    - { name: no-bug, run: test ! -f bug.txt }',
    'triggers:',
    '  enabled: true',
    '  workflow: ci.yml',
    '  bisect-command: test ! -f bug.txt',
    extra,
  ].join('\n');
}

function repo(configText = config()): TestRepo {
  const r = createRepo({ initial: { 'README.md': '# app\n', '.github/rollback-gate.yml': `${configText}\n` } });
  repos.push(r);
  return r;
}

const readJson = (path: string): Record<string, any> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const remoteRefs = (r: TestRepo): string => git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
const apiCalls = (method: string, path: RegExp) => loopback.server.requests.filter((q) => q.method === method && path.test(q.path));

/** The CI workflow's green runs (newest first) as GitHub lists them; also records the query. */
function greenRuns(shas: string[]): void {
  loopback.server.on('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', (q: HandledRequest) => ({
    status: 200,
    body: {
      total_count: shas.length,
      workflow_runs: shas.map((sha, i) => ({ id: 9000 + i, head_sha: sha, head_branch: q.query.branch, status: 'completed', conclusion: 'success', html_url: `https://github.com/${OWNER}/${REPO}/actions/runs/${9000 + i}` })),
    },
  }));
}

/** The kill switch off: the variable unset (404) and no open issue with the pause label. */
function killSwitchOff(): void {
  loopback.server.on('GET', '/repos/{owner}/{repo}/actions/variables/{name}', { status: 404, body: { message: 'Not Found' } });
  loopback.server.on('GET', '/repos/{owner}/{repo}/issues', { status: 200, body: [] });
}

beforeEach(() => {
  loopback.server.requests.length = 0;
  killSwitchOff();
  loopback.server.on('GET', '/repos/{owner}/{repo}/pulls', () => undefined); // the harness's own listing (no merged rollback PR)
  loopback.server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals', { status: 200, body: [] });
  loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{ref}', { status: 200, body: { sha: '0'.repeat(40), author: { login: 'ada-human', type: 'User' } } });
  loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', { status: 200, body: [] });
  loopback.server.on('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', (q: HandledRequest) => ({ status: 201, body: { number: q.params.pull_number, requested_reviewers: [] } }));
});

function redRun(head: string, overrides: Record<string, unknown> = {}): { name: string; payload: unknown } {
  return {
    name: 'workflow_run',
    payload: webhookPayload('workflow_run', 'completed', {
      workflow_run: {
        id: 5151,
        name: 'CI',
        path: '.github/workflows/ci.yml',
        workflow_id: WORKFLOW_ID,
        head_branch: 'main',
        head_sha: head,
        status: 'completed',
        conclusion: 'failure',
        event: 'push',
        run_started_at: new Date(Date.now() - 5 * 60_000).toISOString(),
        html_url: `https://github.com/${OWNER}/${REPO}/actions/runs/5151`,
        ...overrides,
      },
      workflow: { id: WORKFLOW_ID, name: 'CI', path: '.github/workflows/ci.yml' },
    }),
  };
}

function alert(clientPayload: Record<string, unknown>, action = 'rollback-gate'): { name: string; payload: unknown } {
  const payload = webhookPayload('repository_dispatch', undefined, { action, branch: 'main' }) as Record<string, unknown>;
  payload.client_payload = clientPayload; // replaced, not merged
  return { name: 'repository_dispatch', payload };
}

const rollback = (r: TestRepo, event: { name: string; payload: unknown }, inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runAction('rollback', {
    workspace: r.dir,
    event,
    inputs: { token: 'ghs_job_token', ...inputs },
    env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20', ...env },
  });

/** A branch with a green base and three landed units, the middle one breaking the bisect command. */
function redBranch(r: TestRepo): { base: string; units: string[] } {
  const base = r.head();
  const units = [
    r.commit('feat: one (#11)', { 'one.txt': '1\n' }),
    r.commit('feat: bug (#12)', { 'bug.txt': 'bug\n', 'app.txt': 'v2\n' }),
    r.commit('feat: three (#13)', { 'three.txt': '3\n' }),
  ];
  r.git(['push', '--quiet', 'origin', 'main']);
  return { base, units };
}

describe('a red default branch (workflow_run)', () => {
  it('is confirmed, bisected and planned read-only; apply opens a rollback PR of exactly the culprit, asks its author to review and tells them on its PR', async () => {
    const r = repo();
    const { base, units } = redBranch(r);
    greenRuns([base]);
    const culpritPr = loopback.server.store.createPull(OWNER, REPO, { title: 'feat: bug', head: 'feature/bug', base: 'main', headSha: units[1]! });
    loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', (q: HandledRequest) => ({
      status: 200,
      body: q.params.commit_sha === units[1] ? [{ number: culpritPr.number, merged_at: new Date().toISOString() }] : [],
    }));
    const before = remoteRefs(r);
    const event = redRun(units[2]!);

    const plan = await rollback(r, event, { phase: 'plan', token: 'ghs_read_only' });
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(0);
    expect(remoteRefs(r)).toBe(before); // the plan pushes nothing
    const runsQuery = apiCalls('GET', /\/actions\/workflows\/7001\/runs$/)[0]!;
    expect(runsQuery.query).toMatchObject({ branch: 'main', status: 'success' });
    const sealed = readJson(plan.outputs['plan-path']!);
    expect(sealed.commits).toEqual([expect.objectContaining({ sha: units[1], reason: expect.stringMatching(/^culprit/) })]);
    expect(sealed.trigger).toMatchObject({
      event: 'workflow_run',
      verdict: 'rollback',
      strategy: 'bisect',
      target: `${base}..${units[2]}`,
      range: { good: base, bad: units[2], units },
      confirm: { result: 'confirmed', runs: [expect.objectContaining({ exitCode: 1 }), expect.objectContaining({ exitCode: 1 })] },
      culprits: [expect.objectContaining({ sha: units[1] })],
      delivery: 'pr',
    });
    const checks = sealed.trigger.decisions.map((d: { check: string; result: string }) => `${d.check}:${d.result}`);
    expect(checks).toEqual(expect.arrayContaining(['event:ok', 'workflow:ok', 'branch:ok', 'tip:ok', 'kill-switch:ok', 'cap:ok', 'lock:ok', 'range:ok', 'confirm:ok', 'opt-out:ok', 'age:ok']));
    expect(plan.summary).toContain('\n### 🔄 Trigger: rollback started\n');
    expect(plan.summary).toContain('the failure is confirmed');

    const apply = await rollback(r, event, { phase: 'apply', plan: plan.outputs['plan-path']!, token: 'ghs_write' });
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    const prUrl = apply.outputs['pr-url']!;
    expect(prUrl).toMatch(/\/pull\/\d+$/);
    // exactly the culprit: the rollback branch differs from main only by the culprit's changes
    const branch = apply.outputs.branch!;
    expect(git(r.remote, ['diff', '--name-status', 'refs/heads/main', `refs/heads/${branch}`])).toBe('D\tapp.txt\nD\tbug.txt');
    expect(JSON.parse(apply.outputs.commits!)).toEqual([units[1]]);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(units[2]); // a PR, not a push
    const prNumber = Number(prUrl.split('/').pop());
    // The rollback PR's body carries the trigger's decisions too.
    expect(loopback.server.store.issue(OWNER, REPO, prNumber)!.body).toContain('\n### 🔄 Trigger: rollback started\n');
    const review = apiCalls('POST', new RegExp(`/pulls/${prNumber}/requested_reviewers$`));
    expect(review.map((q) => q.body)).toEqual([{ reviewers: ['ada-human'] }]);
    const told = loopback.server.store.comments(OWNER, REPO, culpritPr.number);
    expect(told).toHaveLength(1);
    expect(told[0]!.body).toContain(prUrl);
    expect(told[0]!.body).toContain('@ada-human, you are asked to review it');
    const report = readJson(apply.outputs['report-path']!);
    expect(report.trigger.decisions).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'apply', result: 'note' }),
      expect.objectContaining({ check: 'notify', result: 'ok', reason: expect.stringContaining('requested ada-human') }),
    ]));
    expect(report.detectedAt).toBe(sealed.trigger.detectedAt);
  });

  it('a flaky failure (the bisect command passes on the failing head once) rolls nothing back, and says so', async () => {
    const mark = `flaky-${Date.now()}`;
    const r = repo(config().replace('bisect-command: test ! -f bug.txt', `bisect-command: 'test -f "$RG_MARK_DIR/${mark}" || { touch "$RG_MARK_DIR/${mark}"; exit 1; }'`));
    const base = r.head();
    const one = r.commit('feat: one (#21)', { 'one.txt': '1\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    greenRuns([base]);
    const before = remoteRefs(r);
    const run = await rollback(r, redRun(one), { phase: 'plan' }, { RG_MARK_DIR: r.root });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['plan-path']).toBeUndefined();
    // A trigger that started no rollback: its report is the summary, under one headline.
    expect(run.summary).toMatch(/^## ✋ Trigger: declined by a guardrail\n/);
    expect(run.summary.match(/^#{1,2} /gm)).toHaveLength(1);
    expect(run.summary).toContain('flaky');
    const report = readJson(run.outputs['report-path']!);
    expect(report.outcome).toBe('declined');
    expect(report.trigger.confirm).toMatchObject({ result: 'flaky', runs: [expect.objectContaining({ exitCode: 1 }), expect.objectContaining({ exitCode: 0 })] });
    expect(run.annotations.some((a) => a.level === 'warning' && a.message.includes('flaky'))).toBe(true);
    expect(remoteRefs(r)).toBe(before);
  });

  it('a confirm run that hangs is killed at the timeout, counts as a failure, and the hang is reported', async () => {
    const r = repo(config().replace('bisect-command: test ! -f bug.txt', 'bisect-command: sleep 60'));
    const base = r.head();
    const one = r.commit('feat: slow (#22)', { 'slow.txt': '1\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    greenRuns([base]);
    const run = await rollback(r, redRun(one), { phase: 'plan' }, { ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '1' });
    expect(run.exitCode).toBe(0);
    const sealed = readJson(run.outputs['plan-path']!);
    expect(sealed.trigger.confirm).toMatchObject({ result: 'hang', runs: [expect.objectContaining({ timedOut: true }), expect.objectContaining({ timedOut: true })] });
    expect(sealed.trigger.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'confirm', result: 'note', reason: expect.stringContaining('2 of 2 confirm runs hung') })]));
    expect(sealed.commits.map((c: { sha: string }) => c.sha)).toEqual([one]);
    expect(run.summary).toContain('hung (killed after');
  }, 30_000);

  it.each([
    ['another branch', { head_branch: 'release' }, 'is for branch "release", not main'],
    ['a green run', { conclusion: 'success' }, 'conclusion is "success", not failure'],
    ['another workflow', { path: '.github/workflows/lint.yml', name: 'Lint' }, 'not the configured CI workflow "ci.yml"'],
  ])('ignores %s, and says why', async (_, overrides, reason) => {
    const r = repo();
    const { base, units } = redBranch(r);
    greenRuns([base]);
    const run = await rollback(r, redRun(units[2]!, overrides), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toMatch(/^## ⏭️ Trigger: ignored\n/);
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({ verdict: 'ignored', reason: expect.stringContaining(reason) });
    expect(apiCalls('GET', /\/runs$/)).toHaveLength(0);
  });

  it('ignores a run whose head is no longer the branch tip', async () => {
    const r = repo();
    const { base, units } = redBranch(r);
    greenRuns([base]);
    const run = await rollback(r, redRun(units[1]!), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger.reason).toContain(`is no longer the tip of main (now ${units[2]!.slice(0, 12)})`);
  });

  it('refuses when no green run within the lookback is an ancestor: the range would be unbounded', async () => {
    const r = repo(config('  lookback: 3'));
    const { units } = redBranch(r);
    greenRuns(['1'.repeat(40), '2'.repeat(40), '3'.repeat(40), r.git(['rev-parse', 'HEAD~3'])]); // the 4th is out of the lookback
    const run = await rollback(r, redRun(units[2]!), { phase: 'plan' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('no green run of the CI workflow on main within the last 3 (triggers.lookback)');
    expect(readJson(run.outputs['report-path']!)).toMatchObject({ outcome: 'failed', trigger: { verdict: 'refused' } });
  });

  it.each([403, 404])('refuses when the runs list answers %i, naming the permission actions: read', async (status) => {
    const r = repo();
    const { units } = redBranch(r);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', { status, body: { message: status === 403 ? 'Resource not accessible by integration' : 'Not Found' } });
    const run = await rollback(r, redRun(units[2]!), { phase: 'plan' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain(`failed with ${status}`);
    expect(run.annotations[0]!.message).toContain('`actions: read`');
  });

  it('refuses phase all: the confirm runs code, which happens only where no write token is', async () => {
    const r = repo();
    const { base, units } = redBranch(r);
    greenRuns([base]);
    const before = remoteRefs(r);
    const run = await rollback(r, redRun(units[2]!), { phase: 'all' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('only in `phase: plan`');
    expect(remoteRefs(r)).toBe(before);
  });

  it('does nothing while triggers are off (the default)', async () => {
    const r = repo('verify:\n  commands: []\n');
    const { base, units } = redBranch(r);
    greenRuns([base]);
    const run = await rollback(r, redRun(units[2]!), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger.reason).toContain('triggers are off');
    expect(loopback.server.requests.filter((q) => q.path.includes('/actions/'))).toHaveLength(0);
  });
});

describe('an alert (repository_dispatch)', () => {
  function landed(r: TestRepo): string[] {
    const a = r.commit('feat: a (#31)', { 'a.txt': 'a\n' });
    const b = r.commit('feat: b (#32)', { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    return [a, b];
  }

  it('without a target rolls back the newest landed unit, as a PR, with the alert\'s detected_at', async () => {
    const r = repo();
    const [a, b] = landed(r);
    const detected = new Date(Date.now() - 10 * 60_000).toISOString();
    const run = await rollback(r, alert({ reason: 'p99 latency > 2s', source: 'grafana', severity: 'critical', detected_at: detected }));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([b]);
    expect(run.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(b);
    expect(git(r.remote, ['diff', '--name-only', 'refs/heads/main', `refs/heads/${run.outputs.branch}`])).toBe('b.txt');
    const report = readJson(run.outputs['report-path']!);
    expect(report.detectedAt).toBe(new Date(detected).toISOString());
    expect(report.trigger).toMatchObject({ event: 'repository_dispatch', verdict: 'rollback', target: b, alert: { reason: 'p99 latency > 2s', source: 'grafana', severity: 'critical' } });
    expect(report.trigger.reason).toContain('the newest landed unit on main');
    expect(a).not.toBe(b);
    expect(run.summary).toContain('grafana');
  });

  it('passes over rollback commits to find the newest landed unit', async () => {
    const r = repo();
    const [, b] = landed(r);
    r.commit(`Roll back x\n\nRollback-Of: x\nReverts: ${'f'.repeat(40)}\n`, { 'c.txt': 'c\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, alert({ reason: 'errors', source: 'datadog' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['plan-path']!).commits.map((c: { sha: string }) => c.sha)).toEqual([b]);
  });

  it('the kill switch: the repository variable (REST) stops it', async () => {
    const r = repo();
    landed(r);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/variables/{name}', (q: HandledRequest) => ({ status: 200, body: { name: q.params.name, value: 'true', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' } }));
    const before = remoteRefs(r);
    const run = await rollback(r, alert({ reason: 'x', source: 'pagerduty' }));
    expect(run.exitCode).toBe(0);
    expect(apiCalls('GET', /\/actions\/variables\/ROLLBACK_GATE_PAUSED$/)).toHaveLength(1);
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({ verdict: 'declined', reason: expect.stringContaining('the kill switch is on: the repository variable ROLLBACK_GATE_PAUSED is "true"') });
    expect(remoteRefs(r)).toBe(before);
  });

  it('the kill switch: the variable from the job\'s environment when the token cannot read variables (403)', async () => {
    const r = repo();
    landed(r);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/variables/{name}', { status: 403, body: { message: 'Resource not accessible by integration' } });
    const run = await rollback(r, alert({ reason: 'x' }), {}, { ROLLBACK_GATE_PAUSED: 'true' });
    expect(run.exitCode).toBe(0);
    const trigger = readJson(run.outputs['report-path']!).trigger;
    expect(trigger.verdict).toBe('declined');
    expect(trigger.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'kill-switch', result: 'note', reason: expect.stringContaining('REST 403') })]));
  });

  it('the kill switch: an open issue with the pause label stops it', async () => {
    const r = repo();
    landed(r);
    loopback.server.on('GET', '/repos/{owner}/{repo}/issues', (q: HandledRequest) => ({
      status: 200,
      body: q.query.labels === 'rollback-gate:pause' && q.query.state === 'open' ? [{ number: 99, title: 'Freeze: release week', state: 'open' }] : [],
    }));
    const run = await rollback(r, alert({ reason: 'x' }));
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger.reason).toContain('issue #99 "Freeze: release week" is open with the label "rollback-gate:pause"');
  });

  it('the cap: rollback commits of the last 24 hours on the branch count', async () => {
    const r = repo(config('  max-per-day: 1'));
    landed(r);
    r.commit(`Roll back pr-5\n\nRollback-Of: pr-5\nReverts: ${'e'.repeat(40)}\n`, { 'undo.txt': 'u\n' });
    r.commit('feat: d (#34)', { 'd.txt': 'd\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, alert({ reason: 'x' }));
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({ verdict: 'declined', reason: expect.stringContaining('the cap is reached: 1 rollback in the last 24 hours') });
    expect(run.outputs['pr-url']).toBeFalsy();
  });

  it('the cap: a pending rollback branch (a rollback PR not merged yet) counts too', async () => {
    const r = repo(config('  max-per-day: 1'));
    landed(r);
    r.git(['switch', '--quiet', '-c', 'rollback/pr-8']);
    r.commit(`Roll back pr-8\n\nRollback-Of: pr-8\nReverts: ${'d'.repeat(40)}\n`, { 'undo8.txt': 'u\n' });
    r.git(['push', '--quiet', 'origin', 'rollback/pr-8']);
    r.git(['switch', '--quiet', 'main']);
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger.reason).toContain('the cap is reached: 1 rollback in the last 24 hours (rollback/pr-8 (pending))');
  });

  it('the cap: a rollback PR squash-merged without its trailer counts; a human PR, a fork\'s, an unmerged or an old one does not; one rollback found twice counts once', async () => {
    const r = repo(config('  max-per-day: 2'));
    landed(r);
    const kept = r.commit(`Roll back pr-7 (#64)\n\nRollback-Of: pr-7\nReverts: ${'c'.repeat(40)}\n`, { 'undo7.txt': 'u\n' });
    r.commit('Roll back pr-8 (#60)', { 'undo8.txt': 'u\n' }); // squash-merged, the trailers dropped
    r.commit('feat: e (#35)', { 'e.txt': 'e\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const pull = (number: number, ref: string, mergedHoursAgo: number | null, repo = `${OWNER}/${REPO}`) => ({
      number,
      state: 'closed',
      merged_at: mergedHoursAgo === null ? null : hoursAgo(mergedHoursAgo),
      updated_at: hoursAgo(mergedHoursAgo ?? 1),
      head: { ref, repo: { full_name: repo } },
    });
    loopback.server.on('GET', '/repos/{owner}/{repo}/pulls', (q: HandledRequest) => ({
      status: 200,
      body:
        q.query.state === 'closed' && q.query.sort === 'updated' && q.query.direction === 'desc'
          ? [pull(60, 'rollback/pr-8', 1), pull(61, 'feature/widget', 1), pull(62, 'rollback/pr-9', 2, 'mallory/octo-repo'), pull(63, 'rollback/pr-10', null), pull(64, 'rollback/pr-7', 3), pull(59, 'rollback/pr-4', 30)]
          : [],
    }));
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(apiCalls('GET', /\/pulls$/)).toHaveLength(1);
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({
      verdict: 'declined',
      reason: `the cap is reached: 2 rollbacks in the last 24 hours (${kept.slice(0, 12)} on the branch, #60 rollback/pr-8 (merged)), at most 2 a day (triggers.max-per-day). Roll back by hand if it must be done.`,
    });
    expect(run.outputs['plan-path']).toBeUndefined();
  });

  it('the cap: more closed pull requests in a day than it reads: it reads five pages of 100 and says so', async () => {
    const r = repo();
    landed(r);
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    loopback.server.on('GET', '/repos/{owner}/{repo}/pulls', (q: HandledRequest) => ({
      status: 200,
      body: Array.from({ length: 100 }, (_, i) => ({ number: Number(q.query.page) * 1000 + i, merged_at: recent, updated_at: recent, head: { ref: `feature/${i}`, repo: { full_name: `${OWNER}/${REPO}` } } })),
    }));
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(apiCalls('GET', /\/pulls$/).map((q) => q.query.page)).toEqual(['1', '2', '3', '4', '5']);
    const trigger = readJson(run.outputs['plan-path']!).trigger;
    expect(trigger.decisions).toEqual(expect.arrayContaining([
      { check: 'cap', result: 'note', reason: 'more than 500 pull requests were closed or updated in the last 24 hours: only the 500 updated last were read for merged rollback pull requests' },
      expect.objectContaining({ check: 'cap', result: 'ok' }),
    ]));
  });

  it('the cap: the closed pull requests cannot be listed (403): declined, naming the permission', async () => {
    const r = repo();
    landed(r);
    loopback.server.on('GET', '/repos/{owner}/{repo}/pulls', { status: 403, body: { message: 'Resource not accessible by integration' } });
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['plan-path']).toBeUndefined();
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({
      verdict: 'declined',
      reason: expect.stringContaining('the cap cannot be counted: listing the closed pull requests failed with 403'),
    });
    expect(readJson(run.outputs['report-path']!).trigger.reason).toContain('grant `pull-requests: read`');
  });

  it('never two at once: another run\'s fresh rollback lock stops it; a stale one does not', async () => {
    const r = repo();
    const [, b] = landed(r);
    const lock = r.git(['commit-tree', '-m', 'rollback-gate lock\n\nrun: 77', `${b}^{tree}`]);
    r.git(['push', '--quiet', 'origin', `${lock}:refs/rollback-gate/lock/pr-77`]);
    const held = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(held.exitCode).toBe(0);
    expect(readJson(held.outputs['report-path']!).trigger).toMatchObject({ verdict: 'declined', reason: expect.stringContaining('another rollback is running (refs/rollback-gate/lock/pr-77') });
    const old = '2020-01-01T00:00:00Z';
    const stale = r.git(['commit-tree', '-m', 'rollback-gate lock', `${b}^{tree}`], { env: { GIT_COMMITTER_DATE: old, GIT_AUTHOR_DATE: old } });
    r.git(['push', '--quiet', '--force', 'origin', `${stale}:refs/rollback-gate/lock/pr-77`]);
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['plan-path']!).trigger.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'lock', result: 'note', reason: expect.stringContaining('left by a killed run') })]));
  });

  it('the age: a culprit older than max-age-hours is not rolled back', async () => {
    const r = repo(config('  max-age-hours: 2'));
    const old = new Date(Date.now() - 5 * 3_600_000).toISOString();
    r.commit('feat: old (#41)', { 'old.txt': 'o\n' }, { env: { GIT_COMMITTER_DATE: old, GIT_AUTHOR_DATE: old } });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = remoteRefs(r);
    const run = await rollback(r, alert({ reason: 'x' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['plan-path']).toBeUndefined();
    const report = readJson(run.outputs['report-path']!);
    expect(report.outcome).toBe('declined');
    expect(report.trigger).toMatchObject({ verdict: 'declined', reason: expect.stringMatching(/landed 5(\.\d)? hours ago: older than 2 hours \(triggers.max-age-hours\)/) });
    expect(remoteRefs(r)).toBe(before);
  });

  it('the opt-out trailer: reports only and asks the author on the culprit\'s PR', async () => {
    const r = repo();
    const culprit = r.commit('feat: risky (#51)\n\nRollback-Gate: no-auto-revert\n', { 'risky.txt': 'r\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const pr = loopback.server.store.createPull(OWNER, REPO, { title: 'feat: risky', head: 'risky', base: 'main', headSha: culprit });
    loopback.server.on('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', { status: 200, body: [{ number: pr.number }] });
    const before = remoteRefs(r);
    const run = await rollback(r, alert({ reason: 'error budget burn', source: 'alertmanager' }));
    expect(run.exitCode).toBe(0);
    expect(remoteRefs(r)).toBe(before);
    const report = readJson(run.outputs['report-path']!);
    expect(report.trigger).toMatchObject({ verdict: 'report-only', reason: expect.stringContaining('carries `Rollback-Gate: no-auto-revert`') });
    const asked = loopback.server.store.comments(OWNER, REPO, pr.number);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body).toContain('@ada-human, please decide');
    expect(run.summary).toContain('reported only (the culprit opted out)');
  });

  it('ignores another event type', async () => {
    const r = repo();
    landed(r);
    const run = await rollback(r, alert({ reason: 'x' }, 'deploy'));
    expect(run.exitCode).toBe(0);
    expect(readJson(run.outputs['report-path']!).trigger).toMatchObject({ verdict: 'ignored', reason: 'repository_dispatch of type "deploy", not "rollback-gate".' });
  });

  it.each([
    ['in the future', new Date(Date.now() + 3 * 3_600_000).toISOString(), 'it is in the future'],
    ['malformed', 'yesterday at noon', 'not an ISO 8601 time with a zone'],
  ])('ignores a detected_at %s, with the reason, and uses the run\'s time', async (_, detectedAt, reason) => {
    const r = repo();
    landed(r);
    const started = Date.now();
    const run = await rollback(r, alert({ reason: 'x', detected_at: detectedAt }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    const trigger = readJson(run.outputs['report-path']!).trigger;
    expect(trigger.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'detected-at', reason: expect.stringContaining(reason) })]));
    expect(Date.parse(trigger.detectedAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(trigger.detectedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('a hostile payload: a target with shell syntax is refused; reason and source are never run, never obeyed as workflow commands, and shown truncated and escaped', async () => {
    const r = repo();
    landed(r);
    const loot = join(r.root, 'pwned');
    const hostileTarget = `main; touch ${loot} #$(touch ${loot})`;
    const refused = await rollback(r, alert({ target: hostileTarget, reason: 'x', source: 'y' }));
    expect(refused.exitCode).toBe(1);
    expect(refused.annotations[0]!.message).toContain('is not a commit, PR number, session id, checkpoint tag or range');
    expect(existsSync(loot)).toBe(false);

    const reason = `::set-output name=pr-url::https://evil.example\n::warning::injected\n<img src=x onerror=alert(1)>$(touch ${loot})${'A'.repeat(5000)}`;
    const source = '`rm -rf /`\r\n::add-mask::ghs_job_token';
    const run = await rollback(r, alert({ reason, source, severity: '::error::sev' }), { phase: 'plan' });
    expect(run.exitCode).toBe(0);
    expect(existsSync(loot)).toBe(false);
    expect(run.outputs['pr-url']).toBe('');
    expect(run.annotations.filter((a) => /injected|sev/.test(a.message) && a.level !== 'notice')).toEqual([]);
    expect(run.stdout).not.toMatch(/^::(set-output|warning|add-mask|error)::/m);
    const trigger = readFileSync(run.outputs['plan-path']!, 'utf8');
    expect(JSON.parse(trigger).trigger.alert.reason).toMatch(/\(5\d{3} characters, truncated\)$/);
    expect(JSON.parse(trigger).trigger.alert.reason.length).toBeLessThan(260);
    expect(run.summary).not.toContain('<img');
    expect(run.summary).toContain('&lt;img');
    expect(run.summary).not.toMatch(/\n::/);
  });
});
