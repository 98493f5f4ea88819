/**
 * Glob matching for the config's patterns.
 *
 * Path globs (scope.ignore, layers, protected, irreversible) are matched with picomatch against
 * repository paths as git prints them: posix, relative to the repository root. `dot: true` so
 * that `src/**` also covers `src/.env`; `windows: false` because git paths use `/` on every OS.
 * (agents.trailers and agents.authors are text globs, not paths: see classify.ts.)
 */
import picomatch from 'picomatch';

export type PathMatcher = (path: string) => boolean;

const PATH_GLOB_OPTIONS = { dot: true, windows: false } as const;

/** One matcher for a list of path globs: true when any pattern matches. An empty list matches nothing. */
export function compileGlobs(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return () => false;
  const isMatch = picomatch([...patterns], PATH_GLOB_OPTIONS);
  return (path) => isMatch(path);
}

const compiledPathGlobs = new Map<string, PathMatcher>();
const MAX_CACHED_MATCHERS = 256;

/** Whether a repository path matches any of the globs. Compiled matchers are cached per list. */
export function matchesAny(path: string, patterns: readonly string[]): boolean {
  const cacheKey = patterns.join('\0');
  let matcher = compiledPathGlobs.get(cacheKey);
  if (!matcher) {
    if (compiledPathGlobs.size >= MAX_CACHED_MATCHERS) compiledPathGlobs.clear();
    matcher = compileGlobs(patterns);
    compiledPathGlobs.set(cacheKey, matcher);
  }
  return matcher(path);
}
