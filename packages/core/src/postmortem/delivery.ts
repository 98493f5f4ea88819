/**
 * Delivering a postmortem record with git: a commit built in a temporary index (the user's index
 * and working tree are never touched by it), pushed either to the current branch leased on the sha
 * checked out, or to a new `postmortem/<id>` branch leased on that branch not existing, with a
 * pull request opened through the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import type { Git } from '../git/git.js';
import { POSTMORTEM_BRANCH_PREFIX, TRAILERS, trailerLine } from '../git/protocol.js';
import { pushAtomic, type PushRejection } from '../git/push.js';
import { GitHubApiError } from '../github/github.js';
import {
  formatRecoveryMinutes,
  parseRecoveryLog,
  recoveryStats,
  sameRecoveryEvent,
  type RecoveryRecord,
  type RecoveryStats,
} from './record.js';
import { recordBody } from './summary.js';
import type { PostmortemDeps, PostmortemDelivery, PostmortemRequest } from './types.js';

export interface TreeEntry {
  mode: string;
  blob: string;
}

async function treeEntry(git: Git, commit: string, path: string): Promise<TreeEntry | undefined> {
  const out = await git.run(['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', commit, '--', path]);
  for (const entry of out.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0 || entry.slice(tab + 1) !== path) continue;
    const [mode = '', type = '', blob = ''] = entry.slice(0, tab).split(' ');
    if (type !== 'blob' || mode === '120000') {
      throw new UserError(`${path} is not a regular file in ${commit.slice(0, 12)} (it is a ${mode === '120000' ? 'symbolic link' : type}).`, 'Point `log` at a Markdown file.');
    }
    return { mode, blob };
  }
  return undefined;
}

/** A commit of `parent` with one file changed, built in a temporary index (the user's index is not touched). */
export async function commitFile(git: Git, parent: string, path: string, content: string, mode: string, message: string): Promise<{ commit: string; blob: string }> {
  const blob = await git.text(['hash-object', '-w', '--stdin'], { input: content });
  const dir = mkdtempSync(join(tmpdir(), 'rg-postmortem-'));
  try {
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    await git.run(['read-tree', parent], { env });
    await git.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
    const tree = await git.text(['write-tree'], { env });
    const commit = await git.text(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env: { ...env, ...(await git.identityEnv()) } });
    return { commit, blob };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function commitMessage(record: RecoveryRecord, stats: RecoveryStats): string {
  const ttr = record.ttrMinutes !== null ? `Time to recovery: ${formatRecoveryMinutes(record.ttrMinutes)}.` : 'The rollback failed: recorded as a failed recovery, not counted in MTTR.';
  const mttr = stats.mttrMinutes !== null ? ` MTTR over ${stats.recoveries} ${stats.recoveries === 1 ? 'recovery' : 'recoveries'}: ${formatRecoveryMinutes(stats.mttrMinutes)}.` : '';
  return `docs(postmortem): record recovery event ${record.id}\n\n${ttr}${mttr}\n\n${trailerLine(TRAILERS.postmortemId, record.id)}\n`;
}

function describeMovedBranch(branch: string, expected: string, rejection: PushRejection): string {
  const { remote, output } = rejection;
  const now = rejection.refs[0]?.actual;
  if (!now) return `the push was rejected: ${branch} does not exist on ${remote}. ${output}`;
  if (now !== expected) return `the push was rejected: ${branch} is at ${now} on ${remote}, not at ${expected} as checked out here (someone pushed meanwhile, or this checkout is not at the branch's tip).`;
  return `the push to ${remote} was rejected: ${output}`;
}

/** The log's text at a commit, if it is there. */
export async function logAt(git: Git, commit: string, path: string): Promise<{ text: string; entry: TreeEntry } | undefined> {
  const entry = await treeEntry(git, commit, path);
  if (!entry) return undefined;
  return { text: (await git.run(['cat-file', 'blob', entry.blob])).stdout, entry };
}

/** What both deliveries commit: the log's new text, on top of `head`. */
interface RecordWork {
  remote: string;
  head: string;
  logPath: string;
  text: string;
  mode: string;
  message: string;
}

export interface PushWork extends RecordWork {
  /** Writes the new log into the working tree; called once the push succeeded. */
  write: () => void;
}

/**
 * Commits the record on the current branch and pushes it leased on the sha checked out
 * (`--force-with-lease=<branch>:<HEAD>`): if the branch moved on the remote, nothing is pushed
 * and nothing changes here. Then the checkout follows: branch, remote-tracking ref, index, file.
 */
export async function deliverByPush(deps: PostmortemDeps, request: PostmortemRequest, work: PushWork, delivery: PostmortemDelivery): Promise<void> {
  const { git, log } = deps;
  const { remote, head, logPath, mode } = work;
  const current = await git.currentBranch();
  const branch = current ?? request.branch;
  if (!branch) throw new UserError('HEAD is detached and the run names no branch; there is no branch to push the record to.', 'Check out a branch, or use `commit: branch`.');
  delivery.branch = branch;
  const { commit, blob } = await commitFile(git, head, logPath, work.text, mode, work.message);
  const pushed = await pushAtomic(git, remote, [{ ref: `refs/heads/${branch}`, to: commit, expect: head }]);
  if (!pushed.pushed) {
    throw new UserError(
      `${describeMovedBranch(branch, head, pushed.rejection)} Nothing was pushed, and ${logPath} was not changed.`,
      'Fetch the branch\'s new tip and run again (the record is appended to whatever the log holds then), or use `commit: branch`.',
    );
  }
  delivery.commit = commit;
  delivery.pushed = true;
  log.info(`pushed ${commit} to ${branch} (leased on ${head})`);
  if (current === branch) await git.run(['update-ref', `refs/heads/${branch}`, commit, head]);
  else await git.run(['update-ref', '--no-deref', 'HEAD', commit, head]);
  await git.run(['update-ref', `refs/remotes/${remote}/${branch}`, commit]);
  await git.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${logPath}`]);
  work.write();
  await git.test(['update-index', '-q', '--refresh']);
}

export interface BranchWork extends RecordWork {
  record: RecoveryRecord;
  base: string | undefined;
}

/**
 * Commits the record on `postmortem/<id>` and opens a pull request. An existing branch of that
 * name that already holds this record (an earlier run) is reused; one holding anything else is
 * left exactly as it is and `postmortem/<id>-2`, `-3`, … is used. The push is leased on the
 * branch not existing, so a branch created meanwhile is never overwritten.
 */
export async function deliverOnBranch(deps: PostmortemDeps, request: PostmortemRequest, work: BranchWork, delivery: PostmortemDelivery): Promise<void> {
  const { git, log } = deps;
  let branch: string | undefined;
  for (let n = 1; n < 100 && !branch; n++) {
    const name = `${POSTMORTEM_BRANCH_PREFIX}${work.record.id}${n === 1 ? '' : `-${n}`}`;
    const ref = `refs/heads/${name}`;
    if (!(await git.isValidRefName(ref))) throw new UserError(`the branch name ${JSON.stringify(name)} is not valid.`);
    const remoteSha = await git.remoteRef(work.remote, ref);
    const localSha = await git.resolveCommit(ref);
    if (!remoteSha && !localSha) {
      branch = name;
      break;
    }
    let tip = remoteSha ?? localSha!;
    if (remoteSha) {
      await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', work.remote, `+${ref}:refs/remotes/${work.remote}/${name}`]);
      tip = remoteSha;
    }
    const there = await logAt(git, tip, work.logPath);
    const held = there ? parseRecoveryLog(there.text).records.find((r) => r.record.id === work.record.id) : undefined;
    if (held && sameRecoveryEvent(held.record, work.record)) {
      delivery.reused = true;
      delivery.branch = name;
      delivery.commit = tip;
      if (!remoteSha) {
        await pushNewBranch(git, work.remote, name, tip);
        delivery.pushed = true;
      }
      log.info(`${name} already holds this record (${tip}); reusing it.`);
      break;
    }
    delivery.skippedBranches.push(name);
    log.info(`${name} exists and holds something else (${tip}); leaving it as it is.`);
  }
  if (!delivery.reused) {
    if (!branch) throw new UserError(`postmortem/${work.record.id} and 98 variants of it exist already.`, 'Delete the stale postmortem branches.');
    const { commit } = await commitFile(git, work.head, work.logPath, work.text, work.mode, work.message);
    await pushNewBranch(git, work.remote, branch, commit);
    delivery.branch = branch;
    delivery.commit = commit;
    delivery.pushed = true;
    log.info(`pushed the record to ${branch} (${commit})`);
  }
  await openPull(deps, request, work, delivery);
}

async function pushNewBranch(git: Git, remote: string, branch: string, commit: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  const pushed = await pushAtomic(git, remote, [{ ref, to: commit, expect: null }]);
  if (!pushed.pushed) {
    const now = pushed.rejection.refs[0]?.actual;
    throw new UserError(
      now
        ? `${branch} appeared on ${remote} (at ${now}) while this run was writing it; it was left as it is and nothing was pushed.`
        : `pushing ${branch} to ${remote} was rejected: ${pushed.rejection.output}`,
      now ? 'Run again: the next free name is used.' : 'Grant `permissions: contents: write` to the job, or use `commit: none`.',
    );
  }
  await git.run(['update-ref', `refs/remotes/${remote}/${branch}`, commit]);
}

async function openPull(deps: PostmortemDeps, request: PostmortemRequest, work: BranchWork, delivery: PostmortemDelivery): Promise<void> {
  const { github } = deps;
  const manual = work.base ? ` Open it by hand: compare ${work.base}...${delivery.branch}.` : '';
  if (!github) return void (delivery.prSkipped = `No pull request: no \`token\`; the branch ${delivery.branch} is pushed.${manual}`);
  if (!request.owner || !request.repo) return void (delivery.prSkipped = `No pull request: GITHUB_REPOSITORY is not set; the branch ${delivery.branch} is pushed.`);
  if (!work.base) return void (delivery.prSkipped = `No pull request: no base branch is known (HEAD is detached); the branch ${delivery.branch} is pushed.`);
  const stats = recoveryStats(parseRecoveryLog(work.text), deps.clock());
  try {
    const pull = await github.createPull(request.owner, request.repo, {
      title: `Postmortem: recovery event ${work.record.id}`,
      head: delivery.branch!,
      base: work.base,
      body: recordBody(work.record, stats, work.logPath, undefined, 'pull-request'),
    });
    delivery.pr = { number: pull.number, url: pull.html_url, existed: false };
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 422 && /already exists/i.test(`${error.message}`)) {
      const open = await github
        .paginate<{ number: number; html_url: string }>('/repos/{owner}/{repo}/pulls', {
          owner: request.owner,
          repo: request.repo,
          head: `${request.owner}:${delivery.branch}`,
          state: 'open',
        }, { permission: 'pull-requests: read' })
        .catch(() => []);
      delivery.pr = open[0] ? { number: open[0].number, url: open[0].html_url, existed: true } : undefined;
      if (!delivery.pr) delivery.prSkipped = `A pull request for ${delivery.branch} is already open.`;
      return;
    }
    const hint = error instanceof GitHubApiError && error.hint ? ` ${error.hint}` : '';
    delivery.prSkipped = `No pull request: ${(error as Error).message.split('\n')[0]}${hint} The branch ${delivery.branch} is pushed.${manual}`;
  }
}
