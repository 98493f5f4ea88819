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

/**
 * A necessary condition on the last segment of a path (the name starts at `at`): its literal start
 * and end around `*`. Checked in place, without slicing the name out.
 */
function nameFilter(segment: string): (path: string, at: number) => boolean {
  if (segment === '**' || segment === '*') return () => true;
  const star = segment.indexOf('*');
  if (star < 0) return (path, at) => path.length - at === segment.length && path.endsWith(segment);
  const head = segment.slice(0, star);
  const tail = segment.slice(segment.lastIndexOf('*') + 1);
  const min = head.length + tail.length;
  return (path, at) => path.length - at >= min && path.startsWith(head, at) && path.endsWith(tail);
}

const parentOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};

/**
 * A pattern in two parts: `under(dir)`, true when every path directly in `dir` matches (decided once
 * per directory), and `named(path, at)`, the rest (the path's last segment starts at `at`). A path
 * matches exactly when `under(its directory) || named(path, at)`.
 */
export interface MatcherParts {
  under(dir: string): boolean;
  named(path: string, at: number): boolean;
}

const never = (): boolean => false;

function patternParts(pattern: string): MatcherParts {
  const full = picomatch(pattern, OPTIONS);
  if (pattern.startsWith('!') || SPECIAL.test(pattern)) return { under: never, named: (path) => full(path) };
  const segments = pattern.split('/');
  const last = segments[segments.length - 1]!;
  if (last !== '**' || segments.length < 2) {
    const fits = nameFilter(last);
    return { under: never, named: (path, at) => fits(path, at) && full(path) };
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
      answer = (dirFits(directory, directory.lastIndexOf('/') + 1) && dirMatch(directory)) || under(parentOf(directory));
      known.set(directory, answer);
    }
    return answer;
  };
  return { under, named: (path, at) => dirFits(path, at) && full(path) };
}

/** The parts of a list of globs (any of them matches). */
export function pathMatcherParts(patterns: readonly string[]): MatcherParts {
  const parts = patterns.map(patternParts);
  if (parts.length === 1) return parts[0]!;
  const unders = parts.filter((p) => p.under !== never);
  return {
    under: unders.length === 0 ? never : (dir) => unders.some((p) => p.under(dir)),
    named: (path, at) => parts.some((p) => p.named(path, at)),
  };
}

/** One matcher for a list of path globs (true when any matches); an empty list matches nothing. */
export function pathMatcher(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return never;
  const { under, named } = pathMatcherParts(patterns);
  if (under === never) return (path) => named(path, path.lastIndexOf('/') + 1);
  // Paths come sorted (git's order): the last directory's answer usually holds for the next path.
  let lastDir: string | undefined;
  let lastUnder = false;
  return (path) => {
    const slash = path.lastIndexOf('/');
    if (slash >= 0) {
      if (lastDir === undefined || slash !== lastDir.length || !path.startsWith(lastDir)) {
        lastDir = path.slice(0, slash);
        lastUnder = under(lastDir);
      }
      if (lastUnder) return true;
    }
    return named(path, slash + 1);
  };
}

/**
 * Classifies many paths by named glob lists (layers): each path's names, in the lists' order. The
 * directory part is decided once per directory, so most paths cost one lookup.
 */
export function pathClassifier(lists: ReadonlyArray<readonly [name: string, patterns: readonly string[]]>): (path: string) => string[] | undefined {
  const matchers = lists.map(([name, patterns]) => ({ name, parts: patterns.length === 0 ? { under: never, named: never } : pathMatcherParts(patterns) }));
  const byDir = new Map<string, boolean[]>();
  // Paths come sorted (git's order), so the next path is usually in the same directory as the last.
  let lastDir: string | undefined;
  let lastUnder: boolean[] = [];
  return (path) => {
    const slash = path.lastIndexOf('/');
    let under: boolean[];
    if (lastDir !== undefined && slash === lastDir.length && (slash < 0 || path.startsWith(lastDir))) {
      under = lastUnder;
    } else {
      const dir = slash < 0 ? '' : path.slice(0, slash);
      let known = byDir.get(dir);
      if (!known) {
        known = matchers.map((m) => dir !== '' && m.parts.under(dir));
        byDir.set(dir, known);
      }
      lastDir = slash < 0 ? '' : dir;
      lastUnder = under = known;
    }
    let names: string[] | undefined;
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i]!;
      if (under[i] || m.parts.named(path, slash + 1)) (names ??= []).push(m.name);
    }
    return names;
  };
}
