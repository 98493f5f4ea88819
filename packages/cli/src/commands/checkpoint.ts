import { createCheckpoint, systemClock } from '@rollback-gate/core';
import { flag, stringOption } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { openRepo, requireRemoteForPush, sessionOption } from '../context.js';
import { join } from 'node:path';
import { safe, count } from '../terminal.js';

/** `YYYYMMDD-HHMM` in local time: the id the playbook gives a checkpoint by hand. */
export function timeSessionId(now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}`;
}

export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'Tag the known-good state before a session (a sealed, immutable checkpoint tag).',
  usage: 'checkpoint [--session-id ID] [--ref REF] [--push] [--from-hook]',
  description:
    'Creates the annotated tag checkpoint/<ID> holding a sealed manifest, exactly as the checkpoint action does. ' +
    'Without an id, one from the time (YYYYMMDD-HHMM). A checkpoint never moves: running it again at the same commit ' +
    'finds the existing tag. The tag stays local unless --push (atomic push to origin).',
  options: [
    { name: 'ref', type: 'string', value: 'REF', description: 'The known-good commit (branch, tag or sha). Default: HEAD.' },
    { name: 'push', type: 'boolean', description: 'Push the tag to origin.' },
    { name: 'from-hook', type: 'boolean', description: "Read the agent hook's JSON on stdin (session_id, cwd): what `init` puts in .claude/settings.json." },
  ],
  positionals: [],
  examples: ['# before an agent session', 'rollback-gate checkpoint', '# a named session, pushed', 'rollback-gate checkpoint --session-id refactor-auth --push'],
  async run(ctx) {
    const session = await sessionOption(ctx);
    const repo = await openRepo(ctx, { dir: stringOption(ctx.args, 'dir') ?? session.hook?.cwd });
    const { git, log } = repo;
    const push = flag(ctx.args, 'push');
    await requireRemoteForPush(git, push);
    const id = session.id ?? timeSessionId(systemClock());
    const dirty = (await git.run(['status', '--porcelain=v1', '-z', '--untracked-files=no'])).stdout.split('\0').filter(Boolean);
    const user = await git.configValue('user.name');
    const result = await createCheckpoint(
      { git, log, clock: systemClock },
      {
        sessionId: id,
        ref: stringOption(ctx.args, 'ref') ?? '',
        push,
        prefix: repo.config.checkpoint.prefix,
        branch: await git.currentBranch(),
        actor: user,
        workspace: repo.root,
        manifestDir: join(repo.gitDir, 'rollback-gate', 'manifests'),
      },
    );
    const { term } = ctx;
    if (term.json) {
      term.document({
        command: 'checkpoint',
        tag: result.tag,
        sha: result.sha,
        tree: result.tree,
        created: result.created,
        pushed: result.pushed,
        manifestPath: result.manifestPath,
        digest: result.digest,
        uncommittedFiles: dirty.length,
        manifest: result.manifest,
      });
      return EXIT.ok;
    }
    term.essential(
      `${term.paint('green', '✓')} ${result.tag} at ${result.sha.slice(0, 12)} ${result.created ? '(created)' : '(already there: a checkpoint never moves)'}${result.pushed ? ', pushed to origin' : ''}`,
    );
    term.fields([
      ['commit', result.sha],
      ['branch', safe(result.manifest.branch ?? '(detached)')],
      ['seal', result.manifest.seal],
      ['manifest', result.manifestPath],
    ]);
    if (dirty.length > 0) term.warning(`${count(dirty.length, 'file')} ${dirty.length === 1 ? 'has' : 'have'} uncommitted changes; they are not part of the checkpoint (it holds ${result.sha.slice(0, 12)} only).`);
    term.line();
    term.line(`Restore it:  git switch --create restore/${result.manifest.id} ${result.tag}`);
    term.line(`At the end:  rollback-gate status   then   rollback-gate squash --run-checks`);
    return EXIT.ok;
  },
};
