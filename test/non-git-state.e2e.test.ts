/**
 * What git cannot restore, through the bundles on real repositories with a bare remote: the
 * checkpoint's non-git artifacts whose digest differs are listed in the rollback plan with what to
 * do, and an irreversible path (config `verify.irreversible`) in the rollback stops it until its
 * label is granted (input `labels`, sealed into the plan, or on the target's pull request).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';
import { sha256 } from './harness/verify-rollback.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const IRREVERSIBLE = 'verify:\n  irreversible:\n    - paths: ["migrations/**"]\n      reason: schema change\n';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function repo(files: Record<string, string> = {}): TestRepo {
  const r = createRepo({ initial: { 'README.md': '# app\n', 'src/core.ts': 'export const core = 1;\n', ...files } });
  repos.push(r);
  return r;
}

const rollback = (r: TestRepo, inputs: Record<string, string>) => runAction('rollback', { workspace: r.dir, inputs: { token: '', ...inputs } });
const report = (path: string): Record<string, any> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const remoteMain = (r: TestRepo): string => git(r.remote, ['rev-parse', 'refs/heads/main']);

describe('non-git state: the checkpoint\'s artifacts', () => {
  it('an artifact whose digest differs from the checkpoint\'s is listed in the plan and the report, with what to do; an unchanged one is not', async () => {
    const r = repo();
    const model = Buffer.from('model v1\n');
    writeFileSync(join(r.dir, 'models-weights.bin'), model);
    writeFileSync(join(r.dir, 'prompt.txt'), 'be careful\n');
    // Non-git state: ignored files next to the repository's (a model, a prompt).
    writeFileSync(join(r.dir, '.git', 'info', 'exclude'), 'models-weights.bin\nprompt.txt\n');
    const cp = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'agent-3', artifacts: 'model=models-weights.bin\nprompt=prompt.txt\n' } });
    expect(cp.exitCode).toBe(0);
    r.commit(`feat: agent swaps the model\n\n${CLAUDE}\n`, { 'src/core.ts': 'export const core = 2;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    writeFileSync(join(r.dir, 'models-weights.bin'), 'model v2\n');

    const plan = await rollback(r, { target: 'agent-3', phase: 'plan' });
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(0);
    const sealed = JSON.parse(readFileSync(plan.outputs['plan-path']!, 'utf8')) as Record<string, any>;
    const expected = {
      name: 'model',
      path: 'models-weights.bin',
      sha256: sha256(model),
      current: sha256('model v2\n'),
      todo: `models-weights.bin has sha256 ${sha256('model v2\n')}, not the checkpoint's ${sha256(model)}: redeploy or restore that version of model; git does not track it.`,
    };
    expect(sealed.artifacts).toEqual([expected]);
    expect(report(plan.outputs['report-path']!).artifacts).toEqual([expected]);
    expect(plan.summary).toContain('Non-git state to restore by hand');
    expect(plan.summary).toContain('redeploy or restore that version of model');

    // Gone: listed as missing, with where to restore it from.
    writeFileSync(join(r.dir, 'models-weights.bin'), model);
    git(r.dir, ['clean', '--quiet', '-f', '-X', '--', 'prompt.txt']);
    const gone = await rollback(r, { target: 'agent-3', phase: 'plan' });
    expect(gone.exitCode).toBe(0);
    expect(report(gone.outputs['report-path']!).artifacts).toEqual([
      { name: 'prompt', path: 'prompt.txt', sha256: sha256('be careful\n'), current: null, todo: `prompt.txt is gone: restore prompt from where it is kept, with sha256 ${sha256('be careful\n')} (the checkpoint's); git does not track it.` },
    ]);
  });
});

describe('non-git state: a target without a checkpoint of its own', () => {
  it('a commit or a range: the artifacts of the newest checkpoint before it are compared, named by its tag; none before it: nothing listed', async () => {
    const r = repo();
    writeFileSync(join(r.dir, '.git', 'info', 'exclude'), 'model.bin\n');
    const early = r.commit('feat: early (#3)', { 'src/early.ts': 'export const early = 1;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    writeFileSync(join(r.dir, 'model.bin'), 'model v1\n');
    expect((await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'release-7', artifacts: 'model=model.bin\n' } })).exitCode).toBe(0);
    const change = r.commit('feat: a new model (#8)', { 'src/core.ts': 'export const core = 2;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    writeFileSync(join(r.dir, 'model.bin'), 'model v2\n');

    const plan = await rollback(r, { target: change, phase: 'plan' });
    expect(plan.exitCode).toBe(0);
    const expected = [
      { name: 'model', path: 'model.bin', sha256: sha256('model v1\n'), current: sha256('model v2\n'), todo: `model.bin has sha256 ${sha256('model v2\n')}, not the checkpoint checkpoint/release-7's ${sha256('model v1\n')}: redeploy or restore that version of model; git does not track it.` },
    ];
    expect(JSON.parse(readFileSync(plan.outputs['plan-path']!, 'utf8')).artifacts).toEqual(expected);
    expect(report(plan.outputs['report-path']!).artifacts).toEqual(expected);
    const range = await rollback(r, { target: `${early}..${change}`, phase: 'plan' });
    expect(range.exitCode).toBe(0);
    expect(report(range.outputs['report-path']!).artifacts).toEqual(expected);

    // The checkpoint was made after `early`: rolling `early` back returns to a state before it.
    const before = await rollback(r, { target: early, phase: 'plan' });
    expect(before.exitCode).toBe(0);
    expect(report(before.outputs['report-path']!).artifacts).toEqual([]);
  });
});

describe('irreversible paths stop the rollback until their label is granted', () => {
  function migrated(): { r: TestRepo; change: string } {
    const r = repo({ '.github/rollback-gate.yml': IRREVERSIBLE, 'migrations/001.sql': 'create table t (a int);\n' });
    const change = r.commit('feat: add a column (#5)', { 'migrations/002.sql': 'alter table t add b int;\n', 'src/core.ts': 'export const core = 2;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    return { r, change };
  }

  it('phase all: refused naming the path and the label to add; with `labels` it goes through and the report says what to do', async () => {
    const { r, change } = migrated();
    const refused = await rollback(r, { target: change, direct: 'true' });
    expect(refused.exitCode).toBe(1);
    const message = refused.annotations[0]!.message;
    expect(message).toContain('the rollback reverts 1 irreversible path without their label: migrations/002.sql (schema change; label irreversible-ok)');
    expect(message).toContain('Nothing was pushed.');
    expect(message).toContain('add `irreversible-ok` to the input `labels` (`labels: irreversible-ok`)');
    expect(remoteMain(r)).toBe(change);
    const failed = report(refused.outputs['report-path']!);
    expect(failed.outcome).toBe('failed');
    expect(failed.irreversible).toEqual([
      {
        path: 'migrations/002.sql',
        reason: 'schema change',
        requireLabel: 'irreversible-ok',
        todo: 'schema change: the revert restores migrations/002.sql, not what it did (data, schema, external state). Undo that by hand (e.g. run its down-migration or restore the data), then grant the label irreversible-ok.',
      },
    ]);
    expect(refused.summary).toContain('Undo that by hand');

    const granted = await rollback(r, { target: change, direct: 'true', labels: 'irreversible-ok' });
    expect(granted.exitCode).toBe(0);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(git(r.dir, ['rev-parse', `${change}^^{tree}`]));
  });

  it('plan then apply: apply refuses a plan made without the label, and executes one sealed with it', async () => {
    const { r, change } = migrated();
    const bare = await rollback(r, { target: change, phase: 'plan' });
    expect(bare.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(bare.outputs['plan-path']!, 'utf8')).irreversible).toHaveLength(1);
    const apply = await rollback(r, { phase: 'apply', plan: bare.outputs['plan-path']!, direct: 'true' });
    expect(apply.exitCode).toBe(1);
    expect(apply.annotations[0]!.message).toContain('migrations/002.sql (schema change; label irreversible-ok)');
    expect(remoteMain(r)).toBe(change);

    const labelled = await rollback(r, { target: change, phase: 'plan', labels: 'irreversible-ok' });
    expect(labelled.exitCode).toBe(0);
    const applied = await rollback(r, { phase: 'apply', plan: labelled.outputs['plan-path']!, direct: 'true' });
    expect(applied.exitCode).toBe(0);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(git(r.dir, ['rev-parse', `${change}^^{tree}`]));
  });

  it('a rollback that touches no irreversible path is not held', async () => {
    const { r } = migrated();
    const other = r.commit('feat: other (#6)', { 'src/other.ts': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: other, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(report(run.outputs['report-path']!).irreversible).toEqual([]);
  });
});
