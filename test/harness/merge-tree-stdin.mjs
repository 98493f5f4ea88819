// `git merge-tree --stdin` with a base on each line (what git 2.42+ answers), on a git that lacks it
// (this machine's 2.39), for tests of the batch path: each line `[<base> -- ]<ours> <theirs>` is
// merged by one `git merge-tree --write-tree` of two commits made on the base (as the
// one-process-per-merge path does), and answered as --stdin frames it: `<1 clean | 0>` NUL, the
// one-merge output (-z --name-only --messages), NUL. Answers are written as each line is read,
// all but the final NUL, which leaves with the next answer or at the end of input: as git 2.47 does
// (its last byte stays in stdio's buffer), so a caller that waits for it without sending more hangs.
// With MERGE_TREE_STDIN_LOG set, each line is appended to that file. With MERGE_TREE_STDIN_ABORT_AT=n,
// the process kills itself with SIGABRT on its n-th line (as merge-ort's assertions do), writing
// `ABORT` to the log first.
//
//   node merge-tree-stdin.mjs <real git> <git's arguments...>
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [realGit, ...args] = process.argv.slice(2);
const options = args.slice(0, args.indexOf('merge-tree')); // `-c key=value` and the like, kept
const identity = {
  GIT_AUTHOR_NAME: 'emulated merge-tree --stdin',
  GIT_AUTHOR_EMAIL: 'stdin@rollback-gate.invalid',
  GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_NAME: 'emulated merge-tree --stdin',
  GIT_COMMITTER_EMAIL: 'stdin@rollback-gate.invalid',
  GIT_COMMITTER_DATE: '@0 +0000',
};
const git = (gitArgs) => execFileSync(realGit, [...options, ...gitArgs], { env: { ...process.env, ...identity }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const commitOn = (treeish, parents) => git(['commit-tree', `${treeish}^{tree}`, ...parents.flatMap((p) => ['-p', p]), '-m', 'emulated']);

const abortAt = Number(process.env.MERGE_TREE_STDIN_ABORT_AT ?? 0);
let lines = 0;
/** The last answer's final NUL, not yet written. */
let held = false;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line === '') continue;
  if (++lines === abortAt) {
    if (process.env.MERGE_TREE_STDIN_LOG) appendFileSync(process.env.MERGE_TREE_STDIN_LOG, 'ABORT\n');
    process.kill(process.pid, 'SIGABRT');
  }
  if (process.env.MERGE_TREE_STDIN_LOG) appendFileSync(process.env.MERGE_TREE_STDIN_LOG, `${line}\n`);
  const [left, right] = line.includes(' -- ') ? line.split(' -- ') : [undefined, line];
  const [ours, theirs] = right.split(' ');
  let pair = [ours, theirs];
  if (left !== undefined) {
    const base = commitOn(left, []);
    pair = [commitOn(ours, [base]), commitOn(theirs, [base])];
  }
  const merged = spawnSync(realGit, [...options, 'merge-tree', '--write-tree', '-z', '--name-only', '--messages', '--allow-unrelated-histories', ...pair], { env: process.env });
  if (merged.status !== 0 && merged.status !== 1) {
    process.stderr.write(merged.stderr);
    process.exit(merged.status ?? 128);
  }
  writeSync(1, Buffer.concat([Buffer.from(held ? '\0' : ''), Buffer.from(`${merged.status === 0 ? 1 : 0}\0`), merged.stdout]));
  held = true;
}
if (held) writeSync(1, '\0');
