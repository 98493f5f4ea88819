/**
 * The one push: every ref update of a step in one `git push --atomic`, each leased on what the run
 * read (`--force-with-lease=<ref>:<sha>`, or `<ref>:` for "must not exist"), so either all land or
 * none does. A rejection comes back as data: git's words and what each ref holds on the remote now,
 * so the caller can say who moved what, and what to do next.
 */
import type { Git } from './git.js';

export interface RefUpdate {
  /** The full ref on the remote (`refs/heads/main`, `refs/tags/checkpoint/x`). */
  ref: string;
  /** What it should hold (a sha or a local ref); undefined deletes it. */
  to: string | undefined;
  /** The lease: the remote ref must hold this sha; null: must not exist; undefined: no lease. */
  expect?: string | null;
}

export interface RefState {
  ref: string;
  /** The lease it was pushed with (see RefUpdate.expect). */
  expected: string | null | undefined;
  /** What the remote holds now (read after the rejection), or undefined when it does not exist or could not be read. */
  actual: string | undefined;
  /** The lease no longer holds: the ref moved, appeared or disappeared since the run read it. */
  moved: boolean;
}

export interface PushRejection {
  remote: string;
  /** git's own words (stderr, else stdout), trimmed. */
  output: string;
  /** Every ref of the push, in order, as the remote holds it after the rejection. */
  refs: RefState[];
  /** The first ref whose lease no longer holds, when that is why the push was refused. */
  moved: RefState | undefined;
}

export type PushResult = { pushed: true } | { pushed: false; rejection: PushRejection };

/** Pushes `updates` to `remote` atomically, each with its lease; a rejection is returned, not thrown. */
export async function pushAtomic(git: Git, remote: string, updates: readonly RefUpdate[]): Promise<PushResult> {
  const leases = updates.filter((u) => u.expect !== undefined).map((u) => `--force-with-lease=${u.ref}:${u.expect ?? ''}`);
  const refspecs = updates.map((u) => `${u.to ?? ''}:${u.ref}`);
  const result = await git.test(['push', '--atomic', '--porcelain', ...leases, '--end-of-options', remote, ...refspecs]);
  if (result.exitCode === 0) return { pushed: true };
  const now = await git.lsRemote(remote, updates.map((u) => u.ref)).catch(() => undefined);
  const refs = updates.map((u): RefState => {
    const actual = now?.get(u.ref);
    const moved = now !== undefined && u.expect !== undefined && (actual ?? null) !== u.expect;
    return { ref: u.ref, expected: u.expect, actual, moved };
  });
  return { pushed: false, rejection: { remote, output: (result.stderr || result.stdout).trim(), refs, moved: refs.find((r) => r.moved) } };
}
