import type { Git } from './git.js';
import { readObjects } from './objects.js';

export interface Trailer {
  key: string;
  value: string;
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  tree: string;
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  subject: string;
  /** The whole message, as git stores it. */
  message: string;
  trailers: Trailer[];
  /** True when the commit carries a GPG/SSH signature. */
  signed: boolean;
}

const FIELDS = ['%H', '%P', '%T', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%s', '%B', '%(trailers:unfold,only)'];
const FIELD_SEP = '\x1f';
const RECORD_SEP = '\x1e';

function parseTrailers(text: string): Trailer[] {
  const trailers: Trailer[] = [];
  for (const line of text.split('\n')) {
    const index = line.indexOf(':');
    if (index <= 0) continue;
    trailers.push({ key: line.slice(0, index).trim(), value: line.slice(index + 1).trim() });
  }
  return trailers;
}

/**
 * Reads commits with `git log`. `revs` are passed after `--end-of-options`.
 * Returned oldest first unless `newestFirst`.
 */
export async function readCommits(
  git: Git,
  revs: readonly string[],
  options: { firstParent?: boolean; newestFirst?: boolean; maxCount?: number; noWalk?: boolean } = {},
): Promise<CommitInfo[]> {
  const args = ['log', `--format=${FIELDS.join(FIELD_SEP)}${RECORD_SEP}`];
  if (options.firstParent) args.push('--first-parent');
  if (options.noWalk) args.push('--no-walk');
  if (!options.newestFirst) args.push('--reverse');
  // `--max-count` makes `git log --no-walk` walk the parents again (git 2.39): with noWalk the
  // revs already bound the output, and the count is applied below instead.
  if (options.maxCount !== undefined && !options.noWalk) args.push(`--max-count=${options.maxCount}`);
  args.push('--end-of-options', ...revs, '--');
  const output = await git.run(args);
  const commits: CommitInfo[] = [];
  for (const record of output.stdout.split(RECORD_SEP)) {
    const trimmed = record.replace(/^\n/, '');
    if (!trimmed) continue;
    const f = trimmed.split(FIELD_SEP);
    const at = (i: number): string => f[i] ?? '';
    commits.push({
      sha: at(0),
      parents: at(1) ? at(1).split(' ') : [],
      tree: at(2),
      authorName: at(3),
      authorEmail: at(4),
      authorDate: at(5),
      committerName: at(6),
      committerEmail: at(7),
      committerDate: at(8),
      subject: at(9),
      message: at(10),
      trailers: parseTrailers(at(11)),
      signed: false,
    });
  }
  const signed = await signedCommits(git, commits.map((c) => c.sha));
  for (const commit of commits) commit.signed = signed.has(commit.sha);
  return options.noWalk && options.maxCount !== undefined ? (options.newestFirst ? commits.slice(0, options.maxCount) : commits.slice(-options.maxCount)) : commits;
}

/**
 * The commits that carry a signature (a `gpgsig` header: GPG, SSH or X.509), read in one
 * `git cat-file --batch` without verifying anything (verification would start gpg per commit).
 */
export async function signedCommits(git: Git, shas: readonly string[]): Promise<Set<string>> {
  const signed = new Set<string>();
  for (const [sha, object] of await readObjects(git, shas)) {
    if (object.type !== 'commit') continue;
    const headersEnd = object.content.indexOf('\n\n');
    const headers = object.content.subarray(0, headersEnd < 0 ? object.content.length : headersEnd).toString('utf8');
    if (/^gpgsig(-sha256)? /m.test(headers)) signed.add(sha);
  }
  return signed;
}

/**
 * The paths a commit changed against its first parent (`diff-tree -z`, so odd names survive).
 * Renames are a delete and an add (both paths) unless `renames: 'once'`: then a rename counts once,
 * under its new path (what a file budget counts).
 */
export async function commitFiles(git: Git, commit: Pick<CommitInfo, 'sha' | 'parents'>, options: { renames?: 'both-paths' | 'once' } = {}): Promise<string[]> {
  const parent = commit.parents[0];
  const range = parent ? [parent, commit.sha] : ['--root', commit.sha];
  const renames = options.renames === 'once' ? '-M' : '--no-renames';
  return (await git.run(['diff-tree', '-r', '-z', '--name-only', '--no-commit-id', renames, ...range])).stdout.split('\0').filter(Boolean);
}
