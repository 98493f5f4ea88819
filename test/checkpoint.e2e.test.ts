import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, git, shallowClone, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';
import { canonical, sha256 } from './harness/verify-rollback.js';

function manifestFromTag(dir: string, tag: string): Record<string, unknown> {
  const message = git(dir, ['tag', '-l', '--format=%(contents)', tag]);
  const [title, ...rest] = message.split('\n');
  expect(title).toMatch(/^checkpoint /);
  expect(rest[0]).toBe('');
  return JSON.parse(rest.slice(1).join('\n')) as Record<string, unknown>;
}

const repos: TestRepo[] = [];
function repo(initial?: Record<string, string> | null): TestRepo {
  const r = createRepo({ initial });
  repos.push(r);
  return r;
}
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

describe('checkpoint bundle', () => {
  it('creates and pushes an annotated tag whose sealed manifest verifies', async () => {
    const r = repo();
    writeFileSync(join(r.dir, 'weights.bin'), Buffer.from([0, 1, 2, 255]));
    const head = r.head();
    const run = await runAction('checkpoint', {
      workspace: r.dir,
      inputs: { 'session-id': 'agent-7', artifacts: 'model=weights.bin\n' },
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ tag: 'checkpoint/agent-7', sha: head, created: 'true', pruned: '[]' });
    expect(run.outputs.tree).toBe(r.git(['rev-parse', `${head}^{tree}`]));

    // Pushed, annotated, at the commit.
    expect(git(r.remote, ['cat-file', '-t', 'refs/tags/checkpoint/agent-7'])).toBe('tag');
    expect(git(r.remote, ['rev-parse', 'refs/tags/checkpoint/agent-7^{commit}'])).toBe(head);

    const manifest = manifestFromTag(r.dir, 'checkpoint/agent-7');
    const { seal, ...body } = manifest;
    expect(seal).toBe(`sha256:${sha256(canonical(body))}`);
    expect(manifest).toMatchObject({
      schema: 'rollback-gate/checkpoint@1',
      id: 'agent-7',
      commit: head,
      repository: 'octo-org/octo-repo',
      branch: 'main',
      actor: 'octocat',
      runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242/attempts/1',
      artifacts: [{ name: 'model', path: 'weights.bin', sha256: sha256(Buffer.from([0, 1, 2, 255])), bytes: 4 }],
    });
    const file = readFileSync(run.outputs['manifest-path']!);
    expect(JSON.parse(file.toString())).toEqual(manifest);
    expect(run.outputs.digest).toBe(`sha256:${sha256(file)}`);
    expect(run.summary).toContain('git switch --create restore/agent-7 checkpoint/agent-7');
  });

  it('is a no-op when re-run for the same id and commit', async () => {
    const r = repo();
    const first = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's1' } });
    expect(first.exitCode).toBe(0);
    const tagObject = git(r.remote, ['rev-parse', 'refs/tags/checkpoint/s1']);
    // A fresh clone without the tag locally, as actions/checkout leaves it.
    r.git(['tag', '-d', 'checkpoint/s1']);
    const second = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's1' } });
    expect(second.exitCode).toBe(0);
    expect(second.outputs.created).toBe('false');
    expect(second.outputs.sha).toBe(first.outputs.sha);
    expect(git(r.remote, ['rev-parse', 'refs/tags/checkpoint/s1'])).toBe(tagObject);
  });

  it('refuses to move a checkpoint that exists at another commit', async () => {
    const r = repo();
    const old = r.head();
    expect((await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's2' } })).exitCode).toBe(0);
    r.commit('later work', { 'a.txt': 'a\n' });
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's2' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain(`already exists at ${old}`);
    expect(run.annotations[0]?.message).toContain('a checkpoint never moves');
    expect(git(r.remote, ['rev-parse', 'refs/tags/checkpoint/s2^{commit}'])).toBe(old);
  });

  it.each([['has space'], ['a..b'], ['$(id)'], ['`id`'], ['x;rm -rf /'], ['-rf'], ['ends.lock']])(
    'rejects the session id %j and creates nothing',
    async (id) => {
      const r = repo();
      const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id } });
      expect(run.exitCode).toBe(1);
      expect(run.annotations[0]?.message).toMatch(/session id .* is not valid/);
      expect(r.git(['tag', '-l'])).toBe('');
      expect(git(r.remote, ['tag', '-l'])).toBe('');
    },
  );

  it('never reads a ref such as --upload-pack=x as an option', async () => {
    const r = repo();
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's3', ref: '--upload-pack=touch /tmp/pwned' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('input `ref`');
    expect(r.git(['tag', '-l'])).toBe('');
  });

  it('checkpoints an explicit ref', async () => {
    const r = repo();
    const first = r.head();
    r.commit('second', { 'b.txt': 'b\n' });
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's4', ref: 'HEAD~1' } });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.sha).toBe(first);
  });

  it.each([
    ['bad YAML', 'scope:\n  max-files: [1, 2\n', /rollback-gate\.yml:\d+:\d+/],
    ['a wrong type', 'checkpoint:\n  keep: many\n', /rollback-gate\.yml:2:\d+: .*keep/],
    ['an unknown key', 'checkpoint:\n  prefixx: cp/\n', /rollback-gate\.yml:2:\d+: .*did you mean "prefix"/],
  ])('fails on a config with %s, naming file, line and column', async (_what, yaml, expected) => {
    const r = repo({ 'README.md': 'x\n', '.github/rollback-gate.yml': yaml });
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's5' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toMatch(expected);
    expect(r.git(['tag', '-l'])).toBe('');
  });

  it('uses the config prefix', async () => {
    const r = repo({ 'README.md': 'x\n', '.github/rollback-gate.yml': 'checkpoint:\n  prefix: known-good/\n' });
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's6' } });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.tag).toBe('known-good/s6');
  });

  it('on a pull request in a shallow clone, deepens to the merge-base and checkpoints it', async () => {
    const r = repo();
    for (let i = 0; i < 5; i++) r.commit(`main ${i}`, { [`m${i}.txt`]: `${i}\n` });
    const mergeBase = r.head();
    r.git(['switch', '--quiet', '-c', 'feature']);
    for (let i = 0; i < 60; i++) r.commit(`agent step ${i}`, { [`f${i}.txt`]: `${i}\n` });
    const head = r.head();
    r.git(['push', '--quiet', 'origin', 'feature']);
    r.git(['switch', '--quiet', 'main']);
    r.commit('main moves on', { 'later.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const base = r.head();
    const workspace = shallowClone(r, 'feature');
    expect(git(workspace, ['rev-parse', '--is-shallow-repository'])).toBe('true');

    const payload = webhookPayload('pull_request', 'synchronize', {
      number: 12,
      pull_request: { number: 12, base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'feature' } },
    });
    const run = await runAction('checkpoint', { workspace, event: { name: 'pull_request', payload } });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ tag: 'checkpoint/pr-12', sha: mergeBase, created: 'true' });
    expect(manifestFromTag(workspace, 'checkpoint/pr-12')).toMatchObject({ branch: 'feature', commit: mergeBase });
  });

  it('says fetch-depth: 0 when the history cannot be reached', async () => {
    const r = repo();
    const workspace = shallowClone(r, 'main');
    const missing = 'f'.repeat(40);
    const payload = webhookPayload('pull_request', 'opened', {
      number: 3,
      pull_request: { number: 3, base: { sha: missing, ref: 'main' }, head: { sha: r.head(), ref: 'main' } },
    });
    const run = await runAction('checkpoint', { workspace, event: { name: 'pull_request', payload } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('fetch-depth: 0');
  });

  it('works on a detached HEAD', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '--detach', 'HEAD']);
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'detached' }, env: { GITHUB_REF: '' } });
    expect(run.exitCode).toBe(0);
    expect(manifestFromTag(r.dir, 'checkpoint/detached')).toMatchObject({ branch: null, commit: r.head() });
  });

  it('explains an empty repository', async () => {
    const r = repo(null);
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'empty' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('no commits yet');
  });

  it('leaves nothing half-done when the push is rejected', async () => {
    const r = repo();
    const hook = join(r.remote, 'hooks', 'pre-receive');
    mkdirSync(join(r.remote, 'hooks'), { recursive: true });
    writeFileSync(hook, '#!/bin/sh\necho "tags are frozen" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'rejected' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('was rejected');
    expect(run.annotations[0]?.message).toContain('tags are frozen');
    expect(r.git(['tag', '-l'])).toBe('');
    expect(git(r.remote, ['tag', '-l'])).toBe('');
  });

  it('prints a commit message holding workflow commands without obeying them', async () => {
    const r = repo();
    r.commit('feat: innocent\n\n::set-output name=tag::pwned\n::add-mask::octocat\n::error::fake\n', { 'x.txt': 'x\n' });
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'inject' } });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('::set-output name=tag::pwned');
    expect(run.commands.map((c) => c.command)).not.toEqual(expect.arrayContaining(['set-output', 'add-mask', 'error']));
    expect(run.outputs.tag).toBe('checkpoint/inject');
    expect(run.env).toBe('');
  });

  it('prunes checkpoints beyond the retention policy, newest kept; dry-run lists only', async () => {
    const r = repo({ 'README.md': 'x\n', '.github/rollback-gate.yml': 'checkpoint:\n  keep: 2\n  max-age-days: 365\n' });
    const day = 86_400;
    const now = Math.floor(Date.now() / 1000);
    for (const [name, age] of [['old-1', 40], ['old-2', 30], ['mid', 20], ['new', 10]] as const) {
      r.git(['tag', '-a', '-m', `checkpoint ${name}`, `checkpoint/${name}`], { env: { GIT_COMMITTER_DATE: `${now - age * day} +0000` } });
    }
    r.git(['push', '--quiet', 'origin', '--tags']);
    r.git(['tag', '-d', 'checkpoint/old-1']); // only on the remote: pruning must still see it

    const dry = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'today', prune: 'dry-run' } });
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.outputs.pruned!)).toEqual(['checkpoint/mid', 'checkpoint/old-2', 'checkpoint/old-1']);
    expect(git(r.remote, ['tag', '-l']).split('\n')).toHaveLength(5);

    const real = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'today', prune: 'true' } });
    expect(real.exitCode).toBe(0);
    expect(JSON.parse(real.outputs.pruned!)).toEqual(['checkpoint/mid', 'checkpoint/old-2', 'checkpoint/old-1']);
    expect(git(r.remote, ['tag', '-l']).split('\n').sort()).toEqual(['checkpoint/new', 'checkpoint/today']);
    expect(r.git(['tag', '-l']).split('\n').sort()).toEqual(['checkpoint/new', 'checkpoint/today']);
    expect(real.summary).toContain('checkpoint/old-1');
  });

  it('with attest: true and no id-token permission, names the permission', async () => {
    const r = repo();
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'att', attest: 'true', token: 'ghs_x' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('id-token: write');
  });

  it('with attest: true, requests a sigstore OIDC token and names the permission when it is refused', async () => {
    const r = repo();
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"id-token permission missing"}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    try {
      const run = await runAction('checkpoint', {
        workspace: r.dir,
        inputs: { 'session-id': 'att2', attest: 'true', token: 'ghs_x' },
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token' },
      });
      expect(run.exitCode).toBe(1);
      expect(seen[0]?.url).toBe('/token?api-version=2.0&audience=sigstore');
      expect(seen[0]?.authorization).toBe('Bearer request-token');
      expect(run.annotations[0]?.message).toContain('attesting the manifest digest sha256:');
      expect(run.annotations[0]?.message).toContain('id-token: write');
      // The checkpoint itself was made before attesting, and its outputs are set.
      expect(run.outputs.created).toBe('true');
    } finally {
      server.close();
    }
  });

  it('rejects a bad boolean input by name', async () => {
    const r = repo();
    const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'b', push: 'yes' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toContain('input `push` is "yes"');
  });
});
