/**
 * A minimal GitHub REST client for the engine. It has no @actions/* or @octokit imports: `fetch`,
 * the clock and `sleep` are passed in, so tests run it against a local server and the CLI reuses it.
 *
 * Each attempt is bounded by a timeout. Rate limits, server errors (5xx) and calls that got no
 * response are retried with exponential backoff (honouring `Retry-After`), a bounded number of
 * times; a POST, which may have taken effect, is retried only when it surely did not (a rate
 * limit, a refused connection).
 *
 * Every failed call raises a GitHubApiError (a UserError) whose message names the call and whose
 * hint says what to do next: which permission to add under `permissions:`, that the token expired,
 * what GitHub found invalid, that GitHub did not answer in time.
 */
import { UserError } from '../base/errors.js';
import { fit, GITHUB_BODY_LIMIT, trusted } from '../output/markdown.js';

export interface GitHubClientOptions {
  /** The REST API root, as in GITHUB_API_URL: https://api.github.com, or https://ghes.example/api/v3. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; without it only public data is readable. */
  token?: string;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Waits before a retry; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; default Date.now. Used to read `x-ratelimit-reset`. */
  now?: () => number;
  /** The longest wait (Retry-After, rate-limit reset) worth retrying after; longer waits fail at once. Default 60 s. */
  maxRetryWaitMs?: number;
  /** Retries after the first attempt of a call that failed in a way worth retrying. Default 3. */
  retries?: number;
  /** The first backoff wait; each further retry waits twice as long. Default 1 s. */
  retryBaseMs?: number;
  /** Milliseconds one attempt may take, response body included. Default 30 s. */
  timeoutMs?: number;
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
  /** How many times the call was tried (1 when it was not retried). */
  readonly attempts: number;
  /** True when the last attempt ran out of time. */
  readonly timedOut: boolean;
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
    attempts?: number;
    timedOut?: boolean;
  }) {
    const details = describeValidationErrors(fields.validationErrors ?? []);
    const attempts = fields.attempts ?? 1;
    const outcome = fields.status === 0 ? 'got no response' : `failed with ${fields.status}`;
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    const message = `GitHub API ${fields.method} ${fields.route} ${outcome}${tries}: ${fields.apiMessage}${details ? ` (${details})` : ''}`;
    super(message, fields.hint ?? nextStep(fields.status, fields.apiMessage, fields.permission, fields.method));
    this.name = 'GitHubApiError';
    this.status = fields.status;
    this.attempts = attempts;
    this.timedOut = fields.timedOut ?? false;
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
function nextStep(status: number, apiMessage: string, permission: string | undefined, method: string): string | undefined {
  const mayHaveHappened = method === 'POST' ? ' It may have taken effect: look on GitHub before re-running.' : '';
  switch (status) {
    case 0:
      return `Check that GITHUB_API_URL is right and that the runner can reach it, then re-run the job.${mayHaveHappened}`;
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
      return status >= 500
        ? `GitHub had a server error. Re-run the job; if it persists, see https://www.githubstatus.com.${mayHaveHappened}`
        : undefined;
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
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Methods that are safe to send again: repeating them does what sending them once does. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Network error codes that mean the request never reached the server: safe to retry any method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * A comment, pull request or issue body as GitHub stores it: at most 65,536 characters. A longer
 * one is cut at a line (a fence or `<details>` left open is closed) and says so; the renderers keep
 * theirs shorter and point at the run's summary, this is the last guard.
 */
export function fitBody(body: string): string {
  if (body.length <= GITHUB_BODY_LIMIT) return body;
  return fit(trusted(body), trusted(`…cut here: GitHub keeps at most ${GITHUB_BODY_LIMIT.toLocaleString('en-US')} characters. The whole report is in the job summary of the run that wrote this.`));
}

function withBody<T extends { body?: string }>(input: T): T {
  return input.body === undefined ? input : { ...input, body: fitBody(input.body) };
}

/** What one attempt came to. */
type Attempt =
  | { kind: 'response'; response: Response; data: unknown }
  | { kind: 'no-response'; reason: string; timedOut: boolean; notSent: boolean };

export class GitHubClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxRetryWaitMs: number;
  private readonly maxPages: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;

  constructor(options: GitHubClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'rollback-gate';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
    return this.data('POST', '/repos/{owner}/{repo}/pulls', { owner, repo }, withBody(input), 'pull-requests: write');
  }

  updatePull(owner: string, repo: string, pull_number: number, input: UpdatePullInput): Promise<GitHubPullRequest> {
    return this.data('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number }, withBody(input), 'pull-requests: write');
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
    return this.data('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number }, { body: fitBody(body) }, COMMENT_WRITE);
  }

  updateIssueComment(owner: string, repo: string, comment_id: number, body: string): Promise<GitHubIssueComment> {
    return this.data('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id }, { body: fitBody(body) }, COMMENT_WRITE);
  }

  createIssue(owner: string, repo: string, input: CreateIssueInput): Promise<GitHubIssue> {
    return this.data('POST', '/repos/{owner}/{repo}/issues', { owner, repo }, withBody(input), 'issues: write');
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
    const text = fitBody(body.includes(tag) ? body : `${tag}\n${body}`);
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

  /** One call: attempts it, retrying what is worth retrying, until it succeeds or the retries run out. */
  private async send<T>(method: string, route: string, url: string, body: unknown, options: RequestOptions): Promise<GitHubResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(method, url, body);
      if (outcome.kind === 'response' && outcome.response.ok) {
        return { status: outcome.response.status, data: outcome.data as T, headers: outcome.response.headers };
      }
      const wait = attempt <= this.retries ? this.retryWait(method, outcome, attempt) : undefined;
      if (wait === undefined || wait > this.maxRetryWaitMs) {
        if (outcome.kind === 'response') throw apiError(outcome.response, outcome.data, method, route, options.permission, attempt);
        throw new GitHubApiError({
          status: 0,
          method,
          route,
          apiMessage: outcome.reason,
          permission: options.permission,
          attempts: attempt,
          timedOut: outcome.timedOut,
          hint: outcome.timedOut ? this.timeoutHint(method) : undefined,
        });
      }
      await this.sleep(wait);
    }
  }

  /** One attempt, bounded by the timeout (the response body included). */
  private async attempt(method: string, url: string, body: unknown): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await this.fetchImpl(url, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      return { kind: 'response', response, data: await readBody(response) };
    } catch (error) {
      if (signal.aborted) {
        return { kind: 'no-response', reason: `no answer within ${seconds(this.timeoutMs)}`, timedOut: true, notSent: false };
      }
      // Duck-typed: fetch's errors may come from another realm, where `instanceof Error` is false.
      const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { message?: unknown; code?: unknown } };
      const reason = [message, cause?.message].filter((part) => typeof part === 'string' && part).join(': ') || String(error);
      const code = typeof cause?.code === 'string' ? cause.code : undefined;
      return { kind: 'no-response', reason, timedOut: false, notSent: code !== undefined && NOT_SENT.has(code) };
    }
  }

  /**
   * How long to wait before retrying a failed attempt, or undefined when it is not worth retrying:
   * a rate limit (any method), a server error or no response (methods safe to repeat; any method
   * when the request surely never reached the server). Retry-After wins over the backoff.
   */
  private retryWait(method: string, outcome: Attempt, attempt: number): number | undefined {
    const backoff = this.retryBaseMs * 2 ** (attempt - 1);
    if (outcome.kind === 'no-response') return IDEMPOTENT.has(method) || outcome.notSent ? backoff : undefined;
    const { response } = outcome;
    const rateLimit = this.rateLimitWait(response);
    if (rateLimit !== undefined) return attempt === 1 ? rateLimit : undefined;
    if (response.status >= 500 && IDEMPOTENT.has(method)) return retryAfter(response, this.now()) ?? backoff;
    return undefined;
  }

  private timeoutHint(method: string): string {
    const also = method === 'POST' ? ' It may have taken effect: look on GitHub before re-running.' : '';
    return `GitHub did not answer within ${seconds(this.timeoutMs)}. Re-run the job; if it persists, see https://www.githubstatus.com, and check that GITHUB_API_URL is right.${also}`;
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
    const after = retryAfter(response, this.now());
    if (after !== undefined) return after;
    const reset = response.headers.get('x-ratelimit-reset');
    if (response.headers.get('x-ratelimit-remaining') === '0' && reset !== null && /^\d+$/.test(reset)) {
      return Math.max(0, Number(reset) * 1000 - this.now());
    }
    return response.status === 429 ? 0 : undefined;
  }
}

const COMMENT_WRITE = 'issues: write (or pull-requests: write for a pull request)';

/** The Retry-After header in milliseconds (seconds, or an HTTP date), if present and readable. */
function retryAfter(response: Response, now: number): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

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

function apiError(response: Response, data: unknown, method: string, route: string, permission: string | undefined, attempts: number): GitHubApiError {
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
    attempts,
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
