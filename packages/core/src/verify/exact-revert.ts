/**
 * Reverts that need no merge.
 *
 * Reverting a unit on a tip is the merge (base = the unit's tree, ours = the tip, theirs = the
 * unit's parent's tree). When nothing after the unit (no later unit of the window, nor the change
 * under review) touched a path the unit changed, the tip holds exactly the unit's version of each of
 * those paths, so on each of them ours = base and the merge takes theirs: the parent's version, or no
 * file where the unit added one. Every other path has base = theirs and keeps the tip's version. The
 * merge is clean and its tree is the tip's with those paths set back, which is computed here from
 * the tip's trees along the paths (one `git cat-file --batch` for all the units), its objects written as loose
 * objects only if git ever reads them (ScratchStore.addObject): no `git merge-tree` process per unit.
 *
 * Only where nothing can pair with the revert: the unit must only have edited or added files (its
 * revert then adds no path, so no rename or directory rename on either side can move or meet one of
 * its paths), none of its paths may be touched by a later change, nor be a directory of or inside a
 * later change's path (a file that became a directory), and every path must look as expected in the
 * trees read. Anything else, and names git could not take on a `cat-file --batch` line, go to the
 * real merge. test/verify-exact-revert.test.ts compares both on generated histories (edits, additions,
 * deletions, renames, mode and type changes, binary files, submodules, files becoming directories).
 */
import type { ScratchStore } from '../sandbox/scratch.js';
import type { Revertable } from './revertable.js';

/** Whether `target`'s revert on the tip needs no merge, given the changes after it (`later`, any order). */
export function revertNeedsNoMerge(target: Revertable, later: readonly Revertable[]): boolean {
  if (!target.onlyEdits) return false;
  // A name cat-file cannot take on a line, or one git wrote in bytes that are not UTF-8: merge.
  if (target.paths.some((p) => p.includes('\n') || p.includes('\uFFFD'))) return false;
  const touched = new Set<string>();
  const above = new Set<string>(); // every directory holding a later path
  for (const unit of later) {
    for (const path of unit.paths) {
      touched.add(path);
      for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) above.add(path.slice(0, at));
    }
  }
  for (const path of target.paths) {
    if (touched.has(path) || above.has(path)) return false;
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) if (touched.has(path.slice(0, at))) return false;
  }
  return true;
}

interface TreeEntry {
  mode: string;
  name: string;
  /** The raw entry (`<mode> <name>\0<id bytes>`), written back as it is when kept. */
  raw: Buffer;
  /** Its `<mode> <name>\0` bytes, for a new id after them. */
  head: Buffer;
}

/** A tree object's entries, in order. */
function parseTree(content: Buffer, idBytes: number): TreeEntry[] | undefined {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = space < 0 ? -1 : content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length) return undefined;
    const end = nul + 1 + idBytes;
    entries.push({ mode: content.toString('latin1', at, space), name: content.toString('utf8', space + 1, nul), raw: content.subarray(at, end), head: content.subarray(at, nul + 1) });
    at = end;
  }
  return entries;
}

const dirOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};

/** `tree:dir` as `git cat-file` reads it (the root is the tree itself). */
const spec = (tree: string, dir: string): string => (dir === '' ? tree : `${tree}:${dir}`);

/**
 * Reads tree objects (`<tree>:<dir>` specs) in one `git cat-file --batch`; missing or non-tree specs
 * are absent. `reads`: the trees the specs start from (only those of the store's in-memory objects are written first).
 */
async function readTrees(store: ScratchStore, specs: readonly string[], reads: readonly string[]): Promise<Map<string, Buffer>> {
  const trees = new Map<string, Buffer>();
  if (specs.length === 0) return trees;
  const out = (await store.run(['cat-file', '--batch'], { input: `${specs.join('\n')}\n`, reads })).raw;
  let at = 0;
  for (const wanted of specs) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) throw new Error('git cat-file --batch ended early');
    const header = out.toString('utf8', at, nl).split(' ');
    at = nl + 1;
    if (header.length !== 3) continue; // `<spec> missing` (or ambiguous): nothing there
    const size = Number(header[2]);
    if (header[1] === 'tree') trees.set(wanted, out.subarray(at, at + size));
    at += size + 1;
  }
  return trees;
}

/**
 * The trees of the reverts of `targets` on `tipTree`, each of which revertNeedsNoMerge said yes to;
 * a target whose trees do not look as that promises (a path missing at the tip, a directory that is
 * not one) is left out, for the caller to merge.
 */
export async function exactRevertTrees(store: ScratchStore, tipTree: string, targets: readonly Revertable[]): Promise<Map<Revertable, string>> {
  const idBytes = store.format === 'sha256' ? 32 : 20;
  const specs = new Set<string>();
  for (const target of targets) {
    for (const path of target.paths) {
      specs.add(spec(target.parentTree, dirOf(path)));
      for (let dir = dirOf(path); ; dir = dirOf(dir)) {
        specs.add(spec(tipTree, dir));
        if (dir === '') break;
      }
    }
  }
  const objects = await readTrees(store, [...specs], [tipTree, ...new Set(targets.map((t) => t.parentTree))]);
  const parsed = new Map<string, TreeEntry[] | undefined>();
  const listing = (key: string): TreeEntry[] | undefined => {
    if (!parsed.has(key)) {
      const content = objects.get(key);
      parsed.set(key, content === undefined ? undefined : parseTree(content, idBytes));
    }
    return parsed.get(key);
  };

  const result = new Map<Revertable, string>();
  for (const target of targets) {
    const tree = revertTree(store, tipTree, target, listing);
    if (tree !== undefined) result.set(target, tree);
  }
  return result;
}

function revertTree(
  store: ScratchStore,
  tipTree: string,
  target: Revertable,
  listing: (key: string) => TreeEntry[] | undefined,
): string | undefined {
  const paths = new Set(target.paths);
  const dirs = new Set<string>(); // directories holding one of the paths, the root included
  for (const path of paths) for (let dir = dirOf(path); ; dir = dirOf(dir)) {
    dirs.add(dir);
    if (dir === '') break;
  }
  let found = 0;
  const build = (dir: string): string | undefined | null => {
    // undefined: cannot tell (merge instead); null: the directory is left empty (no entry).
    const entries = listing(spec(tipTree, dir));
    if (!entries) return undefined;
    const out: Buffer[] = [];
    const refers: string[] = []; // the new subtrees, kept in memory with it
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (paths.has(path)) {
        if (entry.mode === '40000') return undefined; // a directory where the unit left a file
        found++;
        const before = listing(spec(target.parentTree, dir))?.find((e) => e.name === entry.name);
        if (before?.mode === '40000') return undefined;
        if (before) out.push(before.raw);
        continue;
      }
      if (dirs.has(path)) {
        if (entry.mode !== '40000') return undefined;
        const sub = build(path);
        if (sub === undefined) return undefined;
        if (sub !== null) {
          out.push(entry.head, Buffer.from(sub, 'hex'));
          refers.push(sub);
        }
        continue;
      }
      out.push(entry.raw);
    }
    if (out.length === 0 && dir !== '') return null;
    return store.addObject('tree', Buffer.concat(out), refers);
  };
  const tree = build('');
  // Every path must have been where the unit left it (an edit or an addition is a file at the tip).
  if (tree === undefined || tree === null || found !== paths.size) return undefined;
  return tree;
}
