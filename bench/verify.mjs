// verify-rollback on a 10,000-file repository: the pr-mode verdict (no checks) for a window of 50
// units, against one plain `git worktree add` of the tip measured in the same run (target: at most
// 1x, issue 16), and how the verdict's time grows with the window (10, 50, 200 units). Whether the
// merges went through one `git merge-tree --stdin` (git 2.42+) or one process each is printed. Every run goes through
// the bundle as the runner starts it; the plain baseline is git alone.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, NODE24, actionStep, fmt, git, median, ratio, report, tempDir, timeMs } from './lib.mjs';

/** User + system CPU milliseconds of a command and its children (GNU time): steadier than wall time on a busy machine. */
function cpuMs(cmd, args, options) {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}`);
  const [user, system] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
  return (user + system) * 1000;
}

const FILES = 10_000;
const UNITS = 200;

const path = (i) => `src/pkg${i % 100}/file${i}.ts`;
/** Eight lines: units change the first, the pull request the last. */
const content = (i, version, last = `export const name${i} = 'file ${i}';`) =>
  [`export const v${i} = ${version};`, ...Array.from({ length: 6 }, (_, k) => `// file ${i}, line ${k + 2}`), last].join('\n') + '\n';

/** Builds main with FILES files and UNITS squash-style units through one `git fast-import`. */
export function buildRepo() {
  const root = tempDir();
  const dir = join(root, 'work');
  git(root, ['init', '-q', '--initial-branch=main', dir]);
  const now = Math.floor(Date.now() / 1000) - UNITS * 60;
  const chunks = [];
  const inline = (file, text) => `M 100644 inline ${file}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  const commit = (message, time, body) =>
    `commit refs/heads/main\ncommitter Bench <bench@example.com> ${time} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n${body}\n`;
  const files = [];
  for (let i = 0; i < FILES; i++) files.push(inline(path(i), content(i, 0)));
  chunks.push(commit('base', now, files.join('')));
  for (let u = 1; u <= UNITS; u++) {
    // Three files no other unit touches, so each unit reverts alone; every tenth unit also edits the
    // file of the unit five before it, which then needs it (a with-later search in the verdict).
    const edits = [0, 1, 2].map((k) => ((u * 3 + k) * 13) % FILES);
    const body = edits.map((i) => inline(path(i), content(i, u)));
    if (u % 10 === 0) {
      const earlier = (((u - 5) * 3) * 13) % FILES;
      body.push(inline(path(earlier), content(earlier, u)));
    }
    chunks.push(commit(`Unit ${u} (#${u})`, now + u * 60, body.join('')));
  }
  git(dir, ['fast-import', '--quiet'], chunks.join(''));
  git(dir, ['checkout', '-q', '-f', 'main']);
  const base = git(dir, ['rev-parse', 'main']);
  // The pull request: edits five files, one of them a file the newest unit changed (other lines),
  // so that unit's revert is simulated after the landing too; nothing is entangled.
  git(dir, ['switch', '-q', '-c', 'feature']);
  const recent = ((UNITS * 3) * 13) % FILES;
  writeFileSync(join(dir, path(recent)), content(recent, UNITS, `export const name${recent} = 'renamed';`));
  for (let k = 0; k < 4; k++) writeFileSync(join(dir, path(9000 + k)), content(9000 + k, 'pr'));
  git(dir, ['commit', '-q', '-a', '-m', 'agent: the change under review']);
  const head = git(dir, ['rev-parse', 'HEAD']);
  git(dir, ['switch', '-q', 'main']);
  return { root, dir, base, head };
}

export default function verifyBench() {
  const repo = buildRepo();
  const files = tempDir();
  const payload = { number: 7, pull_request: { number: 7, labels: [], base: { sha: repo.base, ref: 'main' }, head: { sha: repo.head, ref: 'feature' } } };
  let batchedMerges = false;
  const verdict = (window, mode = 'pr', env = {}) => {
    const config = join(files, `window-${window}.yml`);
    writeFileSync(config, `verify:\n  window: { commits: ${window}, days: 3650 }\n`);
    const event = mode === 'pr' ? { name: 'pull_request', payload } : { name: 'workflow_dispatch', payload };
    const result = actionStep('verify-rollback', { workspace: repo.dir, event, inputs: { config, mode }, env }).run({ allowFail: true });
    if (!result.outputs.units) throw new Error(`verify-rollback failed: ${result.stdout}\n${result.stderr}`);
    batchedMerges = /one merge-tree --stdin process/.test(result.stdout);
    return JSON.parse(result.outputs.units).length;
  };

  const worktree = join(repo.root, 'wt');
  const addSamples = [];
  for (let i = 0; i < 4; i++) {
    const start = process.hrtime.bigint();
    git(repo.dir, ['worktree', 'add', '-q', '--detach', worktree, repo.base]);
    addSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
    git(repo.dir, ['worktree', 'remove', '--force', worktree]);
  }
  const plain = median(addSamples.slice(1)); // the first is a warm-up
  const addCpu = median(
    [0, 1, 2].map(() => {
      const ms = cpuMs('git', ['worktree', 'add', '-q', '--detach', worktree, repo.base], { cwd: repo.dir, env: { ...process.env, ...GIT_ENV } });
      git(repo.dir, ['worktree', 'remove', '--force', worktree]);
      return ms;
    }),
  );

  const rows = [[`git worktree add of the tip (${FILES.toLocaleString('en')} files, median of 3)`, fmt(plain)]];
  verdict(50); // warm-up
  for (const window of [10, 50, 200]) {
    let units = 0;
    const ms = timeMs(() => (units = verdict(window)), { runs: 5, warm: false });
    const target = window === 50 ? `; target <= 1.00x` : '';
    rows.push([`dist/verify-rollback pr verdict, window ${window} (${units} units)`, `${fmt(ms)}  (${ratio(ms, plain)} worktree add${target})`]);
  }
  // The same verdict with every revert merged (the reverts that need no merge turned off): the path before.
  const merged = timeMs(() => verdict(50, 'pr', { ROLLBACK_GATE_EXACT_REVERTS: '0' }), { runs: 5, warm: false });
  rows.push(['the same, every revert merged (ROLLBACK_GATE_EXACT_REVERTS=0)', `${fmt(merged)}  (${ratio(merged, plain)} worktree add)`]);
  // CPU time of the window-50 verdict (the bundle and every git it starts), same run.
  const cpuConfig = join(files, 'window-50.yml');
  const cpuStep = actionStep('verify-rollback', { workspace: repo.dir, event: { name: 'pull_request', payload }, inputs: { config: cpuConfig, mode: 'pr' } });
  const verdictCpu = median([0, 1, 2].map(() => cpuMs(NODE24, [cpuStep.prepared.bundle], { cwd: cpuStep.prepared.cwd, env: cpuStep.prepared.env })));
  rows.push(['CPU time: git worktree add / pr verdict, window 50 (git included)', `${fmt(addCpu)} / ${fmt(verdictCpu)}  (${ratio(verdictCpu, addCpu)})`]);
  const drill = timeMs(() => verdict(50, 'drill'), { runs: 3, warm: false });
  rows.push(['dist/verify-rollback drill, window 50, no checks', `${fmt(drill)}  (${ratio(drill, plain)} worktree add)`]);
  rows.push(['merges', batchedMerges ? 'one git merge-tree --stdin process (git 2.42+)' : `one git merge-tree per merge (${git(repo.dir, ['--version'])}: no merge-tree --stdin with a base per line)`]);
  report(`verify-rollback: ${FILES.toLocaleString('en')}-file repository, ${UNITS} units on main (median of 5)`, rows);
  rmSync(repo.root, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
}
