/**
 * The bundled `rollback-gate` command (dist/cli/index.js under Node 24, and `npx rollback-gate`
 * from the checkout) on real repositories with a bare remote: help and usage errors, checkpoint,
 * status, the common options, and the bad inputs the issue lists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { readCheckpointManifest, Git, spawnGitRunner } from '@rollback-gate/core';
import { createRepo, git, tempDir, type TestRepo } from './harness/repo.js';
import { ROOT, node24 } from './harness/run-action.js';
import { CLI, cli, cliEnv, hasStackTrace, npxCli } from './cli-harness.js';

const CLAUDE = 'Co-authored-by: Claude <noreply@anthropic.com>';
const repos: TestRepo[] = [];
const dirs: string[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function repo(initial?: Record<string, string>): TestRepo {
  const r = createRepo(initial ? { initial } : {});
  repos.push(r);
  return r;
}

function refs(r: TestRepo): string {
  return r.git(['for-each-ref', '--format=%(refname) %(objectname)']);
}

const COMMANDS = ['init', 'checkpoint', 'status', 'squash', 'rollback', 'bisect', 'drill', 'log'];

describe('help and usage errors', () => {
  it('prints the program help and every command\'s help with an example, exit 0', async () => {
    const r = repo();
    const top = await cli(['--help'], { cwd: r.dir });
    expect(top.code).toBe(0);
    for (const name of COMMANDS) expect(top.stdout).toContain(`  ${name} `);
    for (const name of COMMANDS) {
      const run = await cli([name, '--help'], { cwd: r.dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: rollback-gate ${name}`));
      expect(run.stdout).toMatch(new RegExp(`Examples:\\n(  #.*\\n)?  \\$ rollback-gate ${name}`));
      expect(run.stdout).toContain('--json');
      expect(run.stderr).toBe('');
    }
    const helpTopic = await cli(['help', 'status'], { cwd: r.dir });
    expect(helpTopic.stdout).toMatch(/^Usage: rollback-gate status/);
  });

  it('an unknown command or flag is exit 2 with the nearest name, and no stack trace', async () => {
    const r = repo();
    const command = await cli(['chekpoint'], { cwd: r.dir });
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "chekpoint"; did you mean `rollback-gate checkpoint`?');
    const option = await cli(['status', '--sesion-id', 'x'], { cwd: r.dir });
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option --sesion-id for `rollback-gate status`; did you mean --session-id?');
    const choice = await cli(['rollback', 'x', '--strategy', 'revert-rnage'], { cwd: r.dir });
    expect(choice.code).toBe(2);
    expect(choice.stderr).toContain('did you mean revert-range?');
    const missing = await cli(['rollback'], { cwd: r.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing TARGET');
    const none = await cli([], { cwd: r.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: rollback-gate <command>');
    const json = await cli(['status', '--bogus', '--json'], { cwd: r.dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'usage' } });
    for (const run of [command, option, choice, missing, none, json]) {
      expect(run.stdout.includes('    at ')).toBe(false);
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
  });

  it('outside a git repository: exit 1, what is wrong and what to do, no stack trace', async () => {
    const dir = tempDir('rg-nogit-');
    dirs.push(dir);
    for (const args of [['status'], ['checkpoint'], ['init'], ['bisect', 'a', 'b', '--', 'true']]) {
      const run = await cli(args, { cwd: dir, env: { GIT_CEILING_DIRECTORIES: join(dir, '..') } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: ${dir} is not inside a git repository.`);
      expect(run.stderr).toContain('next: Run rollback-gate inside your repository, or point -C at it');
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('npx rollback-gate works from the checkout (the package\'s bin)', async () => {
    const r = repo();
    const version = await npxCli(['--version'], { cwd: ROOT });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const checkpoint = await npxCli(['checkpoint', '-C', r.dir, '--session-id', 'npx-1', '--quiet'], { cwd: ROOT });
    expect(checkpoint.code).toBe(0);
    expect(checkpoint.stdout).toMatch(/^✓ checkpoint\/npx-1 at [0-9a-f]{12} \(created\)\n$/);
    expect(r.git(['tag', '--list'])).toBe('checkpoint/npx-1');
  });
});

describe('checkpoint', () => {
  it('tags HEAD with a sealed manifest; without an id, one from the time; again: found, not moved', async () => {
    const r = repo();
    const named = await cli(['checkpoint', '--session-id', 's1'], { cwd: r.dir });
    expect(named.code).toBe(0);
    expect(named.stderr).toBe('');
    expect(named.stdout).toContain(`✓ checkpoint/s1 at ${r.head().slice(0, 12)} (created)`);
    const manifest = await readCheckpointManifest(new Git(r.dir, spawnGitRunner()), 'checkpoint/s1');
    expect(manifest.commit).toBe(r.head());
    expect(manifest.seal).toMatch(/^sha256:/);
    expect(git(r.remote, ['tag', '--list'])).toBe('');

    const again = await cli(['checkpoint', '--session-id', 's1'], { cwd: r.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(already there: a checkpoint never moves)');

    const timed = await cli(['checkpoint', '--json'], { cwd: r.dir });
    expect(timed.code).toBe(0);
    const doc = JSON.parse(timed.stdout) as { tag: string; created: boolean; sha: string };
    expect(doc.tag).toMatch(/^checkpoint\/\d{8}-\d{4}$/);
    expect(doc).toMatchObject({ created: true, sha: r.head() });

    r.commit('next', { 'b.txt': 'b\n' });
    const moved = await cli(['checkpoint', '--session-id', 's1'], { cwd: r.dir });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain('a checkpoint never moves');
    expect(moved.stderr).toContain('next: Use a new session id');
  });

  it('--push pushes the tag to origin; --ref takes another commit', async () => {
    const r = repo();
    const first = r.head();
    r.commit('second', { 'b.txt': 'b\n' });
    const run = await cli(['checkpoint', '--session-id', 'p1', '--ref', first, '--push', '--quiet'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`✓ checkpoint/p1 at ${first.slice(0, 12)} (created), pushed to origin\n`);
    expect(git(r.remote, ['rev-parse', 'checkpoint/p1^{commit}'])).toBe(first);
  });

  it('a repository without a remote: --push refused with nothing created, the rest works', async () => {
    const r = repo();
    r.git(['remote', 'remove', 'origin']);
    const before = refs(r);
    const pushed = await cli(['checkpoint', '--session-id', 'n1', '--push'], { cwd: r.dir });
    expect(pushed.code).toBe(1);
    expect(pushed.stderr).toContain('no remote named "origin", so --push has nowhere to push');
    expect(pushed.stderr).toContain('next: Leave out --push');
    expect(refs(r)).toBe(before);
    const local = await cli(['checkpoint', '--session-id', 'n1'], { cwd: r.dir });
    expect(local.code).toBe(0);
    r.commit(`feat: x\n\n${CLAUDE}\n`, { 'x.ts': 'export const x = 1;\n' });
    const status = await cli(['status'], { cwd: r.dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('session n1: ✓ within scope; 1 commit (1 agent, 0 human)');
  });

  it('refuses a hostile session id as the actions do, and touches nothing', async () => {
    const r = repo();
    const before = refs(r);
    for (const id of ['$(touch pwned)', '../../etc', 'a b', '--upload-pack=touch pwned', 'x;rm -rf .', 'a..b', '-x']) {
      const run = await cli(['checkpoint', `--session-id=${id}`], { cwd: r.dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`session id ${JSON.stringify(id)} is not valid`);
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
    expect(refs(r)).toBe(before);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    const status = await cli(['status', '--session-id', '$(id)'], { cwd: r.dir });
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('session id "$(id)" is not valid');
  });

  it('--from-hook takes the session id and directory from the agent hook\'s JSON; a hostile one is refused', async () => {
    const r = repo();
    const input = JSON.stringify({ session_id: '0f9e8d7c-1234-4abc-9def-001122334455', transcript_path: '/tmp/t.jsonl', cwd: r.dir, hook_event_name: 'SessionStart', source: 'startup' });
    const elsewhere = tempDir('rg-hook-cwd-');
    dirs.push(elsewhere);
    const run = await cli(['checkpoint', '--from-hook', '--quiet'], { cwd: elsewhere, input });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('checkpoint/0f9e8d7c-1234-4abc-9def-001122334455');
    expect(r.git(['tag', '--list'])).toBe('checkpoint/0f9e8d7c-1234-4abc-9def-001122334455');
    const hostile = await cli(['checkpoint', '--from-hook'], { cwd: r.dir, input: JSON.stringify({ session_id: '$(reboot)', cwd: r.dir }) });
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('session id "$(reboot)" is not valid');
    const garbage = await cli(['checkpoint', '--from-hook'], { cwd: r.dir, input: 'not json' });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('the hook input on stdin is not JSON');
  });
});

/** A TypeScript app with two layers; the session (agent and human commits) goes over the budget and across layers. */
function sessionRepo(): TestRepo {
  const r = repo({
    'package.json': '{"name":"app","version":"1.0.0"}\n',
    '.github/rollback-gate.yml': 'scope:\n  max-files: 3\n  layers:\n    api: ["src/api/**"]\n    ui: ["src/ui/**"]\n',
    'src/lib/util.ts': 'export const add = (a: number, b: number) => a + b;\n',
    'src/api/handler.ts': "import { add } from '../lib/util';\nexport const handle = () => add(1, 2);\n",
    'src/api/server.ts': "import { handle } from './handler';\nexport const serve = () => handle();\n",
  });
  return r;
}

describe('status', () => {
  it('shows commits (agent/human), the budget, layers, the blast radius with chains and the rollback now; exit 1 out of scope', async () => {
    const r = sessionRepo();
    expect((await cli(['checkpoint', '--session-id', 's1'], { cwd: r.dir })).code).toBe(0);
    r.commit(`feat(lib): multiply\n\n${CLAUDE}\n`, { 'src/lib/util.ts': 'export const add = (a: number, b: number) => a * b;\n' });
    r.commit('docs: note', { 'docs/notes.md': 'n\n' });
    r.commit(`feat(ui): page\n\n${CLAUDE}\n`, { 'src/ui/page.ts': 'export const page = 1;\n', 'src/api/new.ts': 'export const n = 1;\n' });

    const run = await cli(['status'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('session s1: ✗ out of scope: 2 violations; 3 commits (2 agent, 1 human), 4/3 files');
    expect(run.stdout).toMatch(/files changed\t4 files of a budget of 3\tover/);
    expect(run.stdout).toMatch(/layers\tapi, ui\tover/);
    expect(run.stdout).toMatch(/src\/api\/handler\.ts\t1\tat risk on revert\tsrc\/lib\/util\.ts → src\/api\/handler\.ts/);
    expect(run.stdout).toMatch(/src\/api\/server\.ts\t2\tat risk on revert\tsrc\/lib\/util\.ts → src\/api\/handler\.ts → src\/api\/server\.ts/);
    expect(run.stdout).toMatch(/[0-9a-f]{12}\tagent\tfeat\(ui\): page\n[0-9a-f]{12}\thuman\tdocs: note\n/);
    expect(run.stdout).toContain('revert-range: revert 3 commits, 4 files, in memory: clean, back to the checkpoint\'s tree exactly.');
    // Piped: plain text, no colour.
    expect(run.stdout).not.toContain('\x1b[');

    const json = await cli(['status', '--json'], { cwd: r.dir });
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const doc = JSON.parse(json.stdout) as Record<string, unknown> & { rollback: { commits: string[]; backToCheckpoint: boolean }; violations: Array<{ rule: string }> };
    expect(doc).toMatchObject({ command: 'status', passed: false, agentCommits: 2, humanCommits: 1, layers: ['api', 'ui'], session: { id: 's1', chosen: 'newest-reachable' } });
    expect(doc.violations.map((v) => v.rule).sort()).toEqual(['cross-layer', 'max-files']);
    expect(doc.rollback.commits).toHaveLength(3);
    expect(doc.rollback.backToCheckpoint).toBe(true);

    const quiet = await cli(['status', '--quiet'], { cwd: r.dir });
    expect(quiet.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('colour only when asked (FORCE_COLOR), and NO_COLOR wins; untrusted text cannot reach the terminal raw', async () => {
    const r = repo();
    await cli(['checkpoint', '--session-id', 'c1'], { cwd: r.dir });
    r.commit('evil \x1b[2J\x1b]0;pwned\x07 subject', { 'a.txt': 'a\n' });
    const coloured = await cli(['status'], { cwd: r.dir, env: { FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\x1b[32m✓ within scope\x1b[39m');
    expect(coloured.stdout).toContain('evil \\x1b[2J\\x1b]0;pwned\\x07 subject');
    expect(coloured.stdout).not.toContain('\x1b[2J');
    const noColour = await cli(['status'], { cwd: r.dir, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColour.stdout).not.toContain('\x1b[');
  });

  it('on a terminal: aligned tables and colour; NO_COLOR keeps the tables and drops the colour', () => {
    const r = sessionRepo();
    spawnSync(node24(), [CLI, 'checkpoint', '--session-id', 't1'], { cwd: r.dir, env: cliEnv() });
    r.commit(`feat(lib): multiply\n\n${CLAUDE}\n`, { 'src/lib/util.ts': 'export const add = (a: number, b: number) => a * b;\n' });
    // util-linux `script` gives the command a pseudo-terminal of 100 columns.
    const onTty = (env: Record<string, string>) =>
      spawnSync('script', ['-qec', `stty cols 100; "${node24()}" "${CLI}" status`, '/dev/null'], { cwd: r.dir, env: cliEnv(env), encoding: 'utf8' }).stdout.replace(/\r/g, '');
    const coloured = onTty({});
    expect(coloured).toContain('\x1b[1mScope\x1b[22m');
    expect(coloured).toMatch(/\n  files changed {4}1 file of a budget of 3 +\x1b\[32mok\x1b\[39m\n/);
    expect(coloured).toContain('\x1b[33mat risk on revert\x1b[39m');
    const plain = onTty({ NO_COLOR: '1' });
    expect(plain).not.toContain('\x1b[');
    expect(plain).toMatch(/\n  files changed {4}1 file of a budget of 3 +ok\n/);
    // Table rows are cut to the terminal's width.
    for (const line of plain.split('\n').filter((l) => l.includes('at risk on revert'))) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('without a checkpoint says how to make one; --verbose shows the engine\'s steps on stderr', async () => {
    const r = repo();
    const run = await cli(['status'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no checkpoint (checkpoint/*) is reachable from HEAD');
    expect(run.stderr).toContain('next: Run `rollback-gate checkpoint` before the session starts');
    await cli(['checkpoint', '--session-id', 'v1'], { cwd: r.dir });
    const verbose = await cli(['status', '--verbose'], { cwd: r.dir });
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toContain('git merge-base');
    const normal = await cli(['status'], { cwd: r.dir });
    expect(normal.stderr).toBe('');
  });

  it('-C and --config: another directory and another config file; a missing --config file is an error', async () => {
    const r = repo();
    mkdirSync(join(r.dir, 'conf'));
    writeFileSync(join(r.dir, 'conf', 'strict.yml'), 'scope:\n  max-files: 1\n');
    await cli(['checkpoint', '-C', r.dir, '--session-id', 'k1'], { cwd: '/' });
    r.commit('two files', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const strict = await cli(['-C', r.dir, 'status', '--config', 'conf/strict.yml'], { cwd: '/' });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('2/1 files');
    const missing = await cli(['status', '-C', r.dir, '--config', 'conf/nope.yml'], { cwd: '/' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the config file conf/nope.yml does not exist');
    writeFileSync(join(r.dir, 'conf', 'bad.yml'), 'scope:\n  max-filez: 1\n');
    const bad = await cli(['status', '-C', r.dir, '--config', 'conf/bad.yml'], { cwd: '/' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('conf/bad.yml:2:3: unknown key "max-filez" in scope; did you mean "max-files"?');
  });
});
