/**
 * summarizeUnresolved: the unresolved imports of a graph (or of a blast-radius search), counted
 * and exemplified for a summary: "180 imports in 60 files could not be resolved, e.g. …".
 */
import { compareStrings } from './build-graph.js';
import type { ImportGraph, UnresolvedImport, UnresolvedImportExample, UnresolvedImports } from './types.js';

export interface SummarizeUnresolvedOptions {
  /** How many examples to keep. Default 10. */
  readonly limit?: number;
}

export function summarizeUnresolved(
  source: ImportGraph | readonly UnresolvedImport[],
  options: SummarizeUnresolvedOptions = {},
): UnresolvedImports {
  const list: readonly UnresolvedImport[] = Array.isArray(source) ? source : (source as ImportGraph).unresolved;
  const limit = Math.max(0, Math.floor(options.limit ?? 10));
  const all: UnresolvedImportExample[] = list.map((u) => ({ file: u.from, specifier: describe(u), line: u.ref.line }));
  all.sort((a, b) => compareStrings(a.file, b.file) || a.line - b.line || compareStrings(a.specifier, b.specifier));
  const bySpecifier = new Map<string, UnresolvedImportExample[]>();
  for (const example of all) {
    const group = bySpecifier.get(example.specifier);
    if (group) group.push(example);
    else bySpecifier.set(example.specifier, [example]);
  }
  // One example per specifier, the most frequent specifiers first; then the rest in file order.
  const groups = [...bySpecifier.values()].sort((a, b) => b.length - a.length || compareStrings(a[0]!.specifier, b[0]!.specifier));
  const examples: UnresolvedImportExample[] = [];
  for (const group of groups) {
    if (examples.length >= limit) break;
    examples.push(group[0]!);
  }
  if (examples.length < limit) {
    const taken = new Set(examples);
    for (const example of all) {
      if (examples.length >= limit) break;
      if (!taken.has(example)) examples.push(example);
    }
  }
  return { count: all.length, files: new Set(all.map((e) => e.file)).size, specifiers: bySpecifier.size, examples };
}

function describe(u: UnresolvedImport): string {
  return u.ref.name === undefined ? u.ref.specifier : `from ${u.ref.specifier} import ${u.ref.name}`;
}
