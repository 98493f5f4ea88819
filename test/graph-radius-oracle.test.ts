/**
 * blastRadius against a plain oracle on random graphs: one breadth-first search per changed file,
 * the nearest other changed file kept. Changed sets from one file to every file (so both ways of
 * finding the imported changed files run: from the change and from the importers), deleted files
 * still imported (found through the unresolved imports), sets made by pathSetFromGit and plain arrays.
 */
import { describe, expect, it } from '@jest/globals';
import { blastRadius, buildImportGraph, pathSetFromGit, type ImportGraph } from '@rollback-gate/graph';
import { mulberry32 } from './harness/random.js';

interface Case {
  graph: ImportGraph;
  files: string[];
  deleted: string[];
}

/** A random TypeScript tree: `count` files, each importing up to three others, some importing deleted files. */
function randomTree(seed: number, count: number): Case {
  const random = mulberry32(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const files = Array.from({ length: count }, (_, i) => `src/m${i}.ts`);
  const deleted = ['src/gone0.ts', 'src/gone1.ts'];
  const text = new Map<string, string>();
  for (const file of files) {
    const lines: string[] = [];
    for (let k = pick(4); k > 0; k--) lines.push(`import './${files[pick(count)]!.slice(4, -3)}';`);
    if (random() < 0.1) lines.push(`import './${deleted[pick(deleted.length)]!.slice(4, -3)}';`);
    text.set(file, lines.join('\n'));
  }
  const graph = buildImportGraph({ files, readFile: (path) => text.get(path), absentFiles: [] });
  return { graph, files, deleted };
}

/** The oracle: per changed file, the distance to every file that imports it transitively; the nearest other changed file wins. */
function oracle(graph: ImportGraph, changed: readonly string[]): Map<string, number> {
  const absent = graph.importersOfAbsent(changed.filter((f) => !graph.files.has(f)));
  const importersOf = (f: string): readonly string[] => graph.importers.get(f) ?? absent.get(f) ?? [];
  const best = new Map<string, number>();
  for (const source of changed) {
    const distance = new Map<string, number>([[source, 0]]);
    const queue = [source];
    for (let head = 0; head < queue.length; head++) {
      const file = queue[head]!;
      for (const importer of importersOf(file)) {
        if (distance.has(importer)) continue;
        distance.set(importer, distance.get(file)! + 1);
        queue.push(importer);
      }
    }
    for (const [file, d] of distance) {
      if (file === source) continue;
      if (!best.has(file) || d < best.get(file)!) best.set(file, d);
    }
  }
  return best;
}

describe('blastRadius against a per-file oracle', () => {
  it.each([1, 2, 3, 4, 5, 6])('random tree %i: every changed-set size, both set kinds', (seed) => {
    const { graph, files, deleted } = randomTree(seed, 60);
    const random = mulberry32(seed * 31);
    let checked = 0;
    for (const size of [1, 2, 5, 10, 20, 40, 59, 60]) {
      const shuffled = [...files].sort(() => random() - 0.5);
      const changed = [...shuffled.slice(0, size), ...(size % 2 === 0 ? deleted : [])];
      const expected = [...oracle(graph, changed)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const given of [changed, pathSetFromGit(changed), changed.map((f) => `./${f}`)]) {
        const ours = blastRadius(graph, given).map((e): [string, number] => [e.file, e.depth]);
        ours.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        expect([size, ours]).toEqual([size, expected]);
        checked += ours.length;
      }
    }
    // The cases are not empty: the radius reached files.
    expect(checked).toBeGreaterThan(100);
  });

  it('finds importers of a deleted file only through unresolved imports', () => {
    const { graph, deleted } = randomTree(3, 60);
    expect(graph.unresolved.length).toBeGreaterThan(0);
    const direct = blastRadius(graph, pathSetFromGit(deleted)).filter((e) => e.depth === 1).map((e) => e.file);
    const expected = graph.unresolved.map((u) => u.from).filter((f, i, all) => all.indexOf(f) === i).sort();
    expect(direct.sort()).toEqual(expected);
  });
});
