import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layout's rules, checked over the sources themselves: no import cycle anywhere in
 * packages/<name>/src (type-only imports count too: a cycle of types is still a knot in the design),
 * core keeps nothing at its root but index.ts, and index.ts exports names, not `export *`.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return /\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'src')));

/** Every import, `export … from` and `import()` specifier of a module, comments stripped. */
export function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[\w*$\s{},]*?\s+from\s+)?['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The file a specifier names, when it is one of ours (relative, or another workspace package). */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const pkg = /^@rollback-gate\/([\w-]+)$/.exec(spec);
  if (pkg) return join(root, 'packages', pkg[1]!, 'src', 'index.ts');
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.jsx$/, '.tsx'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && c.endsWith('ts'));
}

export function findCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; every component with more than one module, or a
  // module importing itself, is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('layout', () => {
  it('finds a cycle when there is one (the checker can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['e']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(specifiers("import type { A } from './a.js';\nexport { b } from \"./b.js\";\n// import x from './c.js'\nconst d = await import('./d.js');\nimport './e.js';")).toEqual(['./a.js', './b.js', './e.js', './d.js']);
  });

  it('has no import cycle in packages/*/src', () => {
    const graph = new Map<string, string[]>();
    for (const pkg of packages) {
      for (const file of tsFiles(join(root, 'packages', pkg, 'src'))) {
        const targets = specifiers(readFileSync(file, 'utf8'))
          .map((spec) => resolveSpecifier(file, spec))
          .filter((target): target is string => target !== undefined);
        graph.set(file, [...new Set(targets)]);
      }
    }
    expect(graph.size).toBeGreaterThan(40);
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => relative(root, file)));
    expect(cycles).toEqual([]);
  });

  it('keeps nothing at the root of packages/core/src but index.ts, which exports names, not `export *`', () => {
    const atRoot = readdirSync(join(root, 'packages/core/src'), { withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => e.name);
    expect(atRoot).toEqual(['index.ts']);
    const index = readFileSync(join(root, 'packages/core/src/index.ts'), 'utf8');
    expect(index).not.toMatch(/export\s+\*/);
    for (const file of tsFiles(join(root, 'packages/core/src'))) {
      if (file.endsWith('/src/index.ts')) continue;
      expect({ file: relative(root, file), barrel: /export\s+\*/.test(readFileSync(file, 'utf8')) }).toEqual({ file: relative(root, file), barrel: false });
    }
  });
});
