/**
 * The GitHub client's retries and timeouts, against the loopback API (which validates every request
 * against GitHub's OpenAPI description) and against servers that fail in the ways networks do:
 * a 502 then a 200, a 503 with Retry-After, a server error that persists, a refused connection,
 * and a server that accepts the request and never answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { UserError } from '../packages/core/src/base/errors.js';
import { GitHubApiError, GitHubClient, type GitHubClientOptions } from '../packages/core/src/github/github.js';
import { checkMarkdown } from './harness/markdown-check.js';
import { useGitHubApi } from './harness/loopback-api.js';

const TOKEN = 'ghs_test_token';
const api = useGitHubApi({ token: TOKEN });
const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';

/** A client whose waits are recorded instead of slept. */
function recordingClient(options: Partial<GitHubClientOptions> = {}): { client: GitHubClient; waits: number[] } {
  const waits: number[] = [];
  const client = new GitHubClient({ baseUrl: api.server.url, token: TOKEN, sleep: async (ms) => void waits.push(ms), ...options });
  return { client, waits };
}

async function rejection(promise: Promise<unknown>): Promise<GitHubApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  expect(error).toBeInstanceOf(UserError);
  return error as GitHubApiError;
}

/** Answers the first `failures` calls of a route with `failure`, then leaves it to the harness. */
function failFirst(method: string, route: string, failures: number, failure: { status: number; body?: unknown; headers?: Record<string, string> }): () => number {
  let calls = 0;
  api.server.on(method, route, () => (++calls <= failures ? failure : undefined));
  return () => calls;
}

const BAD_GATEWAY = { status: 502, body: { message: 'Server Error' } };

/** A server that accepts connections and requests and never answers them. */
async function silentServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer(() => void requests++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('server errors are retried with backoff', () => {
  it('a GET answered 502 then 200 succeeds after one wait', async () => {
    const { client, waits } = recordingClient();
    await client.createPull('octo', 'app', { title: 'Roll back pr-7', head: 'rollback/pr-7', base: 'main' });
    const calls = failFirst('GET', PULL, 1, BAD_GATEWAY);
    const pull = await client.getPull('octo', 'app', 1);
    expect(pull).toMatchObject({ number: 1, title: 'Roll back pr-7' });
    expect(calls()).toBe(2);
    expect(waits).toEqual([1000]);
  });

  it('waits twice as long each time, up to the retry limit, then names the call, the attempts and the next step', async () => {
    const { client, waits } = recordingClient();
    const calls = failFirst('GET', PULL, 99, { status: 500, body: { message: 'Internal Server Error' } });
    const error = await rejection(client.getPull('octo', 'app', 3));
    expect(calls()).toBe(4);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(error).toMatchObject({ status: 500, attempts: 4, method: 'GET', route: PULL });
    expect(error.message).toContain('GitHub API GET /repos/{owner}/{repo}/pulls/{pull_number} failed with 500 (4 attempts): Internal Server Error');
    expect(error.hint).toMatch(/server error\. Re-run the job.*githubstatus/);
  });

  it('honours Retry-After on a 503 (seconds or an HTTP date), and gives up at once on one longer than the limit', async () => {
    const now = Date.parse('2026-11-30T08:00:00Z');
    const { client, waits } = recordingClient({ now: () => now });
    await client.createPull('octo', 'retry-app', { title: 't', head: 'h', base: 'main' });
    failFirst('GET', PULL, 1, { status: 503, body: { message: 'Service Unavailable' }, headers: { 'retry-after': '7' } });
    await client.getPull('octo', 'retry-app', 1);
    failFirst('GET', PULL, 1, { status: 503, body: { message: 'Service Unavailable' }, headers: { 'retry-after': new Date(now + 5000).toUTCString() } });
    await client.getPull('octo', 'retry-app', 1);
    expect(waits).toEqual([7000, 5000]);

    const calls = failFirst('GET', PULL, 1, { status: 503, body: { message: 'Service Unavailable' }, headers: { 'retry-after': '3600' } });
    const error = await rejection(client.getPull('octo', 'retry-app', 1));
    expect(calls()).toBe(1);
    expect(error).toMatchObject({ status: 503, attempts: 1 });
    expect(waits).toEqual([7000, 5000]);
  });

  it('a PATCH (safe to repeat) is retried; a POST, which may have taken effect, is not, and the hint says to look first', async () => {
    const { client, waits } = recordingClient();
    const pull = await client.createPull('octo', 'patch-app', { title: 't', head: 'h', base: 'main' });
    const created = await client.createIssueComment('octo', 'patch-app', pull.number, 'first');
    const patches = failFirst('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 1, BAD_GATEWAY);
    await client.updateIssueComment('octo', 'patch-app', created.id, 'second');
    expect(patches()).toBe(2);
    expect(api.server.store.comment('octo', 'patch-app', created.id)?.body).toBe('second');

    const posts = failFirst('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 99, BAD_GATEWAY);
    const error = await rejection(client.createIssueComment('octo', 'patch-app', pull.number, 'third'));
    expect(posts()).toBe(1);
    expect(error).toMatchObject({ status: 502, attempts: 1, method: 'POST' });
    expect(error.hint).toMatch(/may have taken effect: look on GitHub before re-running/);
    expect(waits).toEqual([1000]);
    api.server.on('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', () => undefined);
  });

  it('4xx answers are not retried', async () => {
    const { client, waits } = recordingClient();
    const error = await rejection(client.getPull('octo', 'app', 404));
    expect(error).toMatchObject({ status: 404, attempts: 1 });
    expect(waits).toEqual([]);
  });

  it('paginate retries a page that fails and keeps the items of the others', async () => {
    const { client, waits } = recordingClient();
    const pull = await client.createPull('octo', 'page-app', { title: 't', head: 'h', base: 'main' });
    for (let i = 0; i < 3; i++) await client.createIssueComment('octo', 'page-app', pull.number, `c${i}`);
    failFirst('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 1, { status: 504, body: { message: 'Gateway Timeout' } });
    const comments = await client.listIssueComments('octo', 'page-app', pull.number);
    expect(comments.map((c) => c.body)).toEqual(['c0', 'c1', 'c2']);
    expect(waits).toEqual([1000]);
  });
});

describe('calls that get no response', () => {
  it('a server that never answers: each attempt times out, the call is retried, then fails saying it timed out and what to do', async () => {
    const silent = await silentServer();
    try {
      const waits: number[] = [];
      const client = new GitHubClient({ baseUrl: silent.url, token: TOKEN, timeoutMs: 200, retries: 1, sleep: async (ms) => void waits.push(ms) });
      const started = performance.now();
      const error = await rejection(client.getPull('octo', 'app', 1));
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ status: 0, attempts: 2, timedOut: true, method: 'GET' });
      expect(error.message).toContain('GitHub API GET /repos/{owner}/{repo}/pulls/{pull_number} got no response (2 attempts): no answer within 0.2 s');
      expect(error.hint).toMatch(/did not answer within 0\.2 s\. Re-run the job/);
      expect(silent.requests()).toBe(2);
      expect(waits).toEqual([1000]);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(elapsed).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });

  it('a POST that timed out is not sent again (it may have been done)', async () => {
    const silent = await silentServer();
    try {
      const client = new GitHubClient({ baseUrl: silent.url, token: TOKEN, timeoutMs: 150, sleep: async () => {} });
      const error = await rejection(client.createIssueComment('octo', 'app', 1, 'hello'));
      expect(error).toMatchObject({ status: 0, attempts: 1, timedOut: true });
      expect(error.hint).toMatch(/may have taken effect/);
      expect(silent.requests()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('every attempt carries a timeout signal', async () => {
    let seen: AbortSignal | undefined;
    const client = new GitHubClient({
      baseUrl: api.server.url,
      token: TOKEN,
      fetch: async (input, init) => {
        seen = init?.signal ?? undefined;
        return fetch(input, init);
      },
    });
    await client.createPull('octo', 'signal-app', { title: 't', head: 'h', base: 'main' });
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen!.aborted).toBe(false);
  });

  it('a refused connection is retried, for any method (nothing was sent), then names GITHUB_API_URL', async () => {
    const closed = await silentServer();
    const url = closed.url;
    await closed.close();
    const waits: number[] = [];
    const client = new GitHubClient({ baseUrl: url, token: TOKEN, retries: 2, sleep: async (ms) => void waits.push(ms) });
    const error = await rejection(client.createIssueComment('octo', 'app', 1, 'hi'));
    expect(error).toMatchObject({ status: 0, attempts: 3, timedOut: false });
    expect(error.message).toMatch(/got no response \(3 attempts\): fetch failed: .*ECONNREFUSED/);
    expect(error.hint).toMatch(/GITHUB_API_URL/);
    expect(waits).toEqual([1000, 2000]);
  });

  it('a connection reset mid-request is retried for a GET', async () => {
    let calls = 0;
    const flaky: Server = createServer((req, res) => {
      if (++calls === 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ number: 5, title: 'ok', labels: [], head: { ref: 'h', sha: 'a' }, base: { ref: 'main', sha: 'b' } }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const waits: number[] = [];
      const client = new GitHubClient({ baseUrl: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`, sleep: async (ms) => void waits.push(ms) });
      expect((await client.getPull('octo', 'app', 5)).title).toBe('ok');
      expect(calls).toBe(2);
      expect(waits).toEqual([1000]);
    } finally {
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});

describe("every body is held under GitHub's 65,536 characters", () => {
  const OWNER = 'octo-org';
  const REPO = 'octo-repo';
  const LIMIT = 65_536;
  const rows = Array.from({ length: 3000 }, (_, i) => `| \`src/file-${i}.ts\` | a row of a long table, ${i} |`).join('\n');
  const long = `## ❌ a long report\n\n| file | note |\n| --- | --- |\n${rows}\n\n<details><summary>more</summary>\n\n\`\`\`sh\n${Array.from({ length: 500 }, (_, i) => `echo ${i}`).join('\n')}\n\`\`\`\n\n</details>`;

  it('a comment of exactly 65,536 characters is sent as it is; one character more is cut at a line, closed, and says where the rest is', async () => {
    expect(long.length).toBeGreaterThan(LIMIT);
    const { client } = recordingClient();
    const pr = api.server.store.createPull(OWNER, REPO, { title: 'limit', head: 'feature', base: 'main' });
    const exact = `${long.slice(0, LIMIT - 1)}x`;
    expect(exact.length).toBe(LIMIT);
    await client.createIssueComment(OWNER, REPO, pr.number, exact);
    expect(api.server.store.comments(OWNER, REPO, pr.number).at(-1)?.body).toBe(exact);

    const over = await client.createIssueComment(OWNER, REPO, pr.number, `${exact}y`);
    expect(over.body!.length).toBeLessThanOrEqual(LIMIT);
    expect(over.body).toMatch(/\n\n…cut here: GitHub keeps at most 65,536 characters\. The whole report is in the job summary of the run that wrote this\.$/);
    expect(over.body!.slice(0, 1000)).toBe(exact.slice(0, 1000));
    expect(await checkMarkdown(over.body!, { kind: 'comment' })).toEqual([]);
  });

  it('a pull request body, an issue body and a sticky comment over the limit are cut too; a sticky comment is not rewritten when nothing changed', async () => {
    const { client } = recordingClient();
    const pull = await client.createPull(OWNER, REPO, { title: 'big body', head: 'rollback/big', base: 'main', body: long });
    expect(pull.body!.length).toBeLessThanOrEqual(LIMIT);
    const updated = await client.updatePull(OWNER, REPO, pull.number, { body: `${long}\nmore` });
    expect(updated.body!.length).toBeLessThanOrEqual(LIMIT);
    const issue = await client.createIssue(OWNER, REPO, { title: 'big issue', body: long });
    expect(issue.body!.length).toBeLessThanOrEqual(LIMIT);

    const first = await client.upsertStickyComment(OWNER, REPO, pull.number, 'gate', long);
    expect(first.created).toBe(true);
    const stored = api.server.store.comments(OWNER, REPO, pull.number).at(-1)!.body;
    expect(stored.length).toBeLessThanOrEqual(LIMIT);
    expect(stored.startsWith('<!-- rollback-gate:gate -->\n## ❌ a long report')).toBe(true);
    const patches = (): number => api.server.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/issues/comments/')).length;
    const before = patches();
    expect((await client.upsertStickyComment(OWNER, REPO, pull.number, 'gate', long)).created).toBe(false);
    expect(patches()).toBe(before);
  });
});
