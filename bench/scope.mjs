// scope-guard's changed-files check on 80,000 changed files, against `git diff --name-status -z`
// alone and against git diff plus a bare Node start (the floor any action can reach), same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, NODE24, ROOT, actionStep, fmt, git, median, ratio, report, run, tempDir, timeMs } from './lib.mjs';

/** Peak resident memory of a command, in MiB (GNU time's %M). */
function peakMiB(cmd, args, options) {
  const result = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { ...options, encoding: 'utf8' });
  return Number(result.stderr.trim().split('\n').pop()) / 1024;
}

/** User + system CPU milliseconds of a command and its children (GNU time). */
function cpuMs(cmd, args, options) {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  const [user, system] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
  return (user + system) * 1000;
}

export default function scopeBench() {
  const dir = join(tempDir(), 'repo');
  git(ROOT, ['init', '-q', '--initial-branch=main', dir]);
  writeFileSync(join(dir, 'README.md'), 'x\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  const base = git(dir, ['rev-parse', 'HEAD']);
  const lines = ['blob', 'mark :1', 'data 2', 'x', 'commit refs/heads/main', 'committer B <b@example.com> 1700000000 +0000', 'data 4', 'big', `from ${base}`];
  for (let i = 0; i < 80_000; i++) lines.push(`M 100644 :1 src/pkg${i % 400}/layer${i % 3}/file${i}.ts`);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: `${lines.join('\n')}\n`, env: { ...process.env, ...GIT_ENV } });
  const files = tempDir();
  writeFileSync(join(files, 'config.yml'), 'scope:\n  max-files: 5\n  layers:\n    l0: ["src/*/layer0/**"]\n    l1: ["src/*/layer1/**"]\n    l2: ["src/*/layer2/**"]\n  protected: [{ paths: ["src/pkg7/**"], reason: "x", require-label: ok }]\n');
  const step = actionStep('scope-guard', {
    workspace: dir,
    inputs: { base, head: 'main', mode: 'warn', comment: 'false', config: join(files, 'config.yml') },
  });
  const diff = timeMs(() => run('git', ['diff', '--name-status', '-z', '-M', base, 'main'], { cwd: dir }), { runs: 5 });
  const nodeStart = timeMs(() => run(NODE24, ['-e', '0']), { runs: 5 });
  let counted;
  const action = timeMs(() => (counted = step.run().outputs['files-changed']), { runs: 5 });
  const peak = peakMiB(NODE24, [step.prepared.bundle], { cwd: step.prepared.cwd, env: step.prepared.env });
  // CPU time (user + system, children included) is steadier than wall time on a busy machine.
  const floorCpu = median([0, 1, 2].map(() => cpuMs('git', ['diff', '--name-status', '-z', '-M', base, 'main'], { cwd: dir }) + cpuMs(NODE24, ['-e', '0'], {})));
  const actionCpu = median([0, 1, 2].map(() => cpuMs(NODE24, [step.prepared.bundle], { cwd: step.prepared.cwd, env: step.prepared.env })));
  report('scope-guard: 80,000 changed files, 3 layers, a protected path (median of 5)', [
    ['git diff --name-status -z -M alone', fmt(diff)],
    ['git diff + node -e 0 (the floor for any action)', fmt(diff + nodeStart)],
    [`dist/scope-guard (files-changed=${counted}, layers, protected, blast radius)`, `${fmt(action)}  (${ratio(action, diff)} git diff; ${ratio(action, diff + nodeStart)} the floor; target <= 4x the floor)`],
    ['CPU time: git diff + node -e 0 / dist/scope-guard (git included)', `${fmt(floorCpu)} / ${fmt(actionCpu)}  (${ratio(actionCpu, floorCpu)})`],
    ['peak memory of the action (max RSS)', `${peak.toFixed(0)} MiB`],
  ]);
}
