/**
 * Architecture rules (`architecture.rules`): which layer may import which. An import breaks a rule
 * when its file is in the rule's `from` layer and the imported file is in a layer the rule does not
 * allow (its own layer and files in no layer are always allowed) or one it forbids.
 *
 * scope-guard judges the imports a change adds (the file's imports at the head minus those its base
 * version already had); the drift report judges every import of the tree.
 */
import type { ImportEdge, ImportGraph } from '@rollback-gate/graph';
import type { ArchitectureRule, Config } from '../config/config.js';
import { compileGlobs } from '../config/glob.js';
import type { Git } from '../git/git.js';
import { importGraphAt } from '../git/tree-files.js';

/** A changed file as scope-guard lists it (`from`: the old name of a rename or copy). */
interface ChangedPath {
  status: string;
  path: string;
  from?: string;
}

/** One import that breaks a rule. */
export interface ImportViolation {
  /** The importing file and the 1-based line of the import. */
  file: string;
  line: number;
  /** The module as written. */
  specifier: string;
  /** The imported repository file. */
  to: string;
  fromLayer: string;
  toLayer: string;
  /** `architecture.rules[<index>]`. */
  ruleIndex: number;
  /** The rule as written in flow style: `{ from: silver, allow: [bronze] }`. */
  rule: string;
}

/** The rule as one line of YAML flow style, as the user would write it. */
export function formatRule(rule: ArchitectureRule): string {
  const list = (names: readonly string[]): string => `[${names.join(', ')}]`;
  return `{ from: ${rule.from}${rule.allow ? `, allow: ${list(rule.allow)}` : ''}${rule.forbid ? `, forbid: ${list(rule.forbid)}` : ''} }`;
}

/** path -> the layers it is in (the keys of `scope.layers` whose globs match it). */
export function layerResolver(layers: Config['scope']['layers']): (path: string) => string[] {
  const matchers = Object.entries(layers).map(([name, globs]) => ({ name, match: compileGlobs(globs) }));
  const cache = new Map<string, string[]>();
  return (path) => {
    let names = cache.get(path);
    if (!names) {
      names = matchers.filter((m) => m.match(path)).map((m) => m.name);
      cache.set(path, names);
    }
    return names;
  };
}

/** The first rule the import from a file in `fromLayers` to a file in `toLayers` breaks, if any. */
export function brokenRule(
  rules: readonly ArchitectureRule[],
  fromLayers: readonly string[],
  toLayers: readonly string[],
): { index: number; fromLayer: string; toLayer: string } | undefined {
  if (fromLayers.length === 0 || toLayers.length === 0) return undefined;
  // Within a layer everything is allowed; sharing one layer with the importer is enough.
  if (toLayers.some((l) => fromLayers.includes(l))) return undefined;
  for (const [index, rule] of rules.entries()) {
    if (!fromLayers.includes(rule.from)) continue;
    const forbidden = rule.forbid?.find((l) => toLayers.includes(l));
    if (forbidden) return { index, fromLayer: rule.from, toLayer: forbidden };
    if (rule.allow && !toLayers.some((l) => rule.allow!.includes(l))) return { index, fromLayer: rule.from, toLayer: toLayers[0]! };
  }
  return undefined;
}

/** The imports of `files` (every file of the graph when absent) that break a rule, by file then line. */
export function importViolations(
  graph: ImportGraph,
  config: Config,
  options: { files?: Iterable<string>; layerOf?: (path: string) => string[]; keep?: (file: string, edge: ImportEdge) => boolean } = {},
): ImportViolation[] {
  const rules = config.architecture.rules;
  if (rules.length === 0) return [];
  const layerOf = options.layerOf ?? layerResolver(config.scope.layers);
  const ruled = new Set(rules.map((r) => r.from));
  const found: ImportViolation[] = [];
  for (const file of options.files ?? graph.imports.keys()) {
    const fromLayers = layerOf(file);
    if (!fromLayers.some((l) => ruled.has(l))) continue;
    for (const edge of graph.imports.get(file) ?? []) {
      const broken = brokenRule(rules, fromLayers, layerOf(edge.to));
      if (!broken || (options.keep && !options.keep(file, edge))) continue;
      found.push({
        file,
        line: edge.line,
        specifier: edge.specifier,
        to: edge.to,
        fromLayer: broken.fromLayer,
        toLayer: broken.toLayer,
        ruleIndex: broken.index,
        rule: formatRule(rules[broken.index]!),
      });
    }
  }
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** What a violation says, with the rule quoted. */
export function describeImportViolation(v: ImportViolation): string {
  return `${v.file}:${v.line} imports ${v.to} (${JSON.stringify(v.specifier)}): layer ${v.fromLayer} may not import layer ${v.toLayer} — architecture.rules[${v.ruleIndex}] ${v.rule}`;
}

/** The imports a change adds against a rule, and those its files already had (not the change's fault). */
export interface ChangeImportViolations {
  added: ImportViolation[];
  preexisting: ImportViolation[];
}

/**
 * The imports of the changed files, at the head, that break a rule, split into those the change
 * adds and those the file's base version (the old name, for a rename or copy) already had. The base
 * versions are scanned alone (the graph package's scanners on the merge-base's blobs).
 */
export async function changeImportViolations(
  git: Git,
  config: Config,
  headGraph: ImportGraph,
  changed: readonly ChangedPath[],
  mergeBase: string,
): Promise<ChangeImportViolations> {
  if (config.architecture.rules.length === 0) return { added: [], preexisting: [] };
  const present = changed.filter((f) => f.status !== 'D');
  const inHead = importViolations(headGraph, config, { files: present.map((f) => f.path) });
  if (inHead.length === 0) return { added: [], preexisting: [] };

  const basePath = new Map(present.map((f) => [f.path, f.from ?? (f.status === 'A' ? undefined : f.path)]));
  const scanned = [...new Set(inHead.map((v) => basePath.get(v.file)).filter((p): p is string => p !== undefined))];
  const baseGraph = scanned.length > 0 ? (await importGraphAt(git, await git.treeOf(mergeBase), [], scanned)).graph : undefined;
  const renamedTo = new Map(changed.filter((f) => f.status === 'R' && f.from).map((f) => [f.from!, f.path]));
  const hadBefore = (v: ImportViolation): boolean => {
    const before = basePath.get(v.file);
    if (!before || !baseGraph) return false;
    return (baseGraph.imports.get(before) ?? []).some((e) => (renamedTo.get(e.to) ?? e.to) === v.to || e.specifier === v.specifier);
  };
  const result: ChangeImportViolations = { added: [], preexisting: [] };
  for (const v of inHead) (hadBefore(v) ? result.preexisting : result.added).push(v);
  return result;
}
