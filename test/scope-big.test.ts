// A change of many thousand files (the 80,000-file benchmark's shape, smaller): scope-guard's counts,
// layers, violations and blast radius through the bundle, each computed here from the generated
// change itself; and the thousands separator the counts are printed with.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { groupDigits, plural } from '../packages/core/src/output/markdown.js';
import { GIT_TEST_ENV, createRepo, tempDir, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const N = 12_000;
const LAYERS = ['l0', 'l1', 'l2'];
const added = (i: number): string => `src/pkg${i % 40}/layer${i % 3}/file${i}.ts`;

describe('scope-guard on a change of 12,000 files', () => {
  it('counts, layers, protected paths and the blast radius are those of the generated change', () => {
    const r = createRepo({
      initial: {
        'README.md': 'x\n',
        // Unchanged importers of files the change edits, renames or deletes: at risk on revert.
        'src/app/uses-edited.ts': "import { v } from '../pkg1/layer0/kept.js';\nexport const u = v;\n",
        'src/app/uses-renamed.ts': "import { w } from '../pkg2/layer1/old-name.js';\nexport const u = w;\n",
        'src/pkg1/layer0/kept.ts': 'export const v = 1;\n',
        'src/pkg2/layer1/old-name.ts': 'export const w = 2;\n// a file long enough to be found as a rename\n// line 3\n// line 4\n',
        'src/pkg3/layer2/gone.ts': 'export const g = 3;\n',
      },
    });
    repos.push(r);
    const base = r.head();
    // One fast-import commit: N new files (a few importing each other), one edit, one rename, one deletion.
    const lines = ['blob', 'mark :1', 'data 2', 'x', 'blob', 'mark :2', `data ${"import './file0.js';\n".length}`, "import './file0.js';"];
    lines.push('commit refs/heads/feature', 'committer B <b@example.com> 1700000000 +0000', 'data 4', 'big', `from ${base}`);
    for (let i = 0; i < N; i++) lines.push(`M 100644 ${i > 0 && i % 1200 === 0 ? ':2' : ':1'} ${added(i)}`);
    lines.push('M 100644 inline src/pkg1/layer0/kept.ts', 'data 20', 'export const v = 9;');
    lines.push('D src/pkg3/layer2/gone.ts');
    lines.push('R src/pkg2/layer1/old-name.ts src/pkg2/layer2/new-name.ts');
    execFileSync('git', ['fast-import', '--quiet'], { cwd: r.dir, input: `${lines.join('\n')}\n`, env: { ...process.env, ...GIT_TEST_ENV } });
    const files = tempDir();
    writeFileSync(
      join(files, 'config.yml'),
      'scope:\n  max-files: 5\n  layers:\n    l0: ["src/*/layer0/**"]\n    l1: ["src/*/layer1/**"]\n    l2: ["src/*/layer2/**"]\n  protected: [{ paths: ["src/pkg7/**"], reason: "x", require-label: ok }]\n',
    );
    const result = runAction('scope-guard', { workspace: r.dir, inputs: { token: '', base, head: 'feature', mode: 'warn', comment: 'false', config: join(files, 'config.yml') } });
    return result.then((run) => {
      expect(run.exitCode).toBe(0);
      // Every changed path as git lists it (sorted), with its layer; the rename counts once, under both layers.
      const changed = [...Array.from({ length: N }, (_, i) => added(i)), 'src/pkg1/layer0/kept.ts', 'src/pkg3/layer2/gone.ts', 'src/pkg2/layer2/new-name.ts'].sort();
      expect(Number(run.outputs['files-changed'])).toBe(N + 3);
      expect(JSON.parse(run.outputs.layers!)).toEqual(LAYERS);
      const layerOf = (path: string): string[] => (path === 'src/pkg2/layer2/new-name.ts' ? ['l1', 'l2'] : [`l${/layer(\d)/.exec(path)![1]}`]);
      const violations = JSON.parse(run.outputs.violations!) as Array<{ rule: string; file?: string; message: string }>;
      expect(violations.filter((v) => v.rule === 'max-files').map((v) => v.message)).toEqual([
        `${N + 3} files changed (renames count once, 0 ignored); the budget is 5. Split the change into smaller sessions.`,
      ]);
      const crossLayer = violations.filter((v) => v.rule === 'cross-layer');
      expect(crossLayer.map((v) => v.file)).toEqual(['l1', 'l2'].map((layer) => changed.find((p) => layerOf(p).includes(layer))));
      for (const [index, layer] of ['l1', 'l2'].entries()) {
        const inLayer = changed.filter((p) => layerOf(p).includes(layer));
        expect(crossLayer[index]!.message).toBe(
          `${inLayer.length.toLocaleString('en-US')} files in layer ${layer} (${inLayer.slice(0, 3).join(', ')}, …): the change touches 3 layers (l0, l1, l2); one layer at a time. Add the \`cross-layer\` label or a \`Cross-Layer: <why>\` trailer if it must.`,
        );
      }
      expect(violations.filter((v) => v.rule === 'protected').map((v) => v.file)).toEqual(changed.filter((p) => p.startsWith('src/pkg7/')));
      expect(violations).toHaveLength(1 + 2 + changed.filter((p) => p.startsWith('src/pkg7/')).length);
      // The blast radius: the two unchanged importers (at risk), and the new files importing file0.
      const radius = JSON.parse(run.outputs['blast-radius']!) as Array<{ file: string; depth: number; changed: boolean; chain: string[] }>;
      const importersOfFile0 = Array.from({ length: N }, (_, i) => i)
        .filter((i) => i > 0 && i % 1200 === 0)
        .map(added)
        .filter((p) => p.startsWith('src/pkg0/'));
      expect(radius.filter((e) => !e.changed).map((e) => [e.file, e.chain])).toEqual([
        ['src/app/uses-edited.ts', ['src/pkg1/layer0/kept.ts', 'src/app/uses-edited.ts']],
        ['src/app/uses-renamed.ts', ['src/pkg2/layer1/old-name.ts', 'src/app/uses-renamed.ts']],
      ]);
      expect(radius.filter((e) => e.changed).map((e) => e.file)).toEqual(importersOfFile0.sort());
      // The summary lists at most 300 changed files, not 12,003.
      expect(run.summary).toContain(`${plural(N + 3, 'changed file')}`);
      expect(run.summary).toContain(`…and ${N + 3 - 300} more.`);
    });
  });

  it('prints counts with the thousands separator toLocaleString(en-US) uses', () => {
    const numbers = [0, 1, -1, 7, 12, 999, 1000, -1000, 1234, 12_345, 80_000, 123_456, 1_234_567, 1e15, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0, 0.5, 1234.5678, NaN, Infinity];
    for (let i = 0; i < 2000; i++) numbers.push(Math.floor((i * 7919) ** 1.7) * (i % 2 ? -1 : 1));
    for (const n of numbers) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
    expect(plural(80_000, 'file')).toBe('80,000 files');
    expect(plural(1, 'file')).toBe('1 file');
  });
});
