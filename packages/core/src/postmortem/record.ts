/**
 * The recovery log: records in Markdown with a hidden machine-readable JSON line, the parser that
 * reads every earlier record back, and the figures computed from them (time to recovery, MTTR,
 * trend). Pure functions only: no git, no file system, no clock (callers pass `now`).
 *
 * One record:
 *
 *     ## Recovery Event: 2026-03-01
 *     - **Type**: Rollback due to logic error
 *     - **Scope**: 4 files, session pr-123 (12 commits)
 *     - **Detection**: CI
 *     - **Recovery strategy used**: squash revert
 *     - **Time to recovery**: 14 minutes (detected 2026-03-01T10:00:00Z, recovered 2026-03-01T10:14:00Z)
 *     - **Root cause**: …
 *     - **Prevention**: …
 *     <!-- rollback-gate:record {"id":"…","ttrMinutes":14,…} -->
 *
 * The JSON line is the record; the lines above it are rendered from it. Untrusted text (root
 * cause, prevention, detection, scope, strategy, ids from a report) is written as escaped Markdown
 * text on the same line as its label: it cannot start a line, a heading, HTML or the marker, and
 * inside the JSON `<`, `>`, `&`, U+2028 and U+2029 are \u-escaped so `-->` can never close the comment.
 */
import { canonicalJson } from '../seal/canonical-json.js';
import { formatIsoTime, parseIsoTime } from '../base/time.js';
import { markdownText } from '../output/report.js';
import { readChain, renderChain, type CustodyChain } from './chain.js';

export const RECOVERY_RECORD_SCHEMA = 'rollback-gate/recovery-record@1';
export const RECORD_MARKER = 'rollback-gate:record';

export const RECOVERY_TYPES = ['architecture-violation', 'security-regression', 'logic-error', 'other'] as const;
export type RecoveryType = (typeof RECOVERY_TYPES)[number];

/** Where a timestamp of a record came from (shown next to it, so a fallback is never mistaken for a measurement). */
export type TimeSource = 'input' | 'report' | 'check-run' | 'rollback-start' | 'now' | 'alert' | 'failing-run';

export interface RecoveryScope {
  files: number | null;
  sessions: string[];
  commits: number | null;
  /** Free text given in the `scope` input (a recovery made without the rollback action). */
  text: string | null;
}

/** One recovery event, as stored in the JSON line. */
export interface RecoveryRecord {
  id: string;
  /** Minutes from detection to recovery, to 0.01; null for a failed recovery. */
  ttrMinutes: number | null;
  type: string;
  /** `failed`: the rollback did not deliver; recorded, never counted as a recovery. */
  outcome: 'recovered' | 'failed';
  detectedAt: string;
  detectedAtSource: TimeSource;
  /** When the service was recovered; null for a failed recovery. */
  recoveredAt: string | null;
  recoveredAtSource: TimeSource | null;
  /** When the failed attempt ended; null for a recovery. */
  failedAt: string | null;
  /** Why the attempt failed (from the report). */
  error: string | null;
  detection: string;
  strategy: string;
  scope: RecoveryScope;
  culprit: string | null;
  rootCause: string;
  prevention: string;
  /** The rollback that did it, when a rollback report was given. */
  rollback: { target: string; sha: string | null; prUrl: string | null; verified: boolean } | null;
  /** Trigger, plan (digest), approval (who, when), apply, verification; from the rollback report (absent in older records). */
  chain?: CustodyChain | null;
  recordedAt: string;
  runUrl: string | null;
  schema: typeof RECOVERY_RECORD_SCHEMA;
}

// ---------------------------------------------------------------------------------------------
// Time


/** Rounds to 0.01 (half away from zero), the precision of every minute figure here. */
export function roundMinutes(minutes: number): number {
  return Math.round(minutes * 100 + Number.EPSILON * Math.sign(minutes)) / 100;
}

/** Minutes from `from` to `to`, to 0.01. */
export function minutesBetween(from: Date, to: Date): number {
  return roundMinutes((to.getTime() - from.getTime()) / 60_000);
}

/** `14 minutes`, `1 minute`, `90 minutes, 1 h 30 min`. */
export function formatRecoveryMinutes(minutes: number): string {
  const unit = minutes === 1 ? 'minute' : 'minutes';
  if (minutes < 60) return `${minutes} ${unit}`;
  const whole = Math.round(minutes);
  const days = Math.floor(whole / 1440);
  const hours = Math.floor((whole % 1440) / 60);
  const rest = whole % 60;
  const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', rest ? `${rest} min` : ''].filter(Boolean);
  return `${minutes} ${unit}, ${parts.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const TYPE_WORDS: Record<string, string> = {
  'architecture-violation': 'architecture violation',
  'security-regression': 'security regression',
  'logic-error': 'logic error',
  other: 'another cause',
};

/** Control and bidirectional-override characters never reach the visible text. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Untrusted text as one line of escaped Markdown text; `fallback` when empty. */
export function recordText(text: string | null | undefined, fallback = 'not stated'): string {
  const clean = (text ?? '').replace(INVISIBLE, '').replace(/[\u2028\u2029]/g, ' ').trim();
  return clean ? markdownText(clean).replace(/\s+/g, ' ') : fallback;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `4 files, session pr-123 (12 commits)`; the `scope` input's text when given. */
export function describeScope(scope: RecoveryScope): string {
  if (scope.text) return recordText(scope.text);
  const parts: string[] = [];
  if (scope.files !== null) parts.push(plural(scope.files, 'file'));
  const commits = scope.commits !== null ? ` (${plural(scope.commits, 'commit')})` : '';
  if (scope.sessions.length > 0) {
    parts.push(`${scope.sessions.length === 1 ? 'session' : 'sessions'} ${scope.sessions.map((s) => recordText(s)).join(', ')}${commits}`);
  } else if (commits) {
    parts.push(plural(scope.commits!, 'commit'));
  }
  return parts.length > 0 ? parts.join(', ') : 'not stated';
}

function timeNote(source: TimeSource | null): string {
  switch (source) {
    case 'check-run':
      return ': the first failing check run';
    case 'rollback-start':
      return ': the rollback\'s start, as the detection time is unknown, so this is a lower bound';
    case 'now':
      return ': when this record was written';
    case 'alert':
      return ': the alert\'s detected_at';
    case 'failing-run':
      return ': the start of the failing CI run';
    default:
      return '';
  }
}

function timeLine(record: RecoveryRecord): string {
  const detected = `detected ${record.detectedAt}${timeNote(record.detectedAtSource)}`;
  if (record.outcome === 'failed' || record.ttrMinutes === null) {
    const tried = record.failedAt ? minutesBetween(parseIsoTime(record.detectedAt, 'detectedAt'), parseIsoTime(record.failedAt, 'failedAt')) : null;
    const after = tried !== null ? ` after ${formatRecoveryMinutes(tried)}` : '';
    return `not recovered: the rollback failed${after} (${detected}); not counted in MTTR`;
  }
  const recovered = `recovered ${record.recoveredAt}${timeNote(record.recoveredAtSource)}`;
  const separator = timeNote(record.detectedAtSource) || timeNote(record.recoveredAtSource) ? '; ' : ', ';
  return `${formatRecoveryMinutes(record.ttrMinutes)} (${detected}${separator}${recovered})`;
}

/** The day a record is filed under: when it recovered, or when the failed attempt ended. */
export function recordDay(record: RecoveryRecord): string {
  return (record.recoveredAt ?? record.failedAt ?? record.detectedAt).slice(0, 10);
}

/** The JSON line: `<`, `>`, `&` and line separators \u-escaped, so nothing inside can end the comment. */
export function recordMarkerLine(record: RecoveryRecord): string {
  const json = JSON.stringify(record).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<!-- ${RECORD_MARKER} ${json} -->`;
}

/** The visible lines of a record, heading first, without the JSON line. */
export function renderRecordLines(record: RecoveryRecord): string[] {
  const type = TYPE_WORDS[record.type] ?? recordText(record.type);
  const lines = [
    `## Recovery Event: ${recordDay(record)}${record.outcome === 'failed' ? ' (failed rollback)' : ''}`,
    `- **Type**: Rollback due to ${type}`,
    `- **Scope**: ${describeScope(record.scope)}`,
    `- **Detection**: ${recordText(record.detection)}`,
    `- **Recovery strategy used**: ${recordText(record.strategy)}`,
  ];
  if (record.culprit) lines.push(`- **Culprit**: ${recordText(record.culprit)}`);
  if (record.outcome === 'failed') lines.push(`- **Outcome**: the rollback failed: ${recordText(record.error, 'no reason given')}`);
  else if (record.rollback && !record.rollback.verified) lines.push('- **Outcome**: recovered, but the rollback\'s checks did not verify it');
  lines.push(
    `- **Time to recovery**: ${timeLine(record)}`,
    `- **Root cause**: ${recordText(record.rootCause)}`,
    `- **Prevention**: ${recordText(record.prevention)}`,
  );
  if (record.chain) lines.push(`- **Chain of custody**: ${renderChain(record.chain, recordText)}`);
  return lines;
}

/** The whole record as it is appended to the log (lines joined with `eol`, ending with one). */
export function renderRecord(record: RecoveryRecord, eol = '\n'): string {
  return [...renderRecordLines(record), recordMarkerLine(record)].join(eol) + eol;
}

/** Two records of the same event: equal but for when and by which run they were written. */
export function sameRecoveryEvent(a: RecoveryRecord, b: RecoveryRecord): boolean {
  const strip = ({ recordedAt: _r, runUrl: _u, ...rest }: RecoveryRecord): unknown => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

// ---------------------------------------------------------------------------------------------
// Reading a log

export interface ParsedRecord {
  record: RecoveryRecord;
  /** 1-based line of the JSON line. */
  line: number;
  heading: string;
  /** Labels of visible lines that differ from what the JSON renders: edited by hand after writing. */
  edited: string[];
}

export interface HandWrittenRecord {
  /** 1-based line of the heading. */
  line: number;
  /** The heading text as written (untrusted: escape it for display). */
  heading: string;
}

export interface LogProblem {
  line: number;
  message: string;
}

export interface ParsedLog {
  /** Readable records, in file order; a duplicated id is kept once (the first). */
  records: ParsedRecord[];
  /** `##` sections without a JSON line: counted and listed, never parsed by guesswork. */
  handWritten: HandWrittenRecord[];
  /** JSON lines that could not be used (invalid JSON, missing fields, duplicates): reported and skipped. */
  problems: LogProblem[];
  /** Where the log ends inside an unclosed code fence or HTML comment (a new record must close it first). */
  openBlock: { kind: 'fence' | 'comment'; line: number; close: string } | undefined;
  eol: '\n' | '\r\n';
}

const HEADING_2 = /^ {0,3}##(?!#)(?:[ \t].*)?$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const MARKER_LINE = new RegExp(`^ {0,3}<!--\\s*${RECORD_MARKER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|-->|$)(.*)$`);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a parsed JSON line; returns the record, or what is wrong with it. */
export function validateRecord(value: unknown): RecoveryRecord | string {
  if (!isObject(value)) return 'the JSON is not an object';
  const problems: string[] = [];
  const str = (key: string, nullable = false): void => {
    const v = value[key];
    if (!(typeof v === 'string' || (nullable && v === null))) problems.push(`"${key}" must be a string${nullable ? ' or null' : ''}`);
  };
  const time = (key: string, nullable: boolean): void => {
    const v = value[key];
    if (nullable && v === null) return;
    if (typeof v !== 'string') return void problems.push(`"${key}" must be a date and time${nullable ? ' or null' : ''}`);
    try {
      parseIsoTime(v, key);
    } catch {
      problems.push(`"${key}" is ${JSON.stringify(v)}, not an ISO 8601 date and time`);
    }
  };
  if (typeof value.id !== 'string' || value.id === '') problems.push('"id" must be a non-empty string');
  if (value.outcome !== 'recovered' && value.outcome !== 'failed') problems.push('"outcome" must be "recovered" or "failed"');
  time('detectedAt', false);
  time('recoveredAt', value.outcome === 'failed');
  if (value.failedAt !== undefined) time('failedAt', true);
  if (value.outcome === 'recovered') {
    if (typeof value.ttrMinutes !== 'number' || !Number.isFinite(value.ttrMinutes) || value.ttrMinutes < 0) {
      problems.push('"ttrMinutes" must be a number >= 0 for a recovery');
    }
  } else if (value.ttrMinutes !== null && value.ttrMinutes !== undefined) {
    problems.push('"ttrMinutes" must be null for a failed recovery');
  }
  for (const key of ['type', 'detection', 'strategy', 'rootCause', 'prevention']) if (value[key] !== undefined) str(key);
  if (problems.length > 0) return problems.join('; ');
  const scope = isObject(value.scope) ? value.scope : {};
  const rollback = isObject(value.rollback) ? value.rollback : null;
  const source = (v: unknown, fallback: TimeSource | null): TimeSource | null =>
    ['input', 'report', 'check-run', 'rollback-start', 'now', 'alert', 'failing-run'].includes(v as string) ? (v as TimeSource) : fallback;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const recovered = value.outcome === 'recovered';
  return {
    id: value.id as string,
    ttrMinutes: recovered ? (value.ttrMinutes as number) : null,
    type: text(value.type) || 'other',
    outcome: value.outcome as RecoveryRecord['outcome'],
    detectedAt: value.detectedAt as string,
    detectedAtSource: source(value.detectedAtSource, 'input')!,
    recoveredAt: recovered ? (value.recoveredAt as string) : null,
    recoveredAtSource: recovered ? source(value.recoveredAtSource, 'input') : null,
    failedAt: typeof value.failedAt === 'string' ? value.failedAt : null,
    error: typeof value.error === 'string' ? value.error : null,
    detection: text(value.detection),
    strategy: text(value.strategy),
    scope: {
      files: typeof scope.files === 'number' ? scope.files : null,
      sessions: Array.isArray(scope.sessions) ? scope.sessions.filter((s): s is string => typeof s === 'string') : [],
      commits: typeof scope.commits === 'number' ? scope.commits : null,
      text: typeof scope.text === 'string' ? scope.text : null,
    },
    culprit: typeof value.culprit === 'string' ? value.culprit : null,
    rootCause: text(value.rootCause),
    prevention: text(value.prevention),
    rollback: rollback
      ? {
          target: text(rollback.target),
          sha: typeof rollback.sha === 'string' ? rollback.sha : null,
          prUrl: typeof rollback.prUrl === 'string' ? rollback.prUrl : null,
          verified: rollback.verified === true,
        }
      : null,
    ...(value.chain !== undefined ? { chain: readChain(value.chain) } : {}),
    recordedAt: typeof value.recordedAt === 'string' ? value.recordedAt : (value.detectedAt as string),
    runUrl: typeof value.runUrl === 'string' ? value.runUrl : null,
    schema: RECOVERY_RECORD_SCHEMA,
  };
}

/** The label of a rendered line (`Root cause`), or `heading`. */
function lineLabel(line: string): string {
  if (line.startsWith('## ')) return 'heading';
  return /^- \*\*([^*]+)\*\*/.exec(line)?.[1] ?? line.slice(0, 30);
}

/**
 * Reads a log. Every `##` section is one record: with a JSON line it is read from that line
 * (the visible text is compared with what the JSON renders, and differences are reported as hand
 * edits); without one it is a hand-written record, counted and listed. Code fences are skipped.
 */
export function parseRecoveryLog(text: string): ParsedLog {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const records: ParsedRecord[] = [];
  const handWritten: HandWrittenRecord[] = [];
  const problems: LogProblem[] = [];
  const seen = new Map<string, number>();

  let fence: { char: string; length: number; line: number } | undefined;
  let comment: number | undefined;
  let section: { line: number; heading: string; body: string[]; markers: number } | undefined;

  const closeSection = (): void => {
    if (section && section.markers === 0) handWritten.push({ line: section.line, heading: section.heading });
  };

  lines.forEach((line, index) => {
    const number = index + 1;
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length) fence = undefined;
      return;
    }
    if (comment !== undefined) {
      if (line.includes('-->')) comment = undefined;
      section?.body.push(line);
      return;
    }
    const opening = FENCE.exec(line);
    if (opening) {
      fence = { char: opening[1]![0]!, length: opening[1]!.length, line: number };
      return;
    }
    const heading = HEADING_2.exec(line);
    if (heading) {
      closeSection();
      section = { line: number, heading: line.trim(), body: [], markers: 0 };
      return;
    }
    const marker = MARKER_LINE.exec(line);
    if (marker) {
      if (section) section.markers++;
      const rest = marker[1]!.trim();
      if (!rest.endsWith('-->')) {
        problems.push({ line: number, message: 'the record line does not end with "-->" on the same line; skipped' });
        if (!line.includes('-->')) comment = number;
        return;
      }
      const json = rest.slice(0, -3).trim();
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch (error) {
        problems.push({ line: number, message: `the record's JSON is not valid (${(error as Error).message}); skipped, MTTR is computed over the other records` });
        return;
      }
      const record = validateRecord(value);
      if (typeof record === 'string') {
        problems.push({ line: number, message: `the record's JSON is incomplete: ${record}; skipped` });
        return;
      }
      const first = seen.get(record.id);
      if (first !== undefined) {
        problems.push({ line: number, message: `record ${JSON.stringify(record.id)} already appears at line ${first}; counted once` });
        return;
      }
      seen.set(record.id, number);
      const expected = renderRecordLines(record);
      const written = section ? [section.heading, ...section.body.filter((l) => l.trim() !== '')] : [];
      const edited = section
        ? [
            ...expected.filter((l) => !written.some((w) => w.trim() === l)).map(lineLabel),
            ...(written.length > expected.length ? ['text added'] : []),
          ]
        : ['no heading'];
      records.push({ record, line: number, heading: section?.heading ?? '', edited: [...new Set(edited)] });
      return;
    }
    // An HTML block comment (a line starting with `<!--`) hides everything up to its `-->`.
    if (/^ {0,3}<!--/.test(line) && !line.slice(line.indexOf('<!--') + 4).includes('-->')) comment = number;
    section?.body.push(line);
  });
  closeSection();

  const openBlock = fence
    ? { kind: 'fence' as const, line: fence.line, close: fence.char.repeat(fence.length) }
    : comment !== undefined
      ? { kind: 'comment' as const, line: comment, close: '-->' }
      : undefined;
  return { records, handWritten, problems, openBlock, eol };
}

// ---------------------------------------------------------------------------------------------
// Figures

export interface TrendRow {
  /** `2026-03` (UTC). */
  month: string;
  recoveries: number;
  failed: number;
  mttrMinutes: number | null;
  /** MTTR minus the previous month's with recoveries; null when either has none. */
  changeMinutes: number | null;
}

export interface RecoveryStats {
  /** Readable records (recoveries and failed ones). */
  events: number;
  recoveries: number;
  failed: number;
  handWritten: number;
  skipped: number;
  /** Mean time to recovery over every recovery, to 0.01 minute; null without recoveries. */
  mttrMinutes: number | null;
  /** The same over recoveries in the 30 days before `now`. */
  last30Days: { since: string; recoveries: number; failed: number; mttrMinutes: number | null };
  trend: TrendRow[];
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return roundMinutes(values.reduce((sum, v) => sum + v, 0) / values.length);
}

/** The instant a record is filed at: recovered, or the failed attempt's end, or its detection. */
function recordInstant(record: RecoveryRecord): number {
  // Read with the same parser that validated it: JSON lines edited by hand may hold any ISO 8601 form.
  return parseIsoTime(record.recoveredAt ?? record.failedAt ?? record.detectedAt, 'the record\'s time').getTime();
}

/**
 * MTTR over all recoveries and over the last 30 days, and a month-by-month trend. MTTR is the mean
 * of the records' `ttrMinutes`, rounded to 0.01 minute; failed recoveries are counted apart.
 */
export function recoveryStats(log: Pick<ParsedLog, 'records' | 'handWritten' | 'problems'>, now: Date): RecoveryStats {
  const records = log.records.map((r) => r.record);
  const recovered = records.filter((r) => r.outcome === 'recovered' && r.ttrMinutes !== null);
  const since = now.getTime() - 30 * 86_400_000;
  const recent = records.filter((r) => recordInstant(r) >= since);
  const recentRecovered = recent.filter((r) => r.outcome === 'recovered' && r.ttrMinutes !== null);

  const months = new Map<string, { ttr: number[]; failed: number }>();
  for (const record of [...records].sort((a, b) => recordInstant(a) - recordInstant(b))) {
    const month = new Date(recordInstant(record)).toISOString().slice(0, 7);
    const entry = months.get(month) ?? { ttr: [], failed: 0 };
    if (record.outcome === 'recovered' && record.ttrMinutes !== null) entry.ttr.push(record.ttrMinutes);
    else entry.failed++;
    months.set(month, entry);
  }
  const trend: TrendRow[] = [];
  let previous: number | null = null;
  for (const [month, entry] of [...months.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const mttr = mean(entry.ttr);
    trend.push({
      month,
      recoveries: entry.ttr.length,
      failed: entry.failed,
      mttrMinutes: mttr,
      changeMinutes: mttr !== null && previous !== null ? roundMinutes(mttr - previous) : null,
    });
    if (mttr !== null) previous = mttr;
  }

  return {
    events: records.length,
    recoveries: recovered.length,
    failed: records.length - recovered.length,
    handWritten: log.handWritten.length,
    skipped: log.problems.filter((p) => !/counted once/.test(p.message)).length,
    mttrMinutes: mean(recovered.map((r) => r.ttrMinutes!)),
    last30Days: {
      since: formatIsoTime(new Date(since)),
      recoveries: recentRecovered.length,
      failed: recent.length - recentRecovered.length,
      mttrMinutes: mean(recentRecovered.map((r) => r.ttrMinutes!)),
    },
    trend,
  };
}

/**
 * A mermaid xychart of time to recovery per event (bars) and the running MTTR (line), oldest
 * first, the last `limit` recoveries. Labels are generated (`#3 03-01`), never taken from the log.
 */
export function recoveryChart(records: readonly RecoveryRecord[], limit = 30): string | undefined {
  const recovered = records
    .filter((r) => r.outcome === 'recovered' && r.ttrMinutes !== null)
    .sort((a, b) => recordInstant(a) - recordInstant(b));
  if (recovered.length === 0) return undefined;
  const running: number[] = [];
  let sum = 0;
  recovered.forEach((r, i) => {
    sum += r.ttrMinutes!;
    running.push(roundMinutes(sum / (i + 1)));
  });
  const start = Math.max(0, recovered.length - limit);
  const shown = recovered.slice(start);
  const labels = shown.map((r, i) => `"#${start + i + 1} ${new Date(recordInstant(r)).toISOString().slice(5, 10)}"`);
  const values = shown.map((r) => r.ttrMinutes!);
  const top = Math.max(1, ...values, ...running.slice(start));
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Time to recovery per event (minutes); line: running MTTR"',
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis "minutes" 0 --> ${Math.ceil(top * 1.1)}`,
    `  bar [${values.join(', ')}]`,
    `  line [${running.slice(start).join(', ')}]`,
    '```',
  ].join('\n');
}
