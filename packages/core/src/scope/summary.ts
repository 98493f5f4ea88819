/** The scope check's job summary, its sticky comment and its blast-radius graph. */
import type { Config } from '../config/config.js';
import {
  bullets,
  code,
  details,
  facts,
  fileLink,
  type GitHubLinks,
  heading,
  headline,
  join,
  link,
  md,
  type Md,
  plural,
  prose,
  table,
  text,
  trusted,
} from '../output/markdown.js';
import type { ScopeResult } from './scope.js';

/** How a report is placed: alone (its own `##` headline) or inside the gate's (a `###` section). */
export interface ReportOptions {
  links?: GitHubLinks;
  /** 2 for a report of its own, 3 inside another report. */
  level?: 2 | 3;
}

/** The arrow used everywhere for imports, from a file to the files that import it. */
export const IMPORTED_BY = '→';

function mermaidId(file: string, ids: Map<string, string>): string {
  let id = ids.get(file);
  if (!id) {
    id = `n${ids.size}`;
    ids.set(file, id);
  }
  return id;
}

/**
 * A mermaid graph of the blast radius: each arrow goes from a file to a file that imports it (as
 * the tables' →), changed files in yellow, dependents at risk on revert in red; with a legend.
 */
export function blastRadiusMermaid(result: ScopeResult, limit = 60): string {
  const ids = new Map<string, string>();
  const edges = new Set<string>();
  // A label is a quoted mermaid string: no quote, no entity start, nothing mermaid reads as markup.
  const label = (file: string): string => file.replace(/["`<>#&;\n\r]/g, '_').replace(/\]/g, ')').replace(/\[/g, '(');
  for (const item of result.blastRadius.slice(0, limit)) {
    for (let i = 1; i < item.chain.length; i++) edges.add(`${mermaidId(item.chain[i - 1]!, ids)} --> ${mermaidId(item.chain[i]!, ids)}`);
  }
  const changed = new Set(result.changed.map((f) => f.path));
  const atRisk = new Set(result.blastRadius.filter((r) => !r.changed).map((r) => r.file));
  const nodes = [...ids].map(([file, id]) => `  ${id}["${label(file)}"]${changed.has(file) ? ':::changed' : atRisk.has(file) ? ':::risk' : ''}`);
  return [
    '```mermaid',
    'graph LR',
    ...nodes,
    ...[...edges].map((e) => `  ${e}`),
    '  classDef changed fill:#fde68a,stroke:#b45309,color:#000',
    '  classDef risk fill:#fecaca,stroke:#b91c1c,color:#000',
    '```',
    '',
    `An arrow goes from a file to a file that imports it. Yellow: changed by this pull request. Red: at risk on revert (imports a changed file and is not part of the change).${
      result.blastRadius.length > limit ? ` The graph shows the first ${limit} of ${result.blastRadius.length} dependents; the table lists them all.` : ''
    }`,
  ].join('\n');
}

function verdict(result: ScopeResult): { icon: string; words: Md } {
  const count = trusted(plural(result.violations.length, 'violation'));
  // A silent miss must not pass for a small blast radius: say it next to the verdict.
  const caveat = result.unresolved.count > 0 ? md` (${trusted(plural(result.unresolved.count, 'unresolved import'))}: the blast radius may be larger)` : md``;
  if (result.passed) return { icon: '✅', words: md`within scope${caveat}` };
  if (result.mode === 'warn') return { icon: '⚠️', words: md`out of scope, ${count} (warn mode: not failing)${caveat}` };
  return { icon: '❌', words: md`out of scope, ${count}${caveat}` };
}

/** What the author should do next, in one line per kind of violation. */
function nextSteps(result: ScopeResult): Md | undefined {
  const rules = new Set(result.violations.map((v) => v.rule));
  const steps: Md[] = [];
  if (rules.has('max-files') || rules.has('agent-max-files')) steps.push(md`Split the change into smaller sessions (the file budget is \`scope.max-files\`).`);
  if (rules.has('cross-layer')) steps.push(md`Keep to one layer, or add the \`cross-layer\` label or a \`Cross-Layer: <why>\` trailer if it must cross.`);
  if (rules.has('protected')) steps.push(md`A protected path changed: add the label each violation names once someone has reviewed it.`);
  if (rules.has('blast-radius')) steps.push(md`Files that import a changed file would break if the change were reverted alone: include them in the change, or lower the coupling.`);
  return steps.length > 0 ? join([md`**What to do:**`, bullets(steps)], '\n') : undefined;
}

function factsTable(result: ScopeResult, config: Config): Md {
  const ignored = result.changed.length - result.counted.length;
  const atRisk = result.blastRadius.filter((r) => !r.changed).length;
  const protectedCount = result.violations.filter((v) => v.rule === 'protected').length;
  return facts(
    [
      ['files changed', md`${trusted(plural(result.counted.length, 'file'))} of a budget of ${config.scope.maxFiles}${ignored > 0 ? md` (${trusted(plural(ignored, 'more file'))} ignored)` : md``}`],
      config.agents.maxFiles !== undefined ? ['agent commits\' files', md`${trusted(plural(result.agentFiles.length, 'file'))} of a budget of ${config.agents.maxFiles}`] : undefined,
      ['layers touched', result.layers.length > 0 ? join(result.layers.map(code), ', ') : md`none`],
      ['protected paths', protectedCount === 0 ? md`none touched without their label` : md`${trusted(plural(protectedCount, 'file'))} without the label`],
      config.architecture.rules.length > 0
        ? [
            'architecture rules',
            md`${trusted(plural(result.imports.added.length, 'import'))} added against a rule${
              result.imports.preexisting.length > 0 ? md`; ${trusted(plural(result.imports.preexisting.length, 'import'))} already there in the changed files (not counted)` : md``
            }`,
          ]
        : undefined,
      ['blast radius', md`${trusted(plural(result.blastRadius.length, 'dependent'))}, ${atRisk} at risk on revert (depth up to ${config.blastRadius.maxDepth})`],
      [
        'unresolved imports',
        result.unresolved.count > 0
          ? md`**${result.unresolved.count}** in ${trusted(plural(result.unresolved.files, 'file'))}, ${trusted(plural(result.unresolved.specifiers, 'distinct module'))}: their importers may be missing from the blast radius`
          : md`0`,
      ],
    ],
    ['rule', 'result'],
  );
}

function chain(items: readonly string[]): Md {
  return join(items.map(code), trusted(` ${IMPORTED_BY} `));
}

function violationsTable(result: ScopeResult, links: GitHubLinks | undefined, limit: number): Md {
  const rows = result.violations.slice(0, limit).map((v) => [code(v.rule), v.file ? fileLink(links, v.file, result.head) : md`*whole change*`, prose(v.message)]);
  return join([
    table(['rule', 'file', 'problem'], rows),
    result.violations.length > limit && md`…and ${result.violations.length - limit} more (all of them in the \`violations\` output).`,
  ]);
}

/** The job summary of a scope check. */
export function renderScopeSummary(result: ScopeResult, config: Config, options: ReportOptions = {}): string {
  const { links, level = 2 } = options;
  const { icon, words } = verdict(result);
  const parts: (Md | undefined | false)[] = [
    headline(icon, md`scope-guard: ${words}`, level),
    nextSteps(result),
    factsTable(result, config),
    result.crossLayerReason !== undefined && md`Cross-layer change allowed by a trailer: ${text(result.crossLayerReason)}`,
  ];
  const sub = (title: Md): Md => heading(title, level === 2 ? 3 : 4);
  if (result.violations.length > 0) parts.push(sub(md`Violations`), violationsTable(result, links, 100));
  if (result.warnings.length > 0) parts.push(sub(md`Warnings`), bullets(result.warnings.slice(0, 50).map(prose)));
  if (result.blastRadius.length > 0) {
    parts.push(
      sub(md`Blast radius`),
      table(
        ['file', 'depth', 'status', `import chain (${IMPORTED_BY}: imported by)`],
        result.blastRadius
          .slice(0, 200)
          .map((r) => [fileLink(links, r.file, result.head), trusted(String(r.depth)), r.changed ? md`in the change` : md`**at risk on revert**`, chain(r.chain)]),
      ),
      result.blastRadius.length > 200 && md`…and ${result.blastRadius.length - 200} more (all of them in the \`blast-radius\` output).`,
      trusted(blastRadiusMermaid(result)),
    );
  }
  const { unresolved } = result;
  if (unresolved.count > 0) {
    parts.push(
      sub(md`Imports that resolved to no file`),
      md`${trusted(plural(unresolved.count, 'import'))} in ${trusted(plural(unresolved.files, 'file'))} name a file of the repository that the graph could not find, so files behind them are not in the blast radius. If they are your own packages, check their package.json \`exports\`/\`main\`, the \`workspaces\` globs and tsconfig \`paths\`; if a module is generated at build time, ignore this.`,
      table(['file', 'imports'], unresolved.examples.map((e) => [code(`${e.file}:${e.line}`), code(e.specifier)])),
      unresolved.count > unresolved.examples.length && md`…and ${unresolved.count - unresolved.examples.length} more.`,
    );
  }
  if (result.graphProblems.length > 0) parts.push(sub(md`Graph problems in the change and its dependents`), bullets(result.graphProblems.slice(0, 50).map(prose)));
  parts.push(changedFiles(result, links));
  return join(parts);
}

function changedFiles(result: ScopeResult, links: GitHubLinks | undefined): Md {
  const rows = result.changed
    .slice(0, 300)
    .map((f) => [code(f.status), f.from ? md`${code(f.from)} ${trusted('→')} ${fileLink(links, f.path, result.head)}` : fileLink(links, f.path, result.head)]);
  return details(
    md`${trusted(plural(result.changed.length, 'changed file'))}`,
    join([table(['status', 'file'], rows), result.changed.length > 300 && md`…and ${result.changed.length - 300} more.`]),
  );
}

/** The sticky comment: the verdict, what to do, the first violations and dependents at risk; the rest is in the run's summary. */
export function renderScopeComment(result: ScopeResult, config: Config, options: ReportOptions = {}): string {
  const { links, level = 2 } = options;
  const { icon, words } = verdict(result);
  const atRisk = result.blastRadius.filter((r) => !r.changed);
  const parts: (Md | undefined | false)[] = [headline(icon, md`scope-guard: ${words}`, level), nextSteps(result), factsTable(result, config)];
  if (result.violations.length > 0) parts.push(violationsTable(result, links, 10));
  if (atRisk.length > 0 && !result.violations.some((v) => v.rule === 'blast-radius')) {
    parts.push(
      details(
        md`${trusted(plural(atRisk.length, 'dependent'))} at risk on revert`,
        bullets(atRisk.slice(0, 10).map((r) => md`${fileLink(links, r.file, result.head)}: ${chain(r.chain)}`)),
      ),
    );
  }
  if (links?.run) parts.push(md`The whole report, with the blast-radius graph and every changed file: ${link(md`the run's summary`, links.run)}.`);
  return join(parts);
}
