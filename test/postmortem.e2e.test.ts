/**
 * The postmortem bundle, run as GitHub's runner runs it, against real repositories with a bare
 * remote and the loopback GitHub API (every request validated against GitHub's OpenAPI description).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ROLLBACK_REPORT_SCHEMA, parseRecoveryLog, type RecoveryRecord, type RollbackReport } from '@rollback-gate/core';
import { startGitHubApi, type GitHubApiServer } from './harness/github-api.js';
import { checkMarkdown } from './harness/markdown-check.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction, type ActionRun } from './harness/run-action.js';

const TOKEN = 'ghs_postmortem_test';
const repos: TestRepo[] = [];
let api: GitHubApiServer;

beforeAll(async () => {
  api = await startGitHubApi({ token: TOKEN });
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
  expect(api.violations).toEqual([]);
});

function repo(): TestRepo {
  const r = createRepo({ initial: { 'README.md': '# app\n', 'src/a.ts': 'export const a = 1;\n' } });
  repos.push(r);
  return r;
}

function pm(r: TestRepo, inputs: Record<string, string>, options: { token?: boolean } = {}): Promise<ActionRun> {
  return runAction('postmortem', {
    workspace: r.dir,
    inputs: options.token ? { token: TOKEN, ...inputs } : inputs,
    env: { GITHUB_API_URL: api.url },
  });
}

const SHA = (c: string): string => c.repeat(40);

function rollbackReport(overrides: Partial<RollbackReport> = {}): RollbackReport {
  return {
    schema: ROLLBACK_REPORT_SCHEMA,
    target: { input: 's1', kind: 'session', resolved: `${SHA('a').slice(0, 12)}..${SHA('b').slice(0, 12)}` },
    strategy: 'revert-squash',
    commits: [SHA('b')],
    culprit: null,
    culpritBlastRadius: [],
    cascade: [],
    bisect: null,
    checks: [],
    files: ['src/a.ts', 'src/b.ts'],
    sessionId: 's1',
    startedAt: '2026-03-01T10:05:00Z',
    detectedAt: '2026-03-01T10:00:00Z',
    finishedAt: '2026-03-01T10:14:00Z',
    verified: true,
    outcome: 'succeeded',
    error: null,
    rollbackSha: SHA('c'),
    branch: 'rollback/s1',
    prUrl: null,
    ...overrides,
  };
}

function writeReport(r: TestRepo, report: RollbackReport, name = 'report.json'): string {
  const path = join(r.root, name);
  writeFileSync(path, JSON.stringify(report, null, 2));
  return path;
}

const read = (r: TestRepo, path = 'docs/DECISIONS.md'): string => readFileSync(join(r.dir, path), 'utf8');
const records = (run: ActionRun): RecoveryRecord[] => JSON.parse(run.outputs.records!) as RecoveryRecord[];
const remoteRefs = (r: TestRepo): string => git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
const status = (r: TestRepo): string => r.git(['status', '--porcelain=v1', '--untracked-files=all']);

/** ISO time `days` days and `minutes` minutes before now, whole seconds. */
function ago(days: number, minutes = 0): string {
  const t = Math.floor((Date.now() - days * 86_400_000 - minutes * 60_000) / 1000) * 1000;
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

const manual = (detected: string, recovered: string, extra: Record<string, string> = {}): Record<string, string> => ({
  type: 'logic-error',
  detection: 'CI',
  strategy: 'manual revert',
  scope: '2 files',
  'detected-at': detected,
  'recovered-at': recovered,
  ...extra,
});

describe('postmortem bundle: the record and the figures', () => {
  it('creates the log with a header, appends the record, and the outputs round-trip with the file', async () => {
    const r = repo();
    const head = r.head();
    const run = await pm(r, manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z', { 'root-cause': 'pager off by one', prevention: 'property test' }));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'record-path': 'docs/DECISIONS.md', 'time-to-recovery-minutes': '14', 'mttr-minutes': '14' });

    const log = read(r);
    expect(log.startsWith('# Decisions log\n\nRecovery records, oldest first')).toBe(true);
    expect(log).toContain(
      [
        '## Recovery Event: 2026-03-01',
        '- **Type**: Rollback due to logic error',
        '- **Scope**: 2 files',
        '- **Detection**: CI',
        '- **Recovery strategy used**: manual revert',
        '- **Time to recovery**: 14 minutes (detected 2026-03-01T10:00:00Z, recovered 2026-03-01T10:14:00Z)',
        '- **Root cause**: pager off by one',
        '- **Prevention**: property test',
        '<!-- rollback-gate:record {"id":"2026-03-01-run-4242","ttrMinutes":14,',
      ].join('\n'),
    );
    const parsed = parseRecoveryLog(log);
    expect(parsed.records.map((p) => p.record)).toEqual(records(run));
    expect(records(run)[0]).toMatchObject({ id: '2026-03-01-run-4242', outcome: 'recovered', rootCause: 'pager off by one', runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242/attempts/1' });
    // commit: none touches no git state.
    expect(r.head()).toBe(head);
    expect(status(r)).toBe('?? docs/DECISIONS.md');
    // One event: a table, not a chart of one bar.
    expect(run.summary).not.toContain('xychart-beta');
    expect(run.summary).toContain('| `2026-03-01-run-4242` | 2026-03-01T10:00:00Z | 14 minutes |');
    expect(run.summary).toContain('| MTTR (minutes) | 14 | ');
  });

  it('computes MTTR exactly over every record and over the last 30 days', async () => {
    const r = repo();
    // Hand-computed: all = (60 + 20 + 10.5) / 3 = 30.1666… -> 30.17; last 30 days = (20 + 10.5) / 2 = 15.25.
    const runs: ActionRun[] = [];
    for (const [days, minutes] of [
      [100, 60],
      [10, 20],
      [5, 10.5],
    ] as const) {
      const run = await pm(r, manual(ago(days, minutes), ago(days)));
      expect(run.exitCode).toBe(0);
      runs.push(run);
    }
    expect(runs.map((run) => run.outputs['time-to-recovery-minutes'])).toEqual(['60', '20', '10.5']);
    expect(runs.map((run) => run.outputs['mttr-minutes'])).toEqual(['60', '40', '30.17']);
    const last = runs[2]!;
    expect(records(last).map((x) => x.ttrMinutes)).toEqual([60, 20, 10.5]);
    expect(last.summary).toContain('| recoveries | 3 | 2 |');
    expect(last.summary).toContain('| MTTR (minutes) | 30.17 | 15.25 |');
    expect(last.summary).toContain('bar [60, 20, 10.5]');
    expect(last.summary).toContain('line [60, 40, 30.17]');
    expect(last.summary).toMatch(/\| month \| recoveries \| failed \| MTTR \(minutes\) \| change \|/);
    expect(parseRecoveryLog(read(r)).records.map((p) => p.record)).toEqual(records(last));
  });

  it('reads a hand-edited, corrupted log: hand-written records listed, the bad JSON line reported with its line, MTTR over the rest', async () => {
    const r = repo();
    expect((await pm(r, manual('2026-02-01T10:00:00Z', '2026-02-01T10:30:00Z'))).exitCode).toBe(0);
    expect((await pm(r, manual('2026-02-02T10:00:00Z', '2026-02-02T10:50:00Z'))).exitCode).toBe(0);
    const lines = read(r).split('\n');
    const markers = lines.map((l, i) => (l.startsWith('<!-- rollback-gate:record') ? i : -1)).filter((i) => i >= 0);
    expect(markers).toHaveLength(2);
    lines[markers[1]!] = lines[markers[1]!]!.replace('"ttrMinutes":50,', '"ttrMinutes":50,,');
    const ttrLine = lines.findIndex((l) => l.startsWith('- **Time to recovery**: 30 minutes'));
    lines[ttrLine] = lines[ttrLine]!.replace('30 minutes', '3 minutes');
    lines.splice(markers[0]! + 1, 0, '', '## Outage of 2025-12-24 (written by hand)', '- **Time to recovery**: about an hour');
    const edited = lines.join('\n');
    writeFileSync(join(r.dir, 'docs/DECISIONS.md'), edited);
    const corruptLine = edited.split('\n').findIndex((l) => l.includes('"ttrMinutes":50,,')) + 1;

    const run = await pm(r, manual('2026-02-03T10:00:00Z', '2026-02-03T10:10:00Z'));
    expect(run.exitCode).toBe(0);
    // (30 + 10) / 2: the corrupt record is skipped, the hand-written one counted but not guessed at.
    expect(run.outputs['mttr-minutes']).toBe('20');
    expect(records(run).map((x) => x.ttrMinutes)).toEqual([30, 10]);
    expect(read(r).startsWith(edited)).toBe(true);
    const warning = run.annotations.find((a) => a.properties.title === 'Recovery log');
    expect(warning).toMatchObject({ level: 'warning', properties: { file: 'docs/DECISIONS.md', line: String(corruptLine) } });
    expect(warning!.message).toMatch(/JSON is not valid .*MTTR is computed over the other records/);
    expect(run.summary).toContain('### Hand-written records (no JSON line: counted, not parsed)');
    expect(run.summary).toMatch(/\| \d+ \| Outage of 2025-12-24 \\\(written by hand\\\) \|/);
    expect(run.summary).toContain('plus 1 hand-written (counted, not in MTTR); 1 skipped');
    expect(run.summary).toMatch(/Record "2026-02-01-run-4242" \\\(line \d+\\\) was edited by hand .*Time to recovery/);
  });

  it('records a failed rollback as a failed recovery, not counted in MTTR', async () => {
    const r = repo();
    expect((await pm(r, manual('2026-03-01T08:00:00Z', '2026-03-01T08:12:00Z'))).exitCode).toBe(0);
    const report = writeReport(r, rollbackReport({ outcome: 'failed', error: 'revert conflict in src/a.ts', finishedAt: '2026-03-01T10:20:00Z', verified: false, rollbackSha: null }));
    const run = await pm(r, { report, type: 'logic-error', 'root-cause': 'bad merge' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['time-to-recovery-minutes']).toBe('');
    expect(run.outputs['mttr-minutes']).toBe('12');
    const failed = records(run)[1]!;
    expect(failed).toMatchObject({ outcome: 'failed', ttrMinutes: null, recoveredAt: null, failedAt: '2026-03-01T10:20:00Z', error: 'revert conflict in src/a.ts' });
    const log = read(r);
    expect(log).toContain('## Recovery Event: 2026-03-01 (failed rollback)');
    expect(log).toContain('- **Outcome**: the rollback failed: revert conflict in src/a.ts');
    expect(log).toContain('- **Time to recovery**: not recovered: the rollback failed after 20 minutes (detected 2026-03-01T10:00:00Z); not counted in MTTR');
    expect(run.summary).toContain('recorded as a **failed recovery**');
    expect(run.summary).toContain('| failed recoveries (not in MTTR) | 1 |');
    expect(run.annotations).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringContaining('not counted in MTTR') })]);
  });

  it('fills scope, strategy, culprit and times from the report; a security regression goes to the security log of the config', async () => {
    const r = repo();
    r.commit('config', { '.github/rollback-gate.yml': 'postmortem:\n  security-log: security/LOG.md\n' });
    const report = writeReport(
      r,
      rollbackReport({
        strategy: 'bisect',
        sessionId: 'pr-123',
        commits: [SHA('d'), SHA('e'), SHA('f')],
        culprit: SHA('f'),
        cascade: [{ commit: SHA('e'), reason: 'touches src/a.ts' }, { commit: SHA('d'), reason: 'imports src/a.ts' }],
        bisect: { runs: 4, skipped: 0 },
        files: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'],
        detectedAt: '2026-03-01T11:00:00+01:00',
        finishedAt: '2026-03-01T10:42:30Z',
      }),
    );
    const run = await pm(r, { report, type: 'security-regression', detection: 'secret scanner' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'record-path': 'security/LOG.md', 'time-to-recovery-minutes': '42.5', 'mttr-minutes': '42.5' });
    expect(existsSync(join(r.dir, 'docs/DECISIONS.md'))).toBe(false);
    const log = read(r, 'security/LOG.md');
    expect(log.startsWith('# Security log\n')).toBe(true);
    expect(log).toContain('- **Type**: Rollback due to security regression');
    expect(log).toContain('- **Scope**: 4 files, session pr-123 (3 commits)');
    expect(log).toContain('- **Recovery strategy used**: bisect to the culprit, then a revert of it and 2 dependent commits');
    expect(log).toContain(`- **Culprit**: ${SHA('f')}`);
    expect(log).toContain('- **Time to recovery**: 42.5 minutes (detected 2026-03-01T10:00:00Z, recovered 2026-03-01T10:42:30Z)');
    expect(records(run)[0]).toMatchObject({
      id: '2026-03-01-pr-123',
      scope: { files: 4, sessions: ['pr-123'], commits: 3, text: null },
      culprit: SHA('f'),
      detectedAtSource: 'report',
      recoveredAtSource: 'report',
      rollback: { target: rollbackReport().target.resolved, sha: SHA('c'), prUrl: null, verified: true },
    });
  });

  it('takes detected-at from the culprit\'s first failing check run, else the rollback\'s start as a lower bound', async () => {
    const r = repo();
    const seen: string[] = [];
    api.on('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', (req) => {
      seen.push(String(req.params.ref));
      const run = (id: number, conclusion: string, completed: string): Record<string, unknown> => ({ id, name: `check ${id}`, status: 'completed', conclusion, completed_at: completed });
      return {
        status: 200,
        body: { total_count: 3, check_runs: [run(1, 'success', '2026-03-01T09:40:00Z'), run(2, 'failure', '2026-03-01T09:55:00Z'), run(3, 'timed_out', '2026-03-01T09:50:00Z')] },
      };
    });
    const report = writeReport(r, rollbackReport({ detectedAt: null, culprit: SHA('9'), finishedAt: '2026-03-01T10:20:00Z' }));
    const fromCheck = await pm(r, { report, type: 'logic-error' }, { token: true });
    expect(fromCheck.exitCode).toBe(0);
    expect(seen).toEqual([SHA('9')]);
    expect(fromCheck.outputs['time-to-recovery-minutes']).toBe('30');
    expect(records(fromCheck)[0]).toMatchObject({ detectedAt: '2026-03-01T09:50:00Z', detectedAtSource: 'check-run' });

    const noToken = await pm(r, { report, type: 'logic-error' });
    expect(noToken.exitCode).toBe(0);
    expect(noToken.outputs['time-to-recovery-minutes']).toBe('15');
    expect(records(noToken)[1]).toMatchObject({ id: '2026-03-01-s1-2', detectedAt: '2026-03-01T10:05:00Z', detectedAtSource: 'rollback-start' });
    expect(noToken.summary).toContain('the time to recovery is a lower bound');
    expect(read(r)).toContain("detected 2026-03-01T10:05:00Z: the rollback's start, as the detection time is unknown, so this is a lower bound; recovered 2026-03-01T10:20:00Z");
  });

  it('refuses bad times and reports, writing nothing', async () => {
    const r = repo();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [manual('2026-03-01T10:30:00Z', '2026-03-01T10:00:00Z'), /detected-at 2026-03-01T10:30:00Z \(input `detected-at`\) is after recovered-at 2026-03-01T10:00:00Z/],
      [manual('2026-03-01T11:30:00+02:00', '2026-03-01T09:00:00Z'), /detected-at 2026-03-01T09:30:00Z .* is after recovered-at 2026-03-01T09:00:00Z/],
      [manual('yesterday', '2026-03-01T10:00:00Z'), /input `detected-at` is "yesterday", which is not an ISO 8601 date and time/],
      [manual('2026-03-01T10:00:00Z', '2026-03-01T10:14'), /input `recovered-at` is "2026-03-01T10:14", which has no time zone/],
      [manual('2026-02-30T10:00:00Z', '2026-03-01T10:14:00Z'), /2026-02 has no day 30/],
      [manual('2026-03-01T10:00:00Z', '2999-01-01T00:00:00Z'), /recovered-at 2999-01-01T00:00:00Z is in the future/],
      [{ type: 'logic-error' }, /input `detected-at` is required without a rollback report/],
      [{ type: 'typo', 'detected-at': '2026-03-01T10:00:00Z' }, /input `type` is "typo"; expected one of: architecture-violation, security-regression, logic-error, other/],
      [{ report: writeReport(r, rollbackReport({ outcome: 'dry-run' })) }, /the report is from a dry run/],
      [{ report: writeReport(r, rollbackReport({ outcome: 'planned' }), 'planned.json') }, /the report is from the plan phase: the rollback is planned, not applied/],
      [{ report: writeReport(r, rollbackReport({ outcome: 'declined' }), 'declined.json') }, /the report says a guardrail declined the rollback\. Nothing was rolled back/],
      [{ report: writeReport(r, rollbackReport({ detectedAt: 'soon' }), 'bad.json') }, /the report .*bad\.json's `detectedAt` is "soon"/],
      [{ report: writeReport(r, { ...rollbackReport(), schema: 'x' } as unknown as RollbackReport, 'other.json') }, /is not a rollback report \(schema "x"/],
      [{ report: join(r.root, 'missing.json') }, /cannot be read \(ENOENT\)/],
      [{ report: writeReport(r, rollbackReport({ outcome: 'failed' }), 'f.json'), 'recovered-at': '2026-03-01T10:00:00Z' }, /the report says the rollback failed/],
      [{ ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z'), log: '../outside.md' }, /input `log` is "..\/outside.md", which is not a file path inside the repository: it contains ".."/],
    ];
    for (const [inputs, message] of cases) {
      const run = await pm(r, inputs);
      expect({ inputs, exitCode: run.exitCode }).toEqual({ inputs, exitCode: 1 });
      expect(run.annotations[0]!.message).toMatch(message);
      expect(run.summary).toContain('### Failed');
    }
    expect(existsSync(join(r.dir, 'docs'))).toBe(false);
    expect(existsSync(join(r.root, 'outside.md'))).toBe(false);
    expect(status(r)).toBe('');
  });
});

describe('postmortem bundle: recovery objectives (postmortem.slo)', () => {
  const withConfig = (yaml: string): TestRepo => {
    const r = repo();
    r.commit('config', { '.github/rollback-gate.yml': yaml });
    return r;
  };

  it('an event within the objective meets it, one beyond misses it; the defaults are 60 minutes and 95%', async () => {
    const r = repo();
    const within = await pm(r, manual('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z'));
    expect(within.exitCode).toBe(0);
    // Exactly at the objective meets it.
    expect(within.outputs['slo-met']).toBe('true');
    expect(within.summary).toContain('| SLO (restore within 60 min) | met |');
    const beyond = await pm(r, manual('2026-03-02T10:00:00Z', '2026-03-02T11:00:01Z'));
    expect(beyond.exitCode).toBe(0);
    expect(beyond.outputs['slo-met']).toBe('false');
    expect(beyond.summary).toContain('| SLO (restore within 60 min) | **missed** |');
    expect(beyond.summary).toContain('| within 60 min (SLO attainment) | 50% (1/2) |');
    expect(beyond.summary).toContain('| success rate (objective 95%) | 100% (met) |');
  });

  it('reads the objective from the config', async () => {
    const r = withConfig('postmortem:\n  slo: { time-to-restore-minutes: 15, success-rate: 0.5 }\n');
    const run = await pm(r, manual('2026-03-01T10:00:00Z', '2026-03-01T10:20:00Z'));
    expect(run.exitCode).toBe(0);
    expect(run.outputs['slo-met']).toBe('false');
    expect(run.summary).toContain('| SLO (restore within 15 min) | **missed** |');
    expect(run.summary).toContain('| within 15 min (SLO attainment) | 0% (0/1) |');
    expect(run.summary).toContain('| success rate (objective 50%) | 100% (met) |');
  });

  it('a failed recovery misses the objective and counts against the success rate', async () => {
    const r = repo();
    expect((await pm(r, manual('2026-03-01T08:00:00Z', '2026-03-01T08:12:00Z'))).outputs['slo-met']).toBe('true');
    const report = writeReport(r, rollbackReport({ outcome: 'failed', error: 'revert conflict in src/a.ts', finishedAt: '2026-03-01T10:05:00Z', verified: false, rollbackSha: null }));
    const run = await pm(r, { report, type: 'logic-error' });
    expect(run.exitCode).toBe(0);
    // Within 5 minutes of detection, but it did not recover.
    expect(run.outputs['slo-met']).toBe('false');
    expect(run.summary).toContain('| SLO (restore within 60 min) | **missed**: the rollback failed |');
    expect(run.summary).toContain('| failed recoveries (not in MTTR) | 1 |');
    expect(run.summary).toContain('| within 60 min (SLO attainment) | 100% (1/1) |');
    expect(run.summary).toContain('| success rate (objective 95%) | 50% (**missed**) |');
  });

  it('attainment over all records and over the last 30 days, and the DORA band of each MTTR', async () => {
    const r = repo();
    // Older than 30 days: 10 minutes, 5 days (7,200 minutes), failed. Last 30 days: 30 and 90 minutes.
    const steps: Array<() => Promise<ActionRun>> = [
      () => pm(r, manual(ago(200, 10), ago(200))),
      () => pm(r, manual(ago(100, 7200), ago(100))),
      () => pm(r, { report: writeReport(r, rollbackReport({ outcome: 'failed', error: 'push rejected', sessionId: 'old', detectedAt: ago(60, 30), startedAt: ago(60, 20), finishedAt: ago(60), verified: false, rollbackSha: null }), 'failed.json'), type: 'logic-error' }),
      () => pm(r, manual(ago(20, 30), ago(20))),
      () => pm(r, manual(ago(2, 90), ago(2))),
    ];
    const runs: ActionRun[] = [];
    for (const step of steps) {
      const run = await step();
      expect(run.exitCode).toBe(0);
      runs.push(run);
    }
    expect(runs.map((run) => run.outputs['slo-met'])).toEqual(['true', 'false', 'false', 'true', 'false']);
    const last = runs[4]!;
    // All: 2 of 4 recoveries within 60 min; 4 of 5 attempts succeeded; MTTR (10 + 7200 + 30 + 90) / 4 = 1832.5 min,
    // over a day and under a week: medium.
    // Last 30 days: 1 of 2; 2 of 2; MTTR 60 min: high (elite is under one hour).
    expect(last.outputs['mttr-minutes']).toBe('1832.5');
    expect(last.summary).toContain('| within 60 min (SLO attainment) | 50% (2/4) | 50% (1/2) |');
    expect(last.summary).toContain('| success rate (objective 95%) | 80% (**missed**) | 100% (met) |');
    expect(last.summary).toContain('| failed recoveries (not in MTTR) | 1 | 0 |');
    expect(last.summary).toContain('| DORA band of the MTTR | medium | high |');
    // The first run: one 10-minute recovery, elite.
    expect(runs[0]!.summary).toContain('| DORA band of the MTTR | elite | — |');
  });

  it.each([
    ['a success rate given as a percentage', 'postmortem:\n  slo:\n    success-rate: 95\n', 3, 19, /postmortem\.slo\.success-rate: expected a number greater than 0 and at most 1 \(0\.95 for 95%\), found the number 95/],
    ['a time objective of zero', 'postmortem:\n  slo: { time-to-restore-minutes: 0 }\n', 2, 35, /postmortem\.slo\.time-to-restore-minutes: expected a whole number >= 1, found the number 0/],
    ['a misspelt key', 'postmortem:\n  slo:\n    success: 0.9\n', 3, 5, /unknown key "success" in postmortem\.slo; did you mean "success-rate"\?/],
  ])('fails on %s, naming the file, line and column, and writes nothing', async (_what, yaml, line, column, message) => {
    const r = withConfig(yaml);
    const run = await pm(r, manual('2026-03-01T10:00:00Z', '2026-03-01T10:20:00Z'));
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain(`.github/rollback-gate.yml:${line}:${column}: `);
    expect(run.annotations[0]!.message).toMatch(message);
    expect(existsSync(join(r.dir, 'docs'))).toBe(false);
  });
});

describe('postmortem bundle: delivering the record', () => {
  it('commit: branch commits the record on postmortem/<id>, pushes it and opens the PR through the API', async () => {
    const r = repo();
    const head = r.head();
    const report = writeReport(r, rollbackReport());
    const before = api.requests.length;
    const run = await pm(r, { report, type: 'logic-error', commit: 'branch', 'root-cause': 'a typo' }, { token: true });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const branch = 'postmortem/2026-03-01-s1';
    const tip = git(r.remote, ['rev-parse', `refs/heads/${branch}`]);
    expect(git(r.remote, ['rev-parse', `${tip}^`])).toBe(head);
    expect(git(r.remote, ['diff', '--name-only', head, tip])).toBe('docs/DECISIONS.md');
    expect(git(r.remote, ['log', '-1', '--format=%B', tip])).toContain('Postmortem-Id: 2026-03-01-s1');
    const committed = git(r.remote, ['show', `${tip}:docs/DECISIONS.md`]);
    expect(parseRecoveryLog(committed).records.map((p) => p.record)).toEqual(records(run));
    // The checkout is not touched.
    expect(r.head()).toBe(head);
    expect(status(r)).toBe('');

    const calls = api.requests.slice(before);
    expect(calls.map((c) => `${c.method} ${c.route}`)).toEqual(['POST /repos/{owner}/{repo}/pulls']);
    expect(calls[0]!.body).toMatchObject({ title: 'Postmortem: recovery event 2026-03-01-s1', head: branch, base: 'main' });
    const prBody = (calls[0]!.body as { body: string }).body;
    expect(prBody).toContain('- **Root cause**: a typo');
    // Styled as every report: one headline with its icon, what to do, the figures, the record.
    expect(prBody).toMatch(/^## ✅ Recovery event `2026-03-01-s1`: recovered in [^\n]+\n\nThe recovery is recorded in `docs\/DECISIONS.md`\.\n\n\*\*What to do:\*\* check the root cause and the prevention below, then merge this pull request/);
    expect(prBody).toContain('\n| recovery | value |\n| --- | --- |\n| time to recovery |');
    expect(prBody).toContain('\n### The record\n');
    expect(await checkMarkdown(prBody, { kind: 'pr-body' })).toEqual([]);
    const pr = [...api.store.repo('octo-org', 'octo-repo').issues.values()].find((i) => i.pull?.head === branch)!;
    expect(run.summary).toContain(`| pull request | [#${pr.number}](https://github.com/octo-org/octo-repo/pull/${pr.number}) |`);
  });

  it('an existing postmortem/<id> branch holding other work is left as it is; the record goes to postmortem/<id>-2', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'postmortem/2026-03-01-s1']);
    const theirs = r.commit('someone else\'s draft', { 'docs/DECISIONS.md': '# Decisions log\n\n## Draft by hand\n' });
    r.git(['push', '--quiet', 'origin', 'postmortem/2026-03-01-s1']);
    r.git(['switch', '--quiet', 'main']);
    r.git(['branch', '--quiet', '-D', 'postmortem/2026-03-01-s1']);

    const before = api.requests.length;
    const run = await pm(r, { report: writeReport(r, rollbackReport()), type: 'logic-error', commit: 'branch' }, { token: true });
    expect(run.exitCode).toBe(0);
    expect(git(r.remote, ['rev-parse', 'refs/heads/postmortem/2026-03-01-s1'])).toBe(theirs);
    const tip = git(r.remote, ['rev-parse', 'refs/heads/postmortem/2026-03-01-s1-2']);
    expect(git(r.remote, ['rev-parse', `${tip}^`])).toBe(git(r.remote, ['rev-parse', 'refs/heads/main']));
    expect(run.summary).toContain('left as they are: `postmortem/2026-03-01-s1`');
    const calls = api.requests.slice(before);
    expect(calls.map((c) => `${c.method} ${c.route} ${(c.body as { head?: string }).head}`)).toEqual(['POST /repos/{owner}/{repo}/pulls postmortem/2026-03-01-s1-2']);
  });

  it('without a token the branch is pushed and the PR skipped with the reason; a re-run reuses that branch and opens the PR', async () => {
    const r = repo();
    const report = writeReport(r, rollbackReport({ sessionId: 'rerun' }));
    const first = await pm(r, { report, type: 'other', commit: 'branch' });
    expect(first.exitCode).toBe(0);
    expect(first.summary).toContain('No pull request: no `token`; the branch postmortem/2026-03-01-rerun is pushed. Open it by hand: compare main...postmortem/2026-03-01-rerun.');
    expect(first.annotations).toEqual([]);
    const refs = remoteRefs(r);
    expect(refs).toContain('refs/heads/postmortem/2026-03-01-rerun ');

    const again = await pm(r, { report, type: 'other', commit: 'branch' }, { token: true });
    expect(again.exitCode).toBe(0);
    expect(remoteRefs(r)).toBe(refs);
    expect(again.summary).toContain('already on `postmortem/2026-03-01-rerun`');
    const pr = [...api.store.repo('octo-org', 'octo-repo').issues.values()].find((i) => i.pull?.head === 'postmortem/2026-03-01-rerun');
    expect(pr?.pull?.base).toBe('main');
    expect(again.outputs['time-to-recovery-minutes']).toBe('14');
  });

  it('a token that may not open pull requests: the branch is pushed, the step passes, and the warning names the permission', async () => {
    const r = repo();
    api.on('POST', '/repos/{owner}/{repo}/pulls', {
      status: 403,
      body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request', status: '403' },
    });
    try {
      const run = await pm(r, { report: writeReport(r, rollbackReport({ sessionId: 'denied' })), type: 'other', commit: 'branch' }, { token: true });
      expect(run.exitCode).toBe(0);
      expect(git(r.remote, ['rev-parse', '--verify', 'refs/heads/postmortem/2026-03-01-denied'])).toMatch(/^[0-9a-f]{40}$/);
      const warning = run.annotations.find((a) => a.properties.title === 'Postmortem pull request');
      expect(warning?.message).toContain('failed with 403: Resource not accessible by integration');
      expect(warning?.message).toContain('`pull-requests: write`');
      expect(warning?.message).toContain('The branch postmortem/2026-03-01-denied is pushed.');
      expect(run.summary).toContain('| pull request | No pull request: GitHub API POST /repos/\\{owner\\}/\\{repo\\}/pulls failed with 403');
    } finally {
      api.on('POST', '/repos/{owner}/{repo}/pulls', () => undefined);
    }
  });

  it('commit: push commits the record to the current branch, leased on the sha checked out', async () => {
    const r = repo();
    const head = r.head();
    const run = await pm(r, { ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z'), commit: 'push' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const tip = git(r.remote, ['rev-parse', 'refs/heads/main']);
    expect(git(r.remote, ['rev-parse', `${tip}^`])).toBe(head);
    expect(git(r.remote, ['diff', '--name-only', head, tip])).toBe('docs/DECISIONS.md');
    expect(r.head()).toBe(tip);
    expect(r.git(['rev-parse', 'refs/remotes/origin/main'])).toBe(tip);
    expect(status(r)).toBe('');
    expect(git(r.remote, ['show', `${tip}:docs/DECISIONS.md`])).toBe(read(r).trimEnd());
    expect(run.summary).toContain(`pushed to \`main\` (leased)`);
  });

  it('commit: push refuses when the branch moved on the remote: nothing pushed, nothing changed here', async () => {
    const r = repo();
    const head = r.head();
    const other = join(r.root, 'other');
    git(r.root, ['clone', '--quiet', r.remote, other]);
    writeFileSync(join(other, 'late.txt'), 'late\n');
    git(other, ['add', 'late.txt']);
    git(other, ['commit', '--quiet', '-m', 'someone pushes meanwhile']);
    git(other, ['push', '--quiet', 'origin', 'main']);
    const moved = git(r.remote, ['rev-parse', 'refs/heads/main']);

    const run = await pm(r, { ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z'), commit: 'push' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain(`the push was rejected: main is at ${moved} on origin, not at ${head}`);
    expect(run.annotations[0]!.message).toContain('Nothing was pushed, and docs/DECISIONS.md was not changed.');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(moved);
    expect(r.head()).toBe(head);
    expect(status(r)).toBe('');
  });

  it('commit modes refuse a log with uncommitted changes', async () => {
    const r = repo();
    r.commit('log', { 'docs/DECISIONS.md': '# Decisions log\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    writeFileSync(join(r.dir, 'docs/DECISIONS.md'), '# Decisions log\n\nlocal edit\n');
    const before = remoteRefs(r);
    const run = await pm(r, { ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z'), commit: 'branch' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('docs/DECISIONS.md has changes in the working tree that are not committed');
    expect(remoteRefs(r)).toBe(before);
    expect(read(r)).toBe('# Decisions log\n\nlocal edit\n');
  });

  it('issue: true opens an issue with the record; without a token the file is written and the issue skipped with the reason', async () => {
    const r = repo();
    const before = api.requests.length;
    const run = await pm(r, { ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z', { 'root-cause': 'cache key collision' }), issue: 'true' }, { token: true });
    expect(run.exitCode).toBe(0);
    const calls = api.requests.slice(before);
    expect(calls.map((c) => `${c.method} ${c.route}`)).toEqual(['POST /repos/{owner}/{repo}/issues']);
    const body = calls[0]!.body as { title: string; body: string };
    expect(body.title).toBe('Recovery event 2026-03-01-run-4242: rollback due to logic error');
    expect(body.body).toContain('- **Root cause**: cache key collision');
    expect(body.body).toMatch(/^## ✅ Recovery event `2026-03-01-run-4242`: recovered in 14 minutes\n/);
    expect(body.body).toContain('**What to do:** put the prevention below in place, then close this issue.');
    expect(body.body).toContain('| MTTR (all) | 14 minutes over 1 recovery |');
    expect(await checkMarkdown(body.body, { kind: 'issue-body' })).toEqual([]);
    expect(run.summary).toMatch(/\| issue \| \[#\d+\]\(https:\/\/github.com\/octo-org\/octo-repo\/issues\/\d+\) \|/);

    const r2 = repo();
    const noToken = await pm(r2, { ...manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z'), issue: 'true' });
    expect(noToken.exitCode).toBe(0);
    expect(existsSync(join(r2.dir, 'docs/DECISIONS.md'))).toBe(true);
    expect(noToken.summary).toContain('| issue | No issue opened: no `token`. |');
  });
});

describe('postmortem bundle: untrusted text', () => {
  it('a root cause carrying a heading, the hidden marker, HTML and workflow commands is written as inert text and round-trips', async () => {
    const r = repo();
    const rootCause = [
      '## Injected heading',
      '<!-- rollback-gate:record {"id":"evil","ttrMinutes":0,"outcome":"recovered","detectedAt":"2026-01-01T00:00:00Z","recoveredAt":"2026-01-01T00:00:00Z"} -->',
      '<script>alert(1)</script>',
      '::set-output name=mttr-minutes::0',
      '::warning::pwned',
      '::add-mask::14',
      '::stop-commands::x',
    ].join('\n');
    const prevention = '# H1\n```\n--> <!--\n===';
    const run = await pm(r, manual('2026-03-01T10:00:00Z', '2026-03-01T10:14:00Z', { 'root-cause': rootCause, prevention, detection: '<b>CI</b>' }));
    expect(run.exitCode).toBe(0);
    expect(run.outputs['mttr-minutes']).toBe('14');
    expect(run.commands.filter((c) => ['set-output', 'warning', 'add-mask', 'error'].includes(c.command))).toEqual([]);
    expect(run.stdout).not.toContain('pwned');
    expect(records(run)[0]).toMatchObject({ rootCause, prevention, detection: '<b>CI</b>' });

    // A second record after it: the log's structure held.
    const second = await pm(r, manual('2026-03-02T10:00:00Z', '2026-03-02T10:20:00Z'));
    expect(second.outputs['mttr-minutes']).toBe('17');
    const log = read(r);
    const parsed = parseRecoveryLog(log);
    expect(parsed.records.map((p) => p.record.id)).toEqual(['2026-03-01-run-4242', '2026-03-02-run-4242']);
    expect(parsed.handWritten).toEqual([]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.records[0]!.record.rootCause).toBe(rootCause);
    const lines = log.split('\n');
    expect(lines.filter((l) => /^\s*#/.test(l))).toEqual(['# Decisions log', '## Recovery Event: 2026-03-01', '## Recovery Event: 2026-03-02']);
    expect(lines.filter((l) => l.includes('<!--')).every((l) => l.startsWith('<!-- rollback-gate:record {"id":"2026-03-0'))).toBe(true);
    expect(lines.filter((l) => l.includes('<!--'))).toHaveLength(2);
    expect(log).not.toMatch(/<script|<b>/);
    expect(lines.some((l) => /^\s*(::|```|===)/.test(l))).toBe(false);
    expect(log).toContain('- **Root cause**: \\#\\# Injected heading &lt;\\!-- rollback-gate:record');
    for (const summary of [run.summary, second.summary]) {
      expect(summary).not.toMatch(/<script|<b>|^## Injected|^<!-- rollback-gate:record \{"id":"evil"/m);
    }
  });
});
