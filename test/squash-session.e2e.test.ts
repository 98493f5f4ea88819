import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, git, moveBranchOnFetch, shallowClone, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const AGENT_BOT = 'claude-code[bot] <agent@example.com>';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** main with a checkpoint tag `checkpoint/<id>` at its tip, and a pushed branch `feature` from there. */
function sessionRepo(id = 's1'): TestRepo & { base: string } {
  const r = createRepo({ initial: { 'README.md': '# app\n', 'src/a.ts': 'export const a = 1;\n' } });
  repos.push(r);
  const base = r.head();
  r.git(['switch', '--quiet', '-c', 'feature']);
  return Object.assign(r, { base, id });
}

async function checkpoint(r: TestRepo, id: string): Promise<void> {
  const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id, ref: 'main' } });
  expect(run.exitCode).toBe(0);
}

function agentCommit(r: TestRepo, message: string, files: Record<string, string | Buffer | null>): string {
  return r.commit(`${message}\n\n${CLAUDE}\n`, files, { author: AGENT_BOT });
}

function remoteRefs(r: TestRepo): string {
  return git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
}

function localState(r: TestRepo): string {
  return [r.git(['for-each-ref', '--format=%(refname) %(objectname)']), r.git(['status', '--porcelain=v1', '--untracked-files=all']), r.git(['rev-parse', 'HEAD'])].join('\n--\n');
}

const squash = (r: TestRepo, inputs: Record<string, string> = {}, extra: Partial<Parameters<typeof runAction>[1]> = {}) =>
  runAction('squash-session', { workspace: r.dir, inputs: { 'session-id': 's1', branch: 'feature', ...inputs }, ...extra });

describe('squash-session bundle', () => {
  it('squashes a session into one commit on the checkpoint with the head tree, and keeps the originals', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat(api): add endpoint', { 'src/api.ts': 'export const api = 1;\n' });
    agentCommit(r, 'fix: typo', { 'src/api.ts': 'export const api = 2;\n' });
    r.commit('human tweak\n\nCo-authored-by: Grace Hopper <grace@example.com>\n', { 'docs/x.md': 'x\n' }, { author: 'Linus Reviewer <linus@example.com>' });
    agentCommit(r, 'refactor: move a', { 'src/a.ts': null, 'src/lib/a.ts': 'export const a = 1;\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const head = r.head();
    const headTree = r.git(['rev-parse', 'HEAD^{tree}']);
    r.git(['switch', '--quiet', '--detach', 'main']);

    const run = await squash(r);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'squashed', 'commits-squashed': '4', 'tree-matches': 'true', 'backup-ref': 'refs/rollback-gate/backup/s1' });

    const sha = run.outputs.sha!;
    expect(git(r.remote, ['rev-parse', 'refs/heads/feature'])).toBe(sha);
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(head);
    expect(git(r.remote, ['rev-parse', `${sha}^{tree}`])).toBe(headTree);
    expect(git(r.remote, ['rev-parse', `${sha}^`])).toBe(r.base);
    expect(git(r.remote, ['rev-list', '--count', `${r.base}..${sha}`])).toBe('1');

    const message = git(r.remote, ['log', '-1', '--format=%B', sha]);
    expect(message.split('\n')[0]).toBe('feat(api): add endpoint');
    expect(message).toContain('(agent)');
    expect(message).toContain('human tweak (human)');
    const trailers = git(r.remote, ['log', '-1', '--format=%(trailers:unfold,only)', sha]).split('\n').filter(Boolean);
    expect(trailers).toEqual([
      'Session-Id: s1',
      `Checkpoint: checkpoint/s1 (${r.base})`,
      'Squashed-Commits: 4',
      'Co-authored-by: claude-code[bot] <agent@example.com>',
      'Co-authored-by: Claude <noreply@anthropic.com>',
      'Co-authored-by: Linus Reviewer <linus@example.com>',
      'Co-authored-by: Grace Hopper <grace@example.com>',
    ]);
    expect(run.summary).toContain('refs/rollback-gate/backup/s1');
    expect(run.summary.replace(/ \\\n\s*/g, ' ')).toContain(`git push --force-with-lease=refs/heads/feature:${sha} origin ${head}:refs/heads/feature`);
  });

  it('changes nothing on an already-squashed session, and keeps a second backup as <id>-2', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: one', { 'one.txt': '1\n' });
    agentCommit(r, 'feat: two', { 'two.txt': '2\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const first = await squash(r);
    expect(first.exitCode).toBe(0);
    const before = remoteRefs(r);
    const firstBackup = git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1']);

    const again = await squash(r);
    expect(again.exitCode).toBe(0);
    expect(again.outputs.status).toBe('already-squashed');
    expect(again.summary).toContain('Already squashed');
    expect(remoteRefs(r)).toBe(before);

    // More agent work lands on the squashed branch: a second squash keeps a second backup.
    r.git(['fetch', '--quiet', 'origin']);
    r.git(['switch', '--quiet', '-C', 'feature', 'origin/feature']);
    agentCommit(r, 'feat: three', { 'three.txt': '3\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const secondHead = r.head();
    const second = await squash(r);
    expect(second.exitCode).toBe(0);
    expect(second.outputs['backup-ref']).toBe('refs/rollback-gate/backup/s1-2');
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(firstBackup);
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1-2'])).toBe(secondHead);
  });

  it('keep-human-commits: one agent squash, then the human commits replayed unchanged', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: agent 1', { 'src/agent1.ts': '1\n' });
    r.commit('docs: human note', { 'docs/note.md': 'note\n' }, { author: 'Ada Reviewer <ada.r@example.com>', env: { GIT_AUTHOR_DATE: '1700000000 +0100' } });
    agentCommit(r, 'feat: agent 2', { 'src/agent2.ts': '2\n' });
    r.commit('chore: human 2\n\nSigned-off-by: Bob <bob@example.com>\n', { 'docs/two.md': 'two\n' }, { author: 'Bob <bob@example.com>' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const headTree = r.git(['rev-parse', 'HEAD^{tree}']);
    const humans = r.git(['log', '--format=%an|%ae|%ad|%B%x00', '--date=raw', '--author=Ada Reviewer', '--author=Bob', 'main..feature']).split('\0');

    const run = await squash(r, { 'keep-human-commits': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'squashed', 'commits-squashed': '2', 'tree-matches': 'true' });
    const sha = run.outputs.sha!;
    const history = git(r.remote, ['log', '--format=%s', `${r.base}..${sha}`]).split('\n');
    expect(history).toEqual(['chore: human 2', 'docs: human note', 'feat: agent 1']);
    expect(git(r.remote, ['rev-parse', `${sha}^{tree}`])).toBe(headTree);
    const replayed = git(r.remote, ['log', '--format=%an|%ae|%ad|%B%x00', '--date=raw', `${r.base}..${sha}`, '--author=Ada Reviewer', '--author=Bob']).split('\0');
    expect(replayed).toEqual(humans);
  });

  it('keep-human-commits: a conflicting replay stops before rewriting and names both commits', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: agent writes config', { 'config.txt': 'a\nb\nc\n' });
    r.commit('fix: human edits the agent lines', { 'config.txt': 'a\nB\nc\n' }, { author: 'Ada Reviewer <ada.r@example.com>' });
    agentCommit(r, 'feat: agent edits the same line', { 'config.txt': 'a\nBB\nc\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const remoteBefore = remoteRefs(r);
    const localBefore = localState(r);

    const run = await squash(r, { 'keep-human-commits': 'true' });
    expect(run.exitCode).toBe(1);
    const message = run.annotations[0]!.message;
    expect(message).toContain('fix: human edits the agent lines');
    expect(message).toContain('feat: agent edits the same line');
    expect(message).toContain('config.txt');
    expect(message).toContain('Nothing was rewritten');
    expect(remoteRefs(r)).toBe(remoteBefore);
    expect(localState(r)).toBe(localBefore);
  });

  it('refuses merge commits unless allow-merges, naming the merge', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: a', { 'a.txt': 'a\n' });
    r.git(['switch', '--quiet', '-c', 'side', 'feature~1']);
    agentCommit(r, 'feat: side', { 'side.txt': 's\n' });
    r.git(['switch', '--quiet', 'feature']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge side', 'side']);
    const merge = r.head();
    r.git(['push', '--quiet', 'origin', 'feature']);

    const refused = await squash(r);
    expect(refused.exitCode).toBe(1);
    expect(refused.annotations[0]!.message).toContain(merge);
    const allowed = await squash(r, { 'allow-merges': 'true' });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.outputs['tree-matches']).toBe('true');
  });

  it('refuses commits that are already on the default branch', async () => {
    const r = sessionRepo();
    r.git(['switch', '--quiet', 'main']);
    const old = r.git(['rev-parse', 'HEAD']);
    r.commit('main work by others', { 'main.txt': 'm\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    r.git(['switch', '--quiet', '-C', 'feature', 'main']);
    agentCommit(r, 'feat: x', { 'x.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const before = remoteRefs(r);
    const payload = webhookPayload('workflow_dispatch', undefined, { repository: { default_branch: 'main' } });
    const run = await squash(r, { base: old }, { event: { name: 'workflow_dispatch', payload } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('already on the default branch main');
    expect(remoteRefs(r)).toBe(before);
  });

  it('refuses released commits (reachable from a non-checkpoint tag)', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: shipped', { 'x.txt': 'x\n' });
    r.git(['tag', 'v1.0.0']);
    agentCommit(r, 'feat: later', { 'y.txt': 'y\n' });
    r.git(['push', '--quiet', 'origin', 'feature', 'v1.0.0']);
    r.git(['tag', '-d', 'v1.0.0']);
    const run = await squash(r);
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('already released');
    expect(run.annotations[0]!.message).toContain('v1.0.0');
  });

  it('says a signed session gives an unsigned squash, or refuses with require-signed', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    const key = join(r.root, 'signing-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    r.git(['config', 'gpg.format', 'ssh']);
    r.git(['config', 'user.signingkey', key]);
    writeFileSync(join(r.dir, 's.txt'), 's\n');
    r.git(['add', 's.txt']);
    r.git(['commit', '--quiet', '-S', '-m', 'feat: signed']);
    r.git(['push', '--quiet', 'origin', 'feature']);

    const refused = await squash(r, { 'require-signed': 'true' });
    expect(refused.exitCode).toBe(1);
    expect(refused.annotations[0]!.message).toContain('signed');
    const run = await squash(r);
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('**not signed**');
  });

  it('has nothing to do on an empty session', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    r.git(['push', '--quiet', 'origin', 'feature']);
    const before = remoteRefs(r);
    const run = await squash(r);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('empty');
    expect(run.summary).toContain('Nothing to squash');
    expect(remoteRefs(r)).toBe(before);
  });

  it('refuses a dirty working tree or an operation in progress, touching nothing', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: a', { 'a.txt': 'a\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    writeFileSync(join(r.dir, 'README.md'), 'dirty\n');
    const before = localState(r);
    const dirty = await squash(r);
    expect(dirty.exitCode).toBe(1);
    expect(dirty.annotations[0]!.message).toContain('uncommitted changes');
    expect(localState(r)).toBe(before);

    r.git(['checkout', '--quiet', '--', 'README.md']);
    r.git(['switch', '--quiet', '-c', 'other', 'main']);
    r.commit('conflicting', { 'a.txt': 'other\n' });
    expect(() => r.git(['cherry-pick', 'feature'])).toThrow();
    const picking = localState(r);
    const run = await squash(r);
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('a cherry-pick is in progress');
    expect(localState(r)).toBe(picking);
  });

  it('deepens a shallow clone to reach the checkpoint', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    for (let i = 0; i < 30; i++) agentCommit(r, `feat: step ${i}`, { [`f${i}.txt`]: `${i}\n` });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const workspace = shallowClone(r, 'feature');
    const run = await runAction('squash-session', { workspace, inputs: { 'session-id': 's1', branch: 'feature' } });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['commits-squashed']).toBe('30');
  });

  it('refuses to recreate a remote branch deleted during the session', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: a', { 'a.txt': 'a\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    r.git(['push', '--quiet', 'origin', '--delete', 'feature']);
    const run = await squash(r);
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('does not exist on origin');
    expect(git(r.remote, ['branch', '--list', 'feature'])).toBe('');
  });

  it('pushes nothing when the branch moves during the run, says who moved it, and leaves the local repository as it was', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: a', { 'a.txt': 'a\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const intruder = r.commit('intruder pushes', { 'b.txt': 'b\n' }, { author: 'Mallory <mallory@example.com>' });
    r.git(['push', '--quiet', 'origin', `${intruder}:refs/heads/staging`]);
    r.git(['reset', '--quiet', '--hard', 'HEAD~1']);
    // The remote's upload-pack moves the branch once the run has read its lease (its second call).
    moveBranchOnFetch(r, 'feature', intruder, 2);
    const localBefore = localState(r);

    const run = await squash(r);
    expect(readFileSync(join(r.root, 'calls'), 'utf8').trim()).not.toBe('1');
    expect(run.exitCode).toBe(1);
    const message = run.annotations[0]!.message;
    expect(message).toContain(`to ${intruder}`);
    expect(message).toContain('Mallory <mallory@example.com>');
    expect(message).toContain('Nothing was pushed');
    expect(git(r.remote, ['rev-parse', 'refs/heads/feature'])).toBe(intruder);
    expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate'])).toBe('');
    r.git(['config', '--unset', 'remote.origin.uploadpack']);
    expect(localState(r).replace(/refs\/remotes\/origin\/feature \w+\n/, '')).toBe(localBefore.replace(/refs\/remotes\/origin\/feature \w+\n/, ''));
  });

  it('copies messages with squash!, fixup!, shell syntax and workflow commands as text, never obeying them', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    agentCommit(r, 'feat: real work', { 'a.txt': 'a\n' });
    agentCommit(r, 'squash! feat: real work', { 'a.txt': 'aa\n' });
    agentCommit(r, 'fixup! feat: real work', { 'a.txt': 'aaa\n' });
    agentCommit(r, '$(touch /tmp/rg-pwned) `id` ; rm -rf ~', { 'b.txt': 'b\n' });
    agentCommit(r, '::set-output name=sha::pwned', { 'c.txt': 'c\n' });
    r.commit('::add-mask::secret\n\n::error::fake error\n', { 'd.txt': 'd\n' });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const run = await squash(r, { title: '::warning::title $(id)' });
    expect(run.exitCode).toBe(0);
    expect(run.commands.filter((c) => ['set-output', 'add-mask', 'error', 'warning'].includes(c.command))).toEqual([]);
    expect(run.outputs.sha).toMatch(/^[0-9a-f]{40}$/);
    const message = git(r.remote, ['log', '-1', '--format=%B', run.outputs.sha!]);
    expect(message.split('\n')[0]).toBe('::warning::title $(id)');
    for (const text of ['squash! feat: real work', 'fixup! feat: real work', '$(touch /tmp/rg-pwned) `id` ; rm -rf ~', '::set-output name=sha::pwned', '::add-mask::secret']) {
      expect(message).toContain(text);
    }
    expect(run.summary).toContain('$\\(touch /tmp/rg-pwned\\) &#96;id&#96; ; rm -rf \\~');
    expect(git(r.remote, ['rev-list', '--count', `${r.base}..${run.outputs.sha}`])).toBe('1');
  });

  it.each([['branch', '--upload-pack=touch /tmp/rg-pwned'], ['base', '--output=/tmp/rg-pwned'], ['session-id', '$(id)']])(
    'rejects the hostile %s input %j',
    async (input, value) => {
      const r = sessionRepo();
      await checkpoint(r, 's1');
      agentCommit(r, 'feat: a', { 'a.txt': 'a\n' });
      r.git(['push', '--quiet', 'origin', 'feature']);
      const before = remoteRefs(r);
      const run = await squash(r, { [input]: value });
      expect(run.exitCode).toBe(1);
      expect(run.annotations[0]!.message).toMatch(/input `(branch|base)`|session id/);
      expect(remoteRefs(r)).toBe(before);
    },
  );

  it('keeps renames, binary files, odd names, submodule pointers and LFS pointers byte-identical', async () => {
    const r = sessionRepo();
    await checkpoint(r, 's1');
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    agentCommit(r, 'feat: binary and odd names', {
      'assets/blob.bin': binary,
      'name with spaces.txt': 'spaces\n',
      'new\nline.txt': 'newline in name\n',
      'quote"and\'apostrophe.txt': 'q\n',
      'model.safetensors': 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n',
    });
    agentCommit(r, 'refactor: rename', { 'README.md': null, 'docs/README.md': '# app\n' });
    mkdirSync(join(r.dir, 'vendor', 'lib'), { recursive: true }); // as actions/checkout leaves an uninitialised submodule
    r.git(['update-index', '--add', '--cacheinfo', `160000,${r.base},vendor/lib`]);
    r.git(['commit', '--quiet', '-m', 'chore: submodule pointer']);
    r.git(['update-index', '--cacheinfo', `160000,${r.head()},vendor/lib`]);
    r.git(['commit', '--quiet', '-m', 'chore: bump submodule']);
    agentCommit(r, 'feat: change binary', { 'assets/blob.bin': Buffer.concat([binary, Buffer.from([0, 255])]) });
    r.git(['push', '--quiet', 'origin', 'feature']);
    const headTree = r.git(['rev-parse', 'HEAD^{tree}']);

    for (const keep of ['false', 'true']) {
      const run = await squash(r, { 'keep-human-commits': keep, push: 'false' });
      expect(run.annotations).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['tree-matches']).toBe('true');
      expect(r.git(['rev-parse', `${run.outputs.sha}^{tree}`])).toBe(headTree);
      r.git(['update-ref', 'refs/heads/feature', git(r.remote, ['rev-parse', 'refs/heads/feature'])]);
      r.git(['update-ref', '-d', run.outputs['backup-ref']!]);
    }
  });
});

describe('squash-session on a 50-commit session', () => {
  it('tree matches, the backup reproduces the history commit for commit, and reverting the squash restores the checkpoint tree', async () => {
    const r = sessionRepo('big');
    await checkpoint(r, 'big');
    const checkpointTree = r.git(['rev-parse', 'checkpoint/big^{tree}']);
    const sources: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 7 === 3) r.commit(`docs: human ${i}`, { [`docs/h${i}.md`]: `${i}\n` }, { author: 'Ada Reviewer <ada.r@example.com>' });
      else if (i % 10 === 5 && sources.length > 0) {
        const n = sources.pop()!;
        agentCommit(r, `refactor: rename f${n}`, { [`src/f${n}.ts`]: null, [`src/moved/f${n}.ts`]: `export const v${n} = ${n};\n` });
      } else if (i % 10 === 8) agentCommit(r, `feat: binary ${i}`, { [`assets/b${i}.bin`]: Buffer.from([i, 0, 255, i]) });
      else {
        agentCommit(r, `feat: step ${i}`, { [`src/f${i}.ts`]: `export const v${i} = ${i};\n` });
        sources.push(i);
      }
    }
    r.git(['push', '--quiet', 'origin', 'feature']);
    const originalHistory = r.git(['rev-list', 'checkpoint/big..feature']);
    const headTree = r.git(['rev-parse', 'feature^{tree}']);

    const run = await squash(r, { 'session-id': 'big' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'tree-matches': 'true', 'commits-squashed': '50' });
    expect(git(r.remote, ['rev-parse', `${run.outputs.sha}^{tree}`])).toBe(headTree);
    expect(git(r.remote, ['rev-list', 'checkpoint/big..refs/rollback-gate/backup/big'])).toBe(originalHistory);

    r.git(['fetch', '--quiet', 'origin']);
    r.git(['switch', '--quiet', '-C', 'feature', 'origin/feature']);
    r.git(['revert', '--no-edit', 'HEAD']);
    expect(r.git(['rev-parse', 'HEAD^{tree}'])).toBe(checkpointTree);
  });
});

describe('squash-session killed part-way', () => {
  it.each([['step: squash commit'], ['step: backup'], ['step: pushed']])(
    'killed at "%s": the next run finishes and nothing is lost',
    async (step) => {
      const r = sessionRepo();
      await checkpoint(r, 's1');
      for (let i = 0; i < 5; i++) agentCommit(r, `feat: ${i}`, { [`f${i}.txt`]: `${i}\n` });
      r.git(['push', '--quiet', 'origin', 'feature']);
      const head = r.head();
      const headTree = r.git(['rev-parse', 'HEAD^{tree}']);

      const killed = await squash(r, {}, { killWhen: new RegExp(step) });
      expect(killed.signal).toBe('SIGKILL');
      // Whatever state the kill left, the originals are reachable somewhere.
      const reachable = [r.git(['for-each-ref', '--contains', head, '--format=%(refname)']), git(r.remote, ['for-each-ref', '--contains', head, '--format=%(refname)'])].join('\n');
      expect(reachable).not.toBe('\n');

      const next = await squash(r);
      expect(next.stderr).toBe('');
      expect(next.exitCode).toBe(0);
      expect(['squashed', 'already-squashed']).toContain(next.outputs.status);
      const tip = git(r.remote, ['rev-parse', 'refs/heads/feature']);
      expect(git(r.remote, ['rev-parse', `${tip}^{tree}`])).toBe(headTree);
      expect(git(r.remote, ['rev-list', '--count', `${r.base}..${tip}`])).toBe('1');
      expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(head);
      expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate/backup/s1-2'])).toBe('');
    },
  );
});
