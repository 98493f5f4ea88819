/**
 * Issue 11, items 1–6, 12, 13: the rollback reverts exactly what belongs to its target, never undoes
 * itself, proves "already reverted" on trees, and works with hand-made checkpoints and branches.
 * Every case runs the committed bundle on a real repository with a bare remote.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
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

const rollback = (r: TestRepo, inputs: Record<string, string>) =>
  runAction('rollback', {
    workspace: r.dir,
    inputs: { token: '', ...inputs },
    env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' },
  });

const report = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const remoteMain = (r: TestRepo): string => git(r.remote, ['rev-parse', 'refs/heads/main']);
const remoteTree = (r: TestRepo, rev: string): string => git(r.remote, ['rev-parse', `${rev}^{tree}`]);
const remoteFile = (r: TestRepo, path: string, rev = 'refs/heads/main'): string | null => {
  try {
    return git(r.remote, ['show', `${rev}:${path}`]);
  } catch {
    return null;
  }
};

/** A session of two agent commits after checkpoint `id`, then three human commits on other files. */
async function sessionThenHumans(r: TestRepo, id: string, trailer = CLAUDE): Promise<{ agent: string[]; human: string[] }> {
  await checkpoint(r, id);
  const agent = [1, 2].map((i) => r.commit(`feat: agent step ${i}\n\n${trailer}\n`, { 'src/core.ts': `export const core = ${i + 1};\n`, [`src/agent${i}.ts`]: `${i}\n` }));
  const human = [1, 2, 3].map((i) => r.commit(`docs: human note ${i}`, { [`docs/note${i}.md`]: `${i}\n` }, { author: 'Grace Human <grace@example.com>' }));
  r.git(['push', '--quiet', 'origin', 'main']);
  return { agent, human };
}

describe('item 1: a session is its own commits, not everything after its checkpoint', () => {
  it('reverts the two agent commits and keeps the three human commits that landed after them, listed as human', async () => {
    const r = repo();
    const { agent, human } = await sessionThenHumans(r, 's1');
    const run = await rollback(r, { target: 's1', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([...agent].reverse());
    expect(remoteFile(r, 'src/core.ts')).toBe('export const core = 1;');
    expect(remoteFile(r, 'src/agent1.ts')).toBeNull();
    for (const i of [1, 2, 3]) expect(remoteFile(r, `docs/note${i}.md`)).toBe(String(i));
    expect(run.summary).toContain('3 later commits');
    expect(run.summary).toMatch(/human note 3 \| Grace Human \| human/);
    expect(run.summary).toMatch(/agent step 2 \| Ada Human \| agent/);
    // Every listed sha links to the commit on the server.
    expect(run.summary).toContain(`/commit/${agent[1]}`);
    expect(run.summary).not.toContain(human[0]!.slice(0, 12) + '` | feat');
  });

  it('`Session-Id:` commits interleaved with another session: only the session\'s own are reverted', async () => {
    const r = repo();
    await checkpoint(r, 's7');
    const mine1 = r.commit('feat: mine 1\n\nSession-Id: s7\n', { 'a.txt': 'a\n' });
    r.commit('feat: theirs\n\nSession-Id: s8\n', { 'b.txt': 'b\n' });
    const mine2 = r.commit('feat: mine 2\n\nSession-Id: s7\n', { 'c.txt': 'c\n' });
    r.commit('fix: human', { 'd.txt': 'd\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 's7', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([mine2, mine1]);
    expect([remoteFile(r, 'a.txt'), remoteFile(r, 'b.txt'), remoteFile(r, 'c.txt'), remoteFile(r, 'd.txt')]).toEqual([null, 'b', null, 'd']);
  });

  it('when the session\'s revert conflicts with a later human commit: names it, offers the clean range, stops', async () => {
    const r = repo();
    await checkpoint(r, 's2');
    const agent = r.commit(`feat: agent sets core\n\n${CLAUDE}\n`, { 'src/core.ts': 'export const core = 2;\n' });
    const human = r.commit('fix: human builds on it', { 'src/core.ts': 'export const core = 2 + 1;\n' }, { author: 'Grace Human <grace@example.com>' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: 's2', direct: 'true' });
    expect(run.exitCode).toBe(1);
    const message = run.annotations[0]!.message;
    expect(message).toContain(agent.slice(0, 12));
    expect(message).toContain(`${human.slice(0, 12)} "fix: human builds on it" (Grace Human, human)`);
    expect(message).toContain('They are not reverted');
    expect(message).toContain(`..${human.slice(0, 12)}\` reverts cleanly`);
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
  });

  it('a session whose commits cannot be told apart is refused, not taken to be everything since the checkpoint', async () => {
    const r = repo();
    await checkpoint(r, 's3');
    r.commit('feat: unmarked', { 'x.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const tip = remoteMain(r);
    const run = await rollback(r, { target: 's3', direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('cannot tell which commits after the checkpoint belong to session s3');
    expect(remoteMain(r)).toBe(tip);
  });
});

describe('item 2: running a rollback twice never undoes it', () => {
  it('the rollback commit carries Rollback-Of and Reverts trailers; a second and third run change nothing and exit 0', async () => {
    const r = repo();
    const { agent } = await sessionThenHumans(r, 's4');
    const first = await rollback(r, { target: 's4', direct: 'true' });
    expect(first.exitCode).toBe(0);
    const rolled = remoteMain(r);
    const trailers = git(r.remote, ['log', '-1', '--format=%(trailers:only,unfold)', rolled]);
    expect(trailers).toContain('Rollback-Of: s4');
    for (const sha of agent) expect(trailers).toContain(`Reverts: ${sha}`);
    for (let i = 0; i < 2; i++) {
      const again = await rollback(r, { target: 's4', direct: 'true' });
      expect(again.exitCode).toBe(0);
      expect(remoteMain(r)).toBe(rolled);
      expect(again.summary).toContain(`already rolled back by ${rolled.slice(0, 12)}`);
      expect(JSON.parse(again.outputs.commits!)).toEqual([]);
    }
  });

  it('a run killed after its push (its lock left behind) is re-run: already rolled back, exit 0', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const first = await rollback(r, { target: bad, direct: 'true' });
    expect(first.exitCode).toBe(0);
    const rolled = remoteMain(r);
    const emptyTree = r.git(['hash-object', '-t', 'tree', '-w', '/dev/null']);
    const lock = r.git(['commit-tree', emptyTree, '-m', 'rollback-gate lock\n\nrun: killed']);
    r.git(['push', '--quiet', 'origin', `${lock}:refs/rollback-gate/lock/${bad.slice(0, 12)}`]);
    const again = await rollback(r, { target: bad, direct: 'true' });
    expect(again.exitCode).toBe(0);
    expect(again.summary).toContain(`already rolled back by ${rolled.slice(0, 12)}`);
    expect(remoteMain(r)).toBe(rolled);
  });

  it('a rollback delivered as a PR branch: the re-run finds it there and says so', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const first = await rollback(r, { target: bad, token: 'ghs_test' });
    expect(first.exitCode).toBe(0);
    const pending = git(r.remote, ['rev-parse', `refs/heads/rollback/${bad.slice(0, 12)}`]);
    const again = await rollback(r, { target: bad, token: 'ghs_test' });
    expect(again.exitCode).toBe(0);
    expect(again.summary).toContain(`already rolled back by ${pending.slice(0, 12)}`);
    expect(again.summary).toContain(`rollback/${bad.slice(0, 12)}`);
    expect(remoteMain(r)).toBe(bad);
  });

  it('a rollback commit is never itself reverted: a range over it leaves it alone, and naming it is refused', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    expect((await rollback(r, { target: bad, direct: 'true' })).exitCode).toBe(0);
    r.git(['pull', '--quiet', '--ff-only', 'origin', 'main']);
    const rollbackCommit = r.head();
    const later = r.commit('feat: later', { 'later.txt': 'l\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const range = await rollback(r, { target: `${bad}..${later}`, direct: 'true' });
    expect(range.exitCode).toBe(0);
    expect(JSON.parse(range.outputs.commits!)).toEqual([later]);
    expect(remoteFile(r, 'oops.txt')).toBeNull();
    const named = await rollback(r, { target: rollbackCommit, direct: 'true' });
    expect(named.exitCode).toBe(1);
    expect(named.annotations[0]!.message).toContain('is a rollback commit');
  });
});

describe('item 3: "already reverted" is proven on trees, not read from a message', () => {
  it('a commit reverted and re-landed (revert of the revert) is reverted again', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['revert', '--no-edit', bad]);
    r.git(['revert', '--no-edit', 'HEAD']);
    r.git(['push', '--quiet', 'origin', 'main']);
    expect(remoteFile(r, 'oops.txt')).toBe('x');
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([bad]);
    expect(remoteFile(r, 'oops.txt')).toBeNull();
  });

  it('a later commit whose body only says "This reverts commit <sha>." proves nothing', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.commit(`chore: unrelated\n\nThis reverts commit ${bad}.\n`, { 'other.txt': 'o\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([bad]);
    expect(remoteFile(r, 'oops.txt')).toBeNull();
    expect(remoteFile(r, 'other.txt')).toBe('o');
  });

  it('a revert made by hand without any message is recognised by its tree', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    const undo = r.commit('cleanup', { 'oops.txt': null });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain(`already reverted by ${undo.slice(0, 12)}`);
    expect(remoteMain(r)).toBe(undo);
  });
});

describe('item 4: the target must be on the branch', () => {
  it('a commit that sits on another branch fails before any write, naming that branch', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'feature/elsewhere']);
    const off = r.commit('feat: elsewhere', { 'e.txt': 'e\n' });
    r.git(['push', '--quiet', 'origin', 'feature/elsewhere']);
    r.git(['switch', '--quiet', 'main']);
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: off, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain(`commit ${off.slice(0, 12)} is not on main`);
    expect(run.annotations[0]!.message).toContain('origin/feature/elsewhere');
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
  });
});

describe('item 5: never touch a branch that is not the PR\'s', () => {
  it('a fork PR whose head ref is named develop: the PR is closed, this repository\'s develop is untouched', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'develop']);
    const develop = r.commit('feat: our develop', { 'dev.txt': 'd\n' });
    r.git(['push', '--quiet', 'origin', 'develop']);
    r.git(['switch', '--quiet', 'main']);
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'from a fork', head: 'develop', base: 'main', headSha: develop, headRepo: 'forker/octo-repo' });
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: `pr-${pr.number}`, token: 'ghs_test' });
    expect(run.exitCode).toBe(0);
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
    expect(loopback.server.store.issue('octo-org', 'octo-repo', pr.number)?.state).toBe('closed');
    expect(loopback.server.store.comments('octo-org', 'octo-repo', pr.number).at(-1)?.body).toContain('forker/octo-repo');
  });

  it('a PR whose head sha is not the branch\'s tip: nothing is archived or deleted', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'agent/moved']);
    const head = r.commit('feat: pr head', { 'x.txt': 'x\n' });
    r.commit('feat: someone moved it', { 'y.txt': 'y\n' });
    r.git(['push', '--quiet', 'origin', 'agent/moved']);
    r.git(['switch', '--quiet', 'main']);
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'agent', head: 'agent/moved', base: 'main', headSha: head });
    const before = git(r.remote, ['for-each-ref']);
    const run = await rollback(r, { target: `pr-${pr.number}`, token: 'ghs_test' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('Nothing was archived or deleted');
    expect(git(r.remote, ['for-each-ref'])).toBe(before);
  });
});

describe('item 6: reverting a merge', () => {
  it('says that re-merging the branch brings nothing back until the revert is reverted', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'feature']);
    r.commit('feat: on the branch', { 'branch.txt': 'b\n' });
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #9 from octo-org/feature', 'feature']);
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: '#9', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('revert-merge');
    expect(run.summary).toContain('re-merging the same branch later brings nothing of it back');
  });
});

describe('item 12: hand-made checkpoint tags', () => {
  it('an annotated tag without our manifest (the playbook\'s) is an unsealed checkpoint, named so', async () => {
    const r = repo();
    const base = r.head();
    r.git(['tag', '-a', 'checkpoint/h1', '-m', 'checkpoint h1', base]);
    r.git(['push', '--quiet', 'origin', 'checkpoint/h1']);
    r.commit(`feat: agent\n\n${CLAUDE}\n`, { 'f.txt': 'f\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'h1', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('unsealed');
    expect(remoteTree(r, 'refs/heads/main')).toBe(remoteTree(r, base));
  });

  it('a lightweight `checkpoint/before-session-<id>` tag is found for session id <id>', async () => {
    const r = repo();
    const base = r.head();
    r.git(['tag', 'checkpoint/before-session-20260301-0930', base]);
    r.git(['push', '--quiet', 'origin', 'checkpoint/before-session-20260301-0930']);
    r.commit(`feat: agent\n\n${CLAUDE}\n`, { 'f.txt': 'f\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: '20260301-0930', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toMatch(/checkpoint\/before-session-20260301-0930 \\\(unsealed/);
    expect(remoteTree(r, 'refs/heads/main')).toBe(remoteTree(r, base));
  });

  it('a manifest whose seal fails is still refused', async () => {
    const r = repo();
    await checkpoint(r, 'tampered');
    const message = git(r.dir, ['cat-file', 'tag', 'refs/tags/checkpoint/tampered']).split('\n\n').slice(1).join('\n\n').replace('"actor": null', '"actor": "mallory"');
    r.git(['tag', '-f', '-a', 'checkpoint/tampered', '-F', '-', 'HEAD'], { input: message.includes('mallory') ? message : message.replace('"artifacts": []', '"artifacts": [], "x": 1') });
    r.git(['push', '--quiet', '--force', 'origin', 'checkpoint/tampered']);
    r.commit(`feat: agent\n\n${CLAUDE}\n`, { 'f.txt': 'f\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'tampered', direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('seal');
  });

  it('squash-session accepts the hand-made tag too', async () => {
    const r = repo();
    r.git(['tag', '-a', 'checkpoint/h2', '-m', 'checkpoint h2']);
    r.git(['push', '--quiet', 'origin', 'checkpoint/h2']);
    r.git(['switch', '--quiet', '-c', 'agent/h2']);
    r.commit(`feat: 1\n\n${CLAUDE}\n`, { 'a.txt': 'a\n' });
    r.commit(`feat: 2\n\n${CLAUDE}\n`, { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'agent/h2']);
    const run = await runAction('squash-session', { workspace: r.dir, inputs: { 'session-id': 'h2', branch: 'agent/h2' } });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['commits-squashed']).toBe('2');
    expect(run.summary).toContain('unsealed');
  });
});

describe('item 13: a branch name is a rollback target', () => {
  it.each([['agent/session-9'], ['origin/agent/session-9'], ['refs/heads/agent/session-9']])('unmerged %s: head archived, branch deleted', async (target) => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'agent/session-9']);
    const head = r.commit('feat: unmerged', { 'x.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'agent/session-9']);
    r.git(['switch', '--quiet', 'main']);
    const run = await rollback(r, { target });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('delete-branch');
    expect(git(r.remote, ['branch', '--list', 'agent/session-9'])).toBe('');
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/archive/agent-session-9'])).toBe(head);
  });

  it('landed by a merge commit: the merge is reverted', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'agent/session-10']);
    r.commit('feat: on the branch', { 'branch.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', 'agent/session-10']);
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'merge the agent branch', 'agent/session-10']);
    r.commit('docs: later human work', { 'later.md': 'l\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'agent/session-10', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('revert-merge');
    expect(remoteFile(r, 'branch.txt')).toBeNull();
    expect(remoteFile(r, 'later.md')).toBe('l');
  });

  it('landed as a squash commit (found by patch id): the squash commit is reverted', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'agent/session-11']);
    r.commit('feat: one', { 'one.txt': '1\n' });
    r.commit('feat: two', { 'two.txt': '2\n' });
    r.git(['push', '--quiet', 'origin', 'agent/session-11']);
    r.git(['switch', '--quiet', 'main']);
    r.commit('docs: main moves', { 'main.md': 'm\n' });
    r.git(['merge', '--quiet', '--squash', 'agent/session-11']);
    const squash = r.commit('feat: the session (#11)', {});
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'agent/session-11', direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('revert-squash');
    expect(JSON.parse(run.outputs.commits!)).toEqual([squash]);
    expect([remoteFile(r, 'one.txt'), remoteFile(r, 'two.txt'), remoteFile(r, 'main.md')]).toEqual([null, null, 'm']);
  });
});

describe('smaller findings', () => {
  it('a rollback that fails before resolving its target reports what was asked, with no placeholder strategy or kind', async () => {
    const r = repo();
    const run = await rollback(r, { target: 'no-such-thing', strategy: 'bisect', 'bisect-command': 'true' });
    expect(run.exitCode).toBe(1);
    const rep = report(run.outputs['report-path']!) as { strategy: unknown; target: { kind: unknown; input: string }; requested: unknown; error: string };
    expect(rep.strategy).toBeNull();
    expect(rep.target.kind).toBeNull();
    expect(rep.requested).toEqual({ target: 'no-such-thing', strategy: 'bisect' });
    expect(rep.error).toContain('failed before resolving the target');
    expect(run.outputs.strategy).toBe('');
    expect(run.summary).toContain('not resolved');
  });

  it('an unreachable remote says origin cannot be reached, with git\'s message', async () => {
    const r = repo();
    r.git(['remote', 'set-url', 'origin', `${r.root}/gone.git`]);
    const run = await rollback(r, { target: 'HEAD' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('origin cannot be reached');
    expect(run.annotations[0]!.message).toContain('gone.git');
  });

  it('`branch: HEAD` says it is not a branch name', async () => {
    const r = repo();
    const run = await rollback(r, { target: r.head(), branch: 'HEAD' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('not a branch name');
  });
});

describe('squash-session keep-human-commits and signatures', () => {
  it('lists every commit whose signature is dropped: the squashed agent commit and the replayed human commit', async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', 'feature']);
    await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 'sig' } });
    const key = `${r.root}/signing-key`;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    r.git(['config', 'gpg.format', 'ssh']);
    r.git(['config', 'user.signingkey', key]);
    r.git(['config', 'commit.gpgsign', 'true']);
    const agent = r.commit(`feat: signed agent work\n\n${CLAUDE}\n`, { 'agent.txt': 'a\n' });
    const human = r.commit('docs: signed human note', { 'human.md': 'h\n' }, { author: 'Grace Human <grace@example.com>' });
    r.git(['config', 'commit.gpgsign', 'false']);
    r.git(['push', '--quiet', 'origin', 'feature']);
    const run = await runAction('squash-session', { workspace: r.dir, inputs: { 'session-id': 'sig', branch: 'feature', 'keep-human-commits': 'true' } });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain('2 signed commits lose their signature');
    expect(run.summary).toMatch(new RegExp(`${agent.slice(0, 12)}.*signed agent work.*agent.*squashed into the unsigned squash commit`));
    expect(run.summary).toMatch(new RegExp(`${human.slice(0, 12)}.*signed human note.*Grace Human.*human.*replayed unsigned`));
  });
});

describe('item 12: scope-guard\'s session default accepts a hand-made checkpoint', () => {
  it('a lightweight `checkpoint/before-session-run-<id>` tag is the base of a workflow_dispatch run', async () => {
    const r = repo();
    const guard = () => runAction('scope-guard', { workspace: r.dir, inputs: { token: '', comment: 'false' } });
    r.commit(`feat: agent\n\n${CLAUDE}\n`, { 'src/one.ts': '1\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const without = await guard();
    expect(without.exitCode).toBe(1);
    expect(without.annotations[0]!.message).toContain('no base to compare with');
    r.git(['tag', 'checkpoint/before-session-run-4242', 'HEAD~1']);
    const run = await guard();
    expect(run.exitCode).toBe(0);
    expect(run.outputs['files-changed']).toBe('1');
    expect(run.stdout).toContain('unsealed');
  });
});
