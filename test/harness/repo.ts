/** Real git repositories with a real bare remote, for tests. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const GIT_TEST_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Ada Human',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Human',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_TEST_ENV, ...options.env },
    input: options.input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  }).trim();
}

export interface TestRepo {
  /** The working clone (the runner's GITHUB_WORKSPACE). */
  dir: string;
  /** The bare remote it pushes to (`origin`). */
  remote: string;
  root: string;
  git(args: string[], options?: { env?: Record<string, string>; input?: string }): string;
  /** Writes files (creating folders) and commits them; returns the new commit's sha. */
  commit(message: string, files: Record<string, string | Buffer | null>, options?: { author?: string; env?: Record<string, string> }): string;
  head(): string;
  cleanup(): void;
}

export function tempDir(prefix = 'rg-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A clone with a bare `origin`; `initial` files are committed and pushed to `main`. */
export function createRepo(options: { initial?: Record<string, string | Buffer> | null } = {}): TestRepo {
  const root = tempDir();
  const remote = join(root, 'remote.git');
  const dir = join(root, 'work');
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  git(remote, ['config', 'uploadpack.allowAnySHA1InWant', 'true']);
  git(root, ['init', '--quiet', '--initial-branch=main', dir]);
  git(dir, ['remote', 'add', 'origin', remote]);
  git(dir, ['config', 'user.name', 'Ada Human']);
  git(dir, ['config', 'user.email', 'ada@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  const repo: TestRepo = {
    dir,
    remote,
    root,
    git: (args, opts) => git(dir, args, opts),
    commit(message, files, opts = {}) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) {
          git(dir, ['rm', '--quiet', '-r', '--', path]);
          continue;
        }
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
        git(dir, ['add', '--', path]);
      }
      const env: Record<string, string> = { ...opts.env };
      if (opts.author) {
        const m = opts.author.match(/^(.*) <(.*)>$/);
        if (m) {
          env.GIT_AUTHOR_NAME = m[1]!;
          env.GIT_AUTHOR_EMAIL = m[2]!;
        }
      }
      git(dir, ['commit', '--quiet', '--allow-empty', '--cleanup=verbatim', '-F', '-'], { input: message, env });
      return git(dir, ['rev-parse', 'HEAD']);
    },
    head: () => git(dir, ['rev-parse', 'HEAD']),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  if (options.initial !== null) {
    repo.commit('initial commit', options.initial ?? { 'README.md': '# test\n' });
    git(dir, ['push', '--quiet', 'origin', 'main']);
  }
  return repo;
}

/** A shallow clone (depth 1 by default) of the repo's remote, as actions/checkout makes. */
export function shallowClone(repo: TestRepo, branch = 'main', depth = 1): string {
  const dir = join(repo.root, `shallow-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  git(repo.root, ['clone', '--quiet', `--depth=${depth}`, '--no-local', `--branch=${branch}`, `file://${repo.remote}`, dir]);
  return dir;
}

/**
 * Makes the remote move `branch` to `sha` (an object the remote has) on the `call`-th time a client
 * fetches from it: a real race, after a run has read the branch and before it pushes.
 */
export function moveBranchOnFetch(repo: TestRepo, branch: string, sha: string, call: number): void {
  const wrapper = join(repo.root, 'upload-pack');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nn=$(cat "${repo.root}/calls" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${repo.root}/calls"\n` +
      `if [ "$n" = ${call} ]; then git --git-dir="${repo.remote}" update-ref refs/heads/${branch} ${sha}; fi\nexec git-upload-pack "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  git(repo.dir, ['config', 'remote.origin.uploadpack', wrapper]);
}
