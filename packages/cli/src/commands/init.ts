import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONFIG_PATH } from '@rollback-gate/core';
import { flag, stringOption } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { openRepo, type Repo } from '../context.js';
import { count } from '../terminal.js';
import { configTemplate } from '../init/config-template.js';
import { mergeClaudeSettings, mergeSection } from '../init/merge.js';
import { CLAUDE_HOOKS, protocolSection } from '../init/protocol.js';
import { workflowTemplates } from '../init/templates.js';

type Action = 'create' | 'update' | 'unchanged' | 'kept';

interface FileChange {
  path: string;
  action: Action;
  /** Why, in a few words. */
  note: string;
  before: string | undefined;
  after: string;
}

function read(repo: Repo, path: string): string | undefined {
  const full = join(repo.root, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

/** A file init owns only when it creates it: an existing one is kept as it is. */
function createOnly(repo: Repo, path: string, text: string, what: string): FileChange {
  const before = read(repo, path);
  if (before === undefined) return { path, action: 'create', note: what, before, after: text };
  return { path, action: before === text ? 'unchanged' : 'kept', note: before === text ? what : `${what}: exists, kept as it is`, before, after: before };
}

function merged(path: string, before: string | undefined, after: string, what: string): FileChange {
  return { path, action: before === undefined ? 'create' : before === after ? 'unchanged' : 'update', note: what, before, after };
}

/** Every change init would make, computed before anything is written (one refusal stops them all). */
function plan(repo: Repo, agent: 'claude' | 'none', configPath: string): FileChange[] {
  const changes: FileChange[] = [createOnly(repo, configPath, configTemplate(), 'config, every key with its default')];
  for (const [name, text] of workflowTemplates()) changes.push(createOnly(repo, `.github/workflows/${name}`, text, 'example workflow'));
  const section = protocolSection(repo.config);
  if (agent === 'claude') {
    const settingsPath = '.claude/settings.json';
    const before = read(repo, settingsPath);
    changes.push(merged(settingsPath, before, mergeClaudeSettings(before, CLAUDE_HOOKS, settingsPath), 'Claude Code hooks: SessionStart -> checkpoint, SessionEnd -> status'));
    const claude = read(repo, 'CLAUDE.md');
    changes.push(merged('CLAUDE.md', claude, mergeSection(claude, section, 'CLAUDE.md'), 'session protocol section'));
  }
  const agents = read(repo, 'AGENTS.md');
  changes.push(merged('AGENTS.md', agents, mergeSection(agents, section, 'AGENTS.md'), 'session protocol section'));
  return changes;
}

/** A unified diff of one change, by `git diff --no-index` (paths shown as in the repository). */
async function diffOf(repo: Repo, change: FileChange): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rollback-gate-init-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    if (change.before !== undefined) writeFileSync(a, change.before);
    writeFileSync(b, change.after);
    const result = await repo.git.test(['diff', '--no-index', '--no-color', '--no-ext-diff', '--', change.before === undefined ? '/dev/null' : a, b]);
    return result.stdout
      .split('\n')
      .map((line) => {
        if (line.startsWith('diff --git ')) return `diff --git a/${change.path} b/${change.path}`;
        if (line.startsWith('--- ') && line !== '--- /dev/null') return `--- a/${change.path}`;
        if (line.startsWith('+++ ')) return `+++ b/${change.path}`;
        return line;
      })
      .join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const initCommand: Command = {
  name: 'init',
  summary: 'Set a repository up: config, example workflows, agent hooks and the session protocol.',
  usage: 'init [--dry-run] [--agent claude|none]',
  description:
    'Writes .github/rollback-gate.yml (every key with its default, commented out), the example workflows ' +
    '(gate, rollback plan/apply, drill, squash-session), the coding agent\'s hooks (Claude Code: .claude/settings.json, ' +
    'SessionStart -> `rollback-gate checkpoint`, SessionEnd -> `rollback-gate status`) and a "Session protocol" section ' +
    'in CLAUDE.md and AGENTS.md. It merges into existing files (JSON entries added, the section kept between markers), ' +
    'never changes a line it did not write, and running it again changes nothing. --dry-run prints the diff instead.',
  options: [
    { name: 'dry-run', type: 'boolean', description: 'Print the diff it would apply; write nothing.' },
    { name: 'agent', type: 'string', value: 'AGENT', choices: ['claude', 'none'], description: 'The coding agent whose hooks to write: claude (default) or none (AGENTS.md only).' },
  ],
  positionals: [],
  examples: ['rollback-gate init --dry-run', 'rollback-gate init', 'rollback-gate init --agent none'],
  async run(ctx) {
    const repo = await openRepo(ctx);
    const agent = (stringOption(ctx.args, 'agent') ?? 'claude') as 'claude' | 'none';
    const dryRun = flag(ctx.args, 'dry-run');
    const changes = plan(repo, agent, repo.configPath || CONFIG_PATH);
    const pending = changes.filter((c) => c.action === 'create' || c.action === 'update');
    const diffs = dryRun ? await Promise.all(pending.map((c) => diffOf(repo, c))) : [];
    if (!dryRun) {
      for (const change of pending) {
        const full = join(repo.root, change.path);
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, change.after);
      }
    }
    const { term } = ctx;
    if (term.json) {
      term.document({
        command: 'init',
        dryRun,
        agent,
        files: changes.map((c) => {
          const i = pending.indexOf(c);
          return { path: c.path, action: c.action, note: c.note, ...(dryRun && i >= 0 ? { diff: diffs[i] ?? '' } : {}) };
        }),
      });
      return EXIT.ok;
    }
    if (dryRun) {
      for (const diff of diffs) term.line(diff.trimEnd().split('\n').map((l) => (l.startsWith('+') && !l.startsWith('+++') ? term.paint('green', l) : l.startsWith('-') && !l.startsWith('---') ? term.paint('red', l) : l)).join('\n'));
      if (diffs.length > 0) term.line();
    }
    const verb = (a: Action): string => (dryRun ? { create: 'would create', update: 'would update', unchanged: 'unchanged', kept: 'kept' }[a] : { create: 'created', update: 'updated', unchanged: 'unchanged', kept: 'kept' }[a]);
    term.table(['file', 'result', ''], changes.map((c) => [c.path, c.action === 'create' || c.action === 'update' ? term.paint('green', verb(c.action)) : verb(c.action), c.note]));
    term.essential(
      pending.length === 0
        ? 'rollback-gate init: nothing to change; the repository is set up.'
        : `rollback-gate init: ${dryRun ? 'would change' : 'changed'} ${count(pending.length, 'file')}${dryRun ? ' (dry run: nothing written)' : ''}.`,
    );
    if (!dryRun && pending.length > 0) {
      term.line();
      term.line('Next: review and commit these files; then start a session (the SessionStart hook checkpoints it) or run `rollback-gate checkpoint`.');
      if (agent === 'claude') term.line('The hooks run the project\'s own rollback-gate (npx --no-install): add it with `npm install --save-dev rollback-gate`.');
    }
    return EXIT.ok;
  },
};
