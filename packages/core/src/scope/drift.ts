/**
 * The architecture drift report: every import of the tree that breaks `architecture.rules`, grouped
 * by the pull request or session that introduced it (blame on the import's line, then the PR number
 * of the commit or of the merge that brought it, or its `Session-Id:`), with the count at each of
 * the last checkpoints as a trend. It reads; it never reverts anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import type { Config } from '../config/config.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import { assertNotOption, type Git } from '../git/git.js';
import { TRAILERS, trailerValue } from '../git/protocol.js';
import { ensureHistory } from '../git/shallow.js';
import { importGraphAt } from '../git/tree-files.js';
import { importViolations, layerResolver, type ImportViolation } from './architecture.js';
import { plural } from '../output/markdown.js';

/** Who introduced a violation: a pull request, else a session, else only a commit is known. */
export interface Introducer {
  kind: 'pr' | 'session' | 'commit';
  /** `#12`, `session s1`, `commit 0123456789ab`. */
  label: string;
  pr?: number;
  sessionId?: string;
  /** The commit blame names for the line. */
  commit: string;
  /** The commit that carries the PR number or session: the commit itself, or the merge that brought it. */
  landedBy: string;
  subject: string;
  author: string;
  date: string;
}

export interface DriftViolation extends ImportViolation {
  introducedBy: Introducer;
}

export interface DriftGroup {
  introducedBy: Introducer;
  violations: DriftViolation[];
}

export interface DriftPoint {
  /** The checkpoint tag, or `HEAD` for now. */
  name: string;
  commit: string;
  date: string;
  count: number;
}

export interface DriftResult {
  head: string;
  total: number;
  /** Most violations first. */
  groups: DriftGroup[];
  /** The count at each of the last checkpoints (oldest first), then now. */
  trend: DriftPoint[];
  rules: number;
  /** Commits fetched to deepen a shallow clone (Infinity: unshallowed). */
  deepened: number;
}

export interface DriftRequest {
  config: Config;
  /** The commit to report on; default HEAD. */
  head?: string;
  remote?: string;
  /** How many of the latest checkpoints make the trend. */
  checkpoints?: number;
}

/** Builds the drift report of `head`'s tree. */
export async function driftReport(git: Git, log: Logger, request: DriftRequest): Promise<DriftResult> {
  const { config } = request;
  if (config.architecture.rules.length === 0) {
    throw new UserError(
      'the drift report has nothing to check: the config has no `architecture.rules`.',
      'Add rules such as `architecture: { rules: [{ from: silver, allow: [bronze] }] }` (layers as in scope.layers).',
    );
  }
  const headName = request.head?.trim() || 'HEAD';
  assertNotOption(headName, 'head');
  const head = await git.requireCommit(headName, 'head');
  const layerOf = layerResolver(config.scope.layers);

  log.info(`step: scanning the imports of ${head}`);
  const { graph } = await importGraphAt(git, await git.treeOf(head));
  const found = importViolations(graph, config, { layerOf });

  // Blame every violating line; a line blamed on a shallow clone's boundary commit is not known yet.
  const remote = request.remote ?? 'origin';
  let blamed = new Map<string, string>();
  const { deepened } = await ensureHistory(git, {
    remote,
    refspecs: /^[0-9a-f]{40,64}$/.test(headName) ? [head] : [],
    what: 'the commits that introduced each import',
    log,
    reachable: async () => {
      blamed = await blameLines(git, head, found);
      const boundary = await shallowBoundary(git);
      return ![...blamed.values()].some((sha) => boundary.has(sha));
    },
  });

  log.info(`step: naming who introduced ${plural(found.length, 'violation')}`);
  const introducers = new Introducers(git, head);
  const violations: DriftViolation[] = [];
  for (const v of found) {
    const commit = blamed.get(lineKey(v.file, v.line));
    if (!commit) throw new Error(`git blame named no commit for ${v.file}:${v.line}`);
    violations.push({ ...v, introducedBy: await introducers.of(commit) });
  }
  const byKey = new Map<string, DriftGroup>();
  for (const v of violations) {
    const key = `${v.introducedBy.kind}:${v.introducedBy.pr ?? v.introducedBy.sessionId ?? v.introducedBy.commit}`;
    const group = byKey.get(key) ?? { introducedBy: v.introducedBy, violations: [] };
    group.violations.push(v);
    byKey.set(key, group);
  }
  const groups = [...byKey.values()].sort(
    (a, b) => b.violations.length - a.violations.length || a.introducedBy.date.localeCompare(b.introducedBy.date),
  );

  const trend = await checkpointTrend(git, log, config, head, request.checkpoints ?? 5, remote, layerOf);
  const headTime = Number(await git.text(['log', '-1', '--format=%ct', head]));
  trend.push({ name: 'HEAD', commit: head, date: new Date(headTime * 1000).toISOString(), count: found.length });
  return { head, total: found.length, groups, trend, rules: config.architecture.rules.length, deepened };
}

function lineKey(file: string, line: number): string {
  return `${file}\0${line}`;
}

/** file:line -> the commit that last changed that line, one `git blame` per file. */
async function blameLines(git: Git, head: string, violations: readonly ImportViolation[]): Promise<Map<string, string>> {
  const linesByFile = new Map<string, Set<number>>();
  for (const v of violations) linesByFile.set(v.file, (linesByFile.get(v.file) ?? new Set()).add(v.line));
  const blamed = new Map<string, string>();
  for (const [file, lines] of linesByFile) {
    const ranges = [...lines].sort((a, b) => a - b).flatMap((n) => ['-L', `${n},${n}`]);
    // git blame (2.39) takes no --end-of-options; `head` is a full sha here, never user text.
    const out = await git.run(['blame', '--porcelain', ...ranges, head, '--', file]);
    for (const match of out.stdout.matchAll(/^([0-9a-f]{40,64}) \d+ (\d+)/gm)) blamed.set(lineKey(file, Number(match[2])), match[1]!);
  }
  return blamed;
}

/** The commits a shallow clone ends at (`.git/shallow`), empty in a full clone. */
async function shallowBoundary(git: Git): Promise<Set<string>> {
  const path = await git.text(['rev-parse', '--git-path', 'shallow']);
  const full = isAbsolute(path) ? path : resolve(git.cwd, path);
  return new Set(existsSync(full) ? readFileSync(full, 'utf8').split('\n').filter(Boolean) : []);
}

/** Names the PR or session of a commit, through the merge that brought it onto the first-parent line. */
class Introducers {
  private firstParents: Promise<string[]> | undefined;
  private readonly cache = new Map<string, Promise<Introducer>>();

  constructor(
    private readonly git: Git,
    private readonly head: string,
  ) {}

  of(commit: string): Promise<Introducer> {
    let known = this.cache.get(commit);
    if (!known) {
      known = this.resolve(commit);
      this.cache.set(commit, known);
    }
    return known;
  }

  private async resolve(sha: string): Promise<Introducer> {
    const [commit] = await readCommits(this.git, [sha], { maxCount: 1, newestFirst: true });
    if (!commit) throw new Error(`commit ${sha} could not be read`);
    const own = named(commit);
    if (own.pr !== undefined) return introducer(commit, commit, own);
    // Not a squash of a PR: the merge on the first-parent line that brought it in may name one.
    const landing = await this.landing(sha);
    if (landing && landing !== sha) {
      const [merge] = await readCommits(this.git, [landing], { maxCount: 1, newestFirst: true });
      if (merge) {
        const via = named(merge);
        if (via.pr !== undefined || (via.sessionId && !own.sessionId)) return introducer(commit, merge, { pr: via.pr, sessionId: own.sessionId ?? via.sessionId });
      }
    }
    return introducer(commit, commit, own);
  }

  /** The oldest first-parent commit of head that contains `sha` (itself when it is on that line). */
  private async landing(sha: string): Promise<string | undefined> {
    this.firstParents ??= this.git.text(['rev-list', '--first-parent', '--end-of-options', this.head]).then((t) => t.split('\n').filter(Boolean));
    const line = await this.firstParents;
    if (line.includes(sha)) return sha;
    const descendants = new Set((await this.git.text(['rev-list', '--ancestry-path', '--end-of-options', `${sha}..${this.head}`])).split('\n').filter(Boolean));
    for (let i = line.length - 1; i >= 0; i--) if (descendants.has(line[i]!)) return line[i];
    return undefined;
  }
}

function named(commit: CommitInfo): { pr?: number; sessionId?: string } {
  const merged = /^Merge pull request #(\d+)\b/.exec(commit.subject);
  const squashed = /\(#(\d+)\)\s*$/.exec(commit.subject);
  const pr = merged?.[1] ?? squashed?.[1];
  const sessionId = trailerValue(commit, TRAILERS.sessionId)?.trim() || undefined;
  return { pr: pr === undefined ? undefined : Number(pr), sessionId };
}

function introducer(commit: CommitInfo, landedBy: CommitInfo, ids: { pr?: number; sessionId?: string }): Introducer {
  const base = {
    commit: commit.sha,
    landedBy: landedBy.sha,
    subject: commit.subject,
    author: `${commit.authorName} <${commit.authorEmail}>`,
    date: commit.committerDate,
  };
  if (ids.pr !== undefined) return { ...base, kind: 'pr', label: `#${ids.pr}`, pr: ids.pr, sessionId: ids.sessionId };
  if (ids.sessionId) return { ...base, kind: 'session', label: `session ${ids.sessionId}`, sessionId: ids.sessionId };
  return { ...base, kind: 'commit', label: `commit ${commit.sha.slice(0, 12)}` };
}

/** The violation count at each of the last `limit` checkpoints that are in head's history, oldest first. */
async function checkpointTrend(
  git: Git,
  log: Logger,
  config: Config,
  head: string,
  limit: number,
  remote: string,
  layerOf: (path: string) => string[],
): Promise<DriftPoint[]> {
  const prefix = `refs/tags/${config.checkpoint.prefix}`;
  // A clone made by actions/checkout has no tags: fetch the checkpoints (best effort).
  await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+${prefix}*:${prefix}*`]);
  const listed = await git.text(['for-each-ref', '--sort=-creatordate', '--format=%(refname:strip=2)%09%(creatordate:unix)', prefix]);
  // The latest checkpoints in head's history; tags made in the same second are ordered by their commits' depth.
  const candidates: Array<{ name: string; commit: string; time: number; depth: number }> = [];
  for (const row of listed.split('\n').filter(Boolean)) {
    if (candidates.length >= limit) break;
    const [name = '', time = '0'] = row.split('\t');
    const commit = await git.resolveCommit(`refs/tags/${name}^{commit}`);
    if (!commit || !(await git.isAncestor(commit, head))) continue;
    const depth = Number(await git.text(['rev-list', '--count', '--end-of-options', commit]));
    candidates.push({ name, commit, time: Number(time), depth });
  }
  candidates.sort((a, b) => a.time - b.time || a.depth - b.depth);
  const points: DriftPoint[] = [];
  for (const c of candidates) {
    const { graph } = await importGraphAt(git, await git.treeOf(c.commit));
    points.push({ name: c.name, commit: c.commit, date: new Date(c.time * 1000).toISOString(), count: importViolations(graph, config, { layerOf }).length });
  }
  log.info(`step: trend over ${plural(points.length, 'checkpoint')}`);
  return points;
}
