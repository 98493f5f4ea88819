/**
 * The postmortem: turns a recovery (a rollback report, or inputs for a recovery made another way)
 * into a record appended to the repository's log, computes time to recovery and MTTR over every
 * earlier record, and delivers the log change: only the file, a `postmortem/<id>` branch with a
 * pull request, or a leased push to the current branch. Optionally opens an issue with the record.
 */
import { chainOfCustody, triggerDetection } from './chain.js';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, posix, resolve, sep } from 'node:path';
import { GitHubApiError } from '../github/github.js';
import { UserError } from '../base/errors.js';
import { formatIsoTime, parseIsoTime } from '../base/time.js';
import { commitMessage, deliverByPush, deliverOnBranch, logAt, type TreeEntry } from './delivery.js';
import {
  RECOVERY_RECORD_SCHEMA,
  RECOVERY_TYPES,
  minutesBetween,
  parseRecoveryLog,
  recordDay,
  recoveryStats,
  renderRecord,
  sameRecoveryEvent,
  type RecoveryRecord,
  type RecoveryScope,
  type TimeSource,
} from './record.js';
import { sloAttainment } from './slo.js';
import { recordBody } from './summary.js';
import type { Annotation } from '../output/report.js';
import { ROLLBACK_REPORT_SCHEMA, type RollbackReport } from '../rollback/rollback-report.js';

import { type PostmortemDelivery, type PostmortemDeps, type PostmortemRequest, type PostmortemResult } from './types.js';

/** The longest free text a field takes (root cause, prevention, …). */
const MAX_TEXT = 4000;


// ---------------------------------------------------------------------------------------------
// Inputs

function checkText(value: string | undefined, input: string): string {
  const text = (value ?? '').trim();
  if (text.length > MAX_TEXT) {
    throw new UserError(`input \`${input}\` is ${text.length} characters long; at most ${MAX_TEXT} are recorded.`, 'Shorten it, and link to a longer write-up.');
  }
  return text;
}

/** A repository-relative file path for the log: no absolute path, no `..`, nothing under .git. */
export function checkLogPath(path: string, what: string): string {
  const raw = path.trim();
  const problem =
    raw === ''
      ? 'it is empty'
      : raw.startsWith('/') || /^[A-Za-z]:/.test(raw)
        ? 'it is absolute'
        : raw.includes('\\')
          ? 'it contains "\\" (use "/")'
          : raw.split('/').includes('..')
            ? 'it contains ".."'
            : raw.endsWith('/')
              ? 'it names a directory'
              : /[\u0000-\u001f]/.test(raw)
                ? 'it contains control characters'
                : undefined;
  const normalized = problem ? '' : posix.normalize(raw);
  if (problem || normalized === '.' || normalized.split('/').some((part) => part.toLowerCase() === '.git')) {
    throw new UserError(
      `${what} is ${JSON.stringify(path)}, which is not a file path inside the repository${problem ? `: ${problem}` : ''}.`,
      'Give a path relative to the repository root, such as docs/DECISIONS.md.',
    );
  }
  return normalized;
}

/** Refuses a log path that leaves the repository through a symbolic link. */
function checkInsideRepository(top: string, path: string, what: string): string {
  const full = resolve(top, path);
  const root = realpathSync(top);
  let existing = full;
  while (!existsSync(existing)) existing = dirname(existing);
  const real = realpathSync(existing);
  if (real !== root && !real.startsWith(root + sep)) {
    throw new UserError(`${what} ${JSON.stringify(path)} leads outside the repository (through a symbolic link to ${real}).`, 'Give a path inside the repository.');
  }
  if (existsSync(full)) {
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) throw new UserError(`${what} ${JSON.stringify(path)} is a symbolic link; refusing to write through it.`, 'Point `log` at the file itself.');
    if (!stat.isFile()) throw new UserError(`${what} ${JSON.stringify(path)} is not a regular file.`, 'Give the path of a Markdown file.');
  }
  return full;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks the rollback report: a path, or the JSON itself. */
export function readRollbackReport(input: string, baseDir: string): { report: RollbackReport; source: string } {
  const trimmed = input.trim();
  let text: string;
  let source: string;
  if (trimmed.startsWith('{')) {
    text = trimmed;
    source = 'the `report` input';
  } else {
    const path = resolve(baseDir, trimmed);
    source = `the report ${trimmed}`;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new UserError(
        `${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
        'Pass the rollback step\'s `report-path` output, e.g. `report: ${{ steps.rollback.outputs.report-path }}`.',
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${source} is not valid JSON: ${(error as Error).message}.`, 'Pass the file the rollback action wrote (`report-path`), unchanged.');
  }
  if (!isObject(value) || value.schema !== ROLLBACK_REPORT_SCHEMA) {
    const found = isObject(value) && typeof value.schema === 'string' ? `schema ${JSON.stringify(value.schema)}` : 'no schema';
    throw new UserError(`${source} is not a rollback report (${found}; expected ${ROLLBACK_REPORT_SCHEMA}).`, 'Pass the rollback action\'s `report-path` output.');
  }
  const problems: string[] = [];
  const strings = (key: string): void => {
    if (!Array.isArray(value[key]) || !(value[key] as unknown[]).every((v) => typeof v === 'string')) problems.push(`"${key}" must be a list of strings`);
  };
  strings('commits');
  strings('files');
  if (typeof value.strategy !== 'string' && value.strategy !== null) problems.push('"strategy" must be a string (or null: the rollback failed before resolving its target)');
  if (!['succeeded', 'failed', 'dry-run', 'planned', 'declined'].includes(value.outcome as string)) problems.push('"outcome" must be succeeded, failed, dry-run, planned or declined');
  if (typeof value.startedAt !== 'string') problems.push('"startedAt" must be a date and time');
  if (typeof value.finishedAt !== 'string') problems.push('"finishedAt" must be a date and time');
  if (!isObject(value.target)) problems.push('"target" must be an object');
  if (problems.length > 0) throw new UserError(`${source} is incomplete: ${problems.join('; ')}.`);
  const report = value as unknown as RollbackReport;
  for (const key of ['startedAt', 'finishedAt', 'detectedAt'] as const) {
    if (report[key] !== null && report[key] !== undefined) parseIsoTime(report[key], `${source}'s \`${key}\``);
  }
  return { report, source };
}

/** The strategy in words, from the report. */
export function describeStrategy(report: RollbackReport): string {
  const n = report.commits.length;
  if (report.strategy === null) return `none: the rollback failed before resolving its target${report.requested ? ` (asked: ${report.requested.strategy})` : ''}`;
  switch (report.strategy as string) {
    case 'revert-squash':
      return 'squash revert';
    case 'revert-range':
      return `revert of ${n} ${n === 1 ? 'commit' : 'commits'}, newest first`;
    case 'revert-merge':
      return 'merge revert (git revert -m 1)';
    case 'delete-branch':
      return 'branch deletion (the session was never merged)';
    case 'bisect': {
      const cascade = report.cascade?.length ?? 0;
      return `bisect to the culprit, then a revert of it${cascade > 0 ? ` and ${cascade} dependent ${cascade === 1 ? 'commit' : 'commits'}` : ''}`;
    }
    default:
      return String(report.strategy);
  }
}

/** The id's suffix as a ref-safe word. */
function slug(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/g, '')
    .replace(/\.lock$/i, '-lock');
}

// ---------------------------------------------------------------------------------------------
// Timestamps

interface Resolved {
  at: Date;
  source: TimeSource;
}

/** The earliest failing check run of the first commit that has one (oldest first). */
async function firstFailingCheck(deps: PostmortemDeps, request: PostmortemRequest, report: RollbackReport, notes: string[]): Promise<Date | undefined> {
  const { github } = deps;
  if (!github || !request.owner || !request.repo) return undefined;
  const candidates = report.culprit ? [report.culprit] : [...report.commits].reverse().slice(0, 20);
  for (const sha of candidates) {
    try {
      const runs = await github.paginate<{ conclusion?: string | null; completed_at?: string | null }>(
        '/repos/{owner}/{repo}/commits/{ref}/check-runs',
        { owner: request.owner, repo: request.repo, ref: sha },
        { permission: 'checks: read' },
      );
      const failed = runs
        .filter((run) => ['failure', 'timed_out'].includes(run.conclusion ?? '') && run.completed_at)
        .map((run) => new Date(run.completed_at!))
        .filter((date) => !Number.isNaN(date.getTime()))
        .sort((a, b) => a.getTime() - b.getTime());
      if (failed[0]) return failed[0];
    } catch (error) {
      notes.push(`The check runs of ${sha.slice(0, 12)} could not be read (${(error as Error).message.split('\n')[0]}).`);
      return undefined;
    }
  }
  return undefined;
}

async function resolveTimes(
  deps: PostmortemDeps,
  request: PostmortemRequest,
  report: RollbackReport | undefined,
  notes: string[],
): Promise<{ detected: Resolved; recovered: Resolved | undefined; failedAt: Date | undefined }> {
  const failed = report?.outcome === 'failed';
  const latest = deps.clock().getTime() + 5 * 60_000;
  const notFuture = (at: Date, what: string): Date => {
    if (at.getTime() > latest) {
      throw new UserError(`${what} ${formatIsoTime(at)} is in the future (now is ${formatIsoTime(deps.clock())}).`, 'Check the date and its time zone (Z is UTC).');
    }
    return at;
  };
  let detected: Resolved | undefined;
  if (request.detectedAt?.trim()) detected = { at: parseIsoTime(request.detectedAt, 'input `detected-at`'), source: 'input' };
  else if (report?.detectedAt) {
    // A trigger's report carries its detection (the alert's detected_at, the failing run's start) as detectedAt: name where it came from.
    const at = parseIsoTime(report.detectedAt, 'the report\'s `detectedAt`');
    const fromTrigger = triggerDetection(report);
    detected = { at, source: fromTrigger && Date.parse(fromTrigger.at) === at.getTime() ? fromTrigger.source : 'report' };
  }
  else if (report && triggerDetection(report)) {
    const found = triggerDetection(report)!;
    detected = { at: parseIsoTime(found.at, `the report's trigger (${found.source})`), source: found.source };
  } else if (report) {
    const check = await firstFailingCheck(deps, request, report, notes);
    if (check) detected = { at: check, source: 'check-run' };
    else {
      detected = { at: parseIsoTime(report.startedAt, 'the report\'s `startedAt`'), source: 'rollback-start' };
      notes.push('The detection time is not known (no `detected-at`, none in the report, no failing check run found): the rollback\'s start is used, so the time to recovery is a lower bound. Give `detected-at` to record it exactly.');
    }
  } else {
    throw new UserError('input `detected-at` is required without a rollback report.', 'Give when the problem was detected, e.g. `detected-at: 2026-03-01T10:00:00Z`, or pass the rollback action\'s `report-path` as `report`.');
  }

  notFuture(detected.at, 'detected-at');
  if (failed) {
    if (request.recoveredAt?.trim()) {
      throw new UserError(
        'input `recovered-at` is given, but the report says the rollback failed: it is recorded as a failed recovery, with no recovery time.',
        'To record a recovery made another way after it, leave out `report` and give `strategy`, `scope`, `detected-at` and `recovered-at`.',
      );
    }
    const failedAt = parseIsoTime(report!.finishedAt, 'the report\'s `finishedAt`');
    if (detected.at.getTime() > failedAt.getTime()) {
      throw new UserError(
        `detected-at ${formatIsoTime(detected.at)} is after the failed rollback ended (${formatIsoTime(failedAt)}).`,
        'Check `detected-at`: the problem must have been detected before the rollback ran.',
      );
    }
    return { detected, recovered: undefined, failedAt };
  }

  let recovered: Resolved;
  if (request.recoveredAt?.trim()) recovered = { at: parseIsoTime(request.recoveredAt, 'input `recovered-at`'), source: 'input' };
  else if (report) recovered = { at: parseIsoTime(report.finishedAt, 'the report\'s `finishedAt`'), source: 'report' };
  else {
    recovered = { at: deps.clock(), source: 'now' };
    notes.push('No `recovered-at` was given: the time of this run is used.');
  }
  notFuture(recovered.at, 'recovered-at');
  if (detected.at.getTime() > recovered.at.getTime()) {
    const name = (source: TimeSource, input: string): string => (source === 'input' ? `input \`${input}\`` : `the ${source.replace('-', ' ')} time`);
    throw new UserError(
      `detected-at ${formatIsoTime(detected.at)} (${name(detected.source, 'detected-at')}) is after recovered-at ${formatIsoTime(recovered.at)} (${name(recovered.source, 'recovered-at')}): a recovery cannot end before the problem was detected.`,
      'Check both times and their time zones (Z is UTC).',
    );
  }
  return { detected, recovered, failedAt: undefined };
}

// ---------------------------------------------------------------------------------------------
// The record

/** Builds the record from the report and inputs (its id is not yet made unique in the log). */
export async function buildRecoveryRecord(
  deps: PostmortemDeps,
  request: PostmortemRequest,
  report: RollbackReport | undefined,
  notes: string[],
): Promise<RecoveryRecord> {
  if (!(RECOVERY_TYPES as readonly string[]).includes(request.type)) {
    throw new UserError(`input \`type\` is ${JSON.stringify(request.type)}; expected one of: ${RECOVERY_TYPES.join(', ')}.`);
  }
  if (report?.outcome === 'dry-run') {
    throw new UserError('the report is from a dry run: nothing was rolled back, so there is no recovery to record.', 'Run the rollback without `dry-run`, then record its report.');
  }
  if (report?.outcome === 'planned') {
    throw new UserError('the report is from the plan phase: the rollback is planned, not applied, so there is no recovery to record yet.', 'Record the report of the apply job (its `report-path`), after the rollback is delivered.');
  }
  if (report?.outcome === 'declined') {
    const why = report.trigger?.reason ? `: ${report.trigger.reason}` : '';
    throw new UserError(`the report says a guardrail declined the rollback${why}. Nothing was rolled back, so there is no recovery to record.`, 'Run the postmortem step only when something was rolled back (the rollback\'s `commits` output is not `[]`), as the example workflows do.');
  }
  const rootCause = checkText(request.rootCause, 'root-cause');
  const prevention = checkText(request.prevention, 'prevention');
  const detection = checkText(request.detection, 'detection');
  const strategyInput = checkText(request.strategy, 'strategy');
  const scopeInput = checkText(request.scope, 'scope');
  if (!report && !strategyInput) notes.push('No `report` and no `strategy`: the recovery strategy is recorded as not stated.');

  const { detected, recovered, failedAt } = await resolveTimes(deps, request, report, notes);
  const scope: RecoveryScope = {
    files: report ? report.files.length : null,
    sessions: report?.sessionId ? [report.sessionId] : [],
    commits: report ? report.commits.length : null,
    text: scopeInput || null,
  };
  const record: RecoveryRecord = {
    id: '',
    ttrMinutes: recovered ? minutesBetween(detected.at, recovered.at) : null,
    type: request.type,
    outcome: report?.outcome === 'failed' ? 'failed' : 'recovered',
    detectedAt: formatIsoTime(detected.at),
    detectedAtSource: detected.source,
    recoveredAt: recovered ? formatIsoTime(recovered.at) : null,
    recoveredAtSource: recovered?.source ?? null,
    failedAt: failedAt ? formatIsoTime(failedAt) : null,
    error: report?.outcome === 'failed' ? (report.error ?? 'no reason given in the report') : null,
    detection,
    strategy: strategyInput || (report ? describeStrategy(report) : ''),
    scope,
    culprit: report?.culprit ?? null,
    rootCause,
    prevention,
    rollback: report
      ? { target: report.target.resolved || report.target.input, sha: report.rollbackSha ?? null, prUrl: report.prUrl ?? null, verified: report.verified === true }
      : null,
    chain: report ? chainOfCustody(report) : null,
    recordedAt: formatIsoTime(deps.clock()),
    runUrl: request.runUrl ?? null,
    schema: RECOVERY_RECORD_SCHEMA,
  };
  const suffix = slug(report?.sessionId ?? (report ? report.target.input : '') ?? '') || slug(request.fallbackId) || 'event';
  record.id = `${recordDay(record)}-${suffix}`;
  return record;
}

const LOG_HEADERS: Record<'security' | 'decisions', string> = {
  security: '# Security log',
  decisions: '# Decisions log',
};

/** The header of a new log file. */
export function logHeader(kind: 'security' | 'decisions', eol = '\n'): string {
  return [
    LOG_HEADERS[kind],
    '',
    `Recovery records${kind === 'security' ? ' of security regressions' : ''}, oldest first, appended by the rollback-gate \`postmortem\` action.`,
    'Each `##` section is one record. The hidden `rollback-gate:record` line under a record is what MTTR is computed from:',
    'keep it as it is. A record written by hand without that line is counted and listed, never guessed at.',
    '',
  ].join(eol);
}

interface Appended {
  text: string;
  record: RecoveryRecord;
  appended: boolean;
  notes: string[];
}

/**
 * Appends `record` to the log text: an unclosed code fence or HTML comment at the end is closed
 * first, so the record cannot be swallowed by it. A record with the same id and the same content
 * means a re-run: nothing is appended. The same id with other content gets `-2`, `-3`, ….
 */
export function appendRecord(existing: string | undefined, record: RecoveryRecord, kind: 'security' | 'decisions'): Appended {
  const notes: string[] = [];
  const parsed = parseRecoveryLog(existing ?? '');
  const eol = parsed.eol;
  let candidate = record;
  for (let n = 2; ; n++) {
    const same = parsed.records.find((r) => r.record.id === candidate.id);
    if (!same) break;
    if (sameRecoveryEvent(same.record, candidate)) {
      notes.push(`The log already holds this record (line ${same.line}); nothing was appended.`);
      return { text: existing ?? '', record: same.record, appended: false, notes };
    }
    candidate = { ...record, id: `${record.id}-${n}` };
  }
  let text = existing?.trim() ? existing : logHeader(kind, eol);
  if (text !== '' && !text.endsWith('\n')) text += eol;
  if (parsed.openBlock) {
    text += `${parsed.openBlock.close}${eol}`;
    notes.push(
      `The log ended inside an unclosed ${parsed.openBlock.kind === 'fence' ? 'code block' : 'HTML comment'} opened at line ${parsed.openBlock.line}; it was closed (\`${parsed.openBlock.close}\`) before the new record.`,
    );
  }
  if (text !== '' && !/(\r?\n){2}$/.test(text)) text += eol;
  text += renderRecord(candidate, eol);
  return { text, record: candidate, appended: true, notes };
}

// ---------------------------------------------------------------------------------------------
// git

// ---------------------------------------------------------------------------------------------
// The whole step

/**
 * Records a recovery: builds the record, appends it to the right log (created with a header when
 * missing), reads every earlier record for MTTR and the trend, then delivers per `commit` and
 * opens an issue when asked. The working tree's log is written only after the git work succeeded
 * (`none`, `push`); with `branch` the checkout is not touched.
 */
export async function recordPostmortem(deps: PostmortemDeps, request: PostmortemRequest): Promise<PostmortemResult> {
  const { git } = deps;
  const remote = request.remote ?? 'origin';
  const notes: string[] = [];
  const annotations: Annotation[] = [];
  const top = await git.text(['rev-parse', '--show-toplevel']);

  const report = request.report?.trim() ? readRollbackReport(request.report, git.cwd).report : undefined;
  const draft = await buildRecoveryRecord(deps, request, report, notes);
  if (draft.outcome === 'failed') {
    annotations.push({ level: 'warning', title: 'Failed recovery', message: `The rollback failed; recorded as a failed recovery, not counted in MTTR: ${draft.error ?? ''}` });
  }

  const kind = request.type === 'security-regression' ? 'security' : 'decisions';
  const logPath = request.log?.trim()
    ? checkLogPath(request.log, 'input `log`')
    : checkLogPath(kind === 'security' ? request.logs.securityLog : request.logs.decisionsLog, `the config's postmortem.${kind === 'security' ? 'security-log' : 'decisions-log'}`);
  const fullPath = checkInsideRepository(top, logPath, 'the log');

  // The text the record is appended to: the working tree's, or (to commit) HEAD's, which must agree.
  const onDisk = existsSync(fullPath) ? readFileSync(fullPath, 'utf8') : undefined;
  let head: string | undefined;
  let headLog: { text: string; entry: TreeEntry } | undefined;
  if (request.commit !== 'none') {
    head = await git.resolveCommit('HEAD');
    if (!head) throw new UserError('the repository has no commit to build on; cannot commit the record.', 'Use `commit: none`, or make a first commit.');
    if (!(await git.hasRemote(remote))) {
      throw new UserError(`there is no remote named "${remote}" to push the record to.`, 'Use `commit: none` to only write the file.');
    }
    headLog = await logAt(git, head, logPath);
    if ((onDisk ?? undefined) !== (headLog?.text ?? undefined)) {
      throw new UserError(
        `${logPath} has changes in the working tree that are not committed${headLog ? '' : ' (it is not in HEAD)'}; refusing to commit the record on top of them.`,
        'Commit or discard those changes first, or use `commit: none` to only write the file.',
      );
    }
  }
  const existing = onDisk;
  const added = appendRecord(existing, draft, kind);
  notes.push(...added.notes);
  const record = added.record;
  if (record.id !== draft.id) notes.push(`The log already holds another record with the id ${draft.id}; this one is ${record.id}.`);

  const parsed = parseRecoveryLog(added.text);
  const stats = recoveryStats(parsed, deps.clock());
  const slo = sloAttainment(parsed.records.map((r) => r.record), stats, request.logs.slo, record);
  const recordLine = parsed.records.find((r) => r.record.id === record.id)?.line ?? 0;
  for (const problem of parsed.problems) {
    annotations.push({ level: 'warning', title: 'Recovery log', message: problem.message, file: logPath, startLine: problem.line });
  }
  for (const edited of parsed.records.filter((r) => r.edited.length > 0 && r.record.id !== record.id)) {
    notes.push(`Record ${JSON.stringify(edited.record.id)} (line ${edited.line}) was edited by hand after it was written (${edited.edited.join(', ')}); its JSON line is what counts.`);
  }

  const delivery: PostmortemDelivery = {
    mode: request.commit,
    branch: undefined,
    commit: undefined,
    pushed: false,
    reused: false,
    skippedBranches: [],
    pr: undefined,
    prSkipped: undefined,
  };
  const created = existing === undefined && added.appended;
  const message = commitMessage(record, stats);
  const mode = headLog?.entry.mode ?? '100644';
  const write = (): void => {
    if (!added.appended) return;
    mkdirSync(dirname(fullPath), { recursive: true });
    writeFileSync(fullPath, added.text);
  };

  if (request.commit === 'none') {
    write();
  } else if (request.commit === 'push') {
    if (added.appended) await deliverByPush(deps, request, { remote, head: head!, logPath, text: added.text, mode, message, write }, delivery);
  } else {
    const base = (await git.currentBranch()) ?? request.branch ?? request.defaultBranch ?? (await git.remoteDefaultBranch(remote));
    if (!added.appended) {
      notes.push('The record is already in HEAD\'s log: no branch or pull request is needed.');
    } else {
      // The checkout is left as it is: the record lives on the branch until the pull request is merged.
      await deliverOnBranch(deps, request, { remote, head: head!, logPath, text: added.text, mode, message, record, base }, delivery);
    }
  }

  let issue: PostmortemResult['issue'];
  let issueSkipped: string | undefined;
  if (request.issue) {
    const reason = !deps.github ? 'no `token`' : !request.owner || !request.repo ? 'GITHUB_REPOSITORY is not set' : undefined;
    if (reason) issueSkipped = `No issue opened: ${reason}.`;
    else {
      try {
        const opened = await deps.github!.createIssue(request.owner!, request.repo!, {
          title: `Recovery event ${record.id}: ${record.outcome === 'failed' ? 'failed rollback' : `rollback due to ${record.type.replace(/-/g, ' ')}`}`,
          body: recordBody(record, stats, logPath, delivery, 'issue'),
        });
        issue = { number: opened.number, url: opened.html_url };
      } catch (error) {
        issueSkipped = `No issue opened: ${(error as Error).message.split('\n')[0]} ${error instanceof GitHubApiError && error.hint ? error.hint : ''}`.trim();
        annotations.push({ level: 'warning', title: 'Postmortem issue', message: issueSkipped });
      }
    }
  }
  if (delivery.prSkipped && deps.github) annotations.push({ level: 'warning', title: 'Postmortem pull request', message: delivery.prSkipped });

  return {
    record,
    logPath,
    created,
    appended: added.appended,
    recordLine,
    parsed,
    stats,
    slo,
    records: parsed.records.map((r) => r.record),
    delivery,
    issue,
    issueSkipped,
    notes,
    annotations,
  };
}

