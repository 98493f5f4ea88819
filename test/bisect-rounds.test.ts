/**
 * The k-ary round planner against the sequential bisect, exhaustively on small ranges: every
 * range length N = 1..40, every culprit position, k = 1..8, with skips and with flaky runs. The
 * sequential side is `sequentialBisect` below, the search loop of rollback/bisect.ts line for line
 * over a probe function; it is checked against the real `bisect` (worktrees, the command) on a
 * real repository (the last block here), so the comparison is with what the engine does.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  bisect,
  BisectRangeError,
  bisectRoundBound,
  Git,
  ScratchStore,
  silentLogger,
  parallelForRounds,
  planBisectRound,
  UserError,
  verdictOfRuns,
  type BisectRange,
  type BisectRoundPlan,
  type BisectVerdict,
  type RecordedVerdict,
} from '@rollback-gate/core';
import { createRepo, tempDir, type TestRepo } from './harness/repo.js';
import { mulberry32 } from './harness/random.js';

type Outcome = { culprit: number } | { cannotTell: string };

const GOOD_END = -1;
const sha = (i: number): string => (i === GOOD_END ? 'g'.repeat(40) : i.toString(16).padStart(40, '0'));
const rangeOf = (n: number): BisectRange => ({ good: sha(GOOD_END), commits: Array.from({ length: n }, (_, i) => sha(i)) });

/**
 * A command's runs at each commit (GOOD_END for the good end): `exits(i)` gives the exit codes of
 * its successive runs there; the last one repeats. Each bisect gets a fresh copy (run counts start at 0).
 */
type Oracle = (i: number) => number[];

function runner(oracle: Oracle): { run: (i: number) => number; runs: () => number } {
  const count = new Map<number, number>();
  let total = 0;
  return {
    run: (i) => {
      const seq = oracle(i);
      const n = count.get(i) ?? 0;
      count.set(i, n + 1);
      total++;
      return seq[Math.min(n, seq.length - 1)]!;
    },
    runs: () => total,
  };
}

/** rollback/bisect.ts's `bisect`, its search only, over `run(i)` (one run of the command at commit i). */
function sequentialBisect(n: number, retries: number, oracle: Oracle): Outcome & { runs: number } {
  const { run, runs } = runner(oracle);
  const probe = (i: number): BisectVerdict => {
    let verdict: BisectVerdict = 'bad';
    for (let attempt = 0; attempt <= retries; attempt++) {
      const exitCode = run(i);
      if (exitCode === 0) {
        verdict = 'good';
        break;
      }
      if (exitCode === 125) {
        verdict = 'skip';
        break;
      }
    }
    return verdict;
  };
  const last = n - 1;
  const headVerdict = probe(last);
  if (headVerdict !== 'bad') return { cannotTell: headVerdict === 'good' ? 'bad-end-passes' : 'bad-end-skipped', runs: runs() };
  let lo = -1;
  let hi = last;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    let index = mid;
    let verdict = probe(index);
    const pending: number[] = [];
    for (let step = 1; verdict === 'skip'; step++) {
      pending.push(...[mid + step, mid - step].filter((i) => i > lo && i < hi));
      if (pending.length === 0) break;
      index = pending.shift()!;
      verdict = probe(index);
    }
    if (verdict === 'skip') return { cannotTell: 'all-skipped', runs: runs() };
    if (verdict === 'good') lo = index;
    else hi = index;
  }
  if (hi === 0) {
    if (probe(GOOD_END) === 'bad') return { cannotTell: 'good-end-fails', runs: runs() };
  }
  return { culprit: hi, runs: runs() };
}

interface KaryRun {
  outcome: Outcome;
  rounds: number;
  plans: BisectRoundPlan[];
  problems: string[];
}

/** Plans rounds until the planner answers; each round's probes run (with retries) and their verdicts are fed back. */
function karyBisect(n: number, k: number, retries: number, oracle: Oracle): KaryRun {
  const { run } = runner(oracle);
  const range = rangeOf(n);
  const verdicts: RecordedVerdict[] = [];
  const plans: BisectRoundPlan[] = [];
  const problems: string[] = [];
  const probed = new Set<string>();
  for (let rounds = 0; ; rounds++) {
    const plan = planBisectRound(range, verdicts, k);
    plans.push(plan);
    if (plan.status === 'culprit') return { outcome: { culprit: plan.index }, rounds, plans, problems };
    if (plan.status === 'cannot-tell') return { outcome: { cannotTell: plan.reason }, rounds, plans, problems };
    if (plan.probes.length === 0 || plan.probes.length > k) problems.push(`round ${rounds + 1}: ${plan.probes.length} probes for k = ${k}`);
    for (const p of plan.probes) {
      if (probed.has(p.commit)) problems.push(`round ${rounds + 1}: ${p.index} probed again`);
      probed.add(p.commit);
      if (p.commit !== (p.index === GOOD_END ? range.good : range.commits[p.index])) problems.push(`round ${rounds + 1}: probe ${p.index} names the wrong commit`);
    }
    if (rounds > n + 2) {
      problems.push('does not end');
      return { outcome: { cannotTell: 'loop' }, rounds, plans, problems };
    }
    // The round's probes run at once; each decides with its own retries.
    for (const p of plan.probes) {
      const codes: number[] = [];
      let verdict: BisectVerdict | null = null;
      while (verdict === null) {
        codes.push(run(p.index));
        verdict = verdictOfRuns(codes, retries);
      }
      verdicts.push({ commit: p.commit, verdict, exitCodes: codes });
    }
  }
}

/** A monotone command: good before `culprit`, bad from it (culprit n: it never fails; -1: it always fails). */
function monotone(culprit: number, skips: ReadonlySet<number> = new Set(), flakes: ReadonlyMap<number, number> = new Map()): Oracle {
  return (i) => {
    if (skips.has(i)) return [125];
    if (i >= culprit) return [1];
    // A good commit that fails its first f runs (a flaky test), then passes.
    return [...Array<number>(flakes.get(i) ?? 0).fill(1), 0];
  };
}

const KS = [1, 2, 3, 4, 5, 6, 7, 8];
const describeOutcome = (o: Outcome): string => ('culprit' in o ? `culprit ${o.culprit}` : `cannot tell (${o.cannotTell})`);

describe('planBisectRound: the same answer as the sequential bisect', () => {
  it('every N = 1..40, every culprit position, k = 1..8: the same culprit, within ceil(log_{k+1} N) + 1 rounds', () => {
    const mismatches: string[] = [];
    const overBound: string[] = [];
    let cases = 0;
    for (let n = 1; n <= 40; n++) {
      for (let culprit = 0; culprit < n; culprit++) {
        const expected = sequentialBisect(n, 0, monotone(culprit));
        expect(expected).toMatchObject({ culprit }); // the model of the sequential bisect finds it
        for (const k of KS) {
          cases++;
          const got = karyBisect(n, k, 0, monotone(culprit));
          mismatches.push(...got.problems.map((p) => `N=${n} culprit=${culprit} k=${k}: ${p}`));
          if (describeOutcome(got.outcome) !== describeOutcome(expected)) mismatches.push(`N=${n} culprit=${culprit} k=${k}: ${describeOutcome(got.outcome)}, sequential ${describeOutcome(expected)}`);
          const bound = bisectRoundBound(n, k);
          // The one documented extra round: the culprit is the first commit and no round had a runner to spare for the good end.
          const allowed = culprit === 0 ? bound + 1 : bound;
          if (got.rounds > allowed) overBound.push(`N=${n} culprit=${culprit} k=${k}: ${got.rounds} rounds, bound ${bound}`);
          if (culprit === 0 && got.rounds > bound && k > 1) overBound.push(`N=${n} culprit=0 k=${k}: ${got.rounds} rounds needs the extra round although k > 1`);
        }
      }
    }
    expect(cases).toBe(820 * 8);
    expect(mismatches).toEqual([]);
    expect(overBound).toEqual([]);
  });

  it('the wrong ranges: a command that always passes, always fails (the good end too), or skips the bad end', () => {
    const mismatches: string[] = [];
    for (let n = 1; n <= 40; n++) {
      for (const k of KS) {
        for (const [what, oracle] of [
          ['passes everywhere', monotone(n)],
          ['fails everywhere', monotone(GOOD_END)],
          ['skips the bad end', monotone(0, new Set([n - 1]))],
        ] as const) {
          const expected = sequentialBisect(n, 0, oracle);
          const got = karyBisect(n, k, 0, oracle);
          if (describeOutcome(got.outcome) !== describeOutcome(expected)) mismatches.push(`N=${n} k=${k} ${what}: ${describeOutcome(got.outcome)}, sequential ${describeOutcome(expected)}`);
          if (got.rounds > bisectRoundBound(n, k) + 1) mismatches.push(`N=${n} k=${k} ${what}: ${got.rounds} rounds`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(karyBisect(8, 4, 0, monotone(8)).outcome).toEqual({ cannotTell: 'bad-end-passes' });
    expect(karyBisect(8, 4, 0, monotone(GOOD_END)).outcome).toEqual({ cannotTell: 'good-end-fails' });
    expect(karyBisect(8, 4, 0, monotone(0, new Set([7]))).outcome).toEqual({ cannotTell: 'bad-end-skipped' });
  });

  it('with skips: every skip pattern for N = 1..9 (the good end skipped or not), every culprit, k = 1..8', () => {
    const mismatches: string[] = [];
    const answers = { culprit: 0, cannotTell: 0 };
    for (let n = 1; n <= 9; n++) {
      for (let mask = 0; mask < 1 << (n + 1); mask++) {
        // Bits 0..n-1: the commits; bit n: the good end.
        const skips = new Set<number>();
        for (let i = 0; i <= n; i++) if (mask & (1 << i)) skips.add(i === n ? GOOD_END : i);
        for (let culprit = 0; culprit < n; culprit++) {
          const expected = sequentialBisect(n, 0, monotone(culprit, skips));
          answers['culprit' in expected ? 'culprit' : 'cannotTell']++;
          for (const k of KS) {
            const got = karyBisect(n, k, 0, monotone(culprit, skips));
            mismatches.push(...got.problems.map((p) => `N=${n} skips=${[...skips]} culprit=${culprit} k=${k}: ${p}`));
            if (describeOutcome(got.outcome) !== describeOutcome(expected)) {
              mismatches.push(`N=${n} skips=${[...skips].join(',')} culprit=${culprit} k=${k}: ${describeOutcome(got.outcome)}, sequential ${describeOutcome(expected)}`);
            }
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Both kinds of answer were exercised.
    expect(answers.culprit).toBeGreaterThan(1000);
    expect(answers.cannotTell).toBeGreaterThan(1000);
  });

  it('with skips: random skip patterns for N = 10..40 (10–50% skipped), every culprit, k = 1..8', () => {
    const rand = mulberry32(16);
    const mismatches: string[] = [];
    for (let n = 10; n <= 40; n++) {
      for (let pattern = 0; pattern < 6; pattern++) {
        const density = 0.1 + 0.08 * pattern;
        const skips = new Set<number>();
        for (let i = 0; i < n - 1; i++) if (rand() < density) skips.add(i);
        for (let culprit = 0; culprit < n; culprit++) {
          const expected = sequentialBisect(n, 0, monotone(culprit, skips));
          for (const k of KS) {
            const got = karyBisect(n, k, 0, monotone(culprit, skips));
            mismatches.push(...got.problems);
            if (describeOutcome(got.outcome) !== describeOutcome(expected)) mismatches.push(`N=${n} skips=${[...skips].join(',')} culprit=${culprit} k=${k}: ${describeOutcome(got.outcome)}, sequential ${describeOutcome(expected)}`);
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('with flaky runs within `retries`: good commits that fail up to `retries` times before passing give the same culprit', () => {
    const rand = mulberry32(7);
    const mismatches: string[] = [];
    let flakyRuns = 0;
    for (const retries of [1, 2, 3]) {
      for (let n = 1; n <= 40; n++) {
        for (let culprit = 0; culprit < n; culprit++) {
          const flakes = new Map<number, number>();
          for (let i = GOOD_END; i < culprit; i++) if (rand() < 0.4) flakes.set(i, 1 + Math.floor(rand() * retries));
          const skips = new Set<number>();
          for (let i = 0; i < n - 1; i++) if (rand() < 0.1) skips.add(i);
          const expected = sequentialBisect(n, retries, monotone(culprit, skips, flakes));
          for (const k of KS) {
            const got = karyBisect(n, k, retries, monotone(culprit, skips, flakes));
            flakyRuns += got.plans.flatMap((p) => (p.status === 'probe' ? p.probes : [])).filter((p) => flakes.has(p.index)).length;
            mismatches.push(...got.problems);
            if (describeOutcome(got.outcome) !== describeOutcome(expected)) mismatches.push(`retries=${retries} N=${n} culprit=${culprit} k=${k}: ${describeOutcome(got.outcome)}, sequential ${describeOutcome(expected)}`);
            if (skips.size === 0 && got.rounds > bisectRoundBound(n, k) + (culprit === 0 ? 1 : 0)) mismatches.push(`retries=${retries} N=${n} culprit=${culprit} k=${k}: ${got.rounds} rounds`);
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(flakyRuns).toBeGreaterThan(5000); // the flakes were met, not avoided
  });

  it('a failure flaky beyond `retries` below a pass is overridden (a pass is trusted) and reported', () => {
    // 16 commits, culprit 12; commit 7 fails every run (a flake beyond retries, in truth good).
    const oracle: Oracle = (i) => (i === 7 || i >= 12 ? [1] : [0]);
    const got = karyBisect(16, 4, 0, oracle);
    expect(got.outcome).toEqual({ culprit: 12 });
    const last = got.plans.at(-1)!;
    expect(last).toMatchObject({ status: 'culprit', overridden: [{ commit: sha(7), passedLater: sha(11) }] });
    // The sequential bisect, whose first probe is commit 7, is misled to it.
    expect(sequentialBisect(16, 0, oracle)).toMatchObject({ culprit: 7 });
  });
});

describe('planBisectRound: the rounds', () => {
  it('the first round probes the bad end and k - 1 commits evenly between; later rounds k commits', () => {
    const range = rangeOf(64);
    const first = planBisectRound(range, [], 4);
    expect(first).toMatchObject({ status: 'probe', candidates: 64 });
    if (first.status !== 'probe') throw new Error('unreachable');
    expect(first.probes.map((p) => [p.index, p.role])).toEqual([[15, 'between'], [31, 'between'], [47, 'between'], [63, 'bad-end']]);
    // 15 good, 31 bad: the culprit is one of 16..31 (16 candidates); 4 probes cut them in 5.
    const verdicts: RecordedVerdict[] = [
      { commit: sha(15), verdict: 'good' },
      { commit: sha(31), verdict: 'bad' },
      { commit: sha(47), verdict: 'bad' },
      { commit: sha(63), verdict: 'bad' },
    ];
    const second = planBisectRound(range, verdicts, 4);
    if (second.status !== 'probe') throw new Error(`expected probes, got ${second.status}`);
    expect(second.candidates).toBe(16);
    expect(second.probes.map((p) => p.index)).toEqual([18, 21, 24, 27]);
    expect(second.probes.every((p) => p.role === 'between')).toBe(true);
  });

  it('a runner to spare probes the good end early; k = 1 probes only the bad end first', () => {
    const small = planBisectRound(rangeOf(3), [], 8);
    if (small.status !== 'probe') throw new Error('unreachable');
    expect(small.probes.map((p) => p.role)).toEqual(['good-end', 'between', 'between', 'bad-end']);
    const one = planBisectRound(rangeOf(64), [], 1);
    if (one.status !== 'probe') throw new Error('unreachable');
    expect(one.probes).toEqual([{ commit: sha(63), index: 63, role: 'bad-end' }]);
  });

  it('a round with verdicts for every candidate answers without probing', () => {
    const range = rangeOf(5);
    const verdicts: RecordedVerdict[] = ['good', 'good', 'bad', 'bad', 'bad'].map((v, i) => ({ commit: sha(i), verdict: v as BisectVerdict }));
    expect(planBisectRound(range, verdicts, 3)).toEqual({ status: 'culprit', culprit: sha(2), index: 2, overridden: [] });
  });

  it('all skipped between the last good and the first bad: cannot tell, naming the candidates', () => {
    const range = rangeOf(6);
    const verdicts: RecordedVerdict[] = [
      { commit: sha(1), verdict: 'good' },
      { commit: sha(2), verdict: 'skip' },
      { commit: sha(3), verdict: 'skip' },
      { commit: sha(4), verdict: 'bad' },
      { commit: sha(5), verdict: 'bad' },
    ];
    const plan = planBisectRound(range, verdicts, 2);
    expect(plan).toMatchObject({ status: 'cannot-tell', reason: 'all-skipped', candidates: [sha(2), sha(3), sha(4)] });
    if (plan.status === 'cannot-tell') expect(plan.message).toContain(`between ${sha(1).slice(0, 12)} and ${sha(4).slice(0, 12)} was skipped`);
  });

  it('several verdicts for one commit (a probe re-run): a pass wins, then a failure, then a skip', () => {
    const range = rangeOf(3);
    const at = (verdicts: Array<[number, BisectVerdict]>) => planBisectRound(range, [{ commit: sha(2), verdict: 'bad' }, ...verdicts.map(([i, verdict]) => ({ commit: sha(i), verdict }))], 1);
    expect(at([[1, 'bad'], [1, 'good'], [0, 'good']])).toMatchObject({ status: 'culprit', index: 2 });
    expect(at([[1, 'skip'], [1, 'bad'], [0, 'good']])).toMatchObject({ status: 'culprit', index: 1 });
    expect(at([[1, 'skip'], [1, 'skip'], [0, 'good']])).toMatchObject({ status: 'cannot-tell', reason: 'all-skipped' });
  });

  it('refuses a verdict for a commit outside the range, a repeated commit, an empty range, k < 1', () => {
    const range = rangeOf(4);
    expect(() => planBisectRound(range, [{ commit: 'f'.repeat(40), verdict: 'bad' }], 2)).toThrow(UserError);
    expect(() => planBisectRound(range, [{ commit: 'f'.repeat(40), verdict: 'bad' }], 2)).toThrow(/not in the bisect range.*\n.*verdicts of this run only/);
    expect(() => planBisectRound({ good: sha(GOOD_END), commits: [sha(1), sha(1)] }, [], 2)).toThrow(/appears twice/);
    expect(() => planBisectRound({ good: sha(GOOD_END), commits: [] }, [], 2)).toThrow(/no commits between/);
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => planBisectRound(range, [], k)).toThrow(/whole number of at least 1/);
  });
});

describe('verdictOfRuns, bisectRoundBound, parallelForRounds', () => {
  it('decides as the sequential bisect: first 0 good, first 125 skip, bad after retries + 1 failures, else undecided', () => {
    expect(verdictOfRuns([], 0)).toBeNull();
    expect(verdictOfRuns([1], 0)).toBe('bad');
    expect(verdictOfRuns([1], 2)).toBeNull();
    expect(verdictOfRuns([1, null, 0], 2)).toBe('good');
    expect(verdictOfRuns([1, 1, 1], 2)).toBe('bad');
    expect(verdictOfRuns([null], 0)).toBe('bad'); // a timeout fails
    expect(verdictOfRuns([1, 125], 3)).toBe('skip');
    expect(verdictOfRuns([0, 1], 0)).toBe('good');
  });

  it('the bound: ceil(log_{k+1}(N)) + 1, computed exactly', () => {
    const rows = [
      [1, 1, 1], [2, 1, 2], [64, 1, 7], [65, 1, 8], [1000, 1, 11],
      [64, 4, 4], [125, 4, 4], [126, 4, 5], [1000, 4, 6], [64, 8, 3], [81, 8, 3], [82, 8, 4], [1000, 8, 5],
    ];
    for (const [n, k, bound] of rows) expect([n, k, bisectRoundBound(n!, k!)]).toEqual([n, k, bound]);
    for (let n = 1; n <= 2000; n += 37) for (const k of KS) expect(bisectRoundBound(n, k)).toBe(Math.max(0, Math.ceil(Math.log(n) / Math.log(k + 1) - 1e-9)) + 1);
  });

  it('the smallest parallelism that fits a number of rounds', () => {
    expect(parallelForRounds(64, 7)).toBe(1);
    expect(parallelForRounds(64, 4)).toBe(3);
    expect(parallelForRounds(1000, 6)).toBe(3);
    expect(parallelForRounds(1000, 2)).toBeUndefined();
    expect(parallelForRounds(1000, 2, 999)).toBe(999);
  });
});

describe('the model of the sequential bisect is the engine\'s bisect', () => {
  // 13 commits, each writing its index to `idx`; the command fails from $CULPRIT on and skips the
  // indices in $SKIPS (the good end has no `idx`: -1). The real `bisect` runs it in throwaway worktrees.
  const N = 13;
  let repo: TestRepo;
  let good: string;
  let bad: string;
  const command = 'i=$(cat idx 2>/dev/null || echo -1); case " $SKIPS " in *" $i "*) exit 125;; esac; [ "$i" -lt "$CULPRIT" ]';
  afterAll(() => repo?.cleanup());

  const engine = async (culprit: number, skips: number[]): Promise<Outcome & { runs: number }> => {
    if (!repo) {
      repo = createRepo({ initial: { 'README.md': '# app\n' } });
      good = repo.head();
      for (let i = 0; i < N; i++) bad = repo.commit(`step ${i}`, { idx: `${i}\n` });
    }
    const git = new Git(repo.dir);
    const store = await ScratchStore.create(git, tempDir('rg-bisect-'));
    try {
      const result = await bisect(git, store, good, bad, {
        command,
        retries: 0,
        timeoutMinutes: 1,
        env: { PATH: process.env.PATH, CULPRIT: String(culprit), SKIPS: skips.join(' ') },
        log: silentLogger,
      });
      return { culprit: result.commits.indexOf(result.culprit), runs: result.runs };
    } catch (error) {
      if (!(error instanceof BisectRangeError)) throw error;
      const reason = /passes at the bad end/.test(error.message) ? 'bad-end-passes' : /skips at the bad end/.test(error.message) ? 'bad-end-skipped' : /fails at the good end/.test(error.message) ? 'good-end-fails' : /was skipped/.test(error.message) ? 'all-skipped' : error.message;
      return { cannotTell: reason, runs: error.result.runs };
    } finally {
      store.dispose();
    }
  };

  it.each([
    ['every culprit position, no skips', Array.from({ length: N }, (_, c) => [c, []] as [number, number[]])],
    ['skips: a skipped midpoint whose neighbours are skipped on the bad side (the culprit is on the good side)', [[6, [3, 7, 8, 9, 10]]] as Array<[number, number[]]>],
    ['skips: every commit between the last good and the first bad', [[6, [4, 5]], [0, [12]], [13, []], [-1, []], [1, [0]]] as Array<[number, number[]]>],
    ['skips: scattered', [[2, [1, 6, 9]], [9, [5, 6, 7, 8]], [11, [0, 2, 4, 6, 8, 10]], [5, [3, 5, 6]]] as Array<[number, number[]]>],
  ])('%s: the same answer and the same number of runs', async (_what, cases) => {
    for (const [culprit, skips] of cases) {
      const oracle = monotone(culprit, new Set(skips));
      const real = await engine(culprit, skips);
      expect([culprit, skips, real]).toEqual([culprit, skips, sequentialBisect(N, 0, oracle)]);
      const kary = karyBisect(N, 4, 0, oracle);
      expect([culprit, skips, describeOutcome(kary.outcome)]).toEqual([culprit, skips, describeOutcome(real)]);
    }
  });
});
