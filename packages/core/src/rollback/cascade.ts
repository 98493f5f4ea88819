import { blastRadius, type ImportGraph } from '@rollback-gate/graph';
import { commitFiles, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { importGraphAt } from '../git/tree-files.js';
import type { CascadeEntry } from './rollback-report.js';

/**
 * The culprit's cascade: the later commits that DEPEND on it, each with its evidence.
 * - its hunks overlap or adjoin the culprit's (or an earlier cascade commit's): the revert would not apply without it;
 * - its added lines use a name the culprit (or an earlier cascade commit) added or changed: a declaration on a
 *   changed line, the top-level declaration enclosing a changed line, a new config key, or (in the same file or
 *   an importer of it) an identifier that was not in the file before;
 * - it changes a test that imports one of the culprit's files directly.
 * Every other later commit is listed as checked and independent, with the reason. Sharing a file is never
 * enough on its own: a commit that edits other hunks of a file the culprit changed is independent.
 */
export interface CascadeResult {
  cascade: CascadeEntry[];
  /** Later commits checked and found independent of the culprit, with the reason. */
  independent: CascadeEntry[];
  /** The files importing what the culprit changed, with the import chain (at the tip). */
  blastRadius: Array<{ file: string; chain: string[] }>;
}

interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  added: string[];
}

interface FileDiff {
  oldPath: string | null;
  newPath: string | null;
  hunks: Hunk[];
  binary: boolean;
}

/** A span of lines [start, end) in the file's current version, changed by `origin`. */
interface Span {
  start: number;
  end: number;
  origin: string;
}

interface Name {
  origin: string;
  file: string;
  /** Declared, or a config key: counts wherever it is used. Otherwise only in the same file or its importers. */
  declared: boolean;
}

const KEYWORDS = new Set(
  (
    'abstract any arguments as async await boolean break case catch class const constructor continue debugger declare default delete do else enum export exports extends false finally for from function get if implements import in instanceof interface keyof let module namespace never new null number object of package private protected public readonly require return set static string super switch symbol this throw true try type typeof undefined unknown var void while with yield ' +
    'def elif except lambda none pass raise self func println console process window document length prototype'
  ).split(' '),
);

const IDENT = /[A-Za-z_$][\w$]*/g;

function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  try {
    return JSON.parse(path) as string;
  } catch {
    return path.slice(1, -1);
  }
}

/** The commit's diff against its first parent (the empty tree for a root commit), with no context lines. */
async function commitDiff(git: Git, commit: CommitInfo): Promise<FileDiff[]> {
  const base = commit.parents[0] ?? (await git.text(['hash-object', '-t', 'tree', '/dev/null']));
  const { stdout } = await git.run(['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-renames', '-U0', base, commit.sha, '--']);
  const files: FileDiff[] = [];
  let file: FileDiff | undefined;
  let hunk: Hunk | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { oldPath: null, newPath: null, hunks: [], binary: false };
      hunk = undefined;
      files.push(file);
      // Fallback for files without ---/+++ lines (binary, mode-only): "diff --git a/x b/x".
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      if (m) {
        file.oldPath = unquote(m[1]!);
        file.newPath = unquote(m[2]!);
      }
      continue;
    }
    if (!file) continue;
    if (!hunk) {
      if (line.startsWith('--- ')) file.oldPath = line === '--- /dev/null' ? null : unquote(line.slice(4)).replace(/^a\//, '');
      else if (line.startsWith('+++ ')) file.newPath = line === '+++ /dev/null' ? null : unquote(line.slice(4)).replace(/^b\//, '');
      else if (line.startsWith('new file mode')) file.oldPath = null;
      else if (line.startsWith('deleted file mode')) file.newPath = null;
      else if (line.startsWith('Binary files')) file.binary = true;
    }
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h) {
      hunk = { oldStart: Number(h[1]), oldCount: h[2] === undefined ? 1 : Number(h[2]), newStart: Number(h[3]), newCount: h[4] === undefined ? 1 : Number(h[4]), added: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (hunk && line.startsWith('+')) hunk.added.push(line.slice(1));
  }
  return files;
}

async function blobText(git: Git, commit: string, path: string): Promise<string> {
  const result = await git.test(['cat-file', 'blob', `${commit}:${path}`]);
  return result.exitCode === 0 ? result.stdout : '';
}

/** Code without comments and string contents (for "new identifier" and declaration scans). */
function codeOnly(line: string): string {
  return line
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/(^|\s)(\/\/|#).*$/, ' ')
    .replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""');
}

/** Without comments, strings kept (a config key is often used as a string). */
function withoutComments(line: string): string {
  return line.replace(/\/\*.*?\*\//g, ' ').replace(/(^|\s)(\/\/|#).*$/, ' ');
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}

const isConfig = (path: string): boolean => /\.(json|ya?ml|toml|ini)$/i.test(path) || /(^|\/)\.env[^/]*$/.test(path);

/** Names a line declares: functions, classes, types, exports, method assignments; top-level variables. */
function declaredOn(line: string): string[] {
  const code = codeOnly(line);
  const names: string[] = [];
  const push = (n: string | undefined): void => {
    if (n && n.length >= 3 && !KEYWORDS.has(n.toLowerCase())) names.push(n);
  };
  for (const m of code.matchAll(/\b(?:function\*?|class|interface|type|enum|def|func)\s+([A-Za-z_$][\w$]*)/g)) push(m[1]);
  for (const m of code.matchAll(/\b(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/g)) push(m[1]);
  const method = /^\s*[A-Za-z_$][\w$]*\.(?:prototype\.)?([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function|\()/.exec(code);
  if (method) push(method[1]);
  if (indentOf(line) === 0 || /^\s*export\b/.test(code)) {
    for (const m of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)/g)) push(m[1]);
    const destructured = /\b(?:const|let|var)\s*\{([^}]*)\}/.exec(code);
    if (destructured) for (const m of destructured[1]!.matchAll(IDENT)) push(m[0]);
  }
  return names;
}

/** Keys a config line defines ("key": …, key: …, key = …). */
function configKeys(line: string): string[] {
  const m = /^\s*"([^"]+)"\s*:/.exec(line) ?? /^\s*-?\s*([A-Za-z_][\w.-]*)\s*[:=]/.exec(line);
  return m ? [m[1]!] : [];
}

function identifiers(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(IDENT)) if (m[0].length >= 3 && !KEYWORDS.has(m[0].toLowerCase())) out.add(m[0]);
  return out;
}

/** The names a commit added or changed in one file, read from its post-image (and the pre-image for "new"). */
async function namesOf(git: Git, commit: CommitInfo, diff: FileDiff): Promise<Array<{ name: string; declared: boolean }>> {
  if (!diff.newPath || diff.binary) return [];
  const path = diff.newPath;
  const found = new Map<string, boolean>();
  const add = (name: string, declared: boolean): void => {
    found.set(name, (found.get(name) ?? false) || declared);
  };
  const before = diff.oldPath ? await blobText(git, commit.parents[0] ?? '', diff.oldPath) : '';
  if (isConfig(path)) {
    const known = identifiers(before);
    // Only keys the commit added: a changed value of an existing key (a version bump) names nothing new.
    for (const h of diff.hunks) for (const line of h.added) for (const key of configKeys(line)) if (!known.has(key) && !before.includes(`"${key}"`)) add(key, true);
    return [...found].map(([name, declared]) => ({ name, declared }));
  }
  const after = (await blobText(git, commit.sha, path)).split('\n');
  const knownBefore = identifiers(before.split('\n').map(codeOnly).join('\n'));
  for (const h of diff.hunks) {
    for (const line of h.added) {
      for (const n of declaredOn(line)) add(n, true);
      // A new identifier (a field, a helper) counts where the file is visible: in it and its importers.
      if (diff.oldPath) for (const n of identifiers(codeOnly(line))) if (!knownBefore.has(n)) add(n, false);
    }
    // The top-level declaration enclosing each changed (indented) line: its behaviour changed.
    if (!diff.oldPath) continue; // a new file: its declarations are on its added lines
    const candidates = h.newCount > 0 ? Array.from({ length: h.newCount }, (_, k) => h.newStart + k) : [h.newStart, h.newStart + 1];
    for (const lineNo of candidates) {
      const own = after[lineNo - 1];
      if (own === undefined || own.trim() === '' || indentOf(own) === 0) continue;
      for (let i = lineNo - 2; i >= 0; i--) {
        const text = after[i]!;
        if (text.trim() === '' || indentOf(text) > 0) continue;
        if (!/^[})\]]/.test(text)) for (const n of declaredOn(text)) add(n, true);
        break;
      }
    }
  }
  return [...found].map(([name, declared]) => ({ name, declared }));
}

const isTest = (path: string): boolean => /(^|\/)(test|tests|__tests__|spec|specs)\//.test(path) || /\.(test|spec)\.[^/]+$/.test(path);

function oldSpan(h: Hunk): [number, number] {
  return h.oldCount > 0 ? [h.oldStart, h.oldStart + h.oldCount] : [h.oldStart + 1, h.oldStart + 1];
}

function newSpan(h: Hunk): [number, number] {
  return h.newCount > 0 ? [h.newStart, h.newStart + h.newCount] : [h.newStart + 1, h.newStart + 1];
}

/** Where line position `p` of the old version is in the new one (exact outside the commit's hunks). */
function mapPosition(hunks: readonly Hunk[], p: number): number {
  let delta = 0;
  for (const h of hunks) if (oldSpan(h)[1] <= p) delta += h.newCount - h.oldCount;
  return p + delta;
}

const lines = (start: number, end: number): string => (end - start <= 1 ? `line ${start}` : `lines ${start}–${end - 1}`);
const short = (sha: string): string => sha.slice(0, 12);

/** One piece of evidence that a commit depends on an earlier tracked commit (`origin`). */
export interface Evidence {
  origin: string;
  text: string;
}

/**
 * The changes of a set of tracked commits (a culprit and its cascade, or an agent's commits), followed
 * through the later history: where their lines are now, and the names they added or changed. A later
 * commit is checked against them (`evidence`); a dependent is tracked in turn (`absorb`), any other
 * commit only moves the tracked lines (`shift`). The evidence functions of the cascade and of
 * revert-agent, so both decide "depends on" alike.
 */
export class DependencyTracker {
  readonly spans = new Map<string, Span[]>();
  readonly names = new Map<string, Name>();
  private readonly diffs = new Map<string, Promise<FileDiff[]>>();
  private readonly visibleFrom: (file: string) => Set<string>;

  private constructor(
    private readonly git: Git,
    readonly graph: ImportGraph,
    /** How an origin is named in the evidence: "the culprit", "agent commit 1a2b…". */
    readonly label: (origin: string) => string,
    maxDepth: number,
  ) {
    this.visibleFrom = radiusCache(graph, maxDepth);
  }

  /** A tracker over the import graph at `tip`. */
  static async create(git: Git, tip: string, maxDepth: number, label: (origin: string) => string): Promise<DependencyTracker> {
    const { graph } = await importGraphAt(git, await git.treeOf(tip));
    return new DependencyTracker(git, graph, label, maxDepth);
  }

  /** The commit's diff against its first parent, read once. */
  diffOf(commit: CommitInfo): Promise<FileDiff[]> {
    let diff = this.diffs.get(commit.sha);
    if (!diff) this.diffs.set(commit.sha, (diff = commitDiff(this.git, commit)));
    return diff;
  }

  /** Tracks a commit's changed lines and the names it added or changed. */
  async absorb(commit: CommitInfo): Promise<void> {
    const { git, spans, names } = this;
    for (const d of await this.diffOf(commit)) {
      if (!d.newPath) continue;
      const list = spans.get(d.newPath) ?? [];
      for (const h of d.hunks) {
        const [start, end] = newSpan(h);
        list.push({ start, end, origin: commit.sha });
      }
      if (d.binary) list.push({ start: 0, end: Number.MAX_SAFE_INTEGER, origin: commit.sha });
      spans.set(d.newPath, list);
      for (const { name, declared } of await namesOf(git, commit, d)) {
        const known = names.get(name);
        if (!known || (declared && !known.declared)) names.set(name, { origin: commit.sha, file: d.newPath, declared });
      }
    }
  }

  /**
   * Why `commit` depends on the tracked commits: its hunks overlap or adjoin a tracked change (the
   * revert would not apply without it), or its added lines use a name a tracked commit added or changed.
   */
  async evidence(commit: CommitInfo): Promise<Evidence[]> {
    const { git, spans, names, label } = this;
    const diffs = await this.diffOf(commit);
    const evidence: Evidence[] = [];

    // 1. Hunks over or next to a tracked span.
    for (const d of diffs) {
      const path = d.oldPath ?? d.newPath!;
      const tracked = spans.get(path);
      if (!tracked || !d.oldPath) continue;
      const hit = (() => {
        if (d.binary) return { h: null, span: tracked[0]!, adjoin: false };
        for (const h of d.hunks) {
          const [s, e] = oldSpan(h);
          for (const span of tracked) if (s <= span.end && e >= span.start) return { h, span, adjoin: s === span.end || e === span.start };
        }
        return null;
      })();
      if (!hit) continue;
      const where = hit.h ? ` at ${lines(...oldSpan(hit.h))}` : '';
      evidence.push({
        origin: hit.span.origin,
        text:
          d.newPath === null
            ? `deletes ${path}, which ${label(hit.span.origin)} changed (its revert would not apply without this one)`
            : `changes ${path}${where}, ${hit.adjoin ? 'next to' : 'over'} ${label(hit.span.origin)}'s change at ${lines(hit.span.start, Math.max(hit.span.end, hit.span.start + 1))} (its revert would not apply without this one)`,
      });
      break;
    }

    // 2. Added lines using a name a tracked commit added or changed.
    const used = new Map<string, { name: string; file: string }[]>();
    for (const d of diffs) {
      if (!d.newPath || d.binary) continue;
      const tokens = new Set<string>();
      for (const h of d.hunks) for (const line of h.added) for (const m of withoutComments(line).matchAll(IDENT)) tokens.add(m[0]);
      for (const token of tokens) {
        const name = names.get(token);
        if (!name) continue;
        if (!name.declared && d.newPath !== name.file) {
          // An undeclared new identifier (a field) counts in an importer only as a member, and only when new there too.
          if (!this.visibleFrom(name.file).has(d.newPath)) continue;
          const t = token.replace(/\$/g, '\\$');
          if (!d.hunks.some((h) => h.added.some((l) => new RegExp(`\\.${t}\\b|\\b${t}\\s*:`).test(l)))) continue;
          const before = d.oldPath ? await blobText(git, commit.parents[0] ?? '', d.oldPath) : '';
          if (new RegExp(`(^|[^\\w$])${t}(?![\\w$])`).test(before)) continue;
        }
        const list = used.get(name.origin) ?? [];
        list.push({ name: token, file: d.newPath });
        used.set(name.origin, list);
      }
    }
    for (const [origin, uses] of used) {
      const byFile = new Map<string, string[]>();
      for (const u of uses) byFile.set(u.file, [...(byFile.get(u.file) ?? []), u.name]);
      for (const [file, ns] of byFile) {
        const definedIn = [...new Set(ns.map((n) => names.get(n)!.file))].join(', ');
        evidence.push({ origin, text: `uses ${ns.slice(0, 5).join(', ')}${ns.length > 5 ? ', …' : ''} in ${file}, which ${label(origin)} added or changed in ${definedIn}` });
      }
    }
    return evidence;
  }

  /** Moves the tracked spans through a commit's hunks (to the commit's version of each file). */
  async shift(commit: CommitInfo): Promise<void> {
    const { spans } = this;
    for (const d of await this.diffOf(commit)) {
      if (!d.oldPath) continue;
      const tracked = spans.get(d.oldPath);
      if (!tracked) continue;
      spans.delete(d.oldPath);
      if (!d.newPath) continue;
      spans.set(
        d.newPath,
        tracked.map((s) => ({ start: mapPosition(d.hunks, s.start), end: Math.max(mapPosition(d.hunks, s.start), mapPosition(d.hunks, s.end)), origin: s.origin })),
      );
    }
  }

  /** Why a commit with no evidence is independent of the tracked commits, in words. */
  async independence(commit: CommitInfo, radius: ReadonlyMap<string, string[]>, what: string): Promise<string> {
    const diffs = await this.diffOf(commit);
    const touchedTracked = diffs.filter((d) => d.oldPath && this.spans.has(d.oldPath));
    const importers = diffs.map((d) => d.newPath ?? d.oldPath!).filter((f) => radius.has(f));
    if (touchedTracked.length > 0) {
      const d = touchedTracked[0]!;
      const theirs = this.spans.get(d.oldPath!)!;
      return `changes ${d.oldPath}${d.hunks[0] ? ` at ${lines(...oldSpan(d.hunks[0]))}` : ''}, away from ${this.label(theirs[0]!.origin)}'s change${theirs.length > 1 ? 's' : ''} at ${theirs.map((s) => lines(s.start, Math.max(s.end, s.start + 1))).join(', ')}, and uses no name it added or changed: shares the file only`;
    }
    if (importers.length > 0) {
      const chain = radius.get(importers[0]!)!;
      return `changes ${importers[0]}, which imports ${what} through ${chain.join(' → ')} (→: imported by), but uses no name it added or changed`;
    }
    return `touches none of ${what === "the culprit's change" ? "the culprit's files" : 'its files'} nor their importers (${diffs.map((d) => d.newPath ?? d.oldPath).slice(0, 3).join(', ')}${diffs.length > 3 ? ', …' : ''})`;
  }
}

export async function findCascade(git: Git, culprit: CommitInfo, later: readonly CommitInfo[], tip: string, maxDepth: number): Promise<CascadeResult> {
  const tracker = await DependencyTracker.create(git, tip, maxDepth, (origin) => (origin === culprit.sha ? 'the culprit' : `cascade commit ${short(origin)}`));
  const { graph } = tracker;
  const culpritDiff = await tracker.diffOf(culprit);
  const culpritFiles = [...new Set(culpritDiff.flatMap((d) => [d.oldPath, d.newPath]).filter((p): p is string => p !== null))];
  const radius = new Map<string, string[]>();
  for (const entry of blastRadius(graph, culpritFiles, { maxDepth })) radius.set(entry.file, [...entry.chain]);
  await tracker.absorb(culprit);

  const testsOfCulprit = new Set<string>();
  for (const f of culpritFiles) for (const importer of graph.importers.get(f) ?? []) if (isTest(importer)) testsOfCulprit.add(importer);

  const cascade: CascadeEntry[] = [];
  const independent: CascadeEntry[] = [];
  for (const commit of later) {
    const diffs = await tracker.diffOf(commit);
    const evidence = (await tracker.evidence(commit)).map((e) => e.text);

    // 3. A test of the culprit's files, edited.
    for (const d of diffs) {
      if (d.newPath && testsOfCulprit.has(d.newPath)) {
        const target = culpritFiles.find((f) => (graph.importers.get(f) ?? []).includes(d.newPath!));
        evidence.push(`changes ${d.newPath}, a test that imports ${target} (a test of the culprit's files)`);
      }
    }

    if (evidence.length > 0) {
      cascade.push({ commit: commit.sha, reason: evidence.join('; ') });
      await tracker.shift(commit);
      await tracker.absorb(commit);
      continue;
    }
    independent.push({ commit: commit.sha, reason: await tracker.independence(commit, radius, "the culprit's change") });
    await tracker.shift(commit);
  }
  return { cascade, independent, blastRadius: [...radius].map(([file, chain]) => ({ file, chain })) };
}

/** The files that import `file` (within `maxDepth`), computed once per file. */
function radiusCache(graph: ImportGraph, maxDepth: number): (file: string) => Set<string> {
  const cache = new Map<string, Set<string>>();
  return (file) => {
    let set = cache.get(file);
    if (!set) {
      set = new Set(blastRadius(graph, [file], { maxDepth }).map((e) => e.file));
      cache.set(file, set);
    }
    return set;
  };
}

/** One step of widening the cascade when the checks fail on it. */
export interface WideningStep {
  /** `minimal` (the dependents only), `shared-files` (+ commits touching a file the minimal set changed), `file-level` (+ every commit touching the culprit's files or their importers, transitively). */
  step: 'minimal' | 'shared-files' | 'file-level';
  /** The commits this step added, with why. */
  added: CascadeEntry[];
  /** The checks on the rollback with this step's cascade: `conflict` when its reverts do not apply. */
  verification: 'passed' | 'failed' | 'conflict' | 'skipped';
  note: string | null;
}

export interface CascadeWidening {
  steps: WideningStep[];
  /** The step whose cascade made the checks pass; null when none did. */
  passedAt: WideningStep['step'] | null;
  /** The cascade of that step (the minimal one when none passed). */
  cascade: CascadeEntry[];
}

/**
 * The checks failed with the minimal cascade: widen it step by step and re-run the checks each time,
 * stopping at the first step that passes. `check` reverts the culprit and the given cascade and runs
 * the checks on the result. A step that adds nothing is skipped. The file-level set is the old rule:
 * every later commit touching a file the culprit changed or one importing it (within `radius`), and,
 * transitively, any later commit sharing a file with one already in the set.
 */
export async function widenCascade(
  git: Git,
  options: {
    culprit: CommitInfo;
    /** The later commits (oldest first) the cascade was chosen from. */
    later: readonly CommitInfo[];
    /** The minimal cascade, already checked and failing. */
    cascade: readonly CascadeEntry[];
    /** The files importing the culprit's files. */
    radius: readonly string[];
    check: (cascade: readonly CascadeEntry[]) => Promise<{ verification: 'passed' | 'failed' | 'conflict'; note: string | null }>;
  },
): Promise<CascadeWidening> {
  const { culprit, later } = options;
  const files = new Map<string, string[]>();
  const filesOf = async (c: CommitInfo): Promise<string[]> => {
    let list = files.get(c.sha);
    if (!list) files.set(c.sha, (list = await commitFiles(git, c)));
    return list;
  };
  const widening: CascadeWidening = { steps: [{ step: 'minimal', added: [], verification: 'failed', note: 'the checks failed with the dependents only' }], passedAt: null, cascade: [...options.cascade] };
  const chosen = new Set([culprit.sha, ...options.cascade.map((c) => c.commit)]);
  const label = (sha: string): string => (sha === culprit.sha ? 'the culprit' : `cascade commit ${short(sha)}`);
  let current = [...options.cascade];

  // Step 2: + the later commits touching a file the culprit or a minimal-cascade commit changed (not transitive).
  const owner = new Map<string, string>();
  for (const c of [culprit, ...later.filter((l) => chosen.has(l.sha))]) for (const f of await filesOf(c)) if (!owner.has(f)) owner.set(f, c.sha);
  const shared: CascadeEntry[] = [];
  for (const c of later) {
    if (chosen.has(c.sha)) continue;
    const hit = (await filesOf(c)).find((f) => owner.has(f));
    if (hit) shared.push({ commit: c.sha, reason: `widened (shared files): touches ${hit}, which ${label(owner.get(hit)!)} changed` });
  }
  // Step 3: the file-level set: the culprit's files and their importers, then every file of a commit in the set (transitive).
  const reached = new Map<string, string>();
  for (const f of await filesOf(culprit)) reached.set(f, 'the culprit changed it');
  for (const f of options.radius) if (!reached.has(f)) reached.set(f, "it imports the culprit's files");
  const fileLevel: CascadeEntry[] = [];
  const inSet = new Set([...chosen, ...shared.map((s) => s.commit)]);
  for (const c of later) {
    const own = await filesOf(c);
    const hit = own.find((f) => reached.has(f));
    if (inSet.has(c.sha) || hit) {
      if (!inSet.has(c.sha)) fileLevel.push({ commit: c.sha, reason: `widened (file-level): touches ${hit}: ${reached.get(hit!)}` });
      for (const f of own) if (!reached.has(f)) reached.set(f, `${short(c.sha)} in the file-level set changed it too`);
    }
  }

  const order = new Map(later.map((c, i) => [c.sha, i]));
  for (const [step, added] of [['shared-files', shared], ['file-level', fileLevel]] as const) {
    if (added.length === 0) {
      widening.steps.push({ step, added: [], verification: 'skipped', note: 'adds no commit' });
      continue;
    }
    current = [...current, ...added].sort((a, b) => (order.get(a.commit) ?? 0) - (order.get(b.commit) ?? 0));
    const result = await options.check(current);
    widening.steps.push({ step, added, verification: result.verification, note: result.note });
    if (result.verification === 'passed') {
      widening.passedAt = step;
      widening.cascade = current;
      break;
    }
  }
  return widening;
}
