/**
 * Pre-built rollback plans: the rollback of a change is planned when it lands, not when it breaks.
 *
 * On a push to the default branch, each landed commit's landing plan (`rollback-gate/plan@1`, kind
 * `landing`: what verify-rollback writes for a pull request, here computed on the exact landing,
 * with no check and no command of the project run) is kept in the repository as data: a tiny
 * parentless commit whose tree holds `plan.json`, under `refs/rollback-gate/plans/<landed-sha>`,
 * pushed with a "must not exist" lease. At alert time the rollback finds it by the landed sha and
 * executes it at once, re-checked against the current tip: its seal, that it is the plan of that
 * landed commit, that its expected tree is still there, and that the revert recomputed on the tip
 * gives that tree. A seal proves integrity, not authorship, so the commits reverted are never read
 * from the plan: they are the landed commit the ref is named after, resolved from the branch.
 */
import type { Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import type { VerifyConfig } from '../config/config.js';
import { readCommits, type CommitInfo } from '../git/commits.js';
import type { Git } from '../git/git.js';
import { PLANS_PREFIX } from '../git/protocol.js';
import { pushAtomic } from '../git/push.js';
import { ensureHistory } from '../git/shallow.js';
import { verifySealed } from '../seal/seal.js';
import { PLAN_SCHEMA, type LandingPlan } from '../verify/plan.js';
import { verifyRollback, type VerifyDeps } from '../verify/verify.js';
import type { RevertStep } from './revert.js';

/** The file a stored plan's commit holds. */
export const PREBUILT_PLAN_FILE = 'plan.json';

export const prebuiltPlanRef = (landed: string): string => `${PLANS_PREFIX}${landed}`;

/** A plan found under `refs/rollback-gate/plans/<landed>`, verified. */
export interface StoredPlan {
  landed: string;
  ref: string;
  /** The commit holding `plan.json`. */
  commit: string;
  plan: LandingPlan;
  /** The plan's seal (`sha256:...`). */
  digest: string;
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function assertSha(sha: string, what: string): void {
  if (!FULL_SHA.test(sha)) throw new Error(`${what} must be a full commit sha, got ${JSON.stringify(sha)}`);
}

/**
 * The landing plan of a commit that has landed on the branch: its rollback computed on its first
 * parent (a squash or single commit: itself; a merge commit: its second parent merged), with no
 * check run. Undefined for a root commit or a commit that changes nothing.
 */
export async function buildLandedPlan(
  deps: VerifyDeps,
  request: { landed: string; verify: VerifyConfig; labels?: readonly string[]; repository?: string; runUrl?: string; planDir: string; remote?: string },
): Promise<LandingPlan | undefined> {
  const [commit] = await readCommits(deps.git, [request.landed], { newestFirst: true, maxCount: 1 });
  if (!commit || commit.parents.length === 0) return undefined;
  const merge = commit.parents.length > 1;
  const result = await verifyRollback(deps, {
    mode: 'pr',
    verify: request.verify,
    base: commit.parents[0]!,
    head: merge ? commit.parents[1]! : commit.sha,
    mergeMethod: merge ? 'merge' : 'squash',
    runChecks: false,
    labels: request.labels ?? [],
    id: `landed-${commit.sha.slice(0, 12)}`,
    prNumber: prNumberOf(commit),
    repository: request.repository,
    runUrl: request.runUrl,
    planDir: request.planDir,
    remote: request.remote,
    mayRunChangeCode: false,
  });
  const plan = result.plan as LandingPlan;
  if (plan.kind !== 'landing' || plan.steps.length === 0) return undefined;
  if (plan.target.tree !== commit.tree) {
    // A merge resolved by hand lands another tree than the simulation: the plan would not find it.
    deps.log.warning(`${commit.sha.slice(0, 12)} landed tree ${commit.tree.slice(0, 12)}, not the simulated ${plan.target.tree.slice(0, 12)}: no plan is stored for it.`);
    return undefined;
  }
  return plan;
}

/** `(#12)` at the end of a squash subject, `Merge pull request #12` for a merge. */
function prNumberOf(commit: CommitInfo): number | undefined {
  const match = commit.subject.match(commit.parents.length > 1 ? /^Merge pull request #(\d{1,9})\b/ : /\(#(\d{1,9})\)\s*$/);
  return match ? Number(match[1]) : undefined;
}

export type StoreResult = { stored: true; ref: string; commit: string } | { stored: false; ref: string; commit: string; reason: string };

/**
 * Keeps a landing plan under `refs/rollback-gate/plans/<landed>` on `remote`: the plan as a blob in
 * a parentless commit, pushed with a lease that the ref does not exist. A plan already stored for
 * that commit is kept (a re-run changes nothing); one that does not verify is reported, not replaced.
 */
export async function storePrebuiltPlan(git: Git, remote: string, landed: string, plan: LandingPlan, log?: Logger): Promise<StoreResult> {
  assertSha(landed, 'the landed commit');
  const ref = prebuiltPlanRef(landed);
  const existing = await git.remoteRef(remote, ref);
  if (existing) {
    await loadPrebuiltPlan(git, remote, landed);
    log?.info(`a plan for ${landed.slice(0, 12)} is already stored (${ref} at ${existing.slice(0, 12)}); kept.`);
    return { stored: false, ref, commit: existing, reason: 'already stored' };
  }
  const blob = await git.text(['hash-object', '-w', '--stdin'], { input: `${JSON.stringify(plan, null, 2)}\n` });
  const tree = await git.text(['mktree'], { input: `100644 blob ${blob}\t${PREBUILT_PLAN_FILE}\n` });
  const message = `rollback-gate: pre-built rollback plan for ${landed}\n\nPlan-Digest: ${plan.seal}\n`;
  const commit = await git.text(['commit-tree', tree, '-F', '-'], { input: message, env: await git.identityEnv() });
  const pushed = await pushAtomic(git, remote, [{ ref, to: commit, expect: null }]);
  if (!pushed.pushed) {
    const now = pushed.rejection.refs[0]?.actual;
    if (now) {
      await loadPrebuiltPlan(git, remote, landed);
      return { stored: false, ref, commit: now, reason: 'stored by another run meanwhile' };
    }
    throw new UserError(
      `pushing the pre-built plan ${ref} was refused: ${pushed.rejection.output}`,
      'The job that stores plans needs `permissions: contents: write`, and a ruleset must not block `refs/rollback-gate/*`.',
    );
  }
  log?.info(`stored the rollback plan of ${landed.slice(0, 12)} as ${ref} (${plan.seal})`);
  return { stored: true, ref, commit };
}

/**
 * The plan stored for `landed`, verified: its seal, its kind, that it is the plan of that commit
 * (its base is the commit's first parent, its landed tree the commit's tree or its head the merged
 * parent) and that its expected tree is there. Undefined when none is stored.
 */
export async function loadPrebuiltPlan(git: Git, remote: string, landed: string): Promise<StoredPlan | undefined> {
  assertSha(landed, 'the landed commit');
  const ref = prebuiltPlanRef(landed);
  const commit = await git.remoteRef(remote, ref);
  if (!commit) return undefined;
  await git.run(['fetch', '--no-tags', '--quiet', '--no-write-fetch-head', '--end-of-options', remote, ref]);
  const source = `the pre-built plan ${ref}`;
  const shown = await git.test(['cat-file', 'blob', `${commit}:${PREBUILT_PLAN_FILE}`]);
  if (shown.exitCode !== 0) throw tampered(source, `it holds no ${PREBUILT_PLAN_FILE}`, ref, remote);
  let parsed: unknown;
  try {
    parsed = JSON.parse(shown.stdout);
  } catch (error) {
    throw tampered(source, `it is not valid JSON (${(error as Error).message})`, ref, remote);
  }
  let plan: LandingPlan;
  try {
    plan = verifySealed(parsed, PLAN_SCHEMA, source) as unknown as LandingPlan;
  } catch (error) {
    throw tampered(source, (error as Error).message.replace(`${source}: `, ''), ref, remote);
  }
  if (plan.kind !== 'landing' || !plan.checkpoint || !plan.target || !Array.isArray(plan.steps)) {
    throw tampered(source, `it is a ${JSON.stringify(plan.kind)} plan, not the landing plan of a commit`, ref, remote);
  }
  const [landedCommit] = await readCommits(git, [landed], { newestFirst: true, maxCount: 1 });
  if (!landedCommit || landedCommit.parents[0] !== plan.checkpoint.commit || !(landedCommit.tree === plan.target.tree || (landedCommit.parents[1] !== undefined && landedCommit.parents[1] === plan.target.head))) {
    throw tampered(source, `it is the plan of another change (based on ${plan.checkpoint.commit.slice(0, 12)}, landing tree ${plan.target.tree.slice(0, 12)}), not of ${landed.slice(0, 12)}`, ref, remote);
  }
  if (typeof plan.expectedTree !== 'string' || !/^[0-9a-f]{40,64}$/.test(plan.expectedTree) || (await git.test(['cat-file', '-e', `${plan.expectedTree}^{tree}`])).exitCode !== 0) {
    throw tampered(source, `its expected tree ${plan.expectedTree.slice(0, 12)} is not in the repository`, ref, remote);
  }
  return { landed, ref, commit, plan, digest: plan.seal };
}

function tampered(source: string, why: string, ref: string, remote: string): UserError {
  return new UserError(
    `${source} is refused: ${why}. Nothing was done.`,
    `Find out who changed ${ref} (its reflog on the server, the push's audit log); delete it (git push ${remote} :${ref}) to fall back to planning from scratch, or store it again with verify-rollback \`store-plan\`.`,
  );
}

/** What executing a stored plan on the current tip means. */
export interface PrebuiltExecution {
  stored: StoredPlan;
  steps: RevertStep[];
  /** The tree the reverts must give: the plan's, when the tip is still the landed commit; null when re-planned. */
  expectedTree: string | null;
  /** Commits on the branch after the landed one (re-planned without running anything). */
  movedBy: number;
}

/**
 * The stored plan of a target that is one landed commit (revert-squash or revert-merge), as revert
 * steps on `tip`; undefined when the target is something else or no plan is stored for it.
 */
export async function prebuiltExecution(git: Git, remote: string, tip: string, commits: readonly CommitInfo[]): Promise<PrebuiltExecution | undefined> {
  if (commits.length !== 1) return undefined;
  const landed = commits[0]!;
  const stored = await loadPrebuiltPlan(git, remote, landed.sha);
  if (!stored) return undefined;
  const mainline = landed.parents.length > 1 ? 1 : null;
  if ((stored.plan.steps[0]?.mainline ?? null) !== mainline) {
    throw tampered(`the pre-built plan ${stored.ref}`, `it reverts with mainline ${String(stored.plan.steps[0]?.mainline ?? null)}, but ${landed.sha.slice(0, 12)} ${mainline ? 'is' : 'is not'} a merge`, stored.ref, remote);
  }
  const movedBy = landed.sha === tip ? 0 : Number(await git.text(['rev-list', '--first-parent', '--count', `${landed.sha}..${tip}`]));
  return { stored, steps: [{ commit: landed, mainline }], expectedTree: movedBy === 0 ? stored.plan.expectedTree : null, movedBy };
}

/** What storing the plans of one push did, per landed commit. */
export interface LandedPlanOutcome {
  landed: string;
  ref: string;
  /** `stored`, `kept` (one was stored already) or `skipped` (nothing to roll back, or a hand-resolved merge). */
  status: 'stored' | 'kept' | 'skipped';
  digest: string | null;
  reason: string | null;
}

/** At most this many landed commits of one push get a plan (a push of more is an import, not a landing). */
export const MAX_PLANS_PER_PUSH = 20;

/**
 * On a push to the default branch: the plan of every first-parent commit the push landed
 * (`before..after`, newest first; only `after` when `before` is unknown or was rewritten), each
 * built on its first parent with no command run and stored under `refs/rollback-gate/plans/<sha>`.
 */
export async function storeLandedPlans(
  deps: VerifyDeps,
  request: { before?: string; after: string; verify: VerifyConfig; repository?: string; runUrl?: string; planDir: string; remote?: string },
): Promise<LandedPlanOutcome[]> {
  const { git, log } = deps;
  const remote = request.remote ?? 'origin';
  const after = await git.requireCommit(request.after, 'the pushed commit');
  const before = request.before && (await git.objectExists(request.before)) ? request.before : undefined;
  await ensureHistory(git, {
    remote,
    what: `the parent of ${after.slice(0, 12)}${before ? ` and ${before.slice(0, 12)}` : ''}`,
    log,
    reachable: async () => (await git.test(['rev-parse', '--verify', '--quiet', `${after}^{commit}`])).exitCode === 0 && !(await git.isShallow()),
  });
  const landed = before && (await git.isAncestor(before, after))
    ? await readCommits(git, [`${before}..${after}`], { firstParent: true, newestFirst: true, maxCount: MAX_PLANS_PER_PUSH })
    : await readCommits(git, [after], { newestFirst: true, maxCount: 1 });
  const outcomes: LandedPlanOutcome[] = [];
  for (const commit of landed) {
    const ref = prebuiltPlanRef(commit.sha);
    const plan = await buildLandedPlan(deps, { landed: commit.sha, verify: request.verify, repository: request.repository, runUrl: request.runUrl, planDir: request.planDir, remote });
    if (!plan) {
      outcomes.push({ landed: commit.sha, ref, status: 'skipped', digest: null, reason: commit.parents.length === 0 ? 'a root commit' : 'nothing to roll back, or its landed tree is not the simulated merge' });
      continue;
    }
    const result = await storePrebuiltPlan(git, remote, commit.sha, plan, log);
    outcomes.push({ landed: commit.sha, ref, status: result.stored ? 'stored' : 'kept', digest: plan.seal, reason: result.stored ? null : result.reason });
  }
  return outcomes;
}
