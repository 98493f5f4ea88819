/**
 * The agent-session protocol `init` writes: the coding agent's hooks (Claude Code's
 * .claude/settings.json) and a "Session protocol" section in CLAUDE.md and AGENTS.md.
 *
 * Claude Code runs a hook's command with the hook input as JSON on stdin: `session_id`,
 * `transcript_path`, `cwd`, `hook_event_name`, and `source` (startup | resume | clear | compact)
 * for SessionStart or `reason` for SessionEnd. Settings hold
 * `{"hooks": {"<Event>": [{"matcher": "...", "hooks": [{"type": "command", "command": "...", "timeout": s}]}]}}`.
 */
import type { Config } from '@rollback-gate/core';

export const SECTION_BEGIN = '<!-- rollback-gate:session-protocol:begin (written by `rollback-gate init`; edit outside these markers) -->';
export const SECTION_END = '<!-- rollback-gate:session-protocol:end -->';

/**
 * The command the hooks run: the project's own install (a devDependency), never a download at
 * every session start (`--no-install`: a missing install fails the hook, the session goes on).
 */
export const HOOK_RUNNER = 'npx --no-install rollback-gate';

export interface HookSpec {
  event: 'SessionStart' | 'SessionEnd';
  /** SessionStart: a new session (startup) or a cleared one (clear, a new session id); not resume. */
  matcher: string;
  command: string;
  /** Tells an existing entry of ours (maybe edited by hand) from others': it is then left alone. */
  recognise: RegExp;
  timeout: number;
}

export const CLAUDE_HOOKS: readonly HookSpec[] = [
  {
    event: 'SessionStart',
    matcher: 'startup|clear',
    command: `${HOOK_RUNNER} checkpoint --from-hook --quiet`,
    recognise: /rollback-gate(?:\.js)?\s+checkpoint\b/,
    timeout: 60,
  },
  {
    event: 'SessionEnd',
    matcher: '',
    command: `${HOOK_RUNNER} status --from-hook`,
    recognise: /rollback-gate(?:\.js)?\s+status\b/,
    timeout: 120,
  },
];

/** The section for CLAUDE.md / AGENTS.md, markers included. */
export function protocolSection(config: Config): string {
  const budget = config.scope.maxFiles;
  const layers = Object.keys(config.scope.layers);
  return [
    SECTION_BEGIN,
    '## Session protocol',
    '',
    'This repository uses [rollback-gate](https://github.com/rollback-gate/rollback-gate): every agent session must be easy to undo.',
    '',
    '1. **Checkpoint first.** Before changing anything: `npx rollback-gate checkpoint` (Claude Code\'s SessionStart hook runs it). Work on a branch, never on the default branch.',
    `2. **One layer, within the budget.** Touch one layer at a time${layers.length > 0 ? ` (${layers.join(', ')})` : ''} and at most ${budget} files (\`scope.max-files\` in \`.github/rollback-gate.yml\`). \`npx rollback-gate status\` shows where the session stands.`,
    '3. **Commit as you go**, small commits with the agent\'s trailer; never rewrite or force-push commits the session did not make.',
    '4. **At the end, run the checks and squash:** `npx rollback-gate status`, then `npx rollback-gate squash --run-checks` (one commit; the originals are kept). If the checks fail, say so and stop.',
    '',
    '### Recovery playbook',
    '',
    '1. Where are we: `npx rollback-gate status` (commits, files, blast radius, what the rollback would be).',
    '2. Throw the whole session away: `git switch --create restore/<id> checkpoint/<id>`.',
    '3. Find the commit that broke it: `npx rollback-gate bisect checkpoint/<id> HEAD -- <test command>`.',
    '4. Roll back exactly that: `npx rollback-gate rollback <id or commit>` (a plan), then `--apply` (a branch `rollback/<id>`).',
    '5. Nothing is lost: a squash keeps the originals at `refs/rollback-gate/backup/<id>`.',
    SECTION_END,
  ].join('\n');
}
