/**
 * Repo-relative posix path helpers. The root is '' (not '.'); no path starts with '/' or './'.
 * A path that climbs above the root has no repo-relative form: undefined.
 */

/** The directory of a repo-relative path: 'a/b/c.ts' -> 'a/b', 'c.ts' -> ''. */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of a path. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins `rel` (which may hold '.', '..' and empty segments) onto directory `base`, normalized. */
export function joinPath(base: string, rel: string): string | undefined {
  if (rel === '' || rel === '.') return base;
  if (!needsNormalizing(rel)) return base === '' ? rel : `${base}/${rel}`;
  const out = base === '' ? [] : base.split('/');
  for (const segment of rel.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else {
      out.push(segment);
    }
  }
  return out.join('/');
}

/** Cleans a caller-supplied path: backslashes kept (they are legal in posix names), './' and '/' prefixes dropped. */
export function normalizeRepoPath(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  if (!needsNormalizing(p)) return p;
  return joinPath('', p) ?? p;
}

/** True when `child` is `dir` or inside it. */
export function isWithin(child: string, dir: string): boolean {
  if (dir === '') return true;
  return child === dir || (child.startsWith(dir) && child.charCodeAt(dir.length) === 47 /* / */);
}

function needsNormalizing(rel: string): boolean {
  // Only a '.' or '/' at the start, a '/' at the end, or a '/' followed by '.' or '/' can need it.
  const first = rel.charCodeAt(0);
  if (first === 47 /* / */ || rel.charCodeAt(rel.length - 1) === 47) return true;
  if (first === 46 /* . */ && (rel === '..' || rel.startsWith('./') || rel.startsWith('../'))) return true;
  for (let at = rel.indexOf('/'); at >= 0; at = rel.indexOf('/', at + 1)) {
    const next = rel.charCodeAt(at + 1);
    if (next === 47) return true;
    if (next === 46) {
      const after = rel.charCodeAt(at + 2);
      if (Number.isNaN(after) || after === 47) return true; // '/.' at the end or '/./'
      if (after === 46) {
        const third = rel.charCodeAt(at + 3);
        if (Number.isNaN(third) || third === 47) return true; // '/..' at the end or '/../'
      }
    }
  }
  return false;
}
