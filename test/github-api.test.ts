import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { UserError } from '../packages/core/src/base/errors.js';
import { GitHubApiError, GitHubClient, stickyMarker } from '../packages/core/src/github/github.js';
import { loadGitHubDescription, startGitHubApi, type GitHubApiServer } from './harness/github-api.js';

const TOKEN = 'ghs_test_token';

let server: GitHubApiServer;
let client: GitHubClient;

beforeEach(async () => {
  server = await startGitHubApi({ token: TOKEN });
  client = new GitHubClient({ baseUrl: server.url, token: TOKEN });
});

afterEach(async () => {
  await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<GitHubApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  expect(error).toBeInstanceOf(UserError);
  return error as GitHubApiError;
}

describe('the OpenAPI description', () => {
  // How long it takes is printed, not asserted: speed belongs in `npm run bench`, not in a timed test.
  it('loads every path of api.github.com', () => {
    const { loadMs, routes } = loadGitHubDescription();
    console.log(`api.github.com description: ${routes.length} paths loaded in ${loadMs.toFixed(0)} ms`);
    expect(routes.length).toBeGreaterThan(500);
  });
});

describe('GitHubClient against the harness', () => {
  it('creates, reads and updates a pull request with the headers GitHub expects', async () => {
    const created = await client.createPull('octo', 'app', { title: 'Roll back session pr-7', head: 'rollback/pr-7', base: 'main', body: 'why', draft: true });
    expect(created).toMatchObject({ number: 1, title: 'Roll back session pr-7', draft: true, head: { ref: 'rollback/pr-7' }, base: { ref: 'main' } });

    const updated = await client.updatePull('octo', 'app', created.number, { title: 'Roll back pr-7', state: 'closed' });
    expect(updated).toMatchObject({ title: 'Roll back pr-7', state: 'closed' });
    expect(await client.getPull('octo', 'app', created.number)).toMatchObject({ title: 'Roll back pr-7' });

    const post = server.requests[0]!;
    expect(post).toMatchObject({ method: 'POST', path: '/repos/octo/app/pulls', operationId: 'pulls/create' });
    expect(post.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(server.violations).toEqual([]);
  });

  it('URL-encodes path parameters and sends leftover parameters as the query', async () => {
    server.on('GET', '/repos/{owner}/{repo}/git/ref/{ref}', (r) => ({ status: 200, body: { ref: `refs/${String(r.params.ref)}` } }));
    const { data } = await client.request<{ ref: string }>('GET', '/repos/{owner}/{repo}/git/ref/{ref}', { owner: 'octo', repo: 'app', ref: 'heads/feature a' });
    expect(data.ref).toBe('refs/heads/feature a');
    expect(server.requests.at(-1)!.path).toBe('/repos/octo/app/git/ref/heads%2Ffeature%20a');

    await client.request('GET', '/repos/{owner}/{repo}/pulls', { owner: 'octo', repo: 'app', state: 'open', per_page: 5 }).catch(() => undefined);
    expect(server.requests.at(-1)!.query).toEqual({ state: 'open', per_page: '5' });
    expect(server.violations).toEqual([]);
  });

  it('creates issues and comments, lists and updates comments, and lists a pull request’s labels', async () => {
    const issue = await client.createIssue('octo', 'app', { title: 'Recovery: pr-7', body: 'record', labels: ['rollback'] });
    expect(issue).toMatchObject({ number: 1, title: 'Recovery: pr-7' });

    const first = await client.createIssueComment('octo', 'app', issue.number, 'first');
    await client.createIssueComment('octo', 'app', issue.number, 'second');
    await client.updateIssueComment('octo', 'app', first.id, 'first, edited');
    const comments = await client.listIssueComments('octo', 'app', issue.number);
    expect(comments.map((c) => c.body)).toEqual(['first, edited', 'second']);

    const pull = await client.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' });
    await client.request('POST', '/repos/{owner}/{repo}/issues/{issue_number}/labels', { owner: 'octo', repo: 'app', issue_number: pull.number }, { labels: ['cross-layer', 'security-reviewed'] });
    const labels = await client.listPullLabels('octo', 'app', pull.number);
    expect(labels.map((l) => l.name)).toEqual(['cross-layer', 'security-reviewed']);
    expect(server.violations).toEqual([]);
  });

  it('follows the Link header across pages', async () => {
    const pull = await client.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' });
    for (let i = 0; i < 230; i++) server.store.addComment('octo', 'app', pull.number, `comment ${i}`);

    const comments = await client.listIssueComments('octo', 'app', pull.number);
    expect(comments).toHaveLength(230);
    expect(comments.at(-1)!.body).toBe('comment 229');
    const listings = server.requests.filter((r) => r.operationId === 'issues/list-comments');
    expect(listings.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(server.violations).toEqual([]);
  });

  it('stops after maxPages instead of looping forever', async () => {
    server.on('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (r) => ({
      status: 200,
      body: [],
      headers: { link: `<${r.serverUrl}${r.path}?page=${Number(r.query.page ?? 1) + 1}>; rel="next"` },
    }));
    const limited = new GitHubClient({ baseUrl: server.url, token: TOKEN, maxPages: 3 });
    await expect(limited.listIssueComments('octo', 'app', 1)).rejects.toThrow(/stopped after 3 pages/);
    expect(server.requests).toHaveLength(3);
  });
});

describe('upsertStickyComment', () => {
  it('creates the comment once, then updates it, never duplicating it', async () => {
    const pull = await client.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' });
    server.store.addComment('octo', 'app', pull.number, 'a human comment');

    const first = await client.upsertStickyComment('octo', 'app', pull.number, 'scope-guard', 'Scope: 3 files');
    const second = await client.upsertStickyComment('octo', 'app', pull.number, 'scope-guard', 'Scope: 4 files');
    const other = await client.upsertStickyComment('octo', 'app', pull.number, 'verify-rollback', 'Rollback window open');

    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(other.created).toBe(true);
    const bodies = server.store.comments('octo', 'app', pull.number).map((c) => c.body);
    expect(bodies).toEqual(['a human comment', `${stickyMarker('scope-guard')}\nScope: 4 files`, `${stickyMarker('verify-rollback')}\nRollback window open`]);
    expect(server.violations).toEqual([]);
  });

  it('finds its comment beyond the first page and skips an update that changes nothing', async () => {
    const pull = await client.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' });
    for (let i = 0; i < 150; i++) server.store.addComment('octo', 'app', pull.number, `comment ${i}`);
    const sticky = server.store.addComment('octo', 'app', pull.number, `${stickyMarker('gate')}\nsame`);

    expect(await client.upsertStickyComment('octo', 'app', pull.number, 'gate', 'same')).toEqual({ id: sticky.id, created: false });
    expect(server.requests.some((r) => r.method !== 'GET' && r.path.includes('/comments'))).toBe(false);
    expect(server.store.comments('octo', 'app', pull.number)).toHaveLength(151);
  });

  it('refuses a marker that would break out of the HTML comment', () => {
    expect(() => stickyMarker('x --> <b>')).toThrow(/marker/);
  });
});

describe('errors name the next step', () => {
  it('401: the token is invalid or expired', async () => {
    const anonymous = new GitHubClient({ baseUrl: server.url, token: 'wrong' });
    const error = await rejection(anonymous.getPull('octo', 'app', 1));
    expect(error.status).toBe(401);
    expect(error.message).toContain('Bad credentials');
    expect(error.hint).toMatch(/token is invalid or expired/);
  });

  it('403: names the permission to add under permissions:, and the fork case', async () => {
    server.on('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 403, body: { message: 'Resource not accessible by integration' } });
    const error = await rejection(client.createIssueComment('octo', 'app', 1, 'hi'));
    expect(error).toMatchObject({ status: 403, method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments', apiMessage: 'Resource not accessible by integration' });
    expect(error.hint).toContain('`issues: write (or pull-requests: write for a pull request)`');
    expect(error.hint).toContain('under `permissions:`');
    expect(error.hint).toMatch(/fork.*read-only/);

    server.on('POST', '/repos/{owner}/{repo}/pulls', { status: 403, body: { message: 'GitHub Actions is not permitted to create or approve pull requests.' } });
    const settings = await rejection(client.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' }));
    expect(settings.hint).toMatch(/Allow GitHub Actions to create and approve pull requests/);
  });

  it('404: the resource does not exist or the token cannot see it', async () => {
    const error = await rejection(client.getPull('octo', 'private-app', 99));
    expect(error.status).toBe(404);
    expect(error.message).toContain('GET /repos/{owner}/{repo}/pulls/{pull_number} failed with 404: Not Found');
    expect(error.hint).toMatch(/does not exist, or the token cannot see it/);
    expect(error.hint).toContain('`contents: read`');
  });

  it('422: carries GitHub’s validation messages', async () => {
    await client.createPull('octo', 'app', { title: 't', head: 'rollback/pr-7', base: 'main' });
    const error = await rejection(client.createPull('octo', 'app', { title: 't', head: 'rollback/pr-7', base: 'main' }));
    expect(error.status).toBe(422);
    expect(error.message).toContain('Validation Failed (A pull request already exists for octo:rollback/pr-7.)');
    expect(error.validationErrors).toEqual([{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for octo:rollback/pr-7.' }]);

    server.on('POST', '/repos/{owner}/{repo}/issues', { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }] } });
    const missing = await rejection(client.createIssue('octo', 'app', { title: '' }));
    expect(missing.message).toContain('(Issue.title missing_field)');
  });

  it('retries once after a rate limit, waiting what retry-after says', async () => {
    let calls = 0;
    server.on('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', () =>
      ++calls === 1 ? { status: 429, body: { message: 'You have exceeded a secondary rate limit.' }, headers: { 'retry-after': '2' } } : undefined,
    );
    const waits: number[] = [];
    const patient = new GitHubClient({ baseUrl: server.url, token: TOKEN, sleep: async (ms) => void waits.push(ms) });
    await patient.createPull('octo', 'app', { title: 't', head: 'h', base: 'main' });
    expect((await patient.getPull('octo', 'app', 1)).number).toBe(1);
    expect(waits).toEqual([2000]);

    server.on('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', { status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '1' } });
    const error = await rejection(patient.getPull('octo', 'app', 1));
    expect(error.status).toBe(403);
    expect(error.hint).toMatch(/rate-limited/);
    expect(waits).toEqual([2000, 1000]);
  });

  it('a network failure says which call and what to check', async () => {
    await server.close();
    const error = await rejection(client.getPull('octo', 'app', 1));
    expect(error.status).toBe(0);
    expect(error.hint).toMatch(/GITHUB_API_URL/);
    server = await startGitHubApi();
  });
});

describe('the harness rejects requests GitHub would not accept', () => {
  async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; data: { message: string; errors: string[] } }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, data: (await response.json()) as { message: string; errors: string[] } };
  }

  it('a body missing a required property', async () => {
    const { status, data } = await raw('POST', '/repos/o/r/pulls', { title: 'no head', base: 'main' });
    expect(status).toBe(400);
    expect(data.errors).toEqual(["body must have required property 'head'"]);
    expect(server.violations).toEqual([{ method: 'POST', path: '/repos/o/r/pulls', operationId: 'pulls/create', errors: ["body must have required property 'head'"] }]);
    expect(server.store.repo('o', 'r').issues.size).toBe(0);
  });

  it('an unknown route, a method the route lacks, a bad path parameter, an unknown query parameter, a wrong type', async () => {
    expect((await raw('GET', '/repos/o/r/pullz/1')).status).toBe(404);
    expect((await raw('PUT', '/repos/o/r/pulls/1')).status).toBe(404);
    expect((await raw('GET', '/repos/o/r/pulls/not-a-number')).status).toBe(400);
    expect((await raw('GET', '/repos/o/r/issues/1/comments?owner=o')).status).toBe(400);
    expect((await raw('PATCH', '/repos/o/r/issues/comments/1', { body: 42 })).status).toBe(400);
    expect(server.violations.map((v) => v.errors)).toEqual([
      ['no path in GitHub\'s REST API description matches /repos/o/r/pullz/1'],
      ['/repos/{owner}/{repo}/pulls/{pull_number} has no PUT operation (it has GET, PATCH)'],
      ['path/pull_number must be integer'],
      ['query has a property the description does not define: "owner"'],
      ['body/body must be string'],
    ]);
  });

  it('accepts what the description allows: null for nullable fields, either branch of a oneOf', async () => {
    const { status } = await raw('PATCH', '/repos/o/r/issues/1', { title: 7, milestone: null, state_reason: null, labels: ['bug', { name: 'rollback' }] });
    expect(status).toBe(501); // valid, but the harness has no built-in handler for it
    expect(server.violations).toEqual([]);

    expect((await raw('PATCH', '/repos/o/r/issues/1', { state: null })).status).toBe(400); // `state` is not nullable
    expect(server.violations[0]!.errors).toContain('body/state must be string');
  });

  it('refuses to script an operation the description lacks', () => {
    expect(() => server.on('GET', '/repos/{owner}/{repo}/pullz', { status: 200 })).toThrow(/no GET/);
  });

  it('the client surfaces the harness’s explanation', async () => {
    const error = await rejection(client.request('POST', '/repos/{owner}/{repo}/pulls', { owner: 'o', repo: 'r' }, { title: 't', base: 'main' }));
    expect(error.status).toBe(400);
    expect(error.message).toContain("body must have required property 'head'");
  });
});
