/**
 * `rollback-gate bisect --jobs K` (the bundle) on a real repository: K probes at once, each in its
 * own throwaway worktree, round after round as the planner says; the same culprit as the
 * sequential bisect for every culprit position tried, in fewer rounds; the probes really overlap
 * (their own clocks say so); nothing left behind; --help documents it; a bad value is a usage error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { bisectRoundBound } from '../packages/core/src/rollback/bisect-rounds.js';
import { createRepo, tempDir, type TestRepo } from './harness/repo.js';
import { cli } from './cli-harness.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const N = 16;

/** N commits after the good end; commit `culprit` (1-based) breaks src/state.ts, later ones keep it broken. */
function history(culprit: number): TestRepo & { good: string; culpritSha: string } {
  const r = createRepo({ initial: { 'src/state.ts': "export const state = 'fine';\n" } });
  repos.push(r);
  const good = r.head();
  let culpritSha = '';
  for (let i = 1; i <= N; i++) {
    const sha = r.commit(i === culprit ? `feat: break state ${i}` : `chore: file ${i}`, {
      [`notes/${i}.md`]: `${i}\n`,
      ...(i === culprit ? { 'src/state.ts': "export const state = 'broken';\n" } : {}),
    });
    if (i === culprit) culpritSha = sha;
  }
  return Object.assign(r, { good, culpritSha });
}

interface BisectDoc {
  culprit: { sha: string };
  rounds: number;
  jobs: number;
  runs: number;
  probes: Array<{ commit: string; verdict: string }>;
}

const CHECK = `grep -q "'fine'" src/state.ts`;

/** The largest number of probe intervals (from the probes' own start/end lines) that overlap. */
function maxOverlap(log: string): number {
  const events: Array<[number, number]> = [];
  for (const line of log.trim().split('\n')) {
    const [kind, , time] = line.split(' ');
    events.push([Number(BigInt(time!) / 1000n), kind === 's' ? 1 : -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (now += delta));
  return most;
}

describe('bisect --jobs', () => {
  it.each([[1], [6], [N]])('finds the culprit the sequential bisect finds (commit %i of 16), in fewer rounds, probes overlapping', async (position) => {
    const r = history(position);
    const sequential = await cli(['bisect', r.good, 'HEAD', '--json', '--', CHECK], { cwd: r.dir });
    expect(sequential.code).toBe(0);
    const one = JSON.parse(sequential.stdout) as BisectDoc;
    expect(one.culprit.sha).toBe(r.culpritSha);
    expect(one.jobs).toBe(1);

    const log = join(tempDir(), 'probes.log');
    const timed = `echo "s $$ $(date +%s%N)" >> ${log}; sleep 0.4; echo "e $$ $(date +%s%N)" >> ${log}; ${CHECK}`;
    const parallel = await cli(['bisect', r.good, 'HEAD', '--jobs', '4', '--json', '--', timed], { cwd: r.dir });
    expect(parallel.code).toBe(0);
    const four = JSON.parse(parallel.stdout) as BisectDoc;
    expect(four.culprit.sha).toBe(r.culpritSha);
    expect(four.jobs).toBe(4);
    expect(four.rounds).toBeLessThan(one.rounds);
    expect(four.rounds).toBeLessThanOrEqual(bisectRoundBound(N, 4) + (position === 1 ? 1 : 0));
    // Up to four probes a round; each probe ran in its own worktree at the same time as others.
    expect(four.probes.length).toBeLessThanOrEqual(4 * four.rounds);
    expect(maxOverlap(readFileSync(log, 'utf8'))).toBeGreaterThanOrEqual(2);
    // The worktrees and the run directory are gone; the checkout untouched.
    expect(r.git(['worktree', 'list']).split('\n')).toHaveLength(1);
    expect(readdirSync(join(r.dir, '.git', 'rollback-gate')).filter((n) => n.startsWith('run-'))).toEqual([]);
    expect(r.git(['status', '--porcelain'])).toBe('');
  });

  it('prints a line per round and per probe, and the rounds next to the culprit', async () => {
    const r = history(11);
    const run = await cli(['bisect', r.good, 'HEAD', '--jobs', '3', '--', CHECK], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`bisecting ${N} commits between ${r.good} and HEAD, 3 probes at once (at most ${bisectRoundBound(N, 3)} rounds)`);
    expect(run.stderr).toMatch(/^  round 1: 3 probes at once, 16 candidates left$/m);
    expect(run.stderr.split('\n').filter((l) => /^  probe\s+\d+  [0-9a-f]{12}  (good|bad )/.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(run.stdout).toMatch(new RegExp(`^culprit ${r.culpritSha.slice(0, 12)} feat: break state 11  \\(\\d+ runs, 0 skipped, \\d rounds? of up to 3 probes\\)`, 'm'));
  });

  it('--help documents it; 0 or a word is a usage error', async () => {
    const r = history(3);
    const help = await cli(['bisect', '--help'], { cwd: r.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--jobs K\s+Probes at once, each in its own throwaway worktree/);
    expect(help.stdout).toContain('rollback-gate bisect v1.2.0 main --jobs 4 -- npm test');
    for (const value of ['0', 'many', '65']) {
      const bad = await cli(['bisect', r.good, 'HEAD', '--jobs', value, '--', CHECK], { cwd: r.dir });
      expect([value, bad.code]).toEqual([value, 2]);
      expect(bad.stderr).toMatch(/--jobs/);
    }
  });
});
