/**
 * scope-guard's path matcher (packages/core/src/scope/path-match.ts) gives compileGlobs'
 * (picomatch's) answer for every pattern and path, on patterns its shortcuts take and ones they leave alone.
 */
import { describe, expect, it } from '@jest/globals';
import { compileGlobs } from '../packages/core/src/config/glob.js';
import { PathTable, pathMatcher } from '../packages/core/src/scope/path-match.js';

const PATTERNS = [
  'src/**', 'src/*/layer0/**', '**/layer0/**', 'src/**/layer0/**', '**/*.lock', '**/go.sum', 'go.sum', '*.lock', 'src/pkg7/**',
  'src/*.ts', 'src/**/*.ts', '**/*', '**', '*', 'src/a*b/**', 'src/*x*/**', 'a/b', 'a/b/**', '.github/**', '**/.env',
  'src/layer?/**', 'src/{a,b}/**', 'src/[ab]/**', '!src/**', 'src/**/', 'layer0/**', 'src/a/**/b/**', '**/x.lock/**', 'src/*/**',
  '**/*é', '**/café/**', '**/*k', 'src/**/0',
];
const SEGMENTS = ['src', 'a', 'b', 'ab', 'axb', 'layer0', 'layer1', '.env', 'x.lock', 'go.sum', 'pkg7', 'f.ts', '.github', 'x', 'lock', 'café', 'x.locké', 'k', '0'];

function corpus(count: number): string[] {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const paths = new Set<string>();
  for (let i = 0; i < count; i++) {
    const depth = 1 + next(6);
    paths.add(Array.from({ length: depth }, () => SEGMENTS[next(SEGMENTS.length)]).join('/'));
  }
  for (const p of ['src/f.ts', 'a/b', 'a/b/x', 'src/a/x/b/f.ts', 'src/axb/f.ts', 'src/ab/x', 'src/layer1/f.ts', 'src/a/layer0', 'go.sum', 'x.lock']) paths.add(p);
  return [...paths];
}

describe('pathMatcher', () => {
  const paths = corpus(6000);
  it.each(PATTERNS)('matches %s exactly as picomatch does', (pattern) => {
    const ours = pathMatcher([pattern]);
    const theirs = compileGlobs([pattern]);
    const differ = paths.filter((p) => ours(p) !== theirs(p));
    expect(differ).toEqual([]);
    // Twice: the per-directory memory must not change the answers.
    expect(paths.filter((p) => ours(p) !== theirs(p))).toEqual([]);
  });

  it('is tried on paths that match and paths that do not', () => {
    const matching = PATTERNS.filter((pattern) => {
      const n = paths.filter(compileGlobs([pattern])).length;
      return n > 0 && n < paths.length;
    });
    // All but those that match every path ('**', '**/*') or none ('src/**/', a trailing slash).
    expect(PATTERNS.filter((p) => !matching.includes(p))).toEqual(['**/*', '**', 'src/**/']);
  });

  it('matches a list as any of its patterns', () => {
    const list = ['**/*.lock', 'src/*/layer0/**', 'go.sum'];
    const ours = pathMatcher(list);
    const theirs = compileGlobs(list);
    expect(paths.filter((p) => ours(p) !== theirs(p))).toEqual([]);
    expect(pathMatcher([])('src/a')).toBe(false);
  });

  it('matches a table of paths (each split once) as picomatch matches each path, in any order', () => {
    const lists = [['**/*.lock'], ['src/*/layer0/**', '**/layer0/**'], ['.github/**', 'go.sum'], ['src/{a,b}/**', 'src/layer?/**'], [], ['**/*é', 'src/**/0'], ...PATTERNS.map((p) => [p])];
    // Random order, then sorted as git lists paths (the last directory reused), with root files.
    for (const [round, order] of [[1, paths], [2, [...paths].sort()], [3, ['go.sum', 'x.lock', ...paths.slice(0, 50), 'a']]] as const) {
      const table = new PathTable(order);
      for (const globs of lists) {
        const matched = table.match(globs);
        const theirs = compileGlobs(globs);
        const differ = order.filter((p, i) => (matched[i] === 1) !== theirs(p));
        expect([round, globs, differ]).toEqual([round, globs, []]);
        expect(new PathTable(order).some(globs)).toBe(order.some((p) => theirs(p)));
        expect(table.some(globs)).toBe(order.some((p) => theirs(p))); // from the remembered answer
        expect(table.match(globs)).toBe(matched);
      }
    }
    const table = new PathTable(['a/b/c.ts', 'a/b/d.ts', 'e.ts', 'a/b/f.ts']);
    expect(table.dirs).toEqual(['a/b', '']);
    expect([...table.dirOf]).toEqual([0, 0, 1, 0]);
    expect([...table.nameAt]).toEqual([4, 4, 0, 4]);
  });
});
