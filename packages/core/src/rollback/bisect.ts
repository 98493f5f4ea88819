import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import type { Git } from '../git/git.js';
import { runChecks, ThrowawayWorktree, type CheckResult } from '../sandbox/checks.js';
import type { ScratchStore } from '../sandbox/scratch.js';
import { verdictOfRuns, type BisectVerdict } from './bisect-rounds.js';

export type Verdict = BisectVerdict;

export interface BisectOptions {
  command: string;
  /** Extra runs of a failing commit: it is bad only when every run fails. */
  retries: number;
  timeoutMinutes: number;
  maxTimeoutMs?: number;
  env: Record<string, string | undefined>;
  log: Logger;
}

export interface BisectResult {
  /** The first bad commit. */
  culprit: CommitInfo;
  /** Commits between the good end and the bad end, oldest first. */
  commits: CommitInfo[];
  runs: number;
  skipped: number;
  probes: Array<{ commit: string; verdict: Verdict; exitCodes: Array<number | null> }>;
}

/**
 * Finds the first bad commit between `good` and `bad` (first-parent), running `command` in a
 * throwaway worktree at each probe. Exit 0 is good, 125 skip (as in `git bisect run`), anything
 * else (a timeout included) bad, but only when it repeats `retries` more times: flakes pass.
 * The bad end is probed first, so a command that always passes is reported as a wrong range;
 * when the culprit would be the first commit, the good end is probed too.
 * Without flakes or skips this takes at most ceil(log2(N)) + 1 runs for N commits.
 */
export async function bisect(git: Git, store: ScratchStore, good: string, bad: string, options: BisectOptions): Promise<BisectResult> {
  const commits = await readCommits(git, [`${good}..${bad}`], { firstParent: true });
  if (commits.length === 0) throw new UserError(`there are no commits between ${good.slice(0, 12)} and ${bad.slice(0, 12)} to bisect.`);
  const worktree = await ThrowawayWorktree.create(store);
  const result: BisectResult = { culprit: commits[0]!, commits, runs: 0, skipped: 0, probes: [] };
  const goodCommit = { sha: good, tree: await git.treeOf(good), parents: [] as string[] };
  try {
    const probe = async (commit: Pick<CommitInfo, 'sha' | 'tree' | 'parents'>): Promise<Verdict> => {
      const { verdict, exitCodes } = await probeCommit(worktree, commit, options);
      result.runs += exitCodes.length;
      if (verdict === 'skip') result.skipped++;
      result.probes.push({ commit: commit.sha, verdict, exitCodes });
      return verdict;
    };

    const last = commits.length - 1;
    const headVerdict = await probe(commits[last]!);
    if (headVerdict !== 'bad') {
      throw new BisectRangeError(
        `the bisect command ${headVerdict === 'good' ? 'passes' : 'skips'} at the bad end ${bad.slice(0, 12)}: the range was wrong (or the failure is flaky beyond \`retries\`). Nothing was reverted.`,
        result,
      );
    }
    // Invariant: index `lo` is good (-1 stands for the good end), index `hi` is bad.
    let lo = -1;
    let hi = last;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      let index = mid;
      let verdict = await probe(commits[index]!);
      // Skipped: look at the neighbours, nearer the bad end first, then the good end (both sides, all of them).
      const pending: number[] = [];
      for (let step = 1; verdict === 'skip'; step++) {
        pending.push(...[mid + step, mid - step].filter((i) => i > lo && i < hi));
        if (pending.length === 0) break;
        index = pending.shift()!;
        verdict = await probe(commits[index]!);
      }
      if (verdict === 'skip') {
        throw new BisectRangeError(
          `every commit between ${lo < 0 ? good.slice(0, 12) : commits[lo]!.sha.slice(0, 12)} and ${commits[hi]!.sha.slice(0, 12)} was skipped (exit 125); the culprit is one of them. Nothing was reverted.`,
          result,
        );
      }
      if (verdict === 'good') lo = index;
      else hi = index;
    }
    if (hi === 0) {
      const goodVerdict = await probe(goodCommit);
      if (goodVerdict === 'bad') {
        throw new BisectRangeError(
          `the bisect command fails at the good end ${good.slice(0, 12)} too: the range was wrong (the failure is older than the checkpoint). Nothing was reverted.`,
          result,
        );
      }
    }
    result.culprit = commits[hi]!;
    return result;
  } finally {
    worktree.remove();
  }
}

export interface ProbeOutcome {
  commit: string;
  verdict: BisectVerdict;
  exitCodes: Array<number | null>;
  durationMs: number;
}

/**
 * Runs the command at `commit` in `worktree` until its runs decide (first 0 good, first 125 skip,
 * `retries + 1` failures bad; a timeout is a failure): every probe of the sequential bisect, of a
 * round (bisect-round) and of the CLI's `--jobs`.
 */
export async function probeCommit(worktree: ThrowawayWorktree, commit: Pick<CommitInfo, 'sha' | 'tree' | 'parents'>, options: BisectOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  await worktree.checkout(commit.tree, commit.parents[0] ?? commit.sha, `bisect probe ${commit.sha}`);
  const exitCodes: Array<number | null> = [];
  let verdict: BisectVerdict | null = null;
  while (verdict === null) {
    const [check] = (await runChecks(worktree.dir, {
      commands: [{ name: 'bisect', run: options.command }],
      timeoutMinutes: options.timeoutMinutes,
      maxTimeoutMs: options.maxTimeoutMs,
      env: options.env,
      log: options.log,
    })) as [CheckResult];
    exitCodes.push(check.exitCode);
    verdict = verdictOfRuns(exitCodes, options.retries);
  }
  options.log.info(`bisect: ${commit.sha.slice(0, 12)} is ${verdict} (exit ${exitCodes.join(', ')})`);
  return { commit: commit.sha, verdict, exitCodes, durationMs: Math.round(performance.now() - started) };
}

/** A bisect whose range was wrong: the report still records the runs. */
export class BisectRangeError extends UserError {
  constructor(
    message: string,
    readonly result: BisectResult,
  ) {
    super(message, 'Check `bisect-command` and the target range; the runs are in the report.');
  }
}

export { findCascade, type CascadeResult } from './cascade.js';
