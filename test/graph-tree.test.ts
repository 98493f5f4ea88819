/**
 * importGraphOfTree / blastRadiusOfTree read a committed tree through git (one ls-tree, one
 * streamed cat-file --batch) and must give exactly what buildImportGraph gives on the same files
 * read from disk: the same edges, problems, unresolved imports and blast radius.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { blastRadius, blastRadiusOfTree, buildImportGraph, createDiskReader, importGraphOfTree, type ImportGraph } from '@rollback-gate/graph';
import { workspaceMonorepo } from './graph-fixtures.js';
import { TreeListingParser } from '../packages/graph/src/git-tree.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

let root: string;
let files: string[];
let disk: ImportGraph;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, env: GIT_ENV, encoding: 'utf8' });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'graph-tree-'));
  const tree: Record<string, string> = {
    ...workspaceMonorepo().tree,
    // tsconfig extends a plain .json file (read on demand, not streamed) for its paths.
    'tsconfig.json': JSON.stringify({ extends: './config/base.json' }),
    'config/base.json': JSON.stringify({ compilerOptions: { baseUrl: '..', paths: { '~lib/*': ['lib/*'] } } }),
    'lib/math.ts': 'export const add = 1;\n',
    'lib/copy.ts': 'export const add = 1;\n', // the same blob as lib/math.ts
    'lib/use.ts': "import { add } from '~lib/math';\nimport './copy';\nimport './gone';\n",
    'odd dir/it\'s "quoted".ts': "import '../lib/math.js';\n",
    'lib/unterminated.ts': "import './math';\nconst t = `never closed\n",
    'lib/big.js': `import './math.js';\n// ${'x'.repeat(5000)}\n`,
    'lib/binary.ts': "import './math';\n\0\0\0",
    'py/pkg/__init__.py': 'from .models import User\n',
    'py/pkg/models.py': 'import os\n',
    'py/app.py': 'from pkg import User\nimport pkg.missing\n',
    'README.md': "import x from './not-code'\n",
  };
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync('math.ts', join(root, 'lib/link.ts'));
  git('init', '-q', '--initial-branch=main');
  git('add', '-A');
  git('commit', '-q', '-m', 'tree');
  files = git('ls-tree', '-r', '-z', '--name-only', 'HEAD').split('\0').filter(Boolean);
  disk = buildImportGraph({ files, readFile: createDiskReader(root, { maxBytes: 4096 }) });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const edges = (g: ImportGraph): Record<string, string[]> => Object.fromEntries([...g.imports].map(([f, list]) => [f, list.map((e) => `${e.to} ${e.kind} ${e.line}`)]));

describe('the tree listing, parsed as git streams it', () => {
  it('gives the same paths, ids and links in chunks of any size, names split anywhere (inside a UTF-8 character too)', () => {
    const real = execFileSync('git', ['ls-tree', '-r', '-z', '--full-tree', 'HEAD'], { cwd: root, env: GIT_ENV });
    const extra = Buffer.from('100644 blob 0123456789012345678901234567890123456789\tcafé/ü tab\t.ts\u0000160000 commit 0123456789012345678901234567890123456789\tmod/sub\u0000', 'utf8');
    const stream = Buffer.concat([real, extra]);
    const whole = new TreeListingParser();
    whole.push(stream);
    const expected = whole.end();
    expect(expected.paths).toEqual([...files, 'café/ü tab\t.ts']); // the submodule left out
    expect(expected.links.filter(Boolean)).toHaveLength(1); // lib/link.ts
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const parser = new TreeListingParser();
      for (let at = 0; at < stream.length; at += size) parser.push(stream.subarray(at, at + size));
      expect([size, parser.end()]).toEqual([size, expected]);
    }
  });
});

describe('importGraphOfTree', () => {
  it('gives the graph buildImportGraph gives from disk: edges, problems, unresolved imports', async () => {
    const { files: treeFiles, graph } = await importGraphOfTree({ cwd: root, tree: 'HEAD', maxBytes: 4096 });
    expect(treeFiles).toEqual(files);
    expect(edges(graph)).toEqual(edges(disk));
    // In the same order too (the tree's empty entries are placed before its edges are resolved),
    // with the files it could not read (too big, binary) left out as the disk build leaves them.
    expect([...graph.imports.keys()]).toEqual([...disk.imports.keys()]);
    expect(graph.imports.has('lib/big.js')).toBe(disk.imports.has('lib/big.js'));
    expect(graph.imports.size).toBeGreaterThan(20);
    // Problems: the same kinds for the same files (the disk reader's and git's wording of a refused file differ).
    const kinds = (g: ImportGraph): string[] => g.problems.map((p) => `${p.kind} ${p.file} ${p.specifier ?? ''}`).sort();
    expect(kinds(graph)).toEqual(kinds(disk));
    expect(kinds(graph)).toEqual(
      expect.arrayContaining(['scan-error lib/binary.ts ', 'scan-error lib/unterminated.ts ', 'unreadable-file lib/big.js ', 'unresolved-import lib/use.ts ./gone']),
    );
    expect(graph.unresolved.map((u) => `${u.from} ${u.ref.specifier}`).sort()).toEqual(disk.unresolved.map((u) => `${u.from} ${u.ref.specifier}`).sort());
    expect(graph.imports.get('lib/use.ts')!.map((e) => e.to)).toEqual(['lib/math.ts', 'lib/copy.ts']);
    expect(graph.imports.get('lib/copy.ts')).toEqual([]);
    expect(graph.imports.has('lib/link.ts')).toBe(true); // a symlink within the tree is followed, as the disk reader does
  });

  it('scans only the files asked for with scanOnly (manifests still steer resolution)', async () => {
    const { graph } = await importGraphOfTree({ cwd: root, tree: 'HEAD', scanOnly: ['lib/use.ts', 'packages/p3/src/feature/a.ts'] });
    expect([...graph.imports.keys()].sort()).toEqual(['lib/use.ts', 'packages/p3/src/feature/a.ts']);
    expect(graph.imports.get('packages/p3/src/feature/a.ts')!.map((e) => e.to)).toEqual(['packages/p1/src/index.mts', 'packages/p0/src/util.ts']);
  });

  it('reads another commit than the work tree, and says what is wrong with a tree it cannot read', async () => {
    writeFileSync(join(root, 'lib/math.ts'), "import './use';\n");
    git('commit', '-q', '-am', 'a cycle');
    const before = await importGraphOfTree({ cwd: root, tree: 'HEAD~1' });
    const after = await importGraphOfTree({ cwd: root, tree: 'HEAD' });
    expect(before.graph.imports.get('lib/math.ts')).toEqual([]);
    expect(after.graph.imports.get('lib/math.ts')!.map((e) => e.to)).toEqual(['lib/use.ts']);
    await expect(importGraphOfTree({ cwd: root, tree: 'no-such-ref' })).rejects.toThrow(/git ls-tree .*no-such-ref/);
    await expect(importGraphOfTree({ cwd: root, tree: '--output=x' })).rejects.toThrow(/not a tree/);
    await expect(importGraphOfTree({ cwd: join(root, 'missing-dir'), tree: 'HEAD' })).rejects.toThrow();
    git('reset', '-q', '--hard', 'HEAD~1');
  });
});

describe('blastRadiusOfTree', () => {
  it('gives blastRadius of the disk graph for every file, and counts the unresolved imports', async () => {
    for (const file of ['packages/p0/src/util.ts', 'vendor/tool/src/helper.js', 'lib/math.ts', 'py/pkg/models.py', 'lib/deleted.ts', 'lib/gone.ts']) {
      const result = await blastRadiusOfTree({ cwd: root, tree: 'HEAD', changed: [file], maxBytes: 4096 });
      expect([file, result.radius]).toEqual([file, blastRadius(disk, [file])]);
    }
    const result = await blastRadiusOfTree({ cwd: root, tree: 'HEAD', changed: ['packages/p0/src/util.ts'], maxDepth: 1, unresolvedExamples: 2 });
    expect(result.radius.every((e) => e.depth === 1)).toBe(true);
    expect(result.radius.length).toBeGreaterThan(1);
    expect(result.unresolved.count).toBe(disk.unresolved.length);
    expect(result.unresolved.count).toBeGreaterThanOrEqual(4);
    expect(result.unresolved.examples).toHaveLength(2);
    expect(blastRadius(disk, ['py/pkg/models.py']).map((e) => e.file)).toEqual(['py/pkg/__init__.py', 'py/app.py']);
  });
});
