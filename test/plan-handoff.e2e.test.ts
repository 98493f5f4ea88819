/**
 * verify-rollback writes sealed plans; rollback executes them. Through both bundles: a drill's
 * window plan rolls back a unit, a moved branch stops the run unless `replan`, and a PR's landing
 * plan (squash and rebase) rolls the landed change back to the planned tree.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';
import { lines, prEvent } from './harness/verify-rollback.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function history(): { r: TestRepo; units: string[] } {
  const r = createRepo({ initial: { 'src/app.js': lines('app', 12) } });
  repos.push(r);
  const units = [
    r.commit('feat: one (#1)', { 'src/one.js': 'one\n' }),
    r.commit('feat: two (#2)', { 'src/app.js': lines('app', 12, { 2: 'two' }) }),
    r.commit('feat: three (#3)', { 'src/three.js': 'three\n' }),
  ];
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, units };
}

const rollback = (r: TestRepo, inputs: Record<string, string>) => runAction('rollback', { workspace: r.dir, inputs: { token: '', ...inputs } });

describe('sealed plans from verify-rollback, executed by rollback', () => {
  it('a drill plan rolls one unit back to the tree the plan expects; a moved branch needs replan', async () => {
    const { r, units } = history();
    const drill = await runAction('verify-rollback', { workspace: r.dir, inputs: { mode: 'drill', comment: 'false' } });
    expect(drill.exitCode).toBe(0);
    const plan = drill.outputs['plan-path']!;

    const run = await rollback(r, { plan, target: units[1]!.slice(0, 12), 'dry-run': 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([units[1]]);
    expect(git(r.dir, ['show', `${run.outputs['rollback-sha']}:src/app.js`])).toBe(lines('app', 12).trimEnd());

    r.commit('feat: four (#4)', { 'src/four.js': 'four\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const moved = await rollback(r, { plan, target: units[1]!.slice(0, 12), 'dry-run': 'true' });
    expect(moved.exitCode).toBe(1);
    expect(moved.annotations[0]!.message).toContain('the branch moved since the plan was made: 1 commit landed on top (');
    expect(moved.annotations[0]!.message).toContain('replan: true');
    const replanned = await rollback(r, { plan, target: units[1]!.slice(0, 12), 'dry-run': 'true', replan: 'true' });
    expect(replanned.exitCode).toBe(0);
    expect(git(r.dir, ['show', `${replanned.outputs['rollback-sha']}:src/four.js`])).toBe('four');
  });

  it.each([['squash'], ['rebase']])('a PR landing plan (%s) rolls the landed change back to the planned tree', async (method) => {
    const { r } = history();
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'agent/feature']);
    r.commit('agent: a', { 'src/a.js': 'a\n' });
    const head = r.commit('agent: b', { 'src/app.js': lines('app', 12, { 2: 'two', 9: 'nine' }) });
    r.git(['push', '--quiet', 'origin', 'agent/feature']);
    r.git(['switch', '--quiet', 'main']);
    const gate = await runAction('verify-rollback', { workspace: r.dir, event: prEvent(9, base, head), inputs: { comment: 'false', 'merge-method': method } });
    expect(gate.exitCode).toBe(0);

    // The PR lands as planned.
    if (method === 'squash') {
      r.git(['merge', '--quiet', '--squash', 'agent/feature']);
      r.git(['commit', '--quiet', '-m', 'agent work (#9)']);
    } else {
      r.git(['merge', '--quiet', '--ff-only', 'agent/feature']);
    }
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { plan: gate.outputs['plan-path']!, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toHaveLength(method === 'squash' ? 1 : 2);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(git(r.remote, ['rev-parse', `${base}^{tree}`]));
  });
});
