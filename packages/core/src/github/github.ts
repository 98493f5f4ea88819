/**
 * A minimal GitHub REST client for the engine. It has no @actions/* or @octokit imports: `fetch`,
 * the clock and `sleep` are passed in, so tests run it against a local server and the CLI reuses it.
 *
 * Every failed call raises a GitHubApiError (a UserError) whose hint says what to do next: which
 * permission to add under `permissions:`, that the token expired, what GitHub found invalid.
 */
import { UserError } from '../base/errors.js';

export interface GitHubClientOptions {
  /** The REST API root, as in GITHUB_API_URL: https://api.github.com, or https://ghes.example/api/v3. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; without it only public data is readable. */
  token?: string;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Waits before the single retry of a rate-limited call; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; default Date.now. Used to read `x-ratelimit-reset`. */
  now?: () => number;
  /** The longest rate-limit wait worth retrying after; longer waits fail at once. Default 60 s. */
  maxRetryWaitMs?: number;
  /** Pages `paginate` follows at most. Default 50. */
  maxPages?: number;
}

/** Per-call options. */
export interface RequestOptions {
  /** The workflow permission this call needs, e.g. `pull-requests: write`; named in 403/404 hints. */
  permission?: string;
}

export interface GitHubResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

/** One entry of the `errors` array GitHub returns with 422 Validation Failed. */
export interface GitHubValidationError {
  resource?: string;
  field?: string;
  code?: string;
  message?: string;
}

/** A GitHub REST call that failed. `status` is 0 when no response arrived at all. */
export class GitHubApiError extends UserError {
  readonly status: number;
  readonly method: string;
  readonly route: string;
  /** The `message` GitHub answered with (or the network error). */
  readonly apiMessage: string;
  readonly validationErrors: readonly GitHubValidationError[];
  readonly documentationUrl: string | undefined;
  readonly permission: string | undefined;

  constructor(fields: {
    status: number;
    method: string;
    route: string;
    apiMessage: string;
    validationErrors?: readonly GitHubValidationError[];
    documentationUrl?: string;
    permission?: string;
    hint?: string;
  }) {
    const details = describeValidationErrors(fields.validationErrors ?? []);
    const outcome = fields.status === 0 ? 'got no response' : `failed with ${fields.status}`;
    const message = `GitHub API ${fields.method} ${fields.route} ${outcome}: ${fields.apiMessage}${details ? ` (${details})` : ''}`;
    super(message, fields.hint ?? nextStep(fields.status, fields.apiMessage, fields.permission));
    this.name = 'GitHubApiError';
    this.status = fields.status;
    this.method = fields.method;
    this.route = fields.route;
    this.apiMessage = fields.apiMessage;
    this.validationErrors = fields.validationErrors ?? [];
    this.documentationUrl = fields.documentationUrl;
    this.permission = fields.permission;
  }
}

function describeValidationErrors(errors: readonly GitHubValidationError[]): string {
  return errors
    .map((e) => {
      if (e.message) return e.message;
      const subject = [e.resource, e.field].filter(Boolean).join('.');
      return [subject, e.code].filter(Boolean).join(' ');
    })
    .filter(Boolean)
    .join('; ');
}

const FORK_NOTE =
  "On a pull request from a fork, GITHUB_TOKEN is read-only whatever `permissions:` says: skip this step for fork pull requests, or run it from a trusted workflow.";

/** The plain next step for a failed call, by status. */
function nextStep(status: number, apiMessage: string, permission: string | undefined): string | undefined {
  switch (status) {
    case 0:
      return 'Check that GITHUB_API_URL is right and that the runner can reach it, then re-run the job.';
    case 401:
      return 'The token is invalid or expired. Pass a valid token (the default `${{ github.token }}` is only valid while its job runs).';
    case 403: {
      if (/not permitted to create or approve pull requests/i.test(apiMessage)) {
        return 'Allow it in the repository (or organization) settings: Actions > General > Workflow permissions > "Allow GitHub Actions to create and approve pull requests".';
      }
      if (/rate limit/i.test(apiMessage)) return 'GitHub rate-limited the token. Re-run the job later.';
      const needed = permission
        ? `The token lacks the \`${permission}\` permission. Add \`${permission}\` under \`permissions:\` in the workflow.`
        : 'The token lacks a permission this call needs. Add it under `permissions:` in the workflow.';
      return `${needed} ${FORK_NOTE}`;
    }
    case 404: {
      const also = permission ? ` and \`${permission}\`` : '';
      return `The resource does not exist, or the token cannot see it. For a private repository the token needs \`contents: read\`${also} under \`permissions:\` in the workflow.`;
    }
    case 422:
      return 'GitHub rejected the request as invalid; the details above say which field and why.';
    default:
      return status >= 500 ? 'GitHub had a server error. Re-run the job; if it persists, see https://www.githubstatus.com.' : undefined;
  }
}

/** Expands `{name}` placeholders from params (URL-encoded); returns the path and the unused params. */
export function expandRoute(route: string, params: Record<string, unknown> = {}): { path: string; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...params };
  const path = route.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = rest[name];
    if (value === undefined || value === null || value === '') {
      throw new Error(`GitHub route ${route} needs the parameter \`${name}\``);
    }
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  return { path, rest };
}

/** Query string from params; undefined values are left out, arrays are joined with commas. */
function toQuery(params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    query.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The URL of the `rel="next"` entry of a Link header, if any. */
export function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/** The marker that identifies a sticky comment: an HTML comment, hidden when rendered. */
export function stickyMarker(marker: string): string {
  if (!/^[A-Za-z0-9._:/-]+$/.test(marker) || marker.includes('--')) {
    throw new Error(`sticky comment marker must be letters, digits and . _ : / - without "--": ${JSON.stringify(marker)}`);
  }
  return `<!-- rollback-gate:${marker} -->`;
}

export interface GitHubUser {
  login: string;
  id?: number;
  type?: string;
}

export interface GitHubLabel {
  id?: number;
  name: string;
  color?: string;
  description?: string | null;
}

export interface GitHubPullRequest {
  number: number;
  url: string;
  html_url: string;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  draft?: boolean;
  merged?: boolean;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  /** How many commits the pull request has (returned by the single-PR endpoint). */
  commits?: number;
  user?: GitHubUser | null;
  labels: GitHubLabel[];
  /** `repo` is null when the head repository (a fork) was deleted. */
  head: { ref: string; sha: string; label?: string; repo?: { full_name: string; fork?: boolean } | null };
  base: { ref: string; sha: string; label?: string };
}

export interface GitHubIssue {
  number: number;
  url: string;
  html_url: string;
  state: string;
  title: string;
  body?: string | null;
  labels: (GitHubLabel | string)[];
}

export interface GitHubIssueComment {
  id: number;
  url?: string;
  html_url: string;
  body?: string;
  user?: GitHubUser | null;
  created_at?: string;
  updated_at?: string;
}

export interface CreatePullInput {
  title: string;
  head: string;
  base: string;
  body?: string;
  draft?: boolean;
}

export interface UpdatePullInput {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  base?: string;
}

export interface CreateIssueInput {
  title: string;
  body?: string;
  labels?: string[];
}

const DEFAULT_MAX_PAGES = 50;
const DEFAULT_MAX_RETRY_WAIT_MS = 60_000;

export class GitHubClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxRetryWaitMs: number;
  private readonly maxPages: number;

  constructor(options: GitHubClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'rollback-gate';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  }

  /**
   * One REST call. `{name}` placeholders in the route are filled from params; the other params go
   * to the query string (the body is passed separately, so this holds for every method).
   */
  async request<T>(
    method: string,
    route: string,
    params?: Record<string, unknown>,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<GitHubResponse<T>> {
    const { path, rest } = expandRoute(route, params);
    return this.send<T>(method.toUpperCase(), route, `${this.baseUrl}${path}${toQuery(rest)}`, body, options);
  }

  /**
   * Every item of a listing, following the Link header's `rel="next"` (at most `maxPages` pages).
   * Listings wrapped in an object (`{ total_count, items: [...] }`) are unwrapped.
   */
  async paginate<T>(route: string, params: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<T[]> {
    const first = await this.request<unknown>('GET', route, { per_page: 100, ...params }, undefined, options);
    const items = pageItems<T>(first.data);
    let next = nextPageUrl(first.headers.get('link'));
    for (let page = 1; next; page++) {
      if (page >= this.maxPages) {
        throw new UserError(
          `GitHub API GET ${route}: stopped after ${this.maxPages} pages (${items.length} items) and more remain.`,
          'Narrow the listing, or raise maxPages where the client is created.',
        );
      }
      const url = this.sameOriginUrl(next, route);
      const response = await this.send<unknown>('GET', route, url, undefined, options);
      items.push(...pageItems<T>(response.data));
      next = nextPageUrl(response.headers.get('link'));
    }
    return items;
  }

  getPull(owner: string, repo: string, pull_number: number): Promise<GitHubPullRequest> {
    return this.data('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number }, undefined, 'pull-requests: read');
  }

  createPull(owner: string, repo: string, input: CreatePullInput): Promise<GitHubPullRequest> {
    return this.data('POST', '/repos/{owner}/{repo}/pulls', { owner, repo }, input, 'pull-requests: write');
  }

  updatePull(owner: string, repo: string, pull_number: number, input: UpdatePullInput): Promise<GitHubPullRequest> {
    return this.data('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number }, input, 'pull-requests: write');
  }

  listPullLabels(owner: string, repo: string, pull_number: number): Promise<GitHubLabel[]> {
    // A pull request's labels live on its issue.
    return this.paginate('/repos/{owner}/{repo}/issues/{issue_number}/labels', { owner, repo, issue_number: pull_number }, {
      permission: 'pull-requests: read',
    });
  }

  listIssueComments(owner: string, repo: string, issue_number: number): Promise<GitHubIssueComment[]> {
    return this.paginate('/repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number }, {
      permission: 'issues: read (or pull-requests: read for a pull request)',
    });
  }

  createIssueComment(owner: string, repo: string, issue_number: number, body: string): Promise<GitHubIssueComment> {
    return this.data('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number }, { body }, COMMENT_WRITE);
  }

  updateIssueComment(owner: string, repo: string, comment_id: number, body: string): Promise<GitHubIssueComment> {
    return this.data('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id }, { body }, COMMENT_WRITE);
  }

  createIssue(owner: string, repo: string, input: CreateIssueInput): Promise<GitHubIssue> {
    return this.data('POST', '/repos/{owner}/{repo}/issues', { owner, repo }, input, 'issues: write');
  }

  /**
   * Keeps one comment per marker on an issue or pull request: updates the comment carrying the
   * hidden `<!-- rollback-gate:<marker> -->`, or creates it. The body gets the marker prepended.
   */
  async upsertStickyComment(
    owner: string,
    repo: string,
    issueNumber: number,
    marker: string,
    body: string,
  ): Promise<{ id: number; created: boolean }> {
    const tag = stickyMarker(marker);
    const text = body.includes(tag) ? body : `${tag}\n${body}`;
    const comments = await this.listIssueComments(owner, repo, issueNumber);
    const existing = comments.find((comment) => comment.body?.includes(tag));
    if (!existing) {
      const created = await this.createIssueComment(owner, repo, issueNumber, text);
      return { id: created.id, created: true };
    }
    if (existing.body !== text) await this.updateIssueComment(owner, repo, existing.id, text);
    return { id: existing.id, created: false };
  }

  private async data<T>(method: string, route: string, params: Record<string, unknown>, body: unknown, permission: string): Promise<T> {
    return (await this.request<T>(method, route, params, body, { permission })).data;
  }

  /** Pagination links must stay on the API's origin: the token is never sent elsewhere. */
  private sameOriginUrl(url: string, route: string): string {
    const resolved = new URL(url, this.baseUrl);
    if (resolved.origin !== new URL(this.baseUrl).origin) {
      throw new UserError(
        `GitHub API GET ${route}: the next page is on another host (${resolved.origin}); refusing to send the token there.`,
        'Check GITHUB_API_URL.',
      );
    }
    return resolved.href;
  }

  private async send<T>(method: string, route: string, url: string, body: unknown, options: RequestOptions, retried = false): Promise<GitHubResponse<T>> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers: this.headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
      throw new GitHubApiError({ status: 0, method, route, apiMessage: reason, permission: options.permission });
    }
    const data = await readBody(response);
    if (response.ok) return { status: response.status, data: data as T, headers: response.headers };

    const wait = this.rateLimitWait(response);
    if (wait !== undefined && !retried && wait <= this.maxRetryWaitMs) {
      await this.sleep(wait);
      return this.send<T>(method, route, url, body, options, true);
    }
    throw apiError(response, data, method, route, options.permission);
  }

  private headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': this.userAgent,
    };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (hasBody) headers['Content-Type'] = 'application/json; charset=utf-8';
    return headers;
  }

  /** Milliseconds to wait when the response is a rate limit (429, or 403 with rate-limit headers). */
  private rateLimitWait(response: Response): number | undefined {
    if (response.status !== 403 && response.status !== 429) return undefined;
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const reset = response.headers.get('x-ratelimit-reset');
    if (response.headers.get('x-ratelimit-remaining') === '0' && reset !== null && /^\d+$/.test(reset)) {
      return Math.max(0, Number(reset) * 1000 - this.now());
    }
    return response.status === 429 ? 0 : undefined;
  }
}

const COMMENT_WRITE = 'issues: write (or pull-requests: write for a pull request)';

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function apiError(response: Response, data: unknown, method: string, route: string, permission: string | undefined): GitHubApiError {
  const payload = (data && typeof data === 'object' ? data : {}) as {
    message?: unknown;
    errors?: unknown;
    documentation_url?: unknown;
  };
  const apiMessage =
    typeof payload.message === 'string' ? payload.message : typeof data === 'string' && data ? data.slice(0, 500) : response.statusText || 'no message';
  const validationErrors = Array.isArray(payload.errors)
    ? payload.errors.map((e): GitHubValidationError => (typeof e === 'string' ? { message: e } : (e as GitHubValidationError)))
    : [];
  return new GitHubApiError({
    status: response.status,
    method,
    route,
    apiMessage,
    validationErrors,
    documentationUrl: typeof payload.documentation_url === 'string' ? payload.documentation_url : undefined,
    permission,
  });
}

/** The items of one page: the page itself, or the array inside a wrapped listing. */
function pageItems<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const list = Object.values(data).find(Array.isArray);
    if (list) return list as T[];
  }
  return [];
}
