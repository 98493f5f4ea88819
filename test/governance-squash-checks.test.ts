/**
 * squash-session `run-checks`: the session-end protocol runs `verify.commands` on the session head,
 * in a throwaway worktree, before anything is rewritten. Through the committed bundle, on real
 * repositories with a bare remote.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const AGENT_BOT = 'claude-code[bot] <agent@example.com>';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** The check: passes only when src/api.ts says `api = 1`, and says what it found otherwise. */
const API_IS_ONE = `grep -q 'api = 1' src/api.ts || { echo "expected api = 1, found: $(cat src/api.ts)"; exit 1; }`;

function config(commands: Array<{ name: string; run: string }>, extra = ''): string {
  return `verify:\n  commands:\n${commands.map((c) => `    - name: ${c.name}\n      run: ${JSON.stringify(c.run)}\n`).join('')}${extra}`;
}

/** main (with the config) checkpointed as `checkpoint/s1`; a pushed branch `feature` with two agent commits that leave api = 2. */
async function session(configText: string): Promise<TestRepo & { base: string; tip: string }> {
  const r = createRepo({ initial: { 'README.md': '# app\n', 'src/api.ts': 'export const api = 1;\n', '.github/rollback-gate.yml': configText } });
  repos.push(r);
  const base = r.head();
  const cp = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's1', ref: 'main' } });
  expect(cp.exitCode).toBe(0);
  r.git(['switch', '--quiet', '-c', 'feature']);
  r.commit(`feat(api): new api\n\n${CLAUDE}\n`, { 'src/new.ts': 'export const n = 1;\n' }, { author: AGENT_BOT });
  r.commit(`fix: api is 2 now\n\n${CLAUDE}\n`, { 'src/api.ts': 'export const api = 2;\n' }, { author: AGENT_BOT });
  r.git(['push', '--quiet', 'origin', 'feature']);
  return Object.assign(r, { base, tip: r.head() });
}

/** Every ref of the remote and of the clone, the clone's status and HEAD: "nothing was rewritten" is this, unchanged. */
function everything(r: TestRepo): string {
  return [
    git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']),
    r.git(['for-each-ref', '--format=%(refname) %(objectname)']),
    r.git(['status', '--porcelain=v1', '--untracked-files=all', '--ignored']),
    r.git(['rev-parse', 'HEAD']),
    r.git(['worktree', 'list', '--porcelain']),
  ].join('\n--\n');
}

/**
 * True once `pid` has ended: no such process, a zombie (ended, not yet reaped by an init that may
 * be slow to reap in a container), or a new process that reused the pid. Polls up to 10 s, since
 * a SIGKILLed process ends when it is next scheduled, which can lag on a loaded machine.
 */
async function gone(pid: number, command: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return true;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || !cmdline.split('\0')[0]?.endsWith(command)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

const squash = (r: TestRepo, inputs: Record<string, string> = {}, extra: Partial<Parameters<typeof runAction>[1]> = {}) =>
  runAction('squash-session', { workspace: r.dir, inputs: { 'session-id': 's1', branch: 'feature', token: '', ...inputs }, ...extra });

describe('squash-session run-checks', () => {
  it('a failing check refuses the squash: nothing rewritten, the failing output in the summary', async () => {
    const r = await session(config([{ name: 'api-test', run: API_IS_ONE }]));
    const before = everything(r);

    const run = await squash(r, { 'run-checks': 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'checks-failed', checks: 'failed', sha: r.tip, 'backup-ref': '' });
    // The check ran on the session head's tree (api = 2), not on the base or the working tree.
    expect(run.summary).toContain('expected api = 1, found: export const api = 2;');
    expect(run.summary).toContain('Nothing was rewritten');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain('the checks failed on the session head');
    expect(everything(r)).toBe(before);
    expect(git(r.remote, ['rev-parse', 'refs/heads/feature'])).toBe(r.tip);
    expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate/'])).toBe('');
  });

  it('allow-failing-checks squashes and records the failure in the squash commit\'s message', async () => {
    const r = await session(config([{ name: 'api-test', run: API_IS_ONE }, { name: 'lint', run: 'true' }]));
    const headTree = r.git(['rev-parse', 'HEAD^{tree}']);

    const run = await squash(r, { 'run-checks': 'true', 'allow-failing-checks': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'squashed', checks: 'failed', 'commits-squashed': '2' });
    const sha = run.outputs.sha!;
    expect(git(r.remote, ['rev-parse', 'refs/heads/feature'])).toBe(sha);
    expect(git(r.remote, ['rev-parse', `${sha}^{tree}`])).toBe(headTree);
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/s1'])).toBe(r.tip);

    const message = git(r.remote, ['log', '-1', '--format=%B', sha]);
    expect(message).toContain(`Checks FAILED on the session head ${r.tip.slice(0, 12)}; squashed anyway (allow-failing-checks: true):`);
    expect(message).toMatch(/^- api-test: exit 1 in \d+\.\d s$/m);
    expect(message).toContain('    expected api = 1, found: export const api = 2;');
    expect(message).not.toMatch(/^- lint:/m);
    const trailers = git(r.remote, ['log', '-1', '--format=%(trailers:unfold,only)', sha]).split('\n');
    expect(trailers).toContain('Checks: failed (api-test; 1 of 2 passed), allowed');
    expect(trailers).toContain('Session-Id: s1');
    expect(run.summary).toContain('squashed anyway');
    expect(run.summary).toContain('expected api = 1, found: export const api = 2;');
  });

  it('passing checks on the head: the squash goes ahead and says so', async () => {
    const r = await session(config([{ name: 'api-is-two', run: "grep -q 'api = 2' src/api.ts" }]));
    const run = await squash(r, { 'run-checks': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'squashed', checks: 'passed' });
    const trailers = git(r.remote, ['log', '-1', '--format=%(trailers:unfold,only)', run.outputs.sha!]).split('\n');
    expect(trailers).toContain('Checks: passed (1 of 1)');
    expect(run.summary).toContain('| checks on the old head | passed (1 check) |');
    // Without run-checks nothing runs and no Checks trailer is written.
    const r2 = await session(config([{ name: 'api-test', run: API_IS_ONE }]));
    const plain = await squash(r2);
    expect(plain.exitCode).toBe(0);
    expect(plain.outputs.checks).toBe('not-run');
    expect(git(r2.remote, ['log', '-1', '--format=%(trailers:unfold,only)', plain.outputs.sha!])).not.toContain('Checks:');
  });

  it('a check that hangs times out (killed, process group and all) and refuses the squash', async () => {
    const r = await session('');
    const pidFile = join(r.root, 'sleeper.pid');
    const started = Date.now();
    // verify.timeout-minutes is 1; the tests' cap (the existing ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS) makes it 2 s.
    writeFileSync(join(r.dir, 'cfg.yml'), config([{ name: 'hangs', run: `echo waiting; sleep 300 & echo $! > ${pidFile}; wait` }], '  timeout-minutes: 1\n'));
    r.git(['add', 'cfg.yml']);
    r.git(['commit', '--quiet', '-m', 'chore: test config']);
    r.git(['push', '--quiet', 'origin', 'feature']);
    const before = everything(r);

    const run = await squash(r, { 'run-checks': 'true', config: 'cfg.yml' }, { env: { ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '2' } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'checks-failed', checks: 'failed' });
    expect(run.summary).toMatch(/timed out after \d+\.\d s, killed/);
    expect(run.summary).toContain('waiting');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(everything(r)).toBe(before);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid, 'sleep')).toBe(true);
  });

  it('refuses to run the session\'s code under pull_request_target, and runs nothing', async () => {
    const r = await session('');
    const marker = join(r.root, 'ran');
    // The config of a pull_request_target run comes from the base branch: put the command there.
    r.git(['switch', '--quiet', 'main']);
    r.commit('chore: checks', { '.github/rollback-gate.yml': config([{ name: 'touch', run: `touch ${marker}` }]) });
    r.git(['push', '--quiet', 'origin', 'main']);
    r.git(['switch', '--quiet', 'feature']);
    const before = everything(r);
    const payload = webhookPayload('pull_request', 'synchronize', {
      number: 7,
      pull_request: { number: 7, base: { sha: r.git(['rev-parse', 'main']), ref: 'main' }, head: { sha: r.tip, ref: 'feature' } },
    });

    const run = await squash(r, { 'run-checks': 'true' }, { event: { name: 'pull_request_target', payload } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain('pull_request_target');
    expect(existsSync(marker)).toBe(false);
    expect(everything(r)).toBe(before);
  });

  it('run-checks with no verify.commands is an error that says what to add', async () => {
    const r = await session('');
    const before = everything(r);
    const run = await squash(r, { 'run-checks': 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain('no `verify.commands`');
    expect(everything(r)).toBe(before);
  });
});
