/**
 * The alert → pre-built plan path as one flow, through the committed bundles on a real repository
 * with a bare remote and the OpenAPI-checked loopback API, each step as the copy-paste workflows
 * say: a PR lands (push to main) → store-plan.yml stores `refs/rollback-gate/plans/<sha>` → later
 * commits land (each push stores its own) → an alert (`repository_dispatch` `rollback-gate`, a
 * real-shaped client_payload, target omitted or given) → alert-rollback.yml's plan job (read-only)
 * executes the stored plan, runs no check, seals the rollback plan → its apply job (write token,
 * in the Environment) re-reads the stored plan and delivers the rollback PR → the postmortem records
 * it, detected at the alert's detected_at, with the chain of custody.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { RecoveryRecord } from '@rollback-gate/core';
import { useGitHubApi } from './harness/loopback-api.js';
import { playPlanApply, playStorePlan, stubTriggerApi } from './harness/play-workflow.js';
import { createRepo, git, tempDir, type TestRepo } from './harness/repo.js';
import { webhookPayload } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

beforeEach(() => stubTriggerApi(loopback.server, 'roll it back'));

const planRef = (sha: string): string => `refs/rollback-gate/plans/${sha}`;
const env = () => ({ GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' });
const json = (path: string): Record<string, any> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

/** A project whose one check leaves a mark when it runs (so a test sees whether the plan job ran it). */
function project(): { r: TestRepo; marker: string } {
  const marker = join(tempDir('rg-marker-'), 'checks-ran');
  const r = createRepo({
    initial: {
      'README.md': '# app\n',
      'src/app.js': 'export const app = 1;\n',
      '.github/rollback-gate.yml': `verify:\n  commands: [{ name: tests, run: 'echo ran >> ${marker}' }]\ntriggers:\n  enabled: true\n`,
    },
  });
  repos.push(r);
  return { r, marker };
}

/** Lands a commit on main with a push, and plays store-plan.yml on that push (a real push payload). */
async function land(r: TestRepo, message: string, files: Record<string, string>): Promise<{ sha: string; digest: string }> {
  const before = r.head();
  const sha = r.commit(message, files);
  r.git(['push', '--quiet', 'origin', 'main']);
  const payload = webhookPayload('push', undefined, { ref: 'refs/heads/main', before, after: sha, repository: { default_branch: 'main', master_branch: 'main' } });
  const store = await playStorePlan(r, { name: 'push', payload });
  expect(store.stderr).toBe('');
  expect(store.exitCode).toBe(0);
  const [outcome] = JSON.parse(store.outputs['stored-plans']!) as Array<{ landed: string; status: string; digest: string }>;
  expect(outcome).toMatchObject({ landed: sha, status: 'stored' });
  return { sha, digest: outcome!.digest };
}

/** An alert as a Grafana/Alertmanager relay sends it (the README's gh api call), on GitHub's repository_dispatch example. */
function alert(clientPayload: Record<string, unknown>) {
  const payload = webhookPayload('repository_dispatch', undefined, { action: 'rollback-gate', branch: 'main' }) as Record<string, unknown>;
  payload.client_payload = clientPayload;
  return { name: 'repository_dispatch', payload };
}

/** ISO time `minutes` ago, whole seconds. */
const ago = (minutes: number): string => new Date(Math.floor((Date.now() - minutes * 60_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

describe('alert → pre-built plan → approved apply → postmortem, one flow', () => {
  it('an alert without a target: the newest landed unit is rolled back by executing the plan stored when it landed', async () => {
    const { r, marker } = project();
    const pr = await land(r, 'feat: widget (#9)', { 'src/widget.js': 'export const widget = 1;\n' });
    const beforeNewest = pr.sha;
    const newest = await land(r, 'feat: banner (#10)', { 'src/banner.js': 'export const banner = 1;\n', 'src/app.js': 'export const app = 2;\n' });
    expect(git(r.remote, ['for-each-ref', '--format=%(refname)', 'refs/rollback-gate/plans/']).split('\n').sort()).toEqual([planRef(pr.sha), planRef(newest.sha)].sort());

    const detected = ago(25);
    const event = alert({ reason: 'error rate 12% on /checkout', source: 'alertmanager', severity: 'page', detected_at: detected });
    const { plan, apply, postmortem } = await playPlanApply('alert-rollback.yml', r, event, { env: env() });

    // The plan job (read-only) used the stored plan at once: no check ran.
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const planReport = json(plan.outputs['report-path']!);
    expect(planReport.prebuilt).toEqual({ ref: planRef(newest.sha), commit: git(r.remote, ['rev-parse', planRef(newest.sha)]), landed: newest.sha, digest: newest.digest, movedBy: 0, replanned: false });
    expect(planReport.verification).toBe('none');
    expect(planReport.verificationNote).toContain('an alert starts executes it at once');
    const sealed = json(plan.outputs['plan-path']!);
    expect(sealed.prebuilt).toEqual({ ref: planRef(newest.sha), commit: planReport.prebuilt.commit, landed: newest.sha, digest: newest.digest, movedBy: 0 });
    expect(sealed.commits.map((c: { sha: string }) => c.sha)).toEqual([newest.sha]);
    expect(sealed.expectedTree).toBe(git(r.dir, ['rev-parse', `${beforeNewest}^{tree}`]));

    // The apply job (in the Environment) executed it: exactly the tree before the newest unit landed.
    expect(apply!.stderr).toBe('');
    expect(apply!.exitCode).toBe(0);
    expect(JSON.parse(apply!.outputs.commits!)).toEqual([newest.sha]);
    expect(apply!.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    const branch = apply!.outputs.branch!;
    expect(git(r.remote, ['rev-parse', `refs/heads/${branch}^{tree}`])).toBe(git(r.dir, ['rev-parse', `${beforeNewest}^{tree}`]));
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(newest.sha); // delivered as a PR, main untouched
    const report = json(apply!.outputs['report-path']!);
    expect(report.phase).toBe('apply');
    expect(report.prebuilt).toEqual(planReport.prebuilt);
    expect(report.plan).toMatchObject({ digest: sealed.seal });
    expect(report.verification).toBe('none');
    expect(report.verificationNote).toContain(`the plan job executed the plan stored when ${newest.sha.slice(0, 12)} landed`);
    expect(apply!.summary).toContain(`The plan stored when \`${newest.sha.slice(0, 12)}\` landed`);
    expect(apply!.summary).toContain('Apply checked the plan against the repository');
    expect(existsSync(marker)).toBe(false);

    // The postmortem: detected at the alert's detected_at; the chain names the stored plan.
    expect(postmortem!.stderr).toBe('');
    expect(postmortem!.exitCode).toBe(0);
    const [record] = JSON.parse(postmortem!.outputs.records!) as RecoveryRecord[];
    expect(record!.detectedAt).toBe(detected);
    expect(record!.detectedAtSource).toBe('alert');
    expect(record!.ttrMinutes).toBeGreaterThanOrEqual(25);
    expect(record!.chain).toEqual({
      trigger: { event: 'repository_dispatch', detail: expect.stringContaining('alertmanager, page, error rate 12% on /checkout') },
      plan: { digest: sealed.seal, source: report.plan.path, prebuilt: true, createdAt: sealed.createdAt, stored: { ref: planRef(newest.sha), digest: newest.digest } },
      approval: { source: 'environment', by: ['oncall-lead (rollback)'], at: report.startedAt },
      apply: { phase: 'apply', at: report.finishedAt, outcome: 'succeeded', sha: report.rollbackSha, prUrl: apply!.outputs['pr-url'] },
      verification: { status: 'none', note: expect.stringContaining('ran no check') },
    });
    expect(postmortem!.summary).toContain(`made by the plan job from the plan pre-built when the change landed (refs/rollback-gate/plans/${newest.sha}, ${newest.digest})`);
  }, 120_000);

  it('an alert naming a target that landed earlier: its stored plan, re-planned on the moved tip without running anything', async () => {
    const { r, marker } = project();
    const pr = await land(r, 'feat: widget (#9)', { 'src/widget.js': 'export const widget = 1;\n' });
    const later = await land(r, 'feat: later (#10)', { 'src/later.js': 'export const later = 1;\n' });
    const event = alert({ target: pr.sha, reason: 'widget errors', source: 'grafana', severity: 'critical', detected_at: ago(5) });
    const { plan, apply, postmortem } = await playPlanApply('alert-rollback.yml', r, event, { env: env() });
    expect(plan.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(json(plan.outputs['report-path']!).prebuilt).toMatchObject({ landed: pr.sha, digest: pr.digest, movedBy: 1, replanned: true });
    expect(apply!.exitCode).toBe(0);
    expect(JSON.parse(apply!.outputs.commits!)).toEqual([pr.sha]);
    const tree = `refs/heads/${apply!.outputs.branch!}`;
    expect(git(r.remote, ['ls-tree', '-r', '--name-only', tree]).split('\n')).toEqual(['.github/rollback-gate.yml', 'README.md', 'src/app.js', 'src/later.js']);
    expect(git(r.remote, ['rev-parse', `${tree}^`])).toBe(later.sha);
    expect(json(apply!.outputs['report-path']!).prebuilt).toMatchObject({ landed: pr.sha, movedBy: 1, replanned: true });
    expect(postmortem!.exitCode).toBe(0);
    expect((JSON.parse(postmortem!.outputs.records!) as RecoveryRecord[])[0]!.chain!.plan).toMatchObject({ prebuilt: true, stored: { ref: planRef(pr.sha), digest: pr.digest } });
  }, 120_000);

  it('without a stored plan the plan job plans from scratch and runs the checks (the control)', async () => {
    const { r, marker } = project();
    r.commit('feat: unstored (#11)', { 'src/unstored.js': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const { plan } = await playPlanApply('alert-rollback.yml', r, alert({ reason: 'errors', source: 'grafana' }), { env: env() });
    expect(plan.exitCode).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    const planReport = json(plan.outputs['report-path']!);
    expect(planReport.prebuilt).toBeNull();
    expect(planReport.verification).toBe('passed');
    expect(json(plan.outputs['plan-path']!).prebuilt).toBeUndefined();
  }, 120_000);

  it('the stored plan changed or deleted between the plan job and apply: apply refuses and pushes nothing', async () => {
    const { r } = project();
    const newest = await land(r, 'feat: widget (#9)', { 'src/widget.js': 'export const widget = 1;\n' });
    const event = alert({ reason: 'errors', source: 'grafana' });
    // Swap the ref for another commit holding the same plan.json (what a push to the ref could do) once the plan job has read it.
    const swapAfterPlan = (swap: () => void) => playPlanApply('alert-rollback.yml', r, event, { env: env(), beforeApply: swap });
    const changed = await swapAfterPlan(() => {
      const tree = git(r.remote, ['rev-parse', `${planRef(newest.sha)}^{tree}`]);
      const forged = git(r.remote, ['commit-tree', tree, '-m', 'stored again by someone else']);
      git(r.remote, ['update-ref', planRef(newest.sha), forged]);
    });
    expect(changed.plan.exitCode).toBe(0);
    expect(changed.apply!.exitCode).toBe(1);
    expect(changed.apply!.annotations[0]!.message).toContain(`that ref now holds another plan`);
    expect(git(r.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/rollback/'])).toBe('');

    const gone = await swapAfterPlan(() => git(r.remote, ['update-ref', '-d', planRef(newest.sha)]));
    expect(gone.apply!.exitCode).toBe(1);
    expect(gone.apply!.annotations[0]!.message).toContain('and that ref is gone; nothing was pushed');
    expect(git(r.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/rollback/'])).toBe('');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(newest.sha);
  }, 120_000);
});
