/**
 * @rollback-gate/graph — the import graph of a repository and the blast radius of a change.
 *
 *   const graph = buildImportGraph({ files, readFile });
 *   const radius = blastRadius(graph, changedFiles, { maxDepth: 3 });
 *
 * No git, no @actions: the caller passes the file list and a way to read files.
 */
export { buildImportGraph } from './build-graph.js';
export { blastRadius } from './blast-radius.js';
export { defaultLanguages, pythonLanguage, typescriptLanguage } from './languages.js';
export { scanJsImports } from './scan-js.js';
export { scanPythonImports } from './scan-python.js';
export { createDiskReader, type DiskReaderOptions } from './disk.js';
export { summarizeUnresolved, type SummarizeUnresolvedOptions } from './unresolved.js';
export type {
  BlastRadiusEntry,
  BlastRadiusOptions,
  BuildGraphOptions,
  FileContent,
  GraphProblem,
  GraphProblemKind,
  ImportEdge,
  ImportGraph,
  ImportKind,
  ImportRef,
  LanguageSupport,
  ReadFile,
  ResolveContext,
  UnresolvedImport,
  UnresolvedImportExample,
  UnresolvedImports,
} from './types.js';
