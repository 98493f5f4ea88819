/** Module resolution cases, on in-memory repositories (the graph only needs a file list and a reader). */
import { describe, expect, it } from '@jest/globals';
import { blastRadius, buildImportGraph, defaultLanguages, type ImportGraph, type LanguageSupport } from '@rollback-gate/graph';

function graphOf(tree: Record<string, string>, extra: { languages?: LanguageSupport[] } = {}): ImportGraph {
  return buildImportGraph({ files: Object.keys(tree), readFile: (p) => tree[p], ...extra });
}

function targets(graph: ImportGraph, file: string): string[] {
  return (graph.imports.get(file) ?? []).map((e) => e.to);
}

function unresolved(graph: ImportGraph): string[] {
  return graph.problems.filter((p) => p.kind === 'unresolved-import').map((p) => `${p.file} ${p.specifier}`);
}

describe('TypeScript/JavaScript resolution', () => {
  it('applies extension rules: written .js/.mjs/.cjs/.jsx map to sources, .d.ts, json, index files, directory main', () => {
    const g = graphOf({
      'src/main.ts': [
        "import './a.js';",
        "import './b.mjs';",
        "import './c.cjs';",
        "import './d.jsx';",
        "import './e';",
        "import './f';",
        "import './dir';",
        "import './withmain';",
        "import './plain.js';",
        "import './data.json';",
        "import './styles.css';",
        "import './x.service';",
        "import '.';",
        "import './img.svg?url';",
        "import './g.js';",
      ].join('\n'),
      'src/a.ts': '',
      'src/b.mts': '',
      'src/c.cts': '',
      'src/d.tsx': '',
      'src/e.d.ts': '',
      'src/f.tsx': '',
      'src/f.js': '',
      'src/dir/index.tsx': '',
      'src/withmain/package.json': '{"main": "./entry.js"}',
      'src/withmain/entry.js': '',
      'src/plain.js': '',
      'src/data.json': '{}',
      'src/styles.css': '',
      'src/x.service.ts': '',
      'src/index.ts': '',
      'src/img.svg': '',
      'src/g.jsx': '',
    });
    expect(targets(g, 'src/main.ts')).toEqual([
      'src/a.ts',
      'src/b.mts',
      'src/c.cts',
      'src/d.tsx',
      'src/e.d.ts',
      'src/f.tsx',
      'src/dir/index.tsx',
      'src/withmain/entry.js',
      'src/plain.js',
      'src/data.json',
      'src/styles.css',
      'src/x.service.ts',
      'src/index.ts',
      'src/img.svg',
      'src/g.jsx',
    ]);
    expect(g.problems).toEqual([]);
  });

  it('resolves pnpm workspaces, exports patterns, nested conditions and build-output mapping', () => {
    const g = graphOf({
      'package.json': '{"name": "root", "private": true}',
      'pnpm-workspace.yaml': "# comment\npackages:\n  - 'libs/*'   # libraries\n  - \"tools/**\"\n  - '!libs/ignored'\ncatalog:\n  react: ^19\n",
      'libs/kit/package.json': JSON.stringify({
        name: '@org/kit',
        exports: {
          '.': { import: { types: './dist/esm/index.d.mts', default: './dist/esm/index.mjs' }, require: './dist/cjs/index.cjs' },
          './*': { types: './dist/types/*.d.ts', default: './dist/esm/*.js' },
          './internal/*': null,
          './styles/*.css': './assets/*.css',
        },
      }),
      'libs/kit/src/index.mts': '',
      'libs/kit/src/button.tsx': '',
      'libs/kit/src/deep/nested.ts': '',
      'libs/kit/assets/theme.css': '',
      'libs/plain/package.json': JSON.stringify({ name: 'plain-js', main: 'lib/index.js' }),
      'libs/plain/lib/index.js': '',
      'libs/plain/lib/extra.js': '',
      'libs/outdir/package.json': JSON.stringify({ name: 'outdir', types: 'build/out/index.d.ts' }),
      'libs/outdir/tsconfig.json': '{"compilerOptions": {"outDir": "build/out", "rootDir": "source"}}',
      'libs/outdir/source/index.ts': '',
      'libs/ignored/package.json': JSON.stringify({ name: 'ignored-pkg' }),
      'libs/ignored/index.ts': '',
      'tools/x/y/package.json': JSON.stringify({ name: 'deep-tool', module: './dist/index.js' }),
      'tools/x/y/src/index.ts': '',
      'app/main.ts': [
        "import '@org/kit';",
        "import '@org/kit/button';",
        "import '@org/kit/deep/nested';",
        "import '@org/kit/styles/theme.css';",
        "import 'plain-js';",
        "import 'plain-js/lib/extra';",
        "import 'outdir';",
        "import 'ignored-pkg';",
        "import 'deep-tool';",
        "import '@org/kit/missing';",
      ].join('\n'),
    });
    expect(targets(g, 'app/main.ts')).toEqual([
      'libs/kit/src/index.mts',
      'libs/kit/src/button.tsx',
      'libs/kit/src/deep/nested.ts',
      'libs/kit/assets/theme.css',
      'libs/plain/lib/index.js',
      'libs/plain/lib/extra.js',
      'libs/outdir/source/index.ts',
      'tools/x/y/src/index.ts',
    ]);
    // 'ignored-pkg' is excluded by the negated glob: third-party, silent. '@org/kit/missing' is in the repo: a problem.
    expect(unresolved(g)).toEqual(['app/main.ts @org/kit/missing']);
  });

  it('reads `workspaces: { packages }`, self-references and #imports', () => {
    const g = graphOf({
      'package.json': JSON.stringify({
        name: 'mono',
        workspaces: { packages: ['pkgs/*'] },
        imports: { '#utils/*': './shared/utils/*.ts', '#config': { node: './config/node.ts', default: './config/browser.ts' } },
        exports: { './shared': './shared/index.ts' },
      }),
      'pkgs/a/package.json': JSON.stringify({ name: 'a', types: 'src/index.ts' }),
      'pkgs/a/src/index.ts': "import 'mono/shared';\n",
      'shared/index.ts': '',
      'shared/utils/strings.ts': '',
      'config/node.ts': '',
      'app.ts': "import 'a';\nimport '#utils/strings';\nimport '#config';\nimport '#nope';\n",
    });
    expect(targets(g, 'app.ts')).toEqual(['pkgs/a/src/index.ts', 'shared/utils/strings.ts', 'config/node.ts']);
    expect(targets(g, 'pkgs/a/src/index.ts')).toEqual(['shared/index.ts']);
    expect(unresolved(g)).toEqual(['app.ts #nope']);
  });

  it('follows tsconfig extends chains (relative, arrays, workspace packages, cycles) for paths and baseUrl', () => {
    const g = graphOf({
      'package.json': JSON.stringify({ name: 'r', workspaces: ['config/*', 'apps/*'] }),
      'config/tsconfig/package.json': JSON.stringify({ name: '@org/tsconfig' }),
      'config/tsconfig/base.json': JSON.stringify({ compilerOptions: { paths: { '@lib/*': ['../../lib/*'] } } }),
      'tsconfig.cycle-a.json': '{"extends": "./tsconfig.cycle-b.json"}',
      'tsconfig.cycle-b.json': '{"extends": "./tsconfig.cycle-a"}',
      'apps/one/package.json': JSON.stringify({ name: 'one' }),
      'apps/one/tsconfig.json': '{"extends": ["../../tsconfig.cycle-a.json", "@org/tsconfig/base.json"], "compilerOptions": {"baseUrl": "src"}}',
      'apps/one/src/main.ts': "import '@lib/math';\nimport 'components/card';\nimport '@lib/nothing';\nimport 'left-pad';\n",
      'apps/one/src/components/card.tsx': '',
      'lib/math.ts': '',
    });
    // `paths` declared in base.json, but the child's baseUrl wins as the base of its targets:
    // apps/one/src + ../../lib/math = apps/lib/math, which does not exist; TypeScript agrees.
    expect(targets(g, 'apps/one/src/main.ts')).toEqual(['apps/one/src/components/card.tsx']);
    expect(unresolved(g)).toEqual(['apps/one/src/main.ts @lib/math', 'apps/one/src/main.ts @lib/nothing']);

    const g2 = graphOf({
      'config/base.json': JSON.stringify({ compilerOptions: { paths: { '@lib/*': ['../lib/*'] } } }),
      'apps/one/tsconfig.json': '{"extends": "../../config/base.json"}',
      'apps/one/src/main.ts': "import '@lib/math';\n",
      'lib/math.ts': '',
    });
    // Without a baseUrl, paths are relative to the config that declares them.
    expect(targets(g2, 'apps/one/src/main.ts')).toEqual(['lib/math.ts']);
  });

  it('uses every config of a solution directory (tsconfig.app.json beside a references-only tsconfig.json) and jsconfig.json', () => {
    const g = graphOf({
      'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './tsconfig.app.json' }, { path: './tsconfig.node.json' }] }),
      'tsconfig.app.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } }, include: ['src'] }),
      'tsconfig.node.json': JSON.stringify({ include: ['vite.config.ts'] }),
      'src/main.tsx': "import App from '@/App';\n",
      'src/App.tsx': '',
      'web/jsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '~/*': ['lib/*'] } } }),
      'web/app.js': "import '~/util';\nimport 'lib/util';\n",
      'web/lib/util.js': '',
    });
    expect(targets(g, 'src/main.tsx')).toEqual(['src/App.tsx']);
    expect(targets(g, 'web/app.js')).toEqual(['web/lib/util.js']);
    expect(g.problems).toEqual([]);
  });

  it('does not turn third-party imports into problems under a catch-all paths pattern', () => {
    const g = graphOf({
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '*': ['types/*'] } } }),
      'types/express.d.ts': '',
      'main.ts': "import 'express';\nimport 'react';\n",
    });
    expect(targets(g, 'main.ts')).toEqual(['types/express.d.ts']);
    expect(g.problems).toEqual([]);
  });
});

describe('Python resolution', () => {
  it('resolves project roots with src layouts, script directories, stubs and relative imports', () => {
    const g = graphOf({
      'services/api/pyproject.toml': '',
      'services/api/src/api/__init__.py': '',
      'services/api/src/api/app.py': 'from api.db import session\nfrom . import routes\nfrom .routes import users as u\nimport requests\n',
      'services/api/src/api/db.py': '',
      'services/api/src/api/routes/__init__.py': 'from .users import router\n',
      'services/api/src/api/routes/users.py': 'from ...api import db\nfrom .... import toplevel\n',
      'scripts/run.py': 'import helpers\nimport typed\n',
      'scripts/helpers.py': '',
      'scripts/typed.pyi': '',
    });
    expect(targets(g, 'services/api/src/api/app.py')).toEqual([
      'services/api/src/api/db.py',
      'services/api/src/api/routes/__init__.py',
      'services/api/src/api/routes/users.py',
    ]);
    expect(targets(g, 'services/api/src/api/routes/__init__.py')).toEqual(['services/api/src/api/routes/users.py']);
    expect(targets(g, 'services/api/src/api/routes/users.py')).toEqual(['services/api/src/api/db.py']);
    expect(targets(g, 'scripts/run.py')).toEqual(['scripts/helpers.py', 'scripts/typed.pyi']);
    expect(unresolved(g)).toEqual(['services/api/src/api/routes/users.py ....']);
  });
});

describe('the graph API', () => {
  it('plugs in another language through LanguageSupport', () => {
    const css: LanguageSupport = {
      name: 'css',
      matches: (p) => p.endsWith('.css'),
      scanImports: (source) => [...source.matchAll(/@import\s+['"]([^'"]+)['"]/g)].map((m) => ({ specifier: m[1]!, kind: 'import', line: 1 })),
      resolve: (ref, from, ctx) => {
        const path = `${from.slice(0, from.lastIndexOf('/') + 1)}${ref.specifier.replace(/^\.\//, '')}`;
        return ctx.fileExists(path) ? path : undefined;
      },
    };
    const g = graphOf({ 'a/main.css': "@import './base.css';\n@import './gone.css';", 'a/base.css': '' }, { languages: [css] });
    expect(targets(g, 'a/main.css')).toEqual(['a/base.css']);
    expect(unresolved(g)).toEqual(['a/main.css ./gone.css']);
  });

  it('reports readers that fail, bytes that are not UTF-8, and languages that throw, without throwing', () => {
    const boom: LanguageSupport = {
      name: 'boom',
      matches: (p) => p.endsWith('.boom'),
      scanImports: () => [{ specifier: 'x', kind: 'import', line: 1 }],
      resolve: () => {
        throw new Error('resolver exploded');
      },
    };
    const thrower: LanguageSupport = {
      name: 'thrower',
      matches: (p) => p.endsWith('.throw'),
      scanImports: () => {
        throw new Error('scanner exploded');
      },
      resolve: () => undefined,
    };
    const files = ['ok.ts', 'latin1.ts', 'fails.ts', 'missing.ts', 'x.boom', 'y.throw', 'target.ts'];
    const g = buildImportGraph({
      files,
      languages: [boom, thrower, ...defaultLanguages()],
      readFile: (p) => {
        if (p === 'fails.ts') throw new Error('EACCES: permission denied');
        if (p === 'missing.ts') return undefined;
        if (p === 'latin1.ts') return new Uint8Array([0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x27, 0x2e, 0x2f, 0x74, 0x61, 0x72, 0x67, 0x65, 0x74, 0x27, 0x3b, 0x20, 0xe9, 0xff]);
        if (p === 'ok.ts') return "import './target';";
        return '';
      },
    });
    expect(targets(g, 'ok.ts')).toEqual(['target.ts']);
    expect(targets(g, 'latin1.ts')).toEqual(['target.ts']);
    expect(g.problems.map((p) => [p.kind, p.file])).toEqual([
      ['unreadable-file', 'fails.ts'],
      ['unreadable-file', 'missing.ts'],
      ['scan-error', 'x.boom'],
      ['scan-error', 'y.throw'],
    ]);
    expect(g.problems[0]!.message).toContain('EACCES');
  });

  it('normalizes paths, ignores duplicates and self-imports, and survives a graph of one long cycle', () => {
    const n = 3000;
    const tree: Record<string, string> = {};
    for (let i = 0; i < n; i++) tree[`c/${i}.ts`] = `import './${(i + 1) % n}';\nimport './${i}';\n`;
    const g = buildImportGraph({ files: [...Object.keys(tree), './c/0.ts', 'c/0.ts'], readFile: (p) => tree[p] });
    expect(g.files.size).toBe(n);
    expect(targets(g, 'c/5.ts')).toEqual(['c/6.ts']);
    const radius = blastRadius(g, ['./c/0.ts']);
    expect(radius).toHaveLength(n - 1);
    expect(radius[radius.length - 1]).toMatchObject({ file: 'c/1.ts', depth: n - 1 });
    expect(radius[radius.length - 1]!.chain).toHaveLength(n);
    expect(blastRadius(g, ['c/0.ts'], { maxDepth: 3 }).map((e) => e.file)).toEqual(['c/2999.ts', 'c/2998.ts', 'c/2997.ts']);
  });
});
