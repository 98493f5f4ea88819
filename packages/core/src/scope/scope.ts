import { blastRadius, importGraphOfTree, pathSetFromGit, summarizeUnresolved, type ImportGraph, type UnresolvedImports } from '@rollback-gate/graph';
import { createClassifier } from '../git/classify.js';
import { commitFiles, readCommits, type CommitInfo } from '../git/commits.js';
import { TRAILERS, trailerValue } from '../git/protocol.js';
import type { Config, Mode } from '../config/config.js';
import type { Logger } from '../base/env.js';
import { GIT_SAFETY_OPTIONS, assertNotOption, type Git } from '../git/git.js';
import { PathTable, pathMatcher } from './path-match.js';
import { type Annotation } from '../output/report.js';
import { ensureHistory } from '../git/shallow.js';
import { changeImportViolations, describeImportViolation, type ChangeImportViolations } from './architecture.js';
import { plural } from '../output/markdown.js';

/** One changed file; a rename is one change (`path` is the new name, `from` the old). */
export interface ChangedFile {
  status: 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';
  path: string;
  from?: string;
}

export interface Violation {
  rule: 'max-files' | 'agent-max-files' | 'cross-layer' | 'protected' | 'blast-radius' | 'forbidden-import';
  file?: string;
  /** The 1-based line the violation is on (an import's line); absent: the file as a whole. */
  line?: number;
  message: string;
}

export interface BlastRadiusItem {
  file: string;
  depth: number;
  /** True when the change also modified this dependent ("in the radius"); false: at risk on revert. */
  changed: boolean;
  /** The import path from a changed file to this file. */
  chain: string[];
}

export interface ScopeResult {
  base: string;
  head: string;
  mergeBase: string;
  baseIsAncestor: boolean;
  changed: ChangedFile[];
  /** Changed files counted against the budget (ignore globs left out). */
  counted: ChangedFile[];
  agentFiles: string[];
  layers: string[];
  violations: Violation[];
  warnings: string[];
  blastRadius: BlastRadiusItem[];
  graphProblems: string[];
  /**
   * Imports anywhere in the head tree that named a repository file and resolved to none (counted,
   * with examples): each may be an importer the blast radius missed, so the summary says them.
   */
  unresolved: UnresolvedImports;
  /** Imports of the changed files against `architecture.rules`: added by the change, or already there. */
  imports: ChangeImportViolations;
  mode: Mode;
  passed: boolean;
  crossLayerReason: string | undefined;
}

export interface ScopeRequest {
  base: string;
  head: string;
  mode?: Mode;
  labels: readonly string[];
  config: Config;
  remote?: string;
}

const NAME_STATUS = /^[AMDRCTUX]/;

/** Parses `git diff --name-status -z` output (raw bytes, so odd file names survive). */
export function parseNameStatus(raw: Buffer): ChangedFile[] {
  const fields = raw.toString('utf8').split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length - 1; ) {
    const status = fields[i++] ?? '';
    if (!NAME_STATUS.test(status)) continue;
    const letter = status[0] as ChangedFile['status'];
    if (letter === 'R' || letter === 'C') {
      const from = fields[i++] ?? '';
      const path = fields[i++] ?? '';
      files.push({ status: letter, path, from });
    } else {
      files.push({ status: letter, path: fields[i++] ?? '' });
    }
  }
  return files;
}

/** The files changed between the merge-base of base and head and head (what the change adds). */
export async function changedFiles(git: Git, mergeBase: string, head: string): Promise<ChangedFile[]> {
  const out = await git.run(['diff', '--name-status', '-z', '-M', '--no-ext-diff', '--ignore-submodules=none', '--end-of-options', mergeBase, head, '--']);
  return parseNameStatus(out.raw);
}

/** The compared range: head, base, their merge-base (fetched if a shallow clone lacks it). */
async function resolveRange(git: Git, log: Logger, request: ScopeRequest, remote: string): Promise<{ base: string; head: string; mergeBase: string; baseIsAncestor: boolean; warnings: string[] }> {
  assertNotOption(request.base, 'base');
  assertNotOption(request.head, 'head');
  const baseName = request.base;
  // One round of git processes, not two: head, base and their merge-base are asked at once (by
  // name: the same names resolve to the same commits within a run); a head that names no commit
  // is reported first, as before.
  const ask = async (headRev: string): Promise<{ base: string; mergeBase: string } | undefined> => {
    const [resolved, mergeBase] = await Promise.all([git.resolveCommit(baseName), git.test(['merge-base', '--end-of-options', baseName, headRev])]);
    return resolved !== undefined && mergeBase.exitCode === 0 ? { base: resolved, mergeBase: mergeBase.stdout.trim() } : undefined;
  };
  const [headSha, first] = await Promise.all([git.resolveCommit(request.head), ask(request.head)]);
  const head = headSha ?? (await git.requireCommit(request.head, 'head'));
  // What the last successful reachability check found (base and merge-base) is the answer: no
  // second rev-parse and merge-base.
  let found: { base: string; mergeBase: string } | undefined;
  let asked = false;
  await ensureHistory(git, {
    remote,
    refspecs: [baseName, head].filter((r) => /^[0-9a-f]{40}$/.test(r)),
    what: `the merge-base of ${baseName.slice(0, 12)} and ${head.slice(0, 12)}`,
    log,
    reachable: async () => {
      found = asked ? await ask(head) : first;
      asked = true;
      return found !== undefined;
    },
  });
  const base = found?.base ?? (await git.requireCommit(baseName, 'base'));
  const mergeBase = found?.mergeBase ?? (await git.text(['merge-base', '--end-of-options', base, head]));
  const baseIsAncestor = mergeBase === base;
  const warnings: string[] = [];
  if (!baseIsAncestor) {
    warnings.push(`base ${base.slice(0, 12)} is not an ancestor of head ${head.slice(0, 12)} (a force-push or rebase?); comparing from their merge-base ${mergeBase.slice(0, 12)}.`);
  }
  return { base, head, mergeBase, baseIsAncestor, warnings };
}

/** The file budget over the counted (not ignored) files. */
function fileBudget(changed: readonly ChangedFile[], counted: readonly ChangedFile[], config: Config): Violation[] {
  if (counted.length <= config.scope.maxFiles) return [];
  return [{
    rule: 'max-files',
    message: `${counted.length} files changed (renames count once, ${changed.length - counted.length} ignored); the budget is ${config.scope.maxFiles}. Split the change into smaller sessions.`,
  }];
}

/** The agent commits' own budget: the files they touched, alone. */
async function agentBudget(git: Git, commits: readonly CommitInfo[], config: Config, ignored: (path: string) => boolean): Promise<{ agentFiles: Set<string>; violations: Violation[] }> {
  const agentFiles = new Set<string>();
  if (config.agents.maxFiles === undefined) return { agentFiles, violations: [] };
  const classify = createClassifier(config.agents);
  for (const commit of commits.filter((c) => classify(c).kind === 'agent' && c.parents.length > 0)) {
    for (const f of await commitFiles(git, commit, { renames: 'once' })) if (!ignored(f)) agentFiles.add(f);
  }
  const violations: Violation[] =
    agentFiles.size > config.agents.maxFiles
      ? [{ rule: 'agent-max-files', message: `the agent commits alone touched ${agentFiles.size} files; the agent budget is ${config.agents.maxFiles}.` }]
      : [];
  return { agentFiles, violations };
}

/** The last `Cross-Layer:` reason of the range's commits. */
function crossLayerReasonOf(commits: readonly CommitInfo[]): string | undefined {
  let reason: string | undefined;
  for (const commit of commits) reason = trailerValue(commit, TRAILERS.crossLayer) ?? reason;
  return reason;
}

/**
 * The changed files read once (PathTable) for every glob rule, with which of them the ignore globs
 * leave out; a rename's old name is matched on its own (few files are renamed).
 */
interface ChangedTable {
  changed: readonly ChangedFile[];
  table: PathTable;
  ignored: Uint8Array;
  renamed: boolean;
}

/**
 * One layer at a time (unless a label or a trailer allows more). Over the counted files, keeping per
 * layer only its count and first three files (a change of 80,000 files keeps no per-file map); git
 * lists each changed path once. A renamed file is in the layers of its new and its old name.
 */
function layerRule(
  { changed, table, ignored, renamed }: ChangedTable,
  config: Config,
  labels: readonly string[],
  crossLayerReason: string | undefined,
): { layers: string[]; violations: Violation[]; warnings: string[] } {
  const layerLists = Object.entries(config.scope.layers);
  const perLayer = new Map<string, { count: number; first: string[] }>();
  if (layerLists.length > 0) {
    const inLayer = layerLists.map(([, globs]) => table.match(globs));
    const oldNameIn = renamed ? layerLists.map(([, globs]) => pathMatcher(globs)) : [];
    for (let i = 0; i < changed.length; i++) {
      if (ignored[i] === 1) continue;
      const file = changed[i]!;
      for (let l = 0; l < layerLists.length; l++) {
        if (inLayer[l]![i] !== 1 && !(file.from !== undefined && oldNameIn[l]!(file.from))) continue;
        const name = layerLists[l]![0];
        const seen = perLayer.get(name);
        if (!seen) perLayer.set(name, { count: 1, first: [file.path] });
        else if (seen.count++ < 3) seen.first.push(file.path);
      }
    }
  }
  const layers = [...perLayer.keys()].sort();
  const violations: Violation[] = [];
  const warnings: string[] = [];
  const allowed = labels.includes('cross-layer') || crossLayerReason !== undefined;
  if (layers.length > 1 && config.scope.crossLayer !== 'allow' && !allowed) {
    const message = `the change touches ${layers.length} layers (${layers.join(', ')}); one layer at a time. Add the \`cross-layer\` label or a \`Cross-Layer: <why>\` trailer if it must.`;
    if (config.scope.crossLayer === 'fail') {
      // One violation per layer beyond the first, on its first file (a huge change stays readable).
      for (const layer of layers.slice(1)) {
        const { count, first } = perLayer.get(layer)!;
        violations.push({ rule: 'cross-layer', file: first[0], message: `${plural(count, 'file')} in layer ${layer} (${first.join(', ')}${count > 3 ? ', …' : ''}): ${message}` });
      }
    } else {
      warnings.push(message);
    }
  }
  return { layers, violations, warnings };
}

/** Protected paths: each changed one (by its new or old name) needs its rule's label. */
function protectedPaths({ changed, table, renamed }: ChangedTable, config: Config, labels: readonly string[]): Violation[] {
  const violations: Violation[] = [];
  for (const rule of config.scope.protected) {
    if (labels.includes(rule.requireLabel)) continue;
    const matched = table.match(rule.paths);
    const oldName = renamed ? pathMatcher(rule.paths) : undefined;
    for (let i = 0; i < changed.length; i++) {
      const file = changed[i]!;
      if (matched[i] === 1 || (oldName !== undefined && file.from !== undefined && oldName(file.from))) {
        violations.push({ rule: 'protected', file: file.path, message: `${file.path} is protected (${rule.reason}); the pull request needs the \`${rule.requireLabel}\` label.` });
      }
    }
  }
  return violations;
}

/** Globs that match nothing in the change (nor in the head tree) are likely typos. */
function unmatchedGlobs(config: Config, headFiles: readonly string[], { changed, table, renamed }: ChangedTable): string[] {
  const globSources: Array<[string, string[]]> = [
    ...Object.entries(config.scope.layers).map(([name, globs]): [string, string[]] => [`scope.layers.${name}`, globs]),
    ...config.scope.protected.map((p, i): [string, string[]] => [`scope.protected[${i}].paths`, p.paths]),
  ];
  const warnings: string[] = [];
  for (const [where, globs] of globSources) {
    for (const glob of globs) {
      // The change first: its table answers without reading the paths again.
      if (table.some([glob])) continue;
      const match = pathMatcher([glob]);
      if (renamed && changed.some((f) => f.from !== undefined && match(f.from))) continue;
      if (!headFiles.some((f) => match(f))) warnings.push(`the glob ${JSON.stringify(glob)} in ${where} matches no file in the repository.`);
    }
  }
  return warnings;
}

/** Architecture rules: each import the change adds against one (those already there are not its fault). */
async function importRules(git: Git, config: Config, graph: ImportGraph, changed: readonly ChangedFile[], mergeBase: string): Promise<{ imports: ChangeImportViolations; violations: Violation[] }> {
  const imports = await changeImportViolations(git, config, graph, changed, mergeBase);
  const violations = imports.added.map((v): Violation => ({ rule: 'forbidden-import', file: v.file, line: v.line, message: describeImportViolation(v) }));
  return { imports, violations };
}

/** How many unresolved imports the summary names. */
const UNRESOLVED_EXAMPLES = 10;

/**
 * The import graph of the head tree, read straight from git (one ls-tree, one streamed
 * cat-file --batch scanned as it arrives; identical blobs scanned once): the graph package's
 * fast path, with the engine's git safety options.
 */
async function headImportGraph(git: Git, head: string, deleted: PromiseLike<readonly string[]>): Promise<{ graph: ImportGraph; files: string[] }> {
  // A git failure here is an internal error (the head commit was resolved already): its message names the command.
  // ls-tree reads the commit's tree itself: no rev-parse first.
  return importGraphOfTree({ cwd: git.cwd, tree: head, absentFiles: deleted, gitArgs: GIT_SAFETY_OPTIONS, env: { LC_ALL: 'C' } });
}

/**
 * One pass over the changed files (80,000 of them are walked once here, not three times): those
 * counted against the budget, the paths gone at the head (deleted, or a rename's old name: deleted
 * first, then old names, as the graph is told them), and every path the change touched.
 */
function sortChanged({ changed, ignored }: ChangedTable): { counted: ChangedFile[]; gone: string[]; touched: ReadonlySet<string> } {
  const counted: ChangedFile[] = [];
  const deleted: string[] = [];
  const renamedFrom: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < changed.length; i++) {
    const file = changed[i]!;
    if (ignored[i] !== 1) counted.push(file);
    paths.push(file.path);
    if (file.status === 'D') deleted.push(file.path);
    if (file.from) {
      renamedFrom.push(file.from);
      paths.push(file.from);
    }
  }
  // Paths as git printed them: the blast radius takes the set without checking each one again.
  return { counted, gone: deleted.concat(renamedFrom), touched: pathSetFromGit(paths) };
}

/** Blast radius: importers of the changed files at the head; those outside the change are at risk on revert. */
function blastRadiusRule(graph: ImportGraph, changedPaths: ReadonlySet<string>, config: Config): { radius: BlastRadiusItem[]; graphProblems: string[]; violations: Violation[] } {
  const radius: BlastRadiusItem[] = blastRadius(graph, changedPaths, { maxDepth: config.blastRadius.maxDepth }).map((e) => ({
    file: e.file,
    depth: e.depth,
    changed: changedPaths.has(e.file),
    chain: [...e.chain],
  }));
  const inRadius = new Set(radius.map((r) => r.file));
  const graphProblems = graph.problems.filter((p) => changedPaths.has(p.file) || inRadius.has(p.file)).map((p) => `${p.file}: ${p.message}`);
  const violations: Violation[] = [];
  if (config.blastRadius.mode === 'fail') {
    for (const item of radius.filter((r) => !r.changed)) {
      violations.push({ rule: 'blast-radius', file: item.file, message: `${item.file} imports a changed file through ${item.chain.join(' → ')} (→: imported by) and is not part of the change: it breaks if the change is reverted alone.` });
    }
  }
  return { radius, graphProblems, violations };
}

/**
 * Checks a change against the scope rules: the file budget (and the agent commits' own budget),
 * one layer at a time, protected paths, and the blast radius of the changed source files.
 */
export async function checkScope(git: Git, log: Logger, request: ScopeRequest): Promise<ScopeResult> {
  const { config } = request;
  const mode = request.mode ?? config.scope.mode;
  const range = await resolveRange(git, log, request, request.remote ?? 'origin');
  const { head, mergeBase } = range;

  // Where the time goes, in the debug log (ACTIONS_STEP_DEBUG): one line per step.
  let lap = performance.now();
  const timed = (step: string): void => {
    const now = performance.now();
    log.debug(`scope-guard: ${step} in ${Math.round(now - lap)} ms`);
    lap = now;
  };
  // git lists and streams the head tree (on another core) while git diffs and the rules below run
  // here; the files the change deleted are handed over once the diff is in.
  let diffed: (deleted: readonly string[]) => void = () => undefined;
  const reading = headImportGraph(git, head, new Promise<readonly string[]>((resolve) => (diffed = resolve)));
  reading.catch(() => undefined); // awaited below; a failure before then must not go unhandled
  // The range's commits too: every git process starts before the big lists are in memory (a
  // process started from a large heap costs more to fork).
  const commitsReading = readCommits(git, [`${mergeBase}..${head}`]);
  commitsReading.catch(() => undefined);
  let changed: ChangedFile[];
  try {
    changed = await changedFiles(git, mergeBase, head);
  } catch (error) {
    diffed([]); // a failed diff leaves the reading nothing to wait for (its answer is then unused)
    throw error;
  }
  timed(`${plural(changed.length, 'changed file')} read`);
  const table = new PathTable(changed.map((f) => f.path));
  const changedTable: ChangedTable = { changed, table, ignored: table.match(config.scope.ignore), renamed: changed.some((f) => f.from !== undefined) };
  const { counted, gone, touched } = sortChanged(changedTable);
  diffed(gone);
  const commits = await commitsReading;
  const crossLayerReason = crossLayerReasonOf(commits);
  timed('ignored files, commits');

  const agents = await agentBudget(git, commits, config, pathMatcher(config.scope.ignore));
  const layering = layerRule(changedTable, config, request.labels, crossLayerReason);
  const protectedViolations = protectedPaths(changedTable, config, request.labels);
  timed('budgets, layers, protected paths');
  const { graph, files: headFiles } = await reading;
  timed(`import graph of ${plural(headFiles.length, 'file')} (the rest of its time overlapped the steps above)`);
  const radius = blastRadiusRule(graph, touched, config);
  const unresolved = summarizeUnresolved(graph, { limit: UNRESOLVED_EXAMPLES });
  timed('blast radius');
  if (unresolved.count > 0) log.info(`scope-guard: ${plural(unresolved.count, 'import')} in ${plural(unresolved.files, 'file')} could not be resolved; the blast radius may miss their importers.`);
  const architecture = await importRules(git, config, graph, changed, mergeBase);

  const violations = [
    ...fileBudget(changed, counted, config),
    ...agents.violations,
    ...layering.violations,
    ...protectedViolations,
    ...architecture.violations,
    ...radius.violations,
  ];
  const warnings = [...range.warnings, ...layering.warnings, ...unmatchedGlobs(config, headFiles, changedTable)];
  timed('architecture rules, unmatched globs');
  return {
    base: range.base,
    head,
    mergeBase,
    baseIsAncestor: range.baseIsAncestor,
    changed,
    counted,
    agentFiles: [...agents.agentFiles].sort(),
    layers: layering.layers,
    violations,
    warnings,
    blastRadius: radius.radius,
    graphProblems: radius.graphProblems,
    unresolved,
    imports: architecture.imports,
    mode,
    passed: violations.length === 0,
    crossLayerReason,
  };
}

/** GitHub shows a few annotations per step; more only bloat the log. */
const MAX_ANNOTATIONS = 50;

/** Annotations: one per violation on its file, warnings on the run, dependents at risk on their files. */
export function scopeAnnotations(result: ScopeResult): Annotation[] {
  const level = result.mode === 'fail' ? 'error' : 'warning';
  const all: Annotation[] = [
    ...result.violations.map((v): Annotation => ({ level, title: `scope-guard: ${v.rule}`, message: v.message, file: v.file, startLine: v.file ? (v.line ?? 1) : undefined })),
    ...result.warnings.map((w): Annotation => ({ level: 'warning', title: 'scope-guard', message: w })),
    ...result.blastRadius
      .filter((r) => !r.changed && !result.violations.some((v) => v.file === r.file))
      .map((r): Annotation => ({ level: 'warning', title: 'scope-guard: at risk on revert', message: `imports a changed file through ${r.chain.join(' → ')} (→: imported by); reverting the change alone would break it.`, file: r.file, startLine: 1 })),
  ];
  if (all.length <= MAX_ANNOTATIONS) return all;
  return [...all.slice(0, MAX_ANNOTATIONS - 1), { level: 'notice', title: 'scope-guard', message: `${all.length - MAX_ANNOTATIONS + 1} more findings are in the job summary.` }];
}
