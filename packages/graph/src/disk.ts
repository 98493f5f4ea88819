/**
 * A ReadFile over a checked-out repository. Symlinks are followed only to regular files inside
 * the repository; anything else (directories, FIFOs, links out of the tree or in a loop, files
 * over `maxBytes`) is refused with an error the graph reports as an unreadable file.
 *
 * Cheap on the common path: each directory is resolved once (realpath, cached), then a file is
 * opened without following a final symlink; only a symlink pays for its own realpath.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ReadFile } from './types.js';

export interface DiskReaderOptions {
  /** Larger files (minified bundles, generated data) are not scanned. Default 4 MiB. */
  readonly maxBytes?: number;
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCK = constants.O_NONBLOCK ?? 0; // never hang on a FIFO

export function createDiskReader(root: string, options: DiskReaderOptions = {}): ReadFile {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const realRoot = realpathSync.native(root);
  const inside = (real: string): boolean => real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  const realDirs = new Map<string, string>();

  const realDir = (dir: string): string => {
    let real = realDirs.get(dir);
    if (real === undefined) {
      real = realpathSync.native(join(root, dir));
      if (!inside(real)) throw new Error('a symlinked directory that leaves the repository');
      realDirs.set(dir, real);
    }
    return real;
  };

  const openInside = (path: string): number => {
    const slash = path.lastIndexOf('/');
    const full = join(realDir(slash < 0 ? '' : path.slice(0, slash)), path.slice(slash + 1));
    try {
      return openSync(full, constants.O_RDONLY | NO_FOLLOW | NON_BLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (NO_FOLLOW === 0 || (code !== 'ELOOP' && code !== 'EMLINK')) throw error;
    }
    // The file itself is a symlink: follow it, but only within the repository.
    const real = realpathSync.native(full);
    if (!inside(real)) throw new Error('a symlink that leaves the repository');
    return openSync(real, constants.O_RDONLY | NON_BLOCK);
  };

  return (path) => {
    const fd = openInside(path);
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error('not a regular file');
      if (stat.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes: not scanned`);
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };
}
