/**
 * verify-rollback: keeps the rollback window open.
 *
 * - `pr` mode simulates the landing of a change on the base tip and asks, for every unit of the
 *   window, whether it could be reverted alone before the change and still can after it. A unit
 *   that could and no longer can is entangled with the change. It also lists soft dependencies
 *   (the change edits a file importing what a unit changed) and irreversible files, and writes the
 *   sealed plan for rolling this change back once it lands.
 * - `drill` mode simulates every unit's rollback on the current tip: alone, only with named later
 *   units, or not at all; checks that a clean rollback is the exact inverse of the unit; and, with
 *   checks on, runs the verify commands on each rolled-back tree in a throwaway worktree.
 *
 * Nothing of the user's checkout is touched: objects go to a scratch store, merges are computed by
 * `git merge-tree` (or a temporary index), and checks run in a temporary repository.
 */
import { availableParallelism } from 'node:os';
import type { VerifyCommand, VerifyConfig } from '../config/config.js';
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import { assertNotOption, Git, spawnGitRunner } from '../git/git.js';
import { compileGlobs } from '../config/glob.js';
import { runChecks, ThrowawayWorktree, type CheckResult } from '../sandbox/checks.js';
import { importGraphAt } from '../git/tree-files.js';
import { isExactInverse } from './inverse.js';
import { readCommits } from '../git/commits.js';
import { RevertLedger } from '../git/undo.js';
import { planFileName, writePlan, PLAN_SCHEMA, type LandingPlan, type PlanStep, type RollbackStrategy, type WindowPlan } from './plan.js';
import { ScratchStore } from '../sandbox/scratch.js';
import { searchWithLater, type Revertable } from './search.js';
import type { ConflictFile, LineRange, MergeEngine } from '../git/merge.js';
import type { ImportGraph } from '@rollback-gate/graph';
import { describeSimulation, mapLimit, Simulator } from './simulate.js';
import { diffChanges, ensureWindowHistory, PathIndex, pathsOf, readTrees, readWindow, type PathChange, type Unit, type WindowOptions } from './window.js';
import { plural } from '../output/markdown.js';

export const VERIFY_MODES = ['pr', 'drill'] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];
/** How a pull request lands (GitHub's merge button). */
export const MERGE_METHODS = ['squash', 'merge', 'rebase'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];
export type Revertibility = 'alone' | 'with-later' | 'no';

export interface VerifyDeps {
  git: Git;
  log: Logger;
  clock: Clock;
  /** Where the run's scratch objects and throwaway worktrees go; removed when the run ends. */
  tempDir: string;
  /** The environment verify commands start from (secrets and runner files are withheld). */
  env: Record<string, string | undefined>;
  /** Forces a merge engine (tests); default: detected from the installed git. */
  engine?: MergeEngine;
}

export interface VerifyRequest {
  mode: VerifyMode;
  verify: VerifyConfig;
  /** User input `base`: the base tip in pr mode, the tip to drill in drill mode. */
  base?: string;
  /** User input `head`: the change's head in pr mode. */
  head?: string;
  /** From the event: the base tip and the head of the change (pr), or the pushed commit (drill). */
  eventBase?: string;
  eventHead?: string;
  mergeMethod: MergeMethod;
  runChecks: boolean;
  /** The pull request's labels (they acknowledge irreversible changes). */
  labels: readonly string[];
  /** Names the plan file: `pr-<n>`, `run-<id>`. */
  id: string;
  prNumber?: number;
  repository?: string;
  runUrl?: string;
  /** Where the plan file is written (RUNNER_TEMP/rollback-gate). */
  planDir: string;
  remote?: string;
  /** Caps every verify command's timeout. */
  maxCheckTimeoutMs?: number;
  /** False in pull_request_target runs: the change's code must not run with the base's secrets. */
  mayRunChangeCode?: boolean;
}

/** Who a unit must be rolled back with. */
export interface Companion {
  commit: string;
  name: string;
  /** True for the change under review (pr mode): its head commit stands for it. */
  landing?: boolean;
}

export interface UnitStatus {
  revertible: Revertibility;
  /** The later units (and, in pr mode, this change) to roll back first, newest first. */
  with: Companion[];
  /** False when the set was minimized one unit at a time rather than proven smallest. */
  smallest: boolean;
  /** The conflicts of reverting it alone (empty when alone). */
  conflicts: ConflictFile[];
  /** The tree after its rollback, when there is one. */
  tree?: string;
}

export interface IrreversibleFile {
  file: string;
  reason: string;
  label: string;
  acknowledged: boolean;
  /** In drill mode: the unit that changed it. */
  commit?: string;
}

export interface UnitReport {
  unit: Unit;
  /** pr mode: once this change has landed; drill mode: on the tip. */
  status: UnitStatus;
  /** pr mode: on the base tip, before this change. */
  before?: UnitStatus;
  /** drill mode, a clean rollback: is its effect exactly the inverse of the unit's diff? */
  inverse?: boolean;
  /** drill mode: a later commit on the branch undoes this unit exactly (proven on trees), and is not itself undone. */
  rolledBackBy?: { commit: string; subject: string; rollback: boolean };
  checks: CheckResult[];
  irreversible: IrreversibleFile[];
}

export interface EntangledUnit {
  unit: Unit;
  /** `conflict`: its revert conflicts once this change lands; `checks`: it reverts, but the verify commands fail. */
  kind: 'conflict' | 'checks';
  files: ConflictFile[];
}

export interface SoftDependency {
  unit: Unit;
  /** The file this change edits. */
  file: string;
  /** What it imports that the unit changed. */
  imports: string[];
}

export interface LandingResult {
  clean: boolean;
  empty: boolean;
  tree: string;
  conflicts: ConflictFile[];
  /** rebase: the commit whose replay conflicted. */
  conflictAt?: string;
  /** rebase: the commits replayed, oldest first. */
  commits: string[];
  /** rebase: the tree after each replayed commit. */
  replayTrees: string[];
  changes: PathChange[];
}

export interface VerifyResult {
  mode: VerifyMode;
  /** pr: the base tip; drill: the drilled tip. */
  tip: string;
  tipTree: string;
  head?: string;
  mergeMethod?: MergeMethod;
  landing?: LandingResult;
  units: UnitReport[];
  entangled: EntangledUnit[];
  soft: SoftDependency[];
  irreversible: IrreversibleFile[];
  rollbackReady: boolean;
  /** Why it is not rollback-ready (empty when it is). */
  problems: string[];
  /** Things to look at that do not fail the check. */
  warnings: string[];
  entanglementMode: 'fail' | 'warn';
  planPath: string;
  plan: LandingPlan | WindowPlan;
  engine: MergeEngine;
  /** Merges git ran (landings, reverts, the searches' chains), each once. */
  merges: number;
  /** Reverts computed from the trees without a merge (nothing after the unit touched its files: exact-revert.ts). */
  exactReverts: number;
  deepened: number;
  window: { commits: number; days: number };
  checksRun: boolean;
  /** drill mode, an empty window: how old the tip's newest commit is, in days. */
  newestAgeDays?: number;
}

const CONCURRENCY = Math.max(4, Math.min(8, availableParallelism()));

/** Resolves a user-supplied revision (also as `origin/<name>`); an unknown one is a UserError naming the input. */
async function resolveInput(git: Git, value: string, input: string, remote: string): Promise<string> {
  assertNotOption(value, input);
  return (await git.resolveCommit(value)) ?? (await git.resolveCommit(`refs/remotes/${remote}/${value}`)) ?? git.requireCommit(value, `input \`${input}\``);
}

function revertable(unit: Unit): Revertable {
  return { commit: unit.commit, tree: unit.tree, parentTree: unit.parentTree, paths: unit.paths, onlyEdits: unit.changes.every((c) => /^[AMT]$/.test(c.status)) };
}

/** Each unit's rollback on `tipTree`: alone, with later units (`laterOf(i)`, newest first), or not at all. */
async function statusesOn(
  sim: Simulator,
  targets: readonly Revertable[],
  tipTree: string,
  laterOf: (index: number) => Revertable[],
  names: ReadonlyMap<Revertable, Companion>,
): Promise<UnitStatus[]> {
  await sim.prepareReverts(targets.map((target, index) => ({ target, later: laterOf(index) })), tipTree);
  return mapLimit(targets, CONCURRENCY, (target, index) => statusOf(sim, target, tipTree, laterOf(index), names));
}

async function statusOf(
  sim: Simulator,
  target: Revertable,
  tipTree: string,
  later: Revertable[],
  names: ReadonlyMap<Revertable, Companion>,
): Promise<UnitStatus> {
  const alone = await sim.revert(target, tipTree);
  if (alone.clean) return { revertible: 'alone', with: [], smallest: true, conflicts: [], tree: alone.tree };
  const found = await searchWithLater(sim, target, later, tipTree);
  if (found.kind === 'no') return { revertible: 'no', with: [], smallest: true, conflicts: alone.conflicts };
  return {
    revertible: 'with-later',
    with: found.with.map((r) => names.get(r)!),
    smallest: found.smallest,
    conflicts: alone.conflicts,
    tree: found.tree,
  };
}

function irreversibleFiles(verify: VerifyConfig, paths: readonly string[], labels: readonly string[], commit?: string): IrreversibleFile[] {
  const found: IrreversibleFile[] = [];
  const entries = verify.irreversible.map((entry) => ({ entry, matches: compileGlobs(entry.paths) }));
  for (const file of paths) {
    const hit = entries.find(({ matches }) => matches(file));
    if (!hit) continue;
    found.push({
      file,
      reason: hit.entry.reason,
      label: hit.entry.requireLabel,
      acknowledged: labels.includes(hit.entry.requireLabel),
      ...(commit ? { commit } : {}),
    });
  }
  return found;
}

function unitStrategy(merge: boolean, count: number): RollbackStrategy {
  if (count > 1) return 'revert-range';
  return merge ? 'revert-merge' : 'revert-squash';
}

/** Runs verify-rollback in the requested mode. */
export async function verifyRollback(deps: VerifyDeps, request: VerifyRequest): Promise<VerifyResult> {
  return request.mode === 'pr' ? verifyPullRequest(deps, request) : drillWindow(deps, request);
}

// ---------------------------------------------------------------------------------------------
// pr mode

/** The base tip the change lands on and the change's head, with the window's history fetched. */
async function resolvePullRequest(deps: VerifyDeps, request: VerifyRequest, windowOptions: WindowOptions): Promise<{ base: string; head: string; deepened: number }> {
  const { git, log } = deps;
  const remote = request.remote ?? 'origin';
  if (request.runChecks && request.verify.commands.length > 0 && request.mayRunChangeCode === false) {
    throw new UserError(
      '`run-checks: true` would run the pull request\'s code, and this is a pull_request_target run (it has the base repository\'s secrets and write token).',
      'Run verify-rollback with checks on `pull_request` instead, or set `run-checks: false` here.',
    );
  }
  const baseInput = request.base?.trim();
  const headInput = request.head?.trim();
  const base = baseInput ? await resolveInput(git, baseInput, 'base', remote) : request.eventBase;
  if (!base) {
    throw new UserError(
      'pr mode needs the base tip the change will land on, and this run is not for a pull request.',
      'Run it on pull_request, pull_request_target or merge_group, or give `base` (and `head`).',
    );
  }
  const head = headInput ? await resolveInput(git, headInput, 'head', remote) : (request.eventHead ?? (await git.requireCommit('HEAD', 'HEAD')));
  const fetchable = [base, head].filter((rev) => /^[0-9a-f]{40,64}$/.test(rev));
  const { deepened } = await ensureWindowHistory(git, base, {
    ...windowOptions,
    log,
    refspecs: fetchable,
    what: `the rollback window of ${base.slice(0, 12)} and the merge-base of ${head.slice(0, 12)}`,
    alsoNeeded: async () => {
      const [exists, mergeBase] = await Promise.all([git.objectExists(head), git.test(['merge-base', '--end-of-options', base, head])]);
      return exists && mergeBase.exitCode === 0;
    },
  });
  return { base, head, deepened };
}

/**
 * Each unit's revert after the change has landed (only where the change touches what the revert
 * involves): units revertible alone before and not after are entangled by conflict.
 */
async function conflictsAfterLanding(
  sim: Simulator,
  store: ScratchStore,
  baseTree: string,
  landing: LandingResult,
  landingRevertable: Revertable,
  revertables: readonly Revertable[],
  before: readonly UnitStatus[],
  reports: UnitReport[],
  names: Map<Revertable, Companion>,
): Promise<EntangledUnit[]> {
  const prPaths = new Set(pathsOf(landing.changes));
  const prIndex = new PathIndex(prPaths);
  const recompute = revertables.map((target, i) => {
    const involved = [...target.paths, ...before[i]!.with.flatMap((c) => revertables.find((r) => r.commit === c.commit)?.paths ?? [])];
    return involved.some((p) => prIndex.interacts(p)); // else this change touches nothing near what it involves
  });
  const laterOf = (i: number): Revertable[] => [landingRevertable, ...revertables.slice(0, i)];
  await sim.prepareReverts(revertables.flatMap((target, i) => (recompute[i] ? [{ target, later: laterOf(i) }] : [])), landing.tree);
  const after = await mapLimit(revertables, CONCURRENCY, async (target, i) => (recompute[i] ? statusOf(sim, target, landing.tree, laterOf(i), names) : before[i]!));
  const changedLines = new Map<string, Promise<LineRange[]>>();
  const linesChanged = (file: string): Promise<LineRange[]> => {
    if (!changedLines.has(file)) changedLines.set(file, addedLineRanges(store, baseTree, landing.tree, file));
    return changedLines.get(file)!;
  };
  const entangled: EntangledUnit[] = [];
  for (const [i, report] of reports.entries()) {
    report.status = after[i]!;
    if (report.before!.revertible !== 'alone' || after[i]!.revertible === 'alone') continue;
    // A conflict without markers (the unit's revert deletes a file this change edits, a binary
    // file): the lines where they collide are the lines this change wrote in that file.
    const files = await Promise.all(
      after[i]!.conflicts.map(async (file) => (file.lines.length > 0 || !prPaths.has(file.file) ? file : { ...file, lines: await linesChanged(file.file) })),
    );
    entangled.push({ unit: report.unit, kind: 'conflict', files });
  }
  return entangled;
}

/**
 * Soft dependencies: files this change edits that import what a unit changed (the import graph of
 * the change's head: relative imports, workspace packages, tsconfig paths, Python).
 */
/** The import graph of the change's head for softDependencies (only the files it edits scanned): started early, awaited there. */
function headGraphOf(git: Git, headTree: string, landing: LandingResult): Promise<{ graph: ImportGraph; files: string[] }> {
  const edited = landing.changes.filter((c) => c.status !== 'D').map((c) => c.path);
  const reading = importGraphAt(git, headTree, [], [...new Set(edited)]);
  reading.catch(() => undefined); // awaited by softDependencies; a failure before then must not go unhandled
  return reading;
}

async function softDependencies(
  headGraph: Promise<{ graph: ImportGraph; files: string[] }>,
  landing: LandingResult,
  reports: readonly UnitReport[],
  entangled: readonly EntangledUnit[],
): Promise<SoftDependency[]> {
  const edited = new Set(landing.changes.filter((c) => c.status !== 'D').map((c) => c.path));
  const unitPaths = [...new Set(reports.flatMap((r) => r.unit.paths))];
  const { graph, files: headFiles } = await headGraph;
  const present = new Set(headFiles);
  const absentImporters = graph.importersOfAbsent(unitPaths.filter((p) => !present.has(p)));
  const importersOf = (path: string): readonly string[] => graph.importers.get(path) ?? absentImporters.get(path) ?? [];
  const soft: SoftDependency[] = [];
  for (const report of reports) {
    if (entangled.some((e) => e.unit === report.unit)) continue;
    const own = new Set(report.unit.paths);
    const byFile = new Map<string, string[]>();
    for (const path of report.unit.paths) {
      for (const importer of importersOf(path)) {
        if (edited.has(importer) && !own.has(importer)) byFile.set(importer, [...(byFile.get(importer) ?? []), path]);
      }
    }
    for (const [file, imports] of byFile) soft.push({ unit: report.unit, file, imports });
  }
  return soft;
}

/** With checks on: does reverting a soft-dependent unit after this change still pass them? Returns whether checks ran. */
async function checkSoftDependencies(
  deps: VerifyDeps,
  request: VerifyRequest,
  store: ScratchStore,
  landed: { base: string; tree: string },
  reports: readonly UnitReport[],
  soft: readonly SoftDependency[],
  entangled: EntangledUnit[],
): Promise<boolean> {
  const softUnits = [...new Set(soft.map((s) => s.unit))];
  if (!request.runChecks || request.verify.commands.length === 0 || softUnits.length === 0) return false;
  const landedCommit = store.writeCommit(landed.tree, [landed.base], 'rollback-gate: this change, landed');
  await withWorktree(store, async (worktree) => {
    for (const unit of softUnits) {
      const report = reports.find((r) => r.unit === unit)!;
      if (report.status.revertible !== 'alone' || !report.status.tree) continue;
      await worktree.checkout(report.status.tree, landedCommit, `rollback-gate: revert ${unit.name} after this change`);
      deps.log.info(`checks on the rollback of ${unit.name} (${unit.commit.slice(0, 12)}) after this change`);
      report.checks = await runChecks(worktree.dir, checkOptions(deps, request));
      if (report.checks.some((c) => !c.passed)) {
        entangled.push({
          unit,
          kind: 'checks',
          files: soft.filter((s) => s.unit === unit).map((s) => ({ file: s.file, conflict: 'checks', lines: [] })),
        });
      }
    }
  });
  return true;
}

/** What blocks the rollback-ready verdict (problems) and what is only worth saying (warnings). */
function prVerdict(
  request: VerifyRequest,
  base: string,
  landing: LandingResult,
  entangled: readonly EntangledUnit[],
  irreversible: readonly IrreversibleFile[],
  soft: readonly SoftDependency[],
): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!landing.clean) problems.push(`the change does not land cleanly on ${base.slice(0, 12)} (${plural(landing.conflicts.length, 'conflicting file')})`);
  if (entangled.length > 0) {
    const line = `${plural(entangled.length, 'unit')} of the window could no longer be reverted alone after this change`;
    (request.verify.entanglement === 'fail' ? problems : warnings).push(line);
  }
  const unacknowledged = irreversible.filter((f) => !f.acknowledged);
  if (unacknowledged.length > 0) {
    problems.push(`${plural(unacknowledged.length, 'irreversible file')} ${unacknowledged.length === 1 ? 'needs its' : 'need their'} label on the pull request`);
  }
  if (soft.length > 0) warnings.push(`${soft.length} soft dependenc${soft.length === 1 ? 'y' : 'ies'}: this change edits files importing what earlier units changed`);
  return { problems, warnings };
}

async function verifyPullRequest(deps: VerifyDeps, request: VerifyRequest): Promise<VerifyResult> {
  const { git, log, clock } = deps;
  const windowOptions = { commits: request.verify.window.commits, days: request.verify.window.days, now: clock() };
  // The scratch store and the merge engine do not depend on the change: made while its history is checked.
  const storing = ScratchStore.create(git, deps.tempDir);
  const simulating = storing.then((created) => Simulator.create(created, deps.engine));
  simulating.catch(() => undefined); // awaited below, or the store disposed if the change cannot be read
  let resolved: Awaited<ReturnType<typeof resolvePullRequest>>;
  try {
    resolved = await resolvePullRequest(deps, request, windowOptions);
  } catch (error) {
    await simulating.then((made) => made.close(), () => undefined);
    await storing.then((made) => made.dispose(), () => undefined);
    throw error;
  }
  const { base, head, deepened } = resolved;

  const store = await storing;
  let sim: Simulator | undefined;
  try {
    // Independent reads, at once: each is a git process this run would otherwise wait on in turn.
    const [simulator, baseTree, headTree, units] = await Promise.all([simulating, git.treeOf(base), git.treeOf(head), readWindow(git, base, windowOptions)]);
    sim = simulator;
    log.info(`window: ${plural(units.length, 'unit')} on ${base.slice(0, 12)}; ${sim.describe()}`);

    const landing = await simulateLanding(sim, git, base, head, baseTree, request.mergeMethod);
    const headGraph = landing.clean && !landing.empty ? headGraphOf(git, headTree, landing) : undefined;
    const prPaths = pathsOf(landing.changes);
    const revertables = units.map(revertable);
    const names = new Map<Revertable, Companion>(revertables.map((r, i) => [r, { commit: units[i]!.commit, name: units[i]!.name }]));
    const before = await statusesOn(sim, revertables, baseTree, (i) => revertables.slice(0, i), names);
    const reports: UnitReport[] = units.map((unit, i) => ({ unit, status: before[i]!, before: before[i]!, checks: [], irreversible: [] }));
    const landingRevertable: Revertable = { commit: head, tree: landing.tree, parentTree: baseTree, paths: [...new Set(prPaths)] };
    names.set(landingRevertable, { commit: head, name: 'this change', landing: true });

    const entangled: EntangledUnit[] = [];
    const soft: SoftDependency[] = [];
    if (landing.clean && !landing.empty) {
      entangled.push(...(await conflictsAfterLanding(sim, store, baseTree, landing, landingRevertable, revertables, before, reports, names)));
      soft.push(...(await softDependencies(headGraph!, landing, reports, entangled)));
    }
    const irreversible = irreversibleFiles(request.verify, [...new Set(prPaths)], request.labels);
    const checksRun = await checkSoftDependencies(deps, request, store, { base, tree: landing.tree }, reports, soft, entangled);
    const { problems, warnings } = prVerdict(request, base, landing, entangled, irreversible, soft);
    warnings.push(...mergeCrashWarnings(sim));

    log.info(describeSimulation({ merges: sim.mergeCount, exactReverts: sim.exactReverts, engine: sim.engine }));
    const { path: planPath, plan } = writeLandingPlan(request, { base, baseTree, head, landing, entangled, irreversible, createdAt: clock() });
    return {
      mode: 'pr',
      tip: base,
      tipTree: baseTree,
      head,
      mergeMethod: request.mergeMethod,
      landing,
      units: reports,
      entangled,
      soft,
      irreversible,
      rollbackReady: problems.length === 0,
      problems,
      warnings,
      entanglementMode: request.verify.entanglement,
      planPath,
      plan,
      engine: sim.engine,
      merges: sim.mergeCount,
      exactReverts: sim.exactReverts,
      deepened,
      window: { commits: windowOptions.commits, days: windowOptions.days },
      checksRun,
    };
  } finally {
    (sim ?? (await simulating.catch(() => undefined)))?.close();
    store.dispose();
  }
}

/** The line ranges (in `to`) a diff of one text file adds or rewrites; empty for a deleted or binary file. */
async function addedLineRanges(store: ScratchStore, from: string, to: string, file: string): Promise<LineRange[]> {
  const out = await store.run(['diff-tree', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--end-of-options', from, to, '--', file]);
  const ranges: LineRange[] = [];
  for (const match of out.stdout.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
    const start = Number(match[1]);
    const count = match[2] === undefined ? 1 : Number(match[2]);
    ranges.push(count === 0 ? { start: Math.max(1, start), end: Math.max(1, start) } : { start, end: start + count - 1 });
  }
  return ranges;
}

/** The change as it would land with `method` on `base`: its tree, or the conflicts. */
async function simulateLanding(sim: Simulator, git: Git, base: string, head: string, baseTree: string, method: MergeMethod): Promise<LandingResult> {
  const empty: LandingResult = { clean: true, empty: true, tree: baseTree, conflicts: [], commits: [], replayTrees: [], changes: [] };
  if (base === head || (await git.isAncestor(head, base))) return empty;
  let tree: string;
  let commits: string[] = [];
  const replayTrees: string[] = [];
  if (method === 'rebase') {
    const listed = await git.text(['rev-list', '--reverse', '--topo-order', '--no-merges', '--cherry-pick', '--right-only', '--end-of-options', `${base}...${head}`]);
    commits = listed.split('\n').filter(Boolean);
    const pickTrees = await readTrees(git, commits);
    const parentTrees = await readTrees(git, commits.map((c) => `${c}^`));
    tree = baseTree;
    for (const [index, commit] of commits.entries()) {
      const outcome = await sim.merge3(parentTrees[index]!, tree, pickTrees[index]!);
      if (!outcome.clean) return { ...empty, clean: false, empty: false, conflicts: outcome.conflicts, conflictAt: commit, commits };
      tree = outcome.tree;
      replayTrees.push(tree);
    }
  } else {
    const outcome = await sim.mergeCommits(base, head);
    if (!outcome.clean) return { ...empty, clean: false, empty: false, conflicts: outcome.conflicts, commits };
    tree = outcome.tree;
  }
  if (tree === baseTree) return { ...empty, commits };
  const changes = await diffChanges(git, baseTree, tree, sim.store.env);
  return { clean: true, empty: false, tree, conflicts: [], commits, replayTrees, changes };
}

function writeLandingPlan(
  request: VerifyRequest,
  found: { base: string; baseTree: string; head: string; landing: LandingResult; entangled: EntangledUnit[]; irreversible: IrreversibleFile[]; createdAt: Date },
): { path: string; plan: LandingPlan } {
  const { landing } = found;
  const method = request.mergeMethod;
  const steps: PlanStep[] = [];
  if (landing.clean && !landing.empty) {
    if (method === 'rebase') {
      // The replayed commits, reverted newest first: each step returns to the tree before that replay.
      for (let index = landing.commits.length - 1; index >= 0; index--) {
        steps.push({
          action: 'revert',
          commit: null,
          unit: `replay of ${landing.commits[index]!}`,
          mainline: null,
          expectedTree: index === 0 ? found.baseTree : landing.replayTrees[index - 1]!,
        });
      }
    } else {
      steps.push({ action: 'revert', commit: null, unit: 'this change', mainline: method === 'merge' ? 1 : null, expectedTree: found.baseTree });
    }
  }
  const plan: Omit<LandingPlan, 'seal'> = {
    schema: PLAN_SCHEMA,
    kind: 'landing',
    id: request.id,
    repository: request.repository ?? null,
    runUrl: request.runUrl ?? null,
    createdAt: found.createdAt.toISOString(),
    checkpoint: { commit: found.base, tree: found.baseTree },
    target: {
      head: found.head,
      base: found.base,
      mergeMethod: method,
      pullRequest: request.prNumber ?? null,
      tree: landing.tree,
      commits: method === 'rebase' ? landing.commits : [],
    },
    strategy: steps.length === 0 ? 'none' : method === 'squash' ? 'revert-squash' : method === 'merge' ? 'revert-merge' : 'revert-range',
    steps,
    expectedTree: found.baseTree,
    entangled: found.entangled.map((e) => ({ commit: e.unit.commit, unit: e.unit.name })),
    irreversible: found.irreversible.map((f) => ({ file: f.file, reason: f.reason })),
    verify: request.verify.commands.map((c): VerifyCommand => ({ ...c })),
  };
  return writePlan<LandingPlan>(request.planDir, planFileName('landing', request.id), plan);
}

// ---------------------------------------------------------------------------------------------
// drill mode

/** For each unit (newest first), the commit that undoes it exactly on the branch, if any (see RevertLedger). */
async function rolledBackUnits(repository: Git, store: ScratchStore, tip: string, units: readonly Unit[]): Promise<Array<UnitReport['rolledBackBy']>> {
  if (units.length === 0) return [];
  // The proofs write scratch trees and commits: into the scratch store, never the repository.
  const runner = spawnGitRunner();
  const git = new Git(repository.cwd, (args, options) => runner(args, { ...options, env: { ...store.env, ...options.env } }));
  const infos = new Map((await readCommits(git, units.map((u) => u.commit), { noWalk: true })).map((c) => [c.sha, c]));
  const oldest = infos.get(units[units.length - 1]!.commit);
  const ledger = await RevertLedger.read(git, tip, oldest?.parents[0]);
  const found: Array<UnitReport['rolledBackBy']> = [];
  for (const unit of units) {
    const commit = infos.get(unit.commit);
    const undo = commit ? await ledger.undoneBy(commit, commit.parents.length > 1 ? 1 : null) : null;
    found.push(undo ? { commit: undo.by.sha, subject: undo.by.subject, rollback: undo.rollback } : undefined);
  }
  return found;
}

/** Days since the tip's newest first-parent commit (for an empty window's advice). */
async function newestAgeDays(git: Git, tip: string, now: Date): Promise<number | undefined> {
  const date = (await git.test(['log', '-1', '--format=%cI', '--end-of-options', tip])).stdout.trim();
  const time = Date.parse(date);
  return Number.isNaN(time) ? undefined : Math.floor((now.getTime() - time) / 86_400_000);
}

async function drillWindow(deps: VerifyDeps, request: VerifyRequest): Promise<VerifyResult> {
  const { git, log, clock } = deps;
  const remote = request.remote ?? 'origin';
  const windowOptions = { commits: request.verify.window.commits, days: request.verify.window.days, now: clock() };
  const baseInput = request.base?.trim();
  const tip = baseInput
    ? await resolveInput(git, baseInput, 'base', remote)
    : request.eventHead && /^[0-9a-f]{40,64}$/.test(request.eventHead)
      ? request.eventHead
      : await git.requireCommit('HEAD', 'HEAD');
  const { deepened } = await ensureWindowHistory(git, tip, {
    ...windowOptions,
    log,
    refspecs: [tip],
    what: `the rollback window (the last ${windowOptions.commits} first-parent commits of ${tip.slice(0, 12)})`,
  });

  const store = await ScratchStore.create(git, deps.tempDir);
  let sim: Simulator | undefined;
  try {
    sim = await Simulator.create(store, deps.engine);
    const tipTree = await sim.treeOf(tip);
    const units = await readWindow(git, tip, windowOptions);
    log.info(`drill: ${plural(units.length, 'unit')} on ${tip.slice(0, 12)}; ${sim.describe()}`);
    const revertables = units.map(revertable);
    const names = new Map<Revertable, Companion>(revertables.map((r, i) => [r, { commit: units[i]!.commit, name: units[i]!.name }]));
    const statuses = await statusesOn(sim, revertables, tipTree, (i) => revertables.slice(0, i), names);
    const rolledBack = await rolledBackUnits(git, store, tip, units);
    const inverse = await mapLimit(units, CONCURRENCY, async (unit, i) =>
      statuses[i]!.revertible === 'alone' && !rolledBack[i] ? isExactInverse(store, unit, tipTree, statuses[i]!.tree!) : undefined,
    );
    const reports: UnitReport[] = units.map((unit, i) => ({
      unit,
      status: statuses[i]!,
      inverse: inverse[i],
      ...(rolledBack[i] ? { rolledBackBy: rolledBack[i] } : {}),
      checks: [],
      irreversible: irreversibleFiles(request.verify, unit.paths, [], unit.commit),
    }));

    let checksRun = false;
    if (request.runChecks && request.verify.commands.length > 0) {
      checksRun = true;
      await withWorktree(store, async (worktree) => {
        for (const report of reports) {
          if (!report.status.tree) continue;
          await worktree.checkout(report.status.tree, tip, `rollback-gate: roll back ${report.unit.name}`);
          log.info(`checks on the rollback of ${report.unit.name} (${report.unit.commit.slice(0, 12)})`);
          report.checks = await runChecks(worktree.dir, checkOptions(deps, request));
        }
      });
    }

    const problems: string[] = [];
    const warnings: string[] = [];
    const mode = request.verify.entanglement;
    const withLater = reports.filter((r) => r.status.revertible === 'with-later');
    const stuck = reports.filter((r) => r.status.revertible === 'no');
    const notInverse = reports.filter((r) => r.inverse === false);
    const failing = reports.filter((r) => r.checks.some((c) => !c.passed));
    if (withLater.length > 0) {
      (mode === 'fail' ? problems : warnings).push(`${plural(withLater.length, 'unit')} can only be rolled back together with later units`);
    }
    if (stuck.length > 0) problems.push(`${plural(stuck.length, 'unit')} cannot be rolled back`);
    if (notInverse.length > 0) problems.push(`${plural(notInverse.length, 'unit')} ${notInverse.length === 1 ? 'rolls' : 'roll'} back cleanly but not to the exact inverse of ${notInverse.length === 1 ? 'its' : 'their'} change`);
    if (failing.length > 0) problems.push(`the verify commands fail on the rollback of ${plural(failing.length, 'unit')}`);
    const irreversible = reports.flatMap((r) => r.irreversible);
    if (irreversible.length > 0) warnings.push(`${plural(irreversible.length, 'file')} in the window ${irreversible.length === 1 ? 'is' : 'are'} marked irreversible: rolling back their units needs manual steps`);
    warnings.push(...mergeCrashWarnings(sim));
    if (units.length === 0) warnings.push(`nothing was checked: the window (the last ${windowOptions.commits} first-parent commits within ${windowOptions.days} days) holds no unit`);

    const stepTrees = new Map<string, string[]>();
    for (const report of reports) {
      if (report.status.revertible !== 'with-later') continue;
      const chain = [...report.status.with.map((c) => revertables.find((r) => r.commit === c.commit)!), revertable(report.unit)];
      const trees: string[] = [];
      let tree = tipTree;
      for (const unit of chain) {
        tree = (await sim.revert(unit, tree)).tree; // already computed by the search: memoized
        trees.push(tree);
      }
      stepTrees.set(report.unit.commit, trees);
    }
    log.info(describeSimulation({ merges: sim.mergeCount, exactReverts: sim.exactReverts, engine: sim.engine }));
    const plan = writeWindowPlan(request, { tip, tipTree, reports, stepTrees, createdAt: clock() });
    return {
      mode: 'drill',
      tip,
      tipTree,
      units: reports,
      entangled: [],
      soft: [],
      irreversible,
      rollbackReady: problems.length === 0,
      problems,
      warnings,
      entanglementMode: mode,
      planPath: plan.path,
      plan: plan.plan,
      engine: sim.engine,
      merges: sim.mergeCount,
      exactReverts: sim.exactReverts,
      deepened,
      window: { commits: windowOptions.commits, days: windowOptions.days },
      checksRun,
      ...(units.length === 0 ? { newestAgeDays: await newestAgeDays(git, tip, windowOptions.now) } : {}),
    };
  } finally {
    sim?.close();
    store.dispose();
  }
}

function writeWindowPlan(
  request: VerifyRequest,
  found: { tip: string; tipTree: string; reports: UnitReport[]; stepTrees: ReadonlyMap<string, string[]>; createdAt: Date },
): { path: string; plan: WindowPlan } {
  const byCommit = new Map(found.reports.map((r) => [r.unit.commit, r.unit]));
  const plan: Omit<WindowPlan, 'seal'> = {
    schema: PLAN_SCHEMA,
    kind: 'window',
    id: request.id,
    repository: request.repository ?? null,
    runUrl: request.runUrl ?? null,
    createdAt: found.createdAt.toISOString(),
    tip: { commit: found.tip, tree: found.tipTree },
    units: found.reports.map((report) => {
      const chain = report.status.revertible === 'no' ? [] : [...report.status.with.map((c) => byCommit.get(c.commit)!), report.unit];
      return {
        commit: report.unit.commit,
        unit: report.unit.name,
        revertible: report.status.revertible,
        strategy: chain.length === 0 ? 'none' : unitStrategy(report.unit.merge, chain.length),
        steps: chain.map((unit, index) => ({
          action: 'revert' as const,
          commit: unit.commit,
          unit: unit.name,
          mainline: unit.merge ? (1 as const) : null,
          expectedTree: found.stepTrees.get(report.unit.commit)?.[index] ?? report.status.tree!,
        })),
        expectedTree: report.status.tree ?? null,
      };
    }),
    verify: request.verify.commands.map((c): VerifyCommand => ({ ...c })),
  };
  return writePlan<WindowPlan>(request.planDir, planFileName('window', request.id), plan);
}

// ---------------------------------------------------------------------------------------------
// checks

function checkOptions(deps: VerifyDeps, request: VerifyRequest) {
  return {
    commands: request.verify.commands,
    timeoutMinutes: request.verify.timeoutMinutes,
    maxTimeoutMs: request.maxCheckTimeoutMs,
    env: deps.env,
    log: deps.log,
    killGraceMs: 2000,
  };
}

/** One throwaway worktree for the run's checks, removed whatever happens. */
async function withWorktree(store: ScratchStore, use: (worktree: ThrowawayWorktree) => Promise<void>): Promise<void> {
  const worktree = await ThrowawayWorktree.create(store);
  try {
    await use(worktree);
  } finally {
    worktree.remove();
  }
}

/** What a merge git died on means for the verdict (see TreeMerger.crashedMerges). */
function mergeCrashWarnings(sim: Simulator): string[] {
  const crashed = sim.crashedMerges;
  if (crashed.length === 0) return [];
  return [
    `git merge-tree died on ${plural(crashed.length, 'merge')} (${crashed[0]}); ${crashed.length === 1 ? 'it was' : 'they were'} merged with a temporary index instead, without rename detection, so a rename there shows as a conflict: a newer git may answer it exactly`,
  ];
}
