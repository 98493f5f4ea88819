import { UserError } from '../base/errors.js';
import type { Git } from './git.js';
import type { Logger } from '../base/env.js';

const DEEPEN_STEPS = [50, 200, 1000, 5000];

export const FETCH_DEPTH_HINT =
  'Set `fetch-depth: 0` on actions/checkout (with: fetch-depth: 0) so the history this step needs is there.';

/**
 * Makes sure `reachable()` holds, deepening a shallow clone in growing steps (then unshallowing)
 * just far enough. A full clone that fails `reachable()` is not fixable by fetching: the error says so.
 */
export async function ensureHistory(
  git: Git,
  options: { remote?: string; refspecs?: readonly string[]; what: string; reachable: () => Promise<boolean>; log?: Logger },
): Promise<{ deepened: number }> {
  if (await options.reachable()) return { deepened: 0 };
  if (!(await git.isShallow())) {
    throw new UserError(`${options.what} is not in this repository's history.`, FETCH_DEPTH_HINT);
  }
  const remote = options.remote ?? 'origin';
  let total = 0;
  for (const step of DEEPEN_STEPS) {
    options.log?.info(`shallow clone: deepening by ${step} commits to reach ${options.what}`);
    const result = await git.test(['fetch', '--no-tags', '--quiet', `--deepen=${step}`, '--end-of-options', remote, ...(options.refspecs ?? [])]);
    if (result.exitCode !== 0) {
      throw new UserError(`this is a shallow clone and deepening it failed: ${result.stderr.trim()}`, FETCH_DEPTH_HINT);
    }
    total += step;
    if (await options.reachable()) return { deepened: total };
    if (!(await git.isShallow())) break;
  }
  if (await git.isShallow()) {
    const result = await git.test(['fetch', '--no-tags', '--quiet', '--unshallow', '--end-of-options', remote, ...(options.refspecs ?? [])]);
    if (result.exitCode === 0 && (await options.reachable())) return { deepened: Number.POSITIVE_INFINITY };
  }
  throw new UserError(`this is a shallow clone and ${options.what} could not be reached by deepening it.`, FETCH_DEPTH_HINT);
}
