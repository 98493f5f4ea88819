import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, moveBranchOnFetch, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const loopback = useGitHubApi();

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function repo(files: Record<string, string> = { 'README.md': '# app\n', 'src/core.ts': 'export const core = 1;\n' }): TestRepo {
  const r = createRepo({ initial: files });
  repos.push(r);
  return r;
}

async function checkpoint(r: TestRepo, id: string): Promise<string> {
  const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id } });
  expect(run.exitCode).toBe(0);
  return run.outputs.sha!;
}

const rollback = (r: TestRepo, inputs: Record<string, string>, extra: Partial<Parameters<typeof runAction>[1]> = {}) =>
  runAction('rollback', {
    workspace: r.dir,
    inputs: { token: '', ...inputs },
    ...extra,
    env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20', ...extra.env },
  });

function report(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const remoteTree = (r: TestRepo, rev: string): string => git(r.remote, ['rev-parse', `${rev}^{tree}`]);

describe('rollback bundle: strategies', () => {
  it('revert-squash: one revert of the session squash commit, as a PR with valid API calls', async () => {
    const r = repo();
    const base = await checkpoint(r, 's1');
    r.commit(`feat: agent session\n\nSession-Id: s1\nSquashed-Commits: 3\n${CLAUDE}\n`, { 'src/feature.ts': 'export const f = 1;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 's1', token: 'ghs_test', 'detected-at': '2026-03-01T10:00:00Z' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    // No verify.commands: nothing checked the rolled-back tree, so it is not claimed verified.
    expect(run.outputs).toMatchObject({ strategy: 'revert-squash', branch: 'rollback/s1', verified: 'false', verification: 'none' });
    expect(run.summary).toContain('| verified | **no**: no checks configured \\(verify.commands\\) |'); // Markdown-escaped
    expect(JSON.parse(run.outputs.commits!)).toEqual([r.head()]);
    expect(remoteTree(r, 'refs/heads/rollback/s1')).toBe(remoteTree(r, base));
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(r.head());
    expect(run.outputs['pr-url']).toMatch(/\/pull\/\d+$/);
    const created = loopback.server.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pulls'));
    expect(created.at(-1)?.body).toMatchObject({ head: 'rollback/s1', base: 'main', title: 'Roll back s1' });
    const rep = report(run.outputs['report-path']!);
    expect(rep).toMatchObject({ strategy: 'revert-squash', commits: [r.head()], detectedAt: '2026-03-01T10:00:00.000Z', verified: false, verification: 'none', outcome: 'succeeded', sessionId: 's1' });
    expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate/lock'])).toBe('');
  });

  it('the pull request body is rendered after the outcome and the finish time are known: read back from the API, it says succeeded and the report\'s times', async () => {
    const r = repo();
    await checkpoint(r, 's9');
    r.commit(`feat: agent session\n\nSession-Id: s9\n${CLAUDE}\n`, { 'src/feature.ts': 'export const f = 9;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 's9', token: 'ghs_test' });
    expect(run.exitCode).toBe(0);
    const number = Number(/\/pull\/(\d+)$/.exec(run.outputs['pr-url']!)?.[1]);
    const response = await fetch(`${loopback.server.url}/repos/octo-org/octo-repo/pulls/${number}`, { headers: { authorization: 'Bearer ghs_test', accept: 'application/vnd.github+json' } });
    expect(response.status).toBe(200);
    const body = ((await response.json()) as { body: string }).body;
    const rep = report(run.outputs['report-path']!) as { outcome: string; startedAt: string; finishedAt: string };
    expect(rep.outcome).toBe('succeeded');
    expect(Date.parse(rep.finishedAt)).toBeGreaterThan(Date.parse(rep.startedAt));
    const stamp = (iso: string): string => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
    expect(body.startsWith('<!-- rollback-gate:rollback -->\n## ⚠️ Rollback of `s9`: succeeded, not verified')).toBe(true);
    expect(body).toContain('| outcome | succeeded |');
    expect(body).not.toContain('| outcome | **failed** |');
    expect(body).toContain(`| started | ${stamp(rep.startedAt)} |`);
    expect(body).toContain(`| finished | ${stamp(rep.finishedAt)}`);
    // The PR links itself and the run once it exists: opened first, then its body updated once.
    expect(body).toContain(`| pull request | [#${number}](https://github.com/octo-org/octo-repo/pull/${number}) |`);
    expect(body).toMatch(/\| run \| \[the workflow run \(log and report artifact\)\]\(https:\/\/github\.com\/octo-org\/octo-repo\/actions\/runs\/\d+/);
    const opened = loopback.server.requests.filter((q) => q.method === 'POST' && q.path === '/repos/octo-org/octo-repo/pulls' && (q.body as { head?: string }).head === 'rollback/s9');
    const updated = loopback.server.requests.filter((q) => q.method === 'PATCH' && q.path === `/repos/octo-org/octo-repo/pulls/${number}`);
    expect(opened).toHaveLength(1);
    expect(updated).toHaveLength(1);
    expect((updated[0]!.body as { body: string }).body).toBe(body);
    expect((opened[0]!.body as { body: string }).body).not.toContain('| outcome | **failed** |');
    // The job summary is the same report (without the marker).
    expect(run.summary).toContain('| outcome | succeeded |');
  });

  it('revert-range: a session that landed as several commits, newest first, back to the checkpoint tree', async () => {
    const r = repo();
    const base = await checkpoint(r, 's2');
    const shas = [1, 2, 3].map((i) => r.commit(`feat: step ${i}\n\n${CLAUDE}\n`, { 'src/core.ts': `export const core = ${i + 1};\n`, [`src/f${i}.ts`]: `${i}\n` }));
    r.git(['push', '--quiet', 'origin', 'main']);

    const batch = await rollback(r, { target: 'checkpoint/s2', direct: 'true' });
    expect(batch.exitCode).toBe(0);
    expect(batch.outputs.strategy).toBe('revert-range');
    expect(JSON.parse(batch.outputs.commits!)).toEqual([...shas].reverse());
    expect(batch.outputs.verified).toBe('false'); // no checks configured
    expect(git(r.remote, ['rev-list', '--count', `${r.head()}..refs/heads/main`])).toBe('1');
    expect(remoteTree(r, 'refs/heads/main')).toBe(remoteTree(r, base));
  });

  it('revert-range with batch: false makes one revert commit per commit', async () => {
    const r = repo();
    const base = await checkpoint(r, 's3');
    for (const i of [1, 2]) r.commit(`feat: ${i}\n\nSession-Id: s3\n`, { [`f${i}.txt`]: `${i}\n` });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 's3', batch: 'false', direct: 'true' });
    expect(run.exitCode).toBe(0);
    const subjects = git(r.remote, ['log', '--format=%s', `${r.head()}..refs/heads/main`]).split('\n');
    expect(subjects).toEqual(['Revert "feat: 1"', 'Revert "feat: 2"']);
    expect(remoteTree(r, 'refs/heads/main')).toBe(remoteTree(r, base));
  });

  it('revert-merge: a PR merged with a merge commit is reverted with -m 1, found by number without a token', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'feature']);
    r.commit('feat: on the branch', { 'branch.txt': 'b\n' });
    r.git(['switch', '--quiet', 'main']);
    r.commit('main moves', { 'main.txt': 'm\n' });
    const before = r.git(['rev-parse', 'HEAD^{tree}']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from octo-org/feature', 'feature']);
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: '#7', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('revert-merge');
    expect(remoteTree(r, 'refs/heads/main')).toBe(before);
  });

  it('delete-branch: a never-merged PR is archived, its branch deleted, the PR commented and closed', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'agent/session']);
    const head = r.commit('feat: unmerged', { 'x.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'agent/session']);
    r.git(['switch', '--quiet', 'main']);
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'agent work', head: 'agent/session', base: 'main', headSha: head });
    const run = await rollback(r, { target: `pr-${pr.number}`, token: 'ghs_test' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('delete-branch');
    expect(git(r.remote, ['branch', '--list', 'agent/session'])).toBe('');
    expect(git(r.remote, ['rev-parse', `refs/rollback-gate/archive/pr-${pr.number}`])).toBe(head);
    expect(loopback.server.store.issue('octo-org', 'octo-repo', pr.number)?.state).toBe('closed');
    expect(loopback.server.store.comments('octo-org', 'octo-repo', pr.number).at(-1)?.body).toContain(`refs/rollback-gate/archive/pr-${pr.number}`);
  });
});

describe('rollback bundle: bisect', () => {
  it('finds the planted culprit of a 64-commit session in at most 7 runs and reverts exactly it and its 2 dependents', async () => {
    const r = repo({ 'README.md': '# app\n', 'src/core.ts': 'export const value = 1;\n', 'src/other.ts': 'export const other = 1;\n' });
    await checkpoint(r, 'big');
    const shas: string[] = [];
    for (let i = 0; i < 64; i++) {
      if (i === 23) shas.push(r.commit('feat: tune core', { 'src/core.ts': 'export const value = 1; // BUG\n' }));
      else if (i === 40) shas.push(r.commit('feat: extend core', { 'src/core.ts': 'export const value = 1; // BUG\nexport const more = 2;\n' }));
      else if (i === 51) shas.push(r.commit('feat: use core', { 'src/uses-core.ts': "import { value } from './core';\nexport const twice = value * 2;\n" }));
      else shas.push(r.commit(`feat: unrelated ${i}`, { [`docs/n${i}.md`]: `${i}\n`, 'src/other.ts': `export const other = ${i};\n` }));
    }
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'big', strategy: 'bisect', 'bisect-command': '! grep -q BUG src/core.ts', direct: 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.culprit).toBe(shas[23]);
    const rep = report(run.outputs['report-path']!) as { bisect: { runs: number }; commits: string[]; cascade: Array<{ commit: string; reason: string }> };
    expect(rep.bisect.runs).toBeLessThanOrEqual(7);
    expect(rep.commits).toEqual([shas[51], shas[40], shas[23]]);
    expect(rep.cascade.map((c) => c.commit)).toEqual([shas[40], shas[51]]);
    expect(rep.cascade[1]!.reason).toContain('src/uses-core.ts');
    expect((rep as unknown as { culpritBlastRadius: Array<{ file: string; chain: string[] }> }).culpritBlastRadius).toEqual([
      { file: 'src/uses-core.ts', chain: ['src/core.ts', 'src/uses-core.ts'] },
    ]);
    const content = git(r.remote, ['show', 'refs/heads/main:src/core.ts']);
    expect(content).toBe('export const value = 1;');
    expect(git(r.remote, ['show', 'refs/heads/main:src/other.ts'])).toBe('export const other = 63;');
  });

  it.each([
    ['always passes', 'true', /passes at the bad end/],
    ['always fails', 'false', /fails at the good end/],
  ])('a bisect command that %s: the range was wrong, nothing reverted', async (_what, command, expected) => {
    const r = repo();
    await checkpoint(r, 'b2');
    for (let i = 0; i < 4; i++) r.commit(`feat: ${i}`, { [`f${i}.txt`]: `${i}\n` });
    r.git(['push', '--quiet', 'origin', 'main']);
    const tip = r.head();
    const run = await rollback(r, { target: 'b2', strategy: 'bisect', 'bisect-command': command, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toMatch(expected);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(tip);
    expect(report(run.outputs['report-path']!)).toMatchObject({ outcome: 'failed', commits: [] });
  });

  it('a bisect command that hangs is killed at its timeout and judged bad', async () => {
    const r = repo();
    await checkpoint(r, 'hang');
    r.commit('feat: a', { 'a.txt': 'a\n' });
    r.commit('feat: hangs', { 'hang.txt': 'h\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(
      r,
      { target: 'hang', strategy: 'bisect', 'bisect-command': 'if [ -f hang.txt ]; then sleep 600; fi', 'dry-run': 'true' },
      { env: { ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '1' } },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs.culprit).toBe(r.head());
  }, 60_000);
});

describe('rollback bundle: bad inputs and faults', () => {
  it('a target that does not exist', async () => {
    const r = repo();
    const run = await rollback(r, { target: 'no-such-session' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('is not a session with a checkpoint');
  });

  it('an ambiguous target: a PR number and a tag of the same name', async () => {
    const r = repo();
    r.git(['tag', '123']);
    r.git(['push', '--quiet', 'origin', '123']);
    const run = await rollback(r, { target: '123' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('ambiguous');
    expect(run.annotations[0]!.message).toContain('#123');
  });

  it.each([['$(id)'], ['a;b'], ['--upload-pack=x']])('a target with shell syntax %j is refused', async (target) => {
    const r = repo();
    const run = await rollback(r, { target });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toMatch(/input `target`/);
  });

  it('a revert conflict aborts, pushes nothing, and names the files and the commit', async () => {
    const r = repo();
    const bad = r.commit('feat: set value', { 'src/core.ts': 'export const core = 2;\n' });
    r.commit('feat: later edit', { 'src/core.ts': 'export const core = 3;\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(1);
    const message = run.annotations[0]!.message;
    expect(message).toContain(bad.slice(0, 12));
    expect(message).toContain('src/core.ts');
    expect(message).toContain('Nothing was pushed');
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
  });

  it('a commit already reverted is skipped and reported', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['revert', '--no-edit', bad]);
    r.git(['push', '--quiet', 'origin', 'main']);
    const tip = r.head();
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('already reverted by');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(tip);
  });

  it('the branch moves during the run: the lease refuses and nothing is lost', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const other = r.commit('someone else lands', { 'other.txt': 'o\n' });
    r.git(['push', '--quiet', 'origin', `${other}:refs/heads/staging`]);
    moveBranchOnFetch(r, 'main', other, 3);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('moved from');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(other);
  });

  it('without permission to open the PR, the branch is pushed and the message names the permission and the App token', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    loopback.server.on('POST', '/repos/{owner}/{repo}/pulls', { status: 403, body: { message: 'Resource not accessible by integration' } });
    try {
      const run = await rollback(r, { target: bad, token: 'ghs_readonly' });
      expect(run.exitCode).toBe(1);
      const message = run.annotations[0]!.message;
      expect(message).toContain(`pushed as rollback/${bad.slice(0, 12)}`);
      expect(message).toContain('pull-requests: write');
      expect(message).toContain('GitHub App token');
      expect(git(r.remote, ['branch', '--list', `rollback/${bad.slice(0, 12)}`])).not.toBe('');
    } finally {
      loopback.server.on('POST', '/repos/{owner}/{repo}/pulls', () => undefined);
    }
  });

  it('a second rollback of the same target sees the first and stops', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const emptyTree = r.git(['hash-object', '-t', 'tree', '-w', '/dev/null']);
    const lock = r.git(['commit-tree', emptyTree, '-m', 'rollback-gate lock\n\nrun: https://github.com/o/r/actions/runs/1']);
    r.git(['push', '--quiet', 'origin', `${lock}:refs/rollback-gate/lock/${bad.slice(0, 12)}`]);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('another rollback of');
    expect(run.annotations[0]!.message).toContain('actions/runs/1');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(bad);
  });

  it('dry-run does everything except push', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: bad, 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['rollback-sha']).toMatch(/^[0-9a-f]{40}$/);
    expect(report(run.outputs['report-path']!)).toMatchObject({ outcome: 'dry-run' });
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
  });

  it('runs the verify checks on the rolled-back tree; a failing check makes verified false', async () => {
    const r = repo({ 'README.md': '# app\n', '.github/rollback-gate.yml': 'verify:\n  commands:\n    - { name: needs-feature, run: test -f feature.txt }\n' });
    const bad = r.commit('feat: add feature', { 'feature.txt': 'f\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: bad, 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verified).toBe('false');
    const rep = report(run.outputs['report-path']!) as { checks: Array<{ name: string; exitCode: number }> };
    expect(rep.checks).toEqual([expect.objectContaining({ name: 'needs-feature', exitCode: 1 })]);
  });

  it('a plan file whose seal does not verify is refused', async () => {
    const r = repo();
    const path = join(r.root, 'plan.json');
    writeFileSync(path, JSON.stringify({ schema: 'rollback-gate/plan@1', kind: 'window', id: 'x', units: [], seal: 'sha256:00' }));
    const run = await rollback(r, { plan: path });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('seal does not verify');
  });
});
