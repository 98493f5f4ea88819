/**
 * package.json `exports` and `imports` maps, as Node resolves them: exact subpaths, `*` patterns
 * (the longest matching prefix wins), legacy folder keys ending in '/', nested conditions.
 * Every condition is followed (types, import, require, default, custom ones…) in the map's
 * order: the graph wants whichever target maps back to a source file that exists.
 */
import { isRecord } from './workspaces.js';

/**
 * The targets `subpath` ('.' or './x' for exports, '#x' for imports) maps to, in preference
 * order; undefined when the map does not mention the subpath at all.
 */
export function mapSubpath(map: unknown, subpath: string): string[] | undefined {
  if (map === undefined || map === null) return undefined;
  if (!isSubpathMap(map)) {
    // A bare target or a conditions object stands for the package root only.
    return subpath === '.' ? collectTargets(map, undefined) : undefined;
  }
  const entries = map as Record<string, unknown>;
  if (Object.hasOwn(entries, subpath) && !subpath.includes('*')) return collectTargets(entries[subpath], undefined);

  let bestKey: string | undefined;
  let bestMatch = '';
  for (const key of Object.keys(entries)) {
    const star = key.indexOf('*');
    if (star >= 0) {
      if (key.indexOf('*', star + 1) >= 0) continue;
      const prefix = key.slice(0, star);
      const suffix = key.slice(star + 1);
      if (subpath.length < key.length || !subpath.startsWith(prefix) || !subpath.endsWith(suffix)) continue;
      if (bestKey === undefined || comparePatternKeys(key, bestKey) < 0) {
        bestKey = key;
        bestMatch = subpath.slice(prefix.length, subpath.length - suffix.length);
      }
    } else if (key.endsWith('/') && subpath.startsWith(key) && (bestKey === undefined || comparePatternKeys(key, bestKey) < 0)) {
      bestKey = key;
      bestMatch = subpath.slice(key.length);
    }
  }
  if (bestKey === undefined) return undefined;
  const value = entries[bestKey];
  if (bestKey.includes('*')) return collectTargets(value, bestMatch);
  return collectTargets(value, undefined).map((target) => target + bestMatch);
}

/** True for `{ ".": …, "./x": … }` / `{ "#x": … }` maps (keys that are paths), false for conditions. */
function isSubpathMap(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key of Object.keys(value)) if (key.startsWith('.') || key.startsWith('#')) return true;
  return false;
}

/** Node's PATTERN_KEY_COMPARE: negative when `a` is the more specific key. */
function comparePatternKeys(a: string, b: string): number {
  const aStar = a.indexOf('*');
  const bStar = b.indexOf('*');
  const aBase = aStar < 0 ? a.length : aStar + 1;
  const bBase = bStar < 0 ? b.length : bStar + 1;
  if (aBase !== bBase) return bBase - aBase;
  if (aStar < 0) return 1;
  if (bStar < 0) return -1;
  return b.length - a.length;
}

function collectTargets(value: unknown, match: string | undefined, out: string[] = [], depth = 0): string[] {
  if (depth > 16) return out;
  if (typeof value === 'string') {
    out.push(match === undefined ? value : value.split('*').join(match));
  } else if (Array.isArray(value)) {
    for (const item of value) collectTargets(item, match, out, depth + 1);
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) collectTargets(value[key], match, out, depth + 1);
  }
  return out;
}
