/**
 * What belongs to a session or a branch on the branch being rolled back: never "everything after
 * the checkpoint". A session is its own commits (its `Session-Id:` commits, the head its squash
 * recorded, or the agent's commits right after its checkpoint); a branch landed as its merge commit,
 * or as a squash commit found by `Session-Id:` trailer or patch id.
 */
import type { Classification } from '../git/classify.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { TRAILERS, isRollbackCommit, trailerValue, trailerValues } from '../git/protocol.js';
import { describeCommitLine } from '../output/commit-list.js';
import { UserError } from '../base/errors.js';
import { listed } from './revert.js';
import { plural } from '../output/markdown.js';

/** Where squash-session keeps a session's original head (see squash/). */
const BACKUP_PREFIX = 'refs/rollback-gate/backup/';

export interface SessionCommits {
  /** The session's own commits, newest first. */
  commits: CommitInfo[];
  /** How they were told apart, for the summary. */
  how: string;
  /** Commits on the branch after the checkpoint that are not the session's (kept), newest first. */
  later: CommitInfo[];
}

/**
 * The session's own commits among `history` (the branch's first-parent commits after its
 * checkpoint, newest first): its `Session-Id:` commits; else the commits up to the head its squash
 * recorded (`refs/rollback-gate/backup/<id>`); else the run of agent commits right after the
 * checkpoint through the newest agent commit. Rollback commits never belong to it.
 */
export async function sessionCommits(
  git: Git,
  options: { sessionId: string; checkpoint: string; checkpointTag?: string; tip: string; branch: string; remote: string; history: readonly CommitInfo[]; classify: (c: CommitInfo) => Classification },
): Promise<SessionCommits> {
  const { sessionId, history, classify } = options;
  const candidates = history.filter((c) => !isRollbackCommit(c));
  const split = (own: CommitInfo[], how: string): SessionCommits => {
    const shas = new Set(own.map((c) => c.sha));
    return { commits: own, how, later: history.filter((c) => !shas.has(c.sha) && !isRollbackCommit(c)) };
  };

  const tagged = candidates.filter((c) => trailerValue(c, TRAILERS.sessionId) === sessionId);
  if (tagged.length > 0) return split(tagged, `its ${plural(tagged.length, 'commit')} with \`${TRAILERS.sessionId}: ${sessionId}\``);

  const backup = `${BACKUP_PREFIX}${sessionId}`;
  if (!(await git.refExists(backup))) await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', options.remote, `+${backup}:${backup}`]);
  const recorded = await git.resolveCommit(backup);
  if (recorded && (await git.isAncestor(recorded, options.tip)) && (await git.isAncestor(options.checkpoint, recorded))) {
    const own = candidates.filter((c) => c.sha === recorded || history.indexOf(c) >= history.findIndex((h) => h.sha === recorded));
    if (own.length > 0) return split(own, `the ${plural(own.length, 'commit')} up to ${recorded.slice(0, 12)}, the head its squash recorded (${backup})`);
  }

  // Else: from the checkpoint through its newest agent commit (human commits made during the session
  // are part of it), stopping at another session's commit or a rollback; what follows landed after it.
  const oldestFirst = [...history].reverse();
  let end = -1;
  for (let i = 0; i < oldestFirst.length; i++) {
    const commit = oldestFirst[i]!;
    const other = trailerValue(commit, TRAILERS.sessionId);
    if (isRollbackCommit(commit) || (other && other !== sessionId)) break;
    if (classify(commit).kind === 'agent') end = i;
  }
  if (end >= 0) {
    const own = oldestFirst.slice(0, end + 1);
    const humans = own.filter((c) => classify(c).kind === 'human').length;
    const newest = own[own.length - 1]!;
    return split(
      own.reverse(),
      `${plural(end + 1, 'commit')} on ${options.branch} since ${options.checkpointTag ?? options.checkpoint.slice(0, 12)}, through its newest agent commit ${describeCommitLine(listed(newest, classify))}${humans ? ` (${plural(humans, 'human commit')} made during the session included)` : ''}`,
    );
  }
  const first = oldestFirst[0];
  throw new UserError(
    first
      ? `cannot tell which commits after the checkpoint belong to session ${sessionId}: none carries \`${TRAILERS.sessionId}: ${sessionId}\`, no squash recorded its head (${backup}), and the first commit after the checkpoint, ${describeCommitLine(listed(first, classify))}, is not an agent's. Nothing was reverted: a session is never taken to be everything after its checkpoint.`
      : `session ${sessionId} has no commits on ${options.branch} after its checkpoint ${options.checkpoint.slice(0, 12)}.`,
    first ? `Name the session's commits as a range in \`target\` (\`${options.checkpoint.slice(0, 12)}..<its last commit>\`), or configure \`agents\` so its commits are recognised.` : 'Check the session id and `branch`.',
  );
}

/** Patch ids (`git patch-id --stable`) of the first-parent commits in `range`: patch id -> commit sha. */
async function patchIds(git: Git, range: string): Promise<Map<string, string>> {
  const log = await git.run(['log', '-p', '--first-parent', '--no-renames', '--format=commit %H', '--end-of-options', range, '--']);
  const ids = await git.run(['patch-id', '--stable'], { input: log.stdout });
  const found = new Map<string, string>();
  for (const line of ids.stdout.split('\n')) {
    const [id, sha] = line.trim().split(' ');
    if (id && sha && !found.has(id)) found.set(id, sha);
  }
  return found;
}

export interface BranchLanding {
  commit: CommitInfo;
  how: string;
}

/**
 * How the branch whose head is `head` landed on the branch (tip `tip`), or undefined when it did not:
 * the merge commit that brought `head` in; else a squash commit on the branch after the fork point
 * with the `Session-Id:` of the branch's commits, or with the same patch id as the branch's whole diff.
 */
export async function branchLanding(git: Git, options: { head: string; tip: string; name: string }): Promise<BranchLanding | undefined> {
  const { head, tip } = options;
  if (await git.isAncestor(head, tip)) {
    // The oldest first-parent commit that contains the head: the merge that brought it in.
    const path = await git.run(['rev-list', '--first-parent', '--ancestry-path', '--reverse', '--end-of-options', `${head}..${tip}`]);
    const shas = path.stdout.split('\n').filter(Boolean);
    for (const sha of shas) {
      const [commit] = await readCommits(git, [sha], { noWalk: true });
      if (commit && commit.parents.length > 1 && !(await git.isAncestor(head, commit.parents[0]!))) {
        return { commit, how: `merge commit ${commit.sha.slice(0, 12)} brought ${options.name} in` };
      }
    }
    return undefined;
  }
  const forkPoint = (await git.test(['merge-base', head, tip])).stdout.trim();
  if (!forkPoint) return undefined;
  const history = await readCommits(git, [`${forkPoint}..${tip}`], { firstParent: true, newestFirst: true, maxCount: 2000 });
  const ownCommits = await readCommits(git, [`${forkPoint}..${head}`], { newestFirst: true, maxCount: 2000 });
  const ids = new Set(ownCommits.flatMap((c) => trailerValues(c, TRAILERS.sessionId)));
  const bySession = history.find((c) => !isRollbackCommit(c) && ids.has(trailerValue(c, TRAILERS.sessionId) ?? ''));
  if (bySession) return { commit: bySession, how: `squash commit ${bySession.sha.slice(0, 12)} carries \`${TRAILERS.sessionId}: ${trailerValue(bySession, TRAILERS.sessionId)}\`, as ${options.name}'s commits do` };
  const diff = await git.run(['diff', '--no-renames', forkPoint, head]);
  if (!diff.stdout.trim()) return undefined;
  const own = (await git.run(['patch-id', '--stable'], { input: `commit ${head}\n${diff.stdout}` })).stdout.trim().split(' ')[0];
  const landed = own ? (await patchIds(git, `${forkPoint}..${tip}`)).get(own) : undefined;
  const commit = landed ? history.find((c) => c.sha === landed) : undefined;
  return commit ? { commit, how: `squash commit ${commit.sha.slice(0, 12)} has the same patch id as ${options.name}'s whole diff` } : undefined;
}
