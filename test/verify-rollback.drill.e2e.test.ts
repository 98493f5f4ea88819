/**
 * verify-rollback faults, through its bundle, against real repositories: a window past a shallow
 * clone's depth, verify commands that hang or leave processes behind (and never see the token or
 * the runner's files), a dirty checkout, and a plan file whose seal does not verify. After every
 * run the checkout is unchanged and no scratch directory or worktree is left in RUNNER_TEMP.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { snapshotCheckout } from './harness/checkout-state.js';
import { createRepo, git, shallowClone, tempDir, type TestRepo } from './harness/repo.js';
import { isRunning, lines, prEvent, readSealed, runVerify } from './harness/verify-rollback.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});
function repo(initial: Record<string, string>): TestRepo {
  const r = createRepo({ initial });
  repos.push(r);
  return r;
}

/** main with `count` units (#1 oldest), each adding its own file; #3 also gets a follow-up #4 on the same line. */
function linearHistory(count: number): { r: TestRepo; units: string[] } {
  const r = repo({ 'shared.txt': lines('shared', 6), '.github/rollback-gate.yml': 'verify:\n  window: { commits: 6 }\n' });
  const units: string[] = [];
  for (let i = 1; i <= count; i++) {
    units.push(r.commit(`Unit ${i} (#${i})`, { [`f${i}.txt`]: `${i}\n`, ...(i === 3 ? { 'shared.txt': lines('shared', 6, { 3: 'three' }) } : {}) }));
  }
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, units };
}

describe('verify-rollback faults', () => {
  it('deepens a shallow clone just enough for the window (pr mode, the head not even fetched)', async () => {
    const { r, units } = linearHistory(12);
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'agent/feature']);
    const head = r.commit('agent: touch line 3', { 'shared.txt': lines('shared', 6, { 3: 'agent three' }) });
    r.git(['push', '--quiet', 'origin', 'agent/feature']);
    const workspace = shallowClone(r, 'main', 1);
    expect(git(workspace, ['rev-list', '--count', 'HEAD'])).toBe('1');
    const before = snapshotCheckout(workspace, { allowFetch: true });
    const run = await runVerify(workspace, { event: prEvent(5, base, head) });
    expect(snapshotCheckout(workspace, { allowFetch: true })).toEqual(before);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('shallow clone: deepening');
    expect(run.exitCode).toBe(0);
    const out = JSON.parse(run.outputs.units!) as Array<{ commit: string; unit: string }>;
    expect(out.map((u) => u.unit)).toEqual(['#12', '#11', '#10', '#9', '#8', '#7']);
    expect(out.map((u) => u.commit)).toEqual(units.slice(6).reverse());
    expect(run.summary).toContain('the shallow clone was deepened');
  });

  it('says fetch-depth: 0 when the window is past a shallow clone\'s depth and the remote cannot deepen it', async () => {
    const { r } = linearHistory(8);
    const workspace = shallowClone(r, 'main', 2);
    git(workspace, ['remote', 'set-url', 'origin', join(r.root, 'gone.git')]);
    // The failed deepening attempt leaves an empty FETCH_HEAD, as any failed fetch does.
    const before = snapshotCheckout(workspace, { allowFetch: true });
    const run = await runVerify(workspace, { inputs: { mode: 'drill' } });
    expect(snapshotCheckout(workspace, { allowFetch: true })).toEqual(before);
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('fetch-depth: 0');
  });

  it('kills a hanging verify command at its timeout, and processes a command leaves behind; withholds the token and runner files', async () => {
    const pids = tempDir('rg-pids-');
    const config = [
      'verify:',
      '  timeout-minutes: 1',
      '  commands:',
      '    - { name: hangs, run: "echo $$ > $PID_DIR/hang.pid; sleep 600" }',
      '    - { name: leaves, run: "sleep 600 & echo $! > $PID_DIR/left.pid; echo started" }',
      '    - { name: sealed-off, run: "test -z \\"${INPUT_TOKEN:-}${GITHUB_OUTPUT:-}${GITHUB_ENV:-}${GITHUB_STEP_SUMMARY:-}${ACTIONS_RUNTIME_TOKEN:-}\\" && echo sealed" }',
      '',
    ].join('\n');
    const r = repo({ '.github/rollback-gate.yml': config, 'a.txt': 'a\n' });
    const unit = r.commit('Add b (#1)', { 'b.txt': 'b\n' });
    const before = snapshotCheckout(r.dir);
    const started = Date.now();
    const run = await runVerify(r.dir, {
      inputs: { mode: 'drill', 'run-checks': 'true', token: 'ghs_secret_token' },
      env: { PID_DIR: pids, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '1', ACTIONS_RUNTIME_TOKEN: 'runtime_secret' },
    });
    expect(snapshotCheckout(r.dir)).toEqual(before);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.exitCode).toBe(1);
    const checks = JSON.parse(run.outputs.checks!) as Array<Record<string, unknown>>;
    expect(checks).toEqual([
      expect.objectContaining({ commit: unit, name: 'hangs', 'exit-code': null, 'timed-out': true, passed: false }),
      expect.objectContaining({ commit: unit, name: 'leaves', 'exit-code': 0, 'timed-out': false, 'left-processes': true, passed: true }),
      expect.objectContaining({ commit: unit, name: 'sealed-off', 'exit-code': 0, passed: true }),
    ]);
    expect((checks[0]!['duration-ms'] as number) >= 1000).toBe(true);
    for (const file of ['hang.pid', 'left.pid']) {
      const pid = Number(readFileSync(join(pids, file), 'utf8'));
      expect(pid).toBeGreaterThan(1);
      expect(isRunning(pid)).toBe(false);
    }
    expect(run.summary).toContain('timed out after');
    expect(run.env).toBe('');
    expect(run.stdout).not.toContain('ghs_secret_token');
  });

  it('leaves a dirty checkout (modified, staged, untracked files, a stash) exactly as it was, and ignores uncommitted work', async () => {
    const r = repo({ 'a.txt': lines('a', 5), 'b.txt': lines('b', 5) });
    r.commit('Edit a (#1)', { 'a.txt': lines('a', 5, { 2: 'two' }) });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'agent/feature']);
    const head = r.commit('agent: edit a line 2', { 'a.txt': lines('a', 5, { 2: 'agent two' }) });
    r.git(['switch', '--quiet', 'main']);
    writeFileSync(join(r.dir, 'b.txt'), 'stashed work\n');
    r.git(['stash', 'push', '--quiet', '-m', 'wip']);
    writeFileSync(join(r.dir, 'a.txt'), 'uncommitted edit\n');
    writeFileSync(join(r.dir, 'b.txt'), 'staged edit\n');
    r.git(['add', 'b.txt']);
    writeFileSync(join(r.dir, 'b.txt'), 'staged, then edited again\n');
    mkdirSync(join(r.dir, 'untracked', 'deep'), { recursive: true });
    writeFileSync(join(r.dir, 'untracked', 'deep', 'notes.md'), 'mine\n');
    writeFileSync(join(r.dir, '.env.local'), 'SECRET=1\n');

    const before = snapshotCheckout(r.dir);
    expect(before.stash).toContain('wip');
    const pr = await runVerify(r.dir, { event: prEvent(3, base, head) });
    expect(snapshotCheckout(r.dir)).toEqual(before);
    expect(pr.exitCode).toBe(1);
    expect(JSON.parse(pr.outputs.entangled!)).toEqual([expect.objectContaining({ unit: '#1' })]);
    const drill = await runVerify(r.dir, { inputs: { mode: 'drill', 'run-checks': 'true' } });
    expect(snapshotCheckout(r.dir)).toEqual(before);
    expect(drill.exitCode).toBe(0);
    expect(readFileSync(join(r.dir, 'a.txt'), 'utf8')).toBe('uncommitted edit\n');
  });

  it('refuses to overwrite a plan whose seal does not verify; replaces one that does', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    r.commit('Add b (#1)', { 'b.txt': 'b\n' });
    const temp = tempDir('rg-temp-');
    const first = await runVerify(r.dir, { inputs: { mode: 'drill' }, temp });
    expect(first.exitCode).toBe(0);
    const path = first.outputs['plan-path']!;
    const plan = readSealed(path);

    const again = await runVerify(r.dir, { inputs: { mode: 'drill' }, temp });
    expect(again.exitCode).toBe(0);
    expect(again.outputs['plan-path']).toBe(path);

    const tampered = JSON.stringify({ ...plan, units: [] }, null, 2);
    writeFileSync(path, tampered);
    const before = snapshotCheckout(r.dir);
    const run = await runVerify(r.dir, { inputs: { mode: 'drill' }, temp });
    expect(snapshotCheckout(r.dir)).toEqual(before);
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('the seal does not verify');
    expect(run.annotations[0]?.message).toContain('Refusing to overwrite it');
    expect(readFileSync(path, 'utf8')).toBe(tampered);

    writeFileSync(path, '{ not json');
    const garbage = await runVerify(r.dir, { inputs: { mode: 'drill' }, temp });
    expect(garbage.exitCode).toBe(1);
    expect(garbage.annotations[0]?.message).toContain('not valid JSON');
  });

  it('limits the window by days as well as by commits', async () => {
    const r = repo({ 'a.txt': 'a\n', '.github/rollback-gate.yml': 'verify:\n  window: { commits: 50, days: 7 }\n' });
    const old = `${Math.floor(Date.now() / 1000) - 30 * 86_400} +0000`;
    r.commit('Old (#1)', { 'old.txt': 'o\n' }, { env: { GIT_COMMITTER_DATE: old, GIT_AUTHOR_DATE: old } });
    r.commit('New (#2)', { 'new.txt': 'n\n' });
    const run = await runVerify(r.dir, { inputs: { mode: 'drill' } });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.units!)).toEqual([expect.objectContaining({ unit: '#2', 'age-days': 0 })]);
  });
});
