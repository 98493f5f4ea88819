import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { GIT_TEST_ENV, createRepo, shallowClone, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function repo(files: Record<string, string | Buffer>): TestRepo {
  const r = createRepo({ initial: files });
  repos.push(r);
  return r;
}

function prEvent(_r: TestRepo, base: string, head: string, labels: string[] = [], number = 5, name = 'pull_request') {
  return {
    name,
    payload: webhookPayload('pull_request', 'synchronize', {
      number,
      pull_request: { number, base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'feature' }, labels: labels.map((l) => ({ name: l })) },
    }),
  };
}

const guard = (r: TestRepo | string, inputs: Record<string, string>, extra: Partial<Parameters<typeof runAction>[1]> = {}) =>
  runAction('scope-guard', {
    workspace: typeof r === 'string' ? r : r.dir,
    inputs: { token: '', ...inputs },
    ...extra,
    env: { GITHUB_API_URL: loopback.server.url, ...extra.env },
  });

/** A repository with a known import graph (TypeScript, a workspace package, Python). */
const GRAPH_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'root', private: true, workspaces: ['packages/*'] }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@app/*': ['src/*'] } } }),
  'packages/core/package.json': JSON.stringify({ name: '@acme/core', exports: { './utils': './dist/utils.js' } }),
  'packages/core/src/utils.ts': 'export const util = 1;\n',
  'src/a.ts': "import { util } from '@acme/core/utils';\nexport const a = util;\n",
  'src/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
  'src/c.ts': "import type { b } from '@app/b';\nexport type C = typeof b;\n",
  'src/d.ts': "export * from './c';\n",
  'src/cycle1.ts': "import './cycle2';\nimport './b';\n",
  'src/cycle2.ts': "import './cycle1';\n",
  'src/index.ts': "// import './unrelated';\nconst s = \"import x from './a'\";\nexport {};\n",
  'py/pkg/__init__.py': '',
  'py/pkg/base.py': 'X = 1\n',
  'py/pkg/user.py': 'from .base import X\n',
  'py/main.py': 'import pkg.user\n',
};

describe('scope-guard bundle', () => {
  it('finds the true reverse dependents of a change, with the import chain for each', async () => {
    const r = repo(GRAPH_FILES);
    const base = r.head();
    r.commit('feat: change util', { 'packages/core/src/utils.ts': 'export const util = 2;\n', 'src/b.ts': "import { a } from './a.js';\nexport const b = a + 1;\n" });
    const run = await guard(r, { base, head: 'HEAD', comment: 'false' }, { env: {} });
    expect(run.exitCode).toBe(0);
    const radius = JSON.parse(run.outputs['blast-radius']!) as Array<{ file: string; depth: number; changed: boolean; chain: string[] }>;
    const byFile = Object.fromEntries(radius.map((e) => [e.file, e]));
    expect(Object.keys(byFile).sort()).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/cycle1.ts', 'src/cycle2.ts', 'src/d.ts']);
    expect(byFile['src/a.ts']).toEqual({ file: 'src/a.ts', depth: 1, changed: false, chain: ['packages/core/src/utils.ts', 'src/a.ts'] });
    expect(byFile['src/b.ts']).toEqual({ file: 'src/b.ts', depth: 2, changed: true, chain: ['packages/core/src/utils.ts', 'src/a.ts', 'src/b.ts'] });
    expect(byFile['src/c.ts']).toMatchObject({ depth: 1, changed: false, chain: ['src/b.ts', 'src/c.ts'] });
    expect(byFile['src/cycle1.ts']).toMatchObject({ depth: 1, changed: false, chain: ['src/b.ts', 'src/cycle1.ts'] });
    expect(byFile['src/cycle2.ts']).toMatchObject({ depth: 2, changed: false, chain: ['src/b.ts', 'src/cycle1.ts', 'src/cycle2.ts'] });
    expect(byFile['src/d.ts']).toMatchObject({ depth: 2, changed: false, chain: ['src/b.ts', 'src/c.ts', 'src/d.ts'] });
    expect(run.summary).toContain('```mermaid');
    expect(run.annotations.filter((a) => a.properties.title === 'scope-guard: at risk on revert').map((a) => a.properties.file).sort()).toEqual(['src/a.ts', 'src/c.ts', 'src/cycle1.ts', 'src/cycle2.ts', 'src/d.ts']);

    // The depth limit: from utils alone, d is 4 imports away (utils <- a <- b <- c <- d).
    const deeper = repo({ ...GRAPH_FILES, '.github/rollback-gate.yml': 'blast-radius:\n  max-depth: 4\n' });
    const b2 = deeper.head();
    deeper.commit('feat: util', { 'packages/core/src/utils.ts': 'export const util = 3;\n' });
    const run2 = await guard(deeper, { base: b2, comment: 'false' });
    const files2 = (JSON.parse(run2.outputs['blast-radius']!) as Array<{ file: string; depth: number }>).map((e) => `${e.file}@${e.depth}`).sort();
    expect(files2).toEqual(['src/a.ts@1', 'src/b.ts@2', 'src/c.ts@3', 'src/cycle1.ts@3', 'src/cycle2.ts@4', 'src/d.ts@4']);
  });

  it('python: absolute, relative and package imports', async () => {
    const r = repo(GRAPH_FILES);
    const base = r.head();
    r.commit('fix: base', { 'py/pkg/base.py': 'X = 2\n' });
    const run = await guard(r, { base, comment: 'false' });
    const radius = JSON.parse(run.outputs['blast-radius']!) as Array<{ file: string; chain: string[] }>;
    expect(radius.map((e) => e.file).sort()).toEqual(['py/main.py', 'py/pkg/user.py']);
    expect(radius.find((e) => e.file === 'py/main.py')!.chain).toEqual(['py/pkg/base.py', 'py/pkg/user.py', 'py/main.py']);
  });

  it('the file budget counts renames once and leaves ignored files out', async () => {
    const r = repo({ 'a.txt': 'a\n'.repeat(20), 'b.txt': 'b\n', 'c.txt': 'c\n', 'yarn.lock': 'x\n', 'package-lock.json': '{}' });
    const base = r.head();
    r.git(['mv', 'a.txt', 'renamed-a.txt']);
    r.commit('change', { 'b.txt': 'bb\n', 'yarn.lock': 'y\n', 'package-lock.json': '{"x":1}' });
    const ok = await guard(r, { base, comment: 'false' });
    expect(ok.exitCode).toBe(0);
    expect(ok.outputs['files-changed']).toBe('2');

    r.commit('more', { 'd.txt': 'd\n', 'e.txt': 'e\n', 'f.txt': 'f\n', 'g.txt': 'g\n' });
    const over = await guard(r, { base, comment: 'false' });
    expect(over.exitCode).toBe(1);
    expect(JSON.parse(over.outputs.violations!)).toEqual([expect.objectContaining({ rule: 'max-files' })]);
    // It fails with the message once in the log; the summary opens with the verdict and does not
    // say it again in a "Failed" section (which would point at the summary from inside it).
    expect(over.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toContain('scope-guard: 1 violation; see the job summary.');
    expect(over.summary).toMatch(/^## ❌ scope-guard: out of scope, 1 violation\n/);
    expect(over.summary).not.toContain('### Failed');
    const warned = await guard(r, { base, mode: 'warn', comment: 'false' });
    expect(warned.exitCode).toBe(0);
    expect(warned.outputs.passed).toBe('false');
  });

  it('an agent budget counts only the files the agent commits touched', async () => {
    const r = repo({ 'README.md': 'x\n', '.github/rollback-gate.yml': 'scope:\n  max-files: 50\nagents:\n  max-files: 1\n' });
    const base = r.head();
    r.commit('human work', { 'h1.txt': '1\n', 'h2.txt': '2\n' });
    r.commit('agent work\n\nCo-authored-by: Claude <noreply@anthropic.com>\n', { 'a1.txt': '1\n', 'a2.txt': '2\n' });
    const run = await guard(r, { base, comment: 'false' });
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.outputs.violations!)).toEqual([expect.objectContaining({ rule: 'agent-max-files', message: expect.stringContaining('touched 2 files') })]);
  });

  it('one layer at a time: fails across layers, passes with the label or a Cross-Layer trailer (reason shown)', async () => {
    const config = 'scope:\n  layers:\n    bronze: ["src/bronze/**"]\n    silver: ["src/silver/**"]\n';
    const r = repo({ '.github/rollback-gate.yml': config, 'src/bronze/a.ts': '1\n', 'src/silver/b.ts': '1\n' });
    const base = r.head();
    r.commit('touch both', { 'src/bronze/a.ts': '2\n', 'src/silver/b.ts': '2\n' });
    const head = r.head();
    const failed = await guard(r, { comment: 'false' }, { event: prEvent(r, base, head) });
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.outputs.layers!)).toEqual(['bronze', 'silver']);
    expect(failed.annotations.some((a) => a.level === 'error' && a.properties.file === 'src/silver/b.ts')).toBe(true);

    const labelled = await guard(r, { comment: 'false' }, { event: prEvent(r, base, head, ['cross-layer']) });
    expect(labelled.exitCode).toBe(0);

    r.commit('explain\n\nCross-Layer: the schema moves with its reader\n', { 'src/bronze/a.ts': '3\n' });
    const trailer = await guard(r, { comment: 'false' }, { event: prEvent(r, base, r.head()) });
    expect(trailer.exitCode).toBe(0);
    expect(trailer.summary).toContain('the schema moves with its reader');
  });

  it('protected paths need the configured label, and the reason is shown', async () => {
    const config = 'scope:\n  protected:\n    - { paths: ["src/auth/**"], reason: "authorization", require-label: security-reviewed }\n';
    const r = repo({ '.github/rollback-gate.yml': config, 'src/auth/login.ts': '1\n' });
    const base = r.head();
    r.commit('touch auth', { 'src/auth/login.ts': '2\n' });
    const run = await guard(r, { comment: 'false' }, { event: prEvent(r, base, r.head()) });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')!.message).toContain('authorization');
    expect(run.annotations.find((a) => a.level === 'error')!.properties.file).toBe('src/auth/login.ts');
    const ok = await guard(r, { comment: 'false' }, { event: prEvent(r, base, r.head(), ['security-reviewed']) });
    expect(ok.exitCode).toBe(0);

    // Moving a file out of a protected path changes it there too: its old name still needs the label.
    const before = r.head();
    r.git(['mv', 'src/auth/login.ts', 'src/login.ts']);
    r.commit('move login out of auth', {});
    const moved = await guard(r, { comment: 'false' }, { event: prEvent(r, before, r.head()) });
    expect(moved.exitCode).toBe(1);
    expect(JSON.parse(moved.outputs.violations!).map((v: { rule: string; file: string }) => `${v.rule} ${v.file}`)).toEqual(['protected src/login.ts']);
  });

  it('pull_request_target reads the config from the base, never from the PR head', async () => {
    const r = repo({ '.github/rollback-gate.yml': 'scope:\n  max-files: 1\n', 'a.txt': 'a\n' });
    const base = r.head();
    r.commit('PR raises its own budget', { '.github/rollback-gate.yml': 'scope:\n  max-files: 100\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    const run = await guard(r, { comment: 'false' }, { event: prEvent(r, base, r.head(), [], 5, 'pull_request_target') });
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.outputs.violations!)[0].message).toContain('the budget is 1');
    const plain = await guard(r, { comment: 'false' }, { event: prEvent(r, base, r.head()) });
    expect(plain.exitCode).toBe(0);
  });

  it('works on push and merge_group events', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const before = r.head();
    r.commit('x', { 'b.txt': 'b\n' });
    const push = await guard(r, { comment: 'false' }, { event: { name: 'push', payload: webhookPayload('push', undefined, { before, after: r.head(), ref: 'refs/heads/main' }) } });
    expect(push.exitCode).toBe(0);
    expect(push.outputs['files-changed']).toBe('1');
    const group = await guard(r, { comment: 'false' }, {
      event: { name: 'merge_group', payload: webhookPayload('merge_group', 'checks_requested', { merge_group: { base_sha: before, head_sha: r.head() } }) },
    });
    expect(group.exitCode).toBe(0);
    expect(group.outputs['files-changed']).toBe('1');
  });

  it('keeps one sticky comment, updated and never duplicated; without permission it still runs and says why', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const base = r.head();
    r.commit('x', { 'b.txt': 'b\n' });
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'scope', head: 'feature', base: 'main' });
    const event = prEvent(r, base, r.head(), [], pr.number);
    const first = await guard(r, { token: 'ghs_x' }, { event });
    expect(first.exitCode).toBe(0);
    r.commit('y', { 'c.txt': 'c\n' });
    const second = await guard(r, { token: 'ghs_x' }, { event: prEvent(r, base, r.head(), [], pr.number) });
    expect(second.exitCode).toBe(0);
    const comments = loopback.server.store.comments('octo-org', 'octo-repo', pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('<!-- rollback-gate:scope-guard -->');
    expect(comments[0]!.body).toContain('2 files of a budget of 5');

    loopback.server.on('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 403, body: { message: 'Resource not accessible by integration' } });
    try {
      const pr2 = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'fork', head: 'fork', base: 'main' });
      const denied = await guard(r, { token: 'ghs_readonly' }, { event: prEvent(r, base, r.head(), [], pr2.number) });
      expect(denied.exitCode).toBe(0);
      expect(denied.summary).toContain('No PR comment');
      expect(denied.summary).toContain('pull-requests: write');
    } finally {
      loopback.server.on('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', () => undefined);
    }
  });

  it('a force-pushed PR (base not an ancestor of head) compares from the merge-base and says so', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const root = r.head();
    r.commit('old base', { 'old.txt': 'o\n' });
    const oldBase = r.head();
    r.git(['switch', '--quiet', '-c', 'feature', root]);
    r.commit('feature', { 'f.txt': 'f\n' });
    const run = await guard(r, { base: oldBase, head: 'feature', comment: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['files-changed']).toBe('1');
    expect(run.annotations.some((a) => a.message.includes('is not an ancestor'))).toBe(true);
  });

  it('a shallow clone is deepened to reach the merge-base', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'feature']);
    for (let i = 0; i < 20; i++) r.commit(`c${i}`, { [`f${i % 3}.txt`]: `${i}\n` });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const dir = shallowClone(r, 'feature');
    const run = await guard(dir, { comment: 'false' }, { event: prEvent(r, base, r.head()) });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['files-changed']).toBe('3');
  });

  it('odd file names (spaces, newlines, quotes, non-UTF-8 bytes), symlinks and submodules do not break it', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const base = r.head();
    writeFileSync(join(r.dir, 'with space.ts'), 'export const s = 1;\n');
    writeFileSync(join(r.dir, 'new\nline.ts'), "import { s } from './with space';\n");
    writeFileSync(join(r.dir, 'quote"s\'.txt'), 'q\n');
    writeFileSync(Buffer.concat([Buffer.from(`${r.dir}/`), Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74])]), 'latin\n');
    symlinkSync('a.txt', join(r.dir, 'link.txt'));
    r.git(['add', '-A']);
    r.git(['update-index', '--add', '--cacheinfo', `160000,${base},vendor/sub`]);
    r.git(['commit', '--quiet', '-m', 'odd']);
    const run = await guard(r, { base, comment: 'false', mode: 'warn' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['files-changed']).toBe('6');
    const radius = JSON.parse(run.outputs['blast-radius']!) as Array<{ file: string }>;
    expect(radius.map((e) => e.file)).toContain('new\nline.ts');
  });

  it('a deleted file that others import is at risk, not an error; a missing import and a syntax error are reported, not fatal', async () => {
    const r = repo({ 'src/lib.ts': 'export const lib = 1;\n', 'src/user.ts': "import { lib } from './lib';\nimport { ghost } from './ghost';\n", 'src/broken.ts': 'import { from "\n}}} export const = ;\n' });
    const base = r.head();
    r.commit('delete lib', { 'src/lib.ts': null, 'src/broken.ts': 'import { from "\n}}} export const = ;;\n' });
    const run = await guard(r, { base, comment: 'false' });
    expect(run.exitCode).toBe(0);
    const radius = JSON.parse(run.outputs['blast-radius']!) as Array<{ file: string; changed: boolean }>;
    expect(radius).toEqual([expect.objectContaining({ file: 'src/user.ts', changed: false })]);
  });

  it('warns about a glob that matches nothing', async () => {
    const r = repo({ '.github/rollback-gate.yml': 'scope:\n  layers:\n    gold: ["src/gold/**"]\n', 'a.txt': 'a\n' });
    const base = r.head();
    r.commit('x', { 'b.txt': 'b\n' });
    const run = await guard(r, { base, comment: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.annotations.some((a) => a.level === 'warning' && a.message.includes('"src/gold/**" in scope.layers.gold matches no file'))).toBe(true);
  });

  it('a diff of 100,000 files', async () => {
    const r = repo({ 'a.txt': 'a\n' });
    const base = r.head();
    const lines = ['blob', 'mark :1', 'data 2', 'x', 'commit refs/heads/main', 'committer Ada <ada@example.com> 1700000000 +0000', 'data 4', 'big', `from ${base}`];
    for (let i = 0; i < 100_000; i++) lines.push(`M 100644 :1 gen/d${i % 300}/f${i}.txt`);
    execFileSync('git', ['fast-import', '--quiet'], { cwd: r.dir, input: `${lines.join('\n')}\n`, env: { ...process.env, ...GIT_TEST_ENV } });
    const run = await guard(r, { base, head: 'refs/heads/main', comment: 'false', mode: 'warn' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['files-changed']).toBe('100000');
    expect(run.outputs.passed).toBe('false');
  }, 60_000);
});

