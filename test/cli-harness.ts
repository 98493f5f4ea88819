/**
 * Runs the bundled CLI as a user does: `node dist/cli/index.js <args>` (the npm-shipped Node 24),
 * in a working directory, with stdin, a clean environment (no colour unless asked) and the test
 * git identity. Also `npx rollback-gate` from the checkout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { GIT_TEST_ENV } from './harness/repo.js';
import { assertBundleFresh } from '../scripts/runner.mjs';
import { ROOT, node24 } from './harness/run-action.js';

export const CLI = join(ROOT, 'dist', 'cli', 'index.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called with the child once it runs (to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TMPDIR: process.env.TMPDIR,
    ...GIT_TEST_ENV,
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function collect(child: ChildProcess, options: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

/** `node dist/cli/index.js ...args` in `cwd`. */
export function cli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  assertBundleFresh('cli');
  const child = spawn(node24(), [CLI, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options);
}

/** `npx rollback-gate ...args`, run from the checkout (the root package's bin). */
export function npxCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  assertBundleFresh('cli');
  const child = spawn('npx', ['--no-install', 'rollback-gate', ...args], {
    cwd: options.cwd,
    env: cliEnv({ npm_config_update_notifier: 'false', npm_config_loglevel: 'error', ...options.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return collect(child, options);
}

/** No stack trace reached the user: no `    at ` frames. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.*:\d+:\d+\)$/m.test(text) || /^\s+at .+:\d+:\d+$/m.test(text);
}
