/**
 * The git foundations the capabilities share (packages/core/src/git/): one ls-remote parser, one
 * object reader, one leased atomic push that returns its rejection as data, our trailer protocol,
 * and the import graph of a tree reading exactly the files the graph package says it reads.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  Git,
  GitError,
  GitInternalError,
  TRAILERS,
  UserError,
  checkTimeoutCapMs,
  commitFiles,
  importGraphAt,
  parseLsRemote,
  pushAtomic,
  readCommits,
  readObjects,
  trailerValue,
  trailerValues,
} from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));
function repo(initial?: Record<string, string>): TestRepo {
  const r = createRepo(initial ? { initial } : {});
  repos.push(r);
  return r;
}

describe('ls-remote', () => {
  it('parses refs and symbolic refs', () => {
    const parsed = parseLsRemote('ref: refs/heads/main\tHEAD\naaa\tHEAD\nbbb\trefs/heads/main\nccc\trefs/tags/v1\n\n');
    expect([...parsed.refs]).toEqual([['HEAD', 'aaa'], ['refs/heads/main', 'bbb'], ['refs/tags/v1', 'ccc']]);
    expect([...parsed.symrefs]).toEqual([['HEAD', 'refs/heads/main']]);
  });

  it('lists a remote by patterns, tells its default branch and whether a remote exists', async () => {
    const r = repo();
    r.git(['push', '--quiet', 'origin', 'HEAD:refs/rollback-gate/backup/s1', 'HEAD:refs/rollback-gate/backup/s1-2', 'HEAD:refs/rollback-gate/backup/s10']);
    const git = new Git(r.dir);
    const refs = await git.lsRemote('origin', ['refs/rollback-gate/backup/s1', 'refs/rollback-gate/backup/s1-*']);
    expect([...refs.keys()].sort()).toEqual(['refs/rollback-gate/backup/s1', 'refs/rollback-gate/backup/s1-2']);
    expect(await git.remoteRef('origin', 'refs/heads/main')).toBe(r.head());
    expect(await git.remoteRef('origin', 'refs/heads/nope')).toBeUndefined();
    expect(await git.remoteDefaultBranch('origin')).toBe('main');
    expect(await git.hasRemote('origin')).toBe(true);
    expect(await git.hasRemote('upstream')).toBe(false);
  });
});

describe('objects and commits', () => {
  it('reads many objects in one batch, leaving out missing ones', async () => {
    const r = repo({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n' });
    const git = new Git(r.dir);
    const a = r.git(['rev-parse', 'HEAD:a.txt']);
    const b = r.git(['rev-parse', 'HEAD:b.txt']);
    const missing = '0123456789012345678901234567890123456789';
    const objects = await readObjects(git, [a, b, a, missing, r.head()]);
    expect([...objects.keys()].sort()).toEqual([a, b, r.head()].sort());
    expect(objects.get(a)).toEqual({ type: 'blob', content: Buffer.from('alpha\n') });
    expect(objects.get(r.head())?.type).toBe('commit');
  });

  it('lists a commit\'s files with renames as both paths, or once', async () => {
    const r = repo({ 'old.txt': 'the same content, long enough to be a rename\n', 'keep.txt': 'k\n' });
    r.git(['mv', 'old.txt', 'new.txt']);
    const sha = r.commit('rename', { 'keep.txt': 'k2\n' });
    const git = new Git(r.dir);
    const [commit] = await readCommits(git, [`${sha}~1..${sha}`]);
    expect((await commitFiles(git, commit!)).sort()).toEqual(['keep.txt', 'new.txt', 'old.txt']);
    expect((await commitFiles(git, commit!, { renames: 'once' })).sort()).toEqual(['keep.txt', 'new.txt']);
  });

  it('reads exactly the commits it is given with noWalk, also with maxCount (git log walks when both are passed)', async () => {
    const r = repo({ 'a.txt': '0\n' });
    const shas = [1, 2, 3, 4, 5].map((i) => r.commit(`c${i}`, { 'a.txt': `${i}\n` }, { env: { GIT_COMMITTER_DATE: `2026-01-0${i}T00:00:00Z` } }));
    const git = new Git(r.dir);
    const picked = [shas[4]!, shas[1]!];
    expect((await readCommits(git, picked, { noWalk: true, newestFirst: true, maxCount: 2 })).map((c) => c.sha)).toEqual(picked);
    expect((await readCommits(git, picked, { noWalk: true, newestFirst: true, maxCount: 1 })).map((c) => c.sha)).toEqual([shas[4]]);
    expect((await readCommits(git, picked, { noWalk: true })).map((c) => c.sha)).toEqual([shas[1], shas[4]]);
  });

  it('reads our trailers case-insensitively, the first non-empty value', async () => {
    const r = repo();
    const sha = r.commit(`squash\n\nsession-id: \nSession-Id: pr-7\nCo-authored-by: A <a@x>\nco-authored-by: B <b@x>\n`, {});
    const [commit] = await readCommits(new Git(r.dir), [`${sha}~1..${sha}`]);
    expect(trailerValue(commit!, TRAILERS.sessionId)).toBe('pr-7');
    expect(trailerValues(commit!, TRAILERS.coAuthoredBy)).toEqual(['A <a@x>', 'B <b@x>']);
    expect(trailerValue(commit!, TRAILERS.squashedCommits)).toBeUndefined();
  });
});

describe('the leased atomic push', () => {
  it('pushes every update or none, and returns a rejection naming the ref that moved and where it is now', async () => {
    const r = repo();
    const git = new Git(r.dir);
    const base = r.head();
    const mine = r.commit('mine', { 'x.txt': 'mine\n' });
    expect(await pushAtomic(git, 'origin', [{ ref: 'refs/heads/feature', to: mine, expect: null }])).toEqual({ pushed: true });

    // Someone else moves main; our push of main (leased on base) and a new tag must both be refused.
    r.git(['push', '--quiet', 'origin', `${mine}:refs/heads/main`]);
    const result = await pushAtomic(git, 'origin', [
      { ref: 'refs/heads/main', to: base, expect: base },
      { ref: 'refs/tags/t1', to: base, expect: null },
    ]);
    expect(result.pushed).toBe(false);
    if (result.pushed) return;
    expect(result.rejection.remote).toBe('origin');
    expect(result.rejection.output).toMatch(/failed to push/);
    expect(result.rejection.refs).toEqual([
      { ref: 'refs/heads/main', expected: base, actual: mine, moved: true },
      { ref: 'refs/tags/t1', expected: null, actual: undefined, moved: false },
    ]);
    expect(result.rejection.moved?.ref).toBe('refs/heads/main');
    expect(await git.remoteRef('origin', 'refs/tags/t1')).toBeUndefined();

    // Deleting with a lease.
    expect(await pushAtomic(git, 'origin', [{ ref: 'refs/heads/feature', to: undefined, expect: mine }])).toEqual({ pushed: true });
    expect(await git.remoteRef('origin', 'refs/heads/feature')).toBeUndefined();
  });
});

describe('the import graph of a tree', () => {
  it('reads what the graph package reads: .pyi stubs and jsconfig variants included', async () => {
    const r = repo({
      'pkg/__init__.py': '',
      'pkg/api.pyi': 'from pkg.models import Model\n',
      'pkg/models.py': 'class Model: ...\n',
      'web/jsconfig.app.json': '{ "compilerOptions": { "baseUrl": "src" } }\n',
      'web/src/main.js': "import { util } from 'lib/util';\n",
      'web/src/lib/util.js': 'export const util = 1;\n',
      'README.md': '# not read\n',
    });
    const git = new Git(r.dir);
    const { graph } = await importGraphAt(git, r.git(['rev-parse', 'HEAD^{tree}']));
    const edges = (file: string) => (graph.imports.get(file) ?? []).map((e) => e.to);
    expect(edges('pkg/api.pyi')).toEqual(['pkg/models.py']);
    expect(edges('web/src/main.js')).toEqual(['web/src/lib/util.js']);
    expect(graph.problems.filter((p) => /could not be read/.test(p.message))).toEqual([]);
  });
});

describe('git failures', () => {
  it('our own misuse of git is an internal error with a stack, not a user\'s mistake', async () => {
    const r = repo();
    const error = await new Git(r.dir).run(['log', '--no-such-option-for-log']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitInternalError);
    expect(error).not.toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('`git log --no-such-option-for-log` failed (exit 128)');
    expect((error as Error).stack).toContain('git.ts');
  });

  it('a failure with a next step stays the user\'s: the caller\'s hint, or a known cause', async () => {
    const r = repo();
    const git = new Git(r.dir);
    const hinted = await git.run(['log', '--no-such-option-for-log'], { hint: 'Do this next.' }).catch((e: unknown) => e);
    expect(hinted).toBeInstanceOf(GitError);
    expect(hinted).toBeInstanceOf(UserError);
    expect((hinted as UserError).hint).toBe('Do this next.');
    const unreachable = await git.run(['ls-remote', '--end-of-options', '/nonexistent/remote.git']).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(GitError);
    expect((unreachable as UserError).hint).toMatch(/remote could not be reached/);
  });
});

describe('ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS', () => {
  it('is read by one rule for every adapter: seconds > 0, else a user error', () => {
    expect(checkTimeoutCapMs({})).toBeUndefined();
    expect(checkTimeoutCapMs({ ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: ' ' })).toBeUndefined();
    expect(checkTimeoutCapMs({ ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '90' })).toBe(90_000);
    expect(checkTimeoutCapMs({ ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '0.5' })).toBe(500);
    for (const bad of ['0', '-3', 'ten', 'Infinity']) {
      expect(() => checkTimeoutCapMs({ ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: bad })).toThrow(UserError);
    }
  });
});
