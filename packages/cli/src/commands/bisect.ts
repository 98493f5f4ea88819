import {
  BisectRangeError,
  ScratchStore,
  UserError,
  assertNotOption,
  bisect,
  bisectInRounds,
  bisectRoundBound,
  findCascade,
  readCommits,
  type BisectOptions,
} from '@rollback-gate/core';
import { UsageError, wholeNumber, type ParsedArgs } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { openRepo, runDirectory, type CommandContext } from '../context.js';
import { Progress } from '../progress.js';
import { safe, count } from '../terminal.js';

/** The most probes `--jobs` runs at once (each is a worktree and a process tree). */
const MAX_JOBS = 64;

/** `-- npm test` as one shell command: a single word is taken as written, several are quoted. */
export function shellCommand(words: readonly string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The engine's bisect options from the command line: new options (a probe count, say) plug in here. */
function bisectOptions(ctx: CommandContext, args: ParsedArgs, command: string, timeoutMinutes: number, progress: Progress): BisectOptions {
  return {
    command,
    retries: wholeNumber(args, 'retries', 0, 99, 'bisect'),
    timeoutMinutes: wholeNumber(args, 'timeout-minutes', timeoutMinutes, 10_000, 'bisect') || timeoutMinutes,
    env: ctx.env,
    log: progress.logger(),
  };
}

export const bisectCommand: Command = {
  name: 'bisect',
  summary: 'Find the first bad commit between GOOD and BAD, and the later commits that build on it.',
  usage: 'bisect GOOD BAD -- CMD...',
  description:
    'The rollback engine\'s bisect: CMD runs at each probe in a throwaway worktree (your checkout is never touched): exit 0 ' +
    'is good, 125 skips the commit, anything else is bad, and with --retries N a commit is bad only when its failure repeats. ' +
    'Prints a line per probe (commit, verdict, seconds), then the culprit, its cascade (the later commits that change what it ' +
    'changed or what imports it) and its blast radius. Ctrl-C stops the probe and removes the worktree. With --jobs K, ' +
    'K probes run at once, each in its own throwaway worktree (a K-ary search: each round cuts the candidates into K + 1 ' +
    'parts, at most ceil(log_(K+1) N) + 1 rounds for N commits without skips, against ceil(log2 N) + 1 one at a time); ' +
    'the culprit is the one the sequential bisect finds.',
  options: [
    { name: 'retries', type: 'string', value: 'N', description: 'Flake tolerance: rerun a failing probe N more times. Default: 0.' },
    { name: 'timeout-minutes', type: 'string', value: 'M', description: 'Per-probe timeout. Default: verify.timeout-minutes from the config.' },
    { name: 'jobs', type: 'string', value: 'K', description: 'Probes at once, each in its own throwaway worktree (1 to 64). Default: 1, one after another.' },
  ],
  positionals: [
    { name: 'GOOD', required: true, description: 'A commit where CMD passes (a checkpoint tag, a sha, a branch).' },
    { name: 'BAD', required: true, description: 'A later commit where CMD fails (e.g. HEAD).' },
  ],
  takesCommand: true,
  examples: [
    'rollback-gate bisect checkpoint/20260301-0930 HEAD -- npm test',
    'rollback-gate bisect v1.2.0 main --retries 2 -- "npm run build && npm test"',
    'rollback-gate bisect v1.2.0 main --jobs 4 -- npm test',
  ],
  async run(ctx) {
    const { term, args } = ctx;
    const [goodInput, badInput] = args.positionals as [string, string];
    if (args.rest.length === 0) throw new UsageError('bisect needs the command to run at each probe, after `--`.', 'For example: rollback-gate bisect GOOD BAD -- npm test', 'bisect');
    const command = shellCommand(args.rest);
    const jobs = wholeNumber(args, 'jobs', 1, MAX_JOBS, 'bisect');
    if (jobs < 1) throw new UsageError('option --jobs is 0; at least one probe must run.', `Give --jobs 1 (one probe at a time) up to --jobs ${MAX_JOBS}.`, 'bisect');
    const repo = await openRepo(ctx);
    const { git } = repo;
    assertNotOption(goodInput, 'GOOD');
    assertNotOption(badInput, 'BAD');
    const good = await git.requireCommit(goodInput, 'GOOD');
    const bad = await git.requireCommit(badInput, 'BAD');
    if (!(await git.isAncestor(good, bad))) {
      throw new UserError(`GOOD ${goodInput} (${good.slice(0, 12)}) is not an ancestor of BAD ${badInput} (${bad.slice(0, 12)}).`, 'Give an older commit as GOOD and a later one on the same history as BAD.');
    }
    const commits = await readCommits(git, [`${good}..${bad}`], { firstParent: true });
    const subjects = new Map(commits.map((c) => [c.sha.slice(0, 12), c.subject]));
    subjects.set(good.slice(0, 12), (await git.text(['log', '-1', '--format=%s', '--end-of-options', good])).trim()); // the good end is probed when the culprit would be the first commit
    const run = runDirectory(ctx, repo);
    const progress = new Progress(term, subjects, term.tty);
    const options = bisectOptions(ctx, args, command, repo.config.verify.timeoutMinutes, progress);
    const spread = jobs > 1 ? `, ${jobs} probes at once (at most ${bisectRoundBound(commits.length, jobs)} rounds)` : '';
    progress.start(`bisecting ${count(commits.length, 'commit')} between ${goodInput} and ${badInput}${spread} with: ${safe(command)}`);
    let store: ScratchStore | undefined;
    try {
      store = await ScratchStore.create(git, run.dir);
      const result = jobs > 1 ? await bisectInRounds(git, store, good, bad, { ...options, parallel: jobs }) : await bisect(git, store, good, bad, options);
      const rounds = 'rounds' in result ? (result.rounds as number) : result.probes.length;
      progress.stop();
      const later = result.commits.slice(result.commits.indexOf(result.culprit) + 1);
      const found = await findCascade(git, result.culprit, later, bad, repo.config.blastRadius.maxDepth);
      if (term.json) {
        term.document({
          command: 'bisect',
          good,
          bad,
          culprit: { sha: result.culprit.sha, subject: result.culprit.subject, author: `${result.culprit.authorName} <${result.culprit.authorEmail}>` },
          runs: result.runs,
          skipped: result.skipped,
          jobs,
          rounds,
          probes: result.probes.map((p, i) => ({ ...p, seconds: progress.lines[i]?.seconds ?? null })),
          cascade: found.cascade,
          independent: found.independent,
          blastRadius: found.blastRadius,
        });
        return EXIT.ok;
      }
      const roundsNote = jobs > 1 ? `, ${count(rounds, 'round')} of up to ${jobs} probes` : '';
      term.essential(`${term.paint('red', 'culprit')} ${result.culprit.sha.slice(0, 12)} ${safe(result.culprit.subject)}  (${count(result.runs, 'run')}, ${result.skipped} skipped${roundsNote})`);
      term.fields([['author', safe(`${result.culprit.authorName} <${result.culprit.authorEmail}>`)]]);
      if (found.cascade.length > 0) {
        term.line();
        term.heading(`Cascade: ${count(found.cascade.length, 'later commit')} ${found.cascade.length === 1 ? 'builds' : 'build'} on it`);
        term.table(['commit', 'subject', 'why'], found.cascade.map((c) => [c.commit.slice(0, 12), safe(subjects.get(c.commit.slice(0, 12)) ?? ''), safe(c.reason)]));
      } else term.line('\nNo later commit builds on it: it can be reverted alone.');
      if (found.blastRadius.length > 0) {
        term.line();
        term.heading('Its blast radius (files importing what it changed)');
        term.table(['file', 'import chain (→: imported by)'], found.blastRadius.slice(0, 30).map((r) => [safe(r.file), safe(r.chain.join(' → '))]));
      }
      term.line();
      term.line(`Roll it back: rollback-gate rollback ${result.culprit.sha.slice(0, 12)}${found.cascade.length > 0 ? `   (with its cascade: rollback-gate rollback ${good.slice(0, 12)}..${bad.slice(0, 12)} --strategy bisect --bisect-command '…')` : ''}`);
      return EXIT.ok;
    } catch (error) {
      progress.stop();
      if (error instanceof BisectRangeError && !term.json) {
        term.table(['probe', 'commit', 'verdict', 'exit codes'], error.result.probes.map((p, i) => [String(i + 1), p.commit.slice(0, 12), p.verdict, p.exitCodes.join(', ')]));
      }
      // The engine's next step names the action's input; here it is CMD and the range.
      if (error instanceof BisectRangeError) throw new UserError(error.problem, 'Check CMD (it must fail at BAD and pass at GOOD) and the range GOOD BAD.');
      throw error;
    } finally {
      store?.dispose();
      run.dispose();
    }
  },
};
