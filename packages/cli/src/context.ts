/**
 * What every command starts from: the repository (-C), its config, the session, the remote, and a
 * per-run scratch directory that Ctrl-C removes together with the processes running in it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CONFIG_PATH,
  Git,
  UserError,
  listCheckpoints,
  loadConfig,
  spawnGitRunner,
  validateSessionId,
  type Config,
  type GitRunner,
  type Logger,
} from '@rollback-gate/core';
import { flag, stringOption, type ParsedArgs } from './args.js';
import type { Terminal } from './terminal.js';

export const REMOTE = 'origin';

export interface CommandContext {
  term: Terminal;
  args: ParsedArgs;
  env: Record<string, string | undefined>;
  /** Reads stdin to the end (the agent hook's input). */
  readStdin: () => Promise<string>;
  stdinIsTty: boolean;
  /** Registers cleanup for Ctrl-C; returns the function that unregisters it. */
  onInterrupt: (cleanup: () => void) => () => void;
}

export interface Repo {
  git: Git;
  /** The top of the working tree. */
  root: string;
  /** The repository's git directory (absolute). */
  gitDir: string;
  config: Config;
  configPath: string;
  log: Logger;
}

/** Opens the repository at -C (or the current directory); outside a repository, says how to get one. */
export async function openRepo(ctx: CommandContext, options: { log?: Logger; runner?: GitRunner; dir?: string } = {}): Promise<Repo> {
  const dir = resolve(options.dir ?? stringOption(ctx.args, 'dir') ?? process.cwd());
  if (!existsSync(dir)) throw new UserError(`the directory ${dir} does not exist.`, 'Check the path given to -C.');
  const log = options.log ?? ctx.term.logger();
  const probe = new Git(dir, options.runner ?? spawnGitRunner(), log);
  const top = await probe.test(['rev-parse', '--show-toplevel', '--absolute-git-dir']);
  if (top.exitCode !== 0) {
    const bare = /must be run in a work tree/.test(top.stderr);
    throw new UserError(
      bare ? `${dir} is a bare repository; rollback-gate works in a checkout.` : `${dir} is not inside a git repository.`,
      bare ? 'Clone it and run rollback-gate in the clone.' : 'Run rollback-gate inside your repository, or point -C at it (`git init` makes a new one).',
    );
  }
  const [root = dir, gitDir = join(dir, '.git')] = top.stdout.trim().split('\n');
  const git = new Git(root, options.runner ?? spawnGitRunner(), log);
  const configPath = stringOption(ctx.args, 'config') ?? CONFIG_PATH;
  const full = resolve(root, configPath);
  if (stringOption(ctx.args, 'config') !== undefined && !existsSync(full)) {
    throw new UserError(`the config file ${configPath} does not exist in ${root}.`, 'Check --config (relative to the repository), or leave it out to use .github/rollback-gate.yml or the defaults.');
  }
  const config = loadConfig(() => (existsSync(full) ? readFileSync(full, 'utf8') : undefined), configPath);
  return { git, root, gitDir, config, configPath, log };
}

export async function hasRemote(git: Git, remote = REMOTE): Promise<boolean> {
  return (await git.test(['remote', 'get-url', '--end-of-options', remote])).exitCode === 0;
}

/** `--push` needs a remote: refused before anything is touched. */
export async function requireRemoteForPush(git: Git, push: boolean): Promise<void> {
  if (push && !(await hasRemote(git))) {
    throw new UserError(
      `this repository has no remote named "${REMOTE}", so --push has nowhere to push.`,
      `Leave out --push to keep the result local, or add the remote: git remote add ${REMOTE} <url>.`,
    );
  }
}

export interface HookInput {
  sessionId: string | undefined;
  cwd: string | undefined;
  event: string | undefined;
}

/** The coding agent's hook input (Claude Code: JSON on stdin with session_id, cwd, hook_event_name). */
export async function readHookInput(ctx: CommandContext): Promise<HookInput> {
  if (ctx.stdinIsTty) {
    throw new UserError('--from-hook reads the agent hook\'s JSON input on stdin, and nothing was piped.', 'Use --session-id ID when you run it by hand.');
  }
  const text = (await ctx.readStdin()).trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the hook input on stdin is not JSON: ${(error as Error).message}`, 'Run it from the agent\'s hook (see `rollback-gate init`), or use --session-id ID.');
  }
  const obj = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  const field = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return { sessionId: field(obj.session_id), cwd: field(obj.cwd), event: field(obj.hook_event_name) };
}

/**
 * The session a command is about: --session-id (validated as the actions validate it), the hook's
 * session_id with --from-hook, else the newest checkpoint whose commit is an ancestor of HEAD.
 */
export async function resolveSessionId(repo: Repo, explicit: string | undefined): Promise<{ id: string; how: 'given' | 'newest-reachable' }> {
  const prefix = repo.config.checkpoint.prefix;
  if (explicit !== undefined) return { id: await validateSessionId(repo.git, explicit, prefix), how: 'given' };
  const head = await repo.git.headCommit();
  if (head) {
    for (const info of await listCheckpoints(repo.git, prefix)) {
      if (info.commit && (await repo.git.isAncestor(info.commit, head).catch(() => false))) {
        return { id: info.tag.slice(prefix.length), how: 'newest-reachable' };
      }
    }
  }
  throw new UserError(
    `no checkpoint (${prefix}*) is reachable from HEAD, so there is no session to look at.`,
    'Run `rollback-gate checkpoint` before the session starts, or name one with --session-id ID.',
  );
}

/** The session id option: --session-id, or the hook input's with --from-hook. */
export async function sessionOption(ctx: CommandContext): Promise<{ id: string | undefined; hook: HookInput | undefined }> {
  const given = stringOption(ctx.args, 'session-id');
  if (!flag(ctx.args, 'from-hook')) return { id: given, hook: undefined };
  const hook = await readHookInput(ctx);
  if (given !== undefined) return { id: given, hook };
  if (!hook.sessionId) throw new UserError('the hook input on stdin has no session_id.', 'Use --session-id ID.');
  return { id: hook.sessionId, hook };
}

/**
 * A scratch directory for one run, under the repository's git directory (never in the working
 * tree; tools in a throwaway worktree still find the repository's node_modules by walking up).
 * Ctrl-C kills every process whose working directory is inside it, then removes it.
 */
export function runDirectory(ctx: CommandContext, repo: Repo): { dir: string; dispose: () => void } {
  const base = join(repo.gitDir, 'rollback-gate');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'run-'));
  const dispose = (): void => {
    stopProcessesIn(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const unregister = ctx.onInterrupt(dispose);
  return {
    dir,
    dispose: () => {
      unregister();
      dispose();
    },
  };
}

/**
 * Signals the process groups of every process working inside `dir` (a check or a bisect probe runs
 * in its own group, in a throwaway worktree under it). Linux: read from /proc; elsewhere there is
 * no portable way, and the probe ends on its own timeout.
 */
/** SIGTERM to the groups working in `dir`, up to a second for them to go, then SIGKILL. Synchronous (it runs in a signal handler). */
export function stopProcessesIn(dir: string): void {
  if (killProcessesIn(dir, 'SIGTERM') === 0) return;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 1000; waited += 50) {
    Atomics.wait(pause, 0, 0, 50);
    if (killProcessesIn(dir, 0) === 0) return;
  }
  killProcessesIn(dir, 'SIGKILL');
}

export function killProcessesIn(dir: string, signal: NodeJS.Signals | 0): number {
  if (process.platform !== 'linux' || !existsSync('/proc')) return 0;
  const own = process.pid;
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === own) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(fields[2]);
      groups.add(pgid > 1 ? pgid : Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  const ownGroup = (() => {
    try {
      const stat = readFileSync(`/proc/${own}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    } catch {
      return -1;
    }
  })();
  let killed = 0;
  for (const group of groups) {
    if (group === ownGroup) continue;
    try {
      process.kill(-group, signal);
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}
