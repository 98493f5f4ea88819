#!/usr/bin/env node
/**
 * Blast-radius benchmark (issue 16): on a generated TypeScript workspace monorepo of 7,150
 * .ts/.tsx files in 65 packages importing each other by name (through `exports` maps publishing
 * .js/.d.ts or a dual .mjs/.d.mts/.cjs build, barrels, relative imports with and without `.js`,
 * type-only imports, re-exports, a few cycles, third-party imports, comments and strings that
 * mention imports), committed to git, find the dependents of the five most-imported files, and
 * compare with dependency-cruiser computing the same set on the same repository in the same run.
 *
 * Each tool runs in a fresh Node process, start-up included. Ours reads the committed tree the
 * way scope-guard does (git ls-tree + one streamed git cat-file --batch, blastRadiusOfTree);
 * dependency-cruiser reads the work tree. Wall time, CPU time (git's included) and peak RSS are
 * measured per process. Targets: at least 20x faster than dependency-cruiser, with at least 95% of
 * its dependents (the same ones, in practice).
 *
 *   node bench/graph.mjs [--files 7150] [--packages 65] [--changed 5] [--seed 1] [--keep] [--depcruise-timeout 1800]
 *                        [--reaches] [--depcruise <dependency-cruiser's bin/dependency-cruiser.mjs, or its package directory> | --no-depcruise]
 *
 * dependency-cruiser is a devDependency (it needs Node >= 22, which `npm run bench` provides, and
 * typescript 5.x beside it); --depcruise or DEPCRUISE_BIN run another copy.
 * Exports runGraphBenchmark(options) for a bench runner; prints a table and a JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { actionStep } from './lib.mjs';

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
export function generateMonorepo(root, { files: totalFiles = 20000, seed = 1, packages: packageCount, importerCounts } = {}) {
  const modPath = (p, a, k) => `packages/p${p}/src/area-${a}/mod-${k}.${k % 5 === 4 ? 'tsx' : 'ts'}`;
  const imports = (path) => importerCounts?.set(path, (importerCounts.get(path) ?? 0) + 1);
  const rand = mulberry32(seed);
  const pick = (n) => Math.floor(rand() * n);
  const packages = packageCount ?? Math.max(1, Math.round(totalFiles / 500));
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
    // Half the packages publish a dual build (.mjs / .d.mts / .cjs, as tsup does), half plain .js / .d.ts.
    const exportsMap = p % 2 === 1
      ? {
          '.': { import: { types: './dist/index.d.mts', default: './dist/index.mjs' }, require: { types: './dist/index.d.cts', default: './dist/index.cjs' } },
          './*': { import: { types: './dist/*.d.mts', default: './dist/*.mjs' }, require: { types: './dist/*.d.cts', default: './dist/*.cjs' } },
          './package.json': './package.json',
        }
      : {
          '.': { types: './dist/index.d.ts', import: './dist/index.js' },
          './*': { types: './dist/*.d.ts', import: './dist/*.js' },
          './package.json': './package.json',
        };
    const dependencies = {};
    for (let q = Math.max(0, p - 6); q < p; q++) dependencies[`@bench/p${q}`] = 'workspace:*';
    write(`${dir}/package.json`, JSON.stringify({ name: `@bench/p${p}`, version: '1.0.0', type: 'module', exports: exportsMap, dependencies }, null, 2));
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
          imports(modPath(p, a, target));
          if (rand() < 0.2) add(`import type { Shape${target} } from './mod-${target}${ext}';`);
          else add(`import { compute${target}_0 } from './mod-${target}${ext}';`);
        }
        // Another area of the same package.
        if (a > 0 && rand() < 0.5) {
          const b = pick(a);
          if (rand() < 0.3) add(`import * as area${b} from '../area-${b}';`);
          else {
            const t = pick(modules[p][b]);
            imports(modPath(p, b, t));
            add(`import { compute${t}_0 as fromArea${b}_${t} } from '../area-${b}/mod-${t}.js';`);
          }
        }
        // Lower-numbered workspace packages, by name through `exports`.
        if (p > 0 && rand() < 0.45) {
          const q = Math.max(0, p - 1 - pick(Math.min(p, 6)));
          const b = pick(areas);
          const t = pick(modules[q][b]);
          if (rand() < 0.15) add(`import { compute${t}_0 as pkg${q}_${t} } from '@bench/p${q}';`);
          else if (rand() < 0.25) {
            imports(modPath(q, b, t));
            add(`import type { Shape${t} as PkgShape${q}_${t} } from '@bench/p${q}/area-${b}/mod-${t}';`);
          } else {
            imports(modPath(q, b, t));
            add(`import { compute${t}_0 as pkg${q}_${b}_${t} } from '@bench/p${q}/area-${b}/mod-${t}';`);
          }
        }
        if (rand() < 0.3) add(`import { useMemo } from 'react';`);
        if (rand() < 0.2) add(`import { readFileSync } from 'node:fs';`);
        if (rand() < 0.1) add(`import debounce from 'lodash/debounce';`);
        if (k > 0 && rand() < 0.05) add(`export { compute${pick(k)}_0 as reexported${k} } from './mod-${pick(k)}';`);
        if (k > 0 && rand() < 0.03) add(`const lazy${k} = () => import('./mod-${pick(k)}.js');`);
        lines.push('');
        lines.push(...moduleBody(k, rand));
        // Every fifth module is a React component file (.tsx), imported like the others ('./mod-4', './mod-4.js').
        const tsx = k % 5 === 4;
        if (tsx) lines.push('', `export const View${k} = ({ shape }: { shape: Shape${k} }) => <section title={shape.id}>{compute${k}_0(shape)}</section>;`);
        const path = `packages/p${p}/src/area-${a}/mod-${k}.${tsx ? 'tsx' : 'ts'}`;
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

/**
 * Runs a Node script in a fresh process: wall time (start-up included), CPU time (its own and its
 * waited-for children's, such as git: /proc/self/stat at exit) and peak RSS. On a timeout the
 * process itself is killed (no wrapper process that would leave it running).
 */
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
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} failed (${result.status ?? result.signal}):\n${(result.stderr ?? '').slice(-4000)}`);
  }
  const usage = /@@usage (\d+) (\d+)/.exec(result.stderr ?? '');
  return { ms, cpuMs: usage ? Number(usage[1]) : undefined, peakMiB: usage ? Number(usage[2]) / 1024 : undefined, stdout: result.stdout };
}

const USAGE_HOOK = `
import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  try {
    // utime, stime, cutime, cstime (fields 14-17) in clock ticks (100 per second on Linux).
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    writeSync(2, '\\n@@usage ' + ticks * 10 + ' ' + process.resourceUsage().maxRSS + '\\n');
  } catch {}
});
`;

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
import { readFileSync, writeFileSync } from 'node:fs';
const [lib, root, changedFile, outFile] = process.argv.slice(2);
const t0 = performance.now();
const { blastRadiusOfTree } = await import(lib);
const t1 = performance.now();
const changed = JSON.parse(readFileSync(changedFile, 'utf8'));
const result = await blastRadiusOfTree({ cwd: root, tree: 'HEAD', changed });
const t2 = performance.now();
let edges = 0;
for (const list of result.graph.imports.values()) edges += list.length;
writeFileSync(outFile, JSON.stringify({
  dependents: result.radius.map((e) => e.file),
  maxDepth: result.radius.reduce((m, e) => Math.max(m, e.depth), 0),
  files: result.files.length, edges, problems: result.graph.problems.length, unresolved: result.unresolved.count,
  timings: { load: t1 - t0, radius: t2 - t1 },
}));
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
  // The devDependency (its `exports` hide package.json from require.resolve, so look in node_modules).
  const installed = join(repoRoot, 'node_modules', 'dependency-cruiser', 'package.json');
  return existsSync(installed) ? binOf(installed) : undefined;
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

const GIT_ENV = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function commitAll(repo) {
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: repo, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  };
  git(['init', '-q', '--initial-branch=main']);
  git(['config', 'gc.auto', '0']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'generated monorepo']);
  git(['repack', '-a', '-d', '-q']); // packed, as a clone is
}

export function runGraphBenchmark({ files = 7150, packages = 65, changedCount = 5, seed = 1, keep = false, depcruise, depcruiseTimeoutS = 1800, reachesFilter = false } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'rg-bench-graph-'));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  try {
    const oursScript = join(work, 'ours.mjs');
    writeFileSync(oursScript, OURS_CHILD);
    const hook = join(work, 'usage-hook.mjs');
    writeFileSync(hook, USAGE_HOOK);

    let t = performance.now();
    const lib = compileGraph(join(work, 'lib'));
    const compileMs = performance.now() - t;
    t = performance.now();
    const importerCounts = new Map();
    const modules = generateMonorepo(repo, { files, packages, seed, importerCounts });
    commitAll(repo);
    const generateMs = performance.now() - t;

    // The hubs: the files the generated code imports most often (ties broken by path).
    const changedList = [...importerCounts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, changedCount)
      .map(([path]) => path)
      .sort();
    const changedFile = join(work, 'changed.json');
    writeFileSync(changedFile, JSON.stringify(changedList));

    const nodeStart = measure(['-e', '0'], { cwd: repo, hook });
    const oursOut = join(work, 'ours.json');
    const ours = measure([oursScript, pathToFileURL(lib).href, repo, changedFile, oursOut], { cwd: repo, hook });
    const oursResult = JSON.parse(readFileSync(oursOut, 'utf8'));

    const report = {
      files: oursResult.files,
      moduleFiles: modules.length,
      packages,
      edges: oursResult.edges,
      changed: changedList.length,
      changedFiles: changedList,
      nodeStartMs: round(nodeStart.ms),
      ours: {
        ms: round(ours.ms), cpuMs: round(ours.cpuMs), peakMiB: round(ours.peakMiB), dependents: oursResult.dependents.length, maxDepth: oursResult.maxDepth,
        problems: oursResult.problems, unresolved: oursResult.unresolved, timings: mapValues(oursResult.timings, round),
      },
      depcruise: undefined,
      generateMs: round(generateMs),
      compileMs: round(compileMs),
    };

    // scope-guard itself, as the runner starts it, on a commit that edits the hub files: the same
    // dependents (every depth), start-up, config, diff, rules and summary included.
    const scopeGuard = measureScopeGuard(repo, work, changedList, oursResult.dependents);
    report.scopeGuard = scopeGuard;

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
        report.pass = report.depcruise.speedupAtLeast >= 20 ? 'partly (dependents not compared)' : false;
        return report;
      }
      const cruise = JSON.parse(readFileSync(out, 'utf8'));
      const edges = cruise.modules.map((m) => [m.source, m.dependencies.filter((d) => !d.couldNotResolve && !d.coreModule).map((d) => d.resolved)]);
      const theirs = dependentsFromEdges(edges, changedList);
      const mine = new Set(oursResult.dependents);
      const onlyOurs = [...mine].filter((f) => !theirs.has(f));
      const onlyTheirs = [...theirs].filter((f) => !mine.has(f));
      report.depcruise = {
        ms: round(dc.ms), cpuMs: round(dc.cpuMs), peakMiB: round(dc.peakMiB), dependents: theirs.size, modules: cruise.modules.length,
        speedup: round(dc.ms / ours.ms), cpuRatio: round(dc.cpuMs / ours.cpuMs), scopeGuardSpeedup: round(dc.ms / scopeGuard.ms),
        foundOfTheirs: round((100 * (theirs.size - onlyTheirs.length)) / Math.max(1, theirs.size)),
        sameDependents: onlyOurs.length === 0 && onlyTheirs.length === 0,
        onlyOurs: onlyOurs.slice(0, 5), onlyTheirs: onlyTheirs.slice(0, 5),
      };
    }
    report.pass = !report.depcruise
      ? 'not checked (dependency-cruiser not found: npm ci installs it, or set DEPCRUISE_BIN)'
      : report.depcruise.speedup >= 20 && report.depcruise.foundOfTheirs >= 95;
    return report;
  } finally {
    if (keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** dist/scope-guard on a commit appending a line to each changed file: median wall time of 3, its dependents against ours. */
function measureScopeGuard(repo, work, changedList, ourDependents) {
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: repo, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const base = git(['rev-parse', 'HEAD']);
  for (const file of changedList) writeFileSync(join(repo, file), `${readFileSync(join(repo, file), 'utf8')}// changed\n`);
  git(['commit', '-q', '-a', '-m', 'edit the hubs']);
  const config = join(work, 'scope.yml');
  writeFileSync(config, 'blast-radius:\n  max-depth: 1000\n');
  const step = actionStep('scope-guard', { workspace: repo, inputs: { base, head: 'HEAD', mode: 'warn', comment: 'false', config } });
  let radius = [];
  const samples = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    radius = JSON.parse(step.run().outputs['blast-radius']);
    if (i > 0) samples.push(performance.now() - start); // the first is a warm-up
  }
  samples.sort((a, b) => a - b);
  const found = new Set(radius.map((r) => r.file));
  const ours = new Set(ourDependents);
  return { ms: round(samples[1]), dependents: found.size, sameAsGraph: found.size === ours.size && [...found].every((f) => ours.has(f)) };
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
    else if (arg === '--packages') options.packages = Number(argv[++i]);
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
  console.log(`\n## blast radius: ${report.files} files (${report.moduleFiles} .ts/.tsx) in ${report.packages} packages, ${report.edges} import edges, ${report.changed} hub files changed`);
  console.log(`  node start            ${report.nodeStartMs} ms`);
  console.log(`  rollback-gate graph   ${o.ms} ms wall, ${o.cpuMs} ms CPU (git included), peak ${o.peakMiB} MiB: ${o.dependents} dependents (max depth ${o.maxDepth}), ${o.unresolved} unresolved imports`);
  console.log(`                        load ${o.timings.load} ms, git + scan + resolve + radius ${o.timings.radius} ms`);
  const sg = report.scopeGuard;
  if (sg) console.log(`  dist/scope-guard      ${sg.ms} ms wall (median of 3, start-up and summary included): ${sg.dependents} dependents, the graph's own: ${sg.sameAsGraph ? 'yes' : 'NO'}`);
  const d = report.depcruise;
  if (d?.timedOut) {
    console.log(`  dependency-cruiser    killed after ${d.ms} ms: speed-up at least ${d.speedupAtLeast}x`);
  } else if (d) {
    console.log(`  dependency-cruiser    ${d.ms} ms wall, ${d.cpuMs} ms CPU, peak ${d.peakMiB} MiB: ${d.dependents} dependents`);
    console.log(`  speed-up ${d.speedup}x wall (${d.cpuRatio}x CPU); found ${d.foundOfTheirs}% of its dependents; same dependents: ${d.sameDependents ? 'yes' : `NO (only ours: ${d.onlyOurs.join(', ')}; only theirs: ${d.onlyTheirs.join(', ')})`}`);
    if (d.scopeGuardSpeedup !== undefined) console.log(`  dist/scope-guard vs dependency-cruiser: ${d.scopeGuardSpeedup}x wall`);
  } else {
    console.log('  dependency-cruiser    skipped (not found: npm ci installs it; or pass --depcruise <bin> / set DEPCRUISE_BIN)');
  }
  console.log(`  targets (>= 20x, >= 95% of its dependents): ${report.pass === true ? 'met' : report.pass ? report.pass : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'graph', ...report }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = runGraphBenchmark(parseArgs(process.argv.slice(2)));
  printGraphReport(report);
  if (report.pass !== true) process.exitCode = 1;
}
