import { buildImportGraph, type ImportGraph } from '@rollback-gate/graph';
import type { Git } from './git.js';

/** Files the import graph reads: sources of the supported languages and the manifests that steer resolution. */
export const SCANNABLE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py)$|(^|\/)(package\.json|tsconfig[^/]*\.json|jsconfig\.json|pnpm-workspace\.yaml)$/;

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

/**
 * Reads blobs by id in one `git cat-file --batch` (ids, not `tree:path` lookups, which walk the
 * tree again for every file); identical blobs are read once.
 */
export async function readBlobTexts(git: Git, oids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(oids)];
  const blobs = new Map<string, string>();
  if (unique.length === 0) return blobs;
  const out = (await git.run(['cat-file', '--batch'], { input: `${unique.join('\n')}\n` })).raw;
  let offset = 0;
  while (offset < out.length) {
    const headerEnd = out.indexOf(0x0a, offset);
    if (headerEnd < 0) break;
    const [oid = '', type = '', size = '0'] = out.subarray(offset, headerEnd).toString('utf8').split(' ');
    if (type === 'missing') {
      offset = headerEnd + 1;
      continue;
    }
    const end = headerEnd + 1 + Number(size);
    blobs.set(oid, out.subarray(headerEnd + 1, end).toString('utf8'));
    offset = end + 1;
  }
  return blobs;
}

const MANIFEST = /(^|\/)(package\.json|tsconfig[^/]*\.json|jsconfig\.json|pnpm-workspace\.yaml)$/;

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
  const sources = entries.filter((e) => e.mode !== '120000' && SCANNABLE.test(e.path) && (!wanted || wanted.has(e.path) || MANIFEST.test(e.path)));
  const blobs = await readBlobTexts(git, sources.map((e) => e.oid));
  const oidOf = new Map(sources.map((e) => [e.path, e.oid]));
  const files = entries.map((e) => e.path);
  const readFile = (path: string): string | undefined => {
    const oid = oidOf.get(path);
    return oid === undefined ? undefined : blobs.get(oid);
  };
  return { graph: buildImportGraph({ files, readFile, absentFiles, scanOnly }), files };
}
