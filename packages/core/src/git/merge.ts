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
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Git, GitResult, GitRunOptions, ObjectFormat } from './git.js';

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
  run(args: readonly string[], options?: GitRunOptions): Promise<GitResult>;
  test(args: readonly string[], options?: GitRunOptions): Promise<GitResult>;
  text(args: readonly string[], options?: GitRunOptions): Promise<string>;
  writeCommit(tree: string, parents: readonly string[], message?: string): string | Promise<string>;
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

  constructor(
    readonly store: ObjectStore,
    readonly engine: MergeEngine,
    /** Whether content conflicts carry their line ranges (one blob read per conflicted file). */
    private readonly withConflictLines = true,
  ) {}

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

  /** A real merge of two commits (their own merge base, as GitHub merges a pull request). */
  async mergeCommits(ours: string, theirs: string): Promise<MergeOutcome> {
    if (this.engine === 'merge-tree') {
      this.mergeCount++;
      return this.runMergeTree(ours, theirs);
    }
    const base = await this.store.test(['merge-base', '--end-of-options', ours, theirs]);
    const baseTree = base.exitCode === 0 ? await this.treeOf(base.stdout.trim()) : await this.emptyTree();
    return this.merge3(baseTree, await this.treeOf(ours), await this.treeOf(theirs));
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
    return this.mergeTreeOn(await this.rootFor(baseTree), oursTree, theirsTree);
  }

  /** ours and theirs as children of `baseCommit`, so it is exactly their merge base. */
  private async mergeTreeOn(baseCommit: string, oursTree: string, theirsTree: string): Promise<MergeOutcome> {
    const [ours, theirs] = await Promise.all([this.store.writeCommit(oursTree, [baseCommit], 'ours'), this.store.writeCommit(theirsTree, [baseCommit], 'theirs')]);
    return this.runMergeTree(ours, theirs);
  }

  /**
   * The change from commit `base` to tree `target`, applied onto tree `onto` (no memo, no shortcut:
   * each call is one merge). A cherry-pick of C onto T: (C^, tree(C), tree(T)); a revert of C on
   * T: (C, tree(C^), tree(T)).
   */
  async applyChange(base: string, target: string, onto: string): Promise<MergeOutcome> {
    this.mergeCount++;
    if (this.engine === 'merge-tree') return this.mergeTreeOn(base, onto, target);
    return this.indexMerge3(await this.treeOf(base), onto, target);
  }

  private async runMergeTree(ours: string, theirs: string): Promise<MergeOutcome> {
    const result = await this.store.run(
      ['merge-tree', '--write-tree', '-z', '--name-only', '--allow-unrelated-histories', '--end-of-options', ours, theirs],
      { okExitCodes: [0, 1] },
    );
    const parsed = parseMergeTreeOutput(result.stdout);
    if (result.exitCode === 0) return { clean: true, tree: parsed.tree, conflicts: [] };
    const conflicts = await Promise.all(
      parsed.files.map(async (file) => {
        const conflict = parsed.types.get(file) ?? 'content';
        const lines = conflict === 'content' && this.withConflictLines ? await this.conflictLines(parsed.tree, file) : [];
        return { file, conflict, lines };
      }),
    );
    return { clean: false, tree: parsed.tree, conflicts };
  }

  /** The line ranges of the conflict regions of a file in a merged tree, as lines of "ours". */
  private async conflictLines(tree: string, file: string): Promise<LineRange[]> {
    const blob = await this.store.test(['cat-file', 'blob', `${tree}:${file}`]);
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
