#!/usr/bin/env node
/**
 * Blast-radius benchmark (issue 4): on a generated TypeScript monorepo of 20,000 files with a
 * realistic import graph (workspace packages imported by name through `exports`, barrels,
 * relative imports with and without `.js`, type-only imports, re-exports, a few cycles,
 * third-party imports, comments and strings that mention imports), find the dependents of 50
 * changed files, and compare with dependency-cruiser computing the same set on the same
 * repository in the same run.
 *
 * Each tool runs in a fresh Node process (start-up, reading and parsing every file included);
 * wall time and peak RSS are measured per process. Targets: ours at most 5 s, at least 20x
 * faster than dependency-cruiser, the same dependents.
 *
 *   node bench/graph.mjs [--files 20000] [--changed 50] [--seed 1] [--keep] [--depcruise-timeout 1800] [--reaches]
 *                        [--depcruise <dependency-cruiser's bin/dependency-cruiser.mjs, or its package directory> | --no-depcruise]
 *
 * dependency-cruiser is not a dependency of this project: pass --depcruise, set DEPCRUISE_BIN, or
 * have it resolvable from the repository; it needs Node >= 22 and typescript 5.x beside it.
 * Exports runGraphBenchmark(options) for a bench runner; prints a table and a JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---- the generated repository ---------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes the monorepo and returns its module files. Layout: packages/p<i> (@bench/p<i>), each with
 * src/index.ts (barrel of its areas), src/area-<a>/index.ts (barrel of the area's modules) and
 * src/area-<a>/mod-<k>.ts. Packages import lower-numbered packages, so chains run deep.
 */
export function generateMonorepo(root, { files: totalFiles = 20000, seed = 1 } = {}) {
  const rand = mulberry32(seed);
  const pick = (n) => Math.floor(rand() * n);
  const packages = Math.max(1, Math.round(totalFiles / 500));
  const perPackage = Math.floor(totalFiles / packages);
  const areas = 10;
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  write('package.json', JSON.stringify({ name: 'bench-monorepo', private: true, workspaces: ['packages/*'] }, null, 2));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx' } }, null, 2));
  // dependency-cruiser resolves workspace names only through tsconfig paths (see TOOLCHAIN.md).
  const paths = {};
  for (let p = 0; p < packages; p++) {
    paths[`@bench/p${p}`] = [`packages/p${p}/src/index.ts`];
    paths[`@bench/p${p}/*`] = [`packages/p${p}/src/*`];
  }
  write('depcruise-tsconfig.json', JSON.stringify({ extends: './tsconfig.json', compilerOptions: { baseUrl: '.', paths } }, null, 2));

  const modules = []; // [package][area] -> module count
  const all = [];
  for (let p = 0; p < packages; p++) {
    const dir = `packages/p${p}`;
    write(`${dir}/package.json`, JSON.stringify({
      name: `@bench/p${p}`,
      version: '1.0.0',
      type: 'module',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js' },
        './*': { types: './dist/*.d.ts', import: './dist/*.js' },
        './package.json': './package.json',
      },
    }, null, 2));
    write(`${dir}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { outDir: 'dist', rootDir: 'src' } }, null, 2));
    const moduleFiles = perPackage - 1 - areas; // minus src/index.ts and the area barrels
    const counts = Array.from({ length: areas }, (_, a) => Math.floor(moduleFiles / areas) + (a < moduleFiles % areas ? 1 : 0));
    modules.push(counts);
    write(`${dir}/src/index.ts`, counts.map((_, a) => `export * from './area-${a}/index.js';\n`).join(''));
    all.push(`${dir}/src/index.ts`);
    for (let a = 0; a < areas; a++) {
      write(`${dir}/src/area-${a}/index.ts`, Array.from({ length: counts[a] }, (_, k) => `export * from './mod-${k}';\n`).join(''));
      all.push(`${dir}/src/area-${a}/index.ts`);
    }
  }

  for (let p = 0; p < packages; p++) {
    for (let a = 0; a < areas; a++) {
      const count = modules[p][a];
      for (let k = 0; k < count; k++) {
        const lines = [];
        const imported = new Set();
        const add = (line) => {
          if (!imported.has(line)) {
            imported.add(line);
            lines.push(line);
          }
        };
        if (k % 7 === 0) lines.push('// Copyright (c) bench authors. Do not import from \'./legacy\' here.');
        // Relative imports inside the area: mostly lower-numbered modules, sometimes a cycle.
        const local = k === 0 ? 0 : 1 + pick(Math.min(4, k));
        for (let i = 0; i < local; i++) {
          const target = rand() < 0.04 && k + 1 < count ? k + 1 + pick(Math.min(3, count - k - 1)) : pick(k);
          const ext = rand() < 0.5 ? '.js' : '';
          if (rand() < 0.2) add(`import type { Shape${target} } from './mod-${target}${ext}';`);
          else add(`import { compute${target}_0 } from './mod-${target}${ext}';`);
        }
        // Another area of the same package.
        if (a > 0 && rand() < 0.5) {
          const b = pick(a);
          if (rand() < 0.3) add(`import * as area${b} from '../area-${b}';`);
          else {
            const t = pick(modules[p][b]);
            add(`import { compute${t}_0 as fromArea${b}_${t} } from '../area-${b}/mod-${t}.js';`);
          }
        }
        // Lower-numbered workspace packages, by name through `exports`.
        if (p > 0 && rand() < 0.45) {
          const q = Math.max(0, p - 1 - pick(Math.min(p, 6)));
          const b = pick(areas);
          const t = pick(modules[q][b]);
          if (rand() < 0.15) add(`import { compute${t}_0 as pkg${q}_${t} } from '@bench/p${q}';`);
          else if (rand() < 0.25) add(`import type { Shape${t} as PkgShape${q}_${t} } from '@bench/p${q}/area-${b}/mod-${t}';`);
          else add(`import { compute${t}_0 as pkg${q}_${b}_${t} } from '@bench/p${q}/area-${b}/mod-${t}';`);
        }
        if (rand() < 0.3) add(`import { useMemo } from 'react';`);
        if (rand() < 0.2) add(`import { readFileSync } from 'node:fs';`);
        if (rand() < 0.1) add(`import debounce from 'lodash/debounce';`);
        if (k > 0 && rand() < 0.05) add(`export { compute${pick(k)}_0 as reexported${k} } from './mod-${pick(k)}';`);
        if (k > 0 && rand() < 0.03) add(`const lazy${k} = () => import('./mod-${pick(k)}.js');`);
        lines.push('');
        lines.push(...moduleBody(k, rand));
        const path = `packages/p${p}/src/area-${a}/mod-${k}.ts`;
        write(path, lines.join('\n'));
        all.push(path);
      }
    }
  }
  return all;
}

function moduleBody(k, rand) {
  const out = [
    '/**',
    ` * Module ${k}. Example: import { compute${k}_0 } from './mod-${k}';`,
    ' * Strings and comments that mention imports are not imports.',
    ' */',
    `export interface Shape${k} {`,
    '  readonly id: string;',
    '  readonly value: number;',
    '  readonly tags: readonly string[];',
    '}',
    '',
    `const PATTERN_${k} = /import\\s+['"][^'"]+['"]/g;`,
  ];
  const functions = 3 + Math.floor(rand() * 6);
  for (let f = 0; f < functions; f++) {
    out.push(
      '',
      `/** Computes part ${f} of the shape; see require('./docs') in the handbook. */`,
      `export function compute${k}_${f}(input: Shape${k}, factor = ${f + 1}): string {`,
      `  const label = \`shape \${input.id} has value \${input.value * factor} (\${input.tags.join(', ')})\`;`,
      '  if (input.value / factor > 10 && input.tags.length > 0) {',
      "    return label.replace(PATTERN_" + k + ", '').trim();",
      '  }',
      '  const parts: string[] = [];',
      '  for (const tag of input.tags) {',
      `    parts.push(tag.startsWith('#') ? tag.slice(1) : \`tag:\${tag}\`); // import('./not-real')`,
      '  }',
      "  return parts.length === 0 ? \"empty: import x from 'nowhere'\" : parts.join(' / ');",
      '}',
    );
  }
  return out;
}

// ---- running the tools ----------------------------------------------------------------------

/** Runs a Node script in a fresh process: wall time (start-up included) and peak RSS. */
function measure(args, { cwd, hook, timeoutMs }) {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const ms = performance.now() - start;
  if (result.error?.code === 'ETIMEDOUT') return { ms, timedOut: true };
  const rss = /@@maxrss (\d+)/.exec(result.stderr ?? '');
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} failed (${result.status ?? result.signal}):\n${(result.stderr ?? '').slice(-4000)}`);
  }
  return { ms, peakMiB: rss ? Number(rss[1]) / 1024 : undefined, stdout: result.stdout };
}

/** The engine, compiled from packages/graph/src with the project's tsc into `outDir`. */
function compileGraph(outDir) {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const sources = join(repoRoot, 'packages', 'graph', 'src');
  const r = spawnSync(process.execPath, [
    tsc, '--outDir', outDir, '--rootDir', sources, '--module', 'esnext', '--moduleResolution', 'bundler', '--target', 'es2023',
    '--types', 'node', '--skipLibCheck', '--declaration', 'false', join(sources, 'index.ts'),
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  return join(outDir, 'index.js');
}

const OURS_CHILD = `
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
const [lib, root, changedFile, outFile] = process.argv.slice(2);
const t0 = performance.now();
const { buildImportGraph, blastRadius, createDiskReader } = await import(lib);
const t1 = performance.now();
const files = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() || e.isSymbolicLink())
  .map((e) => (e.parentPath === root ? e.name : e.parentPath.slice(root.length + 1) + '/' + e.name));
const t2 = performance.now();
const graph = buildImportGraph({ files, readFile: createDiskReader(root) });
const t3 = performance.now();
const changed = JSON.parse(readFileSync(changedFile, 'utf8'));
const radius = blastRadius(graph, changed);
const t4 = performance.now();
let edges = 0;
for (const list of graph.imports.values()) edges += list.length;
writeFileSync(outFile, JSON.stringify({
  dependents: radius.map((e) => e.file),
  maxDepth: radius.reduce((m, e) => Math.max(m, e.depth), 0),
  files: files.length, edges, problems: graph.problems.length,
  timings: { load: t1 - t0, list: t2 - t1, build: t3 - t2, radius: t4 - t3 },
}));
`;

const RSS_HOOK = `
import { writeSync } from 'node:fs';
process.on('exit', () => { try { writeSync(2, '\\n@@maxrss ' + process.resourceUsage().maxRSS + '\\n'); } catch {} });
`;

function findDepcruise(explicit) {
  if (explicit === false) return undefined;
  const binOf = (manifestPath) => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.depcruise ?? manifest.bin?.['dependency-cruise'];
    return bin ? join(dirname(manifestPath), bin) : undefined;
  };
  for (const c of [explicit, process.env.DEPCRUISE_BIN].filter(Boolean)) {
    if (existsSync(join(c, 'package.json'))) return binOf(join(c, 'package.json'));
    if (existsSync(c)) return c;
  }
  try {
    return binOf(createRequire(join(repoRoot, 'package.json')).resolve('dependency-cruiser/package.json'));
  } catch {
    return undefined; // not installed
  }
}

/** Files that transitively import a changed file (a changed file counts when it imports another changed one). */
function dependentsFromEdges(edges, changed) {
  const importers = new Map();
  for (const [from, tos] of edges) for (const to of tos) {
    if (!importers.has(to)) importers.set(to, []);
    importers.get(to).push(from);
  }
  const result = new Set();
  const seen = new Set();
  const queue = [];
  for (const c of changed) for (const i of importers.get(c) ?? []) queue.push(i);
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    result.add(file);
    for (const i of importers.get(file) ?? []) queue.push(i);
  }
  return result;
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function runGraphBenchmark({ files = 20000, changedCount = 50, seed = 1, keep = false, depcruise, depcruiseTimeoutS = 1800, reachesFilter = false } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'rg-bench-graph-'));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  try {
    const hook = join(work, 'rss-hook.mjs');
    writeFileSync(hook, RSS_HOOK);
    const oursScript = join(work, 'ours.mjs');
    writeFileSync(oursScript, OURS_CHILD);

    let t = performance.now();
    const lib = compileGraph(join(work, 'lib'));
    const compileMs = performance.now() - t;
    t = performance.now();
    const modules = generateMonorepo(repo, { files, seed });
    const generateMs = performance.now() - t;

    const rand = mulberry32(seed * 7919);
    const candidates = modules.filter((m) => /\/mod-\d+\.ts$/.test(m));
    const changed = new Set();
    while (changed.size < Math.min(changedCount, candidates.length)) changed.add(candidates[Math.floor(rand() * candidates.length)]);
    const changedList = [...changed].sort();
    const changedFile = join(work, 'changed.json');
    writeFileSync(changedFile, JSON.stringify(changedList));

    const nodeStart = measure(['-e', '0'], { cwd: repo, hook });
    const oursOut = join(work, 'ours.json');
    const ours = measure([oursScript, pathToFileURL(lib).href, repo, changedFile, oursOut], { cwd: repo, hook });
    const oursResult = JSON.parse(readFileSync(oursOut, 'utf8'));

    const report = {
      files: oursResult.files,
      moduleFiles: modules.length,
      edges: oursResult.edges,
      changed: changedList.length,
      nodeStartMs: round(nodeStart.ms),
      ours: { ms: round(ours.ms), peakMiB: round(ours.peakMiB), dependents: oursResult.dependents.length, maxDepth: oursResult.maxDepth, problems: oursResult.problems, timings: mapValues(oursResult.timings, round) },
      depcruise: undefined,
      generateMs: round(generateMs),
      compileMs: round(compileMs),
    };

    const bin = findDepcruise(depcruise);
    if (bin) {
      // The whole graph as JSON, dependents derived from it here: cheaper for dependency-cruiser
      // than its own --reaches filter, which did not finish in 35 minutes on 20,000 files.
      const out = join(work, 'depcruise.json');
      const args = [bin, '--no-config', '--ts-config', 'depcruise-tsconfig.json', '--ts-pre-compilation-deps', '--output-type', 'json', '--output-to', out];
      if (reachesFilter) args.push('--reaches', `^(${changedList.map(escapeRegExp).join('|')})$`);
      const dc = measure([...args, 'packages'], { cwd: repo, hook, timeoutMs: depcruiseTimeoutS * 1000 });
      if (dc.timedOut) {
        report.depcruise = { ms: round(dc.ms), timedOut: true, speedupAtLeast: round(dc.ms / ours.ms) };
        report.pass = report.ours.ms <= 5000 && report.depcruise.speedupAtLeast >= 20 ? 'partly (dependents not compared)' : false;
        return report;
      }
      const cruise = JSON.parse(readFileSync(out, 'utf8'));
      const edges = cruise.modules.map((m) => [m.source, m.dependencies.filter((d) => !d.couldNotResolve && !d.coreModule).map((d) => d.resolved)]);
      const theirs = dependentsFromEdges(edges, changedList);
      const mine = new Set(oursResult.dependents);
      const onlyOurs = [...mine].filter((f) => !theirs.has(f));
      const onlyTheirs = [...theirs].filter((f) => !mine.has(f));
      report.depcruise = {
        ms: round(dc.ms), peakMiB: round(dc.peakMiB), dependents: theirs.size, modules: cruise.modules.length,
        speedup: round(dc.ms / ours.ms), sameDependents: onlyOurs.length === 0 && onlyTheirs.length === 0,
        onlyOurs: onlyOurs.slice(0, 5), onlyTheirs: onlyTheirs.slice(0, 5),
      };
    }
    report.pass =
      report.ours.ms > 5000 ? false : !report.depcruise ? 'partly (<= 5 s met; dependency-cruiser not run, so 20x and same dependents not checked)' : report.depcruise.speedup >= 20 && report.depcruise.sameDependents;
    return report;
  } finally {
    if (keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

function round(x) {
  return x === undefined ? undefined : Math.round(x * 10) / 10;
}

function mapValues(obj, f) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--files') options.files = Number(argv[++i]);
    else if (arg === '--changed') options.changedCount = Number(argv[++i]);
    else if (arg === '--seed') options.seed = Number(argv[++i]);
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--depcruise') options.depcruise = argv[++i];
    else if (arg === '--no-depcruise') options.depcruise = false;
    else if (arg === '--depcruise-timeout') options.depcruiseTimeoutS = Number(argv[++i]);
    else if (arg === '--reaches') options.reachesFilter = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/** Prints a report of runGraphBenchmark for people, then as one JSON line. */
export function printGraphReport(report) {
  const o = report.ours;
  console.log(`\n## blast radius: ${report.files} files (${report.moduleFiles} TypeScript), ${report.edges} import edges, ${report.changed} changed files`);
  console.log(`  node start            ${report.nodeStartMs} ms`);
  console.log(`  rollback-gate graph   ${o.ms} ms wall, peak ${o.peakMiB} MiB, ${o.dependents} dependents (max depth ${o.maxDepth})`);
  console.log(`                        list ${o.timings.list} ms, read+scan+resolve ${o.timings.build} ms, radius ${o.timings.radius} ms`);
  if (report.depcruise?.timedOut) {
    console.log(`  dependency-cruiser    killed after ${report.depcruise.ms} ms: speed-up at least ${report.depcruise.speedupAtLeast}x`);
  } else if (report.depcruise) {
    const d = report.depcruise;
    console.log(`  dependency-cruiser    ${d.ms} ms wall, peak ${d.peakMiB} MiB, ${d.dependents} dependents`);
    console.log(`  speed-up ${d.speedup}x; same dependents: ${d.sameDependents ? 'yes' : `NO (only ours: ${d.onlyOurs.join(', ')}; only theirs: ${d.onlyTheirs.join(', ')})`}`);
  } else {
    console.log('  dependency-cruiser    skipped (not found: pass --depcruise <bin> or set DEPCRUISE_BIN; at 20,000 files it needs about 30 minutes)');
  }
  console.log(`  targets (<= 5 s, >= 20x, same dependents): ${report.pass === true ? 'met' : report.pass ? report.pass : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'graph', ...report }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = runGraphBenchmark(parseArgs(process.argv.slice(2)));
  printGraphReport(report);
  if (report.pass !== true) process.exitCode = 1;
}
