// Bisecting a 64-commit session with one planted culprit: the rollback bundle (probe count and
// wall time, dry run) against plain `git bisect run` of the same command in the same run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, actionStep, fmt, git, ratio, repoWithRemote, report, run } from './lib.mjs';

function buildSession() {
  const { root, dir } = repoWithRemote();
  writeFileSync(join(dir, 'core.ts'), 'export const value = 1;\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  const good = git(dir, ['rev-parse', 'HEAD']);
  for (let i = 0; i < 64; i++) {
    if (i === 23) writeFileSync(join(dir, 'core.ts'), 'export const value = 1; // BUG\n');
    else writeFileSync(join(dir, `note${i}.md`), `${i}\n`);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', `feat: step ${i}`]);
  }
  git(dir, ['push', '-q', 'origin', 'main']);
  return { root, dir, good, bad: git(dir, ['rev-parse', 'HEAD']) };
}

export default function rollbackBench() {
  const session = buildSession();
  const command = '! grep -q BUG core.ts';
  const step = actionStep('rollback', {
    workspace: session.dir,
    inputs: { target: `${session.good}..${session.bad}`, strategy: 'bisect', 'bisect-command': command, 'dry-run': 'true' },
  });
  let start = process.hrtime.bigint();
  const outputs = step.run().outputs;
  const actionMs = Number(process.hrtime.bigint() - start) / 1e6;
  const reportPath = outputs['report-path'];
  const rep = JSON.parse(readFileSync(reportPath, 'utf8'));

  const plain = join(session.root, 'plain');
  git(session.root, ['clone', '-q', session.dir, plain]);
  start = process.hrtime.bigint();
  git(plain, ['bisect', 'start', session.bad, session.good]);
  const out = run('sh', ['-c', `git bisect run sh -c '${command}'`], { cwd: plain, env: { ...process.env, ...GIT_ENV } }).stdout;
  const plainMs = Number(process.hrtime.bigint() - start) / 1e6;
  const plainRuns = (out.match(/^running /gm) ?? []).length;
  report('rollback bisect: 64-commit session, one planted culprit (dry run)', [
    ['git bisect run (plain git)', `${fmt(plainMs)}, ${plainRuns} test runs`],
    ['dist/rollback strategy: bisect (+ cascade, revert, checks)', `${fmt(actionMs)}, ${rep.bisect.runs} test runs (${ratio(actionMs, plainMs)} plain; bound ceil(log2 64)+1 = 7)`],
    ['culprit found', rep.culprit === git(session.dir, ['rev-parse', 'HEAD~40']) ? 'yes (the planted commit)' : `NO: ${rep.culprit}`],
  ]);
}
