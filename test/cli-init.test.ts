/**
 * `rollback-gate init` (the bundle) on real repositories: what it writes, that it merges and never
 * changes a line it did not write, that a second run changes nothing, --dry-run, and the Claude
 * Code hooks it writes, run the way Claude Code runs them (hook input JSON on stdin).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_CONFIG, parseConfig } from '@rollback-gate/core';
import { createRepo, type TestRepo } from './harness/repo.js';
import { ROOT, node24 } from './harness/run-action.js';
import { CLI, cli, cliEnv } from './cli-harness.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});
function repo(): TestRepo {
  const r = createRepo();
  repos.push(r);
  return r;
}
const read = (r: TestRepo, path: string): string => readFileSync(join(r.dir, path), 'utf8');
const write = (r: TestRepo, path: string, text: string): void => {
  mkdirSync(join(r.dir, path, '..'), { recursive: true });
  writeFileSync(join(r.dir, path), text);
};
const FILES = [
  '.github/rollback-gate.yml',
  '.github/workflows/rollback-gate.yml',
  '.github/workflows/rollback.yml',
  '.github/workflows/drill.yml',
  '.github/workflows/squash-session.yml',
  '.claude/settings.json',
  'CLAUDE.md',
  'AGENTS.md',
];
function snapshot(r: TestRepo): Record<string, string | null> {
  return Object.fromEntries(FILES.map((f) => [f, existsSync(join(r.dir, f)) ? `${read(r, f)}@${statSync(join(r.dir, f)).mtimeMs}` : null]));
}

describe('init', () => {
  it('writes the config (every key, default, commented), the example workflows, the hooks and the protocol; a second run changes nothing', async () => {
    const r = repo();
    const run = await cli(['init'], { cwd: r.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('rollback-gate init: changed 8 files.');
    for (const f of FILES) expect(existsSync(join(r.dir, f))).toBe(true);

    // The config: all comments (the defaults apply); uncommented, it is exactly the defaults.
    const config = read(r, '.github/rollback-gate.yml');
    expect(parseConfig(config, 'x.yml')).toEqual(DEFAULT_CONFIG);
    const body = config.slice(config.indexOf('\n\n') + 2).split('\n').map((l) => l.replace(/^# /, '')).join('\n');
    expect(parseConfig(body, 'x.yml')).toEqual(DEFAULT_CONFIG);
    for (const key of ['max-files', 'ignore', 'layers', 'cross-layer', 'protected', 'mode', 'trailers', 'authors', 'max-depth', 'commands', 'timeout-minutes', 'window', 'commits', 'days', 'irreversible', 'entanglement', 'security-log', 'decisions-log', 'prefix', 'keep', 'max-age-days', 'enabled', 'confirm', 'max-per-day', 'max-age-hours', 'lookback', 'pause-variable', 'pause-label', 'delivery']) {
      expect(config).toMatch(new RegExp(`^#\\s+${key}:`, 'm'));
    }
    // The workflows are the project's examples, byte for byte.
    for (const name of ['rollback-gate.yml', 'rollback.yml', 'drill.yml', 'squash-session.yml']) {
      expect(read(r, `.github/workflows/${name}`)).toBe(readFileSync(join(ROOT, 'examples', 'workflows', name), 'utf8'));
    }
    const settings = JSON.parse(read(r, '.claude/settings.json')) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ type: string; command: string }> }>> };
    expect(settings.hooks.SessionStart).toEqual([{ matcher: 'startup|clear', hooks: [{ type: 'command', command: 'npx --no-install rollback-gate checkpoint --from-hook --quiet', timeout: 60 }] }]);
    expect(settings.hooks.SessionEnd![0]!.hooks[0]!.command).toBe('npx --no-install rollback-gate status --from-hook');
    for (const md of ['CLAUDE.md', 'AGENTS.md']) {
      const text = read(r, md);
      expect(text.match(/rollback-gate:session-protocol:begin/g)).toHaveLength(1);
      expect(text).toContain('## Session protocol');
      expect(text).toContain('at most 5 files');
      expect(text).toContain('### Recovery playbook');
      expect(text.split('\n').filter((l) => /^\d\. /.test(l))).toHaveLength(9);
    }

    const before = snapshot(r);
    const again = await cli(['init'], { cwd: r.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('rollback-gate init: nothing to change; the repository is set up.');
    expect(snapshot(r)).toEqual(before);
  });

  it('merges into an existing .claude/settings.json: other hooks and settings kept, ours added once; CLAUDE.md lines kept', async () => {
    const r = repo();
    const existing = {
      permissions: { allow: ['Bash(npm test:*)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/guard.sh' }] }],
        SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'cat .claude/context.md' }] }],
      },
    };
    write(r, '.claude/settings.json', `${JSON.stringify(existing, null, 2)}\n`);
    write(r, 'CLAUDE.md', '# Project notes\n\nUse pnpm.\n');
    write(r, '.github/rollback-gate.yml', 'scope:\n  max-files: 8\n');

    const dry = await cli(['init', '--dry-run'], { cwd: r.dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('diff --git a/.claude/settings.json b/.claude/settings.json');
    expect(dry.stdout).toContain('+        "matcher": "startup|clear",');
    expect(dry.stdout).toContain('diff --git a/CLAUDE.md b/CLAUDE.md');
    expect(dry.stdout).toContain('+## Session protocol');
    expect(dry.stdout).toContain('--- /dev/null\n+++ b/AGENTS.md');
    expect(dry.stdout).not.toMatch(/^-(?!--)/m);
    expect(dry.stdout).toContain('(dry run: nothing written)');
    expect(read(r, 'CLAUDE.md')).toBe('# Project notes\n\nUse pnpm.\n');
    expect(existsSync(join(r.dir, 'AGENTS.md'))).toBe(false);

    const run = await cli(['init'], { cwd: r.dir });
    expect(run.code).toBe(0);
    const settings = JSON.parse(read(r, '.claude/settings.json')) as typeof existing & { hooks: Record<string, unknown[]> };
    expect(settings.permissions).toEqual(existing.permissions);
    expect(settings.hooks.PreToolUse).toEqual(existing.hooks.PreToolUse);
    expect(settings.hooks.SessionStart).toHaveLength(2);
    expect(settings.hooks.SessionStart![0]).toEqual(existing.hooks.SessionStart[0]);
    // Every line of the original is still there.
    const now = read(r, '.claude/settings.json');
    const nowLines = now.split('\n').map((l) => l.replace(/,$/, ''));
    for (const line of `${JSON.stringify(existing, null, 2)}`.split('\n')) expect(nowLines).toContain(line.replace(/,$/, ''));
    const claude = read(r, 'CLAUDE.md');
    expect(claude.startsWith('# Project notes\n\nUse pnpm.\n\n<!-- rollback-gate:session-protocol:begin')).toBe(true);
    expect(claude).toContain('at most 8 files');
    expect(read(r, '.github/rollback-gate.yml')).toBe('scope:\n  max-files: 8\n');
    expect(run.stdout).toMatch(/\.github\/rollback-gate\.yml\tkept\tconfig, every key with its default: exists, kept as it is/);

    // The budget changes: only the lines between the markers follow.
    write(r, '.github/rollback-gate.yml', 'scope:\n  max-files: 12\n');
    write(r, 'CLAUDE.md', `${read(r, 'CLAUDE.md')}\n## More notes\n`);
    await cli(['init'], { cwd: r.dir });
    const updated = read(r, 'CLAUDE.md');
    expect(updated).toContain('at most 12 files');
    expect(updated).not.toContain('at most 8 files');
    expect(updated.startsWith('# Project notes\n\nUse pnpm.\n\n')).toBe(true);
    expect(updated.endsWith('\n## More notes\n')).toBe(true);
    expect(updated.match(/## Session protocol/g)).toHaveLength(1);
  });

  it('refuses, writing nothing at all, when a file cannot be merged line for line', async () => {
    const r = repo();
    write(r, '.claude/settings.json', '{"hooks": {"PreToolUse": []}, "model": "opus"}\n');
    const run = await cli(['init'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('.claude/settings.json is formatted in a way init cannot keep line for line');
    expect(run.stderr).toContain('"SessionStart"');
    expect(read(r, '.claude/settings.json')).toBe('{"hooks": {"PreToolUse": []}, "model": "opus"}\n');
    expect(existsSync(join(r.dir, '.github'))).toBe(false);
    expect(existsSync(join(r.dir, 'AGENTS.md'))).toBe(false);

    write(r, '.claude/settings.json', '{ not json');
    const invalid = await cli(['init'], { cwd: r.dir });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('.claude/settings.json is not valid JSON');

    write(r, '.claude/settings.json', '{}\n');
    write(r, 'AGENTS.md', 'intro\n<!-- rollback-gate:session-protocol:begin -->\nhalf\n');
    const half = await cli(['init'], { cwd: r.dir });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('AGENTS.md has one rollback-gate session-protocol marker without the other');
  });

  it('--agent none writes AGENTS.md only (no hooks, no CLAUDE.md); --json lists every file', async () => {
    const r = repo();
    const run = await cli(['init', '--agent', 'none', '--json'], { cwd: r.dir });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { files: Array<{ path: string; action: string }> };
    expect(doc.files.map((f) => f.path)).toEqual(FILES.filter((f) => f !== '.claude/settings.json' && f !== 'CLAUDE.md'));
    expect(doc.files.every((f) => f.action === 'create')).toBe(true);
    expect(existsSync(join(r.dir, '.claude'))).toBe(false);
    expect(existsSync(join(r.dir, 'CLAUDE.md'))).toBe(false);
  });

  it('the hooks it writes work as Claude Code runs them: SessionStart checkpoints the session, SessionEnd shows its status', async () => {
    const r = repo();
    await cli(['init'], { cwd: r.dir });
    r.git(['add', '-A']);
    r.git(['commit', '-qm', 'chore: rollback-gate init']);
    const settings = JSON.parse(read(r, '.claude/settings.json')) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    // Claude Code runs the command with sh in the project directory and the hook input on stdin; npx is replaced by this checkout's bundle.
    const runHook = (event: string, input: object) => {
      const command = settings.hooks[event]![0]!.hooks[0]!.command.replace('npx --no-install rollback-gate', `"${node24()}" "${CLI}"`);
      return spawnSync('sh', ['-c', command], { cwd: r.dir, input: JSON.stringify(input), env: cliEnv(), encoding: 'utf8' });
    };
    const id = '6b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';
    const start = runHook('SessionStart', { session_id: id, transcript_path: '/tmp/x.jsonl', cwd: r.dir, permission_mode: 'default', hook_event_name: 'SessionStart', source: 'startup', model: 'claude-sonnet-4-5' });
    expect(start.status).toBe(0);
    expect(start.stdout).toMatch(new RegExp(`^✓ checkpoint/${id} at [0-9a-f]{12} \\(created\\)\\n$`));
    r.commit('feat: agent work\n\nCo-authored-by: Claude <noreply@anthropic.com>\n', { 'src/a.ts': 'export const a = 1;\n' });
    const end = runHook('SessionEnd', { session_id: id, transcript_path: '/tmp/x.jsonl', cwd: r.dir, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' });
    expect(end.status).toBe(0);
    expect(end.stdout).toContain(`session ${id}: ✓ within scope; 1 commit (1 agent, 0 human), 1/5 files`);
  });
});
