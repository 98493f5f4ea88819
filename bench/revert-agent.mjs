// revert-agent on a 50-commit session interleaving agent and human commits: the rollback bundle
// (dry run: resolve, classify, dependency evidence, reverts in memory) against the plain-git
// sequence a person would run (`git worktree add`, then `git revert --no-edit` of the same agent
// commits newest first), measured in the same run; the two trees must be equal.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { actionStep, fmt, git, median, ratio, repoWithRemote, report } from './lib.mjs';

const AGENT = 'Claude <noreply@anthropic.com>';

export function buildSession() {
  const { root, dir } = repoWithRemote();
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'docs'), { recursive: true });
  // A shared file both sides edit, each in its own block (far apart, so every revert applies).
  const blocks = Array.from({ length: 50 }, (_, i) => `// block ${i}\nexport const value${i} = ${i};\n${'\n'.repeat(3)}`);
  writeFileSync(join(dir, 'src/shared.ts'), blocks.join(''));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `src/module${i}.ts`), `export function f${i}() {\n  return ${i};\n}\n`);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  const base = git(dir, ['rev-parse', 'HEAD']);
  const agent = [];
  for (let i = 0; i < 50; i++) {
    const byAgent = i % 2 === 0;
    if (i % 5 === 0) {
      blocks[i] = `// block ${i}\nexport const value${i} = ${i * 10 + 1};\n${'\n'.repeat(3)}`;
      writeFileSync(join(dir, 'src/shared.ts'), blocks.join(''));
    } else if (byAgent) {
      writeFileSync(join(dir, `src/agent${i}.ts`), `export function agent${i}() {\n  return ${i};\n}\n`);
    } else {
      writeFileSync(join(dir, `docs/human${i}.md`), `# note ${i}\n`);
    }
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', ...(byAgent ? [`--author=${AGENT}`] : []), '-m', `${byAgent ? 'feat' : 'docs'}: step ${i}`]);
    if (byAgent) agent.unshift(git(dir, ['rev-parse', 'HEAD']));
  }
  git(dir, ['push', '-q', 'origin', 'main']);
  return { root, dir, base, tip: git(dir, ['rev-parse', 'HEAD']), agent };
}

export default function revertAgentBench() {
  const session = buildSession();
  const step = actionStep('rollback', {
    workspace: session.dir,
    inputs: { target: `${session.base}..${session.tip}`, strategy: 'revert-agent', 'dry-run': 'true' },
  });
  const actionSamples = [];
  let outputs;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    outputs = step.run().outputs;
    actionSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const actionTree = git(session.dir, ['rev-parse', `${outputs['rollback-sha']}^{tree}`]);
  const reverted = JSON.parse(outputs.commits);

  // The same engine reverting every commit of the range (no classification, no dependency evidence).
  const rangeStep = actionStep('rollback', {
    workspace: session.dir,
    inputs: { target: `${session.base}..${session.tip}`, strategy: 'revert-range', 'dry-run': 'true' },
  });
  const rangeSamples = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    rangeStep.run();
    rangeSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }

  const plainSamples = [];
  let plainTree = '';
  for (let i = 0; i < 3; i++) {
    const wt = join(session.root, `plain-${i}`);
    const start = process.hrtime.bigint();
    git(session.dir, ['worktree', 'add', '-q', '--detach', wt, session.tip]);
    git(wt, ['revert', '--no-edit', ...session.agent]);
    plainSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
    plainTree = git(wt, ['rev-parse', 'HEAD^{tree}']);
    git(session.dir, ['worktree', 'remove', '--force', wt]);
  }
  const actionMs = median(actionSamples);
  const plainMs = median(plainSamples);
  report('revert-agent: 50-commit session, 25 agent commits interleaved with 25 human ones (dry run, median of 3)', [
    ['git worktree add + git revert --no-edit (25 agent commits)', fmt(plainMs)],
    ['dist/rollback strategy: revert-agent (whole action run)', `${fmt(actionMs)} (${ratio(actionMs, plainMs)} plain)`],
    ['dist/rollback strategy: revert-range, all 50 (same engine)', `${fmt(median(rangeSamples))} (revert-agent: ${ratio(actionMs, median(rangeSamples))} of it)`],
    ['agent commits reverted', `${reverted.length} of ${session.agent.length}${JSON.stringify(reverted) === JSON.stringify(session.agent) ? ', the same, newest first' : ': NOT the agent commits'}`],
    ['same tree as plain git', actionTree === plainTree ? 'yes' : `NO: ${actionTree} vs ${plainTree}`],
  ]);
}
