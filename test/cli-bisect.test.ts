/**
 * `rollback-gate bisect` (the bundle) on a real repository: a progress line per probe, the culprit
 * and its cascade; and Ctrl-C in the middle of a probe: the probe's processes are gone, the
 * throwaway worktree is removed, nothing is left behind.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, tempDir, type TestRepo } from './harness/repo.js';
import { cli } from './cli-harness.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** 8 commits after the checkpoint; the 4th breaks `check.sh`; the 6th builds on the broken file. */
function history(): TestRepo & { good: string; culprit: string; dependent: string } {
  const r = createRepo({ initial: { 'check.sh': "grep -q \"'fine'\" src/state.ts\n", 'src/state.ts': "export const state = 'fine';\n", 'src/use.ts': "import { state } from './state';\nexport const use = state;\n" } });
  repos.push(r);
  const good = r.head();
  let culprit = '';
  let dependent = '';
  for (let i = 1; i <= 8; i++) {
    if (i === 4) culprit = r.commit(`feat: break state ${i}`, { 'src/state.ts': "export const state = 'broken';\n" });
    else if (i === 6) dependent = r.commit(`feat: extend state ${i}`, { 'src/state.ts': "export const state = 'broken';\nexport const more = 1;\n" });
    else r.commit(`chore: file ${i}`, { [`notes/${i}.md`]: `${i}\n` });
  }
  return Object.assign(r, { good, culprit, dependent });
}

describe('bisect', () => {
  it('finds the culprit with a progress line per probe (commit, verdict, seconds), and its cascade', async () => {
    const r = history();
    const run = await cli(['bisect', r.good, 'HEAD', '--', 'sh', 'check.sh'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^culprit ${r.culprit.slice(0, 12)} feat: break state 4  \\(\\d+ runs?, 0 skipped\\)\\n`));
    const probes = run.stderr.split('\n').filter((l) => /^\s+probe\s+\d+/.test(l));
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.length).toBeLessThanOrEqual(5);
    for (const line of probes) expect(line).toMatch(/^  probe\s+\d+  [0-9a-f]{12}  (good|bad )\s+\d+\.\d s  \S/);
    expect(probes[0]).toMatch(/ bad .* chore: file 8$/);
    expect(run.stdout).toMatch(new RegExp(`${r.dependent.slice(0, 12)}\\tfeat: extend state 6\\tchanges src/state.ts`));
    expect(run.stdout).toMatch(/src\/use\.ts\tsrc\/state\.ts → src\/use\.ts/);
    expect(readdirSync(join(r.dir, '.git', 'rollback-gate')).filter((n) => n.startsWith('run-'))).toEqual([]);

    const json = await cli(['bisect', r.good, 'HEAD', '--json', '--', 'sh check.sh'], { cwd: r.dir });
    const doc = JSON.parse(json.stdout) as { culprit: { sha: string }; cascade: Array<{ commit: string }>; probes: Array<{ verdict: string; seconds: number }> };
    expect(doc.culprit.sha).toBe(r.culprit);
    expect(doc.cascade.map((c) => c.commit)).toEqual([r.dependent]);
    expect(doc.probes.every((p) => typeof p.seconds === 'number')).toBe(true);
  });

  it('rollback --strategy bisect: the same probes, then the culprit and its cascade reverted on rollback/<id>', async () => {
    const r = history();
    const head = r.head();
    const run = await cli(['rollback', `${r.good}..HEAD`, '--strategy', 'bisect', '--bisect-command', 'sh check.sh', '--apply'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^  probe\s+1  [0-9a-f]{12}  bad /m);
    expect(run.stdout).toMatch(/^✓ rollback of range-[0-9a-f]{12} made on rollback\/range-[0-9a-f]{12}: bisect, 2 commits reverted/);
    expect(run.stdout).toContain(`culprit: ${r.culprit}`);
    const branch = `rollback/range-${head.slice(0, 12)}`;
    expect(r.git(['show', `${branch}:src/state.ts`])).toBe("export const state = 'fine';");
    expect(r.git(['rev-parse', `${branch}^`])).toBe(head);
    expect(r.head()).toBe(head);
  });

  it('usage: the command goes after `--`; a wrong range says so', async () => {
    const r = history();
    const none = await cli(['bisect', r.good, 'HEAD'], { cwd: r.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('bisect needs the command to run at each probe, after `--`');
    const passing = await cli(['bisect', r.good, 'HEAD', '--', 'true'], { cwd: r.dir });
    expect(passing.code).toBe(1);
    expect(passing.stderr).toContain('the bisect command passes at the bad end');
    expect(passing.stderr).toContain('next: Check CMD (it must fail at BAD and pass at GOOD) and the range GOOD BAD.');
    expect(passing.stderr).not.toContain('bisect-command');
    // Failing everywhere, the good end included: probed last, listed with its subject.
    const failing = await cli(['bisect', r.good, 'HEAD', '--', 'false'], { cwd: r.dir });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`fails at the good end ${r.git(['rev-parse', '--short=12', r.good])} too`);
    const goodSubject = r.git(['log', '-1', '--format=%s', r.good]);
    expect(failing.stderr + failing.stdout).toMatch(new RegExp(`${r.git(['rev-parse', '--short=12', r.good])}\\s+bad\\s+[0-9.]+ s\\s+${goodSubject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const reversed = await cli(['bisect', 'HEAD', r.good, '--', 'true'], { cwd: r.dir });
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('is not an ancestor of BAD');
    const hostile = await cli(['bisect', '--upload-pack=x', 'HEAD', '--', 'true'], { cwd: r.dir });
    expect(hostile.code).toBe(2);
  });

  it('Ctrl-C during a probe: the probe is killed, the throwaway worktree removed, nothing left behind', async () => {
    const r = history();
    const marks = tempDir('rg-sigint-');
    const before = r.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    let probeDir = '';
    const run = await cli(['bisect', r.good, 'HEAD', '--', `echo "$PWD" > ${marks}/pwd; mv ${marks}/pwd ${marks}/started; sleep 60; exit 1`], {
      cwd: r.dir,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (!existsSync(join(marks, 'started'))) return;
          clearInterval(poll);
          probeDir = readFileSync(join(marks, 'started'), 'utf8').trim();
          child.kill('SIGINT');
        }, 100);
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('rollback-gate: interrupted; cleaning up…');
    expect(run.stderr).toContain('rollback-gate: nothing left behind.');
    expect(probeDir).toContain(join(r.dir, '.git', 'rollback-gate', 'run-'));
    expect(existsSync(probeDir)).toBe(false);
    expect(readdirSync(join(r.dir, '.git', 'rollback-gate')).filter((n) => n.startsWith('run-'))).toEqual([]);
    // No process is left working in it (the `sleep 60` was killed with its group).
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`).startsWith(join(r.dir, '.git'));
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
    expect(r.git(['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(before);
    expect(r.git(['status', '--porcelain'])).toBe('');
    expect(r.git(['worktree', 'list']).split('\n')).toHaveLength(1);
  });
});
