/** The root action (the gate): scope-guard and verify-rollback as one step, one verdict, one comment. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';
import { lines, prEvent } from './harness/verify-rollback.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** main with a landed unit (#1, a squash commit) that introduced lines 3-4 of src/app.js. */
function history(): { r: TestRepo; landed: string } {
  const r = createRepo({ initial: { 'src/app.js': lines('app', 10), 'README.md': '# app\n' } });
  repos.push(r);
  const landed = r.commit('feat: tune app (#1)', { 'src/app.js': lines('app', 10, { 3: 'tuned 3', 4: 'tuned 4' }) });
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, landed };
}

function pr(r: TestRepo, files: Record<string, string>, message = 'agent: change'): { base: string; head: string } {
  const base = r.head();
  r.git(['switch', '--quiet', '-c', 'agent/feature']);
  const head = r.commit(message, files);
  r.git(['push', '--quiet', 'origin', 'agent/feature']);
  r.git(['switch', '--quiet', 'main']);
  return { base, head };
}

const gate = (r: TestRepo, event: { name: string; payload: unknown }, inputs: Record<string, string> = {}) =>
  runAction('gate', { workspace: r.dir, event, inputs: { token: 'ghs_x', ...inputs }, env: { GITHUB_API_URL: loopback.server.url } });

describe('the gate (root action.yml)', () => {
  it('passes a small change that leaves every landed unit revertible, with one comment holding both reports', async () => {
    const { r } = history();
    const { base, head } = pr(r, { 'src/other.js': 'export const x = 1;\n' });
    const number = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'ok', head: 'agent/feature', base: 'main' }).number;
    const run = await gate(r, prEvent(number, base, head));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', 'rollback-ready': 'true' });
    expect(JSON.parse(run.outputs.scope!)).toMatchObject({ 'files-changed': 1, passed: true });
    expect(JSON.parse(run.outputs.verify!).entangled).toEqual([]);
    expect(run.outputs['plan-path']).toMatch(/plan-landing-pr-\d+\.json$/);
    const comments = loopback.server.store.comments('octo-org', 'octo-repo', number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('scope-guard');
    expect(comments[0]!.body).toContain('<!-- rollback-gate:gate -->');
  });

  it('fails once, naming both problems, when the change is out of scope and entangled with a landed unit', async () => {
    const { r, landed } = history();
    const files: Record<string, string> = { 'src/app.js': lines('app', 10, { 3: 'agent rewrites 3', 4: 'tuned 4' }) };
    for (let i = 0; i < 6; i++) files[`src/extra${i}.js`] = `${i}\n`;
    const { base, head } = pr(r, files);
    const number = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'too much', head: 'agent/feature', base: 'main' }).number;
    const run = await gate(r, prEvent(number, base, head));
    expect(run.exitCode).toBe(1);
    expect(run.outputs.passed).toBe('false');
    expect(run.outputs['rollback-ready']).toBe('false');
    const verdict = run.annotations.at(-1)!.message;
    expect(verdict).toContain('scope violation');
    expect(verdict).toContain('could no longer be reverted alone');
    expect(JSON.parse(run.outputs.verify!).entangled).toEqual([expect.objectContaining({ commit: landed })]);
    expect(JSON.parse(run.outputs.scope!).violations).toEqual([expect.objectContaining({ rule: 'max-files' })]);
  });

  it('mode: warn lets scope problems through but never a closed rollback window', async () => {
    const { r } = history();
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`src/extra${i}.js`] = `${i}\n`;
    const { base, head } = pr(r, files);
    const run = await gate(r, prEvent(77, base, head), { mode: 'warn', comment: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.passed).toBe('true');
    expect(JSON.parse(run.outputs.scope!).passed).toBe(false);
  });
});
