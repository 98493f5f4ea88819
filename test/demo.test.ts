/** `npm run demo` plays the whole story through the bundles; this runs the same demo and checks each step. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { marked } from 'marked';
// @ts-expect-error: a plain JavaScript module (scripts/ is not type-checked)
import { playDemo, renderPage } from '../scripts/demo.mjs';
// @ts-expect-error: a plain JavaScript module (scripts/ is not type-checked)
import { screenshotPage, screenshotSources } from '../scripts/screenshots.mjs';
import { checkMarkdown } from './harness/markdown-check.js';
import { git } from './harness/repo.js';

interface Step {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  errors: string[];
  comment?: string;
}
interface Demo {
  root: string;
  dir: string;
  remote: string;
  steps: Record<string, Step>;
  expected: { culprit: string; cascade: string[] };
  recoveredAt: string;
  pages: Array<{ title: string; markdown: string }>;
}

let demo: Demo | undefined;
afterAll(() => {
  if (demo) rmSync(demo.root, { recursive: true, force: true });
});

it('plays the whole story: checkpoint, scope-guard, verify-rollback, squash, the gate catching an entangling change, bisect rollback planned then applied after approval, postmortem', () => {
  const printed: string[] = [];
  demo = playDemo({ say: (text: string) => printed.push(text) }) as Demo;
  const { steps, expected, dir, remote } = demo;

  expect(steps.checkpoint).toMatchObject({ exitCode: 0, outputs: { tag: 'checkpoint/pr-1', created: 'true' } });

  expect(steps.scopeGuard!.exitCode).toBe(1);
  const violations = JSON.parse(steps.scopeGuard!.outputs.violations!) as Array<{ rule: string }>;
  expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(['max-files', 'cross-layer']));
  expect(JSON.parse(steps.scopeGuard!.outputs.layers!)).toEqual(['api', 'core', 'ui']);
  const radius = JSON.parse(steps.scopeGuard!.outputs['blast-radius']!) as Array<{ file: string; changed: boolean }>;
  expect(radius.filter((r) => !r.changed).map((r) => r.file)).toEqual(['src/api/orders.ts']);

  expect(steps.verifyRollback).toMatchObject({ exitCode: 0, outputs: { 'rollback-ready': 'true' } });

  expect(steps.squashSession).toMatchObject({ exitCode: 0, outputs: { status: 'squashed', 'commits-squashed': '40', 'tree-matches': 'true', 'backup-ref': 'refs/rollback-gate/backup/pr-1' } });
  expect(git(remote, ['rev-list', '--count', 'checkpoint/pr-1..refs/rollback-gate/backup/pr-1'])).toBe('40');

  // The gate on the next pull request: it would entangle the squashed session, and its comment says so.
  const gate = steps.gate!;
  expect(gate.exitCode).toBe(1);
  expect(gate.outputs).toMatchObject({ passed: 'false', 'rollback-ready': 'false' });
  expect(gate.comment).toContain('## ❌ rollback-gate: failed');
  expect(gate.comment).toContain('### ❌ verify-rollback: not rollback-ready');
  expect(gate.comment).toMatch(/\nChecked this change against 1 landed unit, the newest first-parent commit up to \[`[0-9a-f]{12}`\]\(https:\/\/github\.com\/acme\/shop\/commit\/[0-9a-f]{40}\) \(window: 50 commits, 30 days\)\.\n/);
  // Every commit the comment names links to it.
  expect(gate.comment!.match(/(?<!\[)`[0-9a-f]{12}`(?!\])/g)).toBeNull();
  expect(gate.comment).toMatch(/\| `pr-1` \| .* \| `src\/api\/discounts.ts` lines 1–2 \(modify\/delete\) \| this change \|/);
  expect(gate.comment).not.toContain('#### ❌ verify-rollback');

  // The rollback: planned (bisect, checks, sealed; nothing pushed), then applied after approval.
  const plan = steps.rollbackPlan!;
  expect(plan.exitCode).toBe(0);
  expect(plan.outputs).toMatchObject({ strategy: 'bisect', culprit: expected.culprit, verified: 'true' });
  expect(plan.summary).toContain('## 📝 Rollback of `session-2`: planned and sealed, nothing pushed');
  const rollback = steps.rollback!;
  expect(rollback.exitCode).toBe(0);
  expect(rollback.outputs).toMatchObject({ strategy: 'bisect', culprit: expected.culprit, verified: 'true', branch: 'rollback/session-2', 'pr-url': 'https://github.com/acme/shop/pull/3' });
  expect(JSON.parse(rollback.outputs.commits!)).toEqual([...expected.cascade].reverse().concat(expected.culprit));
  expect(rollback.summary).toContain('| approved by | ada (approved for `rollback`');
  const report = JSON.parse(readFileSync(plan.outputs['report-path']!, 'utf8')) as { bisect: { runs: number } };
  expect(report.bisect.runs).toBeLessThanOrEqual(5); // ceil(log2(16)) + 1
  // The rollback pull request, as the API received it: opened, then its body updated to the closed report.
  const pull = steps.rollbackPull as unknown as { title: string; body: string; number: number };
  expect(pull).toMatchObject({ title: 'Roll back session-2', number: 3 });
  expect(pull.body).toMatch(/^<!-- rollback-gate:rollback -->\n## ✅ Rollback of `session-2`: succeeded\n/);
  expect(pull.body).toContain('| outcome | succeeded |');
  // The apply job read nothing but the plan: its commits are still shown with subject and author.
  const rows = (markdown: string): string[] =>
    [...(marked.parse(markdown, { gfm: true, async: false }) as string).matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
      m[1]!.replace(/<\/t[dh]>/g, ' ').replace(/<[^>]+>/g, '').replace(/&#8203;/g, '').replace(/\s+/g, ' ').trim(),
    );
  const reverted = rows(pull.body).filter((row) => /^[0-9a-f]{12} /.test(row));
  expect(reverted.map((row) => row.slice(13))).toEqual([
    'feat(ui): show price ranges claude-code[bot] agent',
    'feat(core): price ranges claude-code[bot] agent',
    'perf(core): faster price formatting claude-code[bot] agent',
  ]);
  expect(rows(pull.body)).toContainEqual(expect.stringMatching(/^culprit [0-9a-f]{12} perf\(core\): faster price formatting \(claude-code\[bot\]\)$/));
  expect(rows(pull.body)).toContainEqual(expect.stringMatching(/^verified yes: checks ran in the plan job \(its run\) on this exact tree/));
  // The target says once how many commits the bisect spans and which commits are the session's.
  expect(rows(pull.body)).toContainEqual(expect.stringMatching(/^target session-2: bisect [0-9a-f]{12}\.\.[0-9a-f]{12} \(16 commits on main since [0-9a-f]{12}, through its newest agent commit /));
  // The plan job's cascade: each commit with its subject, author and why.
  expect(rows(plan.summary).filter((row) => /^[0-9a-f]{12} feat\((core|ui)\)/.test(row) && row.includes(' uses '))).toHaveLength(2);
  // It was merged: main is back to working prices, the later notes kept.
  expect(git(remote, ['show', 'refs/heads/main:src/core/prices.ts'])).not.toContain('cents / 10)');
  expect(git(remote, ['show', 'refs/heads/main:notes/n16.md'])).toBe('16');

  const postmortem = steps.postmortem!;
  expect(postmortem).toMatchObject({ exitCode: 0, outputs: { 'time-to-recovery-minutes': '14', 'mttr-minutes': '14' } });
  const log = readFileSync(join(dir, postmortem.outputs['record-path']!), 'utf8');
  // The story's dates are relative to today, so the recovery counts in the last 30 days.
  expect(log).toContain(`## Recovery Event: ${demo.recoveredAt.slice(0, 10)}`);
  expect(Date.now() - Date.parse(demo.recoveredAt)).toBeLessThan(3 * 86_400_000);
  expect(postmortem.summary).toMatch(/last 30 days[^\n]*14/);
  expect(log).toContain('<!-- rollback-gate:record {');

  const text = printed.join('\n');
  expect(text).toContain('Where to look');
  // The gate's comment is printed, without its hidden marker.
  expect(text).toContain('▸ ❌ rollback-gate: failed');
  expect(text).not.toContain('<!-- rollback-gate');
  expect(text).not.toMatch(/^::/m);
});

it('every summary and comment the demo shows reads well on GitHub, and `--open` renders them on one page', async () => {
  expect(demo).toBeDefined();
  const { pages } = demo!;
  expect(pages.length).toBeGreaterThanOrEqual(8);
  for (const page of pages) {
    const kind = page.markdown.startsWith('<!-- rollback-gate:') ? 'comment' : 'summary';
    expect({ title: page.title, problems: await checkMarkdown(page.markdown, { kind }) }).toEqual({ title: page.title, problems: [] });
  }
  const html = (await renderPage(pages)) as string;
  expect(html.match(/<section>/g)).toHaveLength(pages.length);
  expect(html).toContain('<pre class="mermaid">');
  expect(html).toContain('<h2>❌ rollback-gate: failed</h2>');
  expect(html).not.toContain('<pre><code class="language-mermaid">');
});

it("the README's screenshots are made from this run: the gate's comment and the rollback PR's body as the API received them, scope-guard's summary", async () => {
  expect(demo).toBeDefined();
  const sources = screenshotSources(demo) as Array<{ image: string; kind: 'comment' | 'pr-body' | 'summary'; markdown: string; frame: { title: string } }>;
  expect(sources.map((s) => s.image)).toEqual(['gate-comment.png', 'rollback-pr.png', 'scope-guard-summary.png']);
  const [comment, pull, summary] = sources;
  expect(comment!.markdown).toBe(demo!.steps.gate!.comment);
  expect(comment!.markdown).toMatch(/^<!-- rollback-gate:[\w-]+ -->\n## ❌ rollback-gate: failed\n/);
  expect(comment!.markdown).toContain('| `pr-1` |');
  expect(pull!.markdown).toMatch(/^<!-- rollback-gate:rollback -->\n## ✅ Rollback of `session-2`: succeeded\n/);
  expect(pull!.frame.title).toBe('Roll back session-2');
  expect(summary!.markdown).toBe(demo!.steps.scopeGuard!.summary);
  expect(summary!.markdown).toContain('```mermaid');
  for (const source of sources) {
    expect({ image: source.image, problems: await checkMarkdown(source.markdown, { kind: source.kind }) }).toEqual({ image: source.image, problems: [] });
    const html = (await screenshotPage(source)) as string;
    // Rendered, not shown as Markdown: tables and headings are HTML, mermaid is left to mermaid.
    expect(html).toMatch(/<h2>(❌|✅) /);
    expect(html).toContain('<table>');
    expect(html).not.toMatch(/^\| --- /m);
    expect(html).toContain('.markdown-body');
    expect(html.includes('<pre class="mermaid">')).toBe(source.markdown.includes('```mermaid'));
  }
});
