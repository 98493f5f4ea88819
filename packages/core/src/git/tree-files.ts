import { buildImportGraph, graphReadsFile, isGraphManifest, type ImportGraph } from '@rollback-gate/graph';
import type { Git } from './git.js';
import { readObjects } from './objects.js';

/** One file of a tree: its path, blob id and mode. */
export interface TreeEntry {
  path: string;
  oid: string;
  mode: string;
}

/** Every file of a tree (`ls-tree -r -z`, so odd names survive); submodule pointers left out. */
export async function treeEntries(git: Git, tree: string): Promise<TreeEntry[]> {
  const out = (await git.run(['ls-tree', '-r', '-z', '--full-tree', tree])).stdout;
  const entries: TreeEntry[] = [];
  for (const record of out.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', type = '', oid = ''] = record.slice(0, tab).split(' ');
    if (type === 'blob') entries.push({ path: record.slice(tab + 1), oid, mode });
  }
  return entries;
}

/** Reads blobs by id in one batch (git/objects.ts); identical blobs are read once. */
export async function readBlobTexts(git: Git, oids: readonly string[]): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  for (const [oid, object] of await readObjects(git, oids)) blobs.set(oid, object.content.toString('utf8'));
  return blobs;
}

/**
 * The import graph of a tree: its files, with the scannable ones (not symlinks) read in one batch.
 * With `scanOnly`, only those files' imports are scanned (and only they and the manifests that
 * steer resolution are read): enough to know what a few files import, at a fraction of the cost.
 */
export async function importGraphAt(
  git: Git,
  tree: string,
  absentFiles: readonly string[] = [],
  scanOnly?: readonly string[],
): Promise<{ graph: ImportGraph; files: string[] }> {
  const entries = await treeEntries(git, tree);
  const wanted = scanOnly ? new Set(scanOnly) : undefined;
  // The graph package says what it reads (its languages' sources and the manifests that steer resolution).
  const sources = entries.filter((e) => e.mode !== '120000' && graphReadsFile(e.path) && (!wanted || wanted.has(e.path) || isGraphManifest(e.path)));
  const blobs = await readBlobTexts(git, sources.map((e) => e.oid));
  const oidOf = new Map(sources.map((e) => [e.path, e.oid]));
  const files = entries.map((e) => e.path);
  const readFile = (path: string): string | undefined => {
    const oid = oidOf.get(path);
    return oid === undefined ? undefined : blobs.get(oid);
  };
  return { graph: buildImportGraph({ files, readFile, absentFiles, scanOnly }), files };
}
