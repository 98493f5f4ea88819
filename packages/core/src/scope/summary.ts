/** The scope check's job summary and its blast-radius graph. */
import type { Config } from '../config/config.js';
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import type { ScopeResult } from './scope.js';

function mermaidId(file: string, ids: Map<string, string>): string {
  let id = ids.get(file);
  if (!id) {
    id = `n${ids.size}`;
    ids.set(file, id);
  }
  return id;
}

/** A mermaid graph of the blast radius: changed files, dependents in the radius, and those at risk. */
export function blastRadiusMermaid(result: ScopeResult, limit = 60): string {
  const ids = new Map<string, string>();
  const edges = new Set<string>();
  const label = (file: string): string => file.replace(/["`<>\n\r]/g, '_').replace(/\]/g, ')').replace(/\[/g, '(');
  for (const item of result.blastRadius.slice(0, limit)) {
    for (let i = 1; i < item.chain.length; i++) edges.add(`${mermaidId(item.chain[i]!, ids)} --> ${mermaidId(item.chain[i - 1]!, ids)}`);
  }
  const changed = new Set(result.changed.map((f) => f.path));
  const atRisk = new Set(result.blastRadius.filter((r) => !r.changed).map((r) => r.file));
  const nodes = [...ids].map(([file, id]) => `  ${id}["${label(file)}"]${changed.has(file) ? ':::changed' : atRisk.has(file) ? ':::risk' : ''}`);
  return ['```mermaid', 'graph LR', ...nodes, ...[...edges].map((e) => `  ${e}`), '  classDef changed fill:#fde68a,stroke:#b45309', '  classDef risk fill:#fecaca,stroke:#b91c1c', '```'].join('\n');
}

/** The job summary (and sticky comment) of a scope check. */
export function renderScopeSummary(result: ScopeResult, config: Config): string {
  const verdict = result.passed ? '✅ within scope' : result.mode === 'warn' ? '⚠️ out of scope (warn mode: not failing)' : '❌ out of scope';
  const { unresolved } = result;
  // A silent miss must not pass for a small blast radius: say it next to the verdict.
  const caveat = unresolved.count > 0 ? ` (${unresolved.count} unresolved import(s): the blast radius may be larger)` : '';
  const parts = [
    `## scope-guard: ${verdict}${caveat}`,
    markdownTable(
      ['rule', 'result'],
      [
        ['files changed', `${result.counted.length} counted of ${result.changed.length} (budget ${config.scope.maxFiles})`],
        ...(config.agents.maxFiles !== undefined ? [['agent commits\' files', `${result.agentFiles.length} (budget ${config.agents.maxFiles})`]] : []),
        ['layers touched', result.layers.length > 0 ? result.layers.map(markdownCode).join(', ') : '(none)'],
        ['protected paths', String(result.violations.filter((v) => v.rule === 'protected').length)],
        ...(config.architecture.rules.length > 0
          ? [['architecture rules', `${result.imports.added.length} import(s) added against a rule${result.imports.preexisting.length > 0 ? `; ${result.imports.preexisting.length} already there in the changed files (not counted)` : ''}`]]
          : []),
        ['blast radius', `${result.blastRadius.length} dependent(s), ${result.blastRadius.filter((r) => !r.changed).length} at risk on revert (depth ≤ ${config.blastRadius.maxDepth})`],
        ['unresolved imports', unresolved.count > 0 ? `**${unresolved.count}** in ${unresolved.files} file(s), ${unresolved.specifiers} distinct module(s): their importers may be missing from the blast radius` : '0'],
      ],
    ),
  ];
  if (result.crossLayerReason) parts.push(`Cross-layer change allowed by trailer: ${markdownText(result.crossLayerReason)}`);
  if (result.violations.length > 0) {
    parts.push('### Violations', markdownTable(['rule', 'file', 'message'], result.violations.slice(0, 100).map((v) => [v.rule, v.file ? markdownCode(v.line ? `${v.file}:${v.line}` : v.file) : '', markdownText(v.message)])));
    if (result.violations.length > 100) parts.push(`…and ${result.violations.length - 100} more (all of them in the \`violations\` output).`);
  }
  if (result.warnings.length > 0) parts.push('### Warnings', result.warnings.slice(0, 50).map((w) => `- ${markdownText(w)}`).join('\n'));
  if (result.blastRadius.length > 0) {
    parts.push(
      '### Blast radius',
      markdownTable(
        ['file', 'depth', 'status', 'import chain'],
        result.blastRadius.slice(0, 200).map((r) => [markdownCode(r.file), String(r.depth), r.changed ? 'in the change' : '**at risk on revert**', r.chain.map(markdownCode).join(' ← ')]),
      ),
      blastRadiusMermaid(result),
    );
  }
  if (unresolved.count > 0) {
    parts.push(
      '### Imports that resolved to no file',
      `${unresolved.count} import(s) in ${unresolved.files} file(s) name a file of the repository that the graph could not find, so files behind them are not in the blast radius. ` +
        'If they are your own packages, check their package.json `exports`/`main`, the `workspaces` globs and tsconfig `paths`; if a module is generated at build time, ignore this.',
      markdownTable(
        ['file', 'imports'],
        unresolved.examples.map((e) => [markdownCode(`${e.file}:${e.line}`), markdownCode(e.specifier)]),
      ),
      unresolved.count > unresolved.examples.length ? `…and ${unresolved.count - unresolved.examples.length} more.` : '',
    );
  }
  if (result.graphProblems.length > 0) parts.push('### Graph problems in the change and its dependents', result.graphProblems.slice(0, 50).map((p) => `- ${markdownText(p)}`).join('\n'));
  parts.push(
    '<details><summary>Changed files</summary>\n',
    markdownTable(['status', 'file'], result.changed.slice(0, 300).map((f) => [f.status, f.from ? `${markdownCode(f.from)} → ${markdownCode(f.path)}` : markdownCode(f.path)])),
    result.changed.length > 300 ? `…and ${result.changed.length - 300} more.` : '',
    '\n</details>',
  );
  return parts.join('\n\n');
}

