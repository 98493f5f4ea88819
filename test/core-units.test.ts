import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import {
  Git,
  GitError,
  canonicalJson,
  computeSeal,
  createClassifier,
  deriveTitle,
  markdownCode,
  markdownTable,
  markdownText,
  outputValue,
  protectFromWorkflowCommands,
  resolveEventContext,
  seal,
  textGlob,
  verifySealed,
  type CommitInfo,
} from '@rollback-gate/core';
import { DEFAULT_CONFIG } from '@rollback-gate/core';
import { createRepo } from './harness/repo.js';
import { parseCommands, webhookPayload } from './harness/run-action.js';

const require = createRequire(import.meta.url);

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '1': 3 })).toBe(
      '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"\u20ac":1}',
    );
  });
  it('writes numbers in ECMAScript shortest form, as RFC 8785 requires', () => {
    expect(canonicalJson([1e21, 0.000001, 1e-7, -0, 333333333.3333333])).toBe('[1e+21,0.000001,1e-7,0,333333333.3333333]');
  });
  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});

describe('seal', () => {
  it('is the sha256 of the canonical form without the seal, and detects any change', () => {
    const doc = seal({ schema: 'rollback-gate/plan@1', steps: [{ revert: 'abc' }] });
    expect(doc.seal).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(computeSeal(doc)).toBe(doc.seal);
    expect(() => verifySealed(doc, 'rollback-gate/plan@1', 'plan.json')).not.toThrow();
    expect(() => verifySealed({ ...doc, steps: [] }, 'rollback-gate/plan@1', 'plan.json')).toThrow(/seal does not verify/);
    expect(() => verifySealed(doc, 'rollback-gate/checkpoint@1', 'plan.json')).toThrow(/expected "rollback-gate\/checkpoint@1"/);
  });
});

describe('event context from real webhook payloads', () => {
  const resolve = (name: string, payload: unknown, env: Record<string, string> = {}) =>
    resolveEventContext({ GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: '/event.json', GITHUB_RUN_ID: '99', GITHUB_REPOSITORY: 'o/r', ...env }, () =>
      JSON.stringify(payload),
    );

  it('pull_request: base, head, number, session pr-<n>, config from the workspace', () => {
    const payload = webhookPayload('pull_request', 'opened') as { number: number; pull_request: { base: { sha: string }; head: { sha: string; ref: string } } };
    const ctx = resolve('pull_request', payload);
    expect(ctx).toMatchObject({
      base: payload.pull_request.base.sha,
      head: payload.pull_request.head.sha,
      headBranch: payload.pull_request.head.ref,
      prNumber: payload.number,
      sessionId: `pr-${payload.number}`,
      configFromBase: false,
    });
  });
  it('pull_request_target: config comes from the base', () => {
    expect(resolve('pull_request_target', webhookPayload('pull_request', 'opened')).configFromBase).toBe(true);
  });
  it('push: before..after, a new branch has no base', () => {
    const payload = webhookPayload('push', undefined) as { before: string; after: string };
    const ctx = resolve('push', payload);
    expect(ctx.head).toBe(payload.after);
    expect(ctx.sessionId).toBe('run-99');
    expect(resolve('push', { ...payload, before: '0'.repeat(40) }).base).toBeUndefined();
  });
  it('merge_group: base and head shas, the PR number from the queue branch', () => {
    const payload = webhookPayload('merge_group', 'checks_requested') as { merge_group: { base_sha: string; head_sha: string; head_ref: string } };
    const ctx = resolve('merge_group', payload);
    expect(ctx.base).toBe(payload.merge_group.base_sha);
    expect(ctx.head).toBe(payload.merge_group.head_sha);
    const pr = payload.merge_group.head_ref.match(/pr-(\d+)-/)?.[1];
    expect(ctx.sessionId).toBe(pr ? `pr-${pr}` : 'run-99');
  });
  it('workflow_dispatch and schedule: the run id, the inputs, the default branch', () => {
    const payload = webhookPayload('workflow_dispatch', undefined) as { inputs: unknown; repository: { default_branch: string } };
    const ctx = resolve('workflow_dispatch', payload, { GITHUB_SHA: 'a'.repeat(40) });
    expect(ctx).toMatchObject({ sessionId: 'run-99', head: 'a'.repeat(40), baseBranch: payload.repository.default_branch });
    expect(resolve('schedule', { schedule: '0 0 * * *' }).sessionId).toBe('run-99');
  });
  it('a payload that is not JSON is a clear error', () => {
    expect(() => resolveEventContext({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '/e' }, () => '{nope')).toThrow(/not valid JSON/);
  });
});

describe('squash title', () => {
  const commit = (subject: string) => ({ subject }) as CommitInfo;
  it('is the first conventional subject, else the first subject, never a ` (#123)` another pull request put there', () => {
    expect(deriveTitle([commit('wip'), commit('feat: parser (#2251)'), commit('fix: lexer')], 's1')).toBe('feat: parser');
    expect(deriveTitle([commit('Update docs (#12)'), commit('More docs')], 's1')).toBe('Update docs');
    expect(deriveTitle([commit('fixup! feat: x'), commit('(#7)')], 's1')).toBe('Session s1');
    expect(deriveTitle([commit('feat: release (#1) and (#2) (#3)')], 's1')).toBe('feat: release (#1) and (#2)');
  });
});

describe('commit classification', () => {
  const commit = (over: Partial<CommitInfo>): CommitInfo => ({
    sha: 'a',
    parents: [],
    tree: 't',
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    authorDate: '',
    committerName: 'Ada',
    committerEmail: 'ada@example.com',
    committerDate: '',
    subject: 's',
    message: 's',
    trailers: [],
    signed: false,
    ...over,
  });
  const classify = createClassifier(DEFAULT_CONFIG.agents);

  it.each([
    [{ trailers: [{ key: 'Co-authored-by', value: 'Claude <noreply@anthropic.com>' }] }, 'agent'],
    [{ trailers: [{ key: 'Co-Authored-By', value: 'Claude Opus <noreply@anthropic.com>' }] }, 'agent'],
    [{ trailers: [{ key: 'Generated-by', value: 'some-tool' }] }, 'agent'],
    [{ authorName: 'copilot-swe-agent[bot]', authorEmail: '198982749+Copilot@users.noreply.github.com' }, 'agent'],
    [{ authorName: 'dependabot[bot]', authorEmail: '49699333+dependabot[bot]@users.noreply.github.com' }, 'agent'],
    [{ trailers: [{ key: 'Co-authored-by', value: 'Grace <grace@example.com>' }] }, 'human'],
    [{}, 'human'],
  ] as const)('%j is %s', (over, kind) => {
    expect(classify(commit(over as Partial<CommitInfo>)).kind).toBe(kind);
  });
  it('text globs are whole-string, case-insensitive, and escape regex syntax', () => {
    expect(textGlob('*[bot]*').test('Renovate[Bot] <x>')).toBe(true);
    expect(textGlob('a.c').test('abc')).toBe(false);
  });
});

describe('reporting', () => {
  it('escapes untrusted text for Markdown and HTML', () => {
    expect(markdownText('<img src=x onerror=alert(1)> | [link](http://e) # h')).toBe(
      '&lt;img src=x onerror=alert\\(1\\)&gt; \\| \\[link\\]\\(http:&#8203;//e\\) \\# h',
    );
    expect(markdownCode('a`b|c\nd')).toBe('``a`b|c d``');
    expect(markdownTable(['a'], [[markdownCode('b|c')]])).toBe('| a |\n| --- |\n| `b\\|c` |');
    expect(markdownTable(['a'], [['x\ny']])).toBe('| a |\n| --- |\n| x y |');
  });
  it('wraps text with workflow-command lines in stop-commands the text cannot end', () => {
    const text = 'fine\n  ::set-output name=x::y\n::add-mask::secret';
    const safe = protectFromWorkflowCommands(text, 'tok');
    expect(safe).toBe(`::stop-commands::tok\n${text}\n::tok::`);
    expect(parseCommands(safe)).toEqual([]);
    expect(protectFromWorkflowCommands('no commands here')).toBe('no commands here');
    expect(parseCommands(protectFromWorkflowCommands('##[set-output name=x;]y\n::error::z'))).toEqual([]);
  });
  it('writes non-string outputs as valid JSON', () => {
    expect(JSON.parse(outputValue([{ file: 'a "b"' }]))).toEqual([{ file: 'a "b"' }]);
    expect(outputValue(true)).toBe('true');
  });
});

describe('git wrapper', () => {
  it('names the command, its stderr and the next step on failure', async () => {
    const repo = createRepo();
    try {
      const git = new Git(repo.dir);
      const error = await git.run(['show', 'no-such-ref']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitError);
      expect((error as Error).message).toContain('`git show no-such-ref` failed (exit 128)');
      expect((error as Error).message).toContain('unknown revision');
      expect((error as Error).message).toContain('fetch-depth: 0');
      expect(await git.resolveCommit('--upload-pack=x')).toBeUndefined();
      expect(await git.resolveCommit('HEAD')).toBe(repo.head());
    } finally {
      repo.cleanup();
    }
  });
  it('outside a repository, says to run actions/checkout', async () => {
    const error = await new Git('/').run(['status']).catch((e: unknown) => e);
    expect((error as Error).message).toContain('actions/checkout');
  });
});

it('the webhook examples are the real published payloads', () => {
  const pkg = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples/package.json'), 'utf8')) as { name: string };
  expect(pkg.name).toBe('@octokit/webhooks-examples');
});
