/**
 * @rollback-gate/graph — the import graph of a repository and the blast radius of a change.
 *
 *   const graph = buildImportGraph({ files, readFile });
 *   const radius = blastRadius(graph, changedFiles, { maxDepth: 3 });
 *   const { unresolved } = summarizeUnresolved(graph); // what a summary must say it could not resolve
 *
 * buildImportGraph needs no git and no @actions: the caller passes the file list and a way to read
 * files. For a committed tree, importGraphOfTree / blastRadiusOfTree read it straight from git
 * (one ls-tree, one streamed cat-file --batch, scanned as it arrives) and give the same graph.
 */
export { buildImportGraph } from './build-graph.js';
export { blastRadius, pathSetFromGit } from './blast-radius.js';
export { defaultLanguages, pythonLanguage, typescriptLanguage } from './languages.js';
export { scanJsImports } from './scan-js.js';
export { scanPythonImports } from './scan-python.js';
export { createDiskReader, type DiskReaderOptions } from './disk.js';
export {
  blastRadiusOfTree,
  importGraphOfTree,
  type GitTreeGraph,
  type GitTreeOptions,
  type GitTreeRadius,
  type GitTreeRadiusOptions,
} from './git-tree.js';
export { summarizeUnresolved, type SummarizeUnresolvedOptions } from './unresolved.js';
export { graphReadsFile, isGraphManifest } from './reads.js';
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
  ScannedImports,
  UnresolvedImport,
  UnresolvedImportExample,
  UnresolvedImports,
} from './types.js';
