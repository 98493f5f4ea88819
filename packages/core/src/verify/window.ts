/**
 * The rollback window: the last `verify.window.commits` first-parent commits of the base branch,
 * stopping at the first one older than `verify.window.days`. Each first-parent commit is a unit,
 * reverted against its first parent (`-m 1` for a merge commit: its whole second-parent side).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readCommits } from '../git/commits.js';
import type { Logger } from '../base/env.js';
import type { Git } from '../git/git.js';
import { TRAILERS, trailerValue } from '../git/protocol.js';
import { ensureHistory } from '../git/shallow.js';

export interface Unit {
  /** The commit's full sha. */
  commit: string;
  /** Its name: the `Session-Id:` trailer, the PR number (`#123`), or the short sha. */
  name: string;
  subject: string;
  tree: string;
  /** The first parent: what reverting the unit returns to. */
  parent: string;
  parentTree: string;
  merge: boolean;
  /** When it landed (committer date). */
  landedAt: Date;
  ageDays: number;
  /** The paths the unit changed (both sides of a rename). */
  paths: string[];
  /** Its changes as git name-status entries, renames detected. */
  changes: PathChange[];
}

export interface PathChange {
  status: string;
  path: string;
  /** For renames and copies: the path it came from. */
  from?: string;
}

export interface WindowOptions {
  commits: number;
  days: number;
  now: Date;
}

const DAY_MS = 86_400_000;

/** `Session-Id:` trailer, else `(#123)` at the end of a squash subject or `Merge pull request #123`, else the short sha. */
export function unitName(commit: { sha: string; subject: string; trailers: readonly { key: string; value: string }[] }): string {
  const session = trailerValue(commit, TRAILERS.sessionId)?.trim();
  if (session) return session;
  const merged = /^Merge pull request #(\d+)\b/.exec(commit.subject);
  if (merged) return `#${merged[1]}`;
  const squashed = /\(#(\d+)\)\s*$/.exec(commit.subject);
  if (squashed) return `#${squashed[1]}`;
  return commit.sha.slice(0, 12);
}

/** The commits a shallow clone ends at (`.git/shallow`), empty in a full clone. */
export async function shallowBoundary(git: Git): Promise<Set<string>> {
  const path = await git.text(['rev-parse', '--git-path', 'shallow']);
  const full = isAbsolute(path) ? path : resolve(git.cwd, path);
  return new Set(existsSync(full) ? readFileSync(full, 'utf8').split('\n').filter(Boolean) : []);
}

/** Whether every unit of the window, and the parent of each, is in the local history. */
async function windowIsComplete(git: Git, tip: string, options: WindowOptions): Promise<boolean> {
  const cutoff = options.now.getTime() - options.days * DAY_MS;
  const args = ['rev-list', '--first-parent', '--timestamp', `--max-count=${options.commits + 1}`, '--end-of-options', tip];
  // Three reads at once (each a git process); the listing counts only when the tip is there.
  const [exists, listed, shallow] = await Promise.all([git.objectExists(tip), git.test(args), shallowBoundary(git)]);
  if (!exists) return false;
  const listing = listed.exitCode === 0 ? listed : await git.run(args); // a failure says what failed, as before
  const entries = listing.stdout.split('\n').filter(Boolean);
  for (const [index, line] of entries.entries()) {
    const [timestamp = '0', sha = ''] = line.split(' ');
    if (index === options.commits) return true; // the parent of the oldest unit is here
    if (Number(timestamp) * 1000 < cutoff) return true; // the window ended at the unit before
    if (shallow.has(sha)) return false; // a unit whose parent was cut off
  }
  return true; // the history starts within the window
}

/** Deepens a shallow clone until the window (and anything `alsoNeeded` says) is there, or says `fetch-depth: 0`. */
export async function ensureWindowHistory(
  git: Git,
  tip: string,
  options: WindowOptions & { log?: Logger; refspecs: readonly string[]; alsoNeeded?: () => Promise<boolean>; what: string },
): Promise<{ deepened: number }> {
  return ensureHistory(git, {
    refspecs: options.refspecs,
    what: options.what,
    log: options.log,
    reachable: async () => {
      const [complete, also] = await Promise.all([windowIsComplete(git, tip, options), options.alsoNeeded ? options.alsoNeeded() : true]);
      return complete && also;
    },
  });
}

/** Reads the window's units on `tip`, newest first. */
export async function readWindow(git: Git, tip: string, options: WindowOptions): Promise<Unit[]> {
  const cutoff = options.now.getTime() - options.days * DAY_MS;
  const commits = await readCommits(git, [tip], { firstParent: true, newestFirst: true, maxCount: options.commits });
  const selected = [];
  for (const commit of commits) {
    if (new Date(commit.committerDate).getTime() < cutoff) break;
    if (commit.parents.length === 0) break; // a root commit (or a shallow boundary) cannot be reverted
    selected.push(commit);
  }
  if (selected.length === 0) return [];
  const [changes, trees] = await Promise.all([readChanges(git, selected.map((c) => ({ commit: c.sha, parent: c.parents[0]! }))), readTrees(git, selected.map((c) => c.parents[0]!))]);
  return selected.map((commit, index) => {
    const landedAt = new Date(commit.committerDate);
    const unitChanges = changes.get(commit.sha) ?? [];
    return {
      commit: commit.sha,
      name: unitName(commit),
      subject: commit.subject,
      tree: commit.tree,
      parent: commit.parents[0]!,
      parentTree: trees[index]!,
      merge: commit.parents.length > 1,
      landedAt,
      ageDays: Math.max(0, Math.floor((options.now.getTime() - landedAt.getTime()) / DAY_MS)),
      paths: pathsOf(unitChanges),
      changes: unitChanges,
    };
  });
}

/** The directories above a path, nearest first; the repository root is not one of them. */
export function ancestorDirectories(path: string): string[] {
  const dirs: string[] = [];
  for (let index = path.lastIndexOf('/'); index > 0; index = path.lastIndexOf('/', index - 1)) dirs.push(path.slice(0, index));
  return dirs;
}

/**
 * Whether a change to some paths can interact with a change to others in a merge: the same path,
 * a file where the other has a directory, or changes in the same directory or one above the other
 * (git's directory-rename detection works there). Used only to skip a simulation whose answer is
 * already known; when in doubt it says yes.
 */
export class PathIndex {
  private readonly paths: Set<string>;
  /** Every directory holding one of the paths, at any depth. */
  private readonly within = new Set<string>();
  /** The directory directly holding each path. */
  private readonly parents = new Set<string>();

  constructor(paths: Iterable<string>) {
    this.paths = new Set(paths);
    for (const path of this.paths) {
      const dirs = ancestorDirectories(path);
      if (dirs[0] !== undefined) this.parents.add(dirs[0]);
      for (const dir of dirs) this.within.add(dir);
    }
  }

  interacts(path: string): boolean {
    if (this.paths.has(path) || this.within.has(path)) return true;
    const dirs = ancestorDirectories(path);
    if (dirs.some((dir) => this.paths.has(dir))) return true;
    if (dirs[0] !== undefined && this.within.has(dirs[0])) return true;
    return dirs.some((dir) => this.parents.has(dir));
  }
}

/** Both sides of every change. */
export function pathsOf(changes: readonly PathChange[]): string[] {
  const paths = new Set<string>();
  for (const change of changes) {
    paths.add(change.path);
    if (change.from) paths.add(change.from);
  }
  return [...paths];
}

/** The trees of several commits, in one git call. */
export async function readTrees(git: Git, commits: readonly string[]): Promise<string[]> {
  if (commits.length === 0) return [];
  const out = await git.run(['cat-file', '--batch-check=%(objectname)'], { input: `${commits.map((c) => `${c}^{tree}`).join('\n')}\n` });
  const trees = out.stdout.split('\n').filter(Boolean);
  const missing = trees.findIndex((line) => !/^[0-9a-f]{40,64}$/.test(line));
  if (missing >= 0) throw new Error(`cannot read the tree of ${commits[missing]}: ${trees[missing]}`);
  return trees;
}

/**
 * Name-status changes (renames detected) of each commit against the given parent, in one
 * `git diff-tree --stdin` call: each input line is `<commit> <parent>`.
 */
export async function readChanges(git: Git, pairs: readonly { commit: string; parent: string }[]): Promise<Map<string, PathChange[]>> {
  const result = new Map<string, PathChange[]>();
  if (pairs.length === 0) return result;
  // Each input line is `<commit> <parent>`; the output is `<commit>` NUL, then its entries.
  const withIds = await git.run(['diff-tree', '--stdin', '-r', '-M', '-z', '--name-status'], {
    input: `${pairs.map((p) => `${p.commit} ${p.parent}`).join('\n')}\n`,
  });
  const tokens = withIds.stdout.split('\0');
  let current: PathChange[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '') continue;
    // In status position a full object id is the next commit's header (a status never looks like one).
    if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(token)) {
      current = [];
      result.set(token, current);
      continue;
    }
    if (!current) continue;
    const status = token;
    if (/^[RC]/.test(status)) {
      current.push({ status, from: tokens[i + 1] ?? '', path: tokens[i + 2] ?? '' });
      i += 2;
    } else {
      current.push({ status, path: tokens[i + 1] ?? '' });
      i += 1;
    }
  }
  for (const pair of pairs) if (!result.has(pair.commit)) result.set(pair.commit, []);
  return result;
}

/** Name-status changes between two tree-ishes. */
export async function diffChanges(git: Git, from: string, to: string, env?: Record<string, string>): Promise<PathChange[]> {
  const out = await git.run(['diff-tree', '-r', '-M', '-z', '--name-status', '--end-of-options', from, to], { env });
  const tokens = out.stdout.split('\0');
  const changes: PathChange[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const status = tokens[i]!;
    if (status === '') continue;
    if (/^[RC]/.test(status)) {
      changes.push({ status, from: tokens[i + 1] ?? '', path: tokens[i + 2] ?? '' });
      i += 2;
    } else {
      changes.push({ status, path: tokens[i + 1] ?? '' });
      i += 1;
    }
  }
  return changes;
}
