/**
 * Rollbacks that start themselves: a red default branch (`workflow_run`) or an alert
 * (`repository_dispatch`) becomes a rollback target, or is declined with the reason. Guardrails
 * (config `triggers`): off unless enabled, a kill switch, a daily cap counted from the branch's own
 * rollback commits, one rollback at a time, the culprit's age and its opt-out trailer, and, for a
 * red branch, the failure confirmed on the failing head before anything is blamed (in the plan
 * phase only: no write token is there when the command runs).
 *
 * Git, the GitHub client, the clock and the logger are passed in; every decision is recorded in the
 * TriggerReport, taken or declined, with its reason.
 */
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import { parseIsoTime } from '../base/time.js';
import type { Config } from '../config/config.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { LOCK_PREFIX, ROLLBACK_BRANCH_PREFIX, TRAILERS, isRollbackCommit, trailerValue } from '../git/protocol.js';
import { GitHubApiError, type GitHubClient } from '../github/github.js';
import { ensureHistory } from '../git/shallow.js';
import { rollbackBranch } from '../rollback/branch.js';
import { assertNoPersistedCredential } from '../rollback/rollback.js';
import { blankRollbackReport, type FullRollbackReport } from '../rollback/rollback-report.js';
import { runChecks, ThrowawayWorktree } from '../sandbox/checks.js';
import { ScratchStore } from '../sandbox/scratch.js';
import { TRIGGER_EVENTS, type ConfirmRun, type TriggerDecision, type TriggerEvent, type TriggerReport, type TriggerVerdict } from './types.js';
import { isSafeTarget, untrustedText } from './untrusted.js';
import { plural } from '../output/markdown.js';

/** The value of `Rollback-Gate:` that opts a commit out of automatic rollback. */
export const NO_AUTO_REVERT = 'no-auto-revert';
/** The repository_dispatch event type rollback-gate answers. */
export const DISPATCH_TYPE = 'rollback-gate';
/** An alert's detected_at up to this far ahead of the clock is taken as clock skew, not as the future. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface TriggerDeps {
  git: Git;
  github: GitHubClient | undefined;
  clock: Clock;
  log: Logger;
  /** The environment the confirm runs start from (secrets are withheld from them), and the kill switch's fallback. */
  env: Record<string, string | undefined>;
}

export interface TriggerRequest {
  eventName: string;
  payload: Record<string, unknown>;
  owner: string | undefined;
  repo: string | undefined;
  remote: string;
  /** The branch rollbacks land on (the default branch unless told) and its tip now. */
  branch: string;
  tip: string;
  config: Config;
  /** `plan` or `all` (apply re-checks with recheckBeforeApply). */
  phase: 'plan' | 'all';
  tempDir: string;
  maxCommandTimeoutMs?: number;
}

export function isTriggerEvent(eventName: string): eventName is TriggerEvent {
  return (TRIGGER_EVENTS as readonly string[]).includes(eventName);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const short = (sha: string): string => sha.slice(0, 12);

/** Builds the report as the checks run; `stop` ends the evaluation with a verdict. */
class Trail {
  readonly report: TriggerReport;
  constructor(event: TriggerEvent, now: Date, delivery: 'pr' | 'direct', existing?: TriggerReport) {
    this.report = existing ?? {
      event,
      verdict: 'rollback',
      reason: '',
      decisions: [],
      target: null,
      strategy: null,
      range: null,
      failingRun: null,
      alert: null,
      confirm: null,
      culprits: [],
      detectedAt: now.toISOString(),
      delivery,
    };
  }
  ok(check: string, reason: string): void {
    this.report.decisions.push({ check, result: 'ok', reason });
  }
  note(check: string, reason: string): void {
    this.report.decisions.push({ check, result: 'note', reason });
  }
  stop(check: string, verdict: Exclude<TriggerVerdict, 'rollback'>, reason: string): TriggerReport {
    this.report.decisions.push({ check, result: verdict, reason });
    this.report.verdict = verdict;
    this.report.reason = reason;
    return this.report;
  }
  go(reason: string): TriggerReport {
    this.report.verdict = 'rollback';
    this.report.reason = reason;
    return this.report;
  }
}

/** Turns a workflow_run or repository_dispatch event into a rollback target, or says why not. */
export async function evaluateTrigger(deps: TriggerDeps, request: TriggerRequest): Promise<TriggerReport> {
  const { config } = request;
  const event = request.eventName as TriggerEvent;
  const trail = new Trail(event, deps.clock(), config.triggers.delivery);
  if (!config.triggers.enabled) {
    return trail.stop('enabled', 'ignored', 'triggers are off: set `triggers.enabled: true` in the config to let a red branch or an alert start a rollback.');
  }
  trail.ok('enabled', 'triggers.enabled is true');
  trail.note('delivery', config.triggers.delivery === 'direct' ? 'delivery `direct` (config triggers.delivery): the rollback is pushed to the branch' : 'delivery as a pull request (the default; `triggers.delivery: direct` pushes instead)');
  const stopped = event === 'workflow_run' ? await filterWorkflowRun(trail, request) : filterDispatch(trail, request, deps.clock());
  if (stopped) return stopped;
  const guarded = await guardrails(trail, deps, request);
  if (guarded) return guarded;
  if (event === 'repository_dispatch') return dispatchTarget(trail, deps, request);
  return workflowRunTarget(trail, deps, request);
}

// ---------------------------------------------------------------------------------------------
// The event: is it ours?

async function filterWorkflowRun(trail: Trail, request: TriggerRequest): Promise<TriggerReport | undefined> {
  const payload = request.payload;
  const run = obj(payload.workflow_run);
  const workflow = obj(payload.workflow);
  const path = str(run.path) ?? str(workflow.path) ?? '';
  const name = str(run.name) ?? str(workflow.name) ?? '';
  const headSha = str(run.head_sha) ?? '';
  const startedAt = str(run.run_started_at) ?? str(run.created_at) ?? null;
  trail.report.failingRun = {
    id: typeof run.id === 'number' ? run.id : null,
    url: untrustedText(run.html_url),
    headSha,
    workflow: untrustedText(path || name) ?? '',
    startedAt,
  };
  if (payload.action !== 'completed') return trail.stop('event', 'ignored', `workflow_run ${JSON.stringify(untrustedText(payload.action) ?? '')}: only a completed run is judged.`);
  if (run.conclusion !== 'failure') return trail.stop('event', 'ignored', `the run's conclusion is ${JSON.stringify(untrustedText(run.conclusion) ?? null)}, not failure: nothing to roll back.`);
  trail.ok('event', 'workflow_run completed with conclusion failure');
  const wanted = request.config.triggers.workflow;
  if (wanted) {
    const file = path.split('/').pop() ?? '';
    if (![path, file, name].includes(wanted)) {
      return trail.stop('workflow', 'ignored', `the run is of workflow ${JSON.stringify(untrustedText(path || name) ?? '')}, not the configured CI workflow ${JSON.stringify(wanted)} (triggers.workflow).`);
    }
    trail.ok('workflow', `the configured CI workflow ${JSON.stringify(wanted)}`);
  } else {
    trail.note('workflow', `no triggers.workflow configured: the run's workflow ${JSON.stringify(untrustedText(path || name) ?? '')} is taken as the CI workflow`);
  }
  const branch = str(run.head_branch) ?? '';
  if (branch !== request.branch) {
    return trail.stop('branch', 'ignored', `the run is for branch ${JSON.stringify(untrustedText(branch) ?? '')}, not ${request.branch}: only the default branch going red starts a rollback.`);
  }
  trail.ok('branch', `the run is for ${request.branch}`);
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(headSha)) return trail.stop('tip', 'refused', `the run's head_sha ${JSON.stringify(untrustedText(headSha) ?? '')} is not a commit id.`);
  if (headSha !== request.tip) {
    return trail.stop('tip', 'ignored', `the failing run's head ${short(headSha)} is no longer the tip of ${request.branch} (now ${short(request.tip)}): a run on the new tip will judge it.`);
  }
  trail.ok('tip', `the failing head ${short(headSha)} is the tip of ${request.branch}`);
  if (startedAt) {
    try {
      trail.report.detectedAt = parseIsoTime(startedAt, 'run_started_at').toISOString();
      trail.note('detected-at', `detected when the failing run started (${trail.report.detectedAt})`);
    } catch {
      trail.note('detected-at', `the run's start ${JSON.stringify(untrustedText(startedAt))} is not a time; the run's own time is used`);
    }
  }
  return undefined;
}

function filterDispatch(trail: Trail, request: TriggerRequest, now: Date): TriggerReport | undefined {
  const payload = request.payload;
  const type = untrustedText(payload.action) ?? '';
  const client = obj(payload.client_payload);
  const alert = {
    reason: untrustedText(client.reason),
    source: untrustedText(client.source),
    severity: untrustedText(client.severity, 40),
    target: client.target === undefined || client.target === null || client.target === '' ? null : untrustedText(String(client.target)),
    detectedAt: untrustedText(client.detected_at, 60),
  };
  trail.report.alert = alert;
  if (type !== DISPATCH_TYPE) return trail.stop('event', 'ignored', `repository_dispatch of type ${JSON.stringify(type)}, not ${JSON.stringify(DISPATCH_TYPE)}.`);
  trail.ok('event', `repository_dispatch ${DISPATCH_TYPE} from ${JSON.stringify(alert.source ?? 'an unnamed source')}${alert.severity ? `, severity ${JSON.stringify(alert.severity)}` : ''}: ${JSON.stringify(alert.reason ?? 'no reason given')}`);
  if (!alert.reason) trail.note('reason', 'the alert gives no `reason`');
  const raw = client.detected_at;
  if (raw !== undefined && raw !== null && raw !== '') {
    let at: Date | undefined;
    try {
      at = parseIsoTime(String(raw), 'detected_at');
    } catch {
      trail.note('detected-at', `ignored detected_at ${JSON.stringify(alert.detectedAt)}: not an ISO 8601 time with a zone; the run's time (${trail.report.detectedAt}) is used`);
    }
    if (at && at.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      trail.note('detected-at', `ignored detected_at ${at.toISOString()}: it is in the future; the run's time (${trail.report.detectedAt}) is used`);
    } else if (at) {
      trail.report.detectedAt = at.toISOString();
      trail.note('detected-at', `detected at ${trail.report.detectedAt} (the alert's detected_at)`);
    }
  } else {
    trail.note('detected-at', `the alert gives no detected_at; the run's time (${trail.report.detectedAt}) is used`);
  }
  if (client.target !== undefined && client.target !== null && client.target !== '') {
    if (typeof client.target !== 'string' && typeof client.target !== 'number') {
      return trail.stop('target', 'refused', 'the alert\'s target is not a string; nothing was rolled back.');
    }
    const target = String(client.target).trim();
    if (!isSafeTarget(target)) {
      return trail.stop('target', 'refused', `the alert's target ${JSON.stringify(alert.target)} is not a commit, PR number, session id, checkpoint tag or range (letters, digits and ._/- only, at most 100 characters); nothing was rolled back.`);
    }
    trail.report.target = target;
    trail.report.strategy = 'auto';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Guardrails before anything is run: kill switch, cap, one at a time.

const TRUTHY = /^\s*(true|1|yes|on|paused)\s*$/i;

async function guardrails(trail: Trail, deps: TriggerDeps, request: TriggerRequest): Promise<TriggerReport | undefined> {
  const paused = await killSwitch(trail, deps, request);
  if (paused) return paused;
  const capped = await dailyCap(trail, deps, request);
  if (capped) return capped;
  return busy(trail, deps, request);
}

/**
 * phase apply of a rollback a trigger started: the kill switch and the cap are read again (a person
 * may have paused rollbacks while the plan waited for approval); the decisions join the plan's.
 */
export async function recheckBeforeApply(
  deps: TriggerDeps,
  request: Pick<TriggerRequest, 'owner' | 'repo' | 'remote' | 'tip' | 'config'>,
  report: TriggerReport,
): Promise<TriggerReport | undefined> {
  const trail = new Trail(report.event, deps.clock(), report.delivery, report);
  trail.note('apply', 'apply re-reads the kill switch and the cap before it pushes');
  return (await killSwitch(trail, deps, request)) ?? (await dailyCap(trail, deps, request));
}

/** The repository variable (REST, or the job's environment) or an open issue with the pause label. */
async function killSwitch(trail: Trail, deps: TriggerDeps, request: Pick<TriggerRequest, 'owner' | 'repo' | 'config'>): Promise<TriggerReport | undefined> {
  const { pauseVariable, pauseLabel } = request.config.triggers;
  const { github } = deps;
  if (!github || !request.owner || !request.repo) {
    return trail.stop('kill-switch', 'declined', 'no token: the kill switch (a repository variable, an issue with the pause label) cannot be read, so nothing starts automatically. Give `token`.');
  }
  let variable: string | undefined;
  try {
    const response = await github.request<{ value?: string }>('GET', '/repos/{owner}/{repo}/actions/variables/{name}', { owner: request.owner, repo: request.repo, name: pauseVariable }, undefined, { permission: 'variables: read' });
    variable = response.data.value;
    trail.note('kill-switch', `repository variable ${pauseVariable} is ${JSON.stringify(untrustedText(variable ?? '') ?? '')} (REST)`);
  } catch (error) {
    if (!(error instanceof GitHubApiError) || ![403, 404].includes(error.status)) throw error;
    if (error.status === 404) trail.note('kill-switch', `repository variable ${pauseVariable} is not set (REST 404)`);
    else trail.note('kill-switch', `the token cannot read repository variables (REST 403; GITHUB_TOKEN never can): read ${pauseVariable} from the job's environment (\`env: ${pauseVariable}: \${{ vars.${pauseVariable} }}\`)`);
  }
  const fromEnv = deps.env[pauseVariable];
  if (TRUTHY.test(variable ?? '') || TRUTHY.test(fromEnv ?? '')) {
    return trail.stop('kill-switch', 'declined', `the kill switch is on: the repository variable ${pauseVariable} is ${JSON.stringify(untrustedText(TRUTHY.test(variable ?? '') ? variable : fromEnv))}. Nothing starts automatically until it is unset or false.`);
  }
  let issues: Array<{ number: number; title?: string; pull_request?: unknown }>;
  try {
    const response = await github.request<Array<{ number: number; title?: string; pull_request?: unknown }>>(
      'GET',
      '/repos/{owner}/{repo}/issues',
      { owner: request.owner, repo: request.repo, labels: pauseLabel, state: 'open', per_page: 10 },
      undefined,
      { permission: 'issues: read' },
    );
    issues = response.data.filter((i) => !i.pull_request);
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error;
    return trail.stop('kill-switch', 'declined', `the kill switch cannot be read: listing the open issues labelled ${JSON.stringify(pauseLabel)} failed with ${error.status}. Nothing starts while it cannot be checked: grant \`issues: read\`.`);
  }
  if (issues.length > 0) {
    const issue = issues[0]!;
    return trail.stop('kill-switch', 'declined', `the kill switch is on: issue #${issue.number} ${JSON.stringify(untrustedText(issue.title ?? '') ?? '')} is open with the label ${JSON.stringify(pauseLabel)}. Close it (or remove the label) to let rollbacks start again.`);
  }
  trail.ok('kill-switch', `off: ${pauseVariable} is not true and no open issue carries ${JSON.stringify(pauseLabel)}`);
  return undefined;
}

interface PullItem {
  number: number;
  merged_at?: string | null;
  updated_at?: string;
  head?: { ref?: string; repo?: { full_name?: string } | null };
}

/** At most this many pages of 100 closed pull requests are read for the cap (sorted by update, newest first). */
const CAP_PULL_PAGES = 5;

/**
 * Rollback pull requests of this repository merged in the last 24 hours (head branch `rollback/<id>`),
 * keyed by the rollback's id: a squash merge that dropped the `Rollback-Of:` trailer is still one.
 * A string when the list cannot be read (the reason).
 */
async function mergedRollbackPulls(trail: Trail, deps: TriggerDeps, request: Pick<TriggerRequest, 'owner' | 'repo'>, since: number): Promise<Map<string, string> | string> {
  const found = new Map<string, string>();
  const { github } = deps;
  if (!github || !request.owner || !request.repo) return found;
  const self = `${request.owner}/${request.repo}`.toLowerCase();
  for (let page = 1; page <= CAP_PULL_PAGES; page++) {
    let pulls: PullItem[];
    try {
      const response = await github.request<PullItem[]>(
        'GET',
        '/repos/{owner}/{repo}/pulls',
        { owner: request.owner, repo: request.repo, state: 'closed', sort: 'updated', direction: 'desc', per_page: 100, page },
        undefined,
        { permission: 'pull-requests: read' },
      );
      pulls = Array.isArray(response.data) ? response.data : [];
    } catch (error) {
      if (!(error instanceof GitHubApiError)) throw error;
      return `listing the closed pull requests failed with ${error.status}, so a rollback pull request merged without its trailer could be missed. Nothing starts while the cap cannot be counted: grant \`pull-requests: read\`.`;
    }
    for (const pull of pulls) {
      const ref = pull.head?.ref ?? '';
      const merged = pull.merged_at ? Date.parse(pull.merged_at) : Number.NaN;
      if (!(merged >= since) || !ref.startsWith(ROLLBACK_BRANCH_PREFIX)) continue;
      if ((pull.head?.repo?.full_name ?? '').toLowerCase() !== self) continue; // a fork's branch is not ours
      const id = ref.slice(ROLLBACK_BRANCH_PREFIX.length);
      if (!found.has(id)) found.set(id, `#${pull.number} ${untrustedText(ref, 80) ?? ''} (merged)`);
    }
    // Sorted by update: a pull request merged within the day was updated within it.
    if (pulls.length < 100 || pulls.some((p) => p.updated_at && Date.parse(p.updated_at) < since)) return found;
  }
  trail.note('cap', `more than ${CAP_PULL_PAGES * 100} pull requests were closed or updated in the last 24 hours: only the ${CAP_PULL_PAGES * 100} updated last were read for merged rollback pull requests`);
  return found;
}

/**
 * Rollbacks of the last 24 hours, from the record, not memory: rollback commits on the branch, pending
 * rollback branches, and merged rollback pull requests (a squash merge may drop the trailers), each
 * rollback counted once (by its id: the `Rollback-Of:` value, the branch's `rollback/<id>`).
 */
async function dailyCap(trail: Trail, deps: TriggerDeps, request: Pick<TriggerRequest, 'owner' | 'repo' | 'remote' | 'tip' | 'config'>): Promise<TriggerReport | undefined> {
  const { git } = deps;
  const since = deps.clock().getTime() - 24 * 3_600_000;
  const recent = (c: CommitInfo): boolean => Date.parse(c.committerDate) >= since && isRollbackCommit(c);
  // Not first-parent only: a rollback PR merged with a merge commit brings the rollback commit in as its second parent.
  const landed = (await readCommits(git, [request.tip], { newestFirst: true, maxCount: 500 })).filter(recent);
  const counted = new Map<string, string>();
  for (const c of landed) counted.set(trailerValue(c, TRAILERS.rollbackOf) ?? c.sha, `${short(c.sha)} on the branch`);
  const branches = await git.lsRemote(request.remote, [`refs/heads/${ROLLBACK_BRANCH_PREFIX}*`]);
  if (branches.size > 0) {
    await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', request.remote, `+refs/heads/${ROLLBACK_BRANCH_PREFIX}*:refs/remotes/${request.remote}/${ROLLBACK_BRANCH_PREFIX}*`]);
    for (const [ref, sha] of branches) {
      if (await git.isAncestor(sha, request.tip)) continue;
      const [head] = await readCommits(git, [sha], { newestFirst: true, maxCount: 1 });
      if (head && recent(head)) {
        const of = trailerValue(head, TRAILERS.rollbackOf) ?? head.sha;
        if (!counted.has(of)) counted.set(of, `${ref.replace(/^refs\/heads\//, '')} (pending)`);
      }
    }
  }
  const pulls = await mergedRollbackPulls(trail, deps, request, since);
  if (typeof pulls === 'string') return trail.stop('cap', 'declined', `the cap cannot be counted: ${pulls}`);
  for (const [id, label] of pulls) if (!counted.has(id)) counted.set(id, label);
  const max = request.config.triggers.maxPerDay;
  const list = [...counted.values()].slice(0, 10).join(', ');
  if (counted.size >= max) {
    return trail.stop('cap', 'declined', `the cap is reached: ${plural(counted.size, 'rollback')} in the last 24 hours (${list}), at most ${max} a day (triggers.max-per-day). Roll back by hand if it must be done.`);
  }
  trail.ok('cap', `${plural(counted.size, 'rollback')} in the last 24 hours${list ? ` (${list})` : ''}, below ${max} a day`);
  return undefined;
}

/** Never two at once: another run's rollback lock, unless it is older than the lock timeout (then it is taken over). */
async function busy(trail: Trail, deps: TriggerDeps, request: TriggerRequest): Promise<TriggerReport | undefined> {
  const { git } = deps;
  const locks = await git.lsRemote(request.remote, [`${LOCK_PREFIX}*`]);
  for (const [ref, sha] of locks) {
    await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', request.remote, ref]);
    const [lock] = await readCommits(git, [sha], { newestFirst: true, maxCount: 1 });
    const ageMinutes = lock ? (deps.clock().getTime() - Date.parse(lock.committerDate)) / 60_000 : Number.POSITIVE_INFINITY;
    if (ageMinutes < request.config.rollback.lockTimeoutMinutes) {
      return trail.stop('lock', 'declined', `another rollback is running (${ref}, taken ${plural(Math.round(ageMinutes), 'minute')} ago): never two at once. Its outcome decides; a later red run or alert will be judged on the new tip.`);
    }
    trail.note('lock', `${ref} is older than rollback.lock-timeout-minutes: left by a killed run, it will be taken over`);
  }
  trail.ok('lock', locks.size === 0 ? 'no other rollback is running' : 'only stale locks');
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The target

/** An alert: its target, or the newest landed unit on the branch (not a rollback or a record). */
async function dispatchTarget(trail: Trail, deps: TriggerDeps, request: TriggerRequest): Promise<TriggerReport> {
  if (trail.report.target) return trail.go(`the alert names the target ${JSON.stringify(trail.report.target)}`);
  const history = await readCommits(deps.git, [request.tip], { firstParent: true, newestFirst: true, maxCount: 200 });
  const ours = (c: CommitInfo): boolean => isRollbackCommit(c) || trailerValue(c, TRAILERS.postmortemId) !== undefined;
  let newest: CommitInfo | undefined;
  for (const c of history) {
    if (ours(c)) continue;
    // A merged rollback or record PR: its merge commit is ours too.
    const merged = c.parents[1] ? (await readCommits(deps.git, [c.parents[1]], { newestFirst: true, maxCount: 1 }))[0] : undefined;
    if (merged && ours(merged)) continue;
    newest = c;
    break;
  }
  if (!newest || newest.parents.length === 0) {
    return trail.stop('target', 'declined', `no landed unit to roll back on ${request.branch}: its newest commits are rollbacks or records, or the root commit.`);
  }
  const skipped = history.indexOf(newest);
  trail.report.target = newest.sha;
  trail.report.strategy = 'auto';
  return trail.go(`no target in the alert: the newest landed unit on ${request.branch}, ${short(newest.sha)} ${JSON.stringify(untrustedText(newest.subject) ?? '')}${skipped > 0 ? ` (${plural(skipped, 'newer rollback or record commit')} passed over)` : ''}`);
}

interface WorkflowRunItem {
  id: number;
  head_sha: string;
  html_url?: string;
  created_at?: string;
}

/** The newest green run (bounded by `lookback`) whose commit the failing head contains. */
async function lastGreen(trail: Trail, deps: TriggerDeps, request: TriggerRequest, failingHead: string): Promise<{ sha: string; run: WorkflowRunItem } | TriggerReport> {
  const { github } = deps;
  const workflowId = obj(request.payload.workflow_run).workflow_id ?? obj(request.payload.workflow).id;
  if (!github || !request.owner || !request.repo) return trail.stop('range', 'refused', 'no token: the CI workflow\'s runs cannot be listed, so the last green commit is unknown. Give `token` (`actions: read`).');
  if (typeof workflowId !== 'number' && typeof workflowId !== 'string') return trail.stop('range', 'refused', 'the workflow_run event names no workflow_id.');
  const lookback = request.config.triggers.lookback;
  const perPage = Math.min(100, lookback);
  let seen = 0;
  for (let page = 1; seen < lookback; page++) {
    let runs: WorkflowRunItem[];
    try {
      const response = await github.request<{ total_count: number; workflow_runs: WorkflowRunItem[] }>(
        'GET',
        '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
        { owner: request.owner, repo: request.repo, workflow_id: workflowId, branch: request.branch, status: 'success', per_page: perPage, page },
        undefined,
        { permission: 'actions: read' },
      );
      runs = response.data.workflow_runs ?? [];
    } catch (error) {
      if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404)) {
        return trail.stop('range', 'refused', `listing the CI workflow's green runs failed with ${error.status}, so the last green commit is unknown and the range would be unbounded. Grant \`actions: read\` to the job's token.`);
      }
      throw error;
    }
    for (const run of runs.slice(0, lookback - seen)) {
      seen++;
      if (typeof run.head_sha !== 'string' || !(await deps.git.objectExists(run.head_sha))) continue;
      if (await deps.git.isAncestor(run.head_sha, failingHead)) return { sha: run.head_sha, run };
    }
    if (runs.length < perPage) break;
  }
  return trail.stop('range', 'refused', `no green run of the CI workflow on ${request.branch} within the last ${lookback} (triggers.lookback) is an ancestor of the failing head: the suspect range would be unbounded, so nothing is blamed.`);
}

async function workflowRunTarget(trail: Trail, deps: TriggerDeps, request: TriggerRequest): Promise<TriggerReport> {
  const head = trail.report.failingRun!.headSha;
  const green = await lastGreen(trail, deps, request, head);
  if (!('sha' in green)) return green;
  const units = await readCommits(deps.git, [`${green.sha}..${head}`], { firstParent: true });
  trail.report.range = { good: green.sha, bad: head, units: units.map((u) => u.sha) };
  if (units.length === 0) {
    return trail.stop('range', 'declined', `the failing head ${short(head)} passed in run ${green.run.id}: the same commit was green, so the failure is not the code's (flaky or the environment). Nothing is rolled back.`);
  }
  trail.ok('range', `last green ${short(green.sha)} (run ${green.run.id}) .. failing head ${short(head)}: ${plural(units.length, 'landed unit')}`);
  if (request.phase !== 'plan') {
    throw new UserError(
      'a red-branch trigger confirms the failure (and bisects) by running the bisect command, which happens only in `phase: plan`, where no write token is.',
      'Split the job: a plan job (`phase: plan`, `contents: read`) and an apply job (`phase: apply`) in an Environment with required reviewers; see examples/workflows/auto-rollback.yml.',
    );
  }
  const confirmed = await confirm(trail, deps, request, head);
  if (confirmed) return confirmed;
  if (units.length === 1) {
    trail.report.target = units[0]!.sha;
    trail.report.strategy = 'auto';
    return trail.go(`one landed unit since the last green run: ${short(units[0]!.sha)} ${JSON.stringify(untrustedText(units[0]!.subject) ?? '')} is reverted`);
  }
  trail.report.target = `${green.sha}..${head}`;
  trail.report.strategy = 'bisect';
  return trail.go(`${units.length} landed units since the last green run: bisected with triggers.bisect-command`);
}

/** Runs the bisect command on the failing head `confirm` times in a throwaway worktree; a pass means flaky. */
async function confirm(trail: Trail, deps: TriggerDeps, request: TriggerRequest, head: string): Promise<TriggerReport | undefined> {
  const command = request.config.triggers.bisectCommand;
  const times = request.config.triggers.confirm;
  if (!command) {
    trail.report.confirm = { command: '', runs: [], result: 'not-run' };
    return trail.stop('confirm', 'declined', 'the failure cannot be confirmed: no `triggers.bisect-command` (the command that fails on a bad commit). Nothing is blamed unconfirmed.');
  }
  const runs: ConfirmRun[] = [];
  trail.report.confirm = { command, runs, result: 'confirmed' };
  const store = await ScratchStore.create(deps.git, request.tempDir);
  try {
    const worktree = await ThrowawayWorktree.create(store);
    try {
      for (let i = 1; i <= times; i++) {
        await worktree.checkout(await deps.git.treeOf(head), head, `confirm ${i} of ${times} on ${head}`);
        const [result] = await runChecks(worktree.dir, {
          commands: [{ name: `confirm ${i}/${times}`, run: command }],
          timeoutMinutes: request.config.verify.timeoutMinutes,
          maxTimeoutMs: request.maxCommandTimeoutMs,
          env: deps.env,
          log: deps.log,
        });
        runs.push({ exitCode: result!.exitCode, timedOut: result!.timedOut, durationMs: result!.durationMs });
        if (result!.passed) {
          trail.report.confirm.result = 'flaky';
          return trail.stop('confirm', 'declined', `flaky: the bisect command passed on the failing head ${short(head)} in confirm run ${i} of ${times}, so the failure is not confirmed and nothing is rolled back.`);
        }
        if (result!.exitCode === 125) {
          return trail.stop('confirm', 'declined', `the bisect command skipped the failing head (exit 125) in confirm run ${i}: the failure cannot be confirmed, nothing is rolled back.`);
        }
      }
    } finally {
      worktree.remove();
    }
  } finally {
    store.dispose();
  }
  const hung = runs.filter((r) => r.timedOut).length;
  if (hung > 0) {
    trail.report.confirm.result = 'hang';
    trail.note('confirm', `${hung} of ${plural(times, 'confirm run')} ${hung === 1 ? 'hung and was' : 'hung and were'} killed at the timeout; a hang counts as a failure`);
  }
  trail.ok('confirm', `the failure is confirmed: the bisect command failed on ${short(head)} ${times} of ${plural(times, 'time')} (${runs.map((r) => (r.timedOut ? 'timeout' : `exit ${r.exitCode}`)).join(', ')})`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The culprit: age and opt-out (checked on what the rollback is about to revert)

/** A culprit is refused when it landed too long ago, or it opted out; otherwise null. Records the culprits. */
export function vetCulprits(report: TriggerReport, commits: readonly CommitInfo[], config: Config, now: Date): { verdict: 'declined' | 'report-only'; reason: string } | null {
  const push = (d: TriggerDecision): void => {
    report.decisions.push(d);
  };
  report.culprits = commits.map((c) => ({
    sha: c.sha,
    subject: untrustedText(c.subject) ?? '',
    author: untrustedText(`${c.authorName} <${c.authorEmail}>`) ?? '',
    landedAt: c.committerDate,
    ageHours: Math.round(((now.getTime() - Date.parse(c.committerDate)) / 3_600_000) * 10) / 10,
  }));
  const optedOut = commits.find((c) => (trailerValue(c, TRAILERS.rollbackGate) ?? '').trim().toLowerCase() === NO_AUTO_REVERT);
  if (optedOut) {
    const reason = `${short(optedOut.sha)} ${JSON.stringify(untrustedText(optedOut.subject) ?? '')} carries \`${TRAILERS.rollbackGate}: ${NO_AUTO_REVERT}\`: it is not rolled back automatically; its author ${untrustedText(optedOut.authorName) ?? ''} is asked to act.`;
    push({ check: 'opt-out', result: 'report-only', reason });
    report.verdict = 'report-only';
    report.reason = reason;
    return { verdict: 'report-only', reason };
  }
  push({ check: 'opt-out', result: 'ok', reason: `no \`${TRAILERS.rollbackGate}: ${NO_AUTO_REVERT}\` trailer on the ${report.culprits.length === 1 ? 'commit' : 'commits'} to revert` });
  const max = config.triggers.maxAgeHours;
  const old = report.culprits.filter((c) => c.ageHours > max);
  if (old.length > 0) {
    const reason = `${old.map((c) => `${short(c.sha)} landed ${c.ageHours} hours ago`).join(', ')}: older than ${max} hours (triggers.max-age-hours), too old to roll back automatically.`;
    push({ check: 'age', result: 'declined', reason });
    report.verdict = 'declined';
    report.reason = reason;
    return { verdict: 'declined', reason };
  }
  push({ check: 'age', result: 'ok', reason: `landed ${plural(Math.max(...report.culprits.map((c) => c.ageHours)), 'hour')} ago at most, within ${max} hours` });
  return null;
}

// ---------------------------------------------------------------------------------------------
// Entry points for the rollback action

export interface StartTriggerRequest extends Omit<TriggerRequest, 'branch' | 'tip'> {
  /** The branch input (empty: the remote's default branch). */
  branchInput: string;
}

/**
 * Reads the branch and its tip, fetches its history, refuses a checkout holding a credential
 * (the confirm runs the project's code), and evaluates the event.
 */
export async function startTrigger(deps: TriggerDeps, request: StartTriggerRequest): Promise<TriggerReport> {
  const { git, log } = deps;
  const { branch, tip } = await rollbackBranch(git, request.remote, request.branchInput);
  await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', request.remote, `+refs/heads/${branch}:refs/remotes/${request.remote}/${branch}`]);
  await ensureHistory(git, { remote: request.remote, what: 'the full history (a trigger looks back to the last green run)', log, reachable: async () => !(await git.isShallow()) });
  if (request.phase === 'plan') await assertNoPersistedCredential(git);
  const report = await evaluateTrigger(deps, { ...request, branch, tip });
  log.info(`trigger ${report.event}: ${report.verdict}: ${report.reason}`);
  return report;
}

/** The branch's tip, for apply's re-check. */
export async function branchTip(git: Git, remote: string, branch: string): Promise<string> {
  return (await rollbackBranch(git, remote, branch)).tip;
}

/** The rollback report of a trigger that started no rollback (ignored, declined, refused): the `trigger` section says why. */
export function triggerOnlyReport(trigger: TriggerReport, phase: 'all' | 'plan' | 'apply', startedAt: string, finishedAt: string): FullRollbackReport {
  return {
    ...blankRollbackReport({ target: trigger.target ?? '', strategy: trigger.strategy ?? 'auto', phase, startedAt, finishedAt, detectedAt: trigger.detectedAt }),
    verificationNote: `not rolled back: the trigger was ${trigger.verdict}`,
    trigger,
    outcome: trigger.verdict === 'refused' ? 'failed' : 'declined',
    error: trigger.verdict === 'refused' ? trigger.reason : null,
  };
}
