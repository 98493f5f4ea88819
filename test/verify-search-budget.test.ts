/**
 * The smallest-set search (verify/search.ts) stops minimizing after MERGE_BUDGET reverts. That
 * budget is the search's own: the same search gives the same set alone and while another search
 * runs on the same simulator (statusesOn runs four at a time), so a verdict does not depend on
 * timing, nor on which reverts the exact-revert shortcut answered without a merge.
 *
 * Found on expressjs/express's real history (drill of 60 units at 43020ff2753, bench/verify-real.mjs):
 * with the budget counted on the simulator's global merge count, three units that roll back only
 * with 15 to 19 later units got different sets (and plans) with the shortcut on and off.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Git, ScratchStore, Simulator, readWindow, searchWithLater, type Revertable, type SearchOutcome, type Unit } from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';

const cleanup: Array<() => void> = [];
afterAll(() => cleanup.forEach((f) => f()));

const LINES = 240;
const NEEDED = 20;
const UNNEEDED = 20;

/**
 * Two files, each with a target (edits line 1), then NEEDED units editing line 1 again (the target
 * rolls back only with all of them), then UNNEEDED newer units editing lines 7, 13, … of the same
 * file (they share its path, so the search must try dropping each; dropping one re-merges the
 * needed units below it: about NEEDED merges each, past the budget). The files' units alternate.
 */
function history(r: TestRepo): void {
  const versions = { 'f.txt': Array.from({ length: LINES }, (_, i) => `f line ${i + 1}`), 'g.txt': Array.from({ length: LINES }, (_, i) => `g line ${i + 1}`) };
  const commits: string[] = [];
  const edit = (file: 'f.txt' | 'g.txt', line: number, text: string): void => {
    versions[file][line - 1] = text;
    const data = `${versions[file].join('\n')}\n`;
    commits.push(`${text}\nM 100644 inline ${file}\ndata ${Buffer.byteLength(data)}\n${data}`);
  };
  const files = ['f.txt', 'g.txt'] as const;
  for (const file of files) edit(file, 1, `target of ${file}`);
  for (let k = 1; k <= NEEDED; k++) for (const file of files) edit(file, 1, `needed ${k} of ${file}`);
  for (let k = 1; k <= UNNEEDED; k++) for (const file of files) edit(file, 1 + 6 * k, `unneeded ${k} of ${file}`);
  const base = r.head();
  const stream = commits
    .map((body, i) => {
      const [message, ...ops] = body.split('\n');
      return `commit refs/heads/main\ncommitter Gen <gen@example.com> ${1_700_000_000 + i * 60} +0000\ndata ${Buffer.byteLength(message!)}\n${message}\n${i === 0 ? `from ${base}\n` : ''}${ops.join('\n')}\n`;
    })
    .join('\n');
  r.git(['fast-import', '--quiet'], { input: stream });
  r.git(['reset', '--quiet', '--hard', 'main']);
}

const revertableOf = (unit: Unit): Revertable => ({ commit: unit.commit, tree: unit.tree, parentTree: unit.parentTree, paths: unit.paths, onlyEdits: true });
const set = (outcome: SearchOutcome): unknown => (outcome.kind === 'with-later' ? { with: outcome.with.map((u) => u.commit), smallest: outcome.smallest, tree: outcome.tree } : outcome);

describe('the smallest-set search budget', () => {
  it('gives the same set alone and while another search runs on the same simulator', async () => {
    const initial = {
      'f.txt': `${Array.from({ length: LINES }, (_, i) => `f line ${i + 1}`).join('\n')}\n`,
      'g.txt': `${Array.from({ length: LINES }, (_, i) => `g line ${i + 1}`).join('\n')}\n`,
    };
    const r = createRepo({ initial });
    cleanup.push(() => r.cleanup());
    history(r);
    const git = new Git(r.dir);
    const units = (await readWindow(git, r.head(), { commits: 200, days: 36500, now: new Date() })).map(revertableOf); // newest first
    const targetF = units.length - 1; // the first commit of the history: the target in f.txt
    const targetG = units.length - 2;
    const tipTree = units[0]!.tree;
    const search = async (sim: Simulator, index: number): Promise<SearchOutcome> => {
      const alone = await sim.revert(units[index]!, tipTree);
      expect(alone.clean).toBe(false); // the culprit edited the same line
      return searchWithLater(sim, units[index]!, units.slice(0, index), tipTree);
    };
    const simulator = async (): Promise<{ sim: Simulator; done: () => void }> => {
      const store = await ScratchStore.create(git, mkdtempSync(join(tmpdir(), 'rg-budget-')));
      const sim = await Simulator.create(store, 'merge-tree', 'off');
      return { sim, done: () => (sim.close(), store.dispose()) };
    };

    const first = await simulator();
    const alone = await search(first.sim, targetF).finally(first.done);
    // The budget ran out before every unneeded unit was dropped: the set holds all the needed ones
    // and is reported as not proven smallest.
    expect(alone).toMatchObject({ kind: 'with-later', smallest: false });
    expect(alone.kind === 'with-later' && alone.with.length).toBeGreaterThan(NEEDED);

    const second = await simulator();
    const [together] = await Promise.all([search(second.sim, targetF), search(second.sim, targetG)]).finally(second.done);
    expect(set(together!)).toEqual(set(alone));
  }, 240_000);
});
