/** What people read: the job summary of a postmortem run, and the body of its pull request or issue. */
import { formatRecoveryMinutes, recordText, recoveryChart, renderRecordLines, type RecoveryRecord, type RecoveryStats } from './record.js';
import type { SloWindow } from './slo.js';
import type { PostmortemDelivery, PostmortemResult } from './types.js';
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import { link, plural, prose, text, trusted } from '../output/markdown.js';

/** A pull request's or a run's URL on the server, linked; anything else as text. */
function serverLink(label: string, url: string | null | undefined): string {
  return url && /^https:\/\/[^\s()<>]+$/.test(url) ? link(trusted(label), url) : url ? text(url) : '';
}

/**
 * The body of the postmortem's pull request (it adds the record to the log) or issue (it follows
 * the prevention up), in the style of every report: one headline with the verdict icon, what to do,
 * the figures under a real header, then the record as the log holds it.
 */
export function recordBody(record: RecoveryRecord, stats: RecoveryStats, logPath: string, delivery: PostmortemDelivery | undefined, kind: 'pull-request' | 'issue' = delivery ? 'issue' : 'pull-request'): string {
  const failed = record.outcome === 'failed' || record.ttrMinutes === null;
  const headline = failed
    ? `## ❌ Recovery event ${markdownCode(record.id)}: the rollback failed`
    : `## ✅ Recovery event ${markdownCode(record.id)}: recovered in ${formatRecoveryMinutes(record.ttrMinutes!)}`;
  const where =
    delivery?.pr ? ` by ${link(trusted(`#${delivery.pr.number}`), delivery.pr.url)}` : delivery?.branch && delivery.mode === 'branch' ? ` on the branch ${markdownCode(delivery.branch)}` : '';
  const lead = `${failed ? 'A failed recovery, recorded (not counted in MTTR)' : 'The recovery is recorded'} in ${markdownCode(logPath)}${where}.`;
  const todo =
    kind === 'pull-request'
      ? `**What to do:** check the root cause and the prevention below, then merge this pull request to keep the record in ${markdownCode(logPath)}.`
      : `**What to do:** put the prevention below in place, then close this issue.`;
  const rollback = record.rollback;
  const rows: string[][] = [
    ['time to recovery', failed ? '**none**: the rollback failed' : formatRecoveryMinutes(record.ttrMinutes!)],
    ['detected', `${text(record.detectedAt)} (${record.detectedAtSource.replace('-', ' ')})`],
    [failed ? 'failed' : 'recovered', failed ? text(record.failedAt ?? '—') : `${text(record.recoveredAt ?? '—')}${record.recoveredAtSource ? ` (${record.recoveredAtSource.replace('-', ' ')})` : ''}`],
    ['MTTR (all)', stats.mttrMinutes === null ? 'no recovery recorded yet' : `${formatRecoveryMinutes(stats.mttrMinutes)} over ${plural(stats.recoveries, 'recovery', 'recoveries')}`],
    ['MTTR (last 30 days)', stats.last30Days.mttrMinutes === null ? 'none in the last 30 days' : `${formatRecoveryMinutes(stats.last30Days.mttrMinutes)} over ${plural(stats.last30Days.recoveries, 'recovery', 'recoveries')}`],
  ];
  if (rollback) {
    const how = [rollback.prUrl ? serverLink(/\/pull\/(\d+)$/.exec(rollback.prUrl) ? `#${/\/pull\/(\d+)$/.exec(rollback.prUrl)![1]}` : 'its pull request', rollback.prUrl) : '', rollback.sha ? markdownCode(rollback.sha.slice(0, 12)) : ''].filter(Boolean).join(', ');
    rows.push(['rollback', `${markdownCode(rollback.target)}${how ? `: ${how}` : ''}, ${rollback.verified ? 'verified' : '**not verified** by its checks'}`]);
  }
  if (record.runUrl) rows.push(['run', serverLink('the workflow run', record.runUrl)]);
  const [, ...lines] = renderRecordLines(record);
  return [headline, lead, todo, markdownTable(['recovery', 'value'], rows), '### The record', lines.join('\n')].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Summary

function minutesCell(minutes: number | null): string {
  return minutes === null ? '—' : String(minutes);
}

function percentCell(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 1000) / 10}%`;
}

function sloRows(all: SloWindow, recent: SloWindow, minutes: number, rate: number): string[][] {
  const met = (w: SloWindow): string => (w.successRateMet === null ? '' : w.successRateMet ? ' (met)' : ' (**missed**)');
  return [
    [`within ${minutes} min (SLO attainment)`, `${percentCell(all.attainment)} (${all.withinObjective}/${all.recoveries})`, `${percentCell(recent.attainment)} (${recent.withinObjective}/${recent.recoveries})`],
    [`success rate (objective ${percentCell(rate)})`, `${percentCell(all.successRate)}${met(all)}`, `${percentCell(recent.successRate)}${met(recent)}`],
    ['DORA band of the MTTR', all.doraBand ?? '—', recent.doraBand ?? '—'],
  ];
}

/** The job summary of a postmortem run. */
export function renderPostmortemSummary(result: PostmortemResult): string {
  const { record, stats, delivery, slo } = result;
  const verdict =
    record.outcome === 'failed' ? '❌ Postmortem: failed recovery' : slo.eventMet ? '✅ Postmortem: recovered' : `⚠️ Postmortem: recovered, beyond the ${slo.objective.timeToRestoreMinutes}-minute objective`;
  const parts: string[] = [`## ${verdict}, event ${markdownCode(record.id)} recorded`];
  if (record.outcome === 'failed') {
    parts.push(`> [!WARNING]\n> The rollback failed (${recordText(record.error, 'no reason given')}). This is recorded as a **failed recovery**: it has no time to recovery and is not counted in MTTR.`);
  }
  const deliveryText = (): string => {
    if (!result.appended) return 'nothing: the log already held this record';
    switch (delivery.mode) {
      case 'none':
        return 'written to the working tree only (`commit: none`)';
      case 'push':
        return `committed ${markdownCode(delivery.commit ?? '')} and pushed to ${markdownCode(delivery.branch ?? '')} (leased)`;
      case 'branch':
        return `${delivery.reused ? 'already on' : `committed ${markdownCode(delivery.commit ?? '')} on`} ${markdownCode(delivery.branch ?? '')}${delivery.pushed ? ', pushed' : ''}`;
    }
  };
  const rows: string[][] = [
    ['log', `${markdownCode(result.logPath)}${result.created ? ' (created)' : ''}, line ${result.recordLine}`],
    ['outcome', record.outcome === 'failed' ? '**failed recovery**' : 'recovered'],
    ['time to recovery', record.ttrMinutes === null ? 'none (not recovered)' : formatRecoveryMinutes(record.ttrMinutes)],
    ['detected at', `${record.detectedAt} (${record.detectedAtSource.replace('-', ' ')})`],
    [record.outcome === 'failed' ? 'failed at' : 'recovered at', record.recoveredAt ? `${record.recoveredAt} (${record.recoveredAtSource?.replace('-', ' ')})` : (record.failedAt ?? '—')],
    [`SLO (restore within ${slo.objective.timeToRestoreMinutes} min)`, slo.eventMet ? 'met' : record.outcome === 'failed' ? '**missed**: the rollback failed' : '**missed**'],
    ['MTTR (all)', stats.mttrMinutes === null ? '—' : `${formatRecoveryMinutes(stats.mttrMinutes)} over ${plural(stats.recoveries, 'recovery', 'recoveries')}`],
    ['MTTR (last 30 days)', stats.last30Days.mttrMinutes === null ? '—' : `${formatRecoveryMinutes(stats.last30Days.mttrMinutes)} over ${plural(stats.last30Days.recoveries, 'recovery', 'recoveries')}`],
    ['record', deliveryText()],
  ];
  if (delivery.mode === 'branch') {
    rows.push(['pull request', delivery.pr ? `${link(trusted(`#${delivery.pr.number}`), delivery.pr.url)}${delivery.pr.existed ? ' (already open)' : ''}` : prose(delivery.prSkipped ?? '—')]);
  }
  if (result.issue || result.issueSkipped) rows.push(['issue', result.issue ? link(trusted(`#${result.issue.number}`), result.issue.url) : prose(result.issueSkipped ?? '')]);
  parts.push(markdownTable(['record', 'value'], rows));
  if (delivery.skippedBranches.length > 0) {
    parts.push(`Existing branches that hold something else were left as they are: ${delivery.skippedBranches.map(markdownCode).join(', ')}.`);
  }
  if (result.notes.length > 0) parts.push(result.notes.map((n) => `- ${prose(n)}`).join('\n'));

  parts.push('### The record', renderRecordLines(record).slice(1).join('\n'));

  parts.push(
    '### Recovery figures',
    markdownTable(
      ['figure', 'all records', 'last 30 days'],
      [
        ['recoveries', String(stats.recoveries), String(stats.last30Days.recoveries)],
        ['failed recoveries (not in MTTR)', String(stats.failed), String(stats.last30Days.failed)],
        ['MTTR (minutes)', minutesCell(stats.mttrMinutes), minutesCell(stats.last30Days.mttrMinutes)],
        ...sloRows(slo.all, slo.last30Days, slo.objective.timeToRestoreMinutes, slo.objective.successRate),
      ],
    ),
    `Read from ${stats.events} machine-readable ${stats.events === 1 ? 'record' : 'records'}${stats.handWritten ? `, plus ${stats.handWritten} hand-written (counted, not in MTTR)` : ''}${stats.skipped ? `; ${stats.skipped} skipped (see below)` : ''}. MTTR is the mean time to recovery, to 0.01 minute.`,
  );
  if (stats.trend.length > 0) {
    parts.push(
      '### Trend',
      markdownTable(
        ['month', 'recoveries', 'failed', 'MTTR (minutes)', 'change'],
        stats.trend.map((t) => [
          t.month,
          String(t.recoveries),
          String(t.failed),
          minutesCell(t.mttrMinutes),
          t.changeMinutes === null ? '—' : `${t.changeMinutes > 0 ? '+' : ''}${t.changeMinutes}`,
        ]),
      ),
    );
  }
  // A chart of one or two bars says nothing a table does not: below three recoveries, the table only.
  const recovered = result.records.filter((r) => r.outcome === 'recovered' && r.ttrMinutes !== null);
  const chart = recovered.length >= 3 ? recoveryChart(result.records) : undefined;
  if (chart) parts.push('### Time to recovery per event', chart);
  else if (recovered.length > 0) {
    parts.push(
      '### Time to recovery per event',
      markdownTable(
        ['event', 'detected at', 'time to recovery'],
        recovered.map((r) => [markdownCode(r.id), text(r.detectedAt), formatRecoveryMinutes(r.ttrMinutes!)]),
      ),
    );
  }

  if (result.parsed.handWritten.length > 0) {
    parts.push(
      '### Hand-written records (no JSON line: counted, not parsed)',
      markdownTable(['line', 'heading'], result.parsed.handWritten.map((h) => [String(h.line), markdownText(h.heading.replace(/^\s*#+\s*/, ''))])),
    );
  }
  if (result.parsed.problems.length > 0) {
    parts.push('### Problems in the log', markdownTable(['line', 'problem'], result.parsed.problems.map((p) => [String(p.line), markdownText(p.message)])));
  }
  return parts.join('\n\n');
}
