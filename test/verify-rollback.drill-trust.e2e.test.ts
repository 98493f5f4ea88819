/**
 * Issue 11's drill findings, through the verify-rollback bundle on real repositories: a unit already
 * rolled back is reported as such, the exact-inverse test compares trees, and an empty window says
 * plainly that nothing was checked.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';
import { lines, runVerify } from './harness/verify-rollback.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});
function repo(initial: Record<string, string> | null): TestRepo {
  const r = createRepo({ initial });
  repos.push(r);
  return r;
}

type UnitOut = { unit: string; commit: string; revertible: string; inverse?: boolean; 'rolled-back-by'?: string };

describe('verify-rollback drill', () => {
  it('after a rollback, the rolled-back unit is reported as already rolled back, not "not the exact inverse"', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    r.commit('Unit 1 (#1)', { 'one.txt': '1\n' });
    const bad = r.commit('Unit 2 (#2)', { 'two.txt': '2\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const rolled = await runAction('rollback', { workspace: r.dir, inputs: { token: '', target: bad, direct: 'true' } });
    expect(rolled.exitCode).toBe(0);
    r.git(['pull', '--quiet', '--ff-only', 'origin', 'main']);
    const rollbackSha = r.head();
    const run = await runVerify(r.dir, { inputs: { mode: 'drill' } });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['rollback-ready']).toBe('true');
    const units = JSON.parse(run.outputs.units!) as UnitOut[];
    const two = units.find((u) => u.commit === bad)!;
    expect(two['rolled-back-by']).toBe(rollbackSha);
    expect(two.inverse).toBeUndefined();
    expect(run.summary).toContain(`already rolled back by [\`${rollbackSha.slice(0, 12)}\`](https://github.com/`);
    expect(run.summary).toContain(`/commit/${rollbackSha})`);
    expect(run.summary).not.toContain('not the exact inverse');
  });

  it('the exact-inverse test compares trees: a unit whose neighbouring lines a later unit edited is still the exact inverse', async () => {
    const r = repo({ 'doc.js': lines('line', 12) });
    const unit = r.commit('Unit (#1)', { 'doc.js': lines('line', 12, { 6: '/** the unit */', 7: 'function unit() {}' }) });
    r.commit('Later (#2)', { 'doc.js': lines('line', 12, { 4: '/** edited nearby */', 6: '/** the unit */', 7: 'function unit() {}' }) });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await runVerify(r.dir, { inputs: { mode: 'drill' } });
    expect(run.exitCode).toBe(0);
    const units = JSON.parse(run.outputs.units!) as UnitOut[];
    expect(units.find((u) => u.commit === unit)).toMatchObject({ revertible: 'alone', inverse: true });
  });

  it('an empty window says plainly that nothing was checked, and how to widen it', async () => {
    const old = { GIT_AUTHOR_DATE: '2026-01-01T10:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T10:00:00Z' };
    const r = repo(null);
    r.commit('initial commit', { 'a.txt': 'a\n' }, { env: old });
    r.commit('Old unit (#1)', { 'b.txt': 'b\n' }, { env: old });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await runVerify(r.dir, { inputs: { mode: 'drill' } });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.units!)).toEqual([]);
    expect(run.summary).toContain('Nothing was checked');
    expect(run.summary).toContain('verify.window.days');
    expect(run.summary).not.toContain('drill: rollback-ready');
  });
});
