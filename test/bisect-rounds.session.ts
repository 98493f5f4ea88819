/** The repository the bisect-round tests and the workflow replay bisect (not a test file). */
import { join } from 'node:path';
import { createRepo, git, tempDir, type TestRepo } from './harness/repo.js';

/**
 * 10 commits after the good end (tag `checkpoint/s1`); the 7th (index 6) plants the bug, the 5th
 * (index 4) breaks the build so the command skips it. The command fails where the bug is.
 */
export const COMMAND = 'if [ -f broken ]; then exit 125; fi; ! grep -q BUG src/core.ts';

export function session(repos: TestRepo[]): { r: TestRepo; good: string; commits: string[] } {
  const r = createRepo({ initial: { 'src/core.ts': 'export const core = 1;\n' } });
  repos.push(r);
  const good = r.head();
  r.git(['tag', 'checkpoint/s1']);
  const commits: string[] = [];
  for (let i = 0; i < 10; i++) {
    const files: Record<string, string | null> = { [`notes/n${i}.md`]: `${i}\n` };
    if (i === 4) files.broken = 'the build is broken here\n';
    if (i === 5) files.broken = null;
    if (i === 6) files['src/core.ts'] = 'export const core = 1; // BUG\n';
    commits.push(r.commit(`feat: step ${i}`, files));
  }
  r.git(['push', '--quiet', '--tags', 'origin', 'main']);
  return { r, good, commits };
}

/** A fresh runner's checkout: a full clone of the remote (actions/checkout with fetch-depth: 0). */
export function checkout(r: TestRepo): string {
  const dir = join(tempDir('rg-runner-ws-'), 'ws');
  git(r.root, ['clone', '--quiet', '--no-local', `file://${r.remote}`, dir]);
  return dir;
}
