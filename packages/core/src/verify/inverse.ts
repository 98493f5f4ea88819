/**
 * Is a clean rollback's effect exactly the inverse of the unit's own diff? Compared on trees: the
 * unit's inverse patch, applied to the tip (a temporary index, `git apply --cached`), must give
 * exactly the rollback's tree. Comparing `-U0` hunks instead gives false alarms when a later change
 * edited nearby lines (the diff then aligns the same change differently); that comparison is kept
 * only as the fallback for a patch git cannot apply.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
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

/** The tree the unit's inverse patch gives when applied to `tipTree`, or undefined when it does not apply. */
export async function applyInverse(store: ScratchStore, unit: { tree: string; parentTree: string }, tipTree: string): Promise<string | undefined> {
  const index = join(store.dir, `inverse-${randomBytes(6).toString('hex')}.index`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await store.run(['read-tree', tipTree], { env });
    const patch = await store.run(['diff-tree', '-p', '--binary', '--full-index', '--no-renames', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--end-of-options', unit.tree, unit.parentTree]);
    if (!patch.stdout.trim()) return tipTree;
    const applied = await store.test(['apply', '--cached', '--unidiff-zero', '--whitespace=nowarn', '-'], { env, input: patch.stdout });
    if (applied.exitCode !== 0) return undefined;
    return await store.text(['write-tree'], { env });
  } finally {
    rmSync(index, { force: true });
  }
}

/** True when reverting the unit changed the tip by exactly the inverse of the unit's own change (trees compared). */
export async function isExactInverse(
  store: ScratchStore,
  unit: { tree: string; parentTree: string },
  tipTree: string,
  resultTree: string,
): Promise<boolean> {
  const applied = await applyInverse(store, unit, tipTree);
  if (applied !== undefined) return applied === resultTree;
  const [inverse, effect] = await Promise.all([
    normalizedPatch(store, unit.tree, unit.parentTree),
    normalizedPatch(store, tipTree, resultTree),
  ]);
  return inverse === effect;
}
