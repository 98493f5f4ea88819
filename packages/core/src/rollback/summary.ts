/** The rollback's job summary (also the body of its pull request). */
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import { type RollbackReport } from './rollback-report.js';
import { type ResolvedTarget } from './target.js';

/** The job summary (and PR body) of a rollback. */
export function renderRollbackSummary(report: RollbackReport, target: ResolvedTarget | undefined, skipped: ReadonlyArray<{ commit: string; reason: string }>): string {
  const rows: string[][] = [
    ['target', `${markdownCode(report.target.input)}: ${markdownText(report.target.resolved)}`],
    ['strategy', markdownCode(report.strategy)],
    ['outcome', report.outcome + (report.error ? `: ${markdownText(report.error.split('\n')[0] ?? '')}` : '')],
    ['verified', report.verified ? 'yes' : '**no**'],
  ];
  if (report.culprit) rows.push(['culprit', markdownCode(report.culprit)]);
  if (report.bisect) rows.push(['bisect', `${report.bisect.runs} run(s), ${report.bisect.skipped} skipped`]);
  if (report.rollbackSha) rows.push(['rollback commit', markdownCode(report.rollbackSha)]);
  if (report.branch) rows.push(['branch', markdownCode(report.branch)]);
  if (report.prUrl) rows.push(['pull request', report.prUrl]);
  rows.push(['started / finished', `${report.startedAt} / ${report.finishedAt}`]);
  const parts = [`## Rollback of ${markdownCode(target?.id ?? report.target.input)}`, markdownTable(['', ''], rows)];
  if (report.commits.length > 0) {
    parts.push('### Reverted, newest first', markdownTable(['commit'], report.commits.map((c) => [markdownCode(c)])));
  }
  if (report.culpritBlastRadius.length > 0) {
    parts.push('### The culprit\'s blast radius (files importing what it changed)', markdownTable(['file', 'import chain'], report.culpritBlastRadius.slice(0, 100).map((r) => [markdownCode(r.file), r.chain.map(markdownCode).join(' ← ')])));
  }
  if (report.cascade.length > 0) {
    parts.push('### Cascade pulled in with the culprit', markdownTable(['commit', 'why'], report.cascade.map((c) => [markdownCode(c.commit.slice(0, 12)), markdownText(c.reason)])));
  }
  if (skipped.length > 0) {
    parts.push('### Skipped', markdownTable(['commit', 'why'], skipped.map((s) => [markdownCode(s.commit.slice(0, 12)), markdownText(s.reason)])));
  }
  if (report.checks.length > 0) {
    parts.push('### Checks on the rolled-back tree', markdownTable(['check', 'exit', 'seconds', 'timed out'], report.checks.map((c) => [markdownText(c.name), String(c.exitCode), (c.durationMs / 1000).toFixed(1), c.timedOut ? 'yes' : 'no'])));
  }
  return parts.join('\n\n');
}
