/** Reading objects by id: one `git cat-file --batch` for many objects, parsed once, here. */
import type { Git } from './git.js';

export interface GitObject {
  type: string;
  content: Buffer;
}

/**
 * Reads objects by id in one `git cat-file --batch` (ids, not `tree:path` lookups, which walk the
 * tree again for every object); duplicates are read once; missing objects are left out.
 */
export async function readObjects(git: Git, ids: readonly string[]): Promise<Map<string, GitObject>> {
  const unique = [...new Set(ids)];
  const objects = new Map<string, GitObject>();
  if (unique.length === 0) return objects;
  const out = (await git.run(['cat-file', '--batch'], { input: `${unique.join('\n')}\n` })).raw;
  let offset = 0;
  while (offset < out.length) {
    const headerEnd = out.indexOf(0x0a, offset);
    if (headerEnd < 0) break;
    const [oid = '', type = '', size = '0'] = out.subarray(offset, headerEnd).toString('utf8').split(' ');
    if (type === 'missing') {
      offset = headerEnd + 1;
      continue;
    }
    const end = headerEnd + 1 + Number(size);
    objects.set(oid, { type, content: out.subarray(headerEnd + 1, end) });
    offset = end + 1;
  }
  return objects;
}
