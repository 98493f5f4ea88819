/**
 * Reach: on a workspace monorepo whose packages publish `.mjs` / `.d.mts` / `.cjs` / `.d.cts`
 * build output and depend on each other through `workspace:` and `link:`, the graph (run on the
 * sources alone, as committed) finds exactly the edges TypeScript 5.9's own `resolveModuleName`
 * finds on a built and installed copy of the same repository, so every importer of every file;
 * and the imports it cannot resolve are counted and named.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blastRadius, buildImportGraph, summarizeUnresolved, type ImportGraph } from '@rollback-gate/graph';
import { reverseClosure, runOracle, workspaceMonorepo, type WorkspaceMonorepo } from './graph-fixtures.js';

let repo: WorkspaceMonorepo;
let graph: ImportGraph;
let oracle: Map<string, string[]>;
let oracleUnresolved: string[];
let installed: string;

beforeAll(() => {
  repo = workspaceMonorepo();
  graph = buildImportGraph({ files: Object.keys(repo.tree), readFile: (p) => repo.tree[p] });
  installed = realpathSync(mkdtempSync(join(tmpdir(), 'graph-reach-')));
  ({ edges: oracle, unresolved: oracleUnresolved } = runOracle(repo, installed));
});

afterAll(() => {
  rmSync(installed, { recursive: true, force: true });
});

describe('reach on a workspace monorepo publishing .mjs / .d.mts / .cjs build output', () => {
  it('finds exactly the edges TypeScript resolves on the built, installed copy', () => {
    const ours = new Map<string, string[]>();
    for (const file of oracle.keys()) ours.set(file, (graph.imports.get(file) ?? []).map((e) => e.to));
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(oracle));
    // The cases that used to miss: output extensions of another kind than the source, aliases, links.
    expect(ours.get('examples/app/src/server.cts')).toEqual(['packages/p0/src/index.ts']); // .d.mts / .cjs -> .ts
    expect(ours.get('packages/p3/src/feature/a.ts')).toEqual(['packages/p1/src/index.mts', 'packages/p0/src/util.ts']); // workspace:@m/p0@*
    expect(ours.get('packages/p2/src/index.cts')).toEqual(['packages/p0/src/index.ts', 'vendor/tool/src/index.js']); // link: outside the workspace
    expect(ours.get('packages/p4/src/index.tsx')).toEqual(['packages/p2/src/index.cts', 'packages/p3/src/feature/b.tsx']);
    expect(ours.get('examples/app/src/main.tsx')).toEqual(['packages/p1/src/index.mts', 'packages/p3/src/feature/a.ts', 'packages/p5/src/utils/index.ts']);
  });

  it('finds every importer of every file, examples included', () => {
    let importers = 0;
    for (const file of oracle.keys()) {
      const expected = reverseClosure(oracle, file);
      importers += expected.length;
      expect([file, blastRadius(graph, [file]).map((e) => e.file).sort()]).toEqual([file, expected]);
    }
    expect(importers).toBeGreaterThan(40);
    expect(blastRadius(graph, ['packages/p0/src/util.ts']).map((e) => e.file)).toEqual(
      expect.arrayContaining(['examples/app/src/main.tsx', 'examples/app/src/server.cts', 'packages/p5/src/utils/index.ts']),
    );
  });

  it('counts and names the imports it cannot resolve, and TypeScript agrees they do not resolve', () => {
    const summary = summarizeUnresolved(graph);
    expect(summary).toEqual({
      count: 2,
      files: 1,
      specifiers: 2,
      examples: [
        { file: 'examples/app/src/broken.ts', specifier: './gone.js', line: 2 },
        { file: 'examples/app/src/broken.ts', specifier: '@m/p1/nope', line: 1 },
      ],
    });
    expect(oracleUnresolved.sort()).toEqual(repo.broken.map(([f, s]) => `${f} ${s}`).sort());
    expect(summarizeUnresolved(graph, { limit: 1 }).examples).toHaveLength(1);
  });

  it('summarizes many unresolved imports: most frequent specifier first, then more examples', () => {
    const tree: Record<string, string> = { 'package.json': JSON.stringify({ name: 'r', workspaces: ['pkgs/*'] }), 'pkgs/a/package.json': '{"name": "@x/a", "exports": {".": "./dist/index.mjs"}}' };
    for (let i = 0; i < 30; i++) tree[`app/f${String(i).padStart(2, '0')}.ts`] = `import '@x/a';\nimport './missing${i % 3}';\nimport 'left-pad';\n`;
    const g = buildImportGraph({ files: Object.keys(tree), readFile: (p) => tree[p] });
    const summary = summarizeUnresolved(g, { limit: 5 });
    expect(summary.count).toBe(60);
    expect(summary.files).toBe(30);
    expect(summary.specifiers).toBe(4);
    expect(summary.examples.map((e) => `${e.file} ${e.specifier}`)).toEqual([
      'app/f00.ts @x/a',
      'app/f00.ts ./missing0',
      'app/f01.ts ./missing1',
      'app/f02.ts ./missing2',
      'app/f01.ts @x/a',
    ]);
  });
});

describe('build output mapped back to sources', () => {
  const targetsOf = (tree: Record<string, string>, file: string): string[] =>
    (buildImportGraph({ files: Object.keys(tree), readFile: (p) => tree[p] }).imports.get(file) ?? []).map((e) => e.to);

  it.each([
    ['./dist/index.d.mts', 'src/index.ts'],
    ['./dist/index.mjs', 'src/index.tsx'],
    ['./dist/index.cjs', 'src/index.mts'],
    ['./dist/index.d.cts', 'src/index.js'],
    ['./dist/esm/index.js', 'src/index.cts'],
    ['./lib/index.d.ts', 'src/index.jsx'],
    ['./main.mjs', 'main.ts'],
    ['./dist', 'src/index.ts'],
    ['./dist/entry.mjs', 'src/entry/index.ts'],
  ])('%s reaches %s', (target, source) => {
    const tree = {
      'package.json': JSON.stringify({ name: 'root', workspaces: ['pkg'] }),
      'pkg/package.json': JSON.stringify({ name: 'pkg', exports: { '.': { import: target } } }),
      [`pkg/${source}`]: '',
      'app.ts': "import 'pkg';\n",
    };
    expect(targetsOf(tree, 'app.ts')).toEqual([`pkg/${source}`]);
  });

  it('keeps TypeScript’s rules for relative imports written in source: ./x.mjs names x.mts, not x.ts', () => {
    expect(targetsOf({ 'a.ts': "import './x.mjs';\n", 'x.ts': '', 'x.mts': '' }, 'a.ts')).toEqual(['x.mts']);
  });

  it('survives a package whose main names its own folder', () => {
    const tree = { 'p/package.json': JSON.stringify({ name: 'self', main: '.' }), 'p/index.ts': '', 'app.ts': "import 'self';\nimport './p';\n" };
    expect(targetsOf(tree, 'app.ts')).toEqual(['p/index.ts']);
  });
});

describe('Python packages', () => {
  it("counts a package's __init__.py as importing what it re-exports, so importers of the package are dependents of the module", () => {
    const tree = {
      'pkg/__init__.py': 'from .models import User\n',
      'pkg/models.py': 'class User: ...\n',
      'app.py': 'from pkg import User\n',
      'cli.py': 'import pkg\n',
      'direct.py': 'import pkg.models\n',
    };
    const g = buildImportGraph({ files: Object.keys(tree), readFile: (p) => tree[p as keyof typeof tree] });
    expect(blastRadius(g, ['pkg/models.py']).map((e) => [e.file, e.depth])).toEqual([
      ['direct.py', 1],
      ['pkg/__init__.py', 1],
      ['app.py', 2],
      ['cli.py', 2],
    ]);
    // Importing pkg.models runs pkg/__init__.py too, but is not counted as importing it.
    expect(blastRadius(g, ['pkg/__init__.py']).map((e) => e.file)).toEqual(['app.py', 'cli.py']);
  });
});
