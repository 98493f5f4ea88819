/**
 * The sealed rollback plan (`rollback-gate/rollback-plan@1`): what the `plan` phase computed, and
 * what the `apply` phase re-checks against the repository before it pushes anything. The plan job
 * ran the user's commands, so the plan is evidence, not authority: its seal proves the file was not
 * changed after sealing (integrity), never who made it (anyone can re-seal an edited plan). Apply
 * therefore trusts nothing in it that it cannot re-derive from the repository itself.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../base/errors.js';
import { seal, verifySealed } from '../seal/seal.js';
import type { SecretFinding } from '../sandbox/secrets.js';
import type { CheckOutcome, RollbackExecutionStrategy, RollbackReport } from './rollback-report.js';
import type { TriggerReport } from '../triggers/types.js';

export const ROLLBACK_PLAN_SCHEMA = 'rollback-gate/rollback-plan@1';

export interface RollbackPlanCommit {
  sha: string;
  subject: string;
  author: string;
  /** `git revert -m 1` for a merge commit. */
  mainline: 1 | null;
  /** Why it is reverted: `target`, `culprit`, or the cascade's evidence. */
  reason: string;
}

export interface RollbackPlan {
  schema: typeof ROLLBACK_PLAN_SCHEMA;
  /** `owner/repo`; apply refuses a plan for another repository. */
  repository: string | null;
  branch: string;
  /** The branch tip the plan was made on; apply refuses when the branch moved. */
  plannedTip: string;
  target: {
    input: string;
    /** The strategy asked for (`auto` or a forced one), so apply can re-resolve the target the same way. */
    strategyAsked: RollbackExecutionStrategy | 'auto';
    kind: RollbackReport['target']['kind'];
    resolved: string;
    id: string;
    sessionId: string | null;
    checkpoint: { tag: string; commit: string; tree: string } | null;
    pullRequest: number | null;
    /** For delete-branch: the branch and head to archive. */
    unmerged: { branch: string; head: string } | null;
  };
  strategy: RollbackExecutionStrategy;
  batch: boolean;
  /** Reverted newest first. */
  commits: RollbackPlanCommit[];
  /** The tree after the reverts, on `plannedTip` (null for delete-branch). */
  expectedTree: string | null;
  files: string[];
  checks: CheckOutcome[];
  verification: 'passed' | 'failed' | 'none';
  /** Secrets in the lines the rollback re-introduces (never the values). */
  secrets: SecretFinding[];
  /** Paths the config marks irreversible that the rollback touches: git alone cannot undo what they did. */
  irreversible: Array<{ path: string; reason: string; requireLabel: string; todo?: string }>;
  /** Non-git state to restore by hand: the checkpoint's artifacts whose digest differs now (or that are gone). */
  artifacts: Array<{ name: string; path: string; sha256: string; current: string | null; todo?: string }>;
  /** Labels granted to the plan when it was made (input `labels`), e.g. the secret-approval label. */
  labels: string[];
  createdAt: string;
  runUrl: string | null;
  /** A rollback a trigger started: what it decided and why (apply re-reads the kill switch and the cap, and delivers as it says). */
  trigger?: TriggerReport;
  /** Made from the plan stored when the change landed (`refs/rollback-gate/plans/<landed>`): apply reads it again and refuses if it changed. */
  prebuilt?: { ref: string; commit: string; landed: string; digest: string; movedBy: number };
  seal: string;
}

export function sealRollbackPlan(plan: Omit<RollbackPlan, 'seal'>): RollbackPlan {
  return seal(plan as RollbackPlan);
}

export function writeRollbackPlan(path: string, plan: RollbackPlan): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(plan, null, 2)}\n`);
}

/** The schema a plan file declares, without checking anything else (to tell rollback plans from verify-rollback's). */
export function planSchemaOf(path: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { schema?: unknown };
    return typeof parsed.schema === 'string' ? parsed.schema : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a rollback plan, refusing a file whose schema or seal does not verify. */
export function readRollbackPlan(path: string): RollbackPlan {
  if (!existsSync(path)) {
    throw new UserError(`the rollback plan ${path} does not exist.`, 'Download the plan artifact of the plan job before the apply step, and pass its path as `plan`.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`the rollback plan ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const plan = verifySealed(parsed, ROLLBACK_PLAN_SCHEMA, `the rollback plan ${path}`) as unknown as RollbackPlan;
  if (!Array.isArray(plan.commits) || typeof plan.plannedTip !== 'string' || typeof plan.branch !== 'string' || !plan.target) {
    throw new UserError(`the rollback plan ${path} lacks its commits, branch or planned tip.`, 'Make a new plan with `phase: plan`.');
  }
  return plan;
}
