// Time to plan a rollback at alert time: executing the plan stored when the change landed
// (`phase: apply` with the target, dry run: load refs/rollback-gate/plans/<sha>, verify its seal and
// the landed commit, recompute the revert and compare the tree; no command run) against planning it
// from scratch (`phase: plan` on the same target: resolve, revert, run the config's check, scan,
// seal) on the same repository, in the same run. Also: from scratch with no check configured (the
// planning alone), and what storing the plan costs at push time (off the alert's critical path).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionStep, fmt, git, ratio, repoWithRemote, report, timeMs } from './lib.mjs';

const FILES = 2000;
const COMMITS = 200;

function buildRepository(check) {
  const { dir } = repoWithRemote();
  mkdirSync(join(dir, '.github'), { recursive: true });
  for (let d = 0; d < FILES / 50; d++) {
    mkdirSync(join(dir, 'src', `m${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(dir, 'src', `m${d}`, `f${f}.js`), `export const v${f} = ${d * 50 + f};\n`.repeat(20));
  }
  const config = check ? `verify:\n  commands:\n    - name: tests\n      run: ${JSON.stringify(check)}\n` : 'verify:\n  commands: []\n';
  writeFileSync(join(dir, '.github', 'rollback-gate.yml'), config);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  for (let i = 0; i < COMMITS; i++) {
    writeFileSync(join(dir, 'src', `m${i % (FILES / 50)}`, `f${i % 50}.js`), `export const changed${i} = ${i};\n`);
    git(dir, ['commit', '-q', '-am', `feat: change ${i} (#${i + 1})`]);
  }
  git(dir, ['push', '-q', 'origin', 'main']);
  const before = git(dir, ['rev-parse', 'HEAD']);
  writeFileSync(join(dir, 'src', 'm3', 'f7.js'), 'export const broken = true;\n');
  git(dir, ['commit', '-q', '-am', `feat: the change that breaks (#${COMMITS + 1})`]);
  git(dir, ['push', '-q', 'origin', 'main']);
  return { dir, before, landed: git(dir, ['rev-parse', 'HEAD']) };
}

function measure(check) {
  const repo = buildRepository(check);
  const push = { name: 'push', payload: { ref: 'refs/heads/main', before: repo.before, after: repo.landed, repository: { default_branch: 'main', full_name: 'octo-org/octo-repo', name: 'octo-repo', owner: { login: 'octo-org' } } } };
  // From scratch first: once a plan is stored, phase plan uses it too.
  const scratch = actionStep('rollback', { workspace: repo.dir, inputs: { token: '', phase: 'plan', target: repo.landed } });
  const scratchMs = timeMs(() => scratch.run(), { runs: 5 });
  const fresh = JSON.parse(readFileSync(scratch.run().outputs['plan-path'], 'utf8'));
  if (fresh.prebuilt) throw new Error('the from-scratch plan used a stored plan');

  const store = actionStep('verify-rollback', { workspace: repo.dir, event: push, inputs: { token: '', 'store-plan': 'true' } });
  const storeStart = process.hrtime.bigint();
  const stored = JSON.parse(store.run().outputs['stored-plans']);
  const storeMs = Number(process.hrtime.bigint() - storeStart) / 1e6;
  if (stored[0]?.status !== 'stored') throw new Error(`no plan stored: ${JSON.stringify(stored)}`);

  const prebuilt = actionStep('rollback', { workspace: repo.dir, inputs: { token: '', phase: 'apply', target: repo.landed, 'dry-run': 'true' } });
  const prebuiltMs = timeMs(() => prebuilt.run(), { runs: 5 });
  // Same target, same tree: the stored plan and the fresh one agree.
  const executed = JSON.parse(readFileSync(prebuilt.run().outputs['report-path'], 'utf8'));
  const same = fresh.expectedTree === git(repo.dir, ['rev-parse', `${repo.before}^{tree}`]) && executed.prebuilt?.movedBy === 0 && JSON.stringify(executed.commits) === JSON.stringify([repo.landed]);
  return { storeMs, prebuiltMs, scratchMs, same };
}

/** `4.44x faster than from scratch`, or `1.16x slower than from scratch` when the pre-built path loses. */
const speed = (scratchMs, prebuiltMs) =>
  prebuiltMs <= scratchMs ? `${ratio(scratchMs, prebuiltMs)} faster than from scratch` : `${ratio(prebuiltMs, scratchMs)} slower than from scratch`;

export default function prebuiltPlanBench() {
  // A check that stands for a test suite: about a second of work on the rolled-back tree.
  const withCheck = measure('node -e "const t=Date.now(); while (Date.now()-t < 1000);"');
  const noCheck = measure('');
  report(`pre-built rollback plan: time to plan at alert time (${FILES} files, ${COMMITS + 2} commits, median of 5)`, [
    ['from scratch: phase plan, one ~1 s check configured', fmt(withCheck.scratchMs)],
    ['pre-built: phase apply --target (stored plan, dry run)', `${fmt(withCheck.prebuiltMs)} (${speed(withCheck.scratchMs, withCheck.prebuiltMs)})`],
    ['from scratch: phase plan, no check configured', fmt(noCheck.scratchMs)],
    ['pre-built: the same, on that repository', `${fmt(noCheck.prebuiltMs)} (${speed(noCheck.scratchMs, noCheck.prebuiltMs)})`],
    ['storing the plan at push time (verify-rollback store-plan)', `${fmt(withCheck.storeMs)} (once per landing, not at alert time)`],
    ['same reverts and tree either way', withCheck.same && noCheck.same ? 'yes' : 'NO'],
  ]);
}
