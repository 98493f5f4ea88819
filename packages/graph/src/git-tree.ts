/**
 * The import graph and blast radius of a git tree, read straight from the object database: one
 * `git ls-tree`, then one `git cat-file --batch` whose output is scanned blob by blob as it
 * streams in (git inflates the next blobs while this process scans the last ones; nothing but the
 * manifests is kept in memory). Identical blobs are scanned once.
 *
 * The graph is the same one buildImportGraph builds from the same files (it is built by it, with
 * the imports found here passed in), so the answers are the same; only the waiting is gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { blastRadius } from './blast-radius.js';
import { buildImportGraphOfListing, listingPrelude } from './build-graph.js';
import { defaultLanguages } from './languages.js';
import { dirname, joinPath } from './paths.js';
import type { BlastRadiusEntry, ImportGraph, LanguageSupport, ScannedImports, UnresolvedImports } from './types.js';
import { summarizeUnresolved } from './unresolved.js';

export interface GitTreeOptions {
  /** The repository (any directory inside it) git runs in. */
  readonly cwd: string;
  /** What to read: a commit, a tree id or a ref. */
  readonly tree: string;
  /**
   * Files that no longer exist but that imports may still name (see BuildGraphOptions.absentFiles).
   * May be a promise: the tree is read and scanned meanwhile (a caller still diffing starts early).
   */
  readonly absentFiles?: readonly string[] | PromiseLike<readonly string[]>;
  /** Defaults to TypeScript/JavaScript and Python. */
  readonly languages?: readonly LanguageSupport[];
  /** The git executable. Default 'git'. */
  readonly git?: string;
  /** Extra environment for git (merged over process.env). */
  readonly env?: Readonly<Record<string, string>>;
  /** Arguments put before every git command (e.g. `-c core.hooksPath=/dev/null`). */
  readonly gitArgs?: readonly string[];
  /** Blobs larger than this are not scanned (minified bundles, generated data). Default 4 MiB. */
  readonly maxBytes?: number;
  /** Scan only these files (and read only them and the manifests): see BuildGraphOptions.scanOnly. */
  readonly scanOnly?: readonly string[];
}

export interface GitTreeGraph {
  /** Every file of the tree (submodules left out), in git's order. */
  readonly files: string[];
  readonly graph: ImportGraph;
}

export interface GitTreeRadiusOptions extends GitTreeOptions {
  /** The changed files (repo-relative), deleted ones included. */
  readonly changed: readonly string[];
  /** Only dependents at most this many imports away. Default: unlimited. */
  readonly maxDepth?: number;
  /** How many unresolved imports to name. Default 10. */
  readonly unresolvedExamples?: number;
}

export interface GitTreeRadius extends GitTreeGraph {
  /** The dependents of the changed files, as blastRadius returns them. */
  readonly radius: BlastRadiusEntry[];
  /** Imports of the tree that named a repository file and resolved to none: say them in the summary. */
  readonly unresolved: UnresolvedImports;
}

/** The files config resolution reads (kept as text); everything else a language claims is scanned and dropped. */
const CONFIG_FILE = /(^|\/)(package\.json|[tj]sconfig[^/]*\.json|pnpm-workspace\.ya?ml|lerna\.json)$/;

const SYMLINK = '120000';

/** The import graph of a git tree. */
export async function importGraphOfTree(options: GitTreeOptions): Promise<GitTreeGraph> {
  const languages = options.languages ?? defaultLanguages();
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const git = new GitReader(options);
  // Index-aligned arrays, not an object or map entry per file: a tree of 80,000 files stays cheap.
  const { paths: files, oids, links: isLink } = await git.listTree(options.tree);
  const count = files.length;
  const languageAt = new Array<LanguageSupport | undefined>(count);
  const scannedAt = new Array<ScannedImports | undefined>(count);

  const only = options.scanOnly ? new Set(options.scanOnly) : undefined;
  const configs: number[] = [];
  const linkIndexes: number[] = [];
  const links = new Map<string, string | undefined>(); // symlink path -> the path it points at (read below)
  // Blob id -> the indexes of the files (configs first, then sources) it is read for.
  const pathsByOid = new Map<string, number[]>();
  const want = (oid: string, index: number): void => {
    const same = pathsByOid.get(oid);
    if (same) same.push(index);
    else pathsByOid.set(oid, [index]);
  };
  const sources: number[] = [];
  for (let i = 0; i < count; i++) {
    const path = files[i]!;
    const language = languageFor(languages, path);
    languageAt[i] = language;
    if (isLink[i]) {
      // A link's blob is its target's path: followed below, within the tree, as the disk reader does.
      if (language) {
        links.set(path, undefined);
        linkIndexes.push(i);
        sources.push(i);
      }
      continue;
    }
    // Cheap test first: every manifest name ends in "json", "yaml" or "yml".
    if ((path.endsWith('json') || path.endsWith('yaml') || path.endsWith('yml')) && CONFIG_FILE.test(path)) {
      configs.push(i);
      continue;
    }
    if (only && !only.has(path)) continue;
    if (language) sources.push(i);
  }
  // Manifests first: they are few and small.
  for (const i of configs) want(oids[i]!, i);
  for (const i of sources) want(oids[i]!, i);

  const texts = new Map<string, string>();
  const isConfig = new Set(configs);
  const reading = git.readBlobs([...pathsByOid.keys()], (oid, content) => {
    if (content === undefined || content.length > maxBytes) return; // read the usual way later: reported as a problem
    // Each blob comes once: its scans (one per language claiming one of its paths) are kept here only.
    let text: string | undefined;
    let lastLanguage: LanguageSupport | undefined;
    let lastResult: ScannedImports | undefined;
    let others: Map<LanguageSupport, ScannedImports> | undefined;
    for (const index of pathsByOid.get(oid) ?? []) {
      text ??= content.toString('utf8');
      if (isLink[index]) {
        links.set(files[index]!, text);
        continue;
      }
      if (isConfig.has(index)) {
        texts.set(files[index]!, text);
        continue;
      }
      const language = languageAt[index]!;
      let result = language === lastLanguage ? lastResult : others?.get(language);
      if (!result) {
        result = scanBlob(language, text, files[index]!);
        (others ??= new Map()).set(language, result);
      }
      lastLanguage = language;
      lastResult = result;
      scannedAt[index] = result;
    }
  });
  // While git streams the blobs (and the caller's diff runs), what the graph needs that depends on
  // neither is built: the tree's path set and an empty entry per claimed file.
  const prelude = options.scanOnly ? undefined : listingPrelude(files, (index) => languageAt[index]);
  await reading;

  if (linkIndexes.length > 0) {
    const indexOf = new Map<string, number>();
    for (let i = 0; i < count; i++) indexOf.set(files[i]!, i);
    for (const index of linkIndexes) {
      const link = files[index]!;
      const file = followLink(link, links.get(link), links);
      const target = file === undefined ? undefined : indexOf.get(file);
      const found = target === undefined ? undefined : scannedAt[target];
      if (found) scannedAt[index] = found;
    }
  }

  // Blob ids by path, for the rare file a resolver reads that was not streamed (built when first needed).
  let oidOf: Map<string, string> | undefined;
  const readFile = (path: string): string | undefined => {
    const text = texts.get(path);
    if (text !== undefined) return text;
    if (!oidOf) {
      oidOf = new Map();
      for (let i = 0; i < count; i++) if (!isLink[i]) oidOf.set(files[i]!, oids[i]!);
    }
    const oid = oidOf.get(path);
    if (oid === undefined) return undefined;
    const blob = git.readBlobSync(oid);
    if (blob !== undefined && blob.length > maxBytes) throw new Error(`larger than ${maxBytes} bytes: not scanned`);
    return blob?.toString('utf8');
  };
  let scannedByPath: Map<string, ScannedImports> | undefined;
  const absentFiles = await options.absentFiles;
  const graph = buildImportGraphOfListing(
    {
      files,
      readFile,
      languages,
      absentFiles,
      scanned: (path) => {
        if (!scannedByPath) {
          scannedByPath = new Map();
          for (let i = 0; i < count; i++) if (scannedAt[i]) scannedByPath.set(files[i]!, scannedAt[i]!);
        }
        return scannedByPath.get(path);
      },
      ...(options.scanOnly ? { scanOnly: options.scanOnly } : {}),
    },
    { ...(prelude ? { prelude } : {}), languageAt: (index) => languageAt[index], scannedAt: (index) => scannedAt[index] },
  );
  return { files, graph };
}

/** The blast radius of a change in a git tree, with the tree's unresolved imports counted. */
export async function blastRadiusOfTree(options: GitTreeRadiusOptions): Promise<GitTreeRadius> {
  const { files, graph } = await importGraphOfTree(options);
  const radius = blastRadius(graph, options.changed, options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth });
  const unresolved = summarizeUnresolved(graph, { limit: options.unresolvedExamples ?? 10 });
  return { files, graph, radius, unresolved };
}

// ---- scanning -----------------------------------------------------------------------------

/** The file a symlink ends at within the tree (links to links followed, at most 8), or undefined when it leaves the tree. */
function followLink(link: string, target: string | undefined, links: ReadonlyMap<string, string | undefined>): string | undefined {
  let path = link;
  let to = target;
  for (let hops = 0; hops < 8; hops++) {
    if (to === undefined || to.startsWith('/')) return undefined;
    const next = joinPath(dirname(path), to);
    if (next === undefined) return undefined;
    if (!links.has(next)) return next;
    path = next;
    to = links.get(next);
  }
  return undefined;
}

function scanBlob(language: LanguageSupport, source: string, path: string): ScannedImports {
  const warnings: Array<[string, number | undefined]> = [];
  try {
    const refs = language.scanImports(source, path, (message, line) => warnings.push([message, line]));
    return { refs, warnings };
  } catch (error) {
    return { refs: [], warnings, error: error instanceof Error ? error.message : String(error) };
  }
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

// ---- git ----------------------------------------------------------------------------------

class GitReader {
  private readonly gitPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly prefix: readonly string[];

  constructor(private readonly options: GitTreeOptions) {
    this.gitPath = options.git ?? 'git';
    this.env = { ...process.env, ...options.env };
    this.prefix = options.gitArgs ?? [];
  }

  /**
   * Every blob of the tree: `ls-tree -r -z --full-tree`, so odd names survive, parsed as it streams
   * in (the listing of 80,000 files is cut up while git still writes it).
   */
  async listTree(tree: string): Promise<TreeListing> {
    if (tree.startsWith('-')) throw new Error(`not a tree: ${JSON.stringify(tree)}`);
    const parser = new TreeListingParser();
    await this.run(['ls-tree', '-r', '-z', '--full-tree', tree], (chunk) => parser.push(chunk));
    return parser.end();
  }

  /** Streams `cat-file --batch`: `onBlob` gets each blob's bytes as soon as they are in (undefined when missing). */
  readBlobs(oids: readonly string[], onBlob: (oid: string, content: Buffer | undefined) => void): Promise<void> {
    if (oids.length === 0) return Promise.resolve();
    const parser = new BatchParser(onBlob);
    return this.run(['cat-file', '--batch', '--buffer'], (chunk) => parser.push(chunk), {
      input: `${oids.join('\n')}\n`,
      name: 'cat-file --batch',
      finished: () => (parser.done() ? undefined : new Error('git cat-file --batch ended in the middle of a blob')),
    });
  }

  /** One blob, synchronously: the fallback for a file a resolver reads that was not streamed. */
  readBlobSync(oid: string): Buffer | undefined {
    const r = spawnSync(this.gitPath, [...this.prefix, 'cat-file', 'blob', oid], { cwd: this.options.cwd, env: this.env, maxBuffer: 1 << 30 });
    return r.status === 0 ? r.stdout : undefined;
  }

  /**
   * Runs git, handing each chunk of its output to `onData` as it comes (a throw there ends git and
   * is the answer). `input` goes to its stdin (else it is closed at once); `name` names it in a failure; `finished` may still
   * refuse a clean exit (output cut short).
   */
  private run(args: string[], onData: (chunk: Buffer) => void, options: { input?: string; name?: string; finished?: () => Error | undefined } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.gitPath, [...this.prefix, ...args], { cwd: this.options.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      let failed: unknown;
      child.stdout.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          onData(chunk);
        } catch (error) {
          failed = error;
          child.kill();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        const cutShort = failed || code !== 0 ? undefined : options.finished?.();
        if (failed) reject(failed);
        else if (code !== 0) reject(new Error(`git ${options.name ?? args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
        else if (cutShort) reject(cutShort);
        else resolve();
      });
      child.stdin.on('error', () => undefined); // git exiting early is reported by 'close'
      child.stdin.end(options.input ?? '');
    });
  }
}

export interface TreeListing {
  paths: string[];
  oids: string[];
  links: boolean[];
}

/**
 * Incremental parser of `git ls-tree -r -z` output. Records are `<mode> SP <type> SP <oid> TAB
 * <path> NUL`; only the path and the id are cut out of the text, blobs only (submodule commits and
 * anything unexpected are left out). A record or a character split between chunks is joined.
 */
export class TreeListingParser {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private readonly listing: TreeListing = { paths: [], oids: [], links: [] };

  push(chunk: Buffer): void {
    const out = this.rest + this.decoder.write(chunk);
    const end = out.lastIndexOf('\0');
    if (end < 0) {
      this.rest = out;
      return;
    }
    this.parse(out, end);
    this.rest = out.slice(end + 1);
  }

  end(): TreeListing {
    const out = this.rest + this.decoder.end();
    this.rest = '';
    if (out !== '') this.parse(out, out.length);
    return this.listing;
  }

  /** The records of `out` up to `end` (a NUL, or the end of the text). */
  private parse(out: string, end: number): void {
    const { paths, oids, links } = this.listing;
    let at = 0;
    while (at < end) {
      let nul = out.indexOf('\0', at);
      if (nul < 0 || nul > end) nul = end;
      const tab = out.indexOf('\t', at);
      const s1 = out.indexOf(' ', at);
      const s2 = s1 < 0 ? -1 : out.indexOf(' ', s1 + 1);
      if (tab >= 0 && tab < nul && s2 >= 0 && s2 < tab && s2 - s1 === 5 && out.startsWith('blob', s1 + 1)) {
        paths.push(out.slice(tab + 1, nul));
        oids.push(out.slice(s2 + 1, tab));
        links.push(s1 - at === 6 && out.startsWith(SYMLINK, at));
      }
      at = nul + 1;
    }
  }
}

/** Incremental parser of `cat-file --batch` output: `<oid> <type> <size>\n<content>\n` or `<oid> missing\n`. */
class BatchParser {
  /** Bytes received and not yet consumed (a blob that spans chunks is joined once, when complete). */
  private chunks: Buffer[] = [];
  private length = 0;
  private oid = '';
  /** Bytes still expected for the current blob's content plus its newline; 0 when a header is next. */
  private need = 0;

  constructor(private readonly onBlob: (oid: string, content: Buffer | undefined) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.need > 0 && this.length < this.need) return;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    let at = 0;
    for (;;) {
      if (this.need === 0) {
        const nl = buf.indexOf(0x0a, at);
        if (nl < 0) break;
        const header = buf.toString('latin1', at, nl);
        at = nl + 1;
        const parts = header.split(' ');
        if (parts[1] === 'missing' || parts.length < 3) {
          this.onBlob(parts[0] ?? '', undefined);
          continue;
        }
        const size = Number(parts[2]);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error(`unexpected git cat-file output: ${header}`);
        this.oid = parts[0]!;
        this.need = size + 1;
      }
      if (buf.length - at < this.need) break;
      const end = at + this.need - 1;
      this.onBlob(this.oid, buf.subarray(at, end));
      at = end + 1;
      this.need = 0;
    }
    buf = buf.subarray(at);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.length = buf.length;
  }

  done(): boolean {
    return this.need === 0 && this.length === 0;
  }
}
