/** The trigger's section of the job summary (and the rollback PR's body): every decision and why. */
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import { link, plural, prose, trusted } from '../output/markdown.js';
import type { TriggerReport } from './types.js';

/** The verdict's icon, as every report's headline has one. */
const ICON: Record<TriggerReport['verdict'], string> = {
  rollback: '🔄',
  ignored: '⏭️',
  declined: '✋',
  'report-only': '📣',
  refused: '❌',
};

const HEADLINE: Record<TriggerReport['verdict'], string> = {
  rollback: 'rollback started',
  ignored: 'ignored',
  declined: 'declined by a guardrail',
  'report-only': 'reported only (the culprit opted out)',
  refused: 'refused',
};

/**
 * The trigger's report: alone (a trigger that started no rollback) it is the summary, under one
 * `##` headline with its verdict icon; inside a rollback's report (`level: 3`) it is a section.
 */
export function renderTriggerSummary(report: TriggerReport, level: 2 | 3 = 2): string {
  const lines: string[] = [];
  const from = report.event === 'workflow_run' ? 'a red default branch (`workflow_run`)' : 'an alert (`repository_dispatch`)';
  lines.push(`${'#'.repeat(level)} ${ICON[report.verdict]} Trigger: ${HEADLINE[report.verdict]}`, '', `Started by ${from}. **${prose(report.reason || HEADLINE[report.verdict])}**`, '');
  const facts: string[][] = [];
  if (report.failingRun) {
    facts.push(['failing run', `${report.failingRun.id ?? '?'} of ${markdownCode(report.failingRun.workflow || '?')} on ${markdownCode(report.failingRun.headSha.slice(0, 12) || '?')}${report.failingRun.url ? ` (${link(trusted('the run'), report.failingRun.url)})` : ''}`]);
  }
  if (report.alert) {
    const a = report.alert;
    const quoted = (text: string | null): string => (text ? `“${markdownText(text)}”` : '(none)');
    facts.push(['alert', `reason ${quoted(a.reason)}, source ${quoted(a.source)}, severity ${quoted(a.severity)}${a.target ? `, target ${quoted(a.target)}` : ''}`]);
  }
  if (report.range) facts.push(['suspect range', `${markdownCode(report.range.good.slice(0, 12))}..${markdownCode(report.range.bad.slice(0, 12))}: ${plural(report.range.units.length, 'landed unit')}`]);
  if (report.confirm && report.confirm.command) {
    const runs = report.confirm.runs.map((r) => (r.timedOut ? `hung (killed after ${(r.durationMs / 1000).toFixed(1)} s)` : `exit ${r.exitCode}`)).join(', ');
    facts.push(['confirm', `${markdownText(report.confirm.result)}: ${markdownCode(report.confirm.command)} on the failing head: ${runs || 'not run'}`]);
  }
  if (report.target) facts.push(['target', `${markdownCode(report.target)} (strategy ${markdownCode(report.strategy ?? 'auto')})`]);
  for (const c of report.culprits) facts.push(['culprit', `${markdownCode(c.sha.slice(0, 12))} ${markdownText(c.subject)} by ${markdownText(c.author)}, landed ${markdownText(c.landedAt)} (${c.ageHours} h ago)`]);
  facts.push(['detected at', markdownText(report.detectedAt)]);
  facts.push(['delivery', report.delivery === 'direct' ? 'direct push (triggers.delivery)' : 'pull request']);
  lines.push(markdownTable(['trigger', 'value'], facts), '');
  lines.push(markdownTable(['check', 'result', 'why'], report.decisions.map((d) => [markdownCode(d.check), d.result === 'ok' ? 'ok' : d.result === 'note' ? 'note' : `**${d.result}**`, prose(d.reason)])));
  return lines.join('\n');
}
