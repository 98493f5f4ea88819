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

/** The table of one ASCII last character a name must end in; undefined when the segment ends in `*` or beyond ASCII. */
function lastCharOf(segment: string): Uint8Array | undefined {
  const code = segment.charCodeAt(segment.length - 1);
  if (segment === '' || code === 42 /* * */ || code >= 128) return undefined;
  const table = new Uint8Array(128);
  table[code] = 1;
  return table;
}

/** The union of the parts' tables; undefined when any part can end in anything. */
function unionOfLastChars(parts: readonly MatcherParts[]): Uint8Array | undefined {
  const table = new Uint8Array(128);
  for (const part of parts) {
    const own = part.lastChars;
    if (!own) return undefined;
    for (let c = 0; c < 128; c++) if (own[c] === 1) table[c] = 1;
  }
  return table;
}

/** True when a path ending in the character `code` may pass `named`: it is in the table (or there is no table, or it is not ASCII). */
function mayEndWith(table: Uint8Array | undefined, code: number): boolean {
  return !table || code >= 128 || table[code] === 1;
}

function mayEndIn(table: Uint8Array | undefined, path: string): boolean {
  return mayEndWith(table, path.charCodeAt(path.length - 1));
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
  /**
   * The last characters (ASCII) a path can end in for `named` to be true, or undefined when any can
   * (`**\/*.lock` needs a `k`): most paths are turned away by one table lookup.
   */
  lastChars?: Uint8Array;
}

const never = (): boolean => false;

function patternParts(pattern: string): MatcherParts {
  const full = picomatch(pattern, OPTIONS);
  if (pattern.startsWith('!') || SPECIAL.test(pattern)) return { under: never, named: (path) => full(path) };
  const segments = pattern.split('/');
  const last = segments[segments.length - 1]!;
  if (last !== '**' || segments.length < 2) {
    const fits = nameFilter(last);
    return { under: never, named: (path, at) => fits(path, at) && full(path), lastChars: lastCharOf(last) };
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
  return { under, named: (path, at) => dirFits(path, at) && full(path), lastChars: lastCharOf(dirLast) };
}

/** The parts of a list of globs (any of them matches). */
export function pathMatcherParts(patterns: readonly string[]): MatcherParts {
  const parts = patterns.map(patternParts);
  if (parts.length === 1) return parts[0]!;
  const unders = parts.filter((p) => p.under !== never);
  return {
    under: unders.length === 0 ? never : (dir) => unders.some((p) => p.under(dir)),
    named: (path, at) => parts.some((p) => mayEndIn(p.lastChars, path) && p.named(path, at)),
    lastChars: unionOfLastChars(parts),
  };
}

/** One matcher for a list of path globs (true when any matches); an empty list matches nothing. */
export function pathMatcher(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return never;
  const { under, named, lastChars } = pathMatcherParts(patterns);
  if (under === never) return (path) => mayEndIn(lastChars, path) && named(path, path.lastIndexOf('/') + 1);
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
    return mayEndIn(lastChars, path) && named(path, slash + 1);
  };
}

/**
 * Many paths, each split once: its directory (an index into `dirs`), where its name starts, and its
 * last character. Every glob list is then matched over the table without touching most paths
 * again: a directory's answer is worked out once, and a path's own name is looked at only when its
 * last character could end a match (80,000 changed files are read once, not once per rule).
 */
export class PathTable {
  /** The distinct directories, in the order they first appear ('' for the root). */
  readonly dirs: string[] = [];
  /** Per path: the index of its directory in `dirs`. */
  readonly dirOf: Int32Array;
  /** Per path: where its last segment starts. */
  readonly nameAt: Int32Array;
  /** Per path: its last character's code. */
  readonly lastChar: Uint16Array;

  constructor(readonly paths: readonly string[]) {
    const count = paths.length;
    this.dirOf = new Int32Array(count);
    this.nameAt = new Int32Array(count);
    this.lastChar = new Uint16Array(count);
    const known = new Map<string, number>();
    // Paths usually come sorted (git's order): the next one is most often in the last one's directory.
    let lastDir: string | undefined;
    let lastIndex = -1;
    for (let i = 0; i < count; i++) {
      const path = paths[i]!;
      const slash = path.lastIndexOf('/');
      let index: number;
      if (lastDir !== undefined && slash === lastDir.length && (slash < 0 || path.startsWith(lastDir))) {
        index = lastIndex;
      } else {
        const dir = slash < 0 ? '' : path.slice(0, slash);
        let found = known.get(dir);
        if (found === undefined) {
          found = this.dirs.length;
          this.dirs.push(dir);
          known.set(dir, found);
        }
        lastDir = dir;
        lastIndex = index = found;
      }
      this.dirOf[i] = index;
      this.nameAt[i] = slash + 1;
      this.lastChar[i] = path.charCodeAt(path.length - 1);
    }
  }

  /** Answers already worked out, by glob list (a layer's glob is asked again by the unmatched-glob check). */
  private readonly matches = new Map<string, Uint8Array>();

  /** Per path, 1 when any of the globs matches it (picomatch's answer, as pathMatcher gives it). Do not modify the array. */
  match(patterns: readonly string[]): Uint8Array {
    const key = patterns.join('\0');
    let matched = this.matches.get(key);
    if (!matched) {
      matched = new Uint8Array(this.paths.length);
      this.scan(patterns, matched);
      this.matches.set(key, matched);
    }
    return matched;
  }

  /** True when any of the globs matches any path (stops at the first). */
  some(patterns: readonly string[]): boolean {
    const known = this.matches.get(patterns.join('\0'));
    return known ? known.includes(1) : this.scan(patterns, undefined);
  }

  /** Marks the matching paths in `matched`; without it, stops at the first match. True when any matched. */
  private scan(patterns: readonly string[], matched: Uint8Array | undefined): boolean {
    if (patterns.length === 0) return false;
    const parts = pathMatcherParts(patterns);
    const under = this.underEach(parts);
    const lastChars = parts.lastChars;
    let any = false;
    for (let i = 0; i < this.paths.length; i++) {
      let hit = under !== undefined && under[this.dirOf[i]!] === 1;
      if (!hit) {
        if (!mayEndWith(lastChars, this.lastChar[i]!)) continue;
        hit = parts.named(this.paths[i]!, this.nameAt[i]!);
      }
      if (!hit) continue;
      if (!matched) return true;
      matched[i] = 1;
      any = true;
    }
    return any;
  }

  /** Per directory, 1 when every path directly in it matches (the root never does); undefined when no pattern decides by directory. */
  private underEach(parts: MatcherParts): Uint8Array | undefined {
    if (parts.under === never) return undefined;
    const under = new Uint8Array(this.dirs.length);
    for (let d = 0; d < this.dirs.length; d++) if (this.dirs[d] !== '' && parts.under(this.dirs[d]!)) under[d] = 1;
    return under;
  }
}
