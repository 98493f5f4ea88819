/**
 * tsconfig.json / jsconfig.json: the options module resolution needs (`baseUrl`, `paths`,
 * `outDir`/`rootDir`), with `extends` chains (relative files, workspace packages, arrays) merged.
 *
 * Which configs govern a file: every tsconfig*.json / jsconfig*.json of the nearest directory
 * holding one ('tsconfig.json' first). That covers solution layouts: a solution's `references`
 * point at configs that govern their own directories, and side configs such as
 * tsconfig.app.json next to a solution tsconfig.json are used for the files beside them.
 */
import { basename, dirname, joinPath } from './paths.js';
import type { ResolveContext } from './types.js';
import { isRecord, splitPackageSpecifier, type WorkspacePackage } from './workspaces.js';

export interface PathMapping {
  readonly pattern: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly wildcard: boolean;
  readonly targets: readonly string[];
}

export interface TsConfig {
  readonly file: string;
  /** Repo-relative directory `baseUrl` points to. */
  readonly baseUrl: string | undefined;
  readonly paths: readonly PathMapping[];
  /** Directory the `paths` targets are relative to: baseUrl, else the config that declared `paths`. */
  readonly pathsBase: string;
  readonly outDir: string | undefined;
  readonly rootDir: string | undefined;
  readonly declarationDir: string | undefined;
}

/** The configs that govern files of one directory. */
export interface TsScope {
  readonly id: string;
  readonly configs: readonly TsConfig[];
}

export const CONFIG_NAME = /^(?:tsconfig|jsconfig)(?:[.-][^/]*)?\.json$/;

interface Inherited {
  baseUrl: string | undefined;
  paths: PathMapping[];
  pathsDir: string;
  outDir: string | undefined;
  rootDir: string | undefined;
  declarationDir: string | undefined;
}

export class TsConfigs {
  private readonly byDir = new Map<string, string[]>();
  private readonly loaded = new Map<string, Inherited | undefined>();
  private readonly loading = new Set<string>();
  private readonly scopes = new Map<string, TsScope | undefined>();

  constructor(
    private readonly ctx: ResolveContext,
    private readonly workspaces: () => ReadonlyMap<string, WorkspacePackage>,
  ) {
    for (const path of ctx.files) {
      const name = basename(path);
      if (!CONFIG_NAME.test(name) || path.includes('node_modules/')) continue;
      const dir = dirname(path);
      const list = this.byDir.get(dir);
      if (list) list.push(path);
      else this.byDir.set(dir, [path]);
    }
    for (const list of this.byDir.values()) list.sort(compareConfigNames);
  }

  /** The scope of the nearest directory (at or above `dir`) that holds a config; undefined when none. */
  scopeFor(dir: string): TsScope | undefined {
    if (this.scopes.has(dir)) return this.scopes.get(dir);
    let scope: TsScope | undefined;
    const here = this.byDir.get(dir);
    if (here) {
      const configs: TsConfig[] = [];
      for (const file of here) {
        const config = this.config(file);
        if (config) configs.push(config);
      }
      scope = { id: dir, configs };
    } else if (dir !== '') {
      scope = this.scopeFor(dirname(dir));
    }
    this.scopes.set(dir, scope);
    return scope;
  }

  /** The nearest config of a package directory (for its outDir/rootDir), if any. */
  packageConfig(dir: string): TsConfig | undefined {
    const file = this.byDir.get(dir)?.[0];
    return file === undefined ? undefined : this.config(file);
  }

  config(file: string): TsConfig | undefined {
    const options = this.load(file);
    if (!options) return undefined;
    return {
      file,
      baseUrl: options.baseUrl,
      paths: options.paths,
      pathsBase: options.baseUrl ?? options.pathsDir,
      outDir: options.outDir,
      rootDir: options.rootDir,
      declarationDir: options.declarationDir,
    };
  }

  private load(file: string): Inherited | undefined {
    if (this.loaded.has(file)) return this.loaded.get(file);
    if (this.loading.has(file)) return undefined; // an extends cycle
    this.loading.add(file);
    const raw = this.ctx.readJson(file);
    let result: Inherited | undefined;
    if (isRecord(raw)) {
      const dir = dirname(file);
      result = { baseUrl: undefined, paths: [], pathsDir: dir, outDir: undefined, rootDir: undefined, declarationDir: undefined };
      const ext = raw['extends'];
      const parents = typeof ext === 'string' ? [ext] : Array.isArray(ext) ? ext : [];
      for (const spec of parents) {
        if (typeof spec !== 'string') continue;
        const parentFile = this.resolveExtends(spec, dir);
        const parent = parentFile === undefined ? undefined : this.load(parentFile);
        if (parent) result = { ...parent, paths: parent.paths };
      }
      const options = raw['compilerOptions'];
      if (isRecord(options)) {
        const dirOption = (key: string): string | undefined => {
          const value = options[key];
          return typeof value === 'string' ? joinPath(dir, stripDotSlash(value)) : undefined;
        };
        if (typeof options['baseUrl'] === 'string') result.baseUrl = dirOption('baseUrl');
        if (isRecord(options['paths'])) {
          result.paths = parsePaths(options['paths']);
          result.pathsDir = dir;
        }
        if (typeof options['outDir'] === 'string') result.outDir = dirOption('outDir');
        if (typeof options['rootDir'] === 'string') result.rootDir = dirOption('rootDir');
        if (typeof options['declarationDir'] === 'string') result.declarationDir = dirOption('declarationDir');
      }
    }
    this.loading.delete(file);
    this.loaded.set(file, result);
    return result;
  }

  /** An `extends` value: a relative file (with or without .json), or a workspace package's config. */
  private resolveExtends(spec: string, fromDir: string): string | undefined {
    const candidates: string[] = [];
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const base = spec.startsWith('/') ? undefined : joinPath(fromDir, spec);
      if (base !== undefined) candidates.push(base, `${base}.json`, base === '' ? 'tsconfig.json' : `${base}/tsconfig.json`);
    } else {
      const [name, subpath] = splitPackageSpecifier(spec);
      const pkg = this.workspaces().get(name);
      if (pkg) {
        const prefix = pkg.dir === '' ? '' : `${pkg.dir}/`;
        if (subpath === '') candidates.push(`${prefix}tsconfig.json`);
        else candidates.push(`${prefix}${subpath}`, `${prefix}${subpath}.json`, `${prefix}${subpath}/tsconfig.json`);
      }
    }
    return candidates.find((c) => this.ctx.fileExists(c));
  }
}

function parsePaths(paths: Record<string, unknown>): PathMapping[] {
  const out: PathMapping[] = [];
  for (const pattern of Object.keys(paths)) {
    const value = paths[pattern];
    const targets = (Array.isArray(value) ? value : [value]).filter((t): t is string => typeof t === 'string');
    const star = pattern.indexOf('*');
    if (star >= 0 && pattern.indexOf('*', star + 1) >= 0) continue; // invalid: two wildcards
    out.push({
      pattern,
      prefix: star < 0 ? pattern : pattern.slice(0, star),
      suffix: star < 0 ? '' : pattern.slice(star + 1),
      wildcard: star >= 0,
      targets,
    });
  }
  return out;
}

/**
 * The `paths` targets for a specifier, substituted, in TypeScript's order: an exact pattern wins,
 * else the wildcard pattern with the longest prefix. Undefined when no pattern matches.
 */
export function matchPaths(config: TsConfig, specifier: string): { targets: string[]; pattern: string } | undefined {
  let best: PathMapping | undefined;
  for (const mapping of config.paths) {
    if (!mapping.wildcard) {
      if (mapping.pattern === specifier) {
        best = mapping;
        break;
      }
      continue;
    }
    if (
      specifier.length >= mapping.prefix.length + mapping.suffix.length &&
      specifier.startsWith(mapping.prefix) &&
      specifier.endsWith(mapping.suffix) &&
      (best === undefined || mapping.prefix.length > best.prefix.length)
    ) {
      best = mapping;
    }
  }
  if (!best) return undefined;
  const match = best.wildcard ? specifier.slice(best.prefix.length, specifier.length - best.suffix.length) : '';
  const targets = best.targets.map((t) => (best.wildcard ? t.split('*').join(match) : t));
  return { targets, pattern: best.pattern };
}

function stripDotSlash(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

function compareConfigNames(a: string, b: string): number {
  const rank = (p: string): number => {
    const name = basename(p);
    return name === 'tsconfig.json' ? 0 : name === 'jsconfig.json' ? 1 : 2;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
