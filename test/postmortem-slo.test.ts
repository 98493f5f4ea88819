/** sloAttainment and doraBand, the pure figures behind postmortem's `slo-met` and its summary. */
import { describe, expect, it } from '@jest/globals';
import { doraBand, recoveryStats, sloAttainment, type ParsedRecord, type RecoveryRecord } from '@rollback-gate/core';

const NOW = new Date('2026-06-30T12:00:00Z');

function record(id: string, recoveredAt: string, ttrMinutes: number | null): RecoveryRecord {
  const failed = ttrMinutes === null;
  const detectedAt = new Date(Date.parse(recoveredAt) - (ttrMinutes ?? 5) * 60_000).toISOString().replace('.000Z', 'Z');
  return {
    id, ttrMinutes, type: 'logic-error', outcome: failed ? 'failed' : 'recovered', detectedAt, detectedAtSource: 'input',
    recoveredAt: failed ? null : recoveredAt, recoveredAtSource: failed ? null : 'input', failedAt: failed ? recoveredAt : null,
    error: failed ? 'conflict' : null, detection: 'CI', strategy: 'revert', scope: { files: 1, sessions: [], commits: 1, text: null },
    culprit: null, rootCause: '', prevention: '', rollback: null, recordedAt: recoveredAt, runUrl: null, schema: 'rollback-gate/recovery-record@1',
  };
}

function attainment(records: RecoveryRecord[], objective = { timeToRestoreMinutes: 60, successRate: 0.95 }, event?: RecoveryRecord) {
  const parsed: ParsedRecord[] = records.map((r, i) => ({ record: r, line: i + 1, heading: '', edited: [] }));
  return sloAttainment(records, recoveryStats({ records: parsed, handWritten: [], problems: [] }, NOW), objective, event);
}

describe('doraBand', () => {
  it.each([
    [null, null],
    [0, 'elite'],
    [59.99, 'elite'],
    [60, 'high'],
    [1439.99, 'high'],
    [1440, 'medium'],
    [10079.99, 'medium'],
    [10080, 'low'],
    [100_000, 'low'],
  ])('%s minutes -> %s', (minutes, band) => {
    expect(doraBand(minutes)).toBe(band);
  });
});

describe('sloAttainment', () => {
  it('the event: within (at the limit included), beyond, failed; none given', () => {
    const at = record('a', '2026-06-29T10:00:00Z', 60);
    const beyond = record('b', '2026-06-29T11:00:00Z', 60.01);
    const failed = record('c', '2026-06-29T12:00:00Z', null);
    expect(attainment([at], undefined, at).eventMet).toBe(true);
    expect(attainment([beyond], undefined, beyond).eventMet).toBe(false);
    expect(attainment([failed], undefined, failed).eventMet).toBe(false);
    expect(attainment([at]).eventMet).toBeNull();
  });

  it('over all records and the last 30 days, with the success rate against its objective', () => {
    const report = attainment([
      record('old-fast', '2026-01-10T10:00:00Z', 10),
      record('old-failed', '2026-02-10T10:00:00Z', null),
      record('old-slow', '2026-03-10T10:00:00Z', 20_000),
      record('new-fast', '2026-06-20T10:00:00Z', 30),
      record('new-slow', '2026-06-25T10:00:00Z', 120),
    ]);
    expect(report.all).toEqual({
      events: 5, recoveries: 4, failed: 1, withinObjective: 2, attainment: 0.5, successRate: 0.8, successRateMet: false,
      mttrMinutes: 5040, doraBand: 'medium',
    });
    expect(report.last30Days).toEqual({
      since: '2026-05-31T12:00:00Z', events: 2, recoveries: 2, failed: 0, withinObjective: 1, attainment: 0.5, successRate: 1, successRateMet: true,
      mttrMinutes: 75, doraBand: 'high',
    });
  });

  it('19 of 20 meets a 0.95 success rate exactly; no records gives nulls', () => {
    const records = Array.from({ length: 20 }, (_, i) => record(`r${i}`, `2026-06-${String(i + 1).padStart(2, '0')}T10:00:00Z`, i === 0 ? null : 5));
    expect(attainment(records).all).toMatchObject({ successRate: 0.95, successRateMet: true, attainment: 1, doraBand: 'elite' });
    expect(attainment(records.slice(0, 10)).all.successRateMet).toBe(false);
    expect(attainment([]).all).toMatchObject({ events: 0, attainment: null, successRate: null, successRateMet: null, doraBand: null });
  });
});
