/**
 * Our protocol in git: the trailers rollback-gate writes and reads, and the ref prefixes it owns.
 * Every trailer name and ref prefix is spelled here once; readers look trailers up through
 * `trailerValue`, case-insensitively, as git does.
 */
/** What trailer lookups need of a commit (a CommitInfo has it). */
interface WithTrailers {
  trailers: readonly { key: string; value: string }[];
}

/** The trailers of our commits (and the one a human adds to allow a cross-layer change). */
export const TRAILERS = {
  /** A squash commit's session: `Session-Id: pr-123`. */
  sessionId: 'Session-Id',
  /** The checkpoint a squash commit's session started from. */
  checkpoint: 'Checkpoint',
  /** How many commits a squash commit replaced. */
  squashedCommits: 'Squashed-Commits',
  /** The checks run on the session head before a squash: `passed (2 of 2)` or `failed (...), allowed`. */
  checks: 'Checks',
  /** A rollback's revert commits name the session or target they undo. */
  rollbackOf: 'Rollback-Of',
  /** One per commit a rollback commit reverts, so a re-run recognises its own work. */
  reverts: 'Reverts',
  /** A postmortem record's commit. */
  postmortemId: 'Postmortem-Id',
  /** Allows a change across layers, with the reason. */
  crossLayer: 'Cross-Layer',
  /** `Rollback-Gate: no-auto-revert` on a commit: a trigger only reports it and asks its author. */
  rollbackGate: 'Rollback-Gate',
  /** Co-authors, carried over into a squash commit. */
  coAuthoredBy: 'Co-authored-by',
} as const;

/** Checkpoint tags: `refs/tags/checkpoint/<session>` (the prefix is configurable; this is the default). */
export const CHECKPOINT_TAG_PREFIX = 'checkpoint/';
/** The original commits of a squashed session: `refs/rollback-gate/backup/<session>[-n]`. */
export const BACKUP_PREFIX = 'refs/rollback-gate/backup/';
/** One rollback at a time per target: `refs/rollback-gate/lock/<id>`. */
export const LOCK_PREFIX = 'refs/rollback-gate/lock/';
/** A deleted session branch, kept: `refs/rollback-gate/archive/<id>`. */
export const ARCHIVE_PREFIX = 'refs/rollback-gate/archive/';
/** A change's rollback plan, built when it landed: `refs/rollback-gate/plans/<landed-sha>` (a commit holding `plan.json`). */
export const PLANS_PREFIX = 'refs/rollback-gate/plans/';
/** The branch a rollback is proposed on: `rollback/<id>`. */
export const ROLLBACK_BRANCH_PREFIX = 'rollback/';
/** The branch a postmortem record is proposed on: `postmortem/<id>[-n]`. */
export const POSTMORTEM_BRANCH_PREFIX = 'postmortem/';

/** The first non-empty value of trailer `key` (case-insensitive), or undefined. */
export function trailerValue(commit: WithTrailers, key: string): string | undefined {
  const wanted = key.toLowerCase();
  return commit.trailers.find((t) => t.key.toLowerCase() === wanted && t.value !== '')?.value;
}

/** Every value of trailer `key` (case-insensitive), in order. */
export function trailerValues(commit: WithTrailers, key: string): string[] {
  const wanted = key.toLowerCase();
  return commit.trailers.filter((t) => t.key.toLowerCase() === wanted).map((t) => t.value.trim()).filter(Boolean);
}

/** `Key: value`, as a trailer line of a message we write. */
export function trailerLine(key: string, value: string | number): string {
  return `${key}: ${value}`;
}

/** True when a message body has a trailer line `Key:` (as we write it). */
export function hasTrailerLine(body: string, key: string): boolean {
  return body.split('\n').some((line) => line.startsWith(`${key}:`));
}

/** True for a commit rollback-gate made to roll something back (it carries `Rollback-Of:`). */
export function isRollbackCommit(commit: WithTrailers): boolean {
  return trailerValue(commit, TRAILERS.rollbackOf) !== undefined;
}

/** The trailer block of a rollback commit: `Rollback-Of: <id>` and one `Reverts: <sha>` per commit. */
export function rollbackTrailers(id: string, reverted: readonly string[]): string {
  return [trailerLine(TRAILERS.rollbackOf, id), ...reverted.map((sha) => trailerLine(TRAILERS.reverts, sha))].join('\n');
}
