import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { GitError, GitInternalError, UserError } from '../base/errors.js';
import type { Logger } from '../base/env.js';
import { CHECKPOINT_TAG_PREFIX } from './protocol.js';

/** The repository's object hash. */
export type ObjectFormat = 'sha1' | 'sha256';

/** What one git process produced. stdout is raw bytes so `-z` output with non-UTF-8 paths survives. */
export interface GitProcessResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
}

export interface GitProcessOptions {
  cwd: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs `git <args>`; the only way the engine starts git. Argument arrays only, never a shell. */
export type GitRunner = (args: readonly string[], options: GitProcessOptions) => Promise<GitProcessResult>;

export function spawnGitRunner(gitPath = 'git'): GitRunner {
  return (args, options) =>
    new Promise((resolve, reject) => {
      const child = spawn(gitPath, args, {
        cwd: options.cwd,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: process.env.GIT_ASKPASS ?? '',
          LC_ALL: 'C',
          ...options.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error) =>
        reject(new UserError(`could not start git (${error.message})`, 'Install git on the runner, or check PATH.')),
      );
      child.on('close', (code) =>
        resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), exitCode: code }),
      );
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
}

export interface GitRunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
  /** The next step to tell the user when this command fails. */
  hint?: string;
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  raw: Buffer;
  stderr: string;
  exitCode: number;
}

/** Next steps for the git failures users meet most. */
function defaultHint(stderr: string): string | undefined {
  if (/not a git repository/i.test(stderr)) {
    return 'Run actions/checkout before this step, or point `working-directory` at the repository.';
  }
  if (/dubious ownership/i.test(stderr)) {
    return 'Mark the checkout as safe: git config --global --add safe.directory "$GITHUB_WORKSPACE".';
  }
  if (/could not read Username|Authentication failed|403|Permission to .* denied|terminal prompts disabled/i.test(stderr)) {
    return 'The token cannot push: grant `permissions: contents: write` to the job and keep actions/checkout\'s `persist-credentials` on.';
  }
  if (/shallow|unknown revision|bad object|not our ref/i.test(stderr)) {
    return 'The history may be incomplete: set `fetch-depth: 0` on actions/checkout.';
  }
  if (/Could not resolve host|unable to access|Connection (timed out|refused|reset)|early EOF|remote end hung up|Could not read from remote repository|does not appear to be a git repository/i.test(stderr)) {
    return 'The remote could not be reached: check its URL and the network, then run again.';
  }
  if (/\.lock'?: File exists|Unable to create '.*\.lock'/i.test(stderr)) {
    return 'Another git process is working in this repository (or one was killed and left a .lock file): wait for it, or remove the lock file, then run again.';
  }
  if (/No space left on device|Disk quota exceeded/i.test(stderr)) {
    return 'The runner is out of disk space: free some, or use a larger runner.';
  }
  return undefined;
}

/**
 * Options every git command of the engine runs with: repository hooks are ignored (`core.hooksPath`
 * points at a path that cannot hold any), and no fsmonitor command is started, so nothing a user's
 * command planted in `.git/hooks` or as a monitor runs inside the action, where the token is.
 */
export const GIT_SAFETY_OPTIONS: readonly string[] = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/**
 * One git wrapper for the whole engine. Every user-supplied ref goes after `--end-of-options`
 * (callers use `Git.userRef`), so a ref such as `--upload-pack=x` is never read as an option.
 */
export class Git {
  constructor(
    readonly cwd: string,
    private readonly runner: GitRunner = spawnGitRunner(),
    private readonly log?: Logger,
  ) {}

  /**
   * Runs git unless the exit code is not an accepted one: then throws GitError (command, stderr,
   * next step) when the failure has a known next step (the caller's `hint`, or one for the failures
   * users meet), else GitInternalError: git refused what we asked, which is our bug.
   */
  async run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    this.log?.debug(`git ${args.join(' ')}`);
    const result = await this.runner([...GIT_SAFETY_OPTIONS, ...args], {
      cwd: this.cwd,
      input: options.input,
      env: options.env,
      timeoutMs: options.timeoutMs,
    });
    const ok = options.okExitCodes ?? [0];
    if (result.exitCode === null || !ok.includes(result.exitCode)) {
      const hint = options.hint ?? defaultHint(result.stderr);
      if (hint === undefined) throw new GitInternalError(args, result.exitCode, result.stderr);
      throw new GitError(args, result.exitCode, result.stderr, hint);
    }
    return {
      stdout: result.stdout.toString('utf8'),
      raw: result.stdout,
      stderr: result.stderr,
      exitCode: result.exitCode,
    };
  }

  /** Runs git and returns its trimmed stdout. */
  async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.trim();
  }

  /** Runs git where failure is an answer: returns the exit code instead of throwing. */
  async test(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    const result = await this.runner([...GIT_SAFETY_OPTIONS, ...args], { cwd: this.cwd, input: options.input, env: options.env });
    return {
      stdout: result.stdout.toString('utf8'),
      raw: result.stdout,
      stderr: result.stderr,
      exitCode: result.exitCode ?? -1,
    };
  }

  /** The commit a user-supplied revision names, or undefined. */
  async resolveCommit(rev: string): Promise<string | undefined> {
    const result = await this.test(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** Like resolveCommit, but a missing revision is a UserError naming `what`. */
  async requireCommit(rev: string, what: string): Promise<string> {
    const sha = await this.resolveCommit(rev);
    if (!sha) {
      const shallow = await this.isShallow();
      throw new UserError(
        `${what} \`${rev}\` does not name a commit in this repository.`,
        shallow
          ? 'This is a shallow clone: set `fetch-depth: 0` on actions/checkout so the whole history is there.'
          : 'Check the name, and that it was fetched (actions/checkout fetches one branch by default).',
      );
    }
    return sha;
  }

  async treeOf(commit: string): Promise<string> {
    return this.text(['rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`]);
  }

  async headCommit(): Promise<string | undefined> {
    return this.resolveCommit('HEAD');
  }

  /** The current branch's short name, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const result = await this.test(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async isShallow(): Promise<boolean> {
    return (await this.text(['rev-parse', '--is-shallow-repository'])) === 'true';
  }

  /** `git check-ref-format` on a full ref name. */
  async isValidRefName(ref: string): Promise<boolean> {
    return (await this.test(['check-ref-format', ref])).exitCode === 0;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [0, 1] });
    return result.exitCode === 0;
  }

  async refExists(ref: string): Promise<boolean> {
    return (await this.test(['show-ref', '--verify', '--quiet', ref])).exitCode === 0;
  }

  async objectExists(sha: string): Promise<boolean> {
    return (await this.test(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0;
  }

  async configValue(key: string): Promise<string | undefined> {
    const result = await this.test(['config', '--get', key]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The remote's refs matching `patterns` (`git ls-remote` patterns: full names or globs), by full name. */
  async lsRemote(remote: string, patterns: readonly string[]): Promise<Map<string, string>> {
    return parseLsRemote((await this.run(['ls-remote', '--end-of-options', remote, ...patterns])).stdout).refs;
  }

  /** The remote's value of one ref (`refs/heads/x`, `refs/tags/y`), or undefined when it does not exist there. */
  async remoteRef(remote: string, ref: string): Promise<string | undefined> {
    return (await this.lsRemote(remote, [ref])).get(ref);
  }

  /** The remote's default branch (its HEAD), or undefined when it cannot be told. */
  async remoteDefaultBranch(remote: string): Promise<string | undefined> {
    const result = await this.test(['ls-remote', '--symref', '--end-of-options', remote, 'HEAD']);
    const head = parseLsRemote(result.stdout).symrefs.get('HEAD');
    return head?.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : undefined;
  }

  /** Whether a remote of this name is configured. */
  async hasRemote(remote: string): Promise<boolean> {
    return (await this.test(['remote', 'get-url', '--end-of-options', remote])).exitCode === 0;
  }

  /** A repository with no commit yet: nothing to checkpoint or roll back. */
  async isEmptyRepository(): Promise<boolean> {
    return (await this.headCommit()) === undefined && (await this.text(['rev-list', '-n', '1', '--all'])) === '';
  }

  /** Identity env for commits and tags when the runner has none configured (GitHub's runners do not). */
  async identityEnv(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    if (!(await this.configValue('user.name')) && !process.env.GIT_COMMITTER_NAME) {
      env.GIT_COMMITTER_NAME = 'github-actions[bot]';
      env.GIT_AUTHOR_NAME = 'github-actions[bot]';
    }
    if (!(await this.configValue('user.email')) && !process.env.GIT_COMMITTER_EMAIL) {
      env.GIT_COMMITTER_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';
      env.GIT_AUTHOR_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';
    }
    return env;
  }

  /** Refuses when a rebase, merge, cherry-pick, revert or bisect is in progress. */
  async assertNoOperationInProgress(): Promise<void> {
    const markers: Array<[string, string]> = [
      ['rebase-merge', 'a rebase'],
      ['rebase-apply', 'a rebase or am'],
      ['MERGE_HEAD', 'a merge'],
      ['CHERRY_PICK_HEAD', 'a cherry-pick'],
      ['REVERT_HEAD', 'a revert'],
      ['BISECT_LOG', 'a bisect'],
    ];
    const paths = (await this.text(['rev-parse', ...markers.flatMap(([marker]) => ['--git-path', marker])])).split('\n');
    markers.forEach(([, what], index) => {
      if (existsSync(resolve(this.cwd, paths[index] ?? ''))) {
        throw new UserError(
          `${what} is in progress in ${this.cwd}; refusing to touch the repository.`,
          'Finish or abort it first (for example `git rebase --abort`), then run again.',
        );
      }
    });
  }

  /** Refuses when tracked files have uncommitted changes. */
  async assertCleanWorkingTree(): Promise<void> {
    const status = (await this.run(['status', '--porcelain=v1', '-z', '--untracked-files=no'])).stdout;
    if (status) {
      const files = status.split('\0').filter(Boolean).slice(0, 10).map((entry) => JSON.stringify(entry.slice(3)));
      throw new UserError(
        `the working tree has uncommitted changes (${files.join(', ')}); refusing to rewrite anything.`,
        'Commit or stash them first, then run again.',
      );
    }
  }
}

/** `git ls-remote [--symref]` output: `<sha>\t<ref>` lines, and `ref: <target>\t<ref>` for symbolic refs. */
export function parseLsRemote(stdout: string): { refs: Map<string, string>; symrefs: Map<string, string> } {
  const refs = new Map<string, string>();
  const symrefs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [left = '', name] = line.split('\t');
    if (!name) continue;
    if (left.startsWith('ref: ')) symrefs.set(name, left.slice('ref: '.length));
    else if (left) refs.set(name, left);
  }
  return { refs, symrefs };
}

/** Full ref names must pass `git check-ref-format`; ids must also be plain words. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Checks a session id: letters, digits, `.`, `_`, `-` and `/` separators, at most 100 characters,
 * and a valid ref name under the given prefix. Shell syntax, spaces and `..` are refused.
 */
export async function validateSessionId(git: Git, id: string, prefix = CHECKPOINT_TAG_PREFIX): Promise<string> {
  const trimmed = id.trim();
  const problem =
    trimmed === ''
      ? 'it is empty'
      : trimmed.length > 100
        ? 'it is longer than 100 characters'
        : trimmed.includes('..')
          ? 'it contains ".."'
          : !SESSION_ID.test(trimmed)
            ? 'only letters, digits, ".", "_", "-" and "/" between words are allowed'
            : undefined;
  if (problem || !(await git.isValidRefName(`refs/tags/${prefix}${trimmed}`)) || trimmed.endsWith('.lock')) {
    throw new UserError(
      `session id ${JSON.stringify(id)} is not valid: ${problem ?? '`git check-ref-format` rejects it'}.`,
      'Use an id such as `pr-123` or `run-456789`, or leave `session-id` empty to derive one from the event.',
    );
  }
  return trimmed;
}

/** Refuses a user-supplied revision that git could read as an option. */
export function assertNotOption(value: string, inputName: string): void {
  if (value.startsWith('-')) {
    throw new UserError(
      `input \`${inputName}\` is ${JSON.stringify(value)}, which starts with "-"; a ref cannot start with "-".`,
      'Give a branch, tag or commit sha.',
    );
  }
}
