/**
 * Is a clean rollback's effect exactly the inverse of the unit's own diff? Both are compared as
 * patches without line numbers or context: the same files (renames included), the same mode
 * changes, the same removed and added lines, and for binary files the same blobs.
 */
import type { ScratchStore } from '../sandbox/scratch.js';

/** A patch reduced to what must match: per file, its header, mode lines and changed lines. */
export async function normalizedPatch(store: ScratchStore, from: string, to: string): Promise<string> {
  const out = await store.run([
    'diff-tree', '-r', '-p', '-U0', '-M', '--full-index', '--no-color', '--no-ext-diff', '--no-textconv',
    '--src-prefix=a/', '--dst-prefix=b/', '--end-of-options', from, to,
  ]);
  return normalizePatchText(out.stdout);
}

export function normalizePatchText(patch: string): string {
  const sections: string[] = [];
  let current: string[] | undefined;
  let index: string | undefined;
  const flush = (): void => {
    if (!current) return;
    if (index !== undefined && current.some((line) => line.startsWith('Binary files ') || line === 'GIT binary patch')) current.push(index);
    sections.push(current.join('\n'));
  };
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      flush();
      current = [line];
      index = undefined;
      continue;
    }
    if (!current) continue;
    if (line.startsWith('index ')) index = line.replace(/ \d+$/, '');
    else if (line.startsWith('@@') || line.startsWith('similarity index') || line.startsWith('dissimilarity index')) continue;
    else if (line !== '') current.push(line);
  }
  flush();
  return sections.sort().join('\n');
}

/** True when reverting the unit changed the tip by exactly the inverse of the unit's own change. */
export async function isExactInverse(
  store: ScratchStore,
  unit: { tree: string; parentTree: string },
  tipTree: string,
  resultTree: string,
): Promise<boolean> {
  const [inverse, effect] = await Promise.all([
    normalizedPatch(store, unit.tree, unit.parentTree),
    normalizedPatch(store, tipTree, resultTree),
  ]);
  return inverse === effect;
}
