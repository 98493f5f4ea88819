/**
 * blastRadius: every file that imports a changed file, directly or transitively, with the
 * shortest import chain from a changed file.
 *
 * A breadth-first search over the reverse edges from all changed files at once, keeping for each
 * file up to two labels from distinct changed files: the nearest one, and the nearest other one.
 * A file the change did not touch takes its nearest label. A changed file takes its nearest label
 * from another changed file (its own distance 0 does not make it a dependent of itself), which is
 * why a second label is kept. Cycles are safe: a file takes at most one label per changed file.
 */
import { compareStrings } from './build-graph.js';
import { normalizeRepoPath } from './paths.js';
import type { BlastRadiusEntry, BlastRadiusOptions, ImportGraph } from './types.js';

interface Label {
  readonly file: string;
  readonly source: string;
  readonly depth: number;
  readonly parent: Label | undefined;
}

export function blastRadius(graph: ImportGraph, changedFiles: readonly string[] | ReadonlySet<string>, options: BlastRadiusOptions = {}): BlastRadiusEntry[] {
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const changedSet = changedPathSet(changedFiles);
  if (changedSet.size === 0 || !(maxDepth >= 1)) return [];

  // Changed files someone imports, looked up from the smaller side (80,000 changed files in a tree
  // with few imports cost a few lookups, not 80,000).
  const imported: string[] = [];
  if (graph.importers.size < changedSet.size) {
    for (const f of graph.importers.keys()) if (changedSet.has(f)) imported.push(f);
  } else {
    for (const f of changedSet) if (graph.importers.has(f)) imported.push(f);
  }
  // Changed files the graph does not know (deleted by the change): find who still imports them.
  // Only an unresolved import can name a file the graph does not have, so without any there is none.
  const unknown: string[] = [];
  if (graph.unresolved.length > 0) for (const f of changedSet) if (!graph.files.has(f)) unknown.push(f);
  unknown.sort(compareStrings);
  const absentImporters = unknown.length > 0 ? graph.importersOfAbsent(unknown) : new Map<string, string[]>();
  const importersOf = (file: string): readonly string[] => graph.importers.get(file) ?? absentImporters.get(file) ?? [];

  // Only changed files someone imports start a search; the others get their own label (depth 0)
  // when a search reaches them, which is all it takes (every depth-0 label comes before the rest).
  const labels = new Map<string, Label[]>();
  const queue: Label[] = [];
  const seeds = [...imported, ...unknown.filter((f) => absentImporters.has(f))].filter((f) => importersOf(f).length > 0).sort(compareStrings);
  for (const file of seeds) {
    const label: Label = { file, source: file, depth: 0, parent: undefined };
    labels.set(file, [label]);
    queue.push(label);
  }
  for (let head = 0; head < queue.length; head++) {
    const label = queue[head]!;
    if (label.depth >= maxDepth) continue;
    for (const importer of importersOf(label.file)) {
      let existing = labels.get(importer);
      if (!existing && changedSet.has(importer)) {
        existing = [{ file: importer, source: importer, depth: 0, parent: undefined }];
        labels.set(importer, existing);
      }
      if (existing) {
        if (existing.length >= 2 || existing[0]!.source === label.source) continue;
        const next: Label = { file: importer, source: label.source, depth: label.depth + 1, parent: label };
        existing.push(next);
        queue.push(next);
      } else {
        const next: Label = { file: importer, source: label.source, depth: label.depth + 1, parent: label };
        labels.set(importer, [next]);
        queue.push(next);
      }
    }
  }

  const entries: BlastRadiusEntry[] = [];
  for (const [file, list] of labels) {
    const best = list.find((l) => l.source !== file);
    if (!best) continue;
    entries.push({ file, depth: best.depth, changed: changedSet.has(file), chain: chainOf(best) });
  }
  entries.sort((a, b) => a.depth - b.depth || compareStrings(a.file, b.file));
  return entries;
}

/** Sets made by pathSetFromGit: their paths are clean by construction, so they are not checked again. */
const fromGit = new WeakSet<ReadonlySet<string>>();

/**
 * A set of paths exactly as git prints them (`git diff -z`, `git ls-tree -z`: repo-relative, never
 * `./`, `//` or a trailing `/`), which blastRadius takes without checking each path again (80,000
 * changed files spend no time there). Paths from anywhere else go to blastRadius as they are.
 */
export function pathSetFromGit(paths: Iterable<string>): ReadonlySet<string> {
  const set = new Set(paths);
  fromGit.add(set);
  return set;
}

/** The changed files, normalized, as a set: a caller's set is taken as it is when it needs no cleaning. */
function changedPathSet(changedFiles: readonly string[] | ReadonlySet<string>): ReadonlySet<string> {
  if (!Array.isArray(changedFiles)) {
    if (fromGit.has(changedFiles as ReadonlySet<string>)) return changedFiles as ReadonlySet<string>;
    let clean = true;
    for (const f of changedFiles) {
      if (typeof f !== 'string' || f === '' || normalizeRepoPath(f) !== f) {
        clean = false;
        break;
      }
    }
    if (clean) return changedFiles as ReadonlySet<string>;
  }
  const set = new Set<string>();
  for (const f of changedFiles) if (typeof f === 'string' && f !== '') set.add(normalizeRepoPath(f));
  return set;
}

function chainOf(label: Label): string[] {
  const chain: string[] = [];
  for (let l: Label | undefined = label; l; l = l.parent) chain.push(l.file);
  return chain.reverse();
}
