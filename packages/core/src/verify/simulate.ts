/**
 * Three-way merges over trees, computed without any index or working tree of the user's:
 * reverts (base = the unit, ours = the tip, theirs = the unit's parent), cherry-picks and landings.
 *
 * Where git has `merge-tree --write-tree` (2.38+), every merge is one `git merge-tree` call on
 * synthetic commits: a root commit holding the base tree, and two children of it holding ours and
 * theirs, so the merge base is exactly the base tree (git 2.39 has no `--merge-base`). The result is
 * the tree `git revert` / `git cherry-pick` would make, renames included. On older git, a temporary
 * index in the scratch directory does the same merge with `git read-tree -m` and `git merge-file`
 * (no rename detection there). All objects go to the scratch store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScratchStore } from '../sandbox/scratch.js';

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

/** Runs at most `limit` tasks at a time; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Whether this git can merge without an index: `git merge-tree --write-tree` (2.38+). */
export async function detectMergeEngine(store: ScratchStore): Promise<MergeEngine> {
  const usage = await store.git.test(['merge-tree', '-h']);
  return /--write-tree/.test(usage.stdout + usage.stderr) ? 'merge-tree' : 'index';
}

export class Simulator {
  private readonly roots = new Map<string, string>();
  private readonly merges = new Map<string, Promise<MergeOutcome>>();
  private indexCounter = 0;
  /** Merges run, for the summary and the benchmark. */
  mergeCount = 0;

  constructor(
    readonly store: ScratchStore,
    readonly engine: MergeEngine,
  ) {}

  static async create(store: ScratchStore, engine?: MergeEngine): Promise<Simulator> {
    return new Simulator(store, engine ?? (await detectMergeEngine(store)));
  }

  /** The tree `git revert` of a unit (`tree`, reverted to `parentTree`) would give on `tipTree`. */
  revert(unit: { tree: string; parentTree: string }, tipTree: string): Promise<MergeOutcome> {
    return this.merge3(unit.tree, tipTree, unit.parentTree);
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

  private rootFor(baseTree: string): string {
    let root = this.roots.get(baseTree);
    if (!root) {
      root = this.store.writeCommit(baseTree, [], 'rollback-gate merge base');
      this.roots.set(baseTree, root);
    }
    return root;
  }

  private mergeTree3(baseTree: string, oursTree: string, theirsTree: string): Promise<MergeOutcome> {
    const root = this.rootFor(baseTree);
    const ours = this.store.writeCommit(oursTree, [root], 'ours');
    const theirs = this.store.writeCommit(theirsTree, [root], 'theirs');
    return this.runMergeTree(ours, theirs);
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
        const lines = conflict === 'content' ? await this.conflictLines(parsed.tree, file) : [];
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
      return { conflict: { file: path, conflict: base ? 'content' : 'add/add', lines: conflictRegions(merged.stdout) } };
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
