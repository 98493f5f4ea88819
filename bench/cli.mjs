// `rollback-gate status` on a 10,000-file repository (3,000 TypeScript modules importing each
// other, 7,000 other files) after a 5-commit agent session, against what a developer runs by hand
// instead: `git status` + `git diff --stat <checkpoint> HEAD`, measured in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, NODE24, ROOT, fmt, git, ratio, report, run, tempDir, timeMs } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli', 'index.js');

function repository() {
  const dir = join(tempDir(), 'repo');
  git(ROOT, ['init', '-q', '--initial-branch=main', dir]);
  const lines = ['commit refs/heads/main', 'committer B <b@example.com> 1700000000 +0000', 'data 4', 'base'];
  const inline = (path, text) => lines.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(text)}`, text);
  for (let i = 0; i < 3000; i++) {
    const pkg = i % 100;
    const prev = i >= 100 ? `import { v${i - 100} } from './mod${i - 100}';\n` : '';
    inline(`src/pkg${pkg}/mod${i}.ts`, `${prev}export const v${i} = ${i};\n`);
  }
  for (let i = 0; i < 7000; i++) inline(`docs/part${i % 70}/page${i}.md`, `# page ${i}\n`);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: `${lines.join('\n')}\n`, env: { ...process.env, ...GIT_ENV } });
  git(dir, ['reset', '-q', '--hard', 'main']);
  return dir;
}

/** CPU seconds (user + system) of a command and everything it starts (GNU time): steadier than wall time on a busy machine. */
function cpuMs(cmd, args, options) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { ...options, encoding: 'utf8' });
    const [user, sys] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
    samples.push((user + sys) * 1000);
  }
  return samples.sort((a, b) => a - b)[2];
}

export default function cliBench() {
  const dir = repository();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...GIT_ENV };
  run(NODE24, [CLI, 'checkpoint', '--session-id', 'bench', '--quiet'], { cwd: dir, env });
  for (let c = 0; c < 5; c++) {
    for (let f = 0; f < 2; f++) {
      const i = 1000 + c * 7 + f * 3;
      writeFileSync(join(dir, 'src', `pkg${i % 100}`, `mod${i}.ts`), `export const v${i} = ${i + 1}; // session ${c}\n`);
    }
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', `feat: step ${c}`, '-m', 'Co-authored-by: Claude <noreply@anthropic.com>']);
  }
  const files = git(dir, ['ls-files']).split('\n').length;
  const checkpoint = git(dir, ['rev-parse', 'checkpoint/bench^{commit}']);
  const gitBaseline = timeMs(() => {
    run('git', ['status', '--porcelain'], { cwd: dir, env });
    run('git', ['diff', '--stat', checkpoint, 'HEAD'], { cwd: dir, env });
  }, { runs: 5 });
  const status = timeMs(() => run(NODE24, [CLI, 'status'], { cwd: dir, env, allowFail: true }), { runs: 5 });
  const sample = run(NODE24, [CLI, 'status', '--json'], { cwd: dir, env, allowFail: true });
  const doc = JSON.parse(sample.stdout);
  const nodeStart = timeMs(() => run(NODE24, ['-e', '0']), { runs: 5 });
  const gitCpu = cpuMs('bash', ['-c', `git status --porcelain >/dev/null && git diff --stat ${checkpoint} HEAD >/dev/null`], { cwd: dir, env });
  const statusCpu = cpuMs(NODE24, [CLI, 'status'], { cwd: dir, env });
  report(`rollback-gate status: ${files} files, 5-commit session, ${doc.blastRadius.length} dependents in the blast radius (median of 5)`, [
    ['git status + git diff --stat <checkpoint> HEAD (by hand)', fmt(gitBaseline)],
    ['node -e 0 (Node start, the floor for any CLI)', fmt(nodeStart)],
    [`rollback-gate status (${doc.files.counted.length} files, ${doc.commits.length} commits, rollback now)`, `${fmt(status)}  (${ratio(status, gitBaseline)} git status + diff --stat)`],
    ['CPU time (user+sys): git status + git diff --stat', fmt(gitCpu)],
    ['CPU time (user+sys): rollback-gate status', `${fmt(statusCpu)}  (${ratio(statusCpu, gitCpu)})`],
  ]);
}
