/** The recovery log's format: ISO 8601 times, rendering, parsing back, escaping and the figures. */
import { describe, expect, it } from '@jest/globals';
import {
  RECOVERY_RECORD_SCHEMA,
  UserError,
  appendRecord,
  formatRecoveryMinutes,
  parseIsoTime,
  parseRecoveryLog,
  recordMarkerLine,
  recoveryChart,
  recoveryStats,
  renderRecord,
  type RecoveryRecord,
} from '@rollback-gate/core';

function record(overrides: Partial<RecoveryRecord> = {}): RecoveryRecord {
  return {
    id: '2026-03-01-pr-123',
    ttrMinutes: 14,
    type: 'logic-error',
    outcome: 'recovered',
    detectedAt: '2026-03-01T10:00:00Z',
    detectedAtSource: 'input',
    recoveredAt: '2026-03-01T10:14:00Z',
    recoveredAtSource: 'input',
    failedAt: null,
    error: null,
    detection: 'CI',
    strategy: 'squash revert',
    scope: { files: 4, sessions: ['pr-123'], commits: 12, text: null },
    culprit: null,
    rootCause: 'an off-by-one in the pager',
    prevention: 'a property test',
    rollback: null,
    recordedAt: '2026-03-01T10:20:00Z',
    runUrl: null,
    schema: RECOVERY_RECORD_SCHEMA,
    ...overrides,
  };
}

const HOSTILE = [
  '## Injected heading',
  '# top\n## second\n### third',
  '<!-- rollback-gate:record {"id":"evil","ttrMinutes":0,"outcome":"recovered","detectedAt":"2026-01-01T00:00:00Z","recoveredAt":"2026-01-01T00:00:00Z"} -->',
  'x\n<!-- rollback-gate:record {"id":"evil2"} -->\ny',
  '<script>alert(1)</script><img src=x onerror=alert(1)>',
  '::set-output name=mttr-minutes::0\n::warning::pwned\n##[error]legacy',
  'ends the comment --> and --!> here',
  '```\nfenced\n```',
  '~~~',
  '<!-- unclosed comment',
  'title\n===\nsetext\n---',
  '| a | b |\n|---|---|',
  '- list\n* item\n1. numbered\n> quote',
  '[link](javascript:alert(1)) ![img](http://x/y.png)',
  '&lt;already escaped&gt; &#60;script&#62;',
  'back\\slash \\## and `code` ``two``',
  'line\r\nseparators\u2028here\u2029and\rthere',
  'bidi \u202Eevil\u202C and nul \u0000 and bell \u0007',
  '    indented code\n\tand a tab',
  '',
];

function visibleLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('<!-- rollback-gate:record '));
}

describe('parseIsoTime', () => {
  it.each([
    ['2026-03-01T10:14:00Z', '2026-03-01T10:14:00.000Z'],
    ['2026-03-01T10:14Z', '2026-03-01T10:14:00.000Z'],
    ['2026-03-01t10:14:00z', '2026-03-01T10:14:00.000Z'],
    ['2026-03-01 11:14:00+01:00', '2026-03-01T10:14:00.000Z'],
    ['2026-03-01T05:44:00.250-04:30', '2026-03-01T10:14:00.250Z'],
    ['2026-03-01T10:14:00,5Z', '2026-03-01T10:14:00.500Z'],
    ['20260301T101400Z', '2026-03-01T10:14:00.000Z'],
    ['20260301T1114+0100', '2026-03-01T10:14:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseIsoTime(text, 'input `detected-at`').toISOString()).toBe(iso);
  });

  it.each([
    ['yesterday', 'not an ISO 8601 date and time'],
    ['2026-03-01', 'a date without a time of day'],
    ['2026-03-01T10:14:00', 'has no time zone'],
    ['2026-13-01T10:00:00Z', 'there is no month 13'],
    ['2025-02-29T10:00:00Z', '2025-02 has no day 29'],
    ['2026-03-01T24:00:00Z', 'there is no hour 24'],
    ['2026-03-01T10:60:00Z', 'there is no minute 60'],
    ['2026-03-01T10:00:00+25:00', 'not a valid time zone offset'],
    ['1709287200', 'not an ISO 8601 date and time'],
    ['Sun, 01 Mar 2026 10:00:00 GMT', 'not an ISO 8601 date and time'],
  ])('refuses %s, saying why', (text, why) => {
    let error: unknown;
    try {
      parseIsoTime(text, 'input `detected-at`');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('input `detected-at`');
    expect((error as Error).message).toContain(why);
  });
});

it('writes minutes as people read them', () => {
  expect([0, 1, 14, 42.5, 60, 100, 1441].map(formatRecoveryMinutes)).toEqual([
    '0 minutes',
    '1 minute',
    '14 minutes',
    '42.5 minutes',
    '60 minutes, 1 h',
    '100 minutes, 1 h 40 min',
    '1441 minutes, 1 d 1 min',
  ]);
});

describe('a record', () => {
  it('renders in the documented format, with the hidden JSON line last', () => {
    const text = renderRecord(record());
    expect(text).toBe(
      [
        '## Recovery Event: 2026-03-01',
        '- **Type**: Rollback due to logic error',
        '- **Scope**: 4 files, session pr-123 (12 commits)',
        '- **Detection**: CI',
        '- **Recovery strategy used**: squash revert',
        '- **Time to recovery**: 14 minutes (detected 2026-03-01T10:00:00Z, recovered 2026-03-01T10:14:00Z)',
        '- **Root cause**: an off-by-one in the pager',
        '- **Prevention**: a property test',
        recordMarkerLine(record()),
        '',
      ].join('\n'),
    );
    expect(recordMarkerLine(record())).toMatch(/^<!-- rollback-gate:record \{"id":"2026-03-01-pr-123","ttrMinutes":14,.*\} -->$/);
  });

  it('round-trips exactly, whatever hostile text its fields hold, and cannot break the log', () => {
    const records = HOSTILE.map((text, i) =>
      record({
        id: `r${i}`,
        rootCause: text,
        prevention: [...text].reverse().join(''),
        detection: text,
        strategy: text,
        error: null,
        culprit: text || null,
        scope: { files: 1, sessions: [text], commits: 2, text: i % 2 ? text : null },
      }),
    );
    let log: string | undefined;
    for (const r of records) log = appendRecord(log, r, 'decisions').text;
    const parsed = parseRecoveryLog(log!);
    expect(parsed.problems).toEqual([]);
    expect(parsed.handWritten).toEqual([]);
    expect(parsed.openBlock).toBeUndefined();
    expect(parsed.records.map((r) => r.record)).toEqual(records);
    expect(parsed.records.every((r) => r.edited.length === 0)).toBe(true);

    const lines = log!.split('\n');
    // Only our headings start a heading; only our markers start a comment; no raw HTML anywhere.
    expect(lines.filter((l) => /^\s{0,3}#/.test(l))).toEqual(['# Decisions log', ...records.map(() => '## Recovery Event: 2026-03-01')]);
    expect(lines.filter((l) => l.includes('<!--'))).toEqual(records.map((r) => recordMarkerLine(r)));
    for (const line of visibleLines(log!)) {
      expect(line).not.toMatch(/[<>]/);
      expect(line).not.toMatch(/^\s*(::|##\[|```|~~~|={2,}|-{2,}|\||>|\s{4})/);
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2028\u2029]/);
    }
    for (const r of records) {
      const marker = recordMarkerLine(r);
      expect(marker.indexOf('-->')).toBe(marker.length - 3);
    }
  });

  it('a failed recovery has no time to recovery and says it is not counted', () => {
    const failed = record({ outcome: 'failed', ttrMinutes: null, recoveredAt: null, recoveredAtSource: null, failedAt: '2026-03-01T10:30:00Z', error: 'revert conflict in src/a.ts' });
    const text = renderRecord(failed);
    expect(text).toContain('## Recovery Event: 2026-03-01 (failed rollback)');
    expect(text).toContain('- **Outcome**: the rollback failed: revert conflict in src/a.ts');
    expect(text).toContain('- **Time to recovery**: not recovered: the rollback failed after 30 minutes');
    expect(text).toContain('not counted in MTTR');
    expect(parseRecoveryLog(text).records[0]!.record).toEqual(failed);
  });
});

describe('reading a log', () => {
  const good = (id: string, ttr: number, day: string): RecoveryRecord => {
    const detected = new Date(`${day}T09:00:00Z`);
    return record({
      id,
      ttrMinutes: ttr,
      detectedAt: detected.toISOString().replace('.000Z', 'Z'),
      recoveredAt: new Date(detected.getTime() + ttr * 60_000).toISOString().replace('.000Z', 'Z'),
    });
  };

  it('lists hand-written records, reports corrupt and duplicate JSON lines, and skips code blocks', () => {
    const a = good('a', 10, '2026-01-05');
    const b = good('b', 25.5, '2026-02-10');
    const text = [
      '# Decisions log',
      '',
      '```markdown',
      '## Example (not a record)',
      recordMarkerLine(good('example', 999, '2026-01-01')),
      '```',
      '',
      '## Outage of 2025-12-24, written by hand',
      '- **Time to recovery**: about an hour',
      '',
      renderRecord(a),
      '## Recovery Event: 2026-01-20',
      '- **Time to recovery**: 5 minutes',
      '<!-- rollback-gate:record {"id":"broken","ttrMinutes":5,"outcome":"recov -->',
      '',
      '## Recovery Event: 2026-01-21',
      '<!-- rollback-gate:record {"id":"nodates","ttrMinutes":5,"outcome":"recovered"} -->',
      '',
      renderRecord(b).replace('25.5 minutes', '2 minutes'),
      renderRecord(a),
    ].join('\n');
    const parsed = parseRecoveryLog(text);
    expect(parsed.records.map((r) => r.record.id)).toEqual(['a', 'b']);
    expect(parsed.records[1]!.edited).toEqual(['Time to recovery']);
    expect(parsed.handWritten).toEqual([{ line: 8, heading: '## Outage of 2025-12-24, written by hand' }]);
    expect(parsed.problems.map((p) => p.line)).toEqual([23, 26, 46]);
    expect(parsed.problems[0]!.message).toMatch(/not valid .*MTTR is computed over the other records/);
    expect(parsed.problems[1]!.message).toMatch(/"detectedAt" must be a date and time/);
    expect(parsed.problems[2]!.message).toMatch(/already appears at line 19; counted once/);
    const stats = recoveryStats(parsed, new Date('2026-02-20T00:00:00Z'));
    expect(stats).toMatchObject({ events: 2, recoveries: 2, failed: 0, handWritten: 1, skipped: 2, mttrMinutes: 17.75 });
    expect(stats.last30Days).toMatchObject({ recoveries: 1, mttrMinutes: 25.5 });
    expect(stats.trend).toEqual([
      { month: '2026-01', recoveries: 1, failed: 0, mttrMinutes: 10, changeMinutes: null },
      { month: '2026-02', recoveries: 1, failed: 0, mttrMinutes: 25.5, changeMinutes: 15.5 },
    ]);
  });

  it('reads any ISO 8601 form a hand-edited JSON line holds, and only the exact marker', () => {
    const basic = { ...good('basic', 30, '2026-01-05'), detectedAt: '20260105T0900Z', recoveredAt: '2026-01-05T10:30:00+01:00' };
    const text = [recordMarkerLine(basic), '<!-- rollback-gate:recordings are elsewhere -->', ''].join('\n');
    const parsed = parseRecoveryLog(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.records.map((r) => r.record)).toEqual([basic]);
    expect(recoveryStats(parsed, new Date('2026-01-10T00:00:00Z'))).toMatchObject({ mttrMinutes: 30, last30Days: { recoveries: 1 }, trend: [{ month: '2026-01' }] });
    expect(recoveryChart([basic])).toContain('x-axis ["#1 01-05"]');
  });

  it('closes a code block left open at the end before appending, so the new record is read', () => {
    const open = '# Decisions log\n\n## Notes\n```\nunfinished example\n';
    const appended = appendRecord(open, good('new', 3, '2026-03-01'), 'decisions');
    expect(appended.notes[0]).toMatch(/unclosed code block opened at line 4/);
    expect(parseRecoveryLog(appended.text).records.map((r) => r.record.id)).toEqual(['new']);
    const comment = appendRecord('# Log\n\n<!-- a comment never closed\n', good('c', 3, '2026-03-01'), 'decisions');
    expect(parseRecoveryLog(comment.text).records.map((r) => r.record.id)).toEqual(['c']);
  });

  it('keeps CRLF line endings and never rewrites earlier bytes', () => {
    const before = '# Decisions log\r\n\r\n## Hand-written\r\nsome text';
    const { text } = appendRecord(before, good('x', 1, '2026-03-01'), 'decisions');
    expect(text.startsWith(before)).toBe(true);
    expect(text.slice(before.length)).not.toMatch(/[^\r]\n/);
    expect(parseRecoveryLog(text).records.map((r) => r.record.id)).toEqual(['x']);
  });

  it('appends nothing for the same record again, and gives a different one with the same id a suffix', () => {
    const first = appendRecord(undefined, good('2026-03-01-s', 4, '2026-03-01'), 'decisions');
    const again = appendRecord(first.text, { ...good('2026-03-01-s', 4, '2026-03-01'), recordedAt: '2030-01-01T00:00:00Z' }, 'decisions');
    expect(again.appended).toBe(false);
    expect(again.text).toBe(first.text);
    const other = appendRecord(first.text, good('2026-03-01-s', 9, '2026-03-01'), 'decisions');
    expect(other.record.id).toBe('2026-03-01-s-2');
    expect(parseRecoveryLog(other.text).records.map((r) => r.record.ttrMinutes)).toEqual([4, 9]);
  });

  it('charts time to recovery per event with the running MTTR', () => {
    const chart = recoveryChart([good('a', 10, '2026-01-05'), good('b', 20, '2026-01-06'), record({ id: 'f', outcome: 'failed', ttrMinutes: null, recoveredAt: null, failedAt: '2026-01-07T00:00:00Z' })]);
    expect(chart).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Time to recovery per event (minutes); line: running MTTR"',
        '  x-axis ["#1 01-05", "#2 01-06"]',
        '  y-axis "minutes" 0 --> 22',
        '  bar [10, 20]',
        '  line [10, 15]',
        '```',
      ].join('\n'),
    );
    expect(recoveryChart([])).toBeUndefined();
  });
});
