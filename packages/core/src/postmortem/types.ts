/** The postmortem's shapes: what it is asked, what it needs, what it returns and how it delivered. */
import type { PostmortemConfig } from '../config/config.js';
import type { Clock, Logger } from '../base/env.js';
import type { Git } from '../git/git.js';
import type { GitHubClient } from '../github/github.js';
import type { Annotation } from '../output/report.js';
import type { ParsedLog, RecoveryRecord, RecoveryStats, RecoveryType } from './record.js';
import type { SloReport } from './slo.js';

export const POSTMORTEM_COMMIT_MODES = ['none', 'branch', 'push'] as const;
export type PostmortemCommitMode = (typeof POSTMORTEM_COMMIT_MODES)[number];

export interface PostmortemDelivery {
  mode: PostmortemCommitMode;
  /** The branch the record was committed on (`postmortem/<id>`, or the current branch for `push`). */
  branch: string | undefined;
  commit: string | undefined;
  pushed: boolean;
  /** An existing `postmortem/<id>` branch already held this record: reused, nothing pushed. */
  reused: boolean;
  /** Existing branches that held something else and were left as they are. */
  skippedBranches: string[];
  pr: { number: number; url: string; existed: boolean } | undefined;
  /** Why the pull request was not opened. */
  prSkipped: string | undefined;
}

export interface PostmortemDeps {
  git: Git;
  log: Logger;
  clock: Clock;
  /** Without it (no token) the pull request, the issue and the check-run lookup are skipped. */
  github?: GitHubClient;
}

export interface PostmortemRequest {
  /** The rollback report: a path (relative to the repository) or the JSON itself. */
  report?: string;
  type: RecoveryType;
  detection?: string;
  rootCause?: string;
  prevention?: string;
  detectedAt?: string;
  recoveredAt?: string;
  /** For a recovery made without the rollback action (overrides the report's). */
  strategy?: string;
  scope?: string;
  /** The log file, relative to the repository root; default from the config by type. */
  log?: string;
  commit: PostmortemCommitMode;
  issue: boolean;
  logs: PostmortemConfig;
  owner?: string;
  repo?: string;
  /** The branch the run is for (GITHUB_REF), used when HEAD is detached. */
  branch?: string;
  defaultBranch?: string;
  /** The id's suffix when the report names no session: `run-<run_id>`. */
  fallbackId: string;
  runUrl?: string;
  remote?: string;
}

export interface PostmortemResult {
  record: RecoveryRecord;
  /** The log, relative to the repository root. */
  logPath: string;
  /** The log file did not exist and was created with a header. */
  created: boolean;
  /** false when the log already held this exact record (a re-run): nothing appended. */
  appended: boolean;
  /** The line of the record's JSON line in the log. */
  recordLine: number;
  parsed: ParsedLog;
  stats: RecoveryStats;
  /** The event and the log against `postmortem.slo`. */
  slo: SloReport;
  /** Every readable record of the log, the new one included. */
  records: RecoveryRecord[];
  delivery: PostmortemDelivery;
  issue: { number: number; url: string } | undefined;
  issueSkipped: string | undefined;
  /** Things the reader should know (fallbacks taken, blocks closed). */
  notes: string[];
  annotations: Annotation[];
}
