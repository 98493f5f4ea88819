/**
 * Module resolution for TypeScript/JavaScript the way the toolchain does it, within the
 * repository only:
 *  - relative specifiers: extension rules ('./x' -> x.ts, x.tsx, x.d.ts, x.js, …; './x.js' -> x.ts),
 *    directories (package.json types/main, then index files);
 *  - tsconfig `paths` (exact, then longest wildcard prefix) and `baseUrl`;
 *  - workspace packages by name, through `exports` / `types` / `module` / `main`, mapped back
 *    from build output (dist, lib, build, out, …) to the source file that exists;
 *  - `#subpath` imports of the nearest package.json.
 * Anything else bare (third-party packages, node builtins, URLs) is external.
 */
import { mapSubpath } from './exports.js';
import { dirname, isWithin, joinPath } from './paths.js';
import { matchPaths, TsConfigs, type TsScope } from './tsconfig.js';
import type { ResolveContext } from './types.js';
import {
  dependencyLinks,
  findWorkspacePackages,
  isRecord,
  splitPackageSpecifier,
  type DependencyLink,
  type PackageManifest,
  type WorkspacePackage,
} from './workspaces.js';

/** Extensions tried after an extensionless specifier, in TypeScript's order then JavaScript's. */
const EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mts', '.cts', '.d.mts', '.d.cts', '.mjs', '.cjs', '.json'];
const INDEX_FILES = EXTENSIONS.map((ext) => `index${ext}`);

/** A written JavaScript extension -> the source extensions it may stand for (TypeScript's rules for imports written in source). */
const SOURCE_FOR_OUTPUT: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['.d.mts', ['.mts']],
  ['.d.cts', ['.cts']],
  ['.d.ts', ['.ts', '.tsx']],
  ['.js', ['.ts', '.tsx', '.d.ts']],
  ['.jsx', ['.tsx']],
  ['.mjs', ['.mts', '.d.mts']],
  ['.cjs', ['.cts', '.d.cts']],
];

/**
 * Build output named by a manifest (`exports`, `main`, `types`, …) -> every source it may have been
 * built from, the same module kind first. A bundler (tsup, unbuild, rollup) turns `src/index.ts`
 * into `dist/index.mjs`, `dist/index.cjs` and `dist/index.d.mts` alike, so any output extension
 * may stand for any source extension.
 */
const SOURCES_OF_BUILD_OUTPUT: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['.d.mts', ['.mts', '.ts', '.tsx', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.d.mts', '.d.ts', '.d.cts']],
  ['.d.cts', ['.cts', '.ts', '.tsx', '.mts', '.js', '.jsx', '.cjs', '.mjs', '.d.cts', '.d.ts', '.d.mts']],
  ['.d.ts', ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.d.ts', '.d.mts', '.d.cts']],
  ['.mjs', ['.mts', '.ts', '.tsx', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.d.mts', '.d.ts', '.d.cts']],
  ['.cjs', ['.cts', '.ts', '.tsx', '.mts', '.js', '.jsx', '.cjs', '.mjs', '.d.cts', '.d.ts', '.d.mts']],
  ['.js', ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.d.ts', '.d.mts', '.d.cts']],
  ['.jsx', ['.tsx', '.jsx', '.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts', '.d.mts', '.d.cts']],
];

/** Directories build output usually lives in, and the format folders often nested in them. */
const OUTPUT_DIRS = new Set(['dist', 'lib', 'build', 'out', 'esm', 'cjs', 'es', 'types', 'dist-types', 'typings', 'compiled']);
const FORMAT_DIRS = new Set(['esm', 'cjs', 'es', 'mjs', 'types', 'src', 'node', 'browser', 'umd', 'module', 'commonjs']);

/** Manifest fields naming a package's entry, source-leaning first. */
const ENTRY_FIELDS = ['source', 'types', 'typings', 'module', 'main'] as const;

const EXTERNAL = 0;
const MISSING = 1;
/** A resolution: a repository file, EXTERNAL (outside the repository) or MISSING (should be in it, is not). */
type Resolution = string | typeof EXTERNAL | typeof MISSING;

export class TsResolver {
  private readonly tsconfigs: TsConfigs;
  private packages: Map<string, WorkspacePackage> | undefined;
  private readonly cache = new Map<string, Resolution>();
  private readonly manifestDirs = new Map<string, string | undefined>();
  private readonly enteringDirs = new Set<string>();
  private readonly links = new Map<string, Map<string, DependencyLink>>();
  private anyPackages: Map<string, WorkspacePackage> | undefined;

  constructor(private readonly ctx: ResolveContext) {
    this.tsconfigs = new TsConfigs(ctx, () => this.workspacePackages());
  }

  /** The repository file `specifier` names from `fromPath`, or undefined. */
  resolve(specifier: string, fromPath: string): string | undefined {
    const r = this.resolution(specifier, fromPath);
    return typeof r === 'string' ? r : undefined;
  }

  /** True when `specifier` names nothing in the repository (and so is no problem when unresolved). */
  isExternal(specifier: string, fromPath: string): boolean {
    return this.resolution(specifier, fromPath) === EXTERNAL;
  }

  private workspacePackages(): Map<string, WorkspacePackage> {
    this.packages ??= findWorkspacePackages(this.ctx);
    return this.packages;
  }

  private resolution(rawSpecifier: string, fromPath: string): Resolution {
    const specifier = stripQuery(rawSpecifier);
    if (specifier === '') return EXTERNAL;
    const fromDir = dirname(fromPath);
    if (isRelative(specifier)) {
      const key = `${fromDir}\0${specifier}`;
      let r = this.cache.get(key);
      if (r === undefined) {
        const target = joinPath(fromDir, specifier);
        r = target === undefined ? EXTERNAL : (this.resolvePath(target) ?? MISSING);
        this.cache.set(key, r);
      }
      return r;
    }
    if (specifier.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)) return EXTERNAL; // absolute, node:, https:, virtual:
    if (specifier.startsWith('#')) {
      const pkgDir = this.nearestManifestDir(fromDir);
      const key = `#${pkgDir ?? ''}\0${specifier}`;
      let r = this.cache.get(key);
      if (r === undefined) {
        r = pkgDir === undefined ? EXTERNAL : this.resolveSubpathImport(pkgDir, specifier, fromPath);
        this.cache.set(key, r);
      }
      return r;
    }
    const scope = this.tsconfigs.scopeFor(fromDir);
    const linked = this.linkedPackage(splitPackageSpecifier(specifier)[0], fromDir);
    const key = `${scope?.id ?? ''}\u0001${linked?.dir ?? ''}\u0001${specifier}`;
    let r = this.cache.get(key);
    if (r === undefined) {
      r = this.resolveBare(specifier, scope, linked);
      this.cache.set(key, r);
    }
    return r;
  }

  /**
   * The package a `link:` / `file:` / `workspace:` dependency of the importing package (or of a
   * package above it, as node_modules folders nest) points at, found by the name it is declared under.
   */
  private linkedPackage(name: string, fromDir: string): WorkspacePackage | undefined {
    const manifestDir = this.nearestManifestDir(fromDir);
    if (manifestDir === undefined) return undefined;
    const links = this.linksInScope(manifestDir);
    if (links.size === 0) return undefined;
    const link = links.get(name);
    if (link === undefined) return undefined;
    if ('name' in link) return this.packageNamed(link.name);
    if (!this.ctx.directoryExists(link.dir)) return undefined;
    const manifest = this.ctx.readJson(link.dir === '' ? 'package.json' : `${link.dir}/package.json`);
    return { name, dir: link.dir, manifest: isRecord(manifest) ? (manifest as PackageManifest) : {} };
  }

  /** The local-protocol dependencies visible from a package: its own, then those of the packages above it. */
  private linksInScope(manifestDir: string): Map<string, DependencyLink> {
    let links = this.links.get(manifestDir);
    if (!links) {
      links = new Map(dependencyLinks(this.ctx.readJson(manifestDir === '' ? 'package.json' : `${manifestDir}/package.json`), manifestDir));
      const parent = manifestDir === '' ? undefined : this.nearestManifestDir(dirname(manifestDir));
      if (parent !== undefined) for (const [name, link] of this.linksInScope(parent)) if (!links.has(name)) links.set(name, link);
      this.links.set(manifestDir, links);
    }
    return links;
  }

  /** A workspace package by name; failing that, any package.json of the repository with that name. */
  private packageNamed(name: string): WorkspacePackage | undefined {
    const pkg = this.workspacePackages().get(name);
    if (pkg) return pkg;
    this.anyPackages ??= findWorkspacePackages(this.ctx, { ignoreWorkspaceGlobs: true });
    return this.anyPackages.get(name);
  }

  private resolveBare(specifier: string, scope: TsScope | undefined, linked: WorkspacePackage | undefined): Resolution {
    let mappedByPaths = false;
    for (const config of scope?.configs ?? []) {
      const matched = matchPaths(config, specifier);
      if (!matched) continue;
      if (matched.pattern !== '*') mappedByPaths = true;
      for (const target of matched.targets) {
        const path = joinPath(config.pathsBase, stripDotSlash(target));
        const found = path === undefined ? undefined : (this.resolvePath(path) ?? this.resolveOutput(path, undefined));
        if (found) return found;
      }
    }
    const [name, subpath] = splitPackageSpecifier(specifier);
    const pkg = linked ?? this.workspacePackages().get(name);
    if (pkg) return this.resolvePackage(pkg, subpath) ?? MISSING;
    for (const config of scope?.configs ?? []) {
      if (config.baseUrl === undefined) continue;
      const path = joinPath(config.baseUrl, specifier);
      const found = path === undefined ? undefined : this.resolvePath(path);
      if (found) return found;
    }
    return mappedByPaths ? MISSING : EXTERNAL;
  }

  /** A workspace package import: `exports` first, then the entry fields or the subpath as a file. */
  private resolvePackage(pkg: WorkspacePackage, subpath: string): string | undefined {
    const manifest = pkg.manifest;
    if (manifest.exports !== undefined && manifest.exports !== null) {
      const targets = mapSubpath(manifest.exports, subpath === '' ? '.' : `./${subpath}`);
      for (const target of targets ?? []) {
        const found = this.resolveOutput(joinPath(pkg.dir, stripDotSlash(target)), pkg.dir);
        if (found) return found;
      }
    }
    if (subpath === '') return this.resolveEntry(pkg.dir, manifest);
    const path = joinPath(pkg.dir, subpath);
    return path === undefined ? undefined : this.resolveOutput(path, pkg.dir);
  }

  /** A directory's entry: its package.json fields (mapped to sources), then its index file. */
  private resolveEntry(dir: string, manifest: PackageManifest | undefined): string | undefined {
    if (manifest) {
      for (const field of ENTRY_FIELDS) {
        const value = manifest[field];
        if (typeof value !== 'string' || value === '') continue;
        const found = this.resolveOutput(joinPath(dir, stripDotSlash(value)), dir);
        if (found) return found;
      }
    }
    for (const index of INDEX_FILES) {
      const file = dir === '' ? index : `${dir}/${index}`;
      if (this.ctx.fileExists(file)) return file;
    }
    return undefined;
  }

  /** `#name` imports: the nearest package.json's `imports` map. */
  private resolveSubpathImport(pkgDir: string, specifier: string, fromPath: string): Resolution {
    const manifest = this.ctx.readJson(pkgDir === '' ? 'package.json' : `${pkgDir}/package.json`);
    const targets = isRecord(manifest) ? mapSubpath(manifest['imports'], specifier) : undefined;
    if (!targets) return MISSING;
    for (const target of targets) {
      if (target.startsWith('./')) {
        const found = this.resolveOutput(joinPath(pkgDir, stripDotSlash(target)), pkgDir);
        if (found) return found;
      } else if (!target.startsWith('#')) {
        const r = this.resolution(target, fromPath);
        if (r !== MISSING) return r;
      }
    }
    return MISSING;
  }

  /**
   * A path that may be build output: the source it was built from (tsconfig outDir -> rootDir,
   * or dist/lib/build/… -> src or the package root) when that exists, else the path itself.
   */
  private resolveOutput(path: string | undefined, pkgDir: string | undefined): string | undefined {
    if (path === undefined) return undefined;
    for (const candidate of this.sourceCandidates(path, pkgDir)) {
      const found = this.resolveBuildOutput(candidate) ?? this.resolvePath(candidate);
      if (found) return found;
    }
    return this.resolvePath(path) ?? this.resolveBuildOutput(path);
  }

  /**
   * A path written as build output (or rewritten from one to the source folder): a file of the
   * same stem with any source extension, the same kind first, then `<stem>/index.*` (an entry
   * named after its folder, as `{ utils: 'src/utils/index.ts' }` builds to `dist/utils.mjs`).
   */
  private resolveBuildOutput(path: string): string | undefined {
    for (const [written, sources] of SOURCES_OF_BUILD_OUTPUT) {
      if (!path.endsWith(written)) continue;
      const stem = path.slice(0, -written.length);
      if (stem === '' || stem.endsWith('/')) return undefined;
      for (const ext of sources) if (this.ctx.fileExists(stem + ext)) return stem + ext;
      for (const ext of sources) if (this.ctx.fileExists(`${stem}/index${ext}`)) return `${stem}/index${ext}`;
      return undefined;
    }
    return undefined;
  }

  private sourceCandidates(path: string, pkgDir: string | undefined): string[] {
    const out: string[] = [];
    const base = pkgDir ?? '';
    if (!isWithin(path, base)) return out;
    const rel = base === '' ? path : path.slice(base.length + 1);
    const prefix = base === '' ? '' : `${base}/`;
    if (pkgDir !== undefined) {
      const config = this.tsconfigs.packageConfig(pkgDir);
      for (const outDir of [config?.outDir, config?.declarationDir]) {
        if (outDir === undefined || !isWithin(path, outDir) || path === outDir) continue;
        const rest = path.slice(outDir.length + 1);
        const roots = config?.rootDir !== undefined ? [config.rootDir] : [`${prefix}src`, base];
        for (const root of roots) out.push(root === '' ? rest : `${root}/${rest}`);
      }
    }
    const segments = rel.split('/');
    // The first output folder of the path (within the package when known).
    const at = segments.findIndex((s, i) => OUTPUT_DIRS.has(s) && i < segments.length - 1);
    if (at < 0 && OUTPUT_DIRS.has(segments[segments.length - 1] ?? '')) {
      // The output folder itself (`"main": "dist"`): its index, built from src/ or the folder above.
      const before = segments.slice(0, -1).join('/');
      const lead = prefix + before;
      out.push(lead === '' ? 'src' : `${lead.endsWith('/') ? lead : `${lead}/`}src`);
      if (lead !== '' && lead !== base) out.push(lead.endsWith('/') ? lead.slice(0, -1) : lead);
    }
    if (at >= 0) {
      const before = segments.slice(0, at).join('/');
      const lead = prefix + (before === '' ? '' : `${before}/`);
      const rests = [segments.slice(at + 1)];
      if (FORMAT_DIRS.has(segments[at + 1] ?? '') && at + 2 < segments.length) rests.push(segments.slice(at + 2));
      for (const rest of rests) {
        const tail = rest.join('/');
        out.push(`${lead}src/${tail}`, `${lead}${tail}`);
      }
    }
    return out;
  }

  /** A file or a directory. */
  private resolvePath(path: string): string | undefined {
    return this.resolveFile(path) ?? this.resolveDirectory(path);
  }

  private resolveDirectory(dir: string): string | undefined {
    if (!this.ctx.directoryExists(dir) || this.enteringDirs.has(dir)) return undefined; // `"main": "."` and the like
    this.enteringDirs.add(dir);
    try {
      const manifest = this.ctx.readJson(dir === '' ? 'package.json' : `${dir}/package.json`);
      return this.resolveEntry(dir, isRecord(manifest) ? (manifest as PackageManifest) : undefined);
    } finally {
      this.enteringDirs.delete(dir);
    }
  }

  /** Extension rules: a written output extension maps to its source, then the exact path, then appended extensions. */
  private resolveFile(path: string): string | undefined {
    if (path === '' || path.endsWith('/')) return undefined;
    const ctx = this.ctx;
    for (const [written, sources] of SOURCE_FOR_OUTPUT) {
      if (!path.endsWith(written)) continue;
      const stem = path.slice(0, -written.length);
      for (const ext of sources) if (ctx.fileExists(stem + ext)) return stem + ext;
      break;
    }
    if (ctx.fileExists(path)) return path;
    if (path.endsWith('.js') && ctx.fileExists(`${path}x`)) return `${path}x`; // './a.js' naming a.jsx
    for (const ext of EXTENSIONS) if (ctx.fileExists(path + ext)) return path + ext;
    return undefined;
  }

  private nearestManifestDir(dir: string): string | undefined {
    if (this.manifestDirs.has(dir)) return this.manifestDirs.get(dir);
    const here = this.ctx.fileExists(dir === '' ? 'package.json' : `${dir}/package.json`);
    const found = here ? dir : dir === '' ? undefined : this.nearestManifestDir(dirname(dir));
    this.manifestDirs.set(dir, found);
    return found;
  }
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

function stripQuery(specifier: string): string {
  const q = specifier.indexOf('?');
  return q < 0 ? specifier : specifier.slice(0, q);
}

function stripDotSlash(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}
