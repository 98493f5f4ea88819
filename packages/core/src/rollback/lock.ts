/**
 * The rollback lock: a ref `refs/rollback-gate/lock/<id>` pushed with a lease that it does not
 * exist, so two rollbacks of one target never run at once. The lock commit records the run (its id
 * and URL) and when it started. A lock whose run has finished (the API says so) or that is older
 * than the job's timeout was left by a killed run: it is taken over, and the report says so.
 */
import type { Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import type { Git } from '../git/git.js';
import { LOCK_PREFIX } from '../git/protocol.js';
import type { GitHubClient } from '../github/github.js';
import { shellCommand } from '../output/shell.js';

export interface Lock {
  ref: string;
  sha: string;
  /** The stale lock this run took over, and why. */
  tookOver: { runId: string | null; runUrl: string | null; startedAt: string | null; reason: string } | null;
}

export interface LockContext {
  git: Git;
  github: GitHubClient | undefined;
  owner?: string;
  repo?: string;
  remote: string;
  log: Logger;
  runId?: string;
  runUrl?: string;
  now: Date;
  /** A lock older than this was left by a run that cannot still be going (the job's timeout). */
  timeoutMinutes: number;
}

interface Holder {
  sha: string;
  runId: string | null;
  runUrl: string | null;
  startedAt: string | null;
  body: string;
}

async function readHolder(git: Git, remote: string, ref: string): Promise<Holder | undefined> {
  const sha = await git.remoteRef(remote, ref);
  if (!sha) return undefined;
  await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, sha]);
  const body = (await git.test(['log', '-1', '--format=%b', sha])).stdout.trim();
  const field = (name: string): string | null => body.match(new RegExp(`^${name}: (.+)$`, 'm'))?.[1]?.trim() ?? null;
  const runUrl = field('run');
  return {
    sha,
    runId: field('run-id') ?? runUrl?.match(/\/actions\/runs\/(\d+)/)?.[1] ?? null,
    runUrl: runUrl && runUrl !== '(local)' ? runUrl : null,
    startedAt: field('started'),
    body,
  };
}

/** Why the holder's lock is stale, or null when its run may still be going. */
async function staleness(context: LockContext, holder: Holder): Promise<string | null> {
  const { github, owner, repo } = context;
  if (holder.runId && github && owner && repo && /^\d+$/.test(holder.runId)) {
    try {
      const { data } = await github.request<{ status: string | null; conclusion: string | null }>('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', {
        owner,
        repo,
        run_id: Number(holder.runId),
      });
      if (data.status === 'completed') return `its run ${holder.runId} has finished (${data.conclusion ?? 'no conclusion'})`;
      return null;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return `its run ${holder.runId} does not exist`;
      context.log.warning(`could not ask the API about run ${holder.runId}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const started = holder.startedAt ? Date.parse(holder.startedAt) : Number.NaN;
  if (!Number.isNaN(started) && context.now.getTime() - started > context.timeoutMinutes * 60_000) {
    return `it was taken ${Math.round((context.now.getTime() - started) / 60_000)} minutes ago, longer than the job's timeout (${context.timeoutMinutes} minutes)`;
  }
  return null;
}

export async function takeLock(context: LockContext, id: string): Promise<Lock> {
  const { git, remote } = context;
  const ref = `${LOCK_PREFIX}${id}`;
  const emptyTree = await git.text(['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' });
  const message = `rollback-gate lock for ${id}\n\nstarted: ${context.now.toISOString()}\nrun: ${context.runUrl ?? '(local)'}\nrun-id: ${context.runId ?? '(local)'}\n`;
  const sha = await git.text(['commit-tree', emptyTree, '-F', '-'], { input: message, env: await git.identityEnv() });
  const push = (lease: string) => git.test(['push', '--porcelain', '--atomic', `--force-with-lease=${ref}:${lease}`, '--end-of-options', remote, `${sha}:${ref}`]);
  const pushed = await push('');
  if (pushed.exitCode === 0) return { ref, sha, tookOver: null };

  const holder = await readHolder(git, remote, ref);
  if (!holder) {
    throw new UserError(`could not take the rollback lock ${ref} on ${remote}: ${(pushed.stderr || pushed.stdout).trim()}`, 'Grant `permissions: contents: write` to the job.');
  }
  const reason = await staleness(context, holder);
  if (reason) {
    const again = await push(holder.sha);
    if (again.exitCode === 0) {
      context.log.warning(`took over the rollback lock ${ref}: ${reason}.`);
      return { ref, sha, tookOver: { runId: holder.runId, runUrl: holder.runUrl, startedAt: holder.startedAt, reason } };
    }
  }
  throw new UserError(
    `another rollback of ${id} is running (${holder.body.replace(/\n/g, ', ') || `lock ${holder.sha}`}); this run stops and changes nothing.`,
    `Wait for it to finish. If that run died, remove its lock: ${shellCommand(['git', 'push', remote, `:${ref}`])}`,
  );
}

export async function releaseLock(git: Git, remote: string, lock: Lock, log: Logger): Promise<void> {
  const result = await git.test(['push', '--porcelain', `--force-with-lease=${lock.ref}:${lock.sha}`, '--end-of-options', remote, `:${lock.ref}`]);
  if (result.exitCode !== 0) log.warning(`could not remove the lock ${lock.ref}: ${result.stderr.trim()}`);
}
