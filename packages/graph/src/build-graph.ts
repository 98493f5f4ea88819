/**
 * buildImportGraph: scan every file a language claims, resolve its imports to repository files,
 * and keep forward and reverse edges. Everything that goes wrong for one file (unreadable, binary,
 * unscannable, an import of a file that does not exist) is a problem in the result, never a throw.
 */
import { createResolveContext, decodeContent, type BuildContext } from './context.js';
import { defaultLanguages } from './languages.js';
import { normalizeRepoPath } from './paths.js';
import type {
  BuildGraphOptions,
  GraphProblem,
  ImportEdge,
  ImportGraph,
  ImportRef,
  LanguageSupport,
  ReadFile,
  ScannedImports,
  UnresolvedImport,
} from './types.js';

export function buildImportGraph(options: BuildGraphOptions): ImportGraph {
  return buildGraph(options, false);
}

/**
 * buildImportGraph for a caller whose `files` are already distinct repo-relative paths (a git tree
 * listing): they are taken as they are, not normalized and deduplicated again. Not exported by the
 * package.
 */
export function buildImportGraphOfListing(options: BuildGraphOptions, byIndex?: ListingScans): ImportGraph {
  return buildGraph(options, true, options.scanOnly ? undefined : byIndex, byIndex?.prelude);
}

/**
 * The parts of a listing's graph that do not depend on the absent files, built while the caller
 * still waits for them (a diff): the path set, and the forward-edge map with one (empty) entry per
 * file a language claims, in the listing's order, so that the build keeps the same order and only
 * fills in the files that import something.
 */
export interface ListingPrelude {
  readonly fileSet: Set<string>;
  readonly imports: Map<string, readonly ImportEdge[]>;
}

export function listingPrelude(files: readonly string[], languageAt: (index: number) => LanguageSupport | undefined): ListingPrelude {
  const fileSet = new Set(files);
  const imports = new Map<string, readonly ImportEdge[]>();
  for (let index = 0; index < files.length; index++) if (languageAt(index)) imports.set(files[index]!, NO_EDGES);
  return { fileSet, imports };
}

/**
 * What a listing reader already knows about `files[index]` (no scanOnly): the language that claims it
 * (exactly what `languages` would say) and its imports, so that 80,000 paths need no map lookups.
 */
export interface ListingScans {
  /** What the reader prepared while it waited (listingPrelude), if it did. */
  readonly prelude?: ListingPrelude;
  languageAt(index: number): LanguageSupport | undefined;
  scannedAt(index: number): ScannedImports | undefined;
}

const NO_EDGES: readonly ImportEdge[] = Object.freeze([]);

function buildGraph(options: BuildGraphOptions, listing: boolean, byIndex?: ListingScans, prelude?: ListingPrelude): ImportGraph {
  const languages = options.languages ?? defaultLanguages();
  let files: readonly string[];
  let fileSet: Set<string>;
  if (listing) {
    files = options.files;
    fileSet = prelude?.fileSet ?? new Set(files);
  } else {
    fileSet = new Set<string>();
    files = uniquePaths(options.files, fileSet);
  }
  const absent = uniquePaths(options.absentFiles ?? []).filter((p) => !fileSet.has(p));
  const ctx = createResolveContext({ files, fileSet, absent, readFile: options.readFile });

  // With a prelude (and every file scanned: no scanOnly), each claimed file has its empty entry in
  // place already: the loop only fills in edges, and drops the entries of files it cannot read.
  const prefilled = byIndex !== undefined && prelude !== undefined;
  const imports = prefilled ? prelude.imports : new Map<string, readonly ImportEdge[]>();
  const importers = new Map<string, string[]>();
  const problems: GraphProblem[] = [];
  const unresolved: UnresolvedImport[] = [];

  const scanned = options.scanOnly ? uniquePaths(options.scanOnly).filter((p) => fileSet.has(p)) : files;
  for (let index = 0; index < scanned.length; index++) {
    const file = scanned[index]!;
    const language = byIndex ? byIndex.languageAt(index) : languageFor(languages, file);
    if (!language) continue;
    const found = byIndex ? byIndex.scannedAt(index) : options.scanned?.(file);
    const refs = (found && reportScanned(found, file, problems)) ?? readAndScan(options.readFile, language, file, problems);
    if (refs === undefined) {
      if (prefilled) imports.delete(file);
      continue;
    }
    if (refs.length === 0) {
      if (!prefilled) imports.set(file, NO_EDGES); // one shared (frozen) empty list: a tree of 80,000 files makes no 80,000 arrays
      continue;
    }
    const edges: ImportEdge[] = [];
    const targets = new Set<string>();
    for (const ref of refs) {
      const target = resolveRef(language, ref, file, ctx, problems);
      if (target === null) continue; // the resolver threw: already reported
      if (target === undefined) {
        if (!isExternal(language, ref, file, ctx)) {
          unresolved.push({ from: file, ref, language: language.name });
          problems.push({
            kind: 'unresolved-import',
            file,
            specifier: ref.specifier,
            line: ref.line,
            message: `${file}:${ref.line}: cannot resolve import '${describeRef(ref)}' to a file of the repository`,
          });
        }
        continue;
      }
      if (target === file || targets.has(target)) continue;
      targets.add(target);
      edges.push({ to: target, specifier: ref.specifier, kind: ref.kind, line: ref.line, typeOnly: ref.typeOnly === true });
      const list = importers.get(target);
      if (list) list.push(file);
      else importers.set(target, [file]);
    }
    imports.set(file, edges);
  }
  for (const list of importers.values()) list.sort(compareStrings);

  let allFiles: Set<string> = fileSet;
  if (absent.length > 0) {
    allFiles = new Set<string>(files);
    for (const path of absent) allFiles.add(path);
  }

  return {
    files: allFiles,
    imports,
    importers,
    problems,
    unresolved,
    importersOfAbsent: (paths) => importersOfAbsent(paths, { files, fileSet, absent, languages, readFile: options.readFile, ctx, unresolved }),
  };
}

interface RebuildInput {
  readonly files: readonly string[];
  readonly fileSet: ReadonlySet<string>;
  readonly absent: readonly string[];
  readonly languages: readonly LanguageSupport[];
  readonly readFile: ReadFile;
  readonly ctx: BuildContext;
  readonly unresolved: readonly UnresolvedImport[];
}

/** Re-resolves the unresolved imports as if `paths` existed: who would import them. */
function importersOfAbsent(paths: readonly string[], input: RebuildInput): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const wanted = new Set(uniquePaths(paths).filter((p) => !input.ctx.fileExists(p)));
  if (wanted.size === 0 || input.unresolved.length === 0) return result;
  const ctx = createResolveContext({
    files: input.files,
    fileSet: input.fileSet,
    absent: [...input.absent, ...wanted],
    readFile: input.readFile,
    textCache: input.ctx.textCache,
  });
  const byName = new Map(input.languages.map((l) => [l.name, l]));
  for (const u of input.unresolved) {
    const language = byName.get(u.language);
    if (!language) continue;
    let target: string | undefined;
    try {
      target = language.resolve(u.ref, u.from, ctx);
    } catch {
      continue;
    }
    if (target === undefined || !wanted.has(target) || target === u.from) continue;
    const list = result.get(target);
    if (!list) result.set(target, [u.from]);
    else if (!list.includes(u.from)) list.push(u.from);
  }
  for (const list of result.values()) list.sort(compareStrings);
  return result;
}

function languageFor(languages: readonly LanguageSupport[], file: string): LanguageSupport | undefined {
  for (const language of languages) {
    try {
      if (language.matches(file)) return language;
    } catch {
      // a language that cannot judge a path does not claim it
    }
  }
  return undefined;
}

/** The imports the caller already found for `file` (BuildGraphOptions.scanned), their warnings reported as a scan would. */
function reportScanned(found: ScannedImports, file: string, problems: GraphProblem[]): readonly ImportRef[] {
  for (const [message, line] of found.warnings) problems.push(scanProblem(file, message, line));
  if (found.error !== undefined) problems.push(scanProblem(file, `could not be scanned: ${found.error}`, undefined));
  return found.refs;
}

function readAndScan(readFile: ReadFile, language: LanguageSupport, file: string, problems: GraphProblem[]): readonly ImportRef[] | undefined {
  const source = readSource(readFile, file, problems);
  return source === undefined ? undefined : scan(language, source, file, problems);
}

function scanProblem(file: string, message: string, line: number | undefined): GraphProblem {
  const where = line === undefined ? file : `${file}:${line}`;
  return line === undefined ? { kind: 'scan-error', file, message: `${where}: ${message}` } : { kind: 'scan-error', file, line, message: `${where}: ${message}` };
}

function readSource(readFile: ReadFile, file: string, problems: GraphProblem[]): string | undefined {
  try {
    const text = decodeContent(readFile(file));
    if (text === undefined) problems.push({ kind: 'unreadable-file', file, message: `${file}: could not be read` });
    return text;
  } catch (error) {
    problems.push({ kind: 'unreadable-file', file, message: `${file}: could not be read: ${errorMessage(error)}` });
    return undefined;
  }
}

function scan(language: LanguageSupport, source: string, file: string, problems: GraphProblem[]): readonly ImportRef[] {
  const report = (message: string, line?: number): void => {
    problems.push(scanProblem(file, message, line));
  };
  try {
    return language.scanImports(source, file, report);
  } catch (error) {
    report(`could not be scanned: ${errorMessage(error)}`);
    return [];
  }
}

/** The resolved file, undefined when there is none, null when the resolver threw (reported). */
function resolveRef(language: LanguageSupport, ref: ImportRef, file: string, ctx: BuildContext, problems: GraphProblem[]): string | undefined | null {
  try {
    const target = language.resolve(ref, file, ctx);
    return target === undefined ? undefined : normalizeRepoPath(target);
  } catch (error) {
    problems.push({
      kind: 'scan-error',
      file,
      specifier: ref.specifier,
      line: ref.line,
      message: `${file}:${ref.line}: resolving '${ref.specifier}' failed: ${errorMessage(error)}`,
    });
    return null;
  }
}

function isExternal(language: LanguageSupport, ref: ImportRef, file: string, ctx: BuildContext): boolean {
  try {
    return language.isExternal?.(ref, file, ctx) ?? false;
  } catch {
    return false;
  }
}

function describeRef(ref: ImportRef): string {
  return ref.name === undefined ? ref.specifier : `from ${ref.specifier} import ${ref.name}`;
}

function uniquePaths(paths: readonly string[], seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const raw of paths) {
    if (typeof raw !== 'string' || raw === '') continue;
    const path = normalizeRepoPath(raw);
    if (path === '' || seen.has(path)) continue;
    seen.add(path);
    out.push(path);
  }
  return out;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
