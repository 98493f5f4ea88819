/**
 * A bit-for-bit record of a user's checkout, to assert that an action left it as it was: every
 * file of the working tree (untracked ones included: mode, size, mtime, content hash), the refs
 * (`git for-each-ref`, the stash included), HEAD, the index (`git ls-files -s --debug` and the
 * index file's hash), and every file under .git except those a fetch is allowed to change.
 *
 * It never runs `git status` or `git diff`: those may refresh and rewrite the index.
 * (The MTIME_FREE note below says why object files are compared without their mtime.)
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { git } from './repo.js';

export interface CheckoutState {
  refs: string;
  head: string;
  index: string;
  indexFile: string;
  stash: string;
  workingTree: Record<string, string>;
  gitDir: Record<string, string>;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * Object files are compared by name, mode and content, not mtime: whenever git writes an object
 * that already exists (a simulated merge re-deriving an existing tree), it "freshens" the existing
 * loose object or pack by touching its mtime, in alternates too. Their bytes never change.
 */
const MTIME_FREE = /^objects\//;

function walk(root: string, dir: string, skip: (relativePath: string) => boolean, into: Record<string, string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const path = relative(root, full);
    if (skip(path)) continue;
    const stat = lstatSync(full);
    if (entry.isDirectory()) {
      into[`${path}/`] = `dir ${stat.mode.toString(8)}`;
      walk(root, full, skip, into);
    } else if (entry.isSymbolicLink()) {
      into[path] = `link ${readlinkSync(full)}`;
    } else {
      const mtime = MTIME_FREE.test(path) ? '' : ` ${stat.mtimeMs}`;
      into[path] = `${stat.mode.toString(8)} ${stat.size}${mtime} ${sha256(readFileSync(full))}`;
    }
  }
}

export interface SnapshotOptions {
  /** Paths under .git a fetch may change (deepening a shallow clone): objects, shallow, FETCH_HEAD. */
  allowFetch?: boolean;
}

export function snapshotCheckout(dir: string, options: SnapshotOptions = {}): CheckoutState {
  const gitDir = join(dir, '.git');
  const workingTree: Record<string, string> = {};
  walk(dir, dir, (path) => path === '.git', workingTree);
  const gitFiles: Record<string, string> = {};
  const fetchable = /^(objects(\/|$)|shallow$|FETCH_HEAD$)/;
  walk(gitDir, gitDir, (path) => !!options.allowFetch && fetchable.test(path), gitFiles);
  const stashLog = join(gitDir, 'logs', 'refs', 'stash');
  return {
    refs: git(dir, ['for-each-ref', '--format=%(refname) %(objectname) %(symref)']),
    head: `${readFileSync(join(gitDir, 'HEAD'), 'utf8')} ${git(dir, ['rev-parse', 'HEAD'])}`,
    index: git(dir, ['ls-files', '-s', '--debug']),
    indexFile: existsSync(join(gitDir, 'index')) ? sha256(readFileSync(join(gitDir, 'index'))) : 'absent',
    stash: existsSync(stashLog) ? readFileSync(stashLog, 'utf8') : '',
    workingTree,
    gitDir: gitFiles,
  };
}
