/**
 * A fixture repository with a known import graph, written to a temp dir and read from disk:
 * the graph's edges must be exactly the known ones, and the blast radius of any change must be
 * the true reverse dependents (checked against a brute-force search) with valid shortest chains.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { blastRadius, buildImportGraph, createDiskReader, type BlastRadiusEntry, type ImportGraph } from '@rollback-gate/graph';

const FIXTURE: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'acme-root', private: true, workspaces: ['packages/*', 'apps/*'] }),
  'tsconfig.json': `{
    // comments and trailing commas, as tsconfig allows
    "compilerOptions": {
      "baseUrl": ".",
      "paths": {
        "@app/*": ["apps/web/src/*"],
        "~shared": ["shared/index.ts"], /* exact pattern */
      },
    },
  }`,

  // A workspace package resolved through `exports` (conditions, subpaths, a `*` pattern) to its sources.
  'packages/core/package.json': JSON.stringify({
    name: '@acme/core',
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './utils': { types: './dist/utils.d.ts', default: './dist/utils.js' },
      './features/*': './dist/features/*.js',
      './package.json': './package.json',
    },
  }),
  'packages/core/src/index.ts': "export * from './utils.js';\n",
  'packages/core/src/utils.ts': 'export const u = 1;\n',
  'packages/core/src/features/flags.ts': "import { u } from '../utils';\nexport type Flag = typeof u;\n",

  // A workspace package without `exports`: `main` points at build output (lib/ -> src/); its tsconfig extends the root's.
  'packages/ui/package.json': JSON.stringify({ name: '@acme/ui', main: 'lib/index.js' }),
  'packages/ui/tsconfig.json': '{ "extends": "../../tsconfig.json", "compilerOptions": { "outDir": "lib" } }',
  'packages/ui/src/index.ts': "import { u } from '@acme/core/utils';\nexport { Button } from './button';\n",
  'packages/ui/src/button.tsx':
    "import type { Flag } from '@acme/core/features/flags';\nimport core from '@acme/core';\nexport const Button = () => <button>{core}</button>;\n",

  'apps/web/package.json': JSON.stringify({ name: 'web' }),
  'apps/web/src/main.ts': [
    "import { Button } from '@acme/ui';",
    "import { helper } from '@app/lib/helper';",
    "import shared from '~shared';",
    "import React from 'react';",
    "import fs from 'node:fs';",
    "import lodash from 'lodash/fp';",
    "const lazy = () => import('./lazy');",
  ].join('\n'),
  'apps/web/src/lib/helper.ts': "import { cycleA } from '../cycle/a.js';\nimport '../odd name';\nexport const helper = cycleA;\n",
  'apps/web/src/cycle/a.ts': "import { b } from './b';\nexport const cycleA = 1;\n",
  'apps/web/src/cycle/b.ts': "import { cycleA } from './a';\nexport const b = cycleA;\n",
  'apps/web/src/lazy.ts': "const cfg = require('../config.cjs');\nimport x from './missing-file';\nexport default cfg;\n",
  'apps/web/src/odd name.ts': "import type { G } from '../../../types/global';\nexport {};\n",
  'apps/web/config.cjs': "module.exports = require('./settings.json');\n",
  'apps/web/settings.json': '{}',

  // Fake imports in comments and strings must not count (their targets do not exist: they would be problems).
  'shared/index.ts': "export * from './dir';\n",
  'shared/dir/index.ts': [
    "/* import fake from '../fake-block'; */",
    "// import fake from '../fake-line'",
    "const s = \"import x from '../fake-string'\";",
    "const t = `require('../fake-template')`;",
    'export const d = 1;',
  ].join('\n'),
  'legacy/old.js': "const h = require('../apps/web/src/lib/helper');\nmodule.exports = h;\n",
  'scripts/tool.mjs': "import '../shared/dir/index.js';\n",
  'types/global.d.ts': 'export interface G {}\n',
  'garbage.ts': "}}} import { from ' ` ${ ((( /* \n\0\u0001 export * from\n",
  'README.md': "import x from './not-code'",

  // Python: a src layout, absolute, relative and package imports, a submodule named by `from pkg import mod`.
  'src/mypkg/__init__.py': 'from .core import run\n',
  'src/mypkg/core.py': 'import os\nfrom mypkg.util import helper\nimport mypkg.models.user\n\ndef run():\n    return helper()\n',
  'src/mypkg/util.py': 'import json\n\ndef helper():\n    """import fake_docstring"""\n    return 1\n',
  'src/mypkg/models/__init__.py': '',
  'src/mypkg/models/user.py': 'from ..util import helper\n',
  'src/mypkg/cli.py': 'from . import core\nimport mypkg.nothere\n',
  'tests/test_core.py': 'from mypkg.core import run\n',
  'tests/test_models.py': 'from mypkg.models import user\n# import mypkg.cli\n',
};

/** The true graph: file -> the files it imports. */
const EXPECTED_IMPORTS: Record<string, string[]> = {
  'packages/core/src/index.ts': ['packages/core/src/utils.ts'],
  'packages/core/src/utils.ts': [],
  'packages/core/src/features/flags.ts': ['packages/core/src/utils.ts'],
  'packages/ui/src/index.ts': ['packages/core/src/utils.ts', 'packages/ui/src/button.tsx'],
  'packages/ui/src/button.tsx': ['packages/core/src/features/flags.ts', 'packages/core/src/index.ts'],
  'apps/web/src/main.ts': ['packages/ui/src/index.ts', 'apps/web/src/lib/helper.ts', 'shared/index.ts', 'apps/web/src/lazy.ts'],
  'apps/web/src/lib/helper.ts': ['apps/web/src/cycle/a.ts', 'apps/web/src/odd name.ts'],
  'apps/web/src/cycle/a.ts': ['apps/web/src/cycle/b.ts'],
  'apps/web/src/cycle/b.ts': ['apps/web/src/cycle/a.ts'],
  'apps/web/src/lazy.ts': ['apps/web/config.cjs'],
  'apps/web/src/odd name.ts': ['types/global.d.ts'],
  'apps/web/config.cjs': ['apps/web/settings.json'],
  'shared/index.ts': ['shared/dir/index.ts'],
  'shared/dir/index.ts': [],
  'legacy/old.js': ['apps/web/src/lib/helper.ts'],
  'scripts/tool.mjs': ['shared/dir/index.ts'],
  'types/global.d.ts': [],
  'garbage.ts': [],
  'src/mypkg/__init__.py': ['src/mypkg/core.py'],
  'src/mypkg/core.py': ['src/mypkg/util.py', 'src/mypkg/models/user.py'],
  'src/mypkg/util.py': [],
  'src/mypkg/models/__init__.py': [],
  'src/mypkg/models/user.py': ['src/mypkg/util.py'],
  'src/mypkg/cli.py': ['src/mypkg/core.py'],
  'tests/test_core.py': ['src/mypkg/core.py'],
  'tests/test_models.py': ['src/mypkg/models/user.py'],
};

let root: string;
let files: string[];
let graph: ImportGraph;

function writeTree(base: string, tree: Record<string, string>): void {
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), content);
  }
}

/** Every file and symlink under `base`, as git would list them (symlinks not followed). */
function listFiles(base: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(base, full).split(sep).join('/'));
    }
  };
  walk(base);
  return out.sort();
}

/** The reference answer: for each dependent, the shortest distance from a changed file other than itself. */
function bruteForceRadius(imports: Record<string, string[]>, changed: string[], maxDepth = Infinity): Map<string, number> {
  const importers = new Map<string, string[]>();
  for (const [from, targets] of Object.entries(imports)) for (const t of targets) importers.set(t, [...(importers.get(t) ?? []), from]);
  const best = new Map<string, number>();
  for (const source of changed) {
    const dist = new Map<string, number>([[source, 0]]);
    const queue = [source];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const importer of importers.get(file) ?? []) {
        if (dist.has(importer)) continue;
        dist.set(importer, dist.get(file)! + 1);
        queue.push(importer);
      }
    }
    for (const [file, d] of dist) if (file !== source && d <= maxDepth && d < (best.get(file) ?? Infinity)) best.set(file, d);
  }
  return best;
}

function expectValidChains(entries: BlastRadiusEntry[], imports: Record<string, string[]>, changed: string[]): void {
  for (const entry of entries) {
    expect(entry.chain).toHaveLength(entry.depth + 1);
    expect(entry.chain[entry.chain.length - 1]).toBe(entry.file);
    expect(changed).toContain(entry.chain[0]);
    expect(entry.chain[0]).not.toBe(entry.file);
    for (let i = 1; i < entry.chain.length; i++) expect(imports[entry.chain[i]!]).toContain(entry.chain[i - 1]);
    expect(entry.changed).toBe(changed.includes(entry.file));
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'graph-fixture-'));
  writeTree(root, FIXTURE);
  files = listFiles(root);
  graph = buildImportGraph({ files, readFile: createDiskReader(root) });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('buildImportGraph on the fixture repository', () => {
  it('finds exactly the known edges', () => {
    const actual: Record<string, string[]> = {};
    for (const [file, edges] of graph.imports) actual[file] = edges.map((e) => e.to);
    expect(actual).toEqual(EXPECTED_IMPORTS);
  });

  it('keeps reverse edges that mirror the forward ones', () => {
    for (const [file, edges] of graph.imports) for (const edge of edges) expect(graph.importers.get(edge.to)).toContain(file);
    expect(graph.importers.get('apps/web/src/lib/helper.ts')).toEqual(['apps/web/src/main.ts', 'legacy/old.js']);
  });

  it('records how each import was written', () => {
    const button = graph.imports.get('packages/ui/src/button.tsx')!;
    expect(button[0]).toMatchObject({ to: 'packages/core/src/features/flags.ts', specifier: '@acme/core/features/flags', kind: 'import', typeOnly: true, line: 1 });
    const main = graph.imports.get('apps/web/src/main.ts')!;
    expect(main.find((e) => e.to === 'apps/web/src/lazy.ts')).toMatchObject({ kind: 'dynamic', line: 7 });
  });

  it('reports missing files and scan problems, and ignores third-party imports and fake ones', () => {
    const unresolved = graph.problems.filter((p) => p.kind === 'unresolved-import').map((p) => [p.file, p.specifier]);
    expect(unresolved).toEqual([
      ['apps/web/src/lazy.ts', './missing-file'],
      ['src/mypkg/cli.py', 'mypkg.nothere'],
    ]);
    const messages = graph.problems.map((p) => p.message).join('\n');
    expect(messages).not.toMatch(/fake|react|lodash|node:fs|'os'|json/);
    expect(graph.problems.some((p) => p.file === 'garbage.ts')).toBe(true);
  });
});

describe('blastRadius on the fixture repository', () => {
  it('equals the true reverse dependents of every single file, with shortest chains', () => {
    for (const changed of Object.keys(EXPECTED_IMPORTS)) {
      const entries = blastRadius(graph, [changed]);
      const expected = bruteForceRadius(EXPECTED_IMPORTS, [changed]);
      expect(new Map(entries.map((e) => [e.file, e.depth]))).toEqual(expected);
      expectValidChains(entries, EXPECTED_IMPORTS, [changed]);
    }
  });

  it('gives the chains that explain each dependent of a core utility', () => {
    const entries = blastRadius(graph, ['packages/core/src/utils.ts']);
    expect(entries).toEqual([
      { file: 'packages/core/src/features/flags.ts', depth: 1, changed: false, chain: ['packages/core/src/utils.ts', 'packages/core/src/features/flags.ts'] },
      { file: 'packages/core/src/index.ts', depth: 1, changed: false, chain: ['packages/core/src/utils.ts', 'packages/core/src/index.ts'] },
      { file: 'packages/ui/src/index.ts', depth: 1, changed: false, chain: ['packages/core/src/utils.ts', 'packages/ui/src/index.ts'] },
      {
        file: 'apps/web/src/main.ts',
        depth: 2,
        changed: false,
        chain: ['packages/core/src/utils.ts', 'packages/ui/src/index.ts', 'apps/web/src/main.ts'],
      },
      {
        file: 'packages/ui/src/button.tsx',
        depth: 2,
        changed: false,
        chain: ['packages/core/src/utils.ts', 'packages/core/src/features/flags.ts', 'packages/ui/src/button.tsx'],
      },
    ]);
  });

  it('honours maxDepth', () => {
    const entries = blastRadius(graph, ['packages/core/src/utils.ts'], { maxDepth: 1 });
    expect(entries.map((e) => e.file)).toEqual(['packages/core/src/features/flags.ts', 'packages/core/src/index.ts', 'packages/ui/src/index.ts']);
    expect(blastRadius(graph, ['packages/core/src/utils.ts'], { maxDepth: 0 })).toEqual([]);
    for (const maxDepth of [1, 2, 3]) {
      const changed = ['src/mypkg/util.py', 'apps/web/src/odd name.ts'];
      const got = blastRadius(graph, changed, { maxDepth });
      expect(new Map(got.map((e) => [e.file, e.depth]))).toEqual(bruteForceRadius(EXPECTED_IMPORTS, changed, maxDepth));
    }
  });

  it('marks dependents the change also modified as in the radius, through cycles', () => {
    const changed = ['apps/web/src/cycle/a.ts', 'apps/web/src/lib/helper.ts'];
    const entries = blastRadius(graph, changed);
    expect(entries).toEqual([
      { file: 'apps/web/src/cycle/b.ts', depth: 1, changed: false, chain: ['apps/web/src/cycle/a.ts', 'apps/web/src/cycle/b.ts'] },
      { file: 'apps/web/src/lib/helper.ts', depth: 1, changed: true, chain: ['apps/web/src/cycle/a.ts', 'apps/web/src/lib/helper.ts'] },
      { file: 'apps/web/src/main.ts', depth: 1, changed: false, chain: ['apps/web/src/lib/helper.ts', 'apps/web/src/main.ts'] },
      { file: 'legacy/old.js', depth: 1, changed: false, chain: ['apps/web/src/lib/helper.ts', 'legacy/old.js'] },
    ]);
  });

  it('matches the brute force for many changed sets at once', () => {
    const all = Object.keys(EXPECTED_IMPORTS);
    for (let seed = 1; seed <= 40; seed++) {
      const changed = all.filter((_, i) => (i * 7 + seed * 13) % 5 === 0 || (i + seed) % 11 === 0);
      const entries = blastRadius(graph, changed);
      expect(new Map(entries.map((e) => [e.file, e.depth]))).toEqual(bruteForceRadius(EXPECTED_IMPORTS, changed));
      expectValidChains(entries, EXPECTED_IMPORTS, changed);
    }
  });

  it('finds the importers of a deleted file (at risk, not an error)', () => {
    const entries = blastRadius(graph, ['apps/web/src/missing-file.ts']);
    expect(entries).toEqual([
      { file: 'apps/web/src/lazy.ts', depth: 1, changed: false, chain: ['apps/web/src/missing-file.ts', 'apps/web/src/lazy.ts'] },
      { file: 'apps/web/src/main.ts', depth: 2, changed: false, chain: ['apps/web/src/missing-file.ts', 'apps/web/src/lazy.ts', 'apps/web/src/main.ts'] },
    ]);
    // A deleted Python module, named only by an absolute import.
    expect(blastRadius(graph, ['src/mypkg/nothere.py']).map((e) => e.file)).toEqual(['src/mypkg/cli.py']);
    // Unknown paths nobody imports, and non-source files, have no dependents.
    expect(blastRadius(graph, ['nowhere/gone.ts', 'README.md'])).toEqual([]);
  });

  it('accepts the pre-change file list as absent files', () => {
    const withAbsent = buildImportGraph({ files, readFile: createDiskReader(root), absentFiles: ['apps/web/src/missing-file.ts'] });
    expect(withAbsent.problems.filter((p) => p.kind === 'unresolved-import').map((p) => p.specifier)).toEqual(['mypkg.nothere']);
    expect(withAbsent.imports.get('apps/web/src/lazy.ts')!.map((e) => e.to)).toEqual(['apps/web/config.cjs', 'apps/web/src/missing-file.ts']);
    expect(blastRadius(withAbsent, ['apps/web/src/missing-file.ts']).map((e) => e.file)).toEqual(['apps/web/src/lazy.ts', 'apps/web/src/main.ts']);
  });
});

describe('hostile file names and symlinks', () => {
  let weird: string;
  afterAll(() => rmSync(weird, { recursive: true, force: true }));

  it('does not crash on spaces, quotes, newlines, non-UTF-8 bytes, or symlinks of any kind', () => {
    weird = mkdtempSync(join(tmpdir(), 'graph-weird-'));
    writeTree(weird, {
      'a b/it\'s "quoted".ts': "import { x } from './new\\nline';\nimport './sp ace.js';\n",
      'a b/new\nline.ts': 'export const x = 1;\n',
      'a b/sp ace.ts': "import './link';\n",
      'a b/target.ts': 'export const t = 1;\n',
      'outside/secret.ts': 'export const s = 1;\n',
    });
    writeFileSync(Buffer.from(join(weird, 'a b/bad-\xff-name.ts'), 'latin1'), "import './target';\n");
    symlinkSync('target.ts', join(weird, 'a b/link.ts'));
    symlinkSync('loop.ts', join(weird, 'a b/loop.ts'));
    symlinkSync('../outside', join(weird, 'a b/dirlink.ts'));
    symlinkSync('/etc/hostname', join(weird, 'a b/escape.ts'));
    const list = listFiles(weird);
    expect(list.some((f) => f.includes('\uFFFD') || f.includes('\xff'))).toBe(true);

    const g = buildImportGraph({ files: list, readFile: createDiskReader(weird) });
    expect(g.imports.get('a b/it\'s "quoted".ts')!.map((e) => e.to)).toEqual(['a b/new\nline.ts', 'a b/sp ace.ts']);
    expect(g.imports.get('a b/sp ace.ts')!.map((e) => e.to)).toEqual(['a b/link.ts']);
    expect(g.imports.get('a b/link.ts')!.map((e) => e.to)).toEqual([]);
    const unreadable = g.problems.filter((p) => p.kind === 'unreadable-file').map((p) => p.file);
    expect(unreadable).toEqual(expect.arrayContaining(['a b/loop.ts', 'a b/dirlink.ts', 'a b/escape.ts']));
    expect(lstatSync(join(weird, 'a b/link.ts')).isSymbolicLink()).toBe(true);

    const entries = blastRadius(g, ['a b/new\nline.ts', 'a b/link.ts']);
    expect(entries.map((e) => [e.file, e.depth])).toEqual([
      ['a b/it\'s "quoted".ts', 1],
      ['a b/sp ace.ts', 1],
    ]);
  });
});
