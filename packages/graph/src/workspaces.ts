/**
 * Workspace packages of a monorepo: which directories are packages (npm/yarn `workspaces`,
 * pnpm-workspace.yaml, lerna.json) and the name each one is imported by.
 */
import { createGlobFilter } from './glob.js';
import { dirname, joinPath } from './paths.js';
import type { ResolveContext } from './types.js';

/** The package.json fields the resolver reads. */
export interface PackageManifest {
  readonly name?: unknown;
  readonly exports?: unknown;
  readonly imports?: unknown;
  readonly main?: unknown;
  readonly module?: unknown;
  readonly types?: unknown;
  readonly typings?: unknown;
  readonly source?: unknown;
  readonly workspaces?: unknown;
}

export interface WorkspacePackage {
  readonly name: string;
  /** Repo-relative directory ('' for the root package). */
  readonly dir: string;
  readonly manifest: PackageManifest;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The workspace globs the repository declares (root package.json, pnpm-workspace.yaml, lerna.json). */
export function workspacePatterns(ctx: ResolveContext): string[] {
  const patterns: string[] = [];
  const root = ctx.readJson('package.json');
  if (isRecord(root)) {
    const ws = root['workspaces'];
    const list = Array.isArray(ws) ? ws : isRecord(ws) ? ws['packages'] : undefined;
    if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') patterns.push(p);
  }
  for (const name of ['pnpm-workspace.yaml', 'pnpm-workspace.yml']) {
    const text = ctx.readText(name);
    if (text !== undefined) patterns.push(...parsePnpmWorkspacePackages(text));
  }
  const lerna = ctx.readJson('lerna.json');
  if (isRecord(lerna) && Array.isArray(lerna['packages'])) {
    for (const p of lerna['packages']) if (typeof p === 'string') patterns.push(p);
  }
  return patterns;
}

/**
 * The `packages:` list of a pnpm-workspace.yaml: block items (`- 'packages/*'`) or a flow list
 * (`packages: [a, b]`). Just enough YAML for that one key.
 */
export function parsePnpmWorkspacePackages(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  let inList = false;
  for (const line of lines) {
    const content = stripYamlComment(line);
    if (content.trim() === '') continue;
    const topLevel = !/^\s/.test(content);
    if (topLevel) {
      inList = false;
      const m = /^packages\s*:\s*(.*)$/.exec(content);
      if (!m) continue;
      const rest = (m[1] ?? '').trim();
      if (rest.startsWith('[')) {
        const inner = rest.slice(1, rest.lastIndexOf(']') < 0 ? undefined : rest.lastIndexOf(']'));
        for (const item of inner.split(',')) {
          const value = unquoteYaml(item.trim());
          if (value) out.push(value);
        }
      } else {
        inList = true;
      }
      continue;
    }
    if (!inList) continue;
    const item = /^\s*-\s*(.*)$/.exec(content);
    if (item) {
      const value = unquoteYaml((item[1] ?? '').trim());
      if (value) out.push(value);
    }
  }
  return out;
}

function stripYamlComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function unquoteYaml(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) return value.slice(1, -1);
  return value;
}

function isManifestPath(path: string): boolean {
  if (path !== 'package.json' && !path.endsWith('/package.json')) return false;
  return !path.startsWith('node_modules/') && !path.includes('/node_modules/');
}

/**
 * name -> package for every workspace package. When the repository declares workspaces, the
 * packages are the directories its globs match (plus the root package, for self-references);
 * when it declares none, every package.json outside node_modules names a package.
 */
export function findWorkspacePackages(ctx: ResolveContext, options: { ignoreWorkspaceGlobs?: boolean } = {}): Map<string, WorkspacePackage> {
  const patterns = options.ignoreWorkspaceGlobs ? [] : workspacePatterns(ctx);
  const inWorkspace = patterns.length > 0 ? createGlobFilter(patterns) : () => true;
  const found = new Map<string, WorkspacePackage>();
  for (const path of ctx.files) {
    if (!isManifestPath(path)) continue;
    const dir = dirname(path);
    if (dir !== '' && !inWorkspace(dir)) continue;
    const manifest = ctx.readJson(path);
    if (!isRecord(manifest)) continue;
    const name = manifest['name'];
    if (typeof name !== 'string' || name === '') continue;
    const previous = found.get(name);
    // Two packages with one name: keep the shallower one (the other is usually a fixture or copy).
    if (previous && previous.dir.split('/').length <= dir.split('/').length) continue;
    found.set(name, { name, dir, manifest: manifest as PackageManifest });
  }
  return found;
}

/** Splits a bare specifier into package name and subpath: '@a/b/c/d' -> ['@a/b', 'c/d']. */
export function splitPackageSpecifier(specifier: string): [name: string, subpath: string] {
  const first = specifier.indexOf('/');
  if (specifier.startsWith('@')) {
    if (first < 0) return [specifier, ''];
    const second = specifier.indexOf('/', first + 1);
    return second < 0 ? [specifier, ''] : [specifier.slice(0, second), specifier.slice(second + 1)];
  }
  return first < 0 ? [specifier, ''] : [specifier.slice(0, first), specifier.slice(first + 1)];
}

/** Where a dependency declared with a local protocol points: a directory, or another workspace package's name. */
export type DependencyLink = { readonly dir: string } | { readonly name: string };

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/**
 * The dependencies of the package in `dir` that name local code rather than a registry version:
 * `link:../x`, `file:../x`, `portal:../x` and `workspace:../x` (a directory), and `workspace:other@^1`
 * (an alias of workspace package `other`). `workspace:*` / `workspace:^` need nothing here: the
 * package is found by its own name. Tarballs (`file:x.tgz`) and paths leaving the repository are skipped.
 */
export function dependencyLinks(manifest: unknown, dir: string): Map<string, DependencyLink> {
  const links = new Map<string, DependencyLink>();
  if (!isRecord(manifest)) return links;
  for (const field of DEPENDENCY_FIELDS) {
    const deps = manifest[field];
    if (!isRecord(deps)) continue;
    for (const [name, value] of Object.entries(deps)) {
      if (typeof value !== 'string' || links.has(name)) continue;
      const link = parseDependencyLink(value, dir);
      if (link) links.set(name, link);
    }
  }
  return links;
}

function parseDependencyLink(value: string, dir: string): DependencyLink | undefined {
  const colon = value.indexOf(':');
  if (colon < 0) return undefined;
  const protocol = value.slice(0, colon);
  const rest = value.slice(colon + 1).trim();
  const asDir = (): DependencyLink | undefined => {
    if (rest === '' || rest.startsWith('/') || /\.(?:tgz|tar\.gz|tar)$/.test(rest)) return undefined;
    const target = joinPath(dir, rest.replace(/^\.\//, ''));
    return target === undefined ? undefined : { dir: target.replace(/\/$/, '') };
  };
  if (protocol === 'link' || protocol === 'file' || protocol === 'portal') return asDir();
  if (protocol !== 'workspace') return undefined;
  if (rest.startsWith('.')) return asDir();
  // workspace:<name>@<range> aliases another workspace package; workspace:* / ^ / ~ / 1.2.3 do not.
  const at = rest.lastIndexOf('@');
  if (at > 0) return { name: rest.slice(0, at) };
  return undefined;
}
