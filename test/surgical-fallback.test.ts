/**
 * The cascade's file-level fallback through the rollback bundle: when the checks fail with the
 * minimal cascade (the commits that depend on the culprit by evidence), it is widened step by step
 * (+ commits sharing its files, then the file-level set), the checks re-run each time; the report
 * and the summary say which step made them pass, or that none did (then nothing is delivered).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const CORE = (version: string, end = '// end'): string => `exports.version = ${version};\n\nfunction helper() {\n  return 1;\n}\nexports.helper = helper;\n\n${end}\n`;
const APP = (wanted: number): string => `var core = require('./core');\nvar wanted = ${wanted};\nmodule.exports = function check() { return core.helper() === 1; };\n`;
// The project's check: the app wants the version the core has.
const CHECK = "v=$(sed -n 's/^exports.version = \\([0-9]*\\).*/\\1/p' lib/core.js)\nw=$(sed -n 's/^var wanted = \\([0-9]*\\);/\\1/p' lib/app.js)\ntest \"$v\" = \"$w\"\n";

interface Report {
  commits: string[];
  verified: boolean;
  verification: string;
  cascade: Array<{ commit: string; reason: string }>;
  cascadeWidening: { steps: Array<{ step: string; added: Array<{ commit: string; reason: string }>; verification: string; note: string | null }>; passedAt: string | null };
}

async function setup(check: string): Promise<{ r: TestRepo; culprit: string; sharesFile: string; importer: string; docs: string; tip: string }> {
  const r = createRepo({
    initial: {
      'lib/core.js': CORE('1'),
      'lib/app.js': APP(1),
      'check.sh': CHECK,
      '.github/rollback-gate.yml': `verify:\n  commands:\n    - { name: versions-agree, run: ${check} }\n`,
    },
  });
  repos.push(r);
  const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'wide' } });
  expect(run.exitCode).toBe(0);
  r.commit('docs: start', { 'docs/a.md': 'a\n' });
  const culprit = r.commit('feat: version 2', { 'lib/core.js': CORE('2; // BUG') });
  // Shares lib/core.js with the culprit, in another hunk, using none of its names: not a dependent.
  const sharesFile = r.commit('chore: end marker', { 'lib/core.js': CORE('2; // BUG', '// end of core') });
  // Imports lib/core.js and follows the new version, but uses no name the culprit changed: not a dependent either.
  const importer = r.commit('fix: the app wants version 2', { 'lib/app.js': APP(2) });
  const docs = r.commit('docs: more', { 'docs/b.md': 'b\n' });
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, culprit, sharesFile, importer, docs, tip: r.head() };
}

const rollback = (r: TestRepo) =>
  runAction('rollback', {
    workspace: r.dir,
    inputs: { token: '', target: 'wide', strategy: 'bisect', 'bisect-command': '! grep -q BUG lib/core.js', direct: 'true' },
    env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' },
  });

describe('rollback bundle: the cascade widens when the checks fail with the minimal one', () => {
  it('minimal and shared-files fail, the file-level set passes: that cascade is delivered and the step is named', async () => {
    const { r, culprit, sharesFile, importer, docs, tip } = await setup('sh check.sh');
    const run = await rollback(r);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.culprit).toBe(culprit);
    expect(run.outputs.verified).toBe('true');
    const rep = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')) as Report;
    expect(rep.cascadeWidening.passedAt).toBe('file-level');
    expect(rep.cascadeWidening.steps.map((s) => [s.step, s.verification])).toEqual([
      ['minimal', 'failed'],
      ['shared-files', 'failed'],
      ['file-level', 'passed'],
    ]);
    expect(rep.cascadeWidening.steps[1]!.added).toEqual([{ commit: sharesFile, reason: "widened (shared files): touches lib/core.js, which the culprit changed" }]);
    expect(rep.cascadeWidening.steps[2]!.added).toEqual([{ commit: importer, reason: "widened (file-level): touches lib/app.js: it imports the culprit's files" }]);
    expect(rep.commits).toEqual([importer, sharesFile, culprit]);
    expect(rep.cascade.map((c) => c.commit)).toEqual([sharesFile, importer]);
    expect(run.summary).toContain('they pass with the **file-level** step');

    // Delivered: the oracle is plain git revert of the same commits; the docs commit is kept.
    const pushed = git(r.remote, ['rev-parse', 'refs/heads/main']);
    r.git(['checkout', '--quiet', '-B', 'oracle', tip]);
    r.git(['revert', '--no-edit', importer, sharesFile, culprit]);
    expect(git(r.remote, ['rev-parse', `${pushed}^{tree}`])).toBe(r.git(['rev-parse', 'HEAD^{tree}']));
    expect(git(r.remote, ['show', `${pushed}:docs/b.md`])).toBe('b');
    expect(rep.commits).not.toContain(docs);
  });

  it('no step makes the checks pass: nothing is delivered, verified is false, every step is reported', async () => {
    const { r, tip } = await setup('test -f never-there');
    const run = await rollback(r);
    expect(run.exitCode).toBe(1);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(tip);
    expect(run.outputs.verified).toBe('false');
    const rep = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')) as Report;
    expect(rep.verified).toBe(false);
    expect(rep.cascadeWidening.passedAt).toBeNull();
    expect(rep.cascadeWidening.steps.map((s) => [s.step, s.verification])).toEqual([
      ['minimal', 'failed'],
      ['shared-files', 'failed'],
      ['file-level', 'failed'],
    ]);
    expect(run.summary).toContain('**no step made them pass**: nothing was delivered');
    expect(run.stdout + run.stderr).toContain('with every wider one tried');
  });
});
