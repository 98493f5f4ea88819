/**
 * The one merge engine (packages/core/src/git/merge.ts) as squash and rollback use it: applyChange
 * in the repository, on `git merge-tree --write-tree` and on the temporary-index fallback for git
 * older than 2.38, against what git's own cherry-pick and revert make.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Git, applyChange, type MergeEngine } from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

function repo(): TestRepo {
  const r = createRepo({ initial: { 'a.txt': 'one\ntwo\nthree\nfour\nfive\n', 'b.txt': 'b\n' } });
  repos.push(r);
  return r;
}

describe.each<MergeEngine>(['merge-tree', 'index'])('applyChange on the %s engine', (engine) => {
  it('cherry-picks and reverts as git does, leaving index, working tree and refs alone', async () => {
    const r = repo();
    const base = r.head();
    const change = r.commit('edit line 1', { 'a.txt': 'ONE\ntwo\nthree\nfour\nfive\n' });
    const later = r.commit('edit line 5 and b', { 'a.txt': 'ONE\ntwo\nthree\nfour\nFIVE\n', 'b.txt': 'B\n' });
    const git = new Git(r.dir);
    const tree = (rev: string) => r.git(['rev-parse', `${rev}^{tree}`]);
    const status = r.git(['status', '--porcelain']);

    // Revert `change` on top of `later`: line 1 back, line 5 and b kept.
    const reverted = await applyChange(git, change, tree(base), tree(later), { engine });
    expect(reverted.clean).toBe(true);
    expect(r.git(['show', `${reverted.tree}:a.txt`])).toBe('one\ntwo\nthree\nfour\nFIVE');
    r.git(['revert', '--no-edit', change]);
    expect(reverted.tree).toBe(tree('HEAD'));

    // Cherry-pick `later` onto `base`.
    const picked = await applyChange(git, change, tree(later), tree(base), { engine });
    expect(picked).toEqual({ clean: true, tree: expect.any(String), conflicts: [] });
    expect(r.git(['show', `${picked.tree}:a.txt`])).toBe('one\ntwo\nthree\nfour\nFIVE');
    expect(r.git(['show', `${picked.tree}:b.txt`])).toBe('B');
    expect(r.git(['status', '--porcelain'])).toBe(status);
  });

  it('reports the conflicting paths and stays clean of the user checkout', async () => {
    const r = repo();
    const base = r.head();
    const ours = r.commit('ours', { 'a.txt': 'one\nOURS\nthree\nfour\nfive\n' });
    r.git(['reset', '--quiet', '--hard', base]);
    const theirs = r.commit('theirs', { 'a.txt': 'one\nTHEIRS\nthree\nfour\nfive\n', 'b.txt': 'theirs\n' });
    const git = new Git(r.dir);
    const tree = (rev: string) => r.git(['rev-parse', `${rev}^{tree}`]);
    const applied = await applyChange(git, base, tree(theirs), tree(ours), { engine });
    expect(applied.clean).toBe(false);
    expect(applied.conflicts).toEqual(['a.txt']);
    expect(r.git(['status', '--porcelain'])).toBe('');
    expect(r.head()).toBe(theirs);
  });
});
