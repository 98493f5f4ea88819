/**
 * A loopback stand-in for the GitHub REST API, for tests.
 *
 * Every request is checked against GitHub's published OpenAPI description (npm @octokit/openapi,
 * api.github.com, dereferenced): the method and path must name an operation, and the path
 * parameters, query parameters and JSON body must be valid against that operation's schemas.
 * A request that is not gets 404 (unknown route) or 400 with a JSON body listing what was wrong,
 * and is recorded in `violations`, so a test can assert `expect(server.violations).toEqual([])`.
 *
 * Valid requests are answered by a handler scripted with `on(...)`, else by built-in handlers over
 * an in-memory store of pull requests, issues, comments and labels, else with 501.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { assertReadsWell, CHECKED_REPORTS, GITHUB_BODY_LIMIT, type MarkdownKind } from './markdown-check.js';
import { recordMarkdown } from './markdown-record.js';

// ---------------------------------------------------------------------------------------------
// The OpenAPI description
// ---------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
}

/** One path template, e.g. /repos/{owner}/{repo}/pulls/{pull_number}, split for matching. */
interface RouteTemplate {
  template: string;
  segments: SegmentMatcher[];
  operations: Record<string, OpenApiOperation>;
}

/** A path segment: a literal, a whole `{param}`, or a mix such as `{base}...{head}`. */
interface SegmentMatcher {
  /** 2 literal, 1 mixed, 0 a single parameter: a more literal template wins. */
  specificity: number;
  literal?: string;
  pattern?: RegExp;
  names: string[];
}

export interface GitHubDescription {
  routes: RouteTemplate[];
  /** Milliseconds spent reading and parsing the description (once per test file). */
  loadMs: number;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let cachedDescription: GitHubDescription | undefined;

/** Loads api.github.com's dereferenced description once; later calls return the cached one. */
export function loadGitHubDescription(): GitHubDescription {
  if (cachedDescription) return cachedDescription;
  const started = performance.now();
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const document = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(document.paths).map(([template, item]) => {
    const operations: Record<string, OpenApiOperation> = {};
    for (const method of HTTP_METHODS) {
      if (item[method]) operations[method.toUpperCase()] = item[method] as OpenApiOperation;
    }
    return { template, segments: template.split('/').slice(1).map(segmentMatcher), operations };
  });
  cachedDescription = { routes, loadMs: performance.now() - started };
  return cachedDescription;
}

function segmentMatcher(segment: string): SegmentMatcher {
  const names = [...segment.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  if (names.length === 0) return { specificity: 2, literal: segment, names };
  const whole = /^\{[^}]+\}$/.test(segment);
  const source = segment
    .split(/\{[^}]+\}/)
    .map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('(.+?)');
  return { specificity: whole ? 0 : 1, pattern: new RegExp(`^${source}$`), names };
}

interface RouteMatch {
  route: RouteTemplate;
  operation: OpenApiOperation;
  /** Decoded path parameters, still strings. */
  params: Record<string, string>;
}

/** The operation for method + raw (still percent-encoded) path, preferring literal segments. */
function matchRoute(description: GitHubDescription, method: string, rawPath: string): RouteMatch | { error: string } {
  const rawSegments = rawPath.split('/').slice(1);
  const candidates: { route: RouteTemplate; params: Record<string, string> }[] = [];
  for (const route of description.routes) {
    const params = matchSegments(route.segments, rawSegments);
    if (params) candidates.push({ route, params });
  }
  candidates.sort((a, b) => compareSpecificity(b.route, a.route));
  const found = candidates.find((c) => c.route.operations[method]);
  if (found) return { ...found, operation: found.route.operations[method]! };
  if (candidates.length === 0) return { error: `no path in GitHub's REST API description matches ${rawPath}` };
  const other = candidates[0]!.route;
  return {
    error: `${other.template} has no ${method} operation (it has ${Object.keys(other.operations).join(', ')})`,
  };
}

function matchSegments(matchers: SegmentMatcher[], rawSegments: string[]): Record<string, string> | undefined {
  if (matchers.length !== rawSegments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, matcher] of matchers.entries()) {
    const raw = rawSegments[i]!;
    if (matcher.literal !== undefined) {
      if (matcher.literal !== raw) return undefined;
      continue;
    }
    const match = matcher.pattern!.exec(raw);
    if (!match) return undefined;
    for (const [j, name] of matcher.names.entries()) {
      const value = safeDecode(match[j + 1]!);
      if (value === undefined) return undefined;
      params[name] = value;
    }
  }
  return params;
}

function compareSpecificity(a: RouteTemplate, b: RouteTemplate): number {
  for (const [i, segment] of a.segments.entries()) {
    const difference = segment.specificity - b.segments[i]!.specificity;
    if (difference !== 0) return difference;
  }
  return 0;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: schemas compiled lazily, once per operation
// ---------------------------------------------------------------------------------------------

interface OperationValidators {
  operationId: string;
  path: ValidateFunction;
  query: ValidateFunction;
  /** Undefined when the operation has no JSON request body. */
  body: ValidateFunction | undefined;
  bodyRequired: boolean;
  hasBody: boolean;
}

/** Path and query values arrive as strings: this instance coerces them to the schema's types. */
const parameterAjv = newAjv(true);
const bodyAjv = newAjv(false);
const validatorCache = new Map<OpenApiOperation, OperationValidators>();

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: coerce ? 'array' : false, validateSchema: false });
  addFormats(ajv);
  return ajv;
}

function validatorsFor(match: RouteMatch, method: string): OperationValidators {
  const cached = validatorCache.get(match.operation);
  if (cached) return cached;
  const { operation } = match;
  const parameters = operation.parameters ?? [];
  const content = operation.requestBody?.content;
  const jsonSchema = content?.['application/json']?.schema;
  const validators: OperationValidators = {
    operationId: operation.operationId ?? `${method} ${match.route.template}`,
    path: compile(parameterAjv, parametersSchema(parameters, 'path')),
    query: compile(parameterAjv, parametersSchema(parameters, 'query')),
    body: jsonSchema ? compile(bodyAjv, toJsonSchema(jsonSchema)) : undefined,
    bodyRequired: operation.requestBody?.required === true,
    hasBody: content !== undefined,
  };
  validatorCache.set(operation, validators);
  return validators;
}

/** An object schema over one location's parameters; parameters the description lacks are rejected. */
function parametersSchema(parameters: OpenApiParameter[], location: 'path' | 'query'): JsonObject {
  const here = parameters.filter((p) => p.in === location);
  return {
    type: 'object',
    properties: Object.fromEntries(here.map((p) => [p.name, toJsonSchema(p.schema ?? {})])),
    required: here.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  };
}

function compile(ajv: Ajv, schema: JsonObject): ValidateFunction {
  registerUnknownFormats(ajv, schema);
  return ajv.compile(schema);
}

/** GitHub uses a few formats JSON Schema does not define (`repo.nwo`, `timestamp`): accept any value. */
function registerUnknownFormats(ajv: Ajv, node: unknown): void {
  if (Array.isArray(node)) return node.forEach((item) => registerUnknownFormats(ajv, item));
  if (!node || typeof node !== 'object') return;
  const { format } = node as { format?: unknown };
  if (typeof format === 'string' && !ajv.formats[format]) ajv.addFormat(format, true);
  for (const value of Object.values(node)) registerUnknownFormats(ajv, value);
}

const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not', 'propertyNames', 'contains'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties'];

/**
 * OpenAPI 3.0 schema -> JSON Schema, as far as validation needs: `nullable: true` becomes a null
 * type (or an `anyOf` with null), and `oneOf` becomes `anyOf`, because GitHub's descriptions use
 * oneOf for alternatives that may overlap (a valid value matching two branches must not fail).
 */
function toJsonSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator') continue;
    const target = key === 'oneOf' ? 'anyOf' : key;
    if (SCHEMA_KEYWORDS.includes(key) && isObject(value)) out[target] = toJsonSchema(value);
    else if (SCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) out[target] = value.map((s) => toJsonSchema(s as JsonObject));
    else if (SCHEMA_MAP_KEYWORDS.includes(key) && isObject(value)) {
      out[target] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toJsonSchema(s as JsonObject)]));
    } else out[target] = value;
  }
  if (schema.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeErrors(location: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = `${location}${error.instancePath}`;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties':
        return `${where} has a property the description does not define: ${JSON.stringify(params.additionalProperty)}`;
      case 'enum':
        return `${where} must be one of ${JSON.stringify(params.allowedValues)}`;
      default:
        return `${where} ${error.message ?? 'is invalid'}`;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export interface RecordedRequest {
  method: string;
  /** The raw path, percent-encoded as sent. */
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the raw text if it was not JSON, or undefined without a body. */
  body: unknown;
  /** The matched operation, e.g. `pulls/create`; undefined for an unknown route. */
  operationId?: string;
  /** The matched path template, e.g. /repos/{owner}/{repo}/pulls. */
  route?: string;
}

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  /** One line per problem, e.g. `body must have required property 'head'`. */
  errors: string[];
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a handler sees: the request after validation (path and query values coerced to their types). */
export interface HandledRequest {
  method: string;
  path: string;
  route: string;
  operationId: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** The server's own URL, for building `url` fields and Link headers. */
  serverUrl: string;
  store: GitHubStore;
}

/** Answers a request, or returns undefined to leave it to the built-in behaviour. */
export type RouteHandler = (request: HandledRequest) => ScriptedResponse | undefined | Promise<ScriptedResponse | undefined>;

export interface GitHubApiOptions {
  /** When set, a request without `Authorization: Bearer <token>` gets 401 Bad credentials. */
  token?: string;
}

export interface GitHubApiServer {
  /** http://127.0.0.1:<port>, the value for GITHUB_API_URL. */
  url: string;
  requests: RecordedRequest[];
  violations: Violation[];
  store: GitHubStore;
  /** Time spent loading the OpenAPI description for this server (0 once cached). */
  descriptionLoadMs: number;
  /** Scripts the answer for one operation; a later call for the same operation replaces it. */
  on(method: string, route: string, reply: RouteHandler | ScriptedResponse): void;
  close(): Promise<void>;
}

/** The operations whose `body` is Markdown GitHub renders: comments, pull request and issue bodies. */
const MARKDOWN_BODIES = new Set(['issues/create-comment', 'issues/update-comment', 'pulls/create', 'pulls/update', 'issues/create', 'issues/update']);

const NOT_FOUND = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<GitHubApiServer> {
  const wasCached = cachedDescription !== undefined;
  const description = loadGitHubDescription();
  const scripted = new Map<string, RouteHandler>();
  const store = new GitHubStore();
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  let url = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', url);
    const text = await readText(req);
    const recorded: RecordedRequest = { method, path: target.pathname, query: queryObject(target.searchParams), headers: req.headers, body: parseBody(text) };
    requests.push(recorded);

    const reject = (status: number, errors: string[], operationId?: string): void => {
      violations.push({ method, path: target.pathname, operationId, errors });
      const message = `rollback-gate GitHub API harness: ${method} ${target.pathname} is not valid against GitHub's OpenAPI description: ${errors.join('; ')}`;
      send(res, { status, body: { message, errors, operationId } });
    };

    const match = matchRoute(description, method, target.pathname);
    if ('error' in match) return reject(404, [match.error]);
    const validators = validatorsFor(match, method);
    recorded.operationId = validators.operationId;
    recorded.route = match.route.template;

    const params: Record<string, unknown> = { ...match.params };
    const query: Record<string, unknown> = { ...recorded.query };
    const errors: string[] = [];
    if (!validators.path(params)) errors.push(...describeErrors('path', validators.path.errors));
    if (!validators.query(query)) errors.push(...describeErrors('query', validators.query.errors));
    errors.push(...bodyErrors(validators, text, recorded.body));
    if (errors.length > 0) return reject(400, errors, validators.operationId);

    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } });
    }

    const markdown = (recorded.body as { body?: unknown } | undefined)?.body;
    if (typeof markdown === 'string' && MARKDOWN_BODIES.has(validators.operationId)) {
      recordMarkdown('api', validators.operationId.replace('/', '-'), markdown);
      if (markdown.length > GITHUB_BODY_LIMIT) {
        // As GitHub answers: the body is not stored.
        return reject(422, [`body is too long (maximum is ${GITHUB_BODY_LIMIT} characters; it is ${markdown.length})`], validators.operationId);
      }
      // Every comment, pull request and issue body is checked as GitHub would render it; a report
      // marker names a report that is not (yet) checked.
      const report = /<!-- rollback-gate:([\w.-]+)/.exec(markdown)?.[1];
      if (!report || CHECKED_REPORTS.has(report) || report === 'record') {
        const kind: MarkdownKind = validators.operationId.includes('comment') ? 'comment' : validators.operationId.startsWith('pulls/') ? 'pr-body' : 'issue-body';
        try {
          await assertReadsWell(markdown, `${method} ${target.pathname}`, { kind, forbiddenPaths: ['/rg-runner-'], allowMentions: !report });
        } catch (error) {
          return reject(422, [(error as Error).message], validators.operationId);
        }
      }
    }

    const request: HandledRequest = {
      method,
      path: target.pathname,
      route: match.route.template,
      operationId: validators.operationId,
      params,
      query,
      body: recorded.body,
      headers: req.headers,
      serverUrl: url,
      store,
    };
    const key = `${method} ${match.route.template}`;
    const response = (await scripted.get(key)?.(request)) ?? BUILT_IN[key]?.(request) ?? {
      status: 501,
      body: { message: `rollback-gate GitHub API harness: no handler for ${key}; script one with server.on('${method}', '${match.route.template}', ...)` },
    };
    send(res, response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, { status: 500, body: { message: `harness error: ${String(error)}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    violations,
    store,
    descriptionLoadMs: wasCached ? 0 : description.loadMs,
    on(method, route, reply) {
      const upper = method.toUpperCase();
      const known = description.routes.find((r) => r.template === route);
      if (!known?.operations[upper]) throw new Error(`GitHub's REST API description has no ${upper} ${route}`);
      scripted.set(`${upper} ${route}`, typeof reply === 'function' ? reply : () => reply);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function bodyErrors(validators: OperationValidators, text: string, body: unknown): string[] {
  if (text === '') return validators.bodyRequired ? ['body is required'] : [];
  if (!validators.hasBody) return ['body was sent, but the operation takes none'];
  if (!validators.body) return [];
  if (typeof body === 'string') return ['body is not valid JSON'];
  return validators.body(body) ? [] : describeErrors('body', validators.body.errors);
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function queryObject(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    query[name] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function send(res: ServerResponse, response: ScriptedResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  if (response.body !== undefined) headers['content-type'] ??= 'application/json; charset=utf-8';
  res.writeHead(response.status, headers);
  res.end(response.body === undefined ? undefined : JSON.stringify(response.body));
}

// ---------------------------------------------------------------------------------------------
// The in-memory store and the built-in handlers
// ---------------------------------------------------------------------------------------------

const BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

/** An issue or a pull request: they share one number sequence per repository, as on GitHub. */
export interface StoredIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  createdAt: string;
  updatedAt: string;
  pull?: { head: string; base: string; draft: boolean; headSha: string; baseSha: string; headRepo?: string };
}

export interface StoredComment {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface RepoState {
  nextNumber: number;
  issues: Map<number, StoredIssue>;
  comments: StoredComment[];
}

export class GitHubStore {
  private readonly repos = new Map<string, RepoState>();
  private nextCommentId = 1001;

  repo(owner: string, repo: string): RepoState {
    const key = `${owner}/${repo}`.toLowerCase();
    let state = this.repos.get(key);
    if (!state) {
      state = { nextNumber: 1, issues: new Map(), comments: [] };
      this.repos.set(key, state);
    }
    return state;
  }

  createIssue(owner: string, repo: string, fields: { title: string; body?: string | null; labels?: string[]; pull?: StoredIssue['pull'] }): StoredIssue {
    const state = this.repo(owner, repo);
    const now = new Date().toISOString();
    const issue: StoredIssue = {
      number: state.nextNumber++,
      title: fields.title,
      body: fields.body ?? null,
      state: 'open',
      labels: [...new Set(fields.labels ?? [])],
      createdAt: now,
      updatedAt: now,
      pull: fields.pull,
    };
    state.issues.set(issue.number, issue);
    return issue;
  }

  /** A pull request; `headSha` (default: a made-up sha) and `headRepo` (`owner/name` of a fork; default this repository) as the test needs. */
  createPull(owner: string, repo: string, fields: { title: string; head: string; base: string; body?: string | null; draft?: boolean; headSha?: string; headRepo?: string }): StoredIssue {
    return this.createIssue(owner, repo, {
      title: fields.title,
      body: fields.body,
      pull: { head: fields.head, base: fields.base, draft: fields.draft ?? false, headSha: fields.headSha ?? fakeSha(`head:${fields.head}`), baseSha: fakeSha(`base:${fields.base}`), headRepo: fields.headRepo },
    });
  }

  issue(owner: string, repo: string, issueNumber: number): StoredIssue | undefined {
    return this.repo(owner, repo).issues.get(issueNumber);
  }

  addComment(owner: string, repo: string, issueNumber: number, body: string): StoredComment {
    const now = new Date().toISOString();
    const comment = { id: this.nextCommentId++, issueNumber, body, createdAt: now, updatedAt: now };
    this.repo(owner, repo).comments.push(comment);
    return comment;
  }

  comments(owner: string, repo: string, issueNumber: number): StoredComment[] {
    return this.repo(owner, repo).comments.filter((c) => c.issueNumber === issueNumber);
  }

  comment(owner: string, repo: string, commentId: number): StoredComment | undefined {
    return this.repo(owner, repo).comments.find((c) => c.id === commentId);
  }
}

function fakeSha(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(8, '0').repeat(5);
}

function pullJson(r: HandledRequest, issue: StoredIssue): JsonObject {
  const { owner, repo } = target(r);
  const pull = issue.pull!;
  return {
    number: issue.number,
    url: `${r.serverUrl}/repos/${owner}/${repo}/pulls/${issue.number}`,
    html_url: `https://github.com/${owner}/${repo}/pull/${issue.number}`,
    state: issue.state,
    title: issue.title,
    body: issue.body,
    draft: pull.draft,
    merged: false,
    merge_commit_sha: null,
    user: BOT,
    labels: issue.labels.map(labelJson),
    head: {
      ref: pull.head,
      sha: pull.headSha,
      label: `${(pull.headRepo ?? `${owner}/${repo}`).split('/')[0]}:${pull.head}`,
      repo: { full_name: pull.headRepo ?? `${owner}/${repo}`, fork: pull.headRepo !== undefined && pull.headRepo !== `${owner}/${repo}` },
    },
    base: { ref: pull.base, sha: pull.baseSha, label: `${owner}:${pull.base}` },
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
  };
}

function issueJson(r: HandledRequest, issue: StoredIssue): JsonObject {
  const { owner, repo } = target(r);
  return {
    number: issue.number,
    url: `${r.serverUrl}/repos/${owner}/${repo}/issues/${issue.number}`,
    html_url: `https://github.com/${owner}/${repo}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`,
    state: issue.state,
    title: issue.title,
    body: issue.body,
    user: BOT,
    labels: issue.labels.map(labelJson),
    ...(issue.pull ? { pull_request: { url: `${r.serverUrl}/repos/${owner}/${repo}/pulls/${issue.number}` } } : {}),
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
  };
}

function commentJson(r: HandledRequest, comment: StoredComment): JsonObject {
  const { owner, repo } = target(r);
  return {
    id: comment.id,
    url: `${r.serverUrl}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${owner}/${repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: BOT,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
  };
}

function labelJson(name: string): JsonObject {
  return { id: Number.parseInt(fakeSha(name).slice(0, 6), 16), name, color: 'ededed', default: false, description: null };
}

/** One page of a listing (`per_page` default 30, at most 100) with GitHub's Link header. */
function page(r: HandledRequest, items: unknown[]): ScriptedResponse {
  const perPage = Math.min(Math.max(Number(r.query.per_page ?? 30), 1), 100);
  const current = Math.max(Number(r.query.page ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number, rel: string): string => {
    const target = new URL(r.path, r.serverUrl);
    for (const [name, value] of Object.entries(r.query)) target.searchParams.set(name, String(value));
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(n));
    return `<${target.href}>; rel="${rel}"`;
  };
  const links = [
    ...(current < last ? [link(current + 1, 'next'), link(last, 'last')] : []),
    ...(current > 1 ? [link(1, 'first'), link(current - 1, 'prev')] : []),
  ];
  return {
    status: 200,
    body: items.slice((current - 1) * perPage, current * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function target(r: HandledRequest): { owner: string; repo: string } {
  return r.params as { owner: string; repo: string };
}

function withIssue(r: HandledRequest, number: unknown, answer: (issue: StoredIssue) => ScriptedResponse): ScriptedResponse {
  const { owner, repo } = target(r);
  const issue = r.store.issue(owner, repo, Number(number));
  return issue ? answer(issue) : { status: 404, body: NOT_FOUND };
}

function withPull(r: HandledRequest, answer: (issue: StoredIssue) => ScriptedResponse): ScriptedResponse {
  return withIssue(r, r.params.pull_number, (issue) => (issue.pull ? answer(issue) : { status: 404, body: NOT_FOUND }));
}

function validationFailed(errors: JsonObject[]): ScriptedResponse {
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: 'https://docs.github.com/rest', status: '422' } };
}

function touch(issue: StoredIssue): void {
  issue.updatedAt = new Date().toISOString();
}

type Body = Record<string, unknown>;

const BUILT_IN: Record<string, (r: HandledRequest) => ScriptedResponse> = {
  'GET /repos/{owner}/{repo}/pulls/{pull_number}': (r) => withPull(r, (issue) => ({ status: 200, body: pullJson(r, issue) })),

  'GET /repos/{owner}/{repo}/pulls': (r) => {
    const { owner, repo } = target(r);
    const state = String(r.query.state ?? 'open');
    const pulls = [...r.store.repo(owner, repo).issues.values()].filter((i) => i.pull && (state === 'all' || i.state === state));
    return page(r, pulls.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.number - a.number).map((i) => pullJson(r, i)));
  },

  'POST /repos/{owner}/{repo}/pulls': (r) => {
    const { owner, repo } = target(r);
    const body = r.body as Body;
    if (typeof body.title !== 'string') return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const open = [...r.store.repo(owner, repo).issues.values()].find(
      (i) => i.state === 'open' && i.pull?.head === body.head && i.pull?.base === body.base,
    );
    if (open) return validationFailed([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${String(body.head)}.` }]);
    const issue = r.store.createPull(owner, repo, body as { title: string; head: string; base: string; body?: string; draft?: boolean });
    return { status: 201, body: pullJson(r, issue) };
  },

  'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': (r) =>
    withPull(r, (issue) => {
      const body = r.body as Body;
      if (typeof body.title === 'string') issue.title = body.title;
      if (typeof body.body === 'string') issue.body = body.body;
      if (body.state === 'open' || body.state === 'closed') issue.state = body.state;
      if (typeof body.base === 'string') issue.pull!.base = body.base;
      touch(issue);
      return { status: 200, body: pullJson(r, issue) };
    }),

  'POST /repos/{owner}/{repo}/issues': (r) => {
    const { owner, repo } = target(r);
    const body = r.body as Body;
    const labels = ((body.labels as unknown[] | undefined) ?? []).map((l) => (typeof l === 'string' ? l : String((l as Body).name)));
    const issue = r.store.createIssue(owner, repo, { title: String(body.title), body: (body.body as string | undefined) ?? null, labels });
    return { status: 201, body: issueJson(r, issue) };
  },

  'GET /repos/{owner}/{repo}/issues/{issue_number}': (r) => withIssue(r, r.params.issue_number, (issue) => ({ status: 200, body: issueJson(r, issue) })),

  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': (r) =>
    withIssue(r, r.params.issue_number, (issue) => {
      const { owner, repo } = target(r);
      return page(r, r.store.comments(owner, repo, issue.number).map((c) => commentJson(r, c)));
    }),

  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': (r) =>
    withIssue(r, r.params.issue_number, (issue) => {
      const { owner, repo } = target(r);
      const comment = r.store.addComment(owner, repo, issue.number, String((r.body as Body).body));
      return { status: 201, body: commentJson(r, comment) };
    }),

  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': (r) => {
    const { owner, repo } = target(r);
    const comment = r.store.comment(owner, repo, Number(r.params.comment_id));
    if (!comment) return { status: 404, body: NOT_FOUND };
    comment.body = String((r.body as Body).body);
    comment.updatedAt = new Date().toISOString();
    return { status: 200, body: commentJson(r, comment) };
  },

  'GET /repos/{owner}/{repo}/issues/{issue_number}/labels': (r) =>
    withIssue(r, r.params.issue_number, (issue) => page(r, issue.labels.map(labelJson))),

  'POST /repos/{owner}/{repo}/issues/{issue_number}/labels': (r) =>
    withIssue(r, r.params.issue_number, (issue) => {
      const body = r.body as Body | unknown[];
      const given = (Array.isArray(body) ? body : ((body.labels as unknown[] | undefined) ?? [])) as unknown[];
      const names = given.map((l) => (typeof l === 'string' ? l : String((l as Body).name)));
      issue.labels = [...new Set([...issue.labels, ...names])];
      touch(issue);
      return { status: 200, body: issue.labels.map(labelJson) };
    }),
};
