/**
 * Path globs matched over many paths at once (80,000 changed files): the same answers as
 * compileGlobs (picomatch, `dot: true`), with the regular expressions run only where they can match.
 *
 * Each pattern is compiled once. Before a path meets a pattern's regular expression, a cheap
 * necessary condition is checked on its last segment (`**\/*.lock` needs a name ending in `.lock`;
 * `src/*\/layer0/**` needs `layer0` somewhere in the path). A pattern ending in `/**` matches a
 * path exactly when the path or one of its directories matches the part before `/**` (the last
 * segment of which names no `/`), so that part is decided once per directory and remembered.
 * Patterns with classes, braces, extglobs, `?` in the wrong place, escapes or negation are left to
 * picomatch alone.
 */
import picomatch from 'picomatch';
import type { PathMatcher } from '../config/glob.js';

const OPTIONS = { dot: true, windows: false } as const;
/** Characters that make a segment more than literal text and `*`. */
const SPECIAL = /[?[\]{}()!+@\\]/;

/** A necessary condition on a name (one segment): its literal start and end around `*`. */
function nameFilter(segment: string): (name: string) => boolean {
  if (segment === '**' || segment === '*') return () => true;
  const star = segment.indexOf('*');
  if (star < 0) return (name) => name === segment;
  const head = segment.slice(0, star);
  const tail = segment.slice(segment.lastIndexOf('*') + 1);
  const min = head.length + tail.length;
  return (name) => name.length >= min && name.startsWith(head) && name.endsWith(tail);
}

const lastSegment = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const parentOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};

/**
 * A pattern in two parts: `under(dir)`, true when every path directly in `dir` matches (decided once
 * per directory), and `named(path, name)`, the rest (`name` is the path's last segment). A path
 * matches exactly when `under(its directory) || named(path, name)`.
 */
export interface MatcherParts {
  under(dir: string): boolean;
  named(path: string, name: string): boolean;
}

const never = (): boolean => false;

function patternParts(pattern: string): MatcherParts {
  const full = picomatch(pattern, OPTIONS);
  if (pattern.startsWith('!') || SPECIAL.test(pattern)) return { under: never, named: (path) => full(path) };
  const segments = pattern.split('/');
  const last = segments[segments.length - 1]!;
  if (last !== '**' || segments.length < 2) {
    const fits = nameFilter(last);
    return { under: never, named: (path, name) => fits(name) && full(path) };
  }
  // `<dir>/**`: the path, or one of its directories, matches <dir>.
  const dir = segments.slice(0, -1).join('/');
  const dirLast = segments[segments.length - 2]!;
  if (dirLast === '**' || dir === '') return { under: never, named: (path) => full(path) };
  const dirMatch = picomatch(dir, OPTIONS);
  const dirFits = nameFilter(dirLast);
  const known = new Map<string, boolean>();
  const under = (directory: string): boolean => {
    if (directory === '') return false;
    let answer = known.get(directory);
    if (answer === undefined) {
      answer = (dirFits(lastSegment(directory)) && dirMatch(directory)) || under(parentOf(directory));
      known.set(directory, answer);
    }
    return answer;
  };
  return { under, named: (path, name) => dirFits(name) && full(path) };
}

/** The parts of a list of globs (any of them matches). */
export function pathMatcherParts(patterns: readonly string[]): MatcherParts {
  const parts = patterns.map(patternParts);
  if (parts.length === 1) return parts[0]!;
  const unders = parts.filter((p) => p.under !== never);
  return {
    under: unders.length === 0 ? never : (dir) => unders.some((p) => p.under(dir)),
    named: (path, name) => parts.some((p) => p.named(path, name)),
  };
}

/** One matcher for a list of path globs (true when any matches); an empty list matches nothing. */
export function pathMatcher(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return never;
  const { under, named } = pathMatcherParts(patterns);
  return (path) => {
    const slash = path.lastIndexOf('/');
    return (slash >= 0 && under(path.slice(0, slash))) || named(path, path.slice(slash + 1));
  };
}

/**
 * Classifies many paths by named glob lists (layers): each path's names, in the lists' order. The
 * directory part is decided once per directory, so most paths cost one lookup.
 */
export function pathClassifier(lists: ReadonlyArray<readonly [name: string, patterns: readonly string[]]>): (path: string) => string[] | undefined {
  const matchers = lists.map(([name, patterns]) => ({ name, parts: patterns.length === 0 ? { under: never, named: never } : pathMatcherParts(patterns) }));
  const byDir = new Map<string, boolean[]>();
  return (path) => {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    let under = byDir.get(dir);
    if (!under) {
      under = matchers.map((m) => dir !== '' && m.parts.under(dir));
      byDir.set(dir, under);
    }
    const name = path.slice(slash + 1);
    let names: string[] | undefined;
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i]!;
      if (under[i] || m.parts.named(path, name)) (names ??= []).push(m.name);
    }
    return names;
  };
}
