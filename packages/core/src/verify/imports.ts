/**
 * Soft dependencies: does a file import one of the paths a unit changed? A text scan of import
 * lines (TypeScript/JavaScript `import`/`export … from`/`require`/`import()`, Python `import` and
 * `from … import`), resolved the way relative imports resolve. Bare package names (workspace
 * packages, tsconfig `paths`) are not followed here.
 */
import { posix } from 'node:path';
import type { ScratchStore } from './scratch.js';

const JS_FILE = /\.(?:[cm]?[jt]sx?)$/;
const PY_FILE = /\.py$/;
const JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '.json'];

export function isScannable(path: string): boolean {
  return JS_FILE.test(path) || PY_FILE.test(path);
}

/** The module specifiers a source file names. */
export function importSpecifiers(path: string, source: string): string[] {
  const found = new Set<string>();
  if (JS_FILE.test(path)) {
    const patterns = [
      /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
      /\bimport\s*['"]([^'"\n]+)['"]/g,
      /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
      /\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    ];
    for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1]!);
  } else if (PY_FILE.test(path)) {
    for (const match of source.matchAll(/^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([\w \t,*()]+)/gm)) {
      const module = match[1]!;
      found.add(module);
      if (/^\.+$/.test(module)) {
        for (const name of match[2]!.replace(/[()]/g, '').split(',')) {
          const word = name.trim().split(/\s+/)[0];
          if (word && word !== '*') found.add(`${module}${word}`);
        }
      }
    }
    for (const match of source.matchAll(/^[ \t]*import[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*)/gm)) {
      for (const part of match[1]!.split(',')) found.add(part.trim().split(/\s+/)[0]!);
    }
  }
  return [...found];
}

/** The repository paths a specifier in `fromFile` may name. */
export function candidatePaths(fromFile: string, specifier: string): string[] {
  const dir = posix.dirname(fromFile);
  if (PY_FILE.test(fromFile)) {
    const dots = /^\.*/.exec(specifier)![0].length;
    const rest = specifier.slice(dots).split('.').filter(Boolean).join('/');
    const roots = dots > 0 ? [posix.join(dir, ...Array<string>(dots - 1).fill('..'))] : ['', 'src'];
    return roots.flatMap((root) => {
      const base = posix.join(root, rest);
      return [`${base}.py`, posix.join(base, '__init__.py')].map((p) => posix.normalize(p));
    });
  }
  if (!specifier.startsWith('.')) return [];
  const base = posix.normalize(posix.join(dir, specifier));
  const candidates = [base, ...JS_EXTENSIONS.map((ext) => `${base}${ext}`), ...JS_EXTENSIONS.map((ext) => posix.join(base, `index${ext}`))];
  // TypeScript's ESM style: `./x.js` names `./x.ts`.
  const emitted = /\.(m|c)?js(x)?$/.exec(base);
  if (emitted) {
    const stem = base.slice(0, base.length - emitted[0].length);
    candidates.push(`${stem}.${emitted[1] ?? ''}ts${emitted[2] ?? ''}`, `${stem}.d.ts`);
  }
  return candidates.filter((p) => !p.startsWith('../'));
}

/** Reads many blobs (`<tree>:<path>`) through one `git cat-file --batch`; absent paths are left out. */
export async function readBlobs(store: ScratchStore, tree: string, paths: readonly string[]): Promise<Map<string, string>> {
  const wanted = paths.filter((p) => !p.includes('\n'));
  const blobs = new Map<string, string>();
  if (wanted.length === 0) return blobs;
  const out = await store.run(['cat-file', '--batch'], { input: `${wanted.map((p) => `${tree}:${p}`).join('\n')}\n` });
  const raw = out.raw;
  let offset = 0;
  for (const path of wanted) {
    const newline = raw.indexOf(0x0a, offset);
    if (newline < 0) break;
    const header = raw.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!match) continue; // `<spec> missing`
    const size = Number(match[2]);
    if (match[1] === 'blob') blobs.set(path, raw.subarray(offset, offset + size).toString('utf8'));
    offset += size + 1;
  }
  return blobs;
}

/** For each scanned file, every repository path its imports may name (computed once, matched per unit). */
export function importCandidates(files: ReadonlyMap<string, string>): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const [file, source] of files) {
    const candidates = new Set<string>();
    for (const specifier of importSpecifiers(file, source)) for (const candidate of candidatePaths(file, specifier)) candidates.add(candidate);
    candidates.delete(file);
    if (candidates.size > 0) result.set(file, candidates);
  }
  return result;
}

/** The files whose imports name one of `targets`, each with the targets it imports. */
export function importersOf(candidates: ReadonlyMap<string, ReadonlySet<string>>, targets: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [file, names] of candidates) {
    const hits = targets.filter((target) => names.has(target));
    if (hits.length > 0) result.set(file, hits);
  }
  return result;
}
