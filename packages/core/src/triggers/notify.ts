/**
 * Telling people: the culprit's author is requested as a reviewer of the rollback PR and told on
 * the culprit's own PR; a culprit that opted out gets only the message, asking its author to act.
 * Never fails the run: what could not be done is recorded as a note with the permission it needs.
 */
import { GitHubApiError, type GitHubClient } from '../github/github.js';
import { markdownCode, markdownText } from '../output/report.js';
import type { TriggerReport } from './types.js';

export interface NotifyContext {
  github: GitHubClient | undefined;
  owner: string | undefined;
  repo: string | undefined;
  runUrl?: string;
}

interface Api {
  github: GitHubClient;
  owner: string;
  repo: string;
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

function failure(error: unknown, permission: string): string {
  if (error instanceof GitHubApiError) return `failed with ${error.status} (${error.apiMessage.split('\n')[0]}); it needs \`${permission}\``;
  return `failed: ${(error as Error).message}`;
}

/** The culprit's author login (from the commit's GitHub author) and the merged PRs that brought it in. */
async function culpritPeople(ctx: Api, sha: string, report: TriggerReport): Promise<{ login: string | null; pulls: number[] }> {
  let login: string | null = null;
  try {
    const commit = await ctx.github.request<{ author?: { login?: string; type?: string } | null }>('GET', '/repos/{owner}/{repo}/commits/{ref}', { owner: ctx.owner, repo: ctx.repo, ref: sha }, undefined, { permission: 'contents: read' });
    const candidate = commit.data.author?.login ?? '';
    if (LOGIN.test(candidate) && commit.data.author?.type !== 'Bot') login = candidate;
    else report.decisions.push({ check: 'notify', result: 'note', reason: `${sha.slice(0, 12)}: its author has no GitHub account (or is a bot) to ask` });
  } catch (error) {
    report.decisions.push({ check: 'notify', result: 'note', reason: `reading ${sha.slice(0, 12)}'s author ${failure(error, 'contents: read')}` });
  }
  let pulls: number[] = [];
  try {
    const found = await ctx.github.request<Array<{ number: number; merged_at?: string | null }>>('GET', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', { owner: ctx.owner, repo: ctx.repo, commit_sha: sha }, undefined, { permission: 'pull-requests: read' });
    pulls = found.data.map((p) => p.number).slice(0, 3);
  } catch (error) {
    report.decisions.push({ check: 'notify', result: 'note', reason: `finding ${sha.slice(0, 12)}'s pull request ${failure(error, 'pull-requests: read')}` });
  }
  return { login, pulls };
}

function context(ctx: NotifyContext): (Api) | undefined {
  return ctx.github && ctx.owner && ctx.repo ? { github: ctx.github, owner: ctx.owner, repo: ctx.repo } : undefined;
}

function why(report: TriggerReport): string {
  if (report.event === 'workflow_run') {
    const run = report.failingRun;
    return `the default branch went red${run?.url ? ` (${markdownText(run.url)})` : ''}, and the failure was confirmed on its head`;
  }
  const alert = report.alert;
  const quoted = (text: string): string => `“${markdownText(text)}”`;
  return `an alert${alert?.source ? ` from ${quoted(alert.source)}` : ''}${alert?.severity ? ` (severity ${quoted(alert.severity)})` : ''}: ${alert?.reason ? quoted(alert.reason) : 'no reason given'}`;
}

/** After the rollback PR (or direct push): request the culprit's author as reviewer and tell them on the culprit's PR. */
export async function notifyCulprits(ctx: NotifyContext, report: TriggerReport, delivered: { prUrl: string | null; branch: string | null }): Promise<void> {
  const api = context(ctx);
  if (!api) {
    report.decisions.push({ check: 'notify', result: 'note', reason: 'no token: the culprit\'s author was not asked to review, nor told' });
    return;
  }
  const prNumber = Number(delivered.prUrl?.match(/\/pull\/(\d+)/)?.[1] ?? NaN);
  for (const culprit of report.culprits) {
    const people = await culpritPeople(api, culprit.sha, report);
    if (people.login && Number.isInteger(prNumber)) {
      try {
        await api.github.request('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', { owner: api.owner, repo: api.repo, pull_number: prNumber }, { reviewers: [people.login] }, { permission: 'pull-requests: write' });
        report.decisions.push({ check: 'notify', result: 'ok', reason: `requested ${people.login}, the author of ${culprit.sha.slice(0, 12)}, as reviewer of #${prNumber}` });
      } catch (error) {
        report.decisions.push({ check: 'notify', result: 'note', reason: `requesting ${people.login} as reviewer of #${prNumber} ${failure(error, 'pull-requests: write')}` });
      }
    }
    const where = delivered.prUrl ? `the rollback pull request ${delivered.prUrl}` : `a push to ${markdownCode(delivered.branch ?? 'the branch')}`;
    for (const pull of people.pulls) {
      const body = [
        `rollback-gate rolled back ${markdownCode(culprit.sha.slice(0, 12))} from this pull request automatically: ${why(report)}.`,
        '',
        `The rollback: ${where}.${people.login ? ` @${people.login}, you are asked to review it.` : ''}`,
        '',
        `Why, step by step: ${ctx.runUrl ? markdownText(ctx.runUrl) : 'the rollback run\'s summary'}.`,
      ].join('\n');
      await comment(api, pull, body, report, `told the author on #${pull}`);
    }
  }
}

/** The culprit opted out (`Rollback-Gate: no-auto-revert`): nothing is rolled back; its author is asked to act. */
export async function askAuthors(ctx: NotifyContext, report: TriggerReport): Promise<void> {
  const api = context(ctx);
  if (!api) {
    report.decisions.push({ check: 'notify', result: 'note', reason: 'no token: the author was not asked' });
    return;
  }
  for (const culprit of report.culprits) {
    const people = await culpritPeople(api, culprit.sha, report);
    if (people.pulls.length === 0) report.decisions.push({ check: 'notify', result: 'note', reason: `${culprit.sha.slice(0, 12)} came in through no pull request to comment on; the summary names it` });
    for (const pull of people.pulls) {
      const body = [
        `rollback-gate would roll back ${markdownCode(culprit.sha.slice(0, 12))} from this pull request: ${why(report)}.`,
        '',
        `It carries ${markdownCode('Rollback-Gate: no-auto-revert')}, so nothing was rolled back automatically.${people.login ? ` @${people.login},` : ''} please decide: fix forward, or roll it back by hand (the rollback workflow, target ${markdownCode(culprit.sha)}).`,
        '',
        `Details: ${ctx.runUrl ? markdownText(ctx.runUrl) : 'the run\'s summary'}.`,
      ].join('\n');
      await comment(api, pull, body, report, `asked the author on #${pull}`);
    }
  }
}

async function comment(api: { github: GitHubClient; owner: string; repo: string }, issue: number, body: string, report: TriggerReport, done: string): Promise<void> {
  try {
    await api.github.createIssueComment(api.owner, api.repo, issue, body);
    report.decisions.push({ check: 'notify', result: 'ok', reason: done });
  } catch (error) {
    report.decisions.push({ check: 'notify', result: 'note', reason: `commenting on #${issue} ${failure(error, 'pull-requests: write')}` });
  }
}
