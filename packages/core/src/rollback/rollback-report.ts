import type { TriggerReport } from '../triggers/types.js';

/**
 * The rollback report (`report-path` of the rollback action, JSON), which the postmortem action
 * reads. Shared here so both sides use one definition. Times are ISO 8601 strings.
 */
export const ROLLBACK_REPORT_SCHEMA = 'rollback-gate/rollback-report@1';

export const ROLLBACK_STRATEGIES = ['delete-branch', 'revert-squash', 'revert-range', 'revert-merge', 'bisect', 'revert-agent'] as const;
export type RollbackExecutionStrategy = (typeof ROLLBACK_STRATEGIES)[number];

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
  /** The target as given, and what it resolved to (`kind` null: the run failed before resolving it). */
  target: { input: string; kind: 'session' | 'checkpoint' | 'pr' | 'commit' | 'range' | 'branch' | null; resolved: string };
  /** What was asked, as given (`strategy` may be `auto`). */
  requested?: { target: string; strategy: string };
  /** The strategy executed; null when the run failed before resolving its target. */
  strategy: RollbackExecutionStrategy | null;
  /** Full shas reverted, newest first. */
  commits: string[];
  culprit: string | null;
  cascade: CascadeEntry[];
  /** For bisect: the later commits checked and found independent of the culprit, with the reason (not reverted). */
  independent?: CascadeEntry[];
  /**
   * revert-agent: the agent's commits (reverted), the target's human commits (kept), and the kept
   * commits that build on the agent's (reverted only with `include-dependent`), each with the reason.
   */
  agentWork?: {
    agent: CascadeEntry[];
    kept: CascadeEntry[];
    dependents: Array<CascadeEntry & { dependsOn: string[]; reverted: boolean }>;
    includeDependent: boolean;
    /** What happened, in words (e.g. "no agent commits: nothing to revert"). */
    note: string | null;
  } | null;
  /**
   * For bisect, when the checks failed with the minimal cascade: each wider cascade tried (+ commits
   * sharing its files, then the file-level set), with its verdict, and the step that made them pass
   * (null: none did, and nothing was delivered).
   */
  cascadeWidening?: {
    steps: Array<{ step: 'minimal' | 'shared-files' | 'file-level'; added: CascadeEntry[]; verification: 'passed' | 'failed' | 'conflict' | 'skipped'; note: string | null }>;
    passedAt: 'minimal' | 'shared-files' | 'file-level' | null;
  } | null;
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
  /** `passed`: at least one configured check ran on the rolled-back tree and all passed; `failed`: one failed; `none`: no check ran. */
  verification?: 'passed' | 'failed' | 'none';
  /** Why `verified` is false, in words (no checks configured, a check failed, the tree differs, ...). */
  verificationNote?: string | null;
  /** `all` (one job), `plan` (computed and sealed, nothing pushed) or `apply` (executed a sealed plan). */
  phase?: 'all' | 'plan' | 'apply';
  /** The rollback plan written (plan) or executed (apply): its path and digest (its seal). */
  plan?: { path: string; digest: string; createdAt: string; runUrl: string | null } | null;
  /** Who ran the rollback (the run's triggering actor), for the chain of custody when no environment approval is recorded. */
  actor?: string | null;
  /** apply: the run's environment approvals from the API (null: no token or not asked). */
  approvals?: Array<{ user: string; state: string; environments: string[]; comment: string }> | null;
  /** Secrets in the lines the rollback re-introduces (file, line, rule; never the value). */
  secrets?: Array<{ file: string; line: number; rule: string }>;
  /** Irreversible paths (config) the rollback touches. */
  irreversible?: Array<{ path: string; reason: string; requireLabel: string; todo?: string }>;
  /** Non-git state to restore by hand: the checkpoint's artifacts that changed since, with what to do. */
  artifacts?: Array<{ name: string; path: string; sha256: string; current: string | null; todo?: string }>;
  /** The plan stored when the target landed, executed (phase all or apply, or by the plan job whose plan apply executes): its ref, its digest and how far the branch moved since (then re-planned, no command run). */
  prebuilt?: { ref: string; commit: string; landed: string; digest?: string; movedBy: number; replanned: boolean } | null;
  /** What was checked beyond seals: the checkpoint's attestation and tag protection. */
  provenance?: {
    checkpointSealed: boolean | null;
    attestation: { status: string; digest: string; workflow: string | null; detail: string } | null;
    tagProtection: { status: string; rulesets: string[]; detail: string } | null;
  };
  /** A stale lock this run took over. */
  lockTakenOver?: { runId: string | null; runUrl: string | null; startedAt: string | null; reason: string } | null;
  /** A rollback a trigger started (a red branch, an alert): every decision, taken or declined, and why. */
  trigger?: TriggerReport | null;
  /** `planned` (phase plan: the plan is sealed, nothing pushed); `succeeded` when the rollback was delivered; `declined` (a trigger's guardrail held it; nothing pushed); `failed` (with `error`) otherwise. */
  outcome: 'succeeded' | 'failed' | 'dry-run' | 'planned' | 'declined';
  error: string | null;
  rollbackSha: string | null;
  branch: string | null;
  prUrl: string | null;
}

/** The fields added with the plan/apply split: optional for readers of older reports, always set by the rollback. */
type NewerFields = 'verification' | 'verificationNote' | 'phase' | 'plan' | 'approvals' | 'prebuilt' | 'secrets' | 'irreversible' | 'artifacts' | 'provenance' | 'lockTakenOver';

/** A report as the rollback writes it: every field present. */
export type FullRollbackReport = RollbackReport & Required<Pick<RollbackReport, NewerFields>>;

/** A report before anything is known: nothing reverted, nothing verified, `failed` until the run says otherwise. */
export function blankRollbackReport(fields: {
  target: string;
  strategy: string;
  phase: FullRollbackReport['phase'];
  startedAt: string;
  finishedAt: string;
  detectedAt: string | null;
}): FullRollbackReport {
  return {
    schema: ROLLBACK_REPORT_SCHEMA,
    target: { input: fields.target, kind: null, resolved: '' },
    requested: { target: fields.target, strategy: fields.strategy },
    strategy: null,
    commits: [],
    culprit: null,
    cascade: [],
    culpritBlastRadius: [],
    bisect: null,
    checks: [],
    files: [],
    sessionId: null,
    startedAt: fields.startedAt,
    detectedAt: fields.detectedAt,
    finishedAt: fields.finishedAt,
    verified: false,
    verification: 'none',
    verificationNote: null,
    phase: fields.phase,
    plan: null,
    approvals: null,
    prebuilt: null,
    secrets: [],
    irreversible: [],
    artifacts: [],
    provenance: { checkpointSealed: null, attestation: null, tagProtection: null },
    lockTakenOver: null,
    outcome: 'failed',
    error: null,
    rollbackSha: null,
    branch: null,
    prUrl: null,
  };
}
