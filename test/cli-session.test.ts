/**
 * The end of a session and its undoing, through the bundled CLI on real repositories with a bare
 * remote: squash (local, --push, --run-checks), rollback (plan, --apply, --push), drill and log;
 * a dirty tree, no remote, hostile targets.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendRecord, type RecoveryRecord } from '@rollback-gate/core';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { cli } from './cli-harness.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** A repository whose config has a check (`test -f ok`), a checkpoint `s1`, and a session of agent and human commits on `feature`. */
async function session(options: { check?: string; remote?: boolean } = {}): Promise<TestRepo & { base: string }> {
  const r = createRepo({
    initial: {
      'README.md': '# app\n',
      'ok': 'yes\n',
      '.github/rollback-gate.yml': `verify:\n  commands:\n    - name: has-ok\n      run: ${JSON.stringify(options.check ?? 'test -f ok')}\n`,
      'src/a.ts': 'export const a = 1;\n',
    },
  });
  repos.push(r);
  if (options.remote === false) r.git(['remote', 'remove', 'origin']);
  const base = r.head();
  r.git(['switch', '--quiet', '-c', 'feature']);
  expect((await cli(['checkpoint', '--session-id', 's1'], { cwd: r.dir })).code).toBe(0);
  r.commit(`feat(api): add endpoint\n\n${CLAUDE}\n`, { 'src/api.ts': 'export const api = 1;\n' });
  r.commit('docs: human note', { 'docs/x.md': 'x\n' });
  r.commit(`fix: typo\n\n${CLAUDE}\n`, { 'src/api.ts': 'export const api = 2;\n' });
  if (options.remote !== false) r.git(['push', '--quiet', 'origin', 'feature']);
  return Object.assign(r, { base });
}

function state(r: TestRepo): string {
  return [r.git(['for-each-ref', '--format=%(refname) %(objectname)']), r.git(['status', '--porcelain=v1', '--untracked-files=all']), r.git(['rev-parse', 'HEAD'])].join('\n--\n');
}

describe('squash', () => {
  it('squashes the session on the current branch into one commit with the same tree, keeps the originals, pushes nothing', async () => {
    const r = await session();
    const head = r.head();
    const tree = r.git(['rev-parse', 'HEAD^{tree}']);
    const remoteBefore = git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
    const run = await cli(['squash'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ squashed 3 commits of session s1 into [0-9a-f]{12} on feature\n/);
    expect(r.git(['rev-parse', 'HEAD^{tree}'])).toBe(tree);
    expect(r.git(['rev-parse', 'HEAD^'])).toBe(r.base);
    expect(r.git(['log', '-1', '--format=%B'])).toContain('Session-Id: s1');
    expect(r.git(['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(head);
    expect(r.git(['status', '--porcelain'])).toBe('');
    expect(git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(remoteBefore);
    const again = await cli(['squash'], { cwd: r.dir });
    expect(again.stdout).toContain('already squashed');
  });

  it('--push pushes the branch and the backup atomically; --keep-human-commits replays the human commit', async () => {
    const r = await session();
    const head = r.head();
    const run = await cli(['squash', '--push', '--keep-human-commits', '--json'], { cwd: r.dir });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; pushed: boolean; commitsSquashed: number; humanCommitsReplayed: number; sha: string };
    expect(doc).toMatchObject({ status: 'squashed', pushed: true, commitsSquashed: 2, humanCommitsReplayed: 1 });
    expect(git(r.remote, ['rev-parse', 'refs/heads/feature'])).toBe(doc.sha);
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(head);
    expect(r.git(['log', '-1', '--format=%s'])).toBe('docs: human note');
  });

  it('a dirty tree is refused and nothing is touched', async () => {
    const r = await session();
    writeFileSync(join(r.dir, 'src/a.ts'), 'export const a = 2; // uncommitted\n');
    const before = state(r);
    const run = await cli(['squash', '--run-checks'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the working tree has uncommitted changes ("src/a.ts"); refusing to rewrite anything.');
    expect(run.stderr).toContain('next: Commit or stash them first');
    expect(state(r)).toBe(before);
    expect(readFileSync(join(r.dir, 'src/a.ts'), 'utf8')).toBe('export const a = 2; // uncommitted\n');
  });

  it('--run-checks squashes only when the checks pass on the session, with a progress line per check', async () => {
    const failing = await session({ check: 'echo checking; test -f missing' });
    const before = state(failing);
    const bad = await cli(['squash', '--run-checks'], { cwd: failing.dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✗ checks failed (has-ok); nothing was squashed.');
    expect(bad.stdout).toContain('checking');
    expect(bad.stderr).toMatch(/check has-ok: exit 1 in [\d.]+ s/);
    expect(state(failing)).toBe(before);
    expect(readdirSync(join(failing.dir, '.git', 'rollback-gate')).filter((n) => n.startsWith('run-'))).toEqual([]);

    const passing = await session();
    const good = await cli(['squash', '--run-checks'], { cwd: passing.dir });
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('checks: 1 passed');
  });

  it('no remote: --push is refused before anything happens; the local squash works', async () => {
    const r = await session({ remote: false });
    const before = state(r);
    const pushed = await cli(['squash', '--push'], { cwd: r.dir });
    expect(pushed.code).toBe(1);
    expect(pushed.stderr).toContain('no remote named "origin", so --push has nowhere to push');
    expect(state(r)).toBe(before);
    const local = await cli(['squash'], { cwd: r.dir });
    expect(local.code).toBe(0);
    expect(local.stdout).not.toContain('Publish it');
  });
});

describe('rollback', () => {
  /** main with the session landed as its commits (pushed), and the repository on main. */
  async function landed(options: { remote?: boolean; check?: string } = {}): Promise<TestRepo & { base: string }> {
    const r = await session(options);
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--ff-only', 'feature']);
    if (options.remote !== false) r.git(['push', '--quiet', 'origin', 'main']);
    return r;
  }

  it('plans by default: prints the plan, verified by the checks, and changes nothing', async () => {
    const r = await landed();
    const before = state(r);
    const run = await cli(['rollback', 's1'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rollback plan for s1: revert-range, 3 commits reverted, verified\n/);
    expect(run.stdout).toMatch(/target: s1: session s1: 3 commits on main since checkpoint\/s1/);
    expect(run.stdout).toMatch(/[0-9a-f]{12}\tfix: typo\n[0-9a-f]{12}\tdocs: human note\n[0-9a-f]{12}\tfeat\(api\): add endpoint/);
    expect(run.stdout).toMatch(/has-ok\t0\t/);
    expect(run.stdout).toContain('Make it: rollback-gate rollback s1 --apply');
    expect(state(r)).toBe(before);
    expect(r.git(['for-each-ref', 'refs/remotes/rollback-gate-local/'])).toBe('');
  });

  it('--apply makes the revert on a new branch rollback/<id> (back to the checkpoint\'s tree), checkout untouched; --push pushes it', async () => {
    const r = await landed();
    const head = r.head();
    const run = await cli(['rollback', 's1', '--apply'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ rollback of s1 made on rollback\/s1: revert-range, 3 commits reverted, verified\n/);
    expect(r.git(['rev-parse', 'rollback/s1^{tree}'])).toBe(r.git(['rev-parse', `${r.base}^{tree}`]));
    expect(r.git(['rev-parse', 'rollback/s1^'])).toBe(head);
    expect(r.git(['log', '-1', '--format=%B', 'rollback/s1'])).toContain('Rollback-Of: s1');
    expect(r.head()).toBe(head);
    expect(r.git(['status', '--porcelain'])).toBe('');
    const twice = await cli(['rollback', 's1', '--apply'], { cwd: r.dir });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('the branch rollback/s1 exists already');

    r.git(['branch', '-D', 'rollback/s1']);
    const pushed = await cli(['rollback', 's1', '--push', '--json'], { cwd: r.dir });
    expect(pushed.code).toBe(0);
    const doc = JSON.parse(pushed.stdout) as { pushed: boolean; branch: string; report: { rollbackSha: string; outcome: string } };
    expect(doc).toMatchObject({ pushed: true, branch: 'rollback/s1' });
    expect(git(r.remote, ['rev-parse', 'refs/heads/rollback/s1'])).toBe(doc.report.rollbackSha);
  });

  it('--apply with a dirty tree is refused and nothing is touched', async () => {
    const r = await landed();
    writeFileSync(join(r.dir, 'README.md'), 'edited\n');
    const before = state(r);
    const run = await cli(['rollback', 's1', '--apply'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the working tree has uncommitted changes ("README.md")');
    expect(state(r)).toBe(before);
  });

  it('refuses a hostile target as the rollback action does, in the CLI\'s words', async () => {
    const r = await landed();
    const before = state(r);
    for (const target of ['s1; rm -rf .', '$(touch pwned)', '--upload-pack=touch pwned', 'a`id`']) {
      const run = await cli(['rollback', '--', target], { cwd: r.dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: TARGET is .*(holds characters no session id|starts with "-")/m); // the CLI's words for the action's input
    }
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    expect(state(r)).toBe(before);
  });

  it('without a remote: the plan and --apply work, --push is refused', async () => {
    const r = await landed({ remote: false });
    const plan = await cli(['rollback', 's1'], { cwd: r.dir });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('rollback plan for s1: revert-range, 3 commits reverted');
    const push = await cli(['rollback', 's1', '--push'], { cwd: r.dir });
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('--push has nowhere to push');
    expect((await cli(['rollback', 's1', '--apply', '--quiet'], { cwd: r.dir })).code).toBe(0);
    expect(r.git(['rev-parse', 'rollback/s1^{tree}'])).toBe(r.git(['rev-parse', `${r.base}^{tree}`]));
  });

  it('exit 1 when the checks fail on the rolled-back tree', async () => {
    const r = await landed({ check: 'test -f src/api.ts' });
    const run = await cli(['rollback', 's1'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('checks FAIL on the result');
  });
});

describe('drill and log', () => {
  it('drill: every unit of the window as a table; exit 1 when one rolls back only with later units', async () => {
    const r = await session();
    const run = await cli(['drill'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ drill on [0-9a-f]{12}: 1 unit can only be rolled back together with later units\n/);
    expect(run.stdout).toMatch(/commit\tunit\trollback\twith\tinverse\tchecks\tage \(days\)/);
    const fix = r.git(['rev-parse', 'HEAD']);
    const feat = r.git(['rev-parse', 'HEAD~2']);
    expect(run.stdout).toContain(`${fix.slice(0, 12)}\t${fix.slice(0, 12)}\talone\t\texact\t\t0`);
    expect(run.stdout).toContain(`${feat.slice(0, 12)}\t${feat.slice(0, 12)}\twith later\t${fix.slice(0, 12)}\t`);
    const json = await cli(['drill', '--json', '--run-checks'], { cwd: r.dir });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as {
      units: Array<{ revertible: string; checks: Array<{ passed: boolean }> }>;
      'rollback-ready': boolean;
      simulation: { engine: string; merges: number; 'exact-reverts': number };
    };
    expect(doc['rollback-ready']).toBe(false);
    // What the simulation did, the same in the table's text and in --json.
    const { merges, 'exact-reverts': exact } = doc.simulation;
    expect(doc.simulation.engine).toBe('merge-tree');
    expect(exact).toBeGreaterThan(0);
    expect(run.stdout).toContain(
      `\n${merges + exact} merges simulated: ${merges || 'none'} with git merge-tree, ${exact === 1 ? '1 revert' : `${exact} reverts`} computed exactly from the trees (nothing after ${exact === 1 ? 'that unit touched its' : 'those units touched their'} files); the checkout was not touched.\n`,
    );
    expect(doc.units.map((u) => u.revertible)).toEqual(['alone', 'alone', 'with-later']);
    expect(doc.units[0]!.checks[0]!.passed).toBe(true);
    // A clean window: exit 0.
    r.git(['reset', '--quiet', '--hard', 'HEAD~1']);
    const clean = await cli(['drill', '--quiet'], { cwd: r.dir });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^✓ drill on [0-9a-f]{12}: all 2 units can be rolled back\n$/);
    // A unit already reverted by hand says so, and by which commit (not "alone").
    const reverted = r.git(['rev-parse', 'HEAD']);
    r.git(['revert', '--no-edit', reverted]);
    const revert = r.git(['rev-parse', 'HEAD']);
    const again = await cli(['drill'], { cwd: r.dir });
    expect(again.stdout).toContain(`${reverted.slice(0, 12)}\t${reverted.slice(0, 12)}\talready reverted\tby ${revert.slice(0, 12)}\t`);
    // An empty window checks nothing, and says so instead of a green tick.
    r.commit('chore: a one-day window, committed long ago', { '.github/rollback-gate.yml': 'verify:\n  window:\n    commits: 1\n    days: 1\n' }, { env: { GIT_COMMITTER_DATE: '2001-01-01T00:00:00Z' } });
    const empty = await cli(['drill', '--quiet'], { cwd: r.dir });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^– drill on [0-9a-f]{12}: nothing was checked, the window holds no unit\n$/);
  });

  it('log: MTTR, the trend and SLO attainment from the recovery records', async () => {
    const r = await session();
    const record = (id: string, detected: string, recovered: string, ttr: number): RecoveryRecord => ({
      id, ttrMinutes: ttr, type: 'logic-error', outcome: 'recovered', detectedAt: detected, detectedAtSource: 'input', recoveredAt: recovered, recoveredAtSource: 'input',
      failedAt: null, error: null, detection: 'CI', strategy: 'squash revert', scope: { files: 1, sessions: [], commits: 1, text: null }, culprit: null,
      rootCause: 'x', prevention: 'y', rollback: null, recordedAt: recovered, runUrl: null, schema: 'rollback-gate/recovery-record@1',
    });
    let text = appendRecord(undefined, record('r1', '2026-01-10T10:00:00Z', '2026-01-10T10:20:00Z', 20), 'security').text;
    text = appendRecord(text, record('r2', '2026-02-10T10:00:00Z', '2026-02-10T12:00:00Z', 120), 'security').text;
    writeFileSync(join(r.dir, 'docs', 'SECURITY_LOG.md'), text);
    const run = await cli(['log', '--slo', '60'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^MTTR 70 minutes, 1 h 10 min over 2 recoveries; last 30 days — \(0\); within 60 min: 50% \(1\/2\)\n/);
    expect(run.stdout).toMatch(/2026-01\t1\t0\t20 minutes\t\n2026-02\t1\t0\t120 minutes, 2 h\t\+100 min/);
    const json = JSON.parse((await cli(['log', '--json', '--slo', '120'], { cwd: r.dir })).stdout) as { slo: { percent: number }; stats: { mttrMinutes: number } };
    expect(json.slo.percent).toBe(100);
    expect(json.stats.mttrMinutes).toBe(70);
  });
});
