/**
 * The chain of custody in the postmortem record, through the bundles: a landed PR's plan stored on
 * push, executed by an apply job approved in an Environment (approvals from the OpenAPI-checked
 * loopback API), then recorded: trigger, plan digest (pre-built), approval (who, when), apply,
 * verification. And the detection time read from a trigger's section of the report (the alert's
 * detected_at, else the failing run's start), its untrusted text escaped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parseRecoveryLog, type RecoveryRecord } from '@rollback-gate/core';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload, type ActionRun } from './harness/run-action.js';
import { lines } from './harness/verify-rollback.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const records = (run: ActionRun): RecoveryRecord[] => JSON.parse(run.outputs.records!) as RecoveryRecord[];
const env = () => ({ GITHUB_API_URL: loopback.server.url });

/** ISO time `minutes` minutes ago, whole seconds. */
const ago = (minutes: number): string => new Date(Math.floor((Date.now() - minutes * 60_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

describe('chain of custody', () => {
  it('stored plan -> approved apply -> postmortem: the record names the trigger, the plan digest, who approved and when, the apply and the verification', async () => {
    const r = createRepo({ initial: { 'src/app.js': lines('app', 8) } });
    repos.push(r);
    const before = r.head();
    const pr = r.commit('feat: widget (#9)', { 'src/widget.js': 'widget\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const store = await runAction('verify-rollback', {
      workspace: r.dir,
      event: { name: 'push', payload: webhookPayload('push', undefined, { ref: 'refs/heads/main', before, after: pr, repository: { default_branch: 'main' } }) },
      inputs: { token: '', 'store-plan': 'true' },
    });
    expect(store.exitCode).toBe(0);
    const digest = (JSON.parse(store.outputs['stored-plans']!) as Array<{ digest: string }>)[0]!.digest;

    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals', (q) => ({
      status: 200,
      body: [{ state: 'approved', comment: 'ok', user: { login: 'release-manager' }, environments: [{ id: 1, name: 'rollback' }], run_id: q.params.run_id }],
    }));
    const detected = ago(20);
    const apply = await runAction('rollback', {
      workspace: r.dir,
      inputs: { token: 'ghs_apply', phase: 'apply', target: pr, direct: 'true', 'detected-at': detected },
      env: { ...env(), GITHUB_TRIGGERING_ACTOR: 'oncall-ada' },
    });
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(apply.outputs['report-path']!, 'utf8')) as Record<string, any>;
    expect(report.actor).toBe('oncall-ada');

    const pm = await runAction('postmortem', {
      workspace: r.dir,
      inputs: { report: apply.outputs['report-path']!, type: 'logic-error', 'root-cause': 'widget broke checkout', prevention: 'contract test', commit: 'none' },
      env: env(),
    });
    expect(pm.stderr).toBe('');
    expect(pm.exitCode).toBe(0);
    const [record] = records(pm);
    expect(record!.detectedAt).toBe(detected);
    expect(record!.chain).toEqual({
      trigger: { event: 'manual', detail: 'dispatched by oncall-ada' },
      plan: { digest, source: `refs/rollback-gate/plans/${pr}`, prebuilt: true, createdAt: expect.any(String) },
      approval: { source: 'environment', by: ['release-manager (rollback)'], at: report.startedAt },
      apply: { phase: 'apply', at: report.finishedAt, outcome: 'succeeded', sha: report.rollbackSha, prUrl: null },
      verification: { status: 'none', note: expect.stringContaining('no check ran') },
    });
    const log = readFileSync(join(r.dir, pm.outputs['record-path']!), 'utf8');
    expect(log).toContain(
      `- **Chain of custody**: dispatched by hand (dispatched by oncall-ada) → plan ${digest} (pre-built when the change landed, refs/rollback-gate/plans/${pr}) → approved by release-manager \\(rollback\\) before ${report.startedAt} → applied ${report.finishedAt} (succeeded, ${report.rollbackSha.slice(0, 12)}) → verification none (`,
    );
    // Read back: the chain round-trips, and the visible line is what the JSON renders.
    const parsed = parseRecoveryLog(log);
    expect(parsed.records.map((p) => p.record)).toEqual(records(pm));
    expect(parsed.records[0]!.edited).toEqual([]);
  }, 60_000);

  it('a trigger\'s report: detection from the alert\'s detected_at, else the failing run\'s start; its untrusted text escaped', async () => {
    const r = createRepo();
    repos.push(r);
    const base = {
      schema: 'rollback-gate/rollback-report@1',
      target: { input: 'abc', kind: 'commit', resolved: 'abc' },
      strategy: 'revert-squash',
      commits: ['b'.repeat(40)],
      culprit: null,
      culpritBlastRadius: [],
      cascade: [],
      bisect: null,
      checks: [],
      files: ['src/a.ts'],
      sessionId: null,
      startedAt: ago(10),
      detectedAt: null,
      finishedAt: ago(5),
      verified: false,
      verification: 'none',
      verificationNote: 'not verified: no checks configured (verify.commands)',
      phase: 'apply',
      plan: { path: '/tmp/plan.json', digest: `sha256:${'1'.repeat(64)}`, createdAt: ago(11), runUrl: null },
      approvals: [],
      actor: 'github-actions[bot]',
      outcome: 'succeeded',
      error: null,
      rollbackSha: 'c'.repeat(40),
      branch: 'rollback/abc',
      prUrl: 'https://github.com/octo-org/octo-repo/pull/77',
    };
    const alert = { event: 'repository_dispatch', verdict: 'rollback', reason: 'alert <b>fired</b>\n::error::x', decisions: [], detectedAt: ago(30), alert: { reason: 'p99 latency', source: 'grafana', severity: 'critical', target: null, detectedAt: ago(25) }, failingRun: null };
    const file = join(r.root, 'alert.json');
    writeFileSync(file, JSON.stringify({ ...base, trigger: alert }));
    const run = await runAction('postmortem', { workspace: r.dir, inputs: { report: file, type: 'other', commit: 'none' }, env: env() });
    expect(run.exitCode).toBe(0);
    const [record] = records(run);
    expect(record).toMatchObject({ detectedAt: alert.alert.detectedAt, detectedAtSource: 'alert' });
    expect(record!.chain).toMatchObject({
      trigger: { event: 'repository_dispatch', detail: 'grafana, critical, p99 latency; alert <b>fired</b>\n::error::x' },
      approval: { source: 'actor', by: ['github-actions[bot]'] },
      plan: { prebuilt: false },
      apply: { prUrl: 'https://github.com/octo-org/octo-repo/pull/77' },
    });
    const log = readFileSync(join(r.dir, run.outputs['record-path']!), 'utf8');
    expect(log).toContain(`(detected ${alert.alert.detectedAt}: the alert's detected_at`);
    const line = log.split('\n').find((l) => l.startsWith('- **Chain of custody**'))!;
    expect(line).toContain('repository\\_dispatch (grafana, critical, p99 latency; alert &lt;b&gt;fired&lt;/b&gt; ::error::x)');
    expect(line).not.toContain('<b>');
    expect(log.split('\n').some((l) => l.startsWith('::'))).toBe(false);

    const red = { event: 'workflow_run', verdict: 'rollback', reason: 'CI failed on main', decisions: [], detectedAt: ago(30), alert: null, failingRun: { id: 7, url: 'https://github.com/octo-org/octo-repo/actions/runs/7', headSha: 'd'.repeat(40), workflow: 'CI', startedAt: ago(40) } };
    writeFileSync(file, JSON.stringify({ ...base, trigger: red }));
    const second = await runAction('postmortem', { workspace: r.dir, inputs: { report: file, type: 'other', commit: 'none' }, env: env() });
    expect(second.exitCode).toBe(0);
    expect(records(second).at(-1)).toMatchObject({ detectedAt: red.failingRun.startedAt, detectedAtSource: 'failing-run', chain: { trigger: { event: 'workflow_run', detail: `CI ${red.failingRun.url}; CI failed on main` } } });
  }, 60_000);
});
