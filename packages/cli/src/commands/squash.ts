import { UserError, squashSession, systemClock, type Git } from '@rollback-gate/core';
import { flag, stringOption } from '../args.js';
import { checksOnTree } from '../checks.js';
import { EXIT, type Command } from '../command.js';
import { REMOTE, hasRemote, openRepo, requireRemoteForPush, resolveSessionId, runDirectory, sessionOption } from '../context.js';
import { Progress } from '../progress.js';
import { safe, count } from '../terminal.js';

/** The remote's default branch as this clone knows it (no network), else by asking the remote when pushing. */
async function defaultBranch(git: Git, push: boolean): Promise<string | undefined> {
  if (!(await hasRemote(git))) return undefined;
  const known = await git.test(['symbolic-ref', '--quiet', '--short', `refs/remotes/${REMOTE}/HEAD`]);
  if (known.exitCode === 0) return known.stdout.trim().replace(`${REMOTE}/`, '');
  return push ? git.remoteDefaultBranch(REMOTE) : undefined;
}

export const squashCommand: Command = {
  name: 'squash',
  summary: 'Make the session one commit on its checkpoint; the originals are kept under a backup ref.',
  usage: 'squash [--run-checks] [--keep-human-commits] [--push]',
  description:
    'squash-session on the current branch: the session\'s commits since its checkpoint become one commit whose tree is ' +
    'exactly HEAD\'s (checked), or with --keep-human-commits the agent commits become one and the human commits are ' +
    'replayed after it. The old head is kept at refs/rollback-gate/backup/<id>. Locally it rewrites the current branch only; ' +
    '--push pushes the branch and the backup in one atomic push leased on what origin had. --run-checks runs the config\'s ' +
    'verify.commands on the session first (in a throwaway worktree) and squashes only when they pass. Refuses a dirty tree.',
  options: [
    { name: 'run-checks', type: 'boolean', description: 'Run verify.commands from the config on HEAD first; squash only when they pass.' },
    { name: 'keep-human-commits', type: 'boolean', description: 'Squash only the agent commits; replay the human commits after, unchanged.' },
    { name: 'push', type: 'boolean', description: 'Push the branch and the backup ref to origin (atomic, leased).' },
    { name: 'title', type: 'string', value: 'TEXT', description: 'Title of the squash commit. Default: the first conventional-commit subject.' },
    { name: 'base', type: 'string', value: 'REF', description: 'Squash onto REF instead of the session\'s checkpoint.' },
    { name: 'from-hook', type: 'boolean', description: "Read the agent hook's JSON on stdin (session_id, cwd)." },
  ],
  positionals: [],
  examples: ['rollback-gate squash --run-checks', 'rollback-gate squash --keep-human-commits --push'],
  async run(ctx) {
    const session = await sessionOption(ctx);
    const repo = await openRepo(ctx, { dir: stringOption(ctx.args, 'dir') ?? session.hook?.cwd });
    const { git, config } = repo;
    const { term } = ctx;
    const push = flag(ctx.args, 'push');
    await requireRemoteForPush(git, push);
    const branch = await git.currentBranch();
    if (!branch) throw new UserError('HEAD is detached; there is no branch to squash.', 'Switch to the session\'s branch (git switch <branch>), then run again.');
    await git.assertNoOperationInProgress();
    await git.assertCleanWorkingTree();
    const { id } = await resolveSessionId(repo, session.id);

    let checks: Awaited<ReturnType<typeof checksOnTree>> = [];
    if (flag(ctx.args, 'run-checks')) {
      if (config.verify.commands.length === 0) {
        throw new UserError(`--run-checks has nothing to run: ${repo.configPath} lists no verify.commands.`, 'Add your test command under verify.commands (see the file `rollback-gate init` writes), or leave out --run-checks.');
      }
      const run = runDirectory(ctx, repo);
      const progress = new Progress(term, new Map(), term.tty);
      progress.start(`running ${count(config.verify.commands.length, 'check')} on ${branch} before squashing…`);
      try {
        checks = await checksOnTree(repo, run.dir, 'HEAD', progress.logger(), ctx.env);
      } finally {
        progress.stop();
        run.dispose();
      }
      const failed = checks.filter((c) => !c.passed);
      if (failed.length > 0) {
        if (term.json) {
          term.document({ command: 'squash', status: 'checks-failed', checks, sessionId: id, branch });
        } else {
          term.essential(`${term.paint('red', '✗')} checks failed (${failed.map((c) => c.name).join(', ')}); nothing was squashed.`);
          for (const c of failed) if (c.tail) term.line(safe(c.tail.split('\n').slice(-10).join('\n')));
        }
        return EXIT.finding;
      }
    }

    const result = await squashSession(
      { git, log: repo.log, clock: systemClock },
      {
        sessionId: id,
        base: stringOption(ctx.args, 'base'),
        branch,
        title: stringOption(ctx.args, 'title'),
        keepHumanCommits: flag(ctx.args, 'keep-human-commits'),
        allowMerges: false,
        requireSigned: false,
        push,
        defaultBranch: await defaultBranch(git, push),
        checkpointPrefix: config.checkpoint.prefix,
        agents: config.agents,
      },
    );
    if (term.json) {
      term.document({ command: 'squash', ...result, sessionId: id, checks });
      return EXIT.ok;
    }
    if (result.status === 'empty') term.essential(`nothing to squash: ${safe(branch)} is at its base ${result.base.slice(0, 12)}.`);
    else if (result.status === 'already-squashed') term.essential(`already squashed: ${safe(branch)} starts with the squash commit ${result.squashCommit?.slice(0, 12)}; nothing changed.`);
    else {
      term.essential(
        `${term.paint('green', '✓')} squashed ${count(result.commitsSquashed, 'commit')} of session ${id} into ${result.squashCommit?.slice(0, 12)} on ${safe(branch)}` +
          `${result.humanCommitsReplayed > 0 ? ` (+${count(result.humanCommitsReplayed, 'human commit')} replayed)` : ''}${result.pushed ? ', pushed' : ''}`,
      );
      term.fields([
        ['tree', result.treeMatches ? 'identical to the old head (checked)' : 'DIFFERENT'],
        ['originals', `${result.backupRef} -> ${result.originalHead.slice(0, 12)}`],
        ['checks', checks.length > 0 ? `${checks.length} passed` : 'not run (--run-checks runs them first)'],
      ]);
      if (result.unsignedResult) term.warning('some squashed commits were signed; the squash commit is not.');
      term.line();
      term.line(`Undo the squash:  git update-ref refs/heads/${safe(branch)} ${result.originalHead} ${result.sha}`);
      if (!result.pushed && (await hasRemote(git))) term.line(`Publish it:       git push --atomic --force-with-lease origin ${safe(branch)} ${result.backupRef}`);
    }
    return EXIT.ok;
  },
};
