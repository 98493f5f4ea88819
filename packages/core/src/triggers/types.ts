/**
 * What a trigger decided and why (the rollback report's `trigger` section, sealed into the plan):
 * every check, taken or declined, with its reason. Untrusted text from a payload is stored
 * truncated and without control characters; it is escaped again wherever it is shown.
 */
export const TRIGGER_EVENTS = ['workflow_run', 'repository_dispatch'] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

/**
 * `rollback`: go on to plan the rollback; `ignored`: not an event for us (another branch, another
 * workflow, a green run); `declined`: a guardrail held it (kill switch, cap, age, lock, flaky);
 * `report-only`: the culprit opted out (`Rollback-Gate: no-auto-revert`), its author is asked;
 * `refused`: the event or the repository cannot be trusted to bound the rollback (no green run
 * within the lookback, the runs list unreadable, a hostile target): the step fails.
 */
export type TriggerVerdict = 'rollback' | 'ignored' | 'declined' | 'report-only' | 'refused';

export interface TriggerDecision {
  /** What was checked: `event`, `workflow`, `branch`, `tip`, `kill-switch`, `cap`, `lock`, `range`, `confirm`, `age`, `opt-out`, `target`, `detected-at`, `delivery`, `notify`, ... */
  check: string;
  /** `ok`: passed; `note`: recorded, changes nothing; otherwise the verdict it led to. */
  result: 'ok' | 'note' | Exclude<TriggerVerdict, 'rollback'>;
  reason: string;
}

export interface ConfirmRun {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

export interface TriggerReport {
  event: TriggerEvent;
  verdict: TriggerVerdict;
  /** The deciding reason, in one sentence. */
  reason: string;
  decisions: TriggerDecision[];
  /** What the rollback was asked to roll back (a commit, or `good..bad` for a bisect). */
  target: string | null;
  strategy: 'auto' | 'bisect' | null;
  /** workflow_run: the suspect range, from the last green commit to the failing head, and its landed units (oldest first). */
  range: { good: string; bad: string; units: string[] } | null;
  /** workflow_run: the failing run. */
  failingRun: { id: number | null; url: string | null; headSha: string; workflow: string; startedAt: string | null } | null;
  /** repository_dispatch: the alert's fields (untrusted, truncated). */
  alert: { reason: string | null; source: string | null; severity: string | null; target: string | null; detectedAt: string | null } | null;
  /** workflow_run: the failure confirmed on the failing head. */
  confirm: { command: string; runs: ConfirmRun[]; result: 'confirmed' | 'flaky' | 'hang' | 'not-run' } | null;
  /** The commits blamed: sha, subject, author, when it landed. */
  culprits: Array<{ sha: string; subject: string; author: string; landedAt: string; ageHours: number }>;
  /** When the problem was detected: the alert's detected_at, the failing run's start, or the run's time. */
  detectedAt: string;
  delivery: 'pr' | 'direct';
}
