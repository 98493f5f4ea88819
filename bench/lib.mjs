// Small helpers for benchmarks: wall-clock medians of real commands, ratios against a baseline measured in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareRun, runPreparedSync } from '../scripts/runner.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE24 = join(ROOT, 'node_modules', '.bin', 'node');

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function tempDir(prefix = 'rg-bench-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function git(cwd, args, input) {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, input, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
}

/** A clone with a bare `origin`, both on `main`, under a new temporary folder. */
export function repoWithRemote() {
  const root = tempDir();
  const remote = join(root, 'remote.git');
  const dir = join(root, 'work');
  git(root, ['init', '-q', '--bare', '--initial-branch=main', remote]);
  git(root, ['init', '-q', '--initial-branch=main', dir]);
  git(dir, ['remote', 'add', 'origin', remote]);
  return { root, remote, dir };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` `runs` times (after one warm-up unless warm=false) and returns the median milliseconds. */
export function timeMs(fn, { runs = 7, warm = true } = {}) {
  if (warm) fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

export function run(cmd, args, options = {}) {
  const { allowFail: _allowFail, ...spawnOptions } = options;
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...spawnOptions });
  if (result.status !== 0 && !options.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result;
}

export function report(title, rows) {
  console.log(`\n## ${title}`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(58)} ${value}`);
}

export const fmt = (ms) => `${ms.toFixed(1)} ms`;
export const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

/**
 * A bundle prepared once through the shared runner emulation (scripts/runner.mjs) with the bench's
 * git identity; `step.run()` runs it again (the runner's files emptied first) and throws when it
 * fails unless allowFail.
 */
export function actionStep(name, { workspace, inputs = {}, event, env = {}, cwd, filesDir }) {
  const prepared = prepareRun(name, { workspace, inputs, event, cwd, filesDir, env: { ...GIT_ENV, ...env } });
  return {
    prepared,
    run({ allowFail = false } = {}) {
      const result = runPreparedSync(prepared);
      if (result.exitCode !== 0 && !allowFail) throw new Error(`dist/${name} failed (exit ${result.exitCode}): ${result.stderr}${result.stdout}`);
      return result;
    },
  };
}
