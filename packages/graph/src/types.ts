/**
 * The public shapes of the import graph: what a language scanner finds, how a language plugs in,
 * what the graph holds, and what a blast radius returns.
 */

/** How an import was written. Every kind counts as a dependency, type-only ones included. */
export type ImportKind =
  | 'import' // import x from '…', import '…', import type … from '…'
  | 'export' // export … from '…', export * from '…'
  | 'require' // require('…')
  | 'dynamic' // import('…') with a literal
  | 'import-equals' // import x = require('…')
  | 'reference' // /// <reference path="…" />
  | 'python-import' // import a.b.c
  | 'python-from'; // from a.b import c

/** One import found in a source file, before resolution. */
export interface ImportRef {
  /** The module as written: './x.js', '@acme/core/utils', 'a.b.c', '..pkg'. */
  readonly specifier: string;
  readonly kind: ImportKind;
  /** 1-based line of the specifier. */
  readonly line: number;
  /** True for `import type` / `export type` (still a dependency: reverting a type breaks its importers). */
  readonly typeOnly?: boolean;
  /** Python `from X import name`: the imported name, which may be a submodule of X. */
  readonly name?: string;
}

/** A file's content as the caller's reader returns it. */
export type FileContent = string | Uint8Array;

/**
 * Reads a repository file. Return undefined when it cannot be read; throwing is also fine:
 * either way the file is reported as a problem, never fatal.
 */
export type ReadFile = (path: string) => FileContent | undefined;

/** What a language's resolver can ask about the repository. Paths are repo-relative posix. */
export interface ResolveContext {
  /** True when `path` is a file of the repository (or an absent file the caller declared). */
  fileExists(path: string): boolean;
  /** True when some repository file lives under `path` ('' is the root). */
  directoryExists(path: string): boolean;
  /** A repository file's text, cached; undefined when absent or unreadable. */
  readText(path: string): string | undefined;
  /** A repository JSON file (comments and trailing commas allowed), cached; undefined when absent or invalid. */
  readJson(path: string): unknown;
  /** Every file path of the repository, in the caller's order. */
  readonly files: readonly string[];
  /**
   * Per-build state shared between calls (workspace maps, tsconfig scopes, resolution caches):
   * computed once by `init` under `key`, then returned as is.
   */
  shared<T>(key: string, init: () => T): T;
}

/** A language the graph understands. Add one by implementing this and passing it to buildImportGraph. */
export interface LanguageSupport {
  readonly name: string;
  /** True when this language scans the file at `path`. */
  matches(path: string): boolean;
  /**
   * The imports of a source file. Must not throw on malformed input (a throw is reported as a
   * problem anyway); `report` records a scan warning such as an unterminated comment.
   */
  scanImports(source: string, path: string, report?: (message: string, line?: number) => void): ImportRef[];
  /** The repository file an import names, or undefined when it names none. */
  resolve(ref: ImportRef, fromPath: string, ctx: ResolveContext): string | undefined;
  /**
   * Called when resolve returned undefined: true when the import names something outside the
   * repository (a third-party package, a standard library module), which is ignored silently.
   * Otherwise the import is reported as unresolved. Absent means "never external".
   */
  isExternal?(ref: ImportRef, fromPath: string, ctx: ResolveContext): boolean;
}

/** One resolved import edge. */
export interface ImportEdge {
  /** The imported repository file. */
  readonly to: string;
  readonly specifier: string;
  readonly kind: ImportKind;
  readonly line: number;
  readonly typeOnly: boolean;
}

export type GraphProblemKind = 'unresolved-import' | 'unreadable-file' | 'scan-error';

/** Something the graph could not do, reported instead of thrown. */
export interface GraphProblem {
  readonly kind: GraphProblemKind;
  readonly file: string;
  readonly message: string;
  readonly specifier?: string;
  readonly line?: number;
}

/** An import that resolved to no repository file (kept so deleted files can still be matched). */
export interface UnresolvedImport {
  readonly from: string;
  readonly ref: ImportRef;
  readonly language: string;
}

/** One import that resolved to no file, as a summary shows it. */
export interface UnresolvedImportExample {
  /** The importing file. */
  readonly file: string;
  /** The module as written ('@trpc/server', './gone.js', `from pkg import name` for Python). */
  readonly specifier: string;
  /** 1-based line of the specifier. */
  readonly line: number;
}

/**
 * The imports that named something of the repository but resolved to no file, counted: what a
 * summary must say so that a silent miss cannot pass for a small blast radius.
 */
export interface UnresolvedImports {
  /** How many such imports (each import statement once). */
  readonly count: number;
  /** How many files hold them. */
  readonly files: number;
  /** How many distinct specifiers. */
  readonly specifiers: number;
  /** Up to `limit` examples, one per distinct specifier first (most frequent first), then more of the same. */
  readonly examples: readonly UnresolvedImportExample[];
}

export interface ImportGraph {
  /** Every file the graph knows: the caller's files plus declared absent files. */
  readonly files: ReadonlySet<string>;
  /** Forward edges: file -> what it imports (deduplicated by target, first occurrence kept). */
  readonly imports: ReadonlyMap<string, readonly ImportEdge[]>;
  /** Reverse edges: file -> the files that import it, sorted. */
  readonly importers: ReadonlyMap<string, readonly string[]>;
  readonly problems: readonly GraphProblem[];
  /** Imports that named a repository file that does not exist (third-party imports excluded). */
  readonly unresolved: readonly UnresolvedImport[];
  /**
   * Importers of files that are not in the graph (deleted files): re-resolves the unresolved
   * imports as if `paths` existed. Returns path -> importers (sorted), only for paths that have some.
   */
  importersOfAbsent(paths: readonly string[]): Map<string, string[]>;
}

export interface BuildGraphOptions {
  /** Repo-relative posix paths of the repository's files (the tree being analysed). */
  readonly files: readonly string[];
  readonly readFile: ReadFile;
  /** Defaults to TypeScript/JavaScript and Python. */
  readonly languages?: readonly LanguageSupport[];
  /**
   * Files that no longer exist (e.g. deleted by the change) but that imports may still name:
   * imports resolve to them, they are not read. Pass the pre-change file list here if you have it.
   */
  readonly absentFiles?: readonly string[];
  /**
   * Scan only these files for imports (the others still exist for resolution and are not read):
   * for callers that only need the imports of a few files, such as the files a change edits.
   */
  readonly scanOnly?: readonly string[];
  /**
   * Imports already found for a file (for a reader that scans while it streams, such as
   * importGraphOfTree): such a file is not read. Return undefined to have the file read and scanned.
   */
  readonly scanned?: (path: string) => ScannedImports | undefined;
}

/** A file's imports found ahead of the build, with what scanning it reported. */
export interface ScannedImports {
  readonly refs: readonly ImportRef[];
  /** Scan warnings: [message, line]. */
  readonly warnings: ReadonlyArray<readonly [message: string, line: number | undefined]>;
  /** Set when the scanner threw. */
  readonly error?: string;
}

export interface BlastRadiusEntry {
  /** A file that imports a changed file, directly or transitively. */
  readonly file: string;
  /** Length of the shortest import chain from a changed file (1 = imports it directly). */
  readonly depth: number;
  /** True when the change also modified this file ("in the radius"); false: "at risk on revert". */
  readonly changed: boolean;
  /** The shortest import path from a changed file: [changed, importer, …, file]. */
  readonly chain: readonly string[];
}

export interface BlastRadiusOptions {
  /** Only dependents at most this many imports away. Default: unlimited. */
  readonly maxDepth?: number;
}
