import { findCheckpoint } from '../checkpoint/checkpoint.js';
import { createClassifier, type AgentRules, type Classification } from '../git/classify.js';
import { commitFiles, readCommits, type CommitInfo } from '../git/commits.js';
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import { assertNotOption, validateSessionId, type Git } from '../git/git.js';
import { applyChange } from '../git/merge.js';
import { BACKUP_PREFIX, TRAILERS, trailerLine, trailerValue, trailerValues } from '../git/protocol.js';
import { pushAtomic, type PushRejection } from '../git/push.js';
import { ensureHistory } from '../git/shallow.js';
import type { VerifyCommand } from '../config/config.js';
import { describeCheck, runChecks, ThrowawayWorktree, type CheckResult } from '../sandbox/checks.js';
import { ScratchStore } from '../sandbox/scratch.js';
import { plural } from '../output/markdown.js';

export interface SquashDeps {
  git: Git;
  log: Logger;
  clock: Clock;
}

export interface SquashRequest {
  /** The session id: names the backup ref and the trailers; with no `base`, its checkpoint tag is the base. */
  sessionId: string;
  /** An explicit base (a commit, branch or tag) instead of the checkpoint. */
  base?: string;
  /** The branch to squash. */
  branch: string;
  title?: string;
  keepHumanCommits: boolean;
  allowMerges: boolean;
  requireSigned: boolean;
  push: boolean;
  remote?: string;
  /** The repository's default branch; commits on it belong to others. */
  defaultBranch?: string;
  checkpointPrefix: string;
  agents: AgentRules;
  /** Run these checks on the session head before rewriting anything (`run-checks`); absent: none run. */
  checks?: SquashChecks;
}

/** The session-end protocol: the tests run on the head before the session becomes one commit. */
export interface SquashChecks {
  commands: readonly VerifyCommand[];
  /** Minutes, when a command sets none (`verify.timeout-minutes`). */
  timeoutMinutes: number;
  /** Caps every command's timeout (ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS). */
  maxTimeoutMs?: number;
  /** Squash even when a check fails, and record the failure in the squash commit's message. */
  allowFailing: boolean;
  /** False in pull_request_target runs: the session's code must not run with the base's secrets. */
  mayRunChangeCode: boolean;
  /** Where the throwaway worktree is made (removed afterwards). */
  tempDir: string;
  /** The environment the commands start from; secrets and runner files are withheld by the sandbox. */
  env: Record<string, string | undefined>;
  killGraceMs?: number;
}

export interface SquashedCommit {
  sha: string;
  subject: string;
  author: string;
  kind: Classification['kind'];
  signed: boolean;
  merge: boolean;
}

/** `checks-failed`: a check failed on the head and nothing was rewritten. */
export type SquashStatus = 'squashed' | 'already-squashed' | 'empty' | 'checks-failed';

export interface SquashResult {
  status: SquashStatus;
  branch: string;
  base: string;
  /** The session head before the rewrite (what the backup ref holds). */
  originalHead: string;
  /** The new head: the squash commit, or the last replayed human commit. */
  sha: string;
  squashCommit: string | undefined;
  backupRef: string | undefined;
  commits: SquashedCommit[];
  commitsSquashed: number;
  humanCommitsReplayed: number;
  treeMatches: boolean;
  pushed: boolean;
  unsignedResult: boolean;
  /** Every signed commit whose signature the rewrite drops: squashed into the unsigned squash commit, or replayed unsigned (keep-human-commits). */
  signaturesDropped: Array<{ sha: string; subject: string; author: string; kind: Classification['kind']; how: 'squashed' | 'replayed' }>;
  checkpointTag: string | undefined;
  /** The checks run on the session head; undefined when none were asked for. */
  checks: CheckResult[] | undefined;
  /** False for a hand-made checkpoint tag (no manifest, no seal); undefined without a checkpoint. */
  checkpointSealed?: boolean;
}

const CONVENTIONAL = /^(feat|fix|refactor|perf|docs|test|tests|build|ci|chore|style|revert)(\([^)]*\))?!?: \S/;
const AUTOSQUASH = /^(squash|fixup|amend)! /;

/** A pull request number GitHub appended to a subject when it squash-merged that PR: ` (#123)`. */
const PR_SUFFIX = /\s*\(#\d+\)\s*$/;

/**
 * The title when none is given: the first conventional-commit subject, else the first real subject,
 * without a ` (#123)` suffix (it names another pull request, not the squash).
 */
export function deriveTitle(commits: readonly CommitInfo[], sessionId: string): string {
  const subjects = commits.map((c) => c.subject.replace(PR_SUFFIX, '').trim()).filter((s) => s && !AUTOSQUASH.test(s));
  const title = subjects.find((s) => CONVENTIONAL.test(s)) ?? subjects[0] ?? `Session ${sessionId}`;
  return title.length > 100 ? `${title.slice(0, 97)}...` : title;
}

function identity(name: string, email: string): string {
  return `${name} <${email}>`;
}

/** Distinct co-authors: the squashed commits' authors and their Co-authored-by trailers, minus the committer. */
export function coAuthors(commits: readonly CommitInfo[], committerEmail: string): string[] {
  const byEmail = new Map<string, string>();
  const add = (name: string, email: string): void => {
    const key = email.trim().toLowerCase();
    if (!key || key === committerEmail.trim().toLowerCase() || byEmail.has(key)) return;
    byEmail.set(key, identity(name.trim(), email.trim()));
  };
  for (const commit of commits) {
    add(commit.authorName, commit.authorEmail);
    for (const value of trailerValues(commit, TRAILERS.coAuthoredBy)) {
      const m = value.match(/^(.*?)\s*<([^>]+)>\s*$/);
      if (m) add(m[1] ?? '', m[2] ?? '');
    }
  }
  return [...byEmail.values()];
}

/** The squash commit's message: title, the list of squashed commits, and the trailers. */
export function squashMessage(options: {
  title: string;
  sessionId: string;
  checkpoint: string;
  base: string;
  head: string;
  commits: readonly SquashedCommit[];
  coAuthors: readonly string[];
  /** The checks run on the head before squashing, if any. */
  checks?: readonly CheckResult[];
}): string {
  const agent = options.commits.filter((c) => c.kind === 'agent').length;
  const lines = [
    options.title.replace(/\s*\n\s*/g, ' '),
    '',
    `Squashed session ${options.sessionId}: ${plural(options.commits.length, 'commit')} (${agent} agent, ${options.commits.length - agent} human), ${options.base.slice(0, 12)}..${options.head.slice(0, 12)}.`,
    '',
    ...options.commits.map((c) => `- ${c.sha.slice(0, 12)} ${c.subject} (${c.kind}${c.merge ? ', merge' : ''})`),
    '',
    ...checksParagraph(options.checks, options.head),
    trailerLine(TRAILERS.sessionId, options.sessionId),
    trailerLine(TRAILERS.checkpoint, options.checkpoint),
    trailerLine(TRAILERS.squashedCommits, options.commits.length),
    ...(options.checks ? [trailerLine(TRAILERS.checks, checksTrailer(options.checks))] : []),
    ...options.coAuthors.map((a) => trailerLine(TRAILERS.coAuthoredBy, a)),
  ];
  return `${lines.join('\n')}\n`;
}

const RECORDED_TAIL_LINES = 15;

/** The failing checks, recorded in the squash commit's message (their output's last lines, indented). */
function checksParagraph(checks: readonly CheckResult[] | undefined, head: string): string[] {
  const failed = (checks ?? []).filter((c) => !c.passed);
  if (failed.length === 0) return [];
  const lines = [`Checks FAILED on the session head ${head.slice(0, 12)}; squashed anyway (allow-failing-checks: true):`];
  for (const check of failed) {
    lines.push(`- ${check.name.replace(/\s*\n\s*/g, ' ')}: ${describeCheck(check)}`);
    const tail = check.tail.split('\n').filter((l) => l.trim()).slice(-RECORDED_TAIL_LINES);
    lines.push(...tail.map((l) => `    ${l}`));
  }
  return [...lines, ''];
}

/** The `Checks:` trailer: `passed (2 of 2)`, or `failed (test, lint; 1 of 3 passed), allowed`. */
export function checksTrailer(checks: readonly CheckResult[]): string {
  const failed = checks.filter((c) => !c.passed);
  if (failed.length === 0) return `passed (${checks.length} of ${checks.length})`;
  const names = failed.map((c) => c.name.replace(/\s+/g, ' ')).join(', ');
  return `failed (${names}; ${checks.length - failed.length} of ${checks.length} passed), allowed`;
}

function describeCommit(commit: CommitInfo): string {
  return `${commit.sha.slice(0, 12)} "${commit.subject}"`;
}

interface ResolvedSession {
  base: string;
  checkpointTag: string | undefined;
  checkpointSealed?: boolean;
  head: string;
  /** The remote's branch tip seen at the start: the push lease. */
  lease: string | undefined;
}

async function resolveSession(deps: SquashDeps, request: SquashRequest, id: string): Promise<ResolvedSession> {
  const { git, log } = deps;
  const remote = request.remote ?? 'origin';
  const branchRef = `refs/heads/${request.branch}`;
  assertNotOption(request.branch, 'branch');
  if (!(await git.isValidRefName(branchRef))) {
    throw new UserError(`input \`branch\` is ${JSON.stringify(request.branch)}, which is not a valid branch name.`);
  }
  if (request.defaultBranch && request.branch === request.defaultBranch) {
    throw new UserError(
      `refusing to squash the default branch ${request.branch}: its history belongs to everyone.`,
      'Run squash-session on the session\'s feature branch, before it is merged.',
    );
  }

  let head: string;
  let lease: string | undefined;
  if (request.push) {
    lease = await git.remoteRef(remote, branchRef);
    if (!lease) {
      throw new UserError(
        `the branch ${request.branch} does not exist on ${remote} (was it deleted during the session?); refusing to recreate it.`,
        `Restore the branch on ${remote} first, or run with \`push: false\` to squash only the local branch.`,
      );
    }
    await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+${branchRef}:refs/remotes/${remote}/${request.branch}`]);
    head = lease;
    const local = await git.resolveCommit(branchRef);
    if (local && local !== lease && !(await git.isAncestor(local, lease))) {
      const backups = await remoteBackups(git, remote, id);
      const backedUp = backups.get(local);
      if (backedUp && (await git.treeOf(local)) === (await git.treeOf(lease))) {
        // An earlier run pushed the squash and the backup, then stopped before moving the local branch.
        log.info(`the local ${request.branch} is the pre-squash head kept in ${backedUp}; moving it to ${remote}'s ${lease.slice(0, 12)}.`);
        await git.run(['update-ref', branchRef, lease, local]);
      } else {
        throw new UserError(
          `the local branch ${request.branch} (${local.slice(0, 12)}) has commits that ${remote}/${request.branch} (${lease.slice(0, 12)}) does not.`,
          'Push them first (they would not be in the squash), or run with `push: false`.',
        );
      }
    }
  } else {
    const local = (await git.resolveCommit(branchRef)) ?? (await git.resolveCommit(`refs/remotes/${remote}/${request.branch}`));
    if (!local) throw new UserError(`there is no branch ${request.branch} here.`, 'Name an existing branch with `branch`.');
    head = local;
  }

  let base: string;
  let checkpointTag: string | undefined;
  let checkpointSealed: boolean | undefined;
  if (request.base?.trim()) {
    assertNotOption(request.base.trim(), 'base');
    base = await git.requireCommit(request.base.trim(), 'input `base`');
  } else {
    // Ours (sealed) or hand-made (unsealed): `<prefix><id>`, then `<prefix>before-session-<id>`.
    const found = await findCheckpoint(git, id, { prefix: request.checkpointPrefix, remote });
    if (!found) {
      throw new UserError(
        `there is no checkpoint ${request.checkpointPrefix}${id} (or ${request.checkpointPrefix}before-session-${id}) for session ${id}, here or on ${remote}.`,
        'Run the checkpoint action at the start of the session, or give the session\'s first parent as `base`.',
      );
    }
    checkpointTag = found.tag;
    checkpointSealed = found.sealed;
    base = found.commit;
  }

  await ensureHistory(git, {
    remote,
    refspecs: [`+${branchRef}:refs/remotes/${remote}/${request.branch}`],
    what: `the session's base ${base.slice(0, 12)} as an ancestor of ${request.branch}`,
    log,
    reachable: async () => (await git.objectExists(base)) && (await git.objectExists(head)) && (await git.isAncestor(base, head)),
  }).catch(async (error: unknown) => {
    if (!(await git.isShallow()) && (await git.objectExists(base))) {
      throw new UserError(
        `the base ${base.slice(0, 12)} is not an ancestor of ${request.branch} (${head.slice(0, 12)}); the branch was rebased or force-pushed since the checkpoint.`,
        'Give the commit the session now starts from as `base`.',
      );
    }
    throw error;
  });
  return { base, checkpointTag, checkpointSealed, head, lease };
}

/** Commits of the range that others own: on the default branch, or released under a non-checkpoint tag. */
async function refuseOthersCommits(git: Git, request: SquashRequest, base: string, head: string): Promise<void> {
  const remote = request.remote ?? 'origin';
  const all = (await git.text(['rev-list', `${base}..${head}`])).split('\n').filter(Boolean);
  if (request.defaultBranch) {
    const defaultRef = `refs/remotes/${remote}/${request.defaultBranch}`;
    await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+refs/heads/${request.defaultBranch}:${defaultRef}`]);
    if (await git.refExists(defaultRef)) {
      const own = new Set((await git.text(['rev-list', `${base}..${head}`, '--not', defaultRef])).split('\n').filter(Boolean));
      const shared = all.filter((sha) => !own.has(sha));
      if (shared.length > 0) {
        throw new UserError(
          `${plural(shared.length, 'commit')} of the session ${shared.length === 1 ? 'is' : 'are'} already on the default branch ${request.defaultBranch} (for example ${shared[0]}); they belong to others.`,
          'Squash only commits that exist on the session branch alone: give a later `base`.',
        );
      }
    }
  }
  await git.test(['fetch', '--quiet', '--no-tags', '--end-of-options', remote, '+refs/tags/*:refs/tags/*']);
  const own = new Set(
    (await git.text(['rev-list', `${base}..${head}`, '--not', `--exclude=refs/tags/${request.checkpointPrefix}*`, '--tags'])).split('\n').filter(Boolean),
  );
  const released = all.filter((sha) => !own.has(sha));
  if (released.length > 0) {
    const tags = (await git.text(['tag', '--contains', released[0]!])).split('\n').filter((t) => t && !t.startsWith(request.checkpointPrefix));
    throw new UserError(
      `${plural(released.length, 'commit')} of the session ${released.length === 1 ? 'was' : 'were'} already released (commit ${released[0]} is in tag ${tags[0] ?? '?'}); they belong to others.`,
      'Released history is never rewritten: give a `base` after the release.',
    );
  }
}

interface BackupSlot {
  ref: string;
  /** The ref already holds this head here (an earlier run stopped part-way). */
  local: boolean;
  /** The ref already holds this head on the remote. */
  remote: boolean;
}

/** The backup ref for this head: one that already holds it, else the first free `<id>`, `<id>-2`, ... */
async function backupSlot(git: Git, remote: string | undefined, id: string, head: string): Promise<BackupSlot> {
  const remoteRefs = remote ? await git.lsRemote(remote, [`${BACKUP_PREFIX}${id}`, `${BACKUP_PREFIX}${id}-*`]) : new Map<string, string>();
  for (let n = 1; n < 1000; n++) {
    const ref = `${BACKUP_PREFIX}${id}${n === 1 ? '' : `-${n}`}`;
    const local = await git.resolveCommit(ref);
    const onRemote = remoteRefs.get(ref);
    // Free, or holding exactly this head: a backup is reused, never overwritten, never duplicated.
    if ((local ?? head) === head && (onRemote ?? head) === head) {
      return { ref, local: local === head, remote: onRemote === head };
    }
  }
  throw new UserError(`session ${id} has 999 backups already; clean some up under ${BACKUP_PREFIX}.`);
}

/** Backups of this session on the remote, by sha. */
async function remoteBackups(git: Git, remote: string, id: string): Promise<Map<string, string>> {
  const refs = await git.lsRemote(remote, [`${BACKUP_PREFIX}${id}`, `${BACKUP_PREFIX}${id}-*`]);
  return new Map([...refs].map(([name, sha]) => [sha, name]));
}

function toSquashed(commit: CommitInfo, kind: Classification['kind']): SquashedCommit {
  return {
    sha: commit.sha,
    subject: commit.subject,
    author: identity(commit.authorName, commit.authorEmail),
    kind,
    signed: commit.signed,
    merge: commit.parents.length > 1,
  };
}

/** Merges and signatures the squash cannot keep: refused unless the request allows them. */
function assertSquashable(commits: readonly CommitInfo[], request: SquashRequest): { unsignedResult: boolean } {
  const merges = commits.filter((c) => c.parents.length > 1);
  if (merges.length > 0 && (!request.allowMerges || request.keepHumanCommits)) {
    throw new UserError(
      `the session contains merge commit ${merges[0]!.sha}${merges.length > 1 ? ` and ${merges.length - 1} more` : ''}.`,
      request.keepHumanCommits
        ? 'Human commits cannot be replayed across a merge: set `keep-human-commits: false`, with `allow-merges: true`.'
        : 'Set `allow-merges: true` to squash across it (the squash keeps the head\'s tree exactly).',
    );
  }
  const signed = commits.filter((c) => c.signed);
  if (signed.length > 0 && request.requireSigned) {
    throw new UserError(
      `${plural(signed.length, 'commit')} of the session ${signed.length === 1 ? 'is' : 'are'} signed (for example ${signed[0]!.sha}) and the squash commit would not be.`,
      'Set `require-signed: false` to squash anyway, or sign the squash commit yourself afterwards.',
    );
  }
  return { unsignedResult: signed.length > 0 };
}

/** Step 1: the squash commit's tree: the head's tree, or the agent changes alone applied to the base. */
async function squashTreeOf(git: Git, id: string, session: ResolvedSession, commits: readonly CommitInfo[], kinds: readonly Classification['kind'][], keepHumanCommits: boolean): Promise<string> {
  if (!keepHumanCommits) return git.treeOf(session.head);
  const agentCommits = commits.filter((_, i) => kinds[i] === 'agent');
  if (agentCommits.length === 0) {
    throw new UserError(`session ${id} has no agent commits to squash; every commit is a human's.`, 'Nothing was changed.');
  }
  let tree = await git.treeOf(session.base);
  for (const commit of agentCommits) {
    const applied = await applyChange(git, commit.parents[0]!, commit.tree, tree);
    if (!applied.clean) {
      const earlierHumans = commits.slice(0, commits.indexOf(commit)).filter((_, i) => kinds[i] === 'human');
      const humans = await commitsTouching(git, earlierHumans, applied.conflicts);
      throw new UserError(
        `agent commit ${describeCommit(commit)} depends on human work: without ${humans.length > 0 ? humans.map(describeCommit).join(', ') : 'the human commits'} it conflicts in ${applied.conflicts.join(', ')}. Nothing was rewritten.`,
        'Squash without `keep-human-commits`, or move those human commits before the session.',
      );
    }
    tree = applied.tree;
  }
  return tree;
}

/** Step 2: the human commits replayed after the squash commit, unchanged in authorship and message. */
async function replayHumanCommits(
  git: Git,
  start: { tip: string; tree: string },
  humanCommits: readonly CommitInfo[],
  agentCommits: readonly CommitInfo[],
  env: Record<string, string>,
): Promise<{ tip: string; tree: string }> {
  let { tip, tree } = start;
  for (const human of humanCommits) {
    const applied = await applyChange(git, human.parents[0]!, human.tree, tree);
    if (!applied.clean) {
      const agents = await commitsTouching(git, agentCommits, applied.conflicts);
      throw new UserError(
        `human commit ${describeCommit(human)} conflicts with agent change ${agents.length > 0 ? agents.map(describeCommit).join(', ') : '(the squashed agent work)'} in ${applied.conflicts.join(', ')}; refusing to merge them silently. Nothing was rewritten.`,
        'Squash without `keep-human-commits`, or resolve the overlap on the branch first.',
      );
    }
    const raw = await git.run(['cat-file', 'commit', human.sha]);
    const humanMessage = raw.stdout.slice(raw.stdout.indexOf('\n\n') + 2);
    tip = await git.text(['commit-tree', applied.tree, '-p', tip, '-F', '-'], {
      input: humanMessage,
      env: {
        ...env,
        GIT_AUTHOR_NAME: human.authorName,
        GIT_AUTHOR_EMAIL: human.authorEmail,
        GIT_AUTHOR_DATE: human.authorDate,
      },
    });
    tree = applied.tree;
  }
  return { tip, tree };
}

/**
 * Step 4: keep the originals under a backup ref, then publish branch and backup in one atomic push
 * leased on the tip seen at the start; the local branch follows.
 */
async function publish(deps: SquashDeps, request: SquashRequest, remote: string | undefined, id: string, session: ResolvedSession, tip: string): Promise<{ backupRef: string; pushed: boolean }> {
  const { git, log } = deps;
  const { head } = session;
  const backup = await backupSlot(git, remote, id, head);
  if (!backup.local) {
    await git.run(['update-ref', '--create-reflog', backup.ref, head, ''], {
      hint: `${backup.ref} appeared meanwhile; run again to pick the next free backup name.`,
    });
  }
  log.info(`step: backup ${backup.ref} -> ${head}`);

  const branchRef = `refs/heads/${request.branch}`;
  let pushed = false;
  if (remote) {
    const result = await pushAtomic(git, remote, [
      { ref: branchRef, to: tip, expect: session.lease },
      { ref: backup.ref, to: head, expect: backup.remote ? head : null },
    ]);
    if (!result.pushed) {
      if (!backup.local) await git.run(['update-ref', '-d', backup.ref, head]);
      throw new UserError(await describeRejectedPush(git, request.branch, session.lease!, result.rejection), 'Nothing was pushed and the local repository is as it was; run again to squash the new head.');
    }
    pushed = true;
    log.info(`step: pushed ${request.branch} -> ${tip} and ${backup.ref} atomically`);
    await git.run(['update-ref', `refs/remotes/${remote}/${request.branch}`, tip]);
  }
  // The local branch follows (same tree, so a checked-out working tree and index stay valid).
  const local = await git.resolveCommit(branchRef);
  if (local === head) await git.run(['update-ref', branchRef, tip, head]);
  else if (!local && !remote) await git.run(['update-ref', branchRef, tip, '']);
  return { backupRef: backup.ref, pushed };
}

/**
 * Squashes a session into one commit on its base whose tree is exactly the head's tree (or, with
 * `keepHumanCommits`, the agent commits into one and the human commits replayed after it).
 * The old head is kept under refs/rollback-gate/backup/<id> and pushed together with the branch in
 * one atomic push leased on the exact sha seen at the start.
 */
export async function squashSession(deps: SquashDeps, request: SquashRequest): Promise<SquashResult> {
  const { git, log } = deps;
  const remote = request.push ? (request.remote ?? 'origin') : undefined;
  if (await git.isEmptyRepository()) throw new UserError('the repository has no commits; there is no session to squash.');
  await git.assertNoOperationInProgress();
  await git.assertCleanWorkingTree();
  refuseUnrunnableChecks(request.checks);
  const id = await validateSessionId(git, request.sessionId, request.checkpointPrefix);
  const session = await resolveSession(deps, request, id);
  const { base, head } = session;
  const result: SquashResult = {
    status: 'empty',
    branch: request.branch,
    base,
    originalHead: head,
    sha: head,
    squashCommit: undefined,
    backupRef: undefined,
    commits: [],
    commitsSquashed: 0,
    humanCommitsReplayed: 0,
    treeMatches: true,
    pushed: false,
    unsignedResult: false,
    signaturesDropped: [],
    checkpointTag: session.checkpointTag,
    checkpointSealed: session.checkpointSealed,
    checks: undefined,
  };
  if (base === head) {
    log.info(`nothing to squash: ${request.branch} is at its base ${base}.`);
    return result;
  }

  // `git log --reverse` of a range with merges lists parents before children; keep that order.
  const commits = await readCommits(git, [`${base}..${head}`], { newestFirst: false });
  const classify = createClassifier(request.agents);
  const kinds = commits.map((c) => classify(c).kind);
  result.commits = commits.map((c, i) => toSquashed(c, kinds[i]!));

  const first = commits[0]!;
  const isSquash = (c: CommitInfo): boolean => trailerValues(c, TRAILERS.sessionId).includes(id) && trailerValue(c, TRAILERS.squashedCommits) !== undefined;
  if (isSquash(first) && commits.slice(1).every((c, i) => kinds[i + 1] === 'human' && !isSquash(c))) {
    log.info(`session ${id} is already squashed into ${first.sha}; nothing to do.`);
    return { ...result, status: 'already-squashed', sha: head, squashCommit: first.sha, commitsSquashed: 0 };
  }

  result.unsignedResult = assertSquashable(commits, request).unsignedResult;
  result.signaturesDropped = commits.flatMap((c, i) => {
    if (!c.signed) return [];
    const kind = kinds[i]!;
    return [{ sha: c.sha, subject: c.subject, author: c.authorName, kind, how: request.keepHumanCommits && kind === 'human' ? ('replayed' as const) : ('squashed' as const) }];
  });
  await refuseOthersCommits(git, request, base, head);

  // 0. The session-end protocol: the tests on the head, before anything is written.
  if (request.checks) {
    result.checks = await checksOnHead(deps, request.checks, head);
    const failed = result.checks.filter((c) => !c.passed);
    if (failed.length > 0 && !request.checks.allowFailing) {
      log.info(`step: ${plural(failed.length, 'check')} failed on ${head}; nothing was rewritten.`);
      return { ...result, status: 'checks-failed' };
    }
  }

  const env = await git.identityEnv();
  const committerEmail = env.GIT_COMMITTER_EMAIL ?? process.env.GIT_COMMITTER_EMAIL ?? (await git.configValue('user.email')) ?? '';
  const agentCommits = request.keepHumanCommits ? commits.filter((_, i) => kinds[i] === 'agent') : commits;
  const humanCommits = request.keepHumanCommits ? commits.filter((_, i) => kinds[i] === 'human') : [];
  const headTree = await git.treeOf(head);

  const squashTree = await squashTreeOf(git, id, session, commits, kinds, request.keepHumanCommits);
  const squashedList = result.commits.filter((c) => !request.keepHumanCommits || c.kind === 'agent');
  const message = squashMessage({
    title: request.title?.trim() || deriveTitle(agentCommits, id),
    sessionId: id,
    checkpoint: session.checkpointTag ? `${session.checkpointTag} (${base})` : base,
    base,
    head,
    commits: squashedList,
    coAuthors: coAuthors(agentCommits, committerEmail),
    checks: result.checks,
  });
  const squashCommit = await git.text(['commit-tree', squashTree, '-p', base, '-F', '-'], { input: message, env });
  log.info(`step: squash commit ${squashCommit} written (${squashedList.length} commits)`);

  const replayed = await replayHumanCommits(git, { tip: squashCommit, tree: squashTree }, humanCommits, agentCommits, env);
  result.humanCommitsReplayed = humanCommits.length;

  // Step 3. Checked, not assumed: the result's tree is the head's tree.
  result.treeMatches = replayed.tree === headTree;
  if (!result.treeMatches) {
    throw new UserError(
      `the squashed result's tree ${replayed.tree} differs from the head's tree ${headTree}; refusing to rewrite ${request.branch}.`,
      'The human and agent changes do not commute; squash without `keep-human-commits`.',
    );
  }

  const published = await publish(deps, request, remote, id, session, replayed.tip);
  return {
    ...result,
    pushed: published.pushed,
    status: 'squashed',
    sha: replayed.tip,
    squashCommit,
    backupRef: published.backupRef,
    commitsSquashed: squashedList.length,
  };
}

/** `run-checks` that cannot run: nothing to run, or the session's code under pull_request_target. */
function refuseUnrunnableChecks(checks: SquashChecks | undefined): void {
  if (!checks) return;
  if (checks.commands.length === 0) {
    throw new UserError(
      '`run-checks: true` has nothing to run: the config lists no `verify.commands`.',
      'Add your test command under `verify.commands` in the config, or set `run-checks: false`.',
    );
  }
  if (!checks.mayRunChangeCode) {
    throw new UserError(
      '`run-checks: true` would run the session\'s code, and this is a pull_request_target run (it has the base repository\'s secrets and write token). Nothing was rewritten.',
      'Run the checks in a `pull_request` workflow and squash without `run-checks` here, or run squash-session on `push` or `workflow_dispatch`.',
    );
  }
}

/** Runs the checks on `head`'s tree in a throwaway worktree that is removed whatever happens. */
async function checksOnHead(deps: SquashDeps, checks: SquashChecks, head: string): Promise<CheckResult[]> {
  const { git, log } = deps;
  log.info(`step: running ${plural(checks.commands.length, 'check')} on the session head ${head} before squashing`);
  const store = await ScratchStore.create(git, checks.tempDir);
  try {
    const worktree = await ThrowawayWorktree.create(store);
    try {
      await worktree.checkout(await git.treeOf(head), head, `rollback-gate: checks on ${head}`);
      return await runChecks(worktree.dir, {
        commands: checks.commands,
        timeoutMinutes: checks.timeoutMinutes,
        maxTimeoutMs: checks.maxTimeoutMs,
        env: checks.env,
        log,
        killGraceMs: checks.killGraceMs ?? 2000,
      });
    } finally {
      worktree.remove();
    }
  } finally {
    store.dispose();
  }
}

async function commitsTouching(git: Git, commits: readonly CommitInfo[], paths: readonly string[]): Promise<CommitInfo[]> {
  const hits: CommitInfo[] = [];
  for (const commit of commits) {
    const files = new Set(await commitFiles(git, commit));
    if (paths.some((p) => files.has(p))) hits.push(commit);
  }
  return hits;
}

async function describeRejectedPush(git: Git, branch: string, lease: string, rejection: PushRejection): Promise<string> {
  const { remote, output } = rejection;
  const now = rejection.refs[0]?.actual;
  if (!now) return `the push was rejected: ${branch} no longer exists on ${remote}; it was deleted while squashing. ${output}`;
  if (now !== lease) {
    await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, now]);
    const who = await git.test(['log', '-1', '--format=%an <%ae>, committed by %cn <%ce>: %s', '--end-of-options', now]);
    return `the push was rejected: ${branch} moved on ${remote} from ${lease.slice(0, 12)} to ${now}${who.exitCode === 0 ? ` (${who.stdout.trim()})` : ''} while squashing.`;
  }
  return `the push to ${remote} was rejected: ${output}`;
}
