import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';
import { scanJsImports } from '@rollback-gate/graph';

/**
 * A generated workspace monorepo for the graph's reach tests: packages that publish build output
 * (`.mjs` / `.d.mts` / `.cjs` / `.d.cts` through `exports`, `main`, `types`), depend on each other
 * through `workspace:` (plain and aliased) and `link:`, a JavaScript package outside the workspace
 * globs, and an examples app outside them too (trpc's layout).
 *
 * Besides the sources it describes what a package manager and a build would add, so that an oracle
 * (TypeScript's own module resolution) can run on a built, installed copy: the build outputs and
 * the source each was built from, and the node_modules symlinks pnpm would make.
 */
export interface WorkspaceMonorepo {
  /** The repository as committed: sources and manifests, no dist/, no node_modules/. */
  readonly tree: Record<string, string>;
  /** Build output path -> the source it was built from. */
  readonly builtFrom: Record<string, string>;
  /** node_modules symlink path -> the directory it points at (both repo-relative). */
  readonly links: Record<string, string>;
  /** Imports that name something of the repository that does not exist: [file, specifier]. */
  readonly broken: ReadonlyArray<readonly [string, string]>;
}

type Exports = Record<string, unknown>;

/** The conditions a tsup-style dual build publishes for one entry. */
function dual(entry: string): Exports {
  return {
    import: { types: `./dist/${entry}.d.mts`, default: `./dist/${entry}.mjs` },
    require: { types: `./dist/${entry}.d.cts`, default: `./dist/${entry}.cjs` },
  };
}

export function workspaceMonorepo(): WorkspaceMonorepo {
  const tree: Record<string, string> = {};
  const builtFrom: Record<string, string> = {};
  const links: Record<string, string> = {};
  const built = (pkg: string, entry: string, source: string, outputs = ['.mjs', '.cjs', '.d.mts', '.d.cts']): void => {
    for (const ext of outputs) builtFrom[`${pkg}/dist/${entry}${ext}`] = `${pkg}/${source}`;
  };
  const manifest = (dir: string, value: Record<string, unknown>): void => {
    tree[`${dir}/package.json`] = JSON.stringify(value, null, 2);
  };
  const deps = (dir: string, dependencies: Record<string, string>): Record<string, string> => {
    for (const [name, spec] of Object.entries(dependencies)) {
      const target = spec.startsWith('link:')
        ? joinRel(dir, spec.slice('link:'.length))
        : spec.startsWith('workspace:@m/')
          ? `packages/${spec.slice('workspace:@m/'.length).split('@')[0]}`
          : `packages/${name.slice('@m/'.length)}`;
      links[`${dir}/node_modules/${name}`] = target;
    }
    return dependencies;
  };

  tree['package.json'] = JSON.stringify({ name: 'm-root', private: true });
  tree['pnpm-workspace.yaml'] = "packages:\n  - 'packages/*'\n";
  tree['tsconfig.json'] = JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx', allowJs: true } });

  // p0: .ts sources, a dual build of three entries.
  manifest('packages/p0', {
    name: '@m/p0',
    type: 'module',
    exports: { '.': dual('index'), './util': dual('util'), './view': dual('view'), './package.json': './package.json' },
    main: './dist/index.cjs',
    module: './dist/index.mjs',
    types: './dist/index.d.cts',
  });
  tree['packages/p0/src/index.ts'] = "export * from './util.js';\nexport { View } from './view.js';\n";
  tree['packages/p0/src/util.ts'] = 'export const base = 1;\n';
  tree['packages/p0/src/view.tsx'] = "import { base } from './util';\nexport const View = () => <b>{base}</b>;\n";
  built('packages/p0', 'index', 'src/index.ts');
  built('packages/p0', 'util', 'src/util.ts');
  built('packages/p0', 'view', 'src/view.tsx');

  // p1: .mts sources behind .mjs / .d.mts, depends on p0 through workspace:*.
  manifest('packages/p1', {
    name: '@m/p1',
    type: 'module',
    exports: { '.': { types: './dist/index.d.mts', import: './dist/index.mjs' }, './client': { types: './dist/client.d.mts', import: './dist/client.mjs' } },
    dependencies: deps('packages/p1', { '@m/p0': 'workspace:*' }),
  });
  tree['packages/p1/src/index.mts'] = "import { base } from '@m/p0/util';\nexport * from './client.mjs';\nexport const one = base;\n";
  tree['packages/p1/src/client.mts'] = "import type { View } from '@m/p0/view';\nexport type Client = typeof View;\n";
  built('packages/p1', 'index', 'src/index.mts', ['.mjs', '.d.mts']);
  built('packages/p1', 'client', 'src/client.mts', ['.mjs', '.d.mts']);

  // p2: a CommonJS package (.cts) that requires p0 and a JavaScript package linked from outside the workspace.
  manifest('packages/p2', {
    name: '@m/p2',
    exports: { '.': { types: './dist/index.d.cts', require: './dist/index.cjs', default: './dist/index.cjs' } },
    dependencies: deps('packages/p2', { '@m/p0': 'workspace:^', '@m/tool': 'link:../../vendor/tool' }),
  });
  tree['packages/p2/src/index.cts'] = "import p0 = require('@m/p0');\nconst tool = require('@m/tool');\nexport const two = [p0, tool];\n";
  built('packages/p2', 'index', 'src/index.cts', ['.cjs', '.d.cts']);

  // vendor/tool: plain JavaScript with hand-written types, not a workspace member, reached only through link:.
  manifest('vendor/tool', { name: '@m/tool', main: 'lib/index.js', types: 'lib/index.d.ts' });
  tree['vendor/tool/src/index.js'] = "export { helper } from './helper.js';\n";
  tree['vendor/tool/src/helper.js'] = 'export const helper = 1;\n';
  builtFrom['vendor/tool/lib/index.js'] = 'vendor/tool/src/index.js';
  builtFrom['vendor/tool/lib/index.d.ts'] = 'vendor/tool/src/index.js';

  // p3: an exports pattern over nested .ts / .tsx sources; depends on p1 and on p0 under an alias.
  manifest('packages/p3', {
    name: '@m/p3',
    type: 'module',
    exports: { '.': { types: './dist/index.d.mts', import: './dist/index.mjs' }, './*': { types: './dist/*.d.mts', import: './dist/*.mjs' } },
    dependencies: deps('packages/p3', { '@m/p1': 'workspace:~', '@m/base': 'workspace:@m/p0@*' }),
  });
  tree['packages/p3/src/index.ts'] = "export * from './feature/a.js';\nexport * from './feature/b.js';\n";
  tree['packages/p3/src/feature/a.ts'] = "import { one } from '@m/p1';\nimport { base } from '@m/base/util';\nexport const a = one + base;\n";
  tree['packages/p3/src/feature/b.tsx'] = "import type { Client } from '@m/p1/client';\nexport const B = (c: Client) => <i>{String(c)}</i>;\n";
  built('packages/p3', 'index', 'src/index.ts', ['.mjs', '.d.mts']);
  built('packages/p3', 'feature/a', 'src/feature/a.ts', ['.mjs', '.d.mts']);
  built('packages/p3', 'feature/b', 'src/feature/b.tsx', ['.mjs', '.d.mts']);

  // p4: no exports, main / types only, a .tsx entry; depends on p2 and p3.
  manifest('packages/p4', {
    name: '@m/p4',
    main: './dist/index.cjs',
    types: './dist/index.d.ts',
    dependencies: deps('packages/p4', { '@m/p2': 'workspace:*', '@m/p3': 'workspace:*' }),
  });
  tree['packages/p4/src/index.tsx'] = "import { two } from '@m/p2';\nimport { B } from '@m/p3/feature/b';\nexport const Four = () => <B>{two}</B>;\n";
  builtFrom['packages/p4/dist/index.cjs'] = 'packages/p4/src/index.tsx';
  builtFrom['packages/p4/dist/index.d.ts'] = 'packages/p4/src/index.tsx';

  // p5: an entry named after a folder (`{ utils: 'src/utils/index.ts' }` builds dist/utils.mjs).
  manifest('packages/p5', {
    name: '@m/p5',
    type: 'module',
    exports: { './utils': { types: './dist/utils.d.mts', import: './dist/utils.mjs' } },
    dependencies: deps('packages/p5', { '@m/p4': 'workspace:*' }),
  });
  tree['packages/p5/src/utils/index.ts'] = "export { Four } from '@m/p4';\nexport { format } from './format.js';\n";
  tree['packages/p5/src/utils/format.ts'] = 'export const format = String;\n';
  built('packages/p5', 'utils', 'src/utils/index.ts', ['.mjs', '.d.mts']);

  // examples/app: outside the workspace globs, every package linked in.
  manifest('examples/app', {
    name: 'example-app',
    private: true,
    dependencies: deps('examples/app', {
      '@m/p0': 'link:../../packages/p0',
      '@m/p1': 'link:../../packages/p1',
      '@m/p3': 'link:../../packages/p3',
      '@m/p5': 'link:../../packages/p5',
    }),
  });
  tree['examples/app/src/main.tsx'] = [
    "import { one } from '@m/p1';",
    "import { a } from '@m/p3/feature/a';",
    "import { format } from '@m/p5/utils';",
    "import React from 'react';",
    "export const App = () => <p>{format(one + a)}</p>;",
  ].join('\n');
  tree['examples/app/src/server.cts'] = "const p0 = require('@m/p0');\nexport = p0;\n";
  tree['examples/app/src/broken.ts'] = "import { nope } from '@m/p1/nope';\nimport './gone.js';\nimport 'node:fs';\nexport const x = nope;\n";
  const broken: Array<[string, string]> = [
    ['examples/app/src/broken.ts', '@m/p1/nope'],
    ['examples/app/src/broken.ts', './gone.js'],
  ];
  return { tree, builtFrom, links, broken };
}

function joinRel(dir: string, rel: string): string {
  const out = dir.split('/');
  for (const segment of rel.split('/')) {
    if (segment === '..') out.pop();
    else if (segment !== '.' && segment !== '') out.push(segment);
  }
  return out.join('/');
}

const SOURCE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/** TypeScript's answer for every import of every source file, on a copy with dist/ built and node_modules linked. */
export function runOracle(monorepo: WorkspaceMonorepo, dir: string): { edges: Map<string, string[]>; unresolved: string[] } {
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(monorepo.tree)) write(path, text);
  for (const output of Object.keys(monorepo.builtFrom)) write(output, 'export {};\n');
  for (const [link, target] of Object.entries(monorepo.links)) {
    mkdirSync(dirname(join(dir, link)), { recursive: true });
    symlinkSync(relative(dirname(join(dir, link)), join(dir, target)), join(dir, link), 'dir');
  }
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: true,
    jsx: ts.JsxEmit.ReactJSX,
    resolveJsonModule: true,
    noEmit: true,
  };
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const [file, text] of Object.entries(monorepo.tree)) {
    if (!SOURCE.test(file)) continue;
    const targets: string[] = [];
    for (const ref of scanJsImports(text)) {
      const mode = ref.kind === 'require' || ref.kind === 'import-equals' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext;
      const resolved = ts.resolveModuleName(ref.specifier, join(dir, file), options, ts.sys, undefined, undefined, mode).resolvedModule;
      const path = resolved ? relative(dir, resolved.resolvedFileName).split(sep).join('/') : undefined;
      if (path === undefined || path.startsWith('..') || path.includes('node_modules/')) {
        if (ref.specifier.startsWith('.') || ref.specifier.startsWith('@m/')) unresolved.push(`${file} ${ref.specifier}`);
        continue;
      }
      const source = monorepo.builtFrom[path] ?? path;
      if (source !== file && !targets.includes(source)) targets.push(source);
    }
    edges.set(file, targets);
  }
  return { edges, unresolved };
}

/** Every file that reaches `changed` through the edges, `changed` excluded. */
export function reverseClosure(edges: Map<string, string[]>, changed: string): string[] {
  const importers = new Map<string, string[]>();
  for (const [from, tos] of edges) for (const to of tos) importers.set(to, [...(importers.get(to) ?? []), from]);
  const seen = new Set<string>([changed]);
  const queue = [changed];
  while (queue.length > 0) {
    for (const i of importers.get(queue.pop()!) ?? []) {
      if (seen.has(i)) continue;
      seen.add(i);
      queue.push(i);
    }
  }
  seen.delete(changed);
  return [...seen].sort();
}

