/**
 * The rollback report (`report-path` of the rollback action, JSON), which the postmortem action
 * reads. Shared here so both sides use one definition. Times are ISO 8601 strings.
 */
export const ROLLBACK_REPORT_SCHEMA = 'rollback-gate/rollback-report@1';

export type RollbackExecutionStrategy = 'delete-branch' | 'revert-squash' | 'revert-range' | 'revert-merge' | 'bisect';

export interface CheckOutcome {
  name: string;
  command: string;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  /** The last lines of the output. */
  outputTail: string;
}

export interface CascadeEntry {
  commit: string;
  /** Why it was pulled in, e.g. "touches src/a.ts, which the culprit changed". */
  reason: string;
}

export interface RollbackReport {
  schema: typeof ROLLBACK_REPORT_SCHEMA;
  /** The target as given, and what it resolved to. */
  target: { input: string; kind: 'session' | 'checkpoint' | 'pr' | 'commit' | 'range'; resolved: string };
  strategy: RollbackExecutionStrategy;
  /** Full shas reverted, newest first. */
  commits: string[];
  culprit: string | null;
  cascade: CascadeEntry[];
  /** For bisect: the files importing what the culprit changed, with the import chain (at the tip). */
  culpritBlastRadius: Array<{ file: string; chain: string[] }>;
  bisect: { runs: number; skipped: number } | null;
  checks: CheckOutcome[];
  /** Files the rollback changed (for the postmortem's scope). */
  files: string[];
  sessionId: string | null;
  startedAt: string;
  detectedAt: string | null;
  finishedAt: string;
  verified: boolean;
  /** `succeeded` when the rollback was delivered; `failed` (with `error`) otherwise. */
  outcome: 'succeeded' | 'failed' | 'dry-run';
  error: string | null;
  rollbackSha: string | null;
  branch: string | null;
  prUrl: string | null;
}
