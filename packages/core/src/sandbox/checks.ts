/**
 * Runs the config's verify commands on a rolled-back tree, in a throwaway worktree: a temporary
 * repository under the run's scratch directory that borrows the objects (through alternates) and
 * checks out a synthetic commit of that tree. Nothing is registered in the user's repository.
 *
 * Each command runs in its own process group with its timeout; when it times out, or exits and
 * leaves processes behind, the whole group is killed. Its exit code, duration and the tail of its
 * output are recorded. The worktree is removed whatever happens.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyCommand } from '../config/config.js';
import type { Logger } from '../base/env.js';
import type { ScratchStore } from './scratch.js';
import { scrubSecrets } from './secrets.js';
import { UserError } from '../base/errors.js';

export interface CheckResult {
  name: string;
  /** The exit code; null when it was killed (timed out, or by a signal). */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** Processes it left running after it exited (all killed). */
  leftProcesses: boolean;
  /** The last lines of its combined stdout and stderr (untrusted text). */
  tail: string;
  passed: boolean;
}

export interface CheckOptions {
  commands: readonly VerifyCommand[];
  /** Minutes, when a command sets none. */
  timeoutMinutes: number;
  /** Caps every command's timeout (ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS). */
  maxTimeoutMs?: number;
  /** The environment the commands start from; secrets and runner files are removed from it. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** Milliseconds between SIGTERM and SIGKILL when a command times out. */
  killGraceMs?: number;
}

/**
 * ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS (a quick drill, or a job's budget), read once here for every
 * adapter: milliseconds, undefined when unset; anything but a number of seconds > 0 is refused.
 */
export function checkTimeoutCapMs(env: Record<string, string | undefined>): number | undefined {
  const raw = env.ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UserError(`ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS is ${JSON.stringify(raw)}; expected a number of seconds > 0.`, 'Unset it, or give the seconds every check may take at most.');
  }
  return seconds * 1000;
}

const TAIL_LINES = 40;
const TAIL_BYTES = 4000;
const KEEP_BYTES = 64 * 1024;

/**
 * Variables a verify command must not see: the action's inputs (the token), runner command files
 * (a command could set outputs or env for later steps) and the runner's own tokens.
 */
const WITHHELD = /^(INPUT_.*|GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|ACTIONS_ID_TOKEN_REQUEST_URL|ACTIONS_CACHE_URL|ACTIONS_RESULTS_URL|GITHUB_OUTPUT|GITHUB_ENV|GITHUB_PATH|GITHUB_STATE|GITHUB_STEP_SUMMARY|GIT_DIR|GIT_WORK_TREE|GIT_INDEX_FILE|GIT_OBJECT_DIRECTORY|GIT_ALTERNATE_OBJECT_DIRECTORIES)$/i;

export function checkEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !WITHHELD.test(key)) clean[key] = value;
  }
  return clean;
}

/** A temporary repository holding one checked-out tree at a time, removed by `remove`. */
export class ThrowawayWorktree {
  private constructor(
    private readonly store: ScratchStore,
    readonly dir: string,
  ) {}

  static async create(store: ScratchStore): Promise<ThrowawayWorktree> {
    const dir = mkdtempSync(join(store.dir, 'worktree-'));
    const worktree = new ThrowawayWorktree(store, dir);
    try {
      await store.git.run(['init', '--quiet', '--template=', dir]);
      const info = join(dir, '.git', 'objects', 'info');
      mkdirSync(info, { recursive: true });
      writeFileSync(join(info, 'alternates'), `${store.objects}\n${store.repositoryObjects}\n`);
    } catch (error) {
      worktree.remove();
      throw error;
    }
    return worktree;
  }

  /** Checks out `tree` as a detached commit whose parent is `parent`; untracked leftovers are removed. */
  async checkout(tree: string, parent: string, message: string): Promise<string> {
    this.store.flush(); // git reads the scratch objects through alternates here, not through store.env
    const commit = this.store.writeCommit(tree, [parent], message);
    const git = ['-C', this.dir, '-c', 'advice.detachedHead=false', '-c', 'core.hooksPath=/dev/null'];
    await this.store.git.run([...git, 'checkout', '--quiet', '--force', '--detach', commit]);
    await this.store.git.run([...git, 'clean', '-ffdxq']);
    return commit;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Runs every command in `cwd`, one after another; each result records how it ended. */
export async function runChecks(cwd: string, options: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const command of options.commands) {
    const minutes = command.timeoutMinutes ?? options.timeoutMinutes;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer timeout would fire at once.
    const timeoutMs = Math.min(minutes * 60_000, options.maxTimeoutMs ?? Number.POSITIVE_INFINITY, 2_147_483_647);
    const result = await runCommand(command, cwd, timeoutMs, options);
    // The output is untrusted and may print a secret: scrub it before it is logged or reported.
    result.tail = await scrubSecrets(result.tail, options.env);
    options.log.info(
      `check ${command.name}: ${describeCheck(result)}${result.tail ? `\n${result.tail}` : ''}`,
    );
    results.push(result);
  }
  return results;
}

export function describeCheck(result: CheckResult): string {
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  if (result.timedOut) return `timed out after ${seconds}, killed`;
  const ended = result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
  return `${ended} in ${seconds}${result.leftProcesses ? ', left processes behind (killed)' : ''}`;
}

function shell(): { file: string; args: string[] } {
  for (const bash of ['/bin/bash', '/usr/bin/bash']) {
    if (existsSync(bash)) return { file: bash, args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c'] };
  }
  return { file: '/bin/sh', args: ['-e', '-c'] };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pid: number | undefined): boolean {
  return killGroup(pid, 0 as unknown as NodeJS.Signals);
}

function runCommand(command: VerifyCommand, cwd: string, timeoutMs: number, options: CheckOptions): Promise<CheckResult> {
  const { file, args } = shell();
  const started = performance.now();
  return new Promise((resolve) => {
    let output = Buffer.alloc(0);
    const keep = (chunk: Buffer): void => {
      output = Buffer.concat([output, chunk]);
      if (output.length > KEEP_BYTES) output = output.subarray(output.length - KEEP_BYTES);
    };
    const child = spawn(file, [...args, command.run], {
      cwd,
      env: { ...checkEnvironment(options.env), ROLLBACK_GATE_CHECK: command.name },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so the whole group can be killed
    });
    let timedOut = false;
    let leftProcesses = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(closeTimer);
      // Whatever is still in the group now is left behind: kill it.
      if (groupAlive(child.pid)) {
        if (!timedOut) leftProcesses = true;
        killGroup(child.pid, 'SIGKILL');
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      const exitCode = timedOut ? null : (exit?.code ?? null);
      resolve({
        name: command.name,
        exitCode,
        signal: exit?.signal ?? null,
        durationMs: Math.round(performance.now() - started),
        timedOut,
        leftProcesses,
        tail: tailOf(output),
        passed: !timedOut && exitCode === 0,
      });
    };

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        closeTimer = setTimeout(finish, 1000);
      }, options.killGraceMs ?? 2000);
    }, timeoutMs);

    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => {
      keep(Buffer.from(`could not start ${file}: ${error.message}\n`));
      exit = { code: 127, signal: null };
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Processes the command started in the background keep its pipes open: kill them now.
      if (groupAlive(child.pid)) {
        if (!timedOut) leftProcesses = true;
        killGroup(child.pid, 'SIGKILL');
      }
      closeTimer = setTimeout(finish, 1000);
    });
    child.on('close', finish);
  });
}

function tailOf(output: Buffer): string {
  const text = output.toString('utf8').replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  const lines = text.split('\n').slice(-TAIL_LINES).join('\n');
  return lines.length > TAIL_BYTES ? lines.slice(lines.length - TAIL_BYTES) : lines;
}
