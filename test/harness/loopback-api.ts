/** One loopback GitHub API per test file, checked after every test: no request may violate the description. */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { startGitHubApi, type GitHubApiOptions, type GitHubApiServer } from './github-api.js';

export function useGitHubApi(options: GitHubApiOptions = {}): { readonly server: GitHubApiServer } {
  const handle = {} as { server: GitHubApiServer };
  beforeAll(async () => {
    handle.server = await startGitHubApi(options);
  });
  afterAll(async () => {
    await handle.server?.close();
  });
  afterEach(() => {
    expect(handle.server.violations).toEqual([]);
  });
  return handle;
}
