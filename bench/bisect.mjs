// Bisect rounds with k runners: the engine's round planner (packages/core/src/rollback/bisect-rounds.ts,
// compiled with the project's tsc) drives a k-ary bisect of N commits for every culprit position,
// each round's probes answered at once; printed against ceil(log2 N), the rounds of one runner
// bisecting without its end checks, and against the bound ceil(log_{k+1} N) + 1.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, report, tempDir } from './lib.mjs';

/** The planner, compiled from the TypeScript source into a temporary folder (it imports only errors.ts). */
function compilePlanner() {
  const out = tempDir('rg-bench-bisect-');
  const sources = join(ROOT, 'packages', 'core', 'src');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [
    tsc, '--outDir', out, '--rootDir', sources, '--module', 'esnext', '--moduleResolution', 'bundler', '--target', 'es2023',
    '--types', 'node', '--skipLibCheck', '--declaration', 'false', join(sources, 'rollback', 'bisect-rounds.ts'),
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  return join(out, 'rollback', 'bisect-rounds.js');
}

/** Rounds until the planner names the culprit; the command fails from `culprit` on. */
function roundsFor(planBisectRound, range, k, culprit) {
  const verdicts = [];
  for (let rounds = 0; ; rounds++) {
    const plan = planBisectRound(range, verdicts, k);
    if (plan.status === 'culprit') {
      if (plan.index !== culprit) throw new Error(`k=${k}: culprit ${plan.index}, planted ${culprit}`);
      return { rounds, probes: verdicts.length };
    }
    if (plan.status !== 'probe') throw new Error(`k=${k} culprit ${culprit}: ${plan.status} ${plan.message}`);
    for (const p of plan.probes) verdicts.push({ commit: p.commit, verdict: p.index >= culprit ? 'bad' : 'good' });
  }
}

export default async function bisectBench() {
  const { planBisectRound, bisectRoundBound } = await import(pathToFileURL(compilePlanner()).href);
  const rows = [];
  for (const n of [64, 1000]) {
    const range = { good: 'g'.repeat(40), commits: Array.from({ length: n }, (_, i) => i.toString(16).padStart(40, '0')) };
    const log2 = Math.ceil(Math.log2(n));
    for (const k of [1, 4, 8]) {
      let worst = 0;
      let worstFirst = 0;
      let total = 0;
      let probes = 0;
      const start = process.hrtime.bigint();
      for (let culprit = 0; culprit < n; culprit++) {
        const r = roundsFor(planBisectRound, range, k, culprit);
        if (culprit === 0) worstFirst = r.rounds;
        else worst = Math.max(worst, r.rounds);
        total += r.rounds;
        probes += r.probes;
      }
      const planMs = Number(process.hrtime.bigint() - start) / 1e6 / total;
      const bound = bisectRoundBound(n, k);
      const within = worst <= bound && worstFirst <= bound ? 'within the bound' : worst <= bound && k === 1 ? 'culprit 0: +1 for the good end, as sequential' : 'OVER THE BOUND';
      rows.push([
        `N=${n} k=${k}: rounds, worst over ${n} culprits (first commit)`,
        `${worst} (${worstFirst}), mean ${(total / n).toFixed(2)}; ceil(log2 N) = ${log2}: ${(worst / log2).toFixed(2)}x; bound ${bound}, ${within}; ${(probes / n).toFixed(1)} probes; ${(planMs * 1000).toFixed(0)} µs/plan`,
      ]);
    }
  }
  report('bisect rounds with k runners (k-ary, every culprit position) vs ceil(log2 N)', rows);
}
