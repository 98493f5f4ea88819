/**
 * Module resolution for Python within the repository: absolute imports against the source roots
 * (the repository root, `src/`, project roots holding pyproject.toml / setup.py / setup.cfg and
 * their `src/`, the parent of the importing file's top package, the importing file's directory),
 * relative imports against the importing file's package, packages through `__init__.py`, and
 * `from pkg import name` where the name may be a submodule. Modules not found whose top-level
 * package is not in the repository are external (standard library, installed packages).
 */
import { dirname, joinPath } from './paths.js';
import type { ImportRef, ResolveContext } from './types.js';

const PROJECT_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg'];
const MODULE_SUFFIXES = ['.py', '.pyi', '/__init__.py', '/__init__.pyi'];

const EXTERNAL = 0;
const MISSING = 1;
type Resolution = string | typeof EXTERNAL | typeof MISSING;

export class PythonResolver {
  private readonly projectRoots: string[];
  private readonly rootsByDir = new Map<string, string[]>();
  private readonly cache = new Map<string, Resolution>();

  constructor(private readonly ctx: ResolveContext) {
    const roots = new Set<string>();
    for (const path of ctx.files) {
      const slash = path.lastIndexOf('/');
      const name = path.slice(slash + 1);
      if (PROJECT_MARKERS.includes(name) && !path.includes('node_modules/')) roots.add(slash < 0 ? '' : path.slice(0, slash));
    }
    // Deepest first, so the nearest project wins.
    this.projectRoots = [...roots].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
  }

  resolve(ref: ImportRef, fromPath: string): string | undefined {
    const r = this.resolution(ref, fromPath);
    return typeof r === 'string' ? r : undefined;
  }

  isExternal(ref: ImportRef, fromPath: string): boolean {
    return this.resolution(ref, fromPath) === EXTERNAL;
  }

  private resolution(ref: ImportRef, fromPath: string): Resolution {
    const dir = dirname(fromPath);
    const key = `${dir}\0${ref.specifier}\0${ref.name ?? ''}`;
    let r = this.cache.get(key);
    if (r === undefined) {
      r = ref.specifier.startsWith('.') ? this.resolveRelative(ref, dir) : this.resolveAbsolute(ref, dir);
      this.cache.set(key, r);
    }
    return r;
  }

  private resolveRelative(ref: ImportRef, dir: string): Resolution {
    const spec = ref.specifier;
    let level = 0;
    while (spec.charCodeAt(level) === 46 /* . */) level++;
    let pkg: string | undefined = dir;
    for (let i = 1; i < level && pkg !== undefined; i++) pkg = pkg === '' ? undefined : dirname(pkg);
    if (pkg === undefined) return MISSING;
    const rest = spec.slice(level);
    const modulePath = rest === '' ? pkg : joinPath(pkg, rest.split('.').join('/'));
    if (modulePath === undefined) return MISSING;
    if (ref.name !== undefined) {
      const sub = this.moduleFile(modulePath === '' ? ref.name : `${modulePath}/${ref.name}`);
      if (sub) return sub;
    }
    return this.moduleFile(modulePath) ?? MISSING;
  }

  private resolveAbsolute(ref: ImportRef, dir: string): Resolution {
    const modulePath = ref.specifier.split('.').join('/');
    const top = modulePath.split('/')[0] ?? modulePath;
    let topFound = false;
    for (const root of this.rootsFor(dir)) {
      const base = root === '' ? modulePath : `${root}/${modulePath}`;
      if (ref.name !== undefined) {
        const sub = this.moduleFile(`${base}/${ref.name}`);
        if (sub) return sub;
      }
      const found = this.moduleFile(base);
      if (found) return found;
      if (!topFound) {
        const topPath = root === '' ? top : `${root}/${top}`;
        topFound = this.ctx.directoryExists(topPath) || this.moduleFile(topPath) !== undefined;
      }
    }
    return topFound ? MISSING : EXTERNAL;
  }

  private moduleFile(base: string): string | undefined {
    if (base === '') return undefined;
    for (const suffix of MODULE_SUFFIXES) if (this.ctx.fileExists(base + suffix)) return base + suffix;
    return undefined;
  }

  /** Source roots to try for a file in `dir`, most specific first. */
  private rootsFor(dir: string): string[] {
    let roots = this.rootsByDir.get(dir);
    if (roots) return roots;
    const list: string[] = [];
    const add = (root: string): void => {
      if (!list.includes(root) && (root === '' || this.ctx.directoryExists(root))) list.push(root);
    };
    for (const project of this.projectRoots) {
      if (project !== '' && dir !== project && !dir.startsWith(`${project}/`)) continue;
      add(project === '' ? 'src' : `${project}/src`);
      add(project);
    }
    add('src');
    add('');
    add(this.topPackageParent(dir));
    add(dir);
    roots = list;
    this.rootsByDir.set(dir, roots);
    return roots;
  }

  /** The directory above the outermost package (a directory with __init__.py) that holds `dir`. */
  private topPackageParent(dir: string): string {
    let current = dir;
    while (current !== '' && this.ctx.fileExists(`${current}/__init__.py`)) current = dirname(current);
    return current;
  }
}
