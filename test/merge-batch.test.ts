/**
 * Merges batched through one `git merge-tree --stdin` (git 2.42+, packages/core/src/git/merge.ts):
 * the feature is detected by running it, never from the version string; the streaming parser reads
 * the answers git writes; and, on a git that has it, the batch gives exactly the answers of one
 * `git merge-tree` per merge, through the same TreeMerger verify uses.
 *
 * This machine's git is 2.39: the batch path cannot run here, so the test that runs it is skipped
 * (it says so); it runs wherever git is new enough (GitHub's runners).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Git, spawnGitRunner } from '../packages/core/src/git/git.js';
import { MERGE_TREE_BATCH_ARGS, MergeBatchParser, MergeTreeBatch, TreeMerger, detectMergeBatch, parseMergeTreeOutput, type MergeOutcome } from '../packages/core/src/git/merge.js';
import { ScratchStore } from '../packages/core/src/sandbox/scratch.js';
import { Simulator } from '../packages/core/src/verify/simulate.js';
import { createRepo, tempDir, type TestRepo } from './harness/repo.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const gitVersion = /(\d+)\.(\d+)/.exec(spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout)!.slice(1).map(Number) as [number, number];
/** What git's release notes say: `<base> -- <ours> <theirs>` lines in merge-tree --stdin came with 2.42. */
const versionHasBatch = gitVersion[0] > 2 || (gitVersion[0] === 2 && gitVersion[1] >= 42);

/** Merges with every kind of answer: clean, content conflict, modify/delete, a non-ASCII name, a rename. */
function mergeRepo(): TestRepo & { pairs: Array<[string, string]>; base: string } {
  const r = createRepo({ initial: { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'b\n', 'café/ü.txt': 'x\ny\n', 'm.txt': 'm\n', 'old.txt': 'rename me\nplease\nnow\n' } });
  repos.push(r);
  const base = r.head();
  const branch = (name: string, files: Record<string, string | null>): string => {
    r.git(['checkout', '--quiet', '-B', name, base]);
    return r.commit(name, files);
  };
  const ours = branch('ours', { 'a.txt': 'one\nOURS\nthree\n', 'café/ü.txt': 'x\nOURS\n', 'm.txt': null });
  const theirs = branch('theirs', { 'a.txt': 'one\nTHEIRS\nthree\n', 'café/ü.txt': 'x\nTHEIRS\n', 'm.txt': 'changed\n' });
  const clean = branch('clean', { 'b.txt': 'B\n' });
  r.git(['checkout', '--quiet', '-B', 'moved', base]);
  r.git(['mv', 'old.txt', 'new.txt']);
  const moved = r.commit('rename', {});
  const edited = branch('edited', { 'old.txt': 'rename me\nplease\nNOW\n' });
  return Object.assign(r, { base, pairs: [[ours, theirs], [ours, clean], [clean, theirs], [moved, edited], [edited, moved]] as Array<[string, string]> });
}

describe('merge-tree --stdin detection', () => {
  it(`runs the feature rather than trusting a version: ${versionHasBatch ? 'available' : 'absent'} on this git ${gitVersion.join('.')}`, async () => {
    const r = mergeRepo();
    const git = new Git(r.dir);
    expect(await detectMergeBatch({ test: (a, o) => git.test(a, o), format: 'sha1' })).toBe(versionHasBatch);
  });

  it('is not fooled by a git that only claims to be newer', async () => {
    const r = mergeRepo();
    const dir = tempDir();
    const liar = join(dir, 'git');
    const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(liar, `#!/bin/sh\nfor a in "$@"; do [ "$a" = --version ] && { echo "git version 2.99.0"; exit 0; }; done\nexec ${real} "$@"\n`);
    chmodSync(liar, 0o755);
    const git = new Git(r.dir, spawnGitRunner(liar));
    expect((await git.text(['--version']))).toBe('git version 2.99.0');
    expect(await detectMergeBatch({ test: (a, o) => git.test(a, o), format: 'sha1' })).toBe(versionHasBatch);
  });

  it('a simulator batches exactly when git can, and never when told not to', async () => {
    const r = mergeRepo();
    const store = await ScratchStore.create(new Git(r.dir), tempDir());
    try {
      const auto = await Simulator.create(store, 'merge-tree');
      expect(auto.batch !== undefined).toBe(versionHasBatch);
      expect(auto.describe()).toBe(versionHasBatch ? 'merge-tree merges (one merge-tree --stdin process)' : 'merge-tree merges');
      auto.close();
      expect((await Simulator.create(store, 'merge-tree', 'off')).batch).toBeUndefined();
      expect((await Simulator.create(store, 'index')).batch).toBeUndefined();
    } finally {
      store.dispose();
    }
  });
});

describe('the merge-tree --stdin parser', () => {
  it("reads git's own answers, framed as --stdin frames them, in chunks of any size", () => {
    const r = mergeRepo();
    // What builtin/merge-tree.c writes per --stdin line: "<clean>\0", then what the one-merge mode
    // writes with -z --name-only --messages, then "\0". The middle is git's real output here.
    const singles = r.pairs.map(([a, b]) => {
      const run = spawnSync('git', ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', a, b], { cwd: r.dir });
      expect([0, 1]).toContain(run.status);
      return { clean: run.status === 0, raw: run.stdout };
    });
    expect(singles.map((s) => s.clean)).toEqual([false, true, true, true, true]);
    const stream = Buffer.concat(singles.flatMap((s) => [Buffer.from(`${s.clean ? 1 : 0}\0`), s.raw, Buffer.from('\0')]));
    const expected = singles.map((s) => ({ clean: s.clean, ...parseMergeTreeOutput(s.raw.toString('utf8')) }));
    expect(expected[0]!.files.sort()).toEqual(['a.txt', 'café/ü.txt', 'm.txt']);
    expect(expected[0]!.types.get('m.txt')).toBe('modify/delete');

    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const parser = new MergeBatchParser();
      const answers = [];
      for (let at = 0; at < stream.length; at += size) answers.push(...parser.push(stream.subarray(at, at + size)));
      expect([size, answers]).toEqual([size, expected]);
      expect(parser.idle()).toBe(true);
    }
    // A partial answer is held until the rest comes.
    const parser = new MergeBatchParser();
    expect(parser.push(stream.subarray(0, stream.length - 1))).toHaveLength(expected.length - 1);
    expect(parser.idle()).toBe(false);
    expect(() => new MergeBatchParser().push(Buffer.from('x\0tree\0\0\0'))).toThrow(/unexpected git merge-tree --stdin output/);
  });

  it("reads a submodule conflict, whose answer ends with merge-ort's advice in free text, and the answer after it", () => {
    // merge-ort prints "Recursive merging with submodules currently only supports trivial cases. …"
    // after the message records of a merge with a conflicted submodule (merge-ort.c,
    // print_submodule_conflict_suggestion, on stdout, no NUL in it), --stdin included.
    const r = createRepo({ initial: { 'a.txt': 'a\n' } });
    repos.push(r);
    const gitlink = (sha: string): string => {
      r.git(['update-index', '--add', '--cacheinfo', `160000,${sha},mod/sub`]);
      return r.git(['commit-tree', r.git(['write-tree']), '-p', r.head(), '-m', sha.slice(0, 1)]);
    };
    r.git(['reset', '--quiet', '--soft', gitlink('1'.repeat(40))]);
    const [ours, theirs] = [gitlink('2'.repeat(40)), gitlink('3'.repeat(40))];
    const run = spawnSync('git', ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', ours, theirs], { cwd: r.dir });
    expect(run.status).toBe(1);
    // git 2.39 prints the advice; later gits (2.47 seen) say the conflict in message records only.
    // Each git's own output is read here: with the advice where it prints it.
    const gitVersion = /(\d+)\.(\d+)/.exec(r.git(['--version']))!.slice(1).map(Number) as [number, number];
    if (gitVersion[0] === 2 && gitVersion[1] <= 39) expect(run.stdout.toString('utf8')).toContain('Recursive merging with submodules');
    const clean = spawnSync('git', ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', ours, ours], { cwd: r.dir });
    const stream = Buffer.concat([Buffer.from('0\0'), run.stdout, Buffer.from('\0'), Buffer.from('1\0'), clean.stdout, Buffer.from('\0')]);
    for (const size of [1, 5, stream.length]) {
      const parser = new MergeBatchParser();
      const answers = [];
      for (let at = 0; at < stream.length; at += size) answers.push(...parser.push(stream.subarray(at, at + size)));
      expect(answers.map((a) => [a.clean, a.files, a.types.get('mod/sub')])).toEqual([
        [false, ['mod/sub'], 'submodule not initialized'],
        [true, [], undefined],
      ]);
      expect(answers[1]!.tree).toBe(r.git(['rev-parse', `${ours}^{tree}`]));
      expect(parser.idle()).toBe(true);
    }
  });

  it('the batch process fails the waiting merges with git’s message when git refuses (here: no --stdin, or no base per line)', async () => {
    if (versionHasBatch) return; // on a git that has it, the live test below covers the process
    const r = mergeRepo();
    const batch = new MergeTreeBatch((args) => {
      expect(args).toEqual(MERGE_TREE_BATCH_ARGS);
      return spawn('git', [...args], { cwd: r.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    });
    const tree = r.git(['rev-parse', `${r.base}^{tree}`]);
    await expect(batch.merge(tree, tree, tree)).rejects.toThrow(/merge-tree --stdin/);
    batch.close();
  });
});

const live = versionHasBatch ? it : it.skip;

describe(`the batch on a real git ${versionHasBatch ? '' : '(SKIPPED: this git is older than 2.42)'}`, () => {
  live('gives the answers of one merge-tree per merge, through one process', async () => {
    const r = mergeRepo();
    const store = await ScratchStore.create(new Git(r.dir), tempDir());
    const one = new TreeMerger(store, 'merge-tree');
    const batched = (await Simulator.create(store, 'merge-tree')) as TreeMerger;
    expect(batched.batch).toBeDefined();
    try {
      const tree = (rev: string) => r.git(['rev-parse', `${rev}^{tree}`]);
      const baseTree = tree(r.base);
      const all = async (m: TreeMerger): Promise<MergeOutcome[]> =>
        Promise.all([
          ...r.pairs.map(([a, b]) => m.merge3(baseTree, tree(a), tree(b))),
          ...r.pairs.map(([a, b]) => m.mergeCommits(a, b)),
          ...r.pairs.map(([a, b]) => m.applyChange(r.base, tree(b), tree(a))),
        ]);
      const expected = await all(one);
      expect(expected.some((o) => !o.clean) && expected.some((o) => o.clean)).toBe(true);
      // A conflicted merge's tree holds conflict markers whose labels name the merge's inputs: the
      // batch names trees, one process per merge the commits it writes for them. Those labels aside,
      // the trees are the same, file for file.
      const markersUnlabelled = async (tree: string): Promise<string> => {
        const files = (await store.text(['ls-tree', '-r', '--name-only', '-z', tree])).split('\0').filter(Boolean);
        const texts = await Promise.all(files.map(async (file) => (await store.text(['cat-file', 'blob', `${tree}:${file}`])).replace(/^(<{7}|>{7}|\|{7}) .*$/gm, '$1')));
        return files.map((file, i) => `${file}\n${texts[i]}`).join('\n');
      };
      const comparable = (outcomes: MergeOutcome[]) => Promise.all(outcomes.map(async (o) => ({ ...o, tree: o.clean ? o.tree : await markersUnlabelled(o.tree) })));
      const got = await all(batched);
      expect(await comparable(got)).toEqual(await comparable(expected));
      expect(got.some((o, i) => !o.clean && o.tree !== expected[i]!.tree)).toBe(true); // the labels did differ: the comparison above was needed
      expect(batched.batch!.sent).toBe(expected.length);
    } finally {
      batched.close();
      store.dispose();
    }
  });
});

describe('the batch process as git 2.47 answers (its last byte held back; emulated where git is older)', () => {
  const emulator = join(dirname(fileURLToPath(import.meta.url)), 'harness', 'merge-tree-stdin.mjs');
  const spawner = (dir: string) => (args: readonly string[]) =>
    versionHasBatch
      ? spawn('git', [...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [emulator, 'git', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });

  it('answers the last merge of every burst, also after a close in the same turn and a new process', async () => {
    const r = mergeRepo();
    const tree = (rev: string) => r.git(['rev-parse', `${rev}^{tree}`]);
    const [a, b] = r.pairs[1]!;
    const batch = new MergeTreeBatch(spawner(r.dir));
    try {
      const expected = r.git(['merge-tree', '--write-tree', a, b]);
      // One merge, awaited alone: nothing after it would push its last byte out but the flush.
      expect((await batch.merge(tree(r.base), tree(a), tree(b))).tree).toBe(expected);
      // A burst, then a close in the same turn: the queued flush is for the old process.
      const first = batch.merge(tree(r.base), tree(a), tree(b));
      batch.close();
      expect((await first).tree).toBe(expected); // the old process answers at the end of its input
      // The next merge starts a new process, whose bursts must be flushed too.
      expect((await batch.merge(tree(r.base), tree(a), tree(b))).tree).toBe(expected);
      expect(batch.sent).toBe(3);
    } finally {
      batch.close();
    }
  }, 30_000);
});
