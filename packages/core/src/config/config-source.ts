import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, CONFIG_PATH, type Config } from './config.js';
import type { EventContext } from '../event/event.js';
import type { Git } from '../git/git.js';

/**
 * Loads `.github/rollback-gate.yml` (or `path`). In pull_request_target runs it is read from the
 * base commit, never from the PR head, so a PR cannot change the rules it is checked against.
 */
export async function loadConfigForEvent(git: Git, context: EventContext, path = CONFIG_PATH): Promise<Config> {
  const file = path || CONFIG_PATH;
  if (context.configFromBase && context.base) {
    if (!(await git.objectExists(context.base))) {
      await git.run(['fetch', '--no-tags', '--quiet', '--depth=1', '--end-of-options', 'origin', context.base]);
    }
    const shown = await git.test(['show', '--end-of-options', `${context.base}:${file}`]);
    // Errors name the file as it is in the base commit; pull_request_target never reads the PR's copy.
    return loadConfig(() => (shown.exitCode === 0 ? shown.stdout : undefined), file);
  }
  const full = resolve(git.cwd, file);
  return loadConfig(() => (existsSync(full) ? readFileSync(full, 'utf8') : undefined), file);
}
