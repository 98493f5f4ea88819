/**
 * The running side of a bisect spread over rounds: one probe (the command at one commit, in a
 * throwaway worktree, with the sequential bisect's retries), the verdict files that carry probes'
 * verdicts from one round (one job per probe) to the next, and `bisectInRounds`, which drives the
 * round planner with k probes at once in k worktrees on one machine, starting from the verdicts
 * already recorded (so a last job can finish, or merely conclude, a bisect the rounds began).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../base/errors.js';
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import { plural, prose } from '../output/markdown.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { ThrowawayWorktree } from '../sandbox/checks.js';
import type { ScratchStore } from '../sandbox/scratch.js';
import { BisectRangeError, probeCommit, type BisectOptions, type BisectResult, type ProbeOutcome } from './bisect.js';
import { bisectRoundBound, planBisectRound, type BisectProbe, type BisectRoundPlan, type BisectVerdict, type RecordedVerdict } from './bisect-rounds.js';

export const VERDICT_SCHEMA = 'rollback-gate/bisect-verdict@1';

/** One probe's verdict as a file: the range it belongs to, the commit, what the runs said. */
export interface VerdictFile {
  schema: typeof VERDICT_SCHEMA;
  good: string;
  bad: string;
  commit: string;
  verdict: BisectVerdict;
  exitCodes: Array<number | null>;
  durationMs: number;
}


/** The first-parent candidates good..bad, oldest first, after checking that good is an ancestor of bad. */
export async function bisectRange(git: Git, good: string, bad: string): Promise<{ good: string; bad: string; commits: CommitInfo[] }> {
  const goodSha = await git.requireCommit(good, 'the good end');
  const badSha = await git.requireCommit(bad, 'the bad end');
  if (!(await git.isAncestor(goodSha, badSha))) {
    throw new UserError(
      `the good end ${good} (${goodSha.slice(0, 12)}) is not an ancestor of the bad end ${bad} (${badSha.slice(0, 12)}).`,
      'Give as `good` a commit the bad end descends from (the checkpoint, or the last commit whose CI passed).',
    );
  }
  const commits = await readCommits(git, [`${goodSha}..${badSha}`], { firstParent: true });
  if (commits.length === 0) throw new UserError(`there are no commits between ${goodSha.slice(0, 12)} and ${badSha.slice(0, 12)} to bisect.`);
  return { good: goodSha, bad: badSha, commits };
}


const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Writes `<dir>/<commit>.json`; returns its path. */
export function writeVerdictFile(dir: string, range: { good: string; bad: string }, outcome: ProbeOutcome): string {
  mkdirSync(dir, { recursive: true });
  const file: VerdictFile = { schema: VERDICT_SCHEMA, good: range.good, bad: range.bad, ...outcome };
  const path = join(dir, `${outcome.commit}.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

/**
 * Every verdict file under `dir` (the downloaded artifacts of earlier rounds, in folders or not),
 * checked: our schema, this bisect's range, a full commit id, a known verdict. A missing folder
 * holds no verdicts.
 */
export function readVerdictFiles(dir: string, range: { good: string; bad: string }): RecordedVerdict[] {
  if (!existsSync(dir)) return [];
  const verdicts: RecordedVerdict[] = [];
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.json'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  for (const path of files) {
    const name = relative(dir, path);
    let parsed: Partial<VerdictFile>;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<VerdictFile>;
    } catch (error) {
      throw new UserError(`the verdict file ${name} is not valid JSON (${(error as Error).message}).`, 'Only the verdict artifacts of this bisect belong in `verdicts`.');
    }
    if (parsed?.schema !== VERDICT_SCHEMA) throw new UserError(`${name} is not a bisect verdict (its schema is ${JSON.stringify(parsed?.schema)}, expected ${VERDICT_SCHEMA}).`, 'Only the verdict artifacts of this bisect belong in `verdicts`.');
    if (parsed.good !== range.good || parsed.bad !== range.bad) {
      throw new UserError(
        `the verdict file ${name} belongs to the bisect ${String(parsed.good).slice(0, 12)}..${String(parsed.bad).slice(0, 12)}, not to this one (${range.good.slice(0, 12)}..${range.bad.slice(0, 12)}).`,
        'Artifacts of another bisect were downloaded: give each bisect its own artifact names, or start again.',
      );
    }
    if (typeof parsed.commit !== 'string' || !SHA.test(parsed.commit)) throw new UserError(`the verdict file ${name} names no full commit id (${JSON.stringify(parsed.commit)}).`);
    if (!['good', 'bad', 'skip'].includes(parsed.verdict as string)) throw new UserError(`the verdict file ${name} has the verdict ${JSON.stringify(parsed.verdict)}; expected good, bad or skip.`);
    verdicts.push({ commit: parsed.commit, verdict: parsed.verdict!, exitCodes: Array.isArray(parsed.exitCodes) ? parsed.exitCodes : [] });
  }
  return verdicts;
}

export interface RoundsResult extends BisectResult {
  /** Rounds run here (0 when the recorded verdicts already told the culprit). */
  rounds: number;
  /** Verdicts recorded before (their runs and probes are counted in `runs` and `probes`). */
  recorded: number;
}

/**
 * A bisect of good..bad with `parallel` probes at once, each in its own throwaway worktree, round
 * after round as the planner says, starting from the `recorded` verdicts and those in the verdict
 * files under `verdictsDir` (earlier rounds' artifacts). Same answers and errors as the sequential
 * `bisect` (a wrong range throws BisectRangeError with the runs); `runs`, `skipped` and `probes` count
 * the recorded verdicts' too, so a report tells the whole bisect.
 */
export async function bisectInRounds(
  git: Git,
  store: ScratchStore,
  good: string,
  bad: string,
  options: BisectOptions & { parallel: number; recorded?: readonly RecordedVerdict[]; verdictsDir?: string },
): Promise<RoundsResult> {
  const range = await bisectRange(git, good, bad);
  const { commits } = range;
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const goodCommit = { sha: range.good, tree: await git.treeOf(range.good), parents: [] as string[] };
  const verdicts: RecordedVerdict[] = [...(options.recorded ?? []), ...(options.verdictsDir ? readVerdictFiles(options.verdictsDir, range) : [])];
  if (verdicts.length > 0) options.log.info(`bisect: ${plural(verdicts.length, 'verdict')} recorded before this run`);
  const result: RoundsResult = { culprit: commits[0]!, commits, runs: 0, skipped: 0, probes: [], rounds: 0, recorded: verdicts.length };
  for (const v of verdicts) {
    result.runs += v.exitCodes?.length ?? 0;
    if (v.verdict === 'skip') result.skipped++;
    result.probes.push({ commit: v.commit, verdict: v.verdict, exitCodes: [...(v.exitCodes ?? [])] });
  }
  const worktrees: ThrowawayWorktree[] = [];
  const warned = new Set<string>();
  try {
    for (;;) {
      const plan = planBisectRound({ good: range.good, commits: commits.map((c) => c.sha) }, verdicts, options.parallel);
      for (const o of plan.overridden.filter((o) => !warned.has(o.commit) && warned.add(o.commit))) options.log.warning(`bisect: ${o.commit.slice(0, 12)} failed, but the later ${o.passedLater.slice(0, 12)} passed: a flake beyond \`retries\`, not believed.`);
      if (plan.status === 'culprit') {
        result.culprit = bySha.get(plan.culprit)!;
        return result;
      }
      if (plan.status === 'cannot-tell') throw new BisectRangeError(plan.message, result);
      result.rounds++;
      while (worktrees.length < plan.probes.length) worktrees.push(await ThrowawayWorktree.create(store));
      options.log.info(`bisect round ${result.rounds}: ${plural(plan.probes.length, 'probe')} at once, ${plural(plan.candidates, 'candidate')} left`);
      const outcomes = await Promise.all(
        plan.probes.map((p: BisectProbe, i) => probeCommit(worktrees[i]!, p.index < 0 ? goodCommit : bySha.get(p.commit)!, options)),
      );
      for (const o of outcomes) {
        result.runs += o.exitCodes.length;
        if (o.verdict === 'skip') result.skipped++;
        result.probes.push({ commit: o.commit, verdict: o.verdict, exitCodes: o.exitCodes });
        verdicts.push({ commit: o.commit, verdict: o.verdict, exitCodes: o.exitCodes });
      }
    }
  } finally {
    for (const w of worktrees) w.remove();
  }
}

const ICON: Record<BisectVerdict, string> = { good: '✅ good', bad: '❌ bad', skip: '⏭️ skip' };

/** The job summary of a planning round: the range, the verdicts so far, and the probes, the culprit or why not. */
export function renderBisectPlanSummary(options: {
  round: number;
  rounds: number;
  parallel: number;
  range: { good: string; bad: string; commits: readonly CommitInfo[] };
  recorded: readonly RecordedVerdict[];
  plan: BisectRoundPlan;
}): string {
  const { range, plan } = options;
  const index = new Map(range.commits.map((c, i) => [c.sha, i]));
  const subject = new Map(range.commits.map((c) => [c.sha, c.subject]));
  const label = (sha: string): string => (sha === range.good ? 'good end' : `${(index.get(sha) ?? 0) + 1} of ${range.commits.length}`);
  const parts = [
    `## ${plan.status === 'probe' ? '🔎' : plan.status === 'culprit' ? '🎯' : '❌'} Bisect, round ${options.round}${options.rounds > 0 ? ` of ${options.rounds}` : ''}: ${
      plan.status === 'probe' ? `probing ${plural(plan.probes.length, 'commit')}` : plan.status === 'culprit' ? `the culprit is ${markdownCode(plan.culprit.slice(0, 12))}` : 'cannot tell the culprit'
    }`,
    `${plural(range.commits.length, 'commit')} between ${markdownCode(range.good.slice(0, 12))} (good) and ${markdownCode(range.bad.slice(0, 12))} (bad); ${plural(options.parallel, 'probe')} per round: at most ${plural(bisectRoundBound(range.commits.length, options.parallel), 'round')} without skips.`,
  ];
  if (options.recorded.length > 0) {
    const rows = [...options.recorded]
      .sort((a, b) => (index.get(a.commit) ?? -1) - (index.get(b.commit) ?? -1))
      .map((v) => [label(v.commit), markdownCode(v.commit.slice(0, 12)), markdownText(subject.get(v.commit) ?? ''), ICON[v.verdict], (v.exitCodes ?? []).map(String).join(', ')]);
    parts.push('### Verdicts so far', markdownTable(['position', 'commit', 'subject', 'verdict', 'exit codes'], rows));
  }
  if (plan.overridden.length > 0) {
    parts.push(`Not believed (a later commit passed, so these failures were flakes beyond \`retries\`): ${plan.overridden.map((o) => markdownCode(o.commit.slice(0, 12))).join(', ')}.`);
  }
  if (plan.status === 'probe') {
    parts.push(`### Probing ${plural(plan.probes.length, 'commit')} now (${plural(plan.candidates, 'candidate')} left)`, markdownTable(['position', 'commit', 'subject', 'role'], plan.probes.map((p) => [label(p.commit), markdownCode(p.commit.slice(0, 12)), markdownText(subject.get(p.commit) ?? ''), p.role])));
  } else if (plan.status === 'culprit') {
    parts.push(`**Culprit: ${markdownCode(plan.culprit.slice(0, 12))}** ${markdownText(subject.get(plan.culprit) ?? '')} (commit ${plan.index + 1} of ${range.commits.length}).`);
  } else {
    parts.push(`**Cannot tell the culprit**: ${prose(plan.message)}`);
    if (plan.candidates.length > 0) parts.push(`It is one of: ${plan.candidates.map((c) => markdownCode(c.slice(0, 12))).join(', ')}.`);
  }
  return parts.join('\n\n');
}

/** The job summary of one probe. */
export function renderBisectProbeSummary(outcome: ProbeOutcome, subject: string): string {
  return [
    `## Bisect probe: ${markdownCode(outcome.commit.slice(0, 12))} is ${ICON[outcome.verdict]}`,
    markdownTable(['commit', 'subject', 'runs (exit codes)', 'time'], [[markdownCode(outcome.commit), markdownText(subject), outcome.exitCodes.map(String).join(', '), `${(outcome.durationMs / 1000).toFixed(1)} s`]]),
  ].join('\n\n');
}
