import { blastRadius, type ImportGraph } from '@rollback-gate/graph';
import type { CommitInfo } from '../git/commits.js';
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

export async function findCascade(git: Git, culprit: CommitInfo, later: readonly CommitInfo[], tip: string, maxDepth: number): Promise<CascadeResult> {
  const culpritDiff = await commitDiff(git, culprit);
  const culpritFiles = [...new Set(culpritDiff.flatMap((d) => [d.oldPath, d.newPath]).filter((p): p is string => p !== null))];
  const { graph } = await importGraphAt(git, await git.treeOf(tip));
  const radius = new Map<string, string[]>();
  for (const entry of blastRadius(graph, culpritFiles, { maxDepth })) radius.set(entry.file, [...entry.chain]);
  const visibleFrom = radiusCache(graph, maxDepth);

  const label = (origin: string): string => (origin === culprit.sha ? 'the culprit' : `cascade commit ${short(origin)}`);
  const spans = new Map<string, Span[]>();
  const names = new Map<string, Name>();
  const absorb = async (commit: CommitInfo, diffs: readonly FileDiff[]): Promise<void> => {
    for (const d of diffs) {
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
  };
  await absorb(culprit, culpritDiff);

  const testsOfCulprit = new Set<string>();
  for (const f of culpritFiles) for (const importer of graph.importers.get(f) ?? []) if (isTest(importer)) testsOfCulprit.add(importer);

  const cascade: CascadeEntry[] = [];
  const independent: CascadeEntry[] = [];
  for (const commit of later) {
    const diffs = await commitDiff(git, commit);
    const evidence: string[] = [];

    // 1. Hunks over or next to a tracked span (culprit's or an earlier cascade commit's).
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
      evidence.push(
        d.newPath === null
          ? `deletes ${path}, which ${label(hit.span.origin)} changed (its revert would not apply without this one)`
          : `changes ${path}${where}, ${hit.adjoin ? 'next to' : 'over'} ${label(hit.span.origin)}'s change at ${lines(hit.span.start, Math.max(hit.span.end, hit.span.start + 1))} (its revert would not apply without this one)`,
      );
      break;
    }

    // 2. Added lines using a name the culprit (or a cascade commit) added or changed.
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
          if (!visibleFrom(name.file).has(d.newPath)) continue;
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
        evidence.push(`uses ${ns.slice(0, 5).join(', ')}${ns.length > 5 ? ', …' : ''} in ${file}, which ${label(origin)} added or changed in ${definedIn}`);
      }
    }

    // 3. A test of the culprit's files, edited.
    for (const d of diffs) {
      if (d.newPath && testsOfCulprit.has(d.newPath)) {
        const target = culpritFiles.find((f) => (graph.importers.get(f) ?? []).includes(d.newPath!));
        evidence.push(`changes ${d.newPath}, a test that imports ${target} (a test of the culprit's files)`);
      }
    }

    if (evidence.length > 0) {
      cascade.push({ commit: commit.sha, reason: evidence.join('; ') });
      await shift(diffs);
      await absorb(commit, diffs);
      continue;
    }

    // Independent: say why.
    const touchedTracked = diffs.filter((d) => d.oldPath && spans.has(d.oldPath));
    const importers = diffs.map((d) => d.newPath ?? d.oldPath!).filter((f) => radius.has(f));
    let reason: string;
    if (touchedTracked.length > 0) {
      const d = touchedTracked[0]!;
      const theirs = spans.get(d.oldPath!)!;
      reason = `changes ${d.oldPath}${d.hunks[0] ? ` at ${lines(...oldSpan(d.hunks[0]))}` : ''}, away from ${label(theirs[0]!.origin)}'s change${theirs.length > 1 ? 's' : ''} at ${theirs.map((s) => lines(s.start, Math.max(s.end, s.start + 1))).join(', ')}, and uses no name it added or changed: shares the file only`;
    } else if (importers.length > 0) {
      const chain = radius.get(importers[0]!)!;
      reason = `changes ${importers[0]}, which imports the culprit's change (${[...chain].reverse().join(' → ')}), but uses no name it added or changed`;
    } else {
      reason = `touches none of the culprit's files nor their importers (${diffs.map((d) => d.newPath ?? d.oldPath).slice(0, 3).join(', ')}${diffs.length > 3 ? ', …' : ''})`;
    }
    independent.push({ commit: commit.sha, reason });
    await shift(diffs);
  }
  return { cascade, independent, blastRadius: [...radius].map(([file, chain]) => ({ file, chain })) };

  /** Moves the tracked spans through a commit's hunks (to the commit's version of each file). */
  async function shift(diffs: readonly FileDiff[]): Promise<void> {
    for (const d of diffs) {
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
