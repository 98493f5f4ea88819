/**
 * The round planner of a bisect spread over k runners (k-ary search): from the range and the
 * verdicts so far, the next at most k commits to probe at once, or the culprit, or why it cannot
 * be told. Pure: no git, no clock, no I/O; the same inputs give the same plan, so each round of a
 * workflow (one job per probe) can be planned afresh from the verdict files of the rounds before.
 *
 * It decides exactly as the sequential `bisect` does (same culprit, same "cannot tell"), only with
 * more probes per round:
 * - the bad end must fail: if it passes or is skipped, the range was wrong;
 * - exit 0 is good, 125 skip, anything else bad only when it repeats `retries` more times (see
 *   `verdictOfRuns`); a pass is trusted over a failure (a failure may be a flake, a pass is not):
 *   a commit that failed below one that passed is reported in `overridden`, not believed;
 * - the culprit is the first bad commit right after a good one; when every commit between the last
 *   good and the first bad was skipped, the culprit is one of them and cannot be told;
 * - the good end is probed only when the culprit would be the first commit (then a failing good
 *   end means the range was wrong), or for free, when a round has a runner to spare.
 *
 * Rounds: the first probes the bad end and k - 1 commits between; each later round k commits, each
 * cutting the candidates into k + 1 parts. Without skips that is at most ceil(log_{k+1}(N)) + 1
 * rounds for N commits, and one more when the culprit is the first commit and no round had a
 * runner to spare for the good end (always so for k = 1, as for the sequential bisect, whose
 * bound is also ceil(log2(N)) + 1 runs plus that one).
 */
import { UserError } from '../base/errors.js';

export type BisectVerdict = 'good' | 'bad' | 'skip';

/** One probe's verdict, as a probe job writes it. */
export interface RecordedVerdict {
  commit: string;
  verdict: BisectVerdict;
  /** The exit codes of its runs (null: killed or timed out), for the report. */
  exitCodes?: ReadonlyArray<number | null>;
}

export interface BisectRange {
  /** The good end (not a candidate: it is only probed to check the range). */
  good: string;
  /** The candidates `good..bad`, first-parent, oldest first; the last one is the bad end. */
  commits: readonly string[];
}

export interface BisectProbe {
  commit: string;
  /** Its position in `commits`; -1 for the good end. */
  index: number;
  role: 'bad-end' | 'good-end' | 'between';
}

export type CannotTellReason = 'bad-end-passes' | 'bad-end-skipped' | 'good-end-fails' | 'all-skipped';

export type BisectRoundPlan =
  | {
      status: 'probe';
      /** At most k commits to probe at once, oldest first (the good end first when it is one). */
      probes: BisectProbe[];
      /** The commits the culprit can still be (the first bad commit is one of them). */
      candidates: number;
      /** The narrowed range: the last good commit (or the good end) and the first bad one (or the bad end). */
      between: { good: string; bad: string };
      overridden: Overridden[];
    }
  | { status: 'culprit'; culprit: string; index: number; overridden: Overridden[] }
  | {
      status: 'cannot-tell';
      reason: CannotTellReason;
      /** What happened and what to do next. */
      message: string;
      /** The commits the culprit could be (empty when the range was wrong). */
      candidates: string[];
      overridden: Overridden[];
    };

/** A failure not believed because a later commit passed (a flake beyond `retries`). */
export interface Overridden {
  commit: string;
  passedLater: string;
}

/** The exit code that skips a commit, as in `git bisect run`. */
export const SKIP_EXIT_CODE = 125;

/**
 * The verdict of one probe's runs, in order, as the sequential bisect decides it: the first exit 0
 * makes it good, the first 125 skip; it is bad once `retries + 1` runs have failed. null: not
 * decided yet, run it again.
 */
export function verdictOfRuns(exitCodes: ReadonlyArray<number | null>, retries: number): BisectVerdict | null {
  let failures = 0;
  for (const code of exitCodes) {
    if (code === 0) return 'good';
    if (code === SKIP_EXIT_CODE) return 'skip';
    failures++;
    if (failures > retries) return 'bad';
  }
  return null;
}

/** The most rounds a k-ary bisect of n commits takes without skips: ceil(log_{k+1}(n)) + 1. */
export function bisectRoundBound(n: number, k: number): number {
  let rounds = 0;
  for (let reach = 1; reach < n; reach *= k + 1) rounds++;
  return rounds + 1;
}

/** The smallest k whose bound fits in `rounds` rounds for n commits (undefined: none up to `max`). */
export function parallelForRounds(n: number, rounds: number, max = 256): number | undefined {
  for (let k = 1; k <= max; k++) if (bisectRoundBound(n, k) <= rounds) return k;
  return undefined;
}

/**
 * Several verdicts of one commit (a probe re-run): a pass wins (the failures were flakes), then a
 * failure (it was tested), then a skip.
 */
function combine(a: BisectVerdict | undefined, b: BisectVerdict): BisectVerdict {
  if (a === 'good' || b === 'good') return 'good';
  if (a === 'bad' || b === 'bad') return 'bad';
  return 'skip';
}

/** The next round of a k-ary bisect of `range` given the `verdicts` so far. */
export function planBisectRound(range: BisectRange, verdicts: readonly RecordedVerdict[], k: number): BisectRoundPlan {
  if (!Number.isInteger(k) || k < 1) throw new UserError(`the number of parallel probes is ${k}; it must be a whole number of at least 1.`);
  const { commits, good } = range;
  const n = commits.length;
  if (n === 0) throw new UserError(`there are no commits between the good end ${good.slice(0, 12)} and the bad end to bisect.`);

  const position = new Map<string, number>([[good, -1]]);
  commits.forEach((sha, i) => {
    if (position.has(sha)) throw new UserError(`${sha.slice(0, 12)} appears twice in the bisect range; it must be a first-parent list good..bad.`);
    position.set(sha, i);
  });
  const known = new Map<number, BisectVerdict>();
  for (const v of verdicts) {
    const at = position.get(v.commit);
    if (at === undefined) {
      throw new UserError(
        `a verdict is for ${v.commit.slice(0, 12)}, which is not in the bisect range ${good.slice(0, 12)}..${commits[n - 1]!.slice(0, 12)}.`,
        'The verdict files come from another bisect (or the range was given differently): use the verdicts of this run only.',
      );
    }
    known.set(at, combine(known.get(at), v.verdict));
  }

  const last = n - 1;
  const badEnd = known.get(last);
  if (badEnd === 'good' || badEnd === 'skip') {
    return cannotTell(
      badEnd === 'good' ? 'bad-end-passes' : 'bad-end-skipped',
      `the bisect command ${badEnd === 'good' ? 'passes' : 'skips'} at the bad end ${commits[last]!.slice(0, 12)}: the range was wrong (or the failure is flaky beyond \`retries\`). Nothing was reverted.`,
      [],
      [],
    );
  }

  // The last good commit (a pass is trusted), then the first bad commit after it.
  let lo = -1;
  for (let i = last - 1; i >= 0; i--) {
    if (known.get(i) === 'good') {
      lo = i;
      break;
    }
  }
  const overridden: Overridden[] = [];
  for (let i = 0; i < lo; i++) if (known.get(i) === 'bad') overridden.push({ commit: commits[i]!, passedLater: commits[lo]! });
  let hi = last;
  for (let i = lo + 1; i < last; i++) {
    if (known.get(i) === 'bad') {
      hi = i;
      break;
    }
  }
  // The bad end is always probed (first), as the sequential bisect does, even after a failure between.
  const needBadEnd = badEnd === undefined;

  const unknown: number[] = [];
  const skipped: number[] = [];
  for (let i = lo + 1; i < hi; i++) {
    const v = known.get(i);
    if (v === undefined) unknown.push(i);
    else if (v === 'skip') skipped.push(i);
  }

  const goodEnd = known.get(-1);
  if (!needBadEnd && unknown.length === 0) {
    if (skipped.length > 0) {
      const from = lo < 0 ? good : commits[lo]!;
      return cannotTell(
        'all-skipped',
        `every commit between ${from.slice(0, 12)} and ${commits[hi]!.slice(0, 12)} was skipped (exit 125); the culprit is one of them. Nothing was reverted.`,
        commits.slice(lo + 1, hi + 1),
        overridden,
      );
    }
    if (hi === 0) {
      if (goodEnd === undefined) return { status: 'probe', probes: [{ commit: good, index: -1, role: 'good-end' }], candidates: 1, between: { good, bad: commits[0]! }, overridden };
      if (goodEnd === 'bad') {
        return cannotTell(
          'good-end-fails',
          `the bisect command fails at the good end ${good.slice(0, 12)} too: the range was wrong (the failure is older than the checkpoint). Nothing was reverted.`,
          [],
          overridden,
        );
      }
    }
    return { status: 'culprit', culprit: commits[hi]!, index: hi, overridden };
  }

  const slots = needBadEnd ? k - 1 : k;
  const chosen = spread(unknown, slots);
  const probes: BisectProbe[] = [];
  // A runner to spare probes the good end now, in case the culprit turns out to be the first commit.
  if (lo === -1 && goodEnd === undefined && chosen.length < slots) probes.push({ commit: good, index: -1, role: 'good-end' });
  for (const i of chosen) probes.push({ commit: commits[i]!, index: i, role: 'between' });
  if (needBadEnd) probes.push({ commit: commits[last]!, index: last, role: 'bad-end' });
  return { status: 'probe', probes, candidates: hi - lo, between: { good: lo < 0 ? good : commits[lo]!, bad: commits[hi]! }, overridden };
}

/**
 * `count` of the sorted positions `points`, evenly spread: the j-th of s picks is the
 * floor(j * (m + 1) / (s + 1))-th of m points, so every gap between picks (and the ends) holds at
 * most ceil((m + 1) / (s + 1)) - 1 points. All of them when there are not more than `count`.
 */
function spread(points: readonly number[], count: number): number[] {
  const m = points.length;
  if (m <= count) return [...points];
  const picks: number[] = [];
  for (let j = 1; j <= count; j++) picks.push(points[Math.floor((j * (m + 1)) / (count + 1)) - 1]!);
  return picks;
}

function cannotTell(reason: CannotTellReason, message: string, candidates: string[], overridden: Overridden[]): BisectRoundPlan {
  return { status: 'cannot-tell', reason, message, candidates, overridden };
}
