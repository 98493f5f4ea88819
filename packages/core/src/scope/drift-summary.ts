/** The drift report's job summary and annotations. */
import { markdownCode, markdownTable, markdownText, type Annotation } from '../output/report.js';
import type { DriftResult } from './drift.js';
import { plural } from '../output/markdown.js';

const MAX_ROWS = 200;
const MAX_ANNOTATIONS = 50;

/** The agenda of a governance sync session: who introduced which forbidden import, and the trend. */
export function renderDriftSummary(result: DriftResult): string {
  const parts = [
    `## ${result.total === 0 ? '✅' : '⚠️'} Architecture drift: ${result.total === 0 ? 'no import breaks the rules' : `${plural(result.total, 'import')} ${result.total === 1 ? 'breaks' : 'break'} the rules`}`,
    `The imports of ${markdownCode(result.head)} checked against ${plural(result.rules, 'rule')} of \`architecture.rules\`, each blamed on the pull request or session that introduced it. Nothing was reverted.`,
  ];
  if (result.trend.length > 0) {
    parts.push(
      '### Trend',
      markdownTable(
        ['checkpoint', 'commit', 'date', 'violations'],
        result.trend.map((p) => [p.name === 'HEAD' ? 'now' : markdownCode(p.name), markdownCode(p.commit.slice(0, 12)), markdownText(p.date), String(p.count)]),
      ),
    );
  }
  if (result.groups.length > 0) {
    parts.push(
      '### By pull request or session',
      markdownTable(
        ['introduced by', 'violations', 'commit', 'subject', 'author'],
        result.groups.map((g) => [
          /^#\d+$/.test(g.introducedBy.label) ? g.introducedBy.label : markdownText(g.introducedBy.label), // a pull request: GitHub links #12
          String(g.violations.length),
          markdownCode(g.introducedBy.commit.slice(0, 12)),
          markdownText(g.introducedBy.subject),
          markdownText(g.introducedBy.author),
        ]),
      ),
      '### Violations',
      markdownTable(
        ['introduced by', 'import', 'imports', 'rule'],
        result.groups
          .flatMap((g) => g.violations)
          .slice(0, MAX_ROWS)
          .map((v) => [
            /^#\d+$/.test(v.introducedBy.label) ? v.introducedBy.label : markdownText(v.introducedBy.label),
            markdownCode(`${v.file}:${v.line}`),
            `${markdownCode(v.to)} (${markdownText(v.fromLayer)} → ${markdownText(v.toLayer)})`,
            `${markdownCode(`architecture.rules[${v.ruleIndex}]`)} ${markdownCode(v.rule)}`,
          ]),
      ),
    );
    if (result.total > MAX_ROWS) parts.push(`…and ${result.total - MAX_ROWS} more (all of them in the \`drift\` output).`);
  }
  return parts.join('\n\n');
}

/** One warning per violation on its import's line (a report: nothing fails). */
export function driftAnnotations(result: DriftResult): Annotation[] {
  const all = result.groups.flatMap((g) =>
    g.violations.map((v): Annotation => ({
      level: 'warning',
      title: 'architecture drift: forbidden-import',
      message: `layer ${v.fromLayer} may not import layer ${v.toLayer} (${v.to}): architecture.rules[${v.ruleIndex}] ${v.rule}; introduced by ${g.introducedBy.label} (${g.introducedBy.commit.slice(0, 12)}).`,
      file: v.file,
      startLine: v.line,
    })),
  );
  if (all.length <= MAX_ANNOTATIONS) return all;
  return [...all.slice(0, MAX_ANNOTATIONS - 1), { level: 'notice', title: 'architecture drift', message: `${all.length - MAX_ANNOTATIONS + 1} more in the job summary.` }];
}
