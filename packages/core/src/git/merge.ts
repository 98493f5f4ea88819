/**
 * The one three-way merge engine over trees, computed without the user's index or working tree:
 * simulated reverts and landings (verify), the agent changes applied to the base and human commits
 * replayed (squash), reverts (rollback).
 *
 * Where git has `merge-tree --write-tree` (2.38+), a merge is one `git merge-tree` call on two
 * commits that share exactly the merge base (git 2.39 has no `--merge-base`): the result is the tree
 * `git revert` / `git cherry-pick` would make, renames included. On older git, a temporary index does
 * the same merge with `git read-tree -m` and `git merge-file` (no rename detection there).
 * Objects go where the store says: a scratch store (verify), or the repository itself (applyChange).
 *
 * Where git has `merge-tree --stdin` with a merge base on each line (2.42+; GitHub's runners have
 * it), merges go through one long-lived `git merge-tree --stdin` process instead (MergeTreeBatch):
 * a line `<base> -- <ours> <theirs>` per merge, trees as they are (no commits to write), the
 * answers read back as git flushes each one. Feature-detected by running it (detectMergeBatch),
 * never from the version string; without it, one process per merge as above.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitInternalError } from '../base/errors.js';
import type { Git, GitResult, GitRunOptions, ObjectFormat } from './git.js';
import { plural } from '../output/markdown.js';

export interface LineRange {
  start: number;
  end: number;
}

/** A file the merge could not resolve, with the lines (in "ours", the tip) the conflict covers. */
export interface ConflictFile {
  file: string;
  /** git's conflict type: content, binary, modify/delete, add/add, rename/delete, … */
  conflict: string;
  lines: LineRange[];
}

export interface MergeOutcome {
  clean: boolean;
  /** The merged tree; with conflicts, the tree git wrote with conflict markers in it. */
  tree: string;
  conflicts: ConflictFile[];
}

export type MergeEngine = 'merge-tree' | 'index';

/** Where a merge reads and writes objects, and where its temporary index goes. */
export interface ObjectStore {
  /** A directory for temporary index files (the fallback engine). */
  readonly dir: string;
  readonly format: ObjectFormat;
  /** `reads`: the trees of this store's own making the command may read (the store writes them first, if it keeps them in memory). */
  run(args: readonly string[], options?: GitRunOptions & { reads?: readonly string[] }): Promise<GitResult>;
  test(args: readonly string[], options?: GitRunOptions & { reads?: readonly string[] }): Promise<GitResult>;
  text(args: readonly string[], options?: GitRunOptions): Promise<string>;
  writeCommit(tree: string, parents: readonly string[], message?: string): string | Promise<string>;
  /** Writes objects the store keeps in memory (a long-lived git process is about to read `ids`). */
  flush?(ids?: Iterable<string>): void;
}

/** Whether this git can merge without an index: `git merge-tree --write-tree` (2.38+). */
export async function detectMergeEngine(store: Pick<ObjectStore, 'test'>): Promise<MergeEngine> {
  const usage = await store.test(['merge-tree', '-h']);
  return /--write-tree/.test(usage.stdout + usage.stderr) ? 'merge-tree' : 'index';
}

export class TreeMerger {
  private readonly roots = new Map<string, Promise<string>>();
  private readonly merges = new Map<string, Promise<MergeOutcome>>();
  private indexCounter = 0;
  /** Merges run, for the summary and the benchmark. */
  mergeCount = 0;
  /**
   * Merges on which `git merge-tree` died (git 2.39's merge-ort aborts on some directory renames
   * made in both directions) and that the temporary index merged instead: git's message for each.
   */
  readonly crashedMerges: string[] = [];

  constructor(
    readonly store: ObjectStore,
    readonly engine: MergeEngine,
    /** Whether content conflicts carry their line ranges (one blob read per conflicted file). */
    private readonly withConflictLines = true,
    /** One `git merge-tree --stdin` for every merge (engine 'merge-tree' only; see detectMergeBatch). */
    readonly batch?: MergeTreeBatch,
  ) {
    if (batch && engine !== 'merge-tree') throw new Error('a merge-tree batch needs the merge-tree engine');
  }

  /**
   * A merge through the batch process, the store's in-memory objects written first (the process
   * reads them). When git dies in the middle of the batch (killed by a signal: merge-ort aborts on
   * some merges, see runMergeTree), every merge it had not answered is made again by `alone`, one
   * process for it, where such a death has its own fallback; the next merge starts a new batch.
   */
  private async batchMerge(base: string | undefined, ours: string, theirs: string, alone: () => Promise<MergeOutcome>): Promise<MergeOutcome> {
    this.store.flush?.([base, ours, theirs].filter((id): id is string => id !== undefined));
    let answer: MergeTreeAnswer;
    try {
      answer = await this.batch!.merge(base, ours, theirs);
    } catch (error) {
      if (!(error instanceof GitInternalError) || !diedOfSignal(error.exitCode)) throw error;
      return alone();
    }
    return this.outcomeOf(answer);
  }

  /** Ends the batch process, if any (merges after this start a new one). */
  close(): void {
    this.batch?.close();
  }

  /** A three-way merge of trees; memoized, since searches revisit the same states. */
  merge3(baseTree: string, oursTree: string, theirsTree: string): Promise<MergeOutcome> {
    const key = `${baseTree} ${oursTree} ${theirsTree}`;
    let outcome = this.merges.get(key);
    if (!outcome) {
      if (oursTree === baseTree) outcome = Promise.resolve({ clean: true, tree: theirsTree, conflicts: [] });
      else if (theirsTree === baseTree || theirsTree === oursTree) outcome = Promise.resolve({ clean: true, tree: oursTree, conflicts: [] });
      else {
        this.mergeCount++;
        outcome = this.engine === 'merge-tree' ? this.mergeTree3(baseTree, oursTree, theirsTree) : this.indexMerge3(baseTree, oursTree, theirsTree);
      }
      this.merges.set(key, outcome);
    }
    return outcome;
  }

  /**
   * Records the outcome of a merge computed without git (a revert whose paths nothing after it
   * touched: verify/exact-revert.ts), so that merge3 on the same trees answers it without a merge.
   * False when the same merge was already known (nothing recorded).
   */
  remember(baseTree: string, oursTree: string, theirsTree: string, outcome: MergeOutcome): boolean {
    const key = `${baseTree} ${oursTree} ${theirsTree}`;
    if (this.merges.has(key)) return false;
    this.merges.set(key, Promise.resolve(outcome));
    return true;
  }

  /** A real merge of two commits (their own merge base, as GitHub merges a pull request). */
  async mergeCommits(ours: string, theirs: string): Promise<MergeOutcome> {
    if (this.engine === 'merge-tree') {
      this.mergeCount++;
      const alone = (): Promise<MergeOutcome> => this.runMergeTree(ours, theirs, () => this.indexMergeCommits(ours, theirs));
      return this.batch ? this.batchMerge(undefined, ours, theirs, alone) : alone();
    }
    return this.indexMergeCommits(ours, theirs);
  }

  private async indexMergeCommits(ours: string, theirs: string): Promise<MergeOutcome> {
    const base = await this.store.test(['merge-base', '--end-of-options', ours, theirs]);
    const baseTree = base.exitCode === 0 ? await this.treeOf(base.stdout.trim()) : await this.emptyTree();
    const [oursTree, theirsTree] = await Promise.all([this.treeOf(ours), this.treeOf(theirs)]);
    return this.engine === 'index' ? this.merge3(baseTree, oursTree, theirsTree) : this.indexMerge3(baseTree, oursTree, theirsTree);
  }

  async treeOf(commit: string): Promise<string> {
    return this.store.text(['rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`]);
  }

  async emptyTree(): Promise<string> {
    return this.store.text(['hash-object', '-t', 'tree', '-w', '--stdin']);
  }

  private rootFor(baseTree: string): Promise<string> {
    let root = this.roots.get(baseTree);
    if (!root) {
      root = Promise.resolve(this.store.writeCommit(baseTree, [], 'rollback-gate merge base'));
      this.roots.set(baseTree, root);
    }
    return root;
  }

  private async mergeTree3(baseTree: string, oursTree: string, theirsTree: string): Promise<MergeOutcome> {
    const alone = async (): Promise<MergeOutcome> => this.mergeTreeOn(await this.rootFor(baseTree), oursTree, theirsTree, [baseTree, oursTree, theirsTree]);
    return this.batch ? this.batchMerge(baseTree, oursTree, theirsTree, alone) : alone();
  }

  /** ours and theirs as children of `baseCommit`, so it is exactly their merge base. `reads`: the trees involved, when known. */
  private async mergeTreeOn(baseCommit: string, oursTree: string, theirsTree: string, reads?: readonly string[]): Promise<MergeOutcome> {
    const [ours, theirs] = await Promise.all([this.store.writeCommit(oursTree, [baseCommit], 'ours'), this.store.writeCommit(theirsTree, [baseCommit], 'theirs')]);
    return this.runMergeTree(ours, theirs, async () => this.indexMerge3(await this.treeOf(baseCommit), oursTree, theirsTree), reads);
  }

  /**
   * The change from commit `base` to tree `target`, applied onto tree `onto` (no memo, no shortcut:
   * each call is one merge). A cherry-pick of C onto T: (C^, tree(C), tree(T)); a revert of C on
   * T: (C, tree(C^), tree(T)).
   */
  async applyChange(base: string, target: string, onto: string): Promise<MergeOutcome> {
    this.mergeCount++;
    if (this.batch) return this.batchMerge(base, onto, target, () => this.mergeTreeOn(base, onto, target));
    if (this.engine === 'merge-tree') return this.mergeTreeOn(base, onto, target);
    return this.indexMerge3(await this.treeOf(base), onto, target);
  }

  /**
   * One `git merge-tree` of two commits. When git itself dies on the merge (killed by a signal: an
   * assertion in merge-ort, not an answer), the same merge is made by `fallback` (the temporary
   * index: no rename detection, so a rename on one side and an edit on the other is a conflict
   * there, never a silent clean), and git's message is kept in crashedMerges. `reads`: the trees
   * the merge reads, when known (a store keeping some in memory writes only those).
   */
  private async runMergeTree(ours: string, theirs: string, fallback: () => Promise<MergeOutcome>, reads?: readonly string[]): Promise<MergeOutcome> {
    const args = ['merge-tree', '--write-tree', '-z', '--name-only', '--allow-unrelated-histories', '--end-of-options', ours, theirs];
    let result: GitResult;
    try {
      result = await this.store.run(args, { okExitCodes: [0, 1], ...(reads ? { reads } : {}) });
    } catch (error) {
      if (!(error instanceof GitInternalError) || !diedOfSignal(error.exitCode)) throw error;
      this.crashedMerges.push(error.stderr.trim().split('\n').pop() || `git merge-tree ${ours} ${theirs} was killed`);
      return fallback();
    }
    return this.outcomeOf({ clean: result.exitCode === 0, ...parseMergeTreeOutput(result.stdout) });
  }

  /** A merge-tree answer as an outcome: content conflicts get their line ranges. */
  private async outcomeOf(parsed: MergeTreeAnswer): Promise<MergeOutcome> {
    if (parsed.clean) return { clean: true, tree: parsed.tree, conflicts: [] };
    const conflicts = await Promise.all(
      parsed.files.map(async (file) => {
        const conflict = parsed.types.get(file) ?? 'content';
        const lines = conflict === 'content' && this.withConflictLines ? await this.conflictLines(parsed.tree, file) : [];
        return { file: movedAside(file), conflict, lines };
      }),
    );
    return { clean: false, tree: parsed.tree, conflicts: conflicts.filter((c, i) => conflicts.findIndex((d) => d.file === c.file) === i) };
  }

  /** The line ranges of the conflict regions of a file in a merged tree, as lines of "ours". */
  private async conflictLines(tree: string, file: string): Promise<LineRange[]> {
    // The tree is git's answer: on disk, with every tree it shares with the merge's inputs.
    const blob = await this.store.test(['cat-file', 'blob', `${tree}:${file}`], { reads: [] });
    return blob.exitCode === 0 ? conflictRegions(blob.stdout) : [];
  }

  /** The merge with a temporary index (git without `merge-tree --write-tree`). */
  private async indexMerge3(baseTree: string, oursTree: string, theirsTree: string): Promise<MergeOutcome> {
    const dir = mkdtempSync(join(this.store.dir, `index-${this.indexCounter++}-`));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.store.run(['read-tree', '-m', '-i', '--aggressive', baseTree, oursTree, theirsTree], { env });
      const unmerged = await this.store.run(['ls-files', '-u', '-z'], { env });
      const stages = new Map<string, Map<number, { mode: string; oid: string }>>();
      for (const entry of unmerged.stdout.split('\0').filter(Boolean)) {
        const match = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(entry);
        if (!match) continue;
        const [, mode = '', oid = '', stage = '0', path = ''] = match;
        if (!stages.has(path)) stages.set(path, new Map());
        stages.get(path)!.set(Number(stage), { mode, oid });
      }
      const conflicts: ConflictFile[] = [];
      const resolved: string[] = [];
      for (const [path, byStage] of stages) {
        const outcome = await this.mergeEntry(path, byStage, dir);
        if ('conflict' in outcome) conflicts.push(outcome.conflict);
        else resolved.push(`0 ${'0'.repeat(this.store.format === 'sha256' ? 64 : 40)}\t${path}`, `${outcome.mode} ${outcome.oid} 0\t${path}`);
      }
      if (conflicts.length > 0) return { clean: false, tree: oursTree, conflicts };
      if (resolved.length > 0) await this.store.run(['update-index', '--index-info'], { env, input: `${resolved.join('\n')}\n` });
      const tree = await this.store.text(['write-tree'], { env });
      return { clean: true, tree, conflicts: [] };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async mergeEntry(
    path: string,
    byStage: Map<number, { mode: string; oid: string }>,
    dir: string,
  ): Promise<{ mode: string; oid: string } | { conflict: ConflictFile }> {
    const base = byStage.get(1);
    const ours = byStage.get(2);
    const theirs = byStage.get(3);
    if (!ours || !theirs) {
      return { conflict: { file: path, conflict: ours ? 'modify/delete' : theirs ? 'delete/modify' : 'delete/delete', lines: [] } };
    }
    const regular = (mode: string): boolean => mode === '100644' || mode === '100755';
    if (!regular(ours.mode) || !regular(theirs.mode) || (base && !regular(base.mode))) {
      return { conflict: { file: path, conflict: 'type', lines: [] } };
    }
    const mode = !base || ours.mode === base.mode ? theirs.mode : theirs.mode === base.mode || ours.mode === theirs.mode ? ours.mode : undefined;
    if (!mode) return { conflict: { file: path, conflict: 'mode', lines: [] } };
    const read = async (oid: string): Promise<Buffer> => (await this.store.run(['cat-file', 'blob', oid])).raw;
    const [oursData, theirsData, baseData] = await Promise.all([read(ours.oid), read(theirs.oid), base ? read(base.oid) : Buffer.alloc(0)]);
    const binary = (data: Buffer): boolean => data.subarray(0, 8000).includes(0);
    if (binary(oursData) || binary(theirsData) || binary(baseData)) {
      return { conflict: { file: path, conflict: base ? 'binary' : 'add/add', lines: [] } };
    }
    const files = ['ours', 'base', 'theirs'].map((name) => join(dir, name));
    writeFileSync(files[0]!, oursData);
    writeFileSync(files[1]!, baseData);
    writeFileSync(files[2]!, theirsData);
    const merged = await this.store.run(['merge-file', '-p', '-L', 'ours', '-L', 'base', '-L', 'theirs', ...files], {
      okExitCodes: Array.from({ length: 128 }, (_, i) => i),
    });
    if (merged.exitCode !== 0) {
      return { conflict: { file: path, conflict: base ? 'content' : 'add/add', lines: this.withConflictLines ? conflictRegions(merged.stdout) : [] } };
    }
    const oid = await this.store.text(['hash-object', '-w', '--stdin'], { input: merged.raw });
    return { mode, oid };
  }
}

/**
 * The path a conflict is at. Where two things cannot share a path (a file and a directory, a file
 * and a symlink: "distinct modes") merge-ort moves one aside to `<path>~<label>`, the label naming
 * its side: here a scratch commit's id, in a `merge-tree --stdin` batch the tree's id. Neither
 * means anything to the reader, and the two ways of merging must report the same path.
 */
function movedAside(file: string): string {
  return /^(.+)~[0-9a-f]{40}(?:[0-9a-f]{24})?$/.exec(file)?.[1] ?? file;
}

/** Killed by a signal (no exit code), or exited as a shell reports SIGABRT/SIGSEGV (134, 139). */
function diedOfSignal(exitCode: number | null): boolean {
  return exitCode === null || exitCode === 134 || exitCode === 139;
}

/** One merge as `git merge-tree` answers it. */
export interface MergeTreeAnswer {
  clean: boolean;
  tree: string;
  files: string[];
  types: Map<string, string>;
}

/** The empty tree of each object format: git knows it without storing it. */
const EMPTY_TREE: Record<ObjectFormat, string> = {
  sha1: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  sha256: '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321',
};

/** The batch process: merges from stdin, file names only, messages always (so every answer has the same shape). */
export const MERGE_TREE_BATCH_ARGS: readonly string[] = ['merge-tree', '--stdin', '--name-only', '--messages', '--allow-unrelated-histories'];

/**
 * Whether this git merges a batch with a base on each line (`merge-tree --stdin`, lines
 * `<base> -- <ours> <theirs>`: git 2.42+). Decided by running it on the empty tree, so a git that
 * only claims a version, or lacks the per-line base (2.40, 2.41: "malformed input line"), says no.
 */
export async function detectMergeBatch(store: Pick<ObjectStore, 'test' | 'format'>): Promise<boolean> {
  const empty = EMPTY_TREE[store.format];
  const probe = await store.test(MERGE_TREE_BATCH_ARGS, { input: `${empty} -- ${empty} ${empty}\n` });
  if (probe.exitCode !== 0) return false;
  const parser = new MergeBatchParser();
  const answers = parser.push(probe.raw);
  return answers.length === 1 && answers[0]!.clean && answers[0]!.tree === empty && parser.idle();
}

/**
 * Incremental parser of `git merge-tree --stdin --name-only --messages` output. Per merge (git's
 * builtin/merge-tree.c): `<1 clean | 0 conflicts>` NUL, `<tree>` NUL, each conflicted file NUL,
 * NUL (the messages begin), messages as `<n>` NUL `<path>` NUL x n `<type>` NUL `<message>` NUL,
 * then NUL (the end of this merge).
 */
export class MergeBatchParser {
  private readonly decoder = new StringDecoder('utf8');
  private text = '';

  /** Feeds bytes; returns the merges they complete, in order. */
  push(chunk: Buffer): MergeTreeAnswer[] {
    this.text += this.decoder.write(chunk);
    const answers: MergeTreeAnswer[] = [];
    for (;;) {
      const end = this.endOfFirst();
      if (end === undefined) break;
      const record = this.text.slice(0, end);
      this.text = this.text.slice(end);
      const status = record.slice(0, record.indexOf('\0'));
      if (status !== '0' && status !== '1') throw new Error(`unexpected git merge-tree --stdin output: status ${JSON.stringify(status)}`);
      answers.push({ clean: status === '1', ...parseMergeTreeOutput(record.slice(status.length + 1)) });
    }
    return answers;
  }

  /** True when no partial answer is waiting for more bytes. */
  idle(): boolean {
    return this.text === '';
  }

  /** Where the first complete merge ends (after its final NUL), or undefined when it is not all in yet. */
  private endOfFirst(): number | undefined {
    const text = this.text;
    let at = 0;
    const field = (): string | undefined => {
      const nul = text.indexOf('\0', at);
      if (nul < 0) return undefined;
      const value = text.slice(at, nul);
      at = nul + 1;
      return value;
    };
    if (field() === undefined || field() === undefined) return undefined; // status, tree
    for (;;) {
      const name = field(); // conflicted files, up to the empty field that begins the messages
      if (name === undefined) return undefined;
      if (name === '') break;
    }
    for (;;) {
      const count = field(); // message records, up to the empty field that ends the merge
      if (count === undefined) return undefined;
      if (count === '') return at;
      // After the records merge-ort prints free text of its own before the merge's final NUL (on
      // a submodule conflict: "Recursive merging with submodules currently only supports trivial
      // cases. …", no NUL in it): that text and its NUL end the merge.
      if (!/^\d+$/.test(count)) return at;
      const n = Number(count);
      for (let i = 0; i < n + 2; i++) if (field() === undefined) return undefined; // paths, type, message
    }
  }
}

/** Starts `git <args>` with pipes, in the store's repository and environment. */
export type GitSpawner = (args: readonly string[]) => ChildProcessWithoutNullStreams;

/** A merge waiting for its answer; undefined for a flushing empty merge (its answer is dropped). */
type Waiting = { resolve: (answer: MergeTreeAnswer) => void; reject: (error: Error) => void } | undefined;

/** How many real merges of a list await their answers. */
function pending(waiting: readonly Waiting[]): number {
  let n = 0;
  for (const w of waiting) if (w) n++;
  return n;
}

/**
 * Merges through one `git merge-tree --stdin` process, started at the first merge: each merge is a
 * line in, an answer out, in order. While no answer is awaited the process does not keep Node
 * alive; close() ends it. If git dies, the merges waiting fail with its stderr and the next merge
 * starts it again.
 *
 * git (2.47 seen) flushes each answer except its last byte, the NUL that ends it: that byte leaves
 * with the next answer, or at exit. So a burst of merges is followed by one empty merge (the empty
 * tree on itself, which git knows without storing it) whose answer carries the last real one's
 * ending out; its own answer is read and dropped. Without it, the last answer of every burst would
 * wait for ever (it did, on git 2.47, until this was found).
 */
export class MergeTreeBatch {
  private child: ChildProcessWithoutNullStreams | undefined;
  /**
   * The current process's lines, in order: a merge's promise, or undefined for a flushing empty
   * merge. Each process has its own (an old one still answering after close() answers its own).
   */
  private waiting: Waiting[] = [];
  /** The last line sent was a flushing merge (or nothing was sent since the process started). */
  private flushed = true;
  /** Merges sent, for the benchmark and the tests (flushing merges not counted). */
  sent = 0;

  constructor(
    private readonly spawnGit: GitSpawner,
    private readonly format: ObjectFormat = 'sha1',
  ) {}

  /** One merge: ours and theirs on their common ancestors, or on `base` (a tree or commit) when given. */
  merge(base: string | undefined, ours: string, theirs: string): Promise<MergeTreeAnswer> {
    for (const name of [base, ours, theirs]) {
      if (name !== undefined && !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(name)) throw new Error(`merge-tree --stdin takes object ids, not ${JSON.stringify(name)}`);
    }
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (pending(this.waiting) === 1) this.hold(true);
      this.sent++;
      child.stdin.write(`${base === undefined ? '' : `${base} -- `}${ours} ${theirs}\n`);
      // Merges asked together (in one turn of the event loop) share one flushing merge, sent after them.
      if (this.flushed) {
        this.flushed = false;
        queueMicrotask(() => this.flush(child));
      }
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
    this.waiting = []; // the old process answers into its own list
    this.flushed = true; // a flush still queued for the old process is dropped; the next one starts clean
  }

  /** The empty merge that pushes the last answer's final byte out of git. */
  private flush(child: ChildProcessWithoutNullStreams): void {
    if (this.child !== child || this.flushed) return;
    const empty = EMPTY_TREE[this.format];
    this.waiting.push(undefined);
    this.flushed = true;
    child.stdin.write(`${empty} -- ${empty} ${empty}\n`);
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = this.spawnGit(MERGE_TREE_BATCH_ARGS);
    const waiting: Waiting[] = [];
    this.waiting = waiting;
    const parser = new MergeBatchParser();
    let stderr = '';
    let failure: Error | undefined;
    const fail = (error: Error): void => {
      failure ??= error;
      for (const w of waiting.splice(0)) w?.reject(failure);
      if (this.child === child) {
        this.child = undefined;
        this.flushed = true;
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      let answers: MergeTreeAnswer[];
      try {
        answers = parser.push(chunk);
      } catch (error) {
        fail(error as Error);
        child.kill();
        return;
      }
      for (const answer of answers) waiting.shift()?.resolve(answer);
      if (pending(waiting) === 0 && this.child === child) this.hold(false);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.on('error', () => undefined); // git exiting early is reported by 'close'
    child.on('error', (error) => fail(error));
    child.on('close', (code) => {
      const unanswered = pending(waiting);
      if (unanswered > 0) fail(new GitInternalError(MERGE_TREE_BATCH_ARGS, code, stderr || `exited with ${plural(unanswered, 'merge')} unanswered`));
      else {
        waiting.length = 0;
        if (this.child === child) {
          this.child = undefined;
          this.flushed = true;
        }
      }
    });
    this.child = child;
    return child;
  }

  /** Whether the process keeps Node's event loop alive: only while an answer is awaited. */
  private hold(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  }
}

/** Parses `git merge-tree --write-tree -z --name-only` output: the tree, conflicted files, message types. */
export function parseMergeTreeOutput(stdout: string): { tree: string; files: string[]; types: Map<string, string> } {
  const tokens = stdout.split('\0');
  const tree = tokens[0]?.trim() ?? '';
  const files: string[] = [];
  let i = 1;
  for (; i < tokens.length && tokens[i] !== ''; i++) files.push(tokens[i]!);
  i++;
  const types = new Map<string, string>();
  while (i < tokens.length) {
    const count = Number(tokens[i]);
    if (!Number.isInteger(count) || count < 1) break;
    const paths = tokens.slice(i + 1, i + 1 + count);
    const type = tokens[i + 1 + count] ?? '';
    const message = tokens[i + 2 + count] ?? '';
    i += count + 3;
    const conflict = /^CONFLICT \((.+)\)$/.exec(type)?.[1];
    if (!conflict) continue;
    // A content conflict's message names its kind: `CONFLICT (add/add): Merge conflict in x`.
    const detail = conflict === 'contents' ? /^CONFLICT \(([^)]+)\)/.exec(message)?.[1] : undefined;
    const name = detail && detail !== 'content' ? detail : conflict === 'contents' ? 'content' : conflict;
    for (const path of paths) {
      // A more specific type (binary, modify/delete) wins over the generic content conflict.
      if (!types.has(path) || types.get(path) === 'content') types.set(path, name);
    }
  }
  return { tree, files: [...new Set(files)], types };
}

/**
 * The conflict regions of a merged file, as line ranges of "ours": the lines between `<<<<<<<` and
 * `|||||||` or `=======` are ours; a region where ours is empty is reported at the line it sits on.
 */
export function conflictRegions(text: string): LineRange[] {
  const ranges: LineRange[] = [];
  let oursLine = 0;
  let state: 'outside' | 'ours' | 'base' | 'theirs' = 'outside';
  let start = 0;
  for (const line of text.split('\n')) {
    if (state === 'outside') {
      if (/^<{7,}( |$)/.test(line)) {
        state = 'ours';
        start = oursLine + 1;
      } else oursLine++;
    } else if (state === 'ours') {
      if (/^\|{7,}( |$)/.test(line)) state = 'base';
      else if (/^={7,}$/.test(line)) state = 'theirs';
      else oursLine++;
    } else if (state === 'base') {
      if (/^={7,}$/.test(line)) state = 'theirs';
    } else if (/^>{7,}( |$)/.test(line)) {
      ranges.push({ start, end: Math.max(start, oursLine) });
      state = 'outside';
    }
  }
  return ranges;
}

/** Identity and date for the throwaway commits that steer `git merge-tree` in the repository; never pushed. */
const SCRATCH_ENV = {
  GIT_AUTHOR_NAME: 'rollback-gate',
  GIT_AUTHOR_EMAIL: 'scratch@rollback-gate.invalid',
  GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_NAME: 'rollback-gate',
  GIT_COMMITTER_EMAIL: 'scratch@rollback-gate.invalid',
  GIT_COMMITTER_DATE: '@0 +0000',
};

/** The repository itself as the object store: merged trees are kept, to be committed. */
class RepositoryObjects implements ObjectStore {
  readonly dir = tmpdir();
  constructor(
    readonly git: Git,
    readonly format: ObjectFormat,
  ) {}
  run(args: readonly string[], options?: GitRunOptions): Promise<GitResult> {
    return this.git.run(args, options);
  }
  test(args: readonly string[], options?: GitRunOptions): Promise<GitResult> {
    return this.git.test(args, options);
  }
  text(args: readonly string[], options?: GitRunOptions): Promise<string> {
    return this.git.text(args, options);
  }
  writeCommit(tree: string, parents: readonly string[], message = 'rollback-gate scratch'): Promise<string> {
    return this.git.text(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], { env: SCRATCH_ENV });
  }
}

const repositoryMergers = new WeakMap<Git, Map<MergeEngine | 'auto', Promise<TreeMerger>>>();

/** The merger writing into the repository (one per Git and engine: the engine is detected once). */
function repositoryMerger(git: Git, engine: MergeEngine | undefined): Promise<TreeMerger> {
  let byEngine = repositoryMergers.get(git);
  if (!byEngine) repositoryMergers.set(git, (byEngine = new Map()));
  let merger = byEngine.get(engine ?? 'auto');
  if (!merger) {
    merger = (async () => {
      const format = (await git.test(['rev-parse', '--show-object-format'])).stdout.trim() === 'sha256' ? 'sha256' : 'sha1';
      const store = new RepositoryObjects(git, format);
      return new TreeMerger(store, engine ?? (await detectMergeEngine(store)), false);
    })();
    byEngine.set(engine ?? 'auto', merger);
  }
  return merger;
}

export interface AppliedChange {
  clean: boolean;
  /** The resulting tree (with conflict markers in conflicted files when not clean, on merge-tree). */
  tree: string;
  /** Paths that conflicted. */
  conflicts: string[];
}

/**
 * Applies the change from commit `base` to tree `target` onto tree `onto`, as a three-way merge
 * with `base` as the merge base, in the repository's object store, without touching any index,
 * working tree or ref; on git older than 2.38 through a temporary index.
 * - cherry-pick of C onto T: applyChange(git, C^, tree(C), tree(T))
 * - revert of C on T:        applyChange(git, C, tree(C^), tree(T))
 */
export async function applyChange(git: Git, base: string, target: string, onto: string, options: { engine?: MergeEngine } = {}): Promise<AppliedChange> {
  const merger = await repositoryMerger(git, options.engine);
  const outcome = await merger.applyChange(base, target, onto);
  return { clean: outcome.clean, tree: outcome.tree, conflicts: [...new Set(outcome.conflicts.map((c) => c.file))] };
}
