/**
 * What verify-rollback reports: the machine-readable outputs, the job summary, the sticky PR
 * comment and the annotations. Commit subjects, unit names, file names and command output are
 * untrusted: they are escaped for Markdown, and reach the log only through the protected logger.
 */
import { commitLink, fit, type GitHubLinks, join as joinMd, link, plural, trusted } from '../output/markdown.js';
import { markdownBlock, markdownCode, markdownTable, markdownText, type Annotation } from '../output/report.js';
import { describeCheck, type CheckResult } from '../sandbox/checks.js';
import type { ConflictFile, LineRange } from '../git/merge.js';
import type { UnitReport, UnitStatus, VerifyResult } from './verify.js';
import { describeSimulation } from './simulate.js';

// ---------------------------------------------------------------------------------------------
// Outputs

export interface CheckOutput {
  name: string;
  'exit-code': number | null;
  'duration-ms': number;
  'timed-out': boolean;
  'left-processes': boolean;
  passed: boolean;
}

export interface UnitOutput {
  commit: string;
  unit: string;
  revertible: UnitStatus['revertible'];
  with?: string[];
  checks: CheckOutput[];
  'age-days': number;
  merge: boolean;
  /** pr mode: the verdict on the base tip, before this change. */
  before?: UnitStatus['revertible'];
  /** drill mode, revertible alone: whether the rollback is exactly the inverse of the unit. */
  inverse?: boolean;
  /** drill mode: the commit that already undoes this unit exactly (a rollback, or a revert). */
  'rolled-back-by'?: string;
}

export interface VerifyOutputs {
  'rollback-ready': boolean;
  entangled: Array<{ commit: string; unit: string; kind: 'conflict' | 'checks'; files: Array<{ file: string; conflict: string; lines: LineRange[] }> }>;
  irreversible: Array<{ file: string; reason: string; label: string; acknowledged: boolean; commit?: string }>;
  units: UnitOutput[];
  'plan-path': string;
  checks: Array<CheckOutput & { commit: string; unit: string }>;
}

function checkOutput(result: CheckResult): CheckOutput {
  return {
    name: result.name,
    'exit-code': result.exitCode,
    'duration-ms': result.durationMs,
    'timed-out': result.timedOut,
    'left-processes': result.leftProcesses,
    passed: result.passed,
  };
}

export function verifyOutputs(result: VerifyResult): VerifyOutputs {
  return {
    'rollback-ready': result.rollbackReady,
    entangled: result.entangled.map((e) => ({
      commit: e.unit.commit,
      unit: e.unit.name,
      kind: e.kind,
      files: e.files.map((f) => ({ file: f.file, conflict: f.conflict, lines: f.lines })),
    })),
    irreversible: result.irreversible.map((f) => ({ ...f })),
    units: result.units.map((report) => {
      const output: UnitOutput = {
        commit: report.unit.commit,
        unit: report.unit.name,
        revertible: report.status.revertible,
        ...(report.status.revertible === 'with-later' ? { with: report.status.with.map((c) => c.commit) } : {}),
        checks: report.checks.map(checkOutput),
        'age-days': report.unit.ageDays,
        merge: report.unit.merge,
      };
      if (report.before) output.before = report.before.revertible;
      if (report.inverse !== undefined) output.inverse = report.inverse;
      if (report.rolledBackBy) output['rolled-back-by'] = report.rolledBackBy.commit;
      return output;
    }),
    'plan-path': result.planPath,
    checks: result.units.flatMap((report) =>
      report.checks.map((check) => ({ commit: report.unit.commit, unit: report.unit.name, ...checkOutput(check) })),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** A commit's short sha, linked to the commit when the repository's server is known. */
const short = (sha: string, links?: GitHubLinks): string => commitLink(links, sha);

/** The result as a report shows it: with the links of the run that renders it. */
type Shown = VerifyResult & { links?: GitHubLinks };

/** Output tails shown in the summary (each up to 4,000 characters); the rest are in the log. */
const MAX_TAILS = 10;
/** GitHub refuses comments over 65,536 characters. */
const MAX_COMMENT = 60_000;
const MAX_COMMENT_ROWS = 30;

export function formatLines(lines: readonly LineRange[]): string {
  return lines.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}–${r.end}`)).join(', ');
}

/** `line 3`, `lines 3–5, 9` */
function linesLabel(lines: readonly LineRange[]): string {
  return `${lines.length === 1 && lines[0]!.start === lines[0]!.end ? 'line' : 'lines'} ${formatLines(lines)}`;
}

function fileCell(file: ConflictFile): string {
  const lines = file.lines.length > 0 ? ` ${linesLabel(file.lines)}` : '';
  const kind = file.conflict === 'content' ? '' : ` (${markdownText(file.conflict)})`;
  return `${markdownCode(file.file)}${lines}${kind}`;
}

function statusCell(status: UnitStatus): string {
  switch (status.revertible) {
    case 'alone':
      return 'alone';
    case 'with-later':
      return `only with ${status.with.map((c) => (c.landing ? 'this change' : markdownCode(c.name))).join(', ')}${status.smallest ? '' : ' (minimal, not proven smallest)'}`;
    case 'no':
      return '**not at all**';
  }
}

function checksCell(checks: readonly CheckResult[]): string {
  if (checks.length === 0) return '';
  return checks.map((c) => `${markdownCode(c.name)}: ${c.passed ? 'pass' : `**fail** (${markdownText(describeCheck(c))})`}`).join('<br>');
}

function age(report: UnitReport): string {
  return report.unit.ageDays === 0 ? 'today' : `${report.unit.ageDays} d`;
}

function unitCell(report: UnitReport): string {
  return `${markdownCode(report.unit.name)}${report.unit.merge ? ' (merge)' : ''}`;
}

function verdictLines(result: VerifyResult): string[] {
  const lines = [
    ...result.problems.map((p) => `- ${markdownText(p)}`),
    ...result.warnings.map((w) => `- warning: ${markdownText(w)}`),
  ];
  return lines;
}

function landingSection(result: Shown): string[] {
  const landing = result.landing!;
  const how = `${result.mergeMethod} of ${short(result.head!, result.links)} onto ${short(result.tip, result.links)}`;
  if (landing.empty) return ['### Landing', `This change is empty on ${short(result.tip, result.links)} (${how}): it changes nothing, so there is nothing to roll back and nothing it can entangle.`];
  if (landing.clean) return ['### Landing', `Lands cleanly (${how}), changing ${plural(landing.changes.length, 'file')}.`];
  const at = landing.conflictAt ? ` while replaying ${short(landing.conflictAt, result.links)}` : '';
  return [
    '### Landing conflicts',
    `The ${how} conflicts${at}; entanglement is checked once it lands cleanly.`,
    markdownTable(['file', 'conflict'], landing.conflicts.map((f) => [fileCell(f), markdownText(f.conflict)])),
  ];
}

function entangledSection(result: Shown): string[] {
  if (result.entangled.length === 0) return [];
  const consequence = result.entanglementMode === 'fail' ? '' : ' (config `verify.entanglement: warn`: reported, not failed)';
  return [
    `### Entangled units${consequence}`,
    'Each of these units can be reverted alone today; once this change lands it can only be reverted together with this change.',
    markdownTable(
      ['unit', 'commit', 'where they collide', 'would have to be reverted with'],
      result.entangled.map((e) => [
        markdownCode(e.unit.name),
        short(e.unit.commit, result.links),
        e.kind === 'checks'
          ? `reverts cleanly, but the verify commands fail: ${e.files.map((f) => markdownCode(f.file)).join(', ')}`
          : e.files.map(fileCell).join('<br>') || '(no file reported)',
        'this change',
      ]),
    ),
  ];
}

function softSection(result: Shown): string[] {
  if (result.soft.length === 0) return [];
  return [
    '### Soft dependencies',
    'This change edits files that import what these units changed: reverting such a unit later may break them.',
    markdownTable(
      ['unit', 'commit', 'this change edits', 'which imports'],
      result.soft.map((s) => [markdownCode(s.unit.name), short(s.unit.commit, result.links), markdownCode(s.file), s.imports.map(markdownCode).join(', ')]),
    ),
  ];
}

function irreversibleSection(result: VerifyResult): string[] {
  if (result.irreversible.length === 0) return [];
  if (result.mode === 'drill') {
    return [
      '### Irreversible files in the window',
      'git can revert these files, but not what they did (migrations run, data written): rolling back their units needs manual steps.',
      markdownTable(
        ['file', 'reason', 'unit'],
        result.irreversible.map((f) => [
          markdownCode(f.file),
          markdownText(f.reason),
          markdownCode(result.units.find((u) => u.unit.commit === f.commit)?.unit.name ?? f.commit ?? ''),
        ]),
      ),
    ];
  }
  return [
    '### Irreversible changes',
    'git cannot roll back what these files do. Each needs its label on the pull request.',
    markdownTable(
      ['file', 'reason', 'label', 'acknowledged'],
      result.irreversible.map((f) => [markdownCode(f.file), markdownText(f.reason), markdownCode(f.label), f.acknowledged ? 'yes' : '**no**']),
    ),
  ];
}

function windowTable(result: Shown, reports: readonly UnitReport[]): string {
  if (result.mode === 'pr') {
    return markdownTable(
      ['unit', 'commit', 'age', 'subject', 'before this change', 'after it lands'],
      reports.map((r) => [unitCell(r), short(r.unit.commit, result.links), age(r), markdownText(r.unit.subject), statusCell(r.before!), statusCell(r.status)]),
    );
  }
  return markdownTable(
    ['unit', 'commit', 'age', 'subject', 'revertible', 'checks'],
    reports.map((r) => [
      unitCell(r),
      short(r.unit.commit, result.links),
      age(r),
      markdownText(r.unit.subject),
      r.rolledBackBy
        ? `already ${r.rolledBackBy.rollback ? 'rolled back' : 'reverted'} by ${short(r.rolledBackBy.commit, result.links)}`
        : `${statusCell(r.status)}${r.inverse === false ? ' — **not the exact inverse**' : ''}`,
      checksCell(r.checks),
    ]),
  );
}

function checkDetails(result: Shown): string[] {
  const failed = result.units.flatMap((r) => r.checks.filter((c) => !c.passed).map((c) => ({ report: r, check: c })));
  if (failed.length === 0) return [];
  const shown = failed.slice(0, MAX_TAILS);
  return [
    '### Failing checks',
    ...shown.flatMap(({ report, check }) => [
      `${markdownCode(check.name)} on the rollback of ${markdownCode(report.unit.name)} (${short(report.unit.commit, result.links)}): ${markdownText(describeCheck(check))}`,
      markdownBlock(check.tail || '(no output)'),
    ]),
    ...(failed.length > shown.length ? [`… and ${plural(failed.length - shown.length, 'more failing check')}; their output is in the step's log.`] : []),
  ];
}

function planSection(result: VerifyResult): string[] {
  // The file's name, not its RUNNER_TEMP path: the path means nothing outside the runner.
  const name = result.planPath.split(/[\\/]/).pop() ?? result.planPath;
  return [
    '### Rollback plan',
    `A sealed \`${result.plan.kind}\` plan, ${markdownCode(name)} (the step's \`plan-path\` output: upload it as an artifact for the \`rollback\` action), seal ${markdownCode(result.plan.seal)}.`,
  ];
}

/** How a report is placed: alone (`##`) or inside the gate's report (`###`, its sections `####`). */
export interface VerifyReportOptions {
  level?: 2 | 3;
  /** The workflow run, linked from the comment. */
  runUrl?: string;
  /** The repository's server: commits are linked. */
  links?: GitHubLinks;
}

function heading(result: VerifyResult, level: 2 | 3 = 2): string {
  const verdict =
    result.mode === 'drill' && result.units.length === 0
      ? '⚠️ verify-rollback: nothing checked'
      : result.rollbackReady
        ? '✅ verify-rollback: rollback-ready'
        : '❌ verify-rollback: not rollback-ready';
  return `${'#'.repeat(level)} ${result.mode === 'pr' ? verdict : verdict.replace('verify-rollback', 'verify-rollback drill')}`;
}

/** Sections one level below the report's headline. */
function nest(markdown: string, level: 2 | 3): string {
  // The headline (the first line) stays at its level; the sections under it go one down.
  if (level === 2) return markdown;
  const newline = markdown.indexOf('\n');
  if (newline < 0) return markdown;
  return markdown.slice(0, newline) + markdown.slice(newline).replace(/^### /gm, '#### ');
}

function intro(result: Shown): string {
  const count = result.units.length;
  const where = `${count === 1 ? '1 landed unit, the newest first-parent commit' : `${count} landed units, the newest ${count} first-parent commits`} up to ${short(result.tip, result.links)} (window: ${result.window.commits} commits, ${result.window.days} days)`;
  if (result.mode === 'pr') return `Checked this change against ${where}.`;
  const done = result.units.filter((r) => r.rolledBackBy).length;
  const alone = result.units.filter((r) => !r.rolledBackBy && r.status.revertible === 'alone').length;
  const withLater = result.units.filter((r) => !r.rolledBackBy && r.status.revertible === 'with-later').length;
  const no = count - done - alone - withLater;
  return `Drilled the rollback of ${where}: ${alone} revertible alone, ${withLater} only with later units, ${no} not at all${done ? `, ${done} already rolled back` : ''}.`;
}

/** An empty window, said plainly: nothing was checked, and how to widen it. */
function emptyWindow(result: Shown): string {
  const age = result.newestAgeDays !== undefined ? ` The newest commit on ${short(result.tip, result.links)} is ${plural(result.newestAgeDays, 'day')} old.` : '';
  return (
    `**Nothing was checked**: the window (the last ${result.window.commits} first-parent commits within ${result.window.days} days) holds no unit.${age} ` +
    `Widen it in \`.github/rollback-gate.yml\`: \`verify.window.days\` (e.g. \`verify: { window: { days: ${Math.max(result.window.days * 2, (result.newestAgeDays ?? 0) + 7)} } }\`).`
  );
}

export function renderVerifySummary(verified: VerifyResult, options: VerifyReportOptions = {}): string {
  const result: Shown = { ...verified, links: options.links };
  const level = options.level ?? 2;
  const parts = [heading(result, level), intro(result)];
  const verdicts = verdictLines(result);
  if (verdicts.length > 0) parts.push(verdicts.join('\n'));
  if (result.mode === 'pr') parts.push(...landingSection(result));
  parts.push(...entangledSection(result), ...softSection(result), ...irreversibleSection(result));
  parts.push(`### The window (${plural(result.units.length, 'unit')}, newest first)`);
  parts.push(result.units.length > 0 ? windowTable(result, result.units) : emptyWindow(result));
  parts.push(...checkDetails(result), ...planSection(result));
  const deepened = result.deepened > 0 ? `; the shallow clone was deepened (${Number.isFinite(result.deepened) ? `${result.deepened} commits` : 'fully'})` : '';
  parts.push(`<sub>${describeSimulation(result, (text) => `\`${text}\``)}; the checkout was not touched${deepened}.</sub>`);
  return nest(parts.join('\n\n'), level);
}

/** The sticky PR comment: the verdict and what needs attention; the whole window is in the job summary. */
export function renderVerifyComment(verified: VerifyResult, options: VerifyReportOptions = {}): string {
  const result: Shown = { ...verified, links: options.links };
  const level = options.level ?? 2;
  const runUrl = options.runUrl;
  const parts = [heading(result, level), intro(result)];
  const verdicts = verdictLines(result);
  if (verdicts.length > 0) parts.push(verdicts.join('\n'));
  if (result.mode === 'pr') parts.push(...landingSection(result));
  const soft = result.soft.length > MAX_COMMENT_ROWS ? { ...result, soft: result.soft.slice(0, MAX_COMMENT_ROWS) } : result;
  parts.push(...entangledSection(result), ...softSection(soft), ...irreversibleSection(result));
  if (soft !== result) parts.push(`… and ${result.soft.length - MAX_COMMENT_ROWS} more soft dependencies in the job summary.`);
  const notable = result.units.filter((r) => r.status.revertible !== 'alone' || (r.before && r.before.revertible !== r.status.revertible));
  if (notable.length > 0) {
    parts.push('### Units not revertible alone', windowTable(result, notable.slice(0, MAX_COMMENT_ROWS)));
    if (notable.length > MAX_COMMENT_ROWS) parts.push(`… and ${notable.length - MAX_COMMENT_ROWS} more in the job summary.`);
  }
  const where = runUrl && /^https?:\/\/[^\s)]+$/.test(runUrl) ? link(trusted("the run's summary"), runUrl) : trusted("the run's summary");
  const body = fit(trusted(nest(parts.join('\n\n'), level)), trusted(`… cut here: the rest is in ${where}.`), MAX_COMMENT);
  return joinMd([body, trusted(`The whole window and the rollback plan: ${where}.`)]);
}

// ---------------------------------------------------------------------------------------------
// Annotations

function at(file: ConflictFile): Pick<Annotation, 'file' | 'startLine' | 'endLine'> {
  const first = file.lines[0];
  const last = file.lines[file.lines.length - 1];
  return { file: file.file, ...(first && last ? { startLine: first.start, endLine: last.end } : {}) };
}

export function verifyAnnotations(result: VerifyResult): Annotation[] {
  const annotations: Annotation[] = [];
  for (const file of result.landing?.conflicts ?? []) {
    annotations.push({ level: 'error', title: 'verify-rollback: landing conflict', message: `This change does not land cleanly here (${file.conflict} conflict).`, ...at(file) });
  }
  const level = result.entanglementMode === 'fail' ? 'error' : 'warning';
  for (const e of result.entangled) {
    for (const file of e.files) {
      const why =
        e.kind === 'checks'
          ? `reverting ${e.unit.name} (${e.unit.commit.slice(0, 12)}) after this change passes git but fails the verify commands`
          : `reverting ${e.unit.name} (${e.unit.commit.slice(0, 12)}) alone would conflict here once this change lands (${file.conflict}${file.lines.length > 0 ? `, lines ${formatLines(file.lines)}` : ''})`;
      annotations.push({ level, title: `verify-rollback: entangled with ${e.unit.name}`, message: `${why}; the two would have to be reverted together.`, ...at(file) });
    }
  }
  for (const s of result.soft) {
    annotations.push({
      level: 'warning',
      title: `verify-rollback: soft dependency on ${s.unit.name}`,
      message: `This file imports ${s.imports.join(', ')}, which ${s.unit.name} (${s.unit.commit.slice(0, 12)}) changed: reverting that unit later may break it.`,
      file: s.file,
    });
  }
  if (result.mode === 'pr') {
    for (const f of result.irreversible) {
      annotations.push({
        level: f.acknowledged ? 'notice' : 'error',
        title: 'verify-rollback: irreversible change',
        message: f.acknowledged
          ? `Irreversible (${f.reason}), acknowledged by the label "${f.label}".`
          : `Irreversible (${f.reason}): git cannot roll this back. Add the label "${f.label}" to the pull request to acknowledge it.`,
        file: f.file,
      });
    }
  } else {
    for (const r of result.units) {
      if (r.status.revertible === 'alone') continue;
      const needs = r.status.revertible === 'with-later' ? `only together with ${r.status.with.map((c) => c.name).join(', ')}` : 'not even with the later units';
      for (const file of r.status.conflicts) {
        annotations.push({
          level: r.status.revertible === 'no' || result.entanglementMode === 'fail' ? 'error' : 'warning',
          title: `verify-rollback: ${r.unit.name} cannot be rolled back alone`,
          message: `Rolling back ${r.unit.name} (${r.unit.commit.slice(0, 12)}) conflicts here (${file.conflict}); it can be rolled back ${needs}.`,
          ...at(file),
        });
      }
    }
  }
  return annotations;
}
