/** Helpers for the verify-rollback tests: events, runs that check RUNNER_TEMP, and answers from real git. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { git, tempDir, type TestRepo } from './repo.js';
import { runAction, webhookPayload, type ActionRun } from './run-action.js';

/** `count` numbered lines, some replaced. */
export const lines = (prefix: string, count: number, change: Record<number, string> = {}): string =>
  Array.from({ length: count }, (_, i) => change[i + 1] ?? `${prefix} line ${i + 1}`).join('\n') + '\n';

/** An independent check of a seal: sorted-key JSON without whitespace (RFC 8785 for these values). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function readSealed(path: string): Record<string, unknown> & { seal: string } {
  const document = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { seal: string };
  const { seal, ...body } = document;
  expect(seal).toBe(`sha256:${sha256(canonical(body))}`);
  return document;
}

export function prEvent(
  number: number,
  base: string,
  head: string,
  options: { labels?: string[]; name?: string; baseRef?: string; headRef?: string } = {},
): { name: string; payload: unknown } {
  return {
    name: options.name ?? 'pull_request',
    payload: webhookPayload('pull_request', 'synchronize', {
      number,
      pull_request: {
        number,
        labels: (options.labels ?? []).map((name) => ({ name })),
        base: { sha: base, ref: options.baseRef ?? 'main' },
        head: { sha: head, ref: options.headRef ?? 'agent/feature' },
      },
    }),
  };
}

export interface VerifyRun extends ActionRun {
  /** The RUNNER_TEMP of the run. */
  temp: string;
}

/**
 * Runs dist/verify-rollback with a RUNNER_TEMP it then inspects: nothing may be left there but
 * plan files (the scratch store and every throwaway worktree are removed).
 */
export async function runVerify(
  workspace: string,
  options: { inputs?: Record<string, string>; event?: { name: string; payload: unknown }; env?: Record<string, string>; temp?: string; timeoutMs?: number } = {},
): Promise<VerifyRun> {
  const temp = options.temp ?? tempDir('rg-temp-');
  const run = await runAction('verify-rollback', {
    workspace,
    inputs: options.inputs,
    event: options.event,
    timeoutMs: options.timeoutMs,
    env: { RUNNER_TEMP: temp, ...options.env },
  });
  if (process.env.DEBUG_VERIFY) console.log(run.stdout, run.stderr, run.summary);
  const left = existsSync(join(temp, 'rollback-gate')) ? readdirSync(join(temp, 'rollback-gate')) : [];
  expect(left.filter((name) => !/^plan-.*\.json$/.test(name))).toEqual([]);
  return { ...run, temp };
}

/** The answer of real git: does `git revert` of `commits` (in this order) apply on `tip`, and to what tree? */
export function gitRevert(repo: TestRepo, tip: string, commits: string[], options: { mainline?: boolean } = {}): { ok: boolean; tree?: string } {
  const dir = tempDir('rg-revert-');
  git(dir, ['clone', '--quiet', '--no-checkout', repo.remote, 'c']);
  const clone = join(dir, 'c');
  git(clone, ['fetch', '--quiet', repo.dir, tip]);
  git(clone, ['checkout', '--quiet', '--detach', tip]);
  try {
    git(clone, ['revert', '--no-edit', ...(options.mainline ? ['-m', '1'] : []), ...commits]);
    return { ok: true, tree: git(clone, ['rev-parse', 'HEAD^{tree}']) };
  } catch {
    return { ok: false };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a process is still running (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
