import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatRecoveryMinutes, parseRecoveryLog, recoveryStats, sloAttainment, systemClock, type ParsedLog } from '@rollback-gate/core';
import { stringOption, wholeNumber } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { openRepo } from '../context.js';
import { safe, count } from '../terminal.js';

export const logCommand: Command = {
  name: 'log',
  summary: 'The recovery records: MTTR, the trend by month, SLO attainment.',
  usage: 'log [--slo MINUTES] [--file PATH]',
  description:
    'Reads the recovery records the postmortem action writes (postmortem.security-log and postmortem.decisions-log in ' +
    'the config, from the working tree) and prints mean time to recovery overall and in the last 30 days, the trend by month, ' +
    'the share of recoveries within the SLO, and the records. Hand-written sections are counted, never guessed at.',
  options: [
    { name: 'slo', type: 'string', value: 'MINUTES', description: 'The time-to-recovery objective. Default: postmortem.slo.time-to-restore-minutes in the config (60).' },
    { name: 'file', type: 'string', value: 'PATH', description: 'Read this log instead of the configured ones.' },
  ],
  positionals: [],
  examples: ['rollback-gate log', 'rollback-gate log --slo 30 --json'],
  async run(ctx) {
    const { term, args } = ctx;
    const repo = await openRepo(ctx);
    const slo = wholeNumber(args, 'slo', repo.config.postmortem.slo.timeToRestoreMinutes, 1_000_000, 'log');
    const files = stringOption(args, 'file') ? [stringOption(args, 'file')!] : [repo.config.postmortem.securityLog, repo.config.postmortem.decisionsLog];
    const combined: Pick<ParsedLog, 'records' | 'handWritten' | 'problems'> = { records: [], handWritten: [], problems: [] };
    const read: Array<{ path: string; found: boolean; records: number }> = [];
    for (const file of [...new Set(files)]) {
      const full = resolve(repo.root, file);
      if (!existsSync(full)) {
        read.push({ path: file, found: false, records: 0 });
        continue;
      }
      const parsed = parseRecoveryLog(readFileSync(full, 'utf8'));
      read.push({ path: file, found: true, records: parsed.records.length });
      combined.records.push(...parsed.records);
      combined.handWritten.push(...parsed.handWritten);
      combined.problems.push(...parsed.problems.map((p) => ({ ...p, message: `${file}:${p.line}: ${p.message}` })));
    }
    const stats = recoveryStats(combined, systemClock());
    const objectives = sloAttainment(combined.records.map((r) => r.record), stats, { ...repo.config.postmortem.slo, timeToRestoreMinutes: slo }).all;
    const within = objectives.withinObjective;
    const attainment = { sloMinutes: slo, within, recoveries: objectives.recoveries, percent: objectives.attainment === null ? null : Math.round(objectives.attainment * 1000) / 10 };
    if (term.json) {
      term.document({ command: 'log', files: read, stats, slo: attainment, records: combined.records.map((r) => r.record), problems: combined.problems });
      return EXIT.ok;
    }
    if (combined.records.length === 0) {
      term.essential(`no recovery records yet (read ${read.map((r) => `${r.path}${r.found ? '' : ' (absent)'}`).join(', ')}).`);
      term.line('The postmortem action appends one after each recovery (examples/workflows/rollback.yml).');
      return EXIT.ok;
    }
    const minutes = (m: number | null): string => (m === null ? '—' : formatRecoveryMinutes(m));
    term.essential(
      `MTTR ${minutes(stats.mttrMinutes)} over ${count(stats.recoveries, 'recovery', 'recoveries')}${stats.failed > 0 ? ` (+${stats.failed} failed)` : ''}; last 30 days ${minutes(stats.last30Days.mttrMinutes)} (${stats.last30Days.recoveries}); ` +
        `within ${slo} min: ${attainment.percent === null ? '—' : `${attainment.percent}%`} (${within}/${objectives.recoveries})`,
    );
    term.line();
    term.heading('Trend by month');
    term.table(['month', 'recoveries', 'failed', 'MTTR', 'change'], stats.trend.map((t) => [t.month, String(t.recoveries), String(t.failed), minutes(t.mttrMinutes), t.changeMinutes === null ? '' : `${t.changeMinutes > 0 ? '+' : ''}${t.changeMinutes} min`]));
    term.line();
    term.heading('Records, newest first');
    const records = combined.records.map((r) => r.record).sort((a, b) => (b.recoveredAt ?? b.failedAt ?? b.detectedAt).localeCompare(a.recoveredAt ?? a.failedAt ?? a.detectedAt));
    term.table(
      ['detected', 'type', 'time to recovery', 'strategy', 'id'],
      records.slice(0, 30).map((r) => [r.detectedAt, safe(r.type), r.outcome === 'failed' ? term.paint('red', 'failed') : minutes(r.ttrMinutes), safe(r.strategy), safe(r.id)]),
    );
    if (stats.handWritten > 0) term.line(`\n${count(stats.handWritten, 'hand-written section')} without a record line ${stats.handWritten === 1 ? 'was' : 'were'} counted, not read.`);
    for (const p of combined.problems.slice(0, 10)) term.warning(safe(p.message));
    return EXIT.ok;
  },
};
