/**
 * Recovery objectives (config `postmortem.slo`): whether one recovery event met the time
 * objective, attainment over the records (all, and the same 30 days as RecoveryStats), failed
 * recoveries, and the DORA band of the MTTR. Pure: the records and their stats in, figures out.
 */
import type { SloConfig } from '../config/config.js';
import { parseIsoTime } from '../base/time.js';
import type { RecoveryRecord, RecoveryStats } from './record.js';

/** DORA's time-to-restore bands: elite < 1 hour, high < 1 day, medium < 1 week, low beyond. */
export type DoraBand = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 60;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The DORA band of a mean time to restore in minutes; null without one. */
export function doraBand(mttrMinutes: number | null): DoraBand | null {
  if (mttrMinutes === null) return null;
  if (mttrMinutes < HOUR) return 'elite';
  if (mttrMinutes < DAY) return 'high';
  if (mttrMinutes < WEEK) return 'medium';
  return 'low';
}

export interface SloWindow {
  /** Recovery attempts: recoveries and failed ones. */
  events: number;
  recoveries: number;
  failed: number;
  /** Recoveries within `timeToRestoreMinutes` (a time exactly at the objective meets it). */
  withinObjective: number;
  /** withinObjective / recoveries, to 0.001; null without recoveries. */
  attainment: number | null;
  /** recoveries / events, to 0.001; null without events. */
  successRate: number | null;
  /** successRate >= the objective; null without events. */
  successRateMet: boolean | null;
  mttrMinutes: number | null;
  doraBand: DoraBand | null;
}

export interface SloReport {
  objective: SloConfig;
  /**
   * The event measured: true when it recovered within the objective, false when it took longer or
   * the rollback failed; null when no event was given.
   */
  eventMet: boolean | null;
  all: SloWindow;
  /** Since `stats.last30Days.since`. */
  last30Days: SloWindow & { since: string };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 1000) / 1000;
}

/** Whether one event met the time objective: a failed rollback never does. */
export function eventMeetsSlo(record: RecoveryRecord, objective: SloConfig): boolean {
  return record.outcome === 'recovered' && record.ttrMinutes !== null && record.ttrMinutes <= objective.timeToRestoreMinutes;
}

function sloWindow(records: readonly RecoveryRecord[], objective: SloConfig, mttrMinutes: number | null): SloWindow {
  const recovered = records.filter((r) => r.outcome === 'recovered' && r.ttrMinutes !== null);
  const within = recovered.filter((r) => eventMeetsSlo(r, objective)).length;
  const successRate = share(recovered.length, records.length);
  return {
    events: records.length,
    recoveries: recovered.length,
    failed: records.length - recovered.length,
    withinObjective: within,
    attainment: share(within, recovered.length),
    successRate,
    // Compared unrounded: 19 of 20 meets 0.95 exactly.
    successRateMet: records.length === 0 ? null : recovered.length >= objective.successRate * records.length - 1e-9,
    mttrMinutes,
    doraBand: doraBand(mttrMinutes),
  };
}

/**
 * SLO attainment over `records` (every readable record of the log). `stats` is
 * `recoveryStats` over the same records: its MTTRs and its 30-day boundary are reused, so the
 * two never disagree. `event` is the record just written, when there is one.
 */
export function sloAttainment(
  records: readonly RecoveryRecord[],
  stats: RecoveryStats,
  objective: SloConfig,
  event?: RecoveryRecord,
): SloReport {
  const since = parseIsoTime(stats.last30Days.since, 'the 30-day boundary').getTime();
  const instant = (r: RecoveryRecord): number => parseIsoTime(r.recoveredAt ?? r.failedAt ?? r.detectedAt, 'the record\'s time').getTime();
  const recent = records.filter((r) => instant(r) >= since);
  return {
    objective: { ...objective },
    eventMet: event ? eventMeetsSlo(event, objective) : null,
    all: sloWindow(records, objective, stats.mttrMinutes),
    last30Days: { since: stats.last30Days.since, ...sloWindow(recent, objective, stats.last30Days.mttrMinutes) },
  };
}
