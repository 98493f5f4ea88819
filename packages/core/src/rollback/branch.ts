/** The branch a rollback lands on: given, or the remote's default branch; checked before anything else. */
import { UserError } from '../base/errors.js';
import { assertNotOption, type Git } from '../git/git.js';

/**
 * The branch to roll back on and its tip on `remote`. `HEAD` (or `refs/heads/HEAD`) is not a branch
 * name; a remote that cannot be reached says so with git's own message.
 */
export async function rollbackBranch(git: Git, remote: string, input: string): Promise<{ branch: string; tip: string }> {
  const given = input.trim().replace(/^refs\/heads\//, '');
  if (given === 'HEAD' || given === `${remote}/HEAD` || given === `refs/remotes/${remote}/HEAD`) {
    throw new UserError(
      `input \`branch\` is ${JSON.stringify(input.trim())}, which is not a branch name: HEAD names whatever is checked out.`,
      'Name the branch to roll back on (for example `main`), or leave `branch` empty for the remote\'s default branch.',
    );
  }
  const probe = await git.test(['ls-remote', '--symref', '--end-of-options', remote, 'HEAD']);
  if (probe.exitCode !== 0) {
    throw new UserError(
      `${remote} cannot be reached: ${(probe.stderr || probe.stdout).split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 4).join(' ')}`,
      `Check the remote's URL (git remote get-url ${remote}), the network, and the job's credentials (actions/checkout persists them unless \`persist-credentials: false\`).`,
    );
  }
  const branch = given || probe.stdout.match(/^ref: refs\/heads\/(\S+)\tHEAD$/m)?.[1] || (await git.remoteDefaultBranch(remote));
  if (!branch) throw new UserError(`${remote} names no default branch (its HEAD points at no branch).`, 'Name the branch to roll back on with `branch`.');
  assertNotOption(branch, 'branch');
  if (!(await git.isValidRefName(`refs/heads/${branch}`))) throw new UserError(`input \`branch\` ${JSON.stringify(branch)} is not a valid branch name.`);
  const tip = await git.remoteRef(remote, `refs/heads/${branch}`);
  if (!tip) throw new UserError(`the branch ${branch} does not exist on ${remote}.`, `List its branches with: git ls-remote --heads ${remote}`);
  return { branch, tip };
}
