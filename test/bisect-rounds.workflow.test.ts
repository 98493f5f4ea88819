/**
 * examples/workflows/bisect.yml, played through the committed bundles: each job's `with:` taken
 * from the file and its expressions resolved as the runner would, every job on a fresh clone of
 * the remote (as a fresh runner checks out), the verdict files carried from the probe jobs to the
 * next round as upload-artifact / download-artifact (pattern, merge-multiple) would carry them.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { VERDICT_SCHEMA } from '@rollback-gate/core';
import { checkout, COMMAND, session } from './bisect-rounds.session.js';
import { useGitHubApi } from './harness/loopback-api.js';
import { git, tempDir, type TestRepo } from './harness/repo.js';
import { ROOT, runAction, type ActionRun } from './harness/run-action.js';

type Obj = Record<string, unknown>;
interface Step {
  id?: string;
  uses?: string;
  with?: Obj;
}
interface Job {
  permissions?: unknown;
  needs?: string | string[];
  if?: string;
  strategy?: { matrix?: unknown };
  steps: Step[];
}

const workflow = load(readFileSync(join(ROOT, 'examples', 'workflows', 'bisect.yml'), 'utf8')) as { jobs: Record<string, Job> };
const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

/** Resolves `${{ <expr> }}` from exact expression texts; an expression the test does not give is an error. */
function resolve(value: unknown, context: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    if (!Object.hasOwn(context, expr)) throw new Error(`the test gives no value for \${{ ${expr} }}`);
    return context[expr]!;
  });
}
const resolveWith = (step: Step, context: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, resolve(v, context)]));

const stepOf = (job: string, predicate: (s: Step) => boolean): Step => {
  const step = workflow.jobs[job]!.steps.find(predicate);
  if (!step) throw new Error(`jobs.${job} has no such step`);
  return step;
};
const ours = (s: Step) => s.uses === 'rollback-gate/rollback-gate/actions/bisect-round@v1';

describe('examples/workflows/bisect.yml, played', () => {
  it('rounds as matrices of probe jobs, verdicts handed on as artifacts: the culprit in 2 probe rounds with parallel 4, a skipped commit stepped around; then plan (no probe run again) and apply (the rollback PR)', async () => {
    const { r, commits } = session(repos);
    const rounds = Object.keys(workflow.jobs).filter((j) => /^round-\d+$/.test(j)).length;
    // Every run of the command leaves a line, so the test can tell which job ran it.
    const runsLog = join(r.root, 'runs.log');
    const command = `echo run >> "${runsLog}"; ${COMMAND}`;
    const inputs = { 'inputs.good': 'checkpoint/s1', 'inputs.bad || github.sha': commits[9]!, 'inputs.parallel': '4', 'inputs.command': command, 'inputs.retries': '0' };
    const artifacts = tempDir('rg-artifacts-'); // the run's artifact store: <name>/<file>
    const needs: Record<string, string> = {};
    const matrices: Array<Array<{ commit: string; role: string }>> = [];
    let plan: ActionRun | undefined;

    for (let round = 1; round <= rounds; round++) {
      const job = `round-${round}`;
      // The job runs only when the round before it still had something to probe.
      if (round > 1) {
        expect(workflow.jobs[job]!.if).toBe(`needs.round-${round - 1}.outputs.status == 'probe'`);
        if (needs[`round-${round - 1}.status`] !== 'probe') break;
      }
      const runnerTemp = tempDir('rg-runner-temp-');
      const context: Record<string, string> = { ...inputs, 'runner.temp': runnerTemp, 'needs.round-1.outputs.good': needs['round-1.good'] ?? '', 'needs.round-1.outputs.bad': needs['round-1.bad'] ?? '' };
      if (round > 1) {
        // download-artifact: every artifact named bisect-verdict-*, merged into one folder.
        const download = stepOf(job, (s) => s.uses === 'actions/download-artifact@v4');
        expect(download.with).toMatchObject({ pattern: 'bisect-verdict-*', 'merge-multiple': true });
        const into = resolve(download.with!.path, context);
        mkdirSync(into, { recursive: true });
        for (const name of readdirSync(artifacts).filter((n) => n.startsWith('bisect-verdict-'))) {
          for (const file of readdirSync(join(artifacts, name))) copyFileSync(join(artifacts, name, file), join(into, file));
        }
      }
      plan = await runAction('bisect-round', { workspace: checkout(r), inputs: resolveWith(stepOf(job, ours), context) });
      expect([plan.exitCode, plan.stderr, plan.stdout.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, '', []]);
      needs[`round-${round}.status`] = plan.outputs.status!;
      if (round === 1) Object.assign(needs, { 'round-1.good': plan.outputs.good!, 'round-1.bad': plan.outputs.bad! });
      if (plan.outputs.status !== 'probe') break;

      // The probe jobs: one per matrix entry, each on its own runner.
      const probeJob = workflow.jobs[`probe-${round}`]!;
      expect(probeJob.strategy?.matrix).toBe(`\${{ fromJSON(needs.round-${round}.outputs.matrix) }}`);
      const matrix = (JSON.parse(plan.outputs.matrix!) as { include: Array<{ commit: string; role: string }> }).include;
      expect(matrix.length).toBeGreaterThan(0);
      expect(matrix.length).toBeLessThanOrEqual(4);
      matrices.push(matrix);
      for (const entry of matrix) {
        const probeContext = {
          ...context,
          'needs.round-1.outputs.good': needs['round-1.good']!,
          'needs.round-1.outputs.bad': needs['round-1.bad']!,
          'runner.temp': tempDir('rg-runner-temp-'),
          'matrix.commit': entry.commit,
        };
        const probe = await runAction('bisect-round', { workspace: checkout(r), inputs: { ...resolveWith(stepOf(`probe-${round}`, ours), probeContext), token: 'ghs_probe-token' } });
        expect([probe.exitCode, probe.stdout.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []]);
        expect(probe.outputs.verdict).toMatch(/^(good|bad|skip)$/);
        // upload-artifact: the verdict file under the artifact's name.
        const upload = stepOf(`probe-${round}`, (s) => s.uses === 'actions/upload-artifact@v4');
        const uploadContext = { ...probeContext, 'steps.probe.outputs.verdict-path': probe.outputs['verdict-path']! };
        const name = resolve(upload.with!.name, uploadContext);
        mkdirSync(join(artifacts, name), { recursive: true });
        const path = resolve(upload.with!.path, uploadContext);
        copyFileSync(path, join(artifacts, name, path.split('/').at(-1)!));
      }
    }

    // Round 1: the bad end and 3 commits between; round 2: what is left between the last good and the first bad.
    expect(matrices).toHaveLength(2);
    expect(matrices[0]!.map((p) => p.role)).toEqual(['between', 'between', 'between', 'bad-end']);
    expect(matrices[0]!.map((p) => commits.indexOf(p.commit))).toEqual([1, 4, 6, 9]);
    // 4 was skipped: round 2 probes every commit between the last good (1) and the first bad (6) but 4.
    expect(matrices[1]!.map((p) => commits.indexOf(p.commit))).toEqual([2, 3, 5]);
    // The third round concludes: the culprit, found without probing anything more.
    expect(plan!.outputs).toMatchObject({ status: 'culprit', culprit: commits[6], candidates: '1', matrix: '{"include":[]}' });
    expect(plan!.summary).toContain('## 🎯 Bisect, round 3 of 6: the culprit is');
    expect(plan!.summary).toContain(`**Culprit: \`${commits[6]!.slice(0, 12)}\`** feat: step 6 (commit 7 of 10).`);
    expect(plan!.summary).toContain('| 6 of 10 | `' + commits[5]!.slice(0, 12) + '` | feat: step 5 | ✅ good |');
    // Every verdict file is ours, for this range.
    const files = readdirSync(artifacts).flatMap((n) => readdirSync(join(artifacts, n)).map((f) => JSON.parse(readFileSync(join(artifacts, n, f), 'utf8')) as Obj));
    expect(files).toHaveLength(7);
    expect(files.find((f) => f.commit === commits[4])).toMatchObject({ verdict: 'skip', exitCodes: [125] });
    expect(files.every((f) => f.schema === VERDICT_SCHEMA && f.good === needs['round-1.good'] && f.bad === commits[9])).toBe(true);
    const probeRuns = readFileSync(runsLog, 'utf8');
    expect(probeRuns.split('\n').filter(Boolean)).toHaveLength(7);

    // The plan job: every verdict downloaded, the rollback planned from them (read-only, no token).
    const planJob = workflow.jobs.plan!;
    expect(planJob.needs).toEqual(['round-1', `round-${rounds}`, `probe-${rounds}`]);
    expect(planJob.if).toBe('${{ !cancelled() && !failure() }}');
    const planContext: Record<string, string> = { ...inputs, 'runner.temp': tempDir('rg-runner-temp-'), 'needs.round-1.outputs.good': needs['round-1.good']!, 'needs.round-1.outputs.bad': needs['round-1.bad']! };
    const download = planJob.steps.find((st) => st.uses === 'actions/download-artifact@v4')!;
    expect(download.with).toMatchObject({ pattern: 'bisect-verdict-*', 'merge-multiple': true });
    const into = resolve(download.with!.path, planContext);
    mkdirSync(into, { recursive: true });
    for (const name of readdirSync(artifacts)) for (const file of readdirSync(join(artifacts, name))) copyFileSync(join(artifacts, name, file), join(into, file));
    const rollbackStep = planJob.steps.find((st) => st.uses === 'rollback-gate/rollback-gate/actions/rollback@v1')!;
    const planned = await runAction('rollback', {
      workspace: checkout(r),
      inputs: resolveWith(rollbackStep, planContext),
      env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '30' },
    });
    expect([planned.exitCode, planned.stdout.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []]);
    expect(planned.outputs).toMatchObject({ strategy: 'bisect', culprit: commits[6] });
    expect(readFileSync(runsLog, 'utf8')).toBe(probeRuns); // the plan job ran no probe again
    const sealed = JSON.parse(readFileSync(planned.outputs['plan-path']!, 'utf8')) as { commits: Array<{ sha: string; reason: string }> };
    expect(sealed.commits).toEqual([expect.objectContaining({ sha: commits[6], reason: expect.stringMatching(/^culprit/) })]);
    const report = JSON.parse(readFileSync(planned.outputs['report-path']!, 'utf8')) as { bisect: { runs: number; skipped: number } };
    expect(report.bisect).toEqual({ runs: 7, skipped: 1 }); // the whole bisect, over every runner

    // The apply job: the plan artifact downloaded into a folder and applied with the write token: the rollback PR.
    const applyJob = workflow.jobs.apply!;
    const planArtifact = planJob.steps.find((st) => st.uses === 'actions/upload-artifact@v4')!;
    const fetchPlan = applyJob.steps.find((st) => st.uses === 'actions/download-artifact@v4')!;
    expect(fetchPlan.with?.name).toBe(planArtifact.with?.name);
    const applyTemp = tempDir('rg-runner-temp-');
    const planDir = resolve(fetchPlan.with!.path, { 'runner.temp': applyTemp });
    mkdirSync(planDir, { recursive: true });
    const planPath = resolve(planArtifact.with!.path, { 'steps.plan.outputs.plan-path': planned.outputs['plan-path']! });
    copyFileSync(planPath, join(planDir, planPath.split('/').at(-1)!));
    const applyStep = applyJob.steps.find((st) => st.uses === 'rollback-gate/rollback-gate/actions/rollback@v1')!;
    const applied = await runAction('rollback', {
      workspace: checkout(r),
      inputs: { ...resolveWith(applyStep, { 'runner.temp': applyTemp }), token: 'ghs_apply' },
      env: { GITHUB_API_URL: loopback.server.url },
    });
    expect([applied.exitCode, applied.stdout.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []]);
    expect(applied.outputs).toMatchObject({ strategy: 'bisect', culprit: commits[6], commits: JSON.stringify([commits[6]]) });
    expect(applied.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    expect(readFileSync(runsLog, 'utf8')).toBe(probeRuns); // nor did the apply job
    expect(git(r.remote, ['show', `refs/heads/${applied.outputs.branch}:src/core.ts`])).toBe('export const core = 1;');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(commits[9]);
  });

  it('each job holds exactly its needs: read-only probes without credentials, one job per round, the rounds the first round promises', () => {
    const rounds = Object.keys(workflow.jobs).filter((j) => /^round-\d+$/.test(j));
    expect(rounds.length).toBeGreaterThanOrEqual(6);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (!/^(round|probe)-\d+$/.test(name)) continue;
      expect([name, job.permissions]).toEqual([name, { contents: 'read' }]);
      const checkoutStep = job.steps.find((s) => s.uses === 'actions/checkout@v4');
      expect([name, checkoutStep?.with]).toEqual([name, { 'fetch-depth': 0, 'persist-credentials': false }]);
      const step = job.steps.find(ours)!;
      expect([name, step.with?.token]).toEqual([name, '']);
      if (name.startsWith('round-')) expect([name, String(step.with?.rounds)]).toEqual([name, String(rounds.length)]);
    }
  });
});

