/**
 * verify-rollback in pr mode, through its bundle, against real repositories: landing conflicts, a
 * merge-commit unit, renames and binary files, a unit that deletes an imported file, an empty pull
 * request, the rebase landing, irreversible files with the label read from the API and the sticky
 * comment, untrusted text, and bad inputs. After every run the checkout is unchanged.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { snapshotCheckout } from './harness/checkout-state.js';
import { startGitHubApi, type GitHubApiServer } from './harness/github-api.js';
import { createRepo, type TestRepo } from './harness/repo.js';
import { webhookPayload } from './harness/run-action.js';
import { gitRevert, lines, prEvent, readSealed, runVerify, type VerifyRun } from './harness/verify-rollback.js';

const repos: TestRepo[] = [];
let server: GitHubApiServer | undefined;
afterEach(async () => {
  while (repos.length) repos.pop()!.cleanup();
  await server?.close();
  server = undefined;
});

function repo(initial: Record<string, string | Buffer>): TestRepo {
  const r = createRepo({ initial });
  repos.push(r);
  return r;
}

/** A branch `agent/feature` off `from` with one commit; returns its head. HEAD goes back to main. */
function branch(r: TestRepo, from: string, files: Record<string, string | Buffer | null>, name = 'agent/feature', message = 'agent: change'): string {
  r.git(['switch', '--quiet', '-C', name, from]);
  const head = r.commit(message, files);
  r.git(['push', '--quiet', '--force', 'origin', name]);
  r.git(['switch', '--quiet', 'main']);
  return head;
}

/** Runs verify-rollback and asserts the checkout is bit-for-bit what it was. */
async function verifyUntouched(r: TestRepo, options: Parameters<typeof runVerify>[1]): Promise<VerifyRun> {
  const before = snapshotCheckout(r.dir);
  const run = await runVerify(r.dir, options);
  expect(snapshotCheckout(r.dir)).toEqual(before);
  return run;
}

const entangled = (run: VerifyRun): Array<{ unit: string; files: Array<{ file: string; conflict: string; lines: Array<{ start: number; end: number }> }> }> =>
  JSON.parse(run.outputs.entangled!);

describe('verify-rollback pr mode', () => {
  it('reports a landing conflict with its file, and still lists the window', async () => {
    const r = repo({ 'README.md': lines('readme', 5) });
    const forkPoint = r.head();
    r.commit('Edit line 2 (#1)', { 'README.md': lines('readme', 5, { 2: 'main edits line 2' }) });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const head = branch(r, forkPoint, { 'README.md': lines('readme', 5, { 2: 'the PR edits line 2' }) });
    const run = await verifyUntouched(r, { event: prEvent(7, base, head) });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['rollback-ready']).toBe('false');
    expect(run.outputs.entangled).toBe('[]');
    expect(JSON.parse(run.outputs.units!)).toEqual([expect.objectContaining({ unit: '#1', revertible: 'alone', before: 'alone' })]);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: 'README.md', line: '2', title: 'verify-rollback: landing conflict' }) }),
    );
    expect(run.summary).toContain('### Landing conflicts');
    expect(run.summary).toContain('| `README.md` line 2 | content |');
    expect(readSealed(run.outputs['plan-path']!)).toMatchObject({ strategy: 'none', steps: [] });
  });

  it('treats a merge commit as one unit (its second-parent side, reverted with -m 1) and reports the colliding lines', async () => {
    const r = repo({ 'src/app.js': lines('app', 10) });
    r.git(['switch', '--quiet', '-c', 'octo/feat']);
    r.commit('feat: first', { 'src/feat.js': 'module.exports = 1;\n' });
    r.commit('feat: second', { 'src/app.js': lines('app', 10, { 5: 'feat line 5' }) });
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--no-ff', 'octo/feat', '-m', 'Merge pull request #9 from octo/feat']);
    const merge = r.head();
    r.commit('Unrelated (#10)', { 'docs.md': 'docs\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    expect(gitRevert(r, base, [merge], { mainline: true }).ok).toBe(true);

    const head = branch(r, base, { 'src/app.js': lines('app', 10, { 5: 'the PR rewrites line 5' }) });
    const run = await verifyUntouched(r, { event: prEvent(11, base, head) });
    expect(run.exitCode).toBe(1);
    expect(entangled(run)).toEqual([{ commit: merge, unit: '#9', kind: 'conflict', files: [{ file: 'src/app.js', conflict: 'content', lines: [{ start: 5, end: 5 }] }] }]);
    const units = JSON.parse(run.outputs.units!) as Array<Record<string, unknown>>;
    expect(units.map((u) => [u.unit, u.merge, u.before, u.revertible])).toEqual([
      ['#10', false, 'alone', 'alone'],
      ['#9', true, 'alone', 'with-later'],
    ]);
    expect(run.summary).toContain('`#9` (merge)');

    // Drill: the merge unit rolls back alone, by `revert -m 1`, to the tree real git makes.
    const drill = await verifyUntouched(r, { inputs: { mode: 'drill' } });
    expect(drill.exitCode).toBe(0);
    const plan = readSealed(drill.outputs['plan-path']!) as unknown as { units: Array<{ commit: string; strategy: string; steps: Array<{ mainline: number | null }>; expectedTree: string }> };
    const unit = plan.units.find((u) => u.commit === merge)!;
    expect(unit.strategy).toBe('revert-merge');
    expect(unit.steps).toEqual([expect.objectContaining({ commit: merge, mainline: 1 })]);
    expect(unit.expectedTree).toBe(gitRevert(r, base, [merge], { mainline: true }).tree);
    expect(JSON.parse(drill.outputs.units!)).toContainEqual(expect.objectContaining({ unit: '#9', merge: true, revertible: 'alone', inverse: true }));
  });

  it('follows renames (an edit to the renamed file elsewhere is not entangled) and reports a binary file as entangled', async () => {
    const png = (n: number): Buffer => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, n, 0xff, 0]);
    const r = repo({ 'lib/a.js': lines('a', 20), 'logo.png': png(1) });
    r.git(['mv', 'lib/a.js', 'lib/b.js']);
    const unit = r.commit('Move a to b, new logo (#20)', { 'lib/b.js': lines('a', 20, { 1: '// renamed to b' }), 'logo.png': png(2) });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    expect(gitRevert(r, base, [unit]).ok).toBe(true);

    const otherLines = branch(r, base, { 'lib/b.js': lines('a', 20, { 1: '// renamed to b', 15: 'the PR edits line 15' }) });
    const clean = await verifyUntouched(r, { event: prEvent(21, base, otherLines) });
    expect(clean.exitCode).toBe(0);
    expect(clean.outputs.entangled).toBe('[]');

    const binary = branch(r, base, { 'logo.png': png(3) }, 'agent/logo');
    const run = await verifyUntouched(r, { event: prEvent(22, base, binary) });
    expect(run.exitCode).toBe(1);
    expect(entangled(run)).toEqual([{ commit: unit, unit: '#20', kind: 'conflict', files: [{ file: 'logo.png', conflict: 'binary', lines: [] }] }]);
    expect(run.summary).toContain('`logo.png` (binary)');

    const drill = await verifyUntouched(r, { inputs: { mode: 'drill' } });
    expect(JSON.parse(drill.outputs.units!)).toEqual([expect.objectContaining({ unit: '#20', revertible: 'alone', inverse: true })]);
  });

  it('soft dependencies follow workspace packages imported by name, not only relative paths', async () => {
    const r = repo({
      'package.json': JSON.stringify({ name: 'root', private: true, workspaces: ['packages/*'] }),
      'packages/core/package.json': JSON.stringify({ name: '@acme/core', exports: { './utils': './dist/utils.js' } }),
      'packages/core/src/utils.ts': 'export const util = 1;\n',
      'apps/web/src/page.ts': "import { util } from '@acme/core/utils';\nexport const page = util;\n",
    });
    r.commit('Tune util (#40)', { 'packages/core/src/utils.ts': 'export const util = 2;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const head = branch(r, base, { 'apps/web/src/page.ts': "import { util } from '@acme/core/utils';\nexport const page = util * 2;\n" });
    const run = await verifyUntouched(r, { event: prEvent(41, base, head) });
    expect(run.exitCode).toBe(0);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'warning', properties: expect.objectContaining({ file: 'apps/web/src/page.ts', title: 'verify-rollback: soft dependency on #40' }) }),
    );
  });

  it('a unit that deletes a file others imported: soft dependency for an importer, entangled when the file comes back', async () => {
    const r = repo({
      '.github/rollback-gate.yml': 'verify:\n  commands: [{ name: main, run: node src/main.js }]\n',
      'src/legacy.js': "module.exports = 'legacy';\n",
      'src/app.js': "const legacy = require('./legacy.js');\nmodule.exports = () => legacy;\n",
      'src/main.js': "const app = require('./app.js');\nconsole.log(app());\n",
    });
    const unit = r.commit('Drop legacy (#30)', { 'src/legacy.js': null, 'src/app.js': "module.exports = () => 'modern';\n" });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();

    // Editing a file that imports what the unit changed: a warning, and with checks on, the
    // unit's rollback after this change is built and still passes.
    const importer = branch(r, base, { 'src/main.js': "const app = require('./app.js');\nconsole.log('app says', app());\n" });
    const soft = await verifyUntouched(r, { event: prEvent(31, base, importer), inputs: { 'run-checks': 'true' } });
    expect(soft.exitCode).toBe(0);
    expect(soft.outputs.entangled).toBe('[]');
    expect(soft.annotations).toContainEqual(
      expect.objectContaining({ level: 'warning', properties: expect.objectContaining({ file: 'src/main.js', title: 'verify-rollback: soft dependency on #30' }) }),
    );
    expect(JSON.parse(soft.outputs.checks!)).toEqual([expect.objectContaining({ commit: unit, unit: '#30', name: 'main', 'exit-code': 0, passed: true })]);

    // Re-creating the deleted file: the unit's revert (which restores it) now collides with it.
    const recreate = branch(r, base, { 'src/legacy.js': "module.exports = 'reborn';\n// two lines\n" }, 'agent/recreate');
    const run = await verifyUntouched(r, { event: prEvent(32, base, recreate) });
    expect(run.exitCode).toBe(1);
    expect(entangled(run)).toEqual([{ commit: unit, unit: '#30', kind: 'conflict', files: [{ file: 'src/legacy.js', conflict: 'add/add', lines: [{ start: 1, end: 2 }] }] }]);

    const drill = await verifyUntouched(r, { inputs: { mode: 'drill', 'run-checks': 'true' } });
    expect(drill.exitCode).toBe(0);
    expect(JSON.parse(drill.outputs.units!)).toEqual([
      expect.objectContaining({ unit: '#30', revertible: 'alone', inverse: true, checks: [expect.objectContaining({ 'exit-code': 0 })] }),
    ]);
  });

  it('an empty pull request is rollback-ready with nothing to roll back', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    r.commit('One (#1)', { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const run = await verifyUntouched(r, { event: prEvent(40, base, base) });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['rollback-ready']).toBe('true');
    expect(run.summary).toContain('This change is empty');
    expect(readSealed(run.outputs['plan-path']!)).toMatchObject({ kind: 'landing', strategy: 'none', steps: [], target: { tree: readTree(r, base) } });
  });

  it('merge-method rebase: replays each commit and plans their reverts newest first', async () => {
    const r = repo({ 'a.txt': lines('a', 6) });
    r.commit('Add b (#1)', { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'agent/feature']);
    const first = r.commit('agent: one', { 'a.txt': lines('a', 6, { 1: 'one' }) });
    const second = r.commit('agent: two', { 'a.txt': lines('a', 6, { 1: 'one', 6: 'two' }) });
    r.git(['switch', '--quiet', 'main']);
    const run = await verifyUntouched(r, { event: prEvent(41, base, second), inputs: { 'merge-method': 'rebase' } });
    expect(run.exitCode).toBe(0);
    const plan = readSealed(run.outputs['plan-path']!) as unknown as { strategy: string; target: { commits: string[] }; steps: Array<{ unit: string; expectedTree: string }>; expectedTree: string };
    expect(plan.strategy).toBe('revert-range');
    expect(plan.target.commits).toEqual([first, second]);
    expect(plan.steps.map((s) => s.unit)).toEqual([`replay of ${second}`, `replay of ${first}`]);
    expect(plan.steps.at(-1)!.expectedTree).toBe(readTree(r, base));
    expect(plan.expectedTree).toBe(readTree(r, base));
  });

  it('irreversible files fail without their label; the label is read from the API; one sticky comment is kept', async () => {
    server = await startGitHubApi({ token: 'ghs_test' });
    const pull = server.store.createPull('octo-org', 'octo-repo', { title: 'migrate', head: 'agent/feature', base: 'main' });
    const r = repo({
      '.github/rollback-gate.yml': 'verify:\n  irreversible:\n    - { paths: ["migrations/**"], reason: "schema change", require-label: irreversible-ok }\n',
      'README.md': 'x\n',
    });
    const base = r.head();
    const head = branch(r, base, { 'migrations/001_users.sql': 'create table users (id int);\n' });
    const options = {
      event: prEvent(pull.number, base, head),
      inputs: { token: 'ghs_test' },
      env: { GITHUB_API_URL: server.url },
    };
    const first = await verifyUntouched(r, options);
    expect(first.exitCode).toBe(1);
    expect(JSON.parse(first.outputs.irreversible!)).toEqual([{ file: 'migrations/001_users.sql', reason: 'schema change', label: 'irreversible-ok', acknowledged: false }]);
    expect(first.annotations).toContainEqual(expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: 'migrations/001_users.sql' }) }));
    const comments = server.store.comments('octo-org', 'octo-repo', pull.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('<!-- rollback-gate:verify-rollback -->');
    expect(comments[0]!.body).toContain('not rollback-ready');

    // The label is added after the event: a re-run (same payload, no labels) reads it from the API.
    server.store.issue('octo-org', 'octo-repo', pull.number)!.labels.push('irreversible-ok');
    const second = await verifyUntouched(r, options);
    expect(second.exitCode).toBe(0);
    expect(JSON.parse(second.outputs.irreversible!)).toEqual([expect.objectContaining({ acknowledged: true })]);
    const after = server.store.comments('octo-org', 'octo-repo', pull.number);
    expect(after).toHaveLength(1);
    expect(after[0]!.body).toContain('## ✅ verify-rollback: rollback-ready');
    expect(readSealed(second.outputs['plan-path']!)).toMatchObject({ irreversible: [{ file: 'migrations/001_users.sql', reason: 'schema change' }] });
    expect(server.violations).toEqual([]);
  });

  it('escapes untrusted commit subjects, unit names and file names, and obeys no workflow command in them', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    r.commit('feat: <img src=x onerror=alert(1)> | [x](http://e) ::set-output name=rollback-ready::false\n\n::add-mask::octocat\n\nSession-Id: evil|<b>id</b>\n', {
      'src/we|ird ::set-env name=X::1.js': 'x\n',
    });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const head = branch(r, base, { 'src/we|ird ::set-env name=X::1.js': 'y\n' });
    const run = await verifyUntouched(r, { event: prEvent(50, base, head), inputs: { mode: 'pr' } });
    expect(run.exitCode).toBe(1);
    expect(entangled(run)[0]!.unit).toBe('evil|<b>id</b>');
    expect(run.commands.map((c) => c.command)).not.toEqual(expect.arrayContaining(['set-output', 'add-mask', 'set-env']));
    expect(run.env).toBe('');
    expect(run.outputs['rollback-ready']).toBe('false');
    // Subjects are escaped text; names and paths are code spans (where GitHub renders no HTML).
    expect(run.summary).not.toContain('<img');
    expect(run.summary).toContain('&lt;img src=x onerror=alert\\(1\\)&gt; \\| \\[x\\]\\(http:&#8203;//e\\)');
    expect(run.summary).toContain('| `evil\\|<b>id</b>` |');
    expect(run.summary.split('\n').filter((line) => line.includes('<b>')).every((line) => /`[^`]*<b>id<\/b>[^`]*`/.test(line))).toBe(true);
  });

  it.each([
    [{ mode: 'sideways' }, 'input `mode` is "sideways"'],
    [{ 'merge-method': 'octopus' }, 'input `merge-method` is "octopus"'],
    [{ 'run-checks': 'yes' }, 'input `run-checks` is "yes"'],
    [{ base: '--upload-pack=touch /tmp/pwned' }, 'input `base`'],
    [{ head: 'no-such-branch' }, 'input `head` `no-such-branch` does not name a commit'],
  ])('rejects the bad input %j by name, touching nothing', async (inputs, message) => {
    const r = repo({ 'a.txt': 'a\n' });
    const run = await verifyUntouched(r, { inputs: { ...inputs, ...('head' in inputs ? { mode: 'pr', base: 'main' } : {}) } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain(message);
  });

  it('pr mode outside a pull request needs a base; a bad config names file, line and column', async () => {
    const r = repo({ 'a.txt': 'a\n', '.github/rollback-gate.yml': 'verify:\n  window: { commits: 0 }\n' });
    const badConfig = await verifyUntouched(r, { inputs: { mode: 'drill' } });
    expect(badConfig.exitCode).toBe(1);
    expect(badConfig.annotations[0]?.message).toMatch(/rollback-gate\.yml:2:\d+: verify\.window\.commits: expected a whole number >= 1/);
    writeFileSync(join(r.dir, 'ok.yml'), 'verify:\n  window: { commits: 5 }\n');
    const noBase = await verifyUntouched(r, { inputs: { mode: 'pr', config: 'ok.yml' } });
    expect(noBase.exitCode).toBe(1);
    expect(noBase.annotations[0]?.message).toContain('pr mode needs the base tip');
  });

  it('refuses to run the pull request\'s code with checks in a pull_request_target run', async () => {
    const r = repo({ 'a.txt': 'a\n', '.github/rollback-gate.yml': 'verify:\n  commands: [{ name: t, run: "true" }]\n' });
    const base = r.head();
    const head = branch(r, base, { 'b.txt': 'b\n' });
    const run = await verifyUntouched(r, { event: prEvent(60, base, head, { name: 'pull_request_target' }), inputs: { 'run-checks': 'true' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('pull_request_target');
  });

  it('reads a merge_group event: the queue head is the landing', async () => {
    const r = repo({ 'a.txt': lines('a', 4) });
    r.commit('Add b (#1)', { 'b.txt': lines('b', 4) });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const queued = branch(r, base, { 'b.txt': lines('b', 4, { 2: 'queued' }) }, 'gh-readonly-queue/main/pr-70-abc');
    const payload = webhookPayload('merge_group', 'checks_requested', {
      merge_group: { base_sha: base, head_sha: queued, base_ref: 'refs/heads/main', head_ref: 'refs/heads/gh-readonly-queue/main/pr-70-0123456789abcdef' },
    });
    const run = await verifyUntouched(r, { event: { name: 'merge_group', payload } });
    expect(run.exitCode).toBe(1);
    expect(entangled(run)).toEqual([expect.objectContaining({ unit: '#1', files: [{ file: 'b.txt', conflict: 'modify/delete', lines: [{ start: 2, end: 2 }] }] })]);
    expect(readSealed(run.outputs['plan-path']!)).toMatchObject({ id: 'pr-70' });
  });
});

function readTree(r: TestRepo, commit: string): string {
  return r.git(['rev-parse', `${commit}^{tree}`]);
}
