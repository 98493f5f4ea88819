/**
 * packages/cli/README.md's "On your machine" session, replayed as written: its ```sh block runs
 * under bash -e in a fresh repository with a bare remote, `npx rollback-gate` being this
 * checkout's bundle (the only substitution), and what it claims is checked.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, type TestRepo } from './harness/repo.js';
import { ROOT, node24 } from './harness/run-action.js';
import { CLI, cliEnv } from './cli-harness.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function section(): string {
  const readme = readFileSync(join(ROOT, 'packages', 'cli', 'README.md'), 'utf8');
  const start = readme.indexOf('## On your machine');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: On your machine', () => {
  it('the 30-second session runs as written: init, checkpoint, an agent session, status, squash --run-checks', () => {
    const text = section();
    const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(1);
    const script = blocks[0]!;
    for (const step of ['npx rollback-gate init', 'npx rollback-gate checkpoint', 'git commit', 'npx rollback-gate status', 'npx rollback-gate squash --run-checks']) {
      expect(script).toContain(step);
    }
    const r = createRepo();
    repos.push(r);
    // `npx rollback-gate` is this checkout's bundle; every other command runs as written.
    const preamble = `npx() { if [ "$1" = rollback-gate ]; then shift; "${node24()}" "${CLI}" "$@"; else command npx "$@"; fi; }\n`;
    const started = Date.now();
    const run = spawnSync('bash', ['-e', '-c', preamble + script], { cwd: r.dir, env: cliEnv(), encoding: 'utf8' });
    const seconds = (Date.now() - started) / 1000;
    expect(run.status).toBe(0);
    // stderr holds the progress of the checks only.
    expect(run.stderr).toMatch(/^running 1 check on agent\/demo before squashing…\n  check syntax: exit 0 in [\d.]+ s\n$/);
    expect(run.stdout).toContain('rollback-gate init: changed 8 files.');
    expect(run.stdout).toMatch(/✓ checkpoint\/demo at [0-9a-f]{12} \(created\)/);
    expect(run.stdout).toContain('session demo: ✓ within scope; 2 commits (2 agent, 0 human), 1/5 files');
    expect(run.stdout).toContain("revert-range: revert 2 commits, 1 file, in memory: clean, back to the checkpoint's tree exactly.");
    expect(run.stdout).toMatch(/✓ squashed 2 commits of session demo into [0-9a-f]{12} on agent\/demo/);
    expect(run.stdout).toContain('checks: 1 passed');
    // What the README says happened, happened.
    const checkpoint = r.git(['rev-parse', 'checkpoint/demo^{commit}']);
    expect(r.git(['rev-parse', 'HEAD^'])).toBe(checkpoint);
    expect(r.git(['log', '-1', '--format=%B'])).toContain('Session-Id: demo');
    expect(r.git(['rev-list', '--count', 'refs/rollback-gate/backup/demo', `^${checkpoint}`])).toBe('2');
    expect(readFileSync(join(r.dir, 'greet.mjs'), 'utf8')).toContain('hello');
    expect(r.git(['status', '--porcelain'])).toBe('');
    // "30 seconds" is for a person typing; the commands take a few. Printed, not asserted (no wall-clock assertions).
    console.log(`README session: ${seconds.toFixed(1)} s`);
  });
});
