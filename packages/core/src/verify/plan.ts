/**
 * Sealed rollback plans (`rollback-gate/plan@1`): what the rollback action executes and re-checks.
 *
 * - kind `landing` (pr mode): how to roll this change back once it lands — the state it returns
 *   to (the base tip), the landing as it will be, the strategy, the ordered steps, the expected tree.
 * - kind `window` (drill mode): for every unit of the window, the steps that roll it back on the
 *   current tip (alone, or with the later units it needs) and the tree that results.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyCommand } from '../config/config.js';
import { UserError } from '../base/errors.js';
import { seal, verifySealed } from '../seal/seal.js';

export const PLAN_SCHEMA = 'rollback-gate/plan@1';

export type RollbackStrategy = 'revert-squash' | 'revert-merge' | 'revert-range' | 'none';

export interface PlanStep {
  action: 'revert';
  /** The commit to revert; absent for a landing that has not happened yet (see `landing`). */
  commit: string | null;
  unit: string;
  /** `git revert -m 1` for a merge commit. */
  mainline: 1 | null;
  /** The tree after this step, on the plan's starting tip. */
  expectedTree: string;
}

export interface LandingPlan {
  schema: typeof PLAN_SCHEMA;
  kind: 'landing';
  id: string;
  repository: string | null;
  runUrl: string | null;
  createdAt: string;
  /** The state rolling back returns to: the base tip the change lands on. */
  checkpoint: { commit: string; tree: string };
  /** The change as it will land; the landed commit is the one whose tree is `tree` on top of the checkpoint. */
  target: {
    head: string;
    base: string;
    mergeMethod: 'squash' | 'merge' | 'rebase';
    pullRequest: number | null;
    tree: string;
    /** For `rebase`: the pull request's commits, oldest first, as they will be replayed. */
    commits: string[];
  };
  strategy: RollbackStrategy;
  steps: PlanStep[];
  expectedTree: string;
  /** Rolling any of these units back later needs this change rolled back first. */
  entangled: Array<{ commit: string; unit: string }>;
  /** Changes git cannot undo: they need their own rollback. */
  irreversible: Array<{ file: string; reason: string }>;
  verify: VerifyCommand[];
  seal: string;
}

export interface WindowPlanUnit {
  commit: string;
  unit: string;
  revertible: 'alone' | 'with-later' | 'no';
  strategy: RollbackStrategy;
  steps: PlanStep[];
  /** The tree after every step; null when the unit cannot be rolled back. */
  expectedTree: string | null;
}

export interface WindowPlan {
  schema: typeof PLAN_SCHEMA;
  kind: 'window';
  id: string;
  repository: string | null;
  runUrl: string | null;
  createdAt: string;
  /** The tip every unit's steps start from. */
  tip: { commit: string; tree: string };
  units: WindowPlanUnit[];
  verify: VerifyCommand[];
  seal: string;
}

export type RollbackPlan = LandingPlan | WindowPlan;

/** Reads a plan file and verifies its schema and seal. */
export function readPlan(path: string): RollbackPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the plan ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the plan ${path} is not valid JSON (${(error as Error).message}); it was changed after it was sealed.`);
  }
  return verifySealed(parsed, PLAN_SCHEMA, `the plan ${path}`) as unknown as RollbackPlan;
}

/**
 * Seals and writes a plan as `<dir>/<fileName>`. A plan already there (an earlier step of this job)
 * must still verify: one that does not was changed after it was sealed, and is not overwritten.
 * The written file is read back and verified.
 */
export function writePlan<T extends RollbackPlan>(dir: string, fileName: string, plan: Omit<T, 'seal'>): { path: string; plan: T } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  if (existsSync(path)) {
    try {
      readPlan(path);
    } catch (error) {
      throw new UserError(
        `${(error as Error).message.split('\n')[0]} Refusing to overwrite it.`,
        `Something changed ${path} after an earlier step sealed it; find out what, delete the file, and run again.`,
      );
    }
  }
  const sealed = seal(plan as T & { schema: string }) as T;
  writeFileSync(path, `${JSON.stringify(sealed, null, 2)}\n`);
  readPlan(path);
  return { path, plan: sealed };
}

/** A file name for a plan id: letters, digits, `.`, `_`, `-` only. */
export function planFileName(kind: 'landing' | 'window', id: string): string {
  return `plan-${kind}-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

export function planPathFor(dir: string, kind: 'landing' | 'window', id: string): string {
  return join(dir, planFileName(kind, id));
}
