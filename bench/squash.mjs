// squash-session on a 50-commit session in a 10,000-file repository, against the plain git
// commands that do the same work (commit-tree of the head's tree on the base, a backup ref,
// one atomic leased push), both measured in the same run against a local bare remote.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, actionStep, fmt, git, ratio, repoWithRemote, report, run, timeMs } from './lib.mjs';

function buildRepo(files = 10_000, commits = 50) {
  const { root, remote, dir } = repoWithRemote();
  for (let i = 0; i < files; i++) {
    const folder = join(dir, 'src', `pkg${i % 100}`);
    if (i < 100) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file${i}.ts`), `export const v${i} = ${i};\n`);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  git(dir, ['switch', '-q', '-c', 'feature']);
  for (let c = 0; c < commits; c++) {
    for (let k = 0; k < 3; k++) {
      const i = (c * 37 + k * 101) % files;
      writeFileSync(join(dir, 'src', `pkg${i % 100}`, `file${i}.ts`), `export const v${i} = ${c * 10 + k};\n`);
    }
    if (c % 10 === 9) git(dir, ['mv', join('src', `pkg${c % 100}`, `file${c}.ts`), join('src', `pkg${c % 100}`, `renamed${c}.ts`)]);
    git(dir, ['commit', '-q', '-a', '-m', `feat: step ${c}\n\nCo-authored-by: Claude <noreply@anthropic.com>`]);
  }
  git(dir, ['push', '-q', 'origin', 'main', 'feature']);
  git(dir, ['switch', '-q', '--detach', 'main']);
  return { root, dir, remote, head: git(dir, ['rev-parse', 'feature']), base: git(dir, ['rev-parse', 'main']) };
}

function resetRemote(repo) {
  git(repo.remote, ['update-ref', 'refs/heads/feature', repo.head]);
  git(repo.dir, ['update-ref', 'refs/heads/feature', repo.head]);
  for (const ref of git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/rollback-gate']).split('\n').filter(Boolean)) {
    git(repo.remote, ['update-ref', '-d', ref]);
  }
  for (const ref of git(repo.dir, ['for-each-ref', '--format=%(refname)', 'refs/rollback-gate']).split('\n').filter(Boolean)) {
    git(repo.dir, ['update-ref', '-d', ref]);
  }
}

export default function squashBench() {
  const repo = buildRepo();
  const step = actionStep('squash-session', { workspace: repo.dir, inputs: { 'session-id': 'bench', branch: 'feature', base: repo.base } });
  const action = timeMs(
    () => {
      resetRemote(repo);
      step.run();
    },
    { runs: 5 },
  );
  const plain = timeMs(
    () => {
      resetRemote(repo);
      const cmd = (args, input) => run('git', args, { cwd: repo.dir, env: { ...process.env, ...GIT_ENV }, input });
      cmd(['fetch', '-q', 'origin', '+refs/heads/feature:refs/remotes/origin/feature']);
      const tree = cmd(['rev-parse', 'origin/feature^{tree}']).stdout.trim();
      const sha = cmd(['commit-tree', tree, '-p', repo.base, '-F', '-'], 'squash\n').stdout.trim();
      cmd(['update-ref', 'refs/rollback-gate/backup/bench', repo.head]);
      cmd(['push', '-q', '--atomic', `--force-with-lease=refs/heads/feature:${repo.head}`, 'origin', `${sha}:refs/heads/feature`, `${repo.head}:refs/rollback-gate/backup/bench`]);
    },
    { runs: 5 },
  );
  report('squash-session: 50-commit session, 10,000-file repository (median of 5, local bare remote)', [
    ['plain git (fetch, commit-tree, update-ref, atomic leased push)', fmt(plain)],
    ['dist/squash-session (all checks, classification, message, push)', `${fmt(action)}  (${ratio(action, plain)} plain git)`],
  ]);
}
