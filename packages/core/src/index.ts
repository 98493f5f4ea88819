/**
 * @rollback-gate/core: the engine behind the actions and the CLI. Every name is exported by name,
 * grouped by capability; the folders show the architecture (foundations, then capabilities).
 */

// Foundations: errors and what the engine takes from its surroundings
export {
  type Clock,
  type Logger,
  silentLogger,
  systemClock,
} from './base/env.js';
export {
  ConfigError,
  GitError,
  GitInternalError,
  UserError,
  VerdictFailure,
} from './base/errors.js';
export {
  formatIsoTime,
  parseIsoTime,
} from './base/time.js';

// Foundations: git (the wrapper, our trailers and refs, history, objects, the merge engine, the leased push)
export {
  type AgentRules,
  type Classification,
  type CommitKind,
  createClassifier,
  textGlob,
} from './git/classify.js';
export {
  commitFiles,
  type CommitInfo,
  readCommits,
  signedCommits,
  type Trailer,
} from './git/commits.js';
export {
  assertNotOption,
  Git,
  type GitProcessOptions,
  type GitProcessResult,
  type GitResult,
  type GitRunner,
  type GitRunOptions,
  type ObjectFormat,
  parseLsRemote,
  spawnGitRunner,
  validateSessionId,
} from './git/git.js';
export {
  type AppliedChange,
  applyChange,
  type ConflictFile,
  conflictRegions,
  detectMergeEngine,
  type LineRange,
  type MergeEngine,
  type MergeOutcome,
  type ObjectStore,
  parseMergeTreeOutput,
  TreeMerger,
} from './git/merge.js';
export {
  type GitObject,
  readObjects,
} from './git/objects.js';
export {
  ARCHIVE_PREFIX,
  PLANS_PREFIX,
  BACKUP_PREFIX,
  CHECKPOINT_TAG_PREFIX,
  hasTrailerLine,
  isRollbackCommit,
  LOCK_PREFIX,
  POSTMORTEM_BRANCH_PREFIX,
  ROLLBACK_BRANCH_PREFIX,
  rollbackTrailers,
  trailerLine,
  TRAILERS,
  trailerValue,
  trailerValues,
} from './git/protocol.js';
export {
  pushAtomic,
  type PushRejection,
  type PushResult,
  type RefState,
  type RefUpdate,
} from './git/push.js';
export {
  ensureHistory,
  FETCH_DEPTH_HINT,
} from './git/shallow.js';
export {
  importGraphAt,
  readBlobTexts,
  treeEntries,
  type TreeEntry,
} from './git/tree-files.js';

// Foundations: the GitHub API
export {
  type CreateIssueInput,
  type CreatePullInput,
  expandRoute,
  GitHubApiError,
  GitHubClient,
  type GitHubClientOptions,
  type GitHubIssue,
  type GitHubIssueComment,
  type GitHubLabel,
  type GitHubPullRequest,
  type GitHubResponse,
  type GitHubUser,
  type GitHubValidationError,
  nextPageUrl,
  type RequestOptions,
  stickyMarker,
  type UpdatePullInput,
} from './github/github.js';

// Foundations: configuration
export {
  loadConfigForEvent,
} from './config/config-source.js';
export {
  type AgentsConfig,
  type ArchitectureConfig,
  type ArchitectureRule,
  type BlastRadiusConfig,
  type CheckpointConfig,
  closestWord,
  type Config,
  CONFIG_PATH,
  type CrossLayerPolicy,
  DEFAULT_CONFIG,
  type GuardedPaths,
  loadConfig,
  type Mode,
  MODES,
  parseConfig,
  type PostmortemConfig,
  type ScopeConfig,
  type SloConfig,
  type TriggersConfig,
  type VerifyCommand,
  type VerifyConfig,
} from './config/config.js';
export {
  compileGlobs,
  matchesAny,
  type PathMatcher,
} from './config/glob.js';

// Foundations: the workflow event
export {
  type EventContext,
  resolveEventContext,
} from './event/event.js';

// Foundations: output (Markdown, annotations, workflow-command safety)
export {
  type Annotation,
  markdownBlock,
  markdownCode,
  markdownTable,
  markdownText,
  outputValue,
  protectFromWorkflowCommands,
} from './output/report.js';
export {
  shellCommand,
  shellQuote,
} from './output/shell.js';
/** Markdown building blocks (`markdown.md`, `markdown.text`, `markdown.fit`, …): trusted and untrusted text kept apart by type. */
import * as markdown from './output/markdown.js';
export { markdown };
export { type GitHubLinks, GITHUB_BODY_LIMIT, type Md } from './output/markdown.js';

// Foundations: canonical JSON and seals
export {
  canonicalJson,
  sha256Hex,
} from './seal/canonical-json.js';
export {
  computeSeal,
  isSealValid,
  seal,
  type Sealed,
  verifySealed,
} from './seal/seal.js';

// Foundations: the sandbox (scratch store, throwaway worktree, checks)
export {
  checkEnvironment,
  type CheckOptions,
  type CheckResult,
  checkTimeoutCapMs,
  describeCheck,
  runChecks,
  ThrowawayWorktree,
} from './sandbox/checks.js';
export {
  ScratchStore,
} from './sandbox/scratch.js';
export {
  REDACTED,
  scanAddedLines,
  scrubSecrets,
  secretEnvValues,
  type SecretFinding,
} from './sandbox/secrets.js';

// Capability: checkpoint
export {
  type ArtifactEntry,
  CHECKPOINT_SCHEMA,
  type CheckpointDeps,
  type CheckpointManifest,
  type CheckpointRequest,
  type CheckpointResult,
  type CheckpointTagInfo,
  checkpointTagMessage,
  createCheckpoint,
  listCheckpoints,
  parseArtifactList,
  PRUNE_MODES,
  pruneCheckpoints,
  type PruneResult,
  readCheckpointManifest,
  readCheckpoint,
  findCheckpoint,
  describeCheckpoint,
  type CheckpointRef,
  type RetentionPolicy,
} from './checkpoint/checkpoint.js';
export {
  renderCheckpointSummary,
} from './checkpoint/summary.js';

// Capability: scope
export {
  type BlastRadiusItem,
  type ChangedFile,
  changedFiles,
  checkScope,
  parseNameStatus,
  scopeAnnotations,
  type ScopeRequest,
  type ScopeResult,
  type Violation,
} from './scope/scope.js';
export {
  blastRadiusMermaid,
  renderScopeComment,
  renderScopeSummary,
  type ReportOptions,
} from './scope/summary.js';
export {
  brokenRule,
  type ChangeImportViolations,
  changeImportViolations,
  describeImportViolation,
  formatRule,
  importViolations,
  type ImportViolation,
  layerResolver,
} from './scope/architecture.js';
export {
  type DriftGroup,
  type DriftPoint,
  driftReport,
  type DriftRequest,
  type DriftResult,
  type DriftViolation,
  type Introducer,
} from './scope/drift.js';
export {
  driftAnnotations,
  renderDriftSummary,
} from './scope/drift-summary.js';

// Capability: squash
export {
  checksTrailer,
  coAuthors,
  deriveTitle,
  type SquashChecks,
  type SquashDeps,
  type SquashedCommit,
  squashMessage,
  type SquashRequest,
  type SquashResult,
  squashSession,
  type SquashStatus,
} from './squash/squash.js';
export {
  renderSquashComment,
  renderSquashSummary,
  type SquashReportOptions,
} from './squash/summary.js';

// Capability: verify
export {
  isExactInverse,
  normalizedPatch,
  normalizePatchText,
} from './verify/inverse.js';
export {
  type LandingPlan,
  PLAN_SCHEMA,
  planFileName,
  planPathFor,
  type PlanStep,
  readPlan,
  type RollbackPlan,
  type RollbackStrategy,
  type WindowPlan,
  type WindowPlanUnit,
  writePlan,
} from './verify/plan.js';
export {
  chainRevert,
  combinations,
  overlappingLater,
  type Revertable,
  type SearchOutcome,
  searchWithLater,
} from './verify/search.js';
export {
  describeSimulation,
  mapLimit,
  type SimulationCounts,
  Simulator,
} from './verify/simulate.js';
export { exactRevertTrees, revertNeedsNoMerge } from './verify/exact-revert.js';
export {
  type CheckOutput,
  formatLines,
  renderVerifyComment,
  renderVerifySummary,
  type VerifyReportOptions,
  type UnitOutput,
  verifyAnnotations,
  type VerifyOutputs,
  verifyOutputs,
} from './verify/summary.js';
export {
  type Companion,
  type EntangledUnit,
  type IrreversibleFile,
  type LandingResult,
  MERGE_METHODS,
  type MergeMethod,
  type Revertibility,
  type SoftDependency,
  type UnitReport,
  type UnitStatus,
  VERIFY_MODES,
  type VerifyDeps,
  type VerifyMode,
  type VerifyRequest,
  type VerifyResult,
  verifyRollback,
} from './verify/verify.js';
export {
  ancestorDirectories,
  diffChanges,
  ensureWindowHistory,
  type PathChange,
  PathIndex,
  pathsOf,
  readChanges,
  readTrees,
  readWindow,
  shallowBoundary,
  type Unit,
  unitName,
  type WindowOptions,
} from './verify/window.js';

// Capability: rollback
export {
  bisectInRounds,
  bisectRange,
  readVerdictFiles,
  renderBisectPlanSummary,
  renderBisectProbeSummary,
  type RoundsResult,
  VERDICT_SCHEMA,
  type VerdictFile,
  writeVerdictFile,
} from './rollback/bisect-probe.js';
export {
  type BisectProbe,
  type BisectRange,
  bisectRoundBound,
  type BisectRoundPlan,
  type BisectVerdict,
  type CannotTellReason,
  type Overridden,
  parallelForRounds,
  planBisectRound,
  type RecordedVerdict,
  SKIP_EXIT_CODE,
  verdictOfRuns,
} from './rollback/bisect-rounds.js';
export {
  bisect,
  type BisectOptions,
  BisectRangeError,
  type BisectResult,
  findCascade,
  probeCommit,
  type ProbeOutcome,
  type Verdict,
} from './rollback/bisect.js';
export { RevertLedger, type Undo } from './git/undo.js';
export { findRolledBack, type RolledBack } from './rollback/reverted.js';
export {
  buildLandedPlan,
  loadPrebuiltPlan,
  MAX_PLANS_PER_PUSH,
  prebuiltExecution,
  prebuiltPlanRef,
  PREBUILT_PLAN_FILE,
  storeLandedPlans,
  storePrebuiltPlan,
  type LandedPlanOutcome,
  type PrebuiltExecution,
  type StoredPlan,
  type StoreResult,
} from './rollback/prebuilt.js';
export { artifactTodo, irreversibleGate, irreversibleTodo } from './rollback/non-git-state.js';
export { branchLanding, type BranchLanding, sessionCommits, type SessionCommits } from './rollback/landed.js';
export { commitTable, commitUrl, describeCommitLine, type ListedCommit } from './output/commit-list.js';
export {
  type Lock,
  releaseLock,
  takeLock,
} from './rollback/lock.js';
export {
  type Approval,
  type AttestationCheck,
  checkAttestation,
  checkTagProtection,
  manifestDigest,
  runApprovals,
  type TagProtection,
} from './rollback/provenance.js';
export {
  commitReverts,
  type RevertOutcome,
  type RevertStep,
  revertSteps,
} from './rollback/revert.js';
export {
  planSchemaOf,
  readRollbackPlan,
  ROLLBACK_PLAN_SCHEMA,
  type RollbackPlan as SealedRollbackPlan,
  type RollbackPlanCommit,
  sealRollbackPlan,
  writeRollbackPlan,
} from './rollback/rollback-plan.js';
export {
  type CascadeEntry,
  type CheckOutcome,
  ROLLBACK_REPORT_SCHEMA,
  ROLLBACK_STRATEGIES,
  type RollbackExecutionStrategy,
  type RollbackReport,
} from './rollback/rollback-report.js';
export {
  rollback,
  ROLLBACK_PHASES,
  RollbackDeclined,
  type RollbackDeps,
  RollbackFailure,
  type RollbackOutcome,
  type RollbackPhase,
  type RollbackRequest,
} from './rollback/rollback.js';
export {
  renderRollbackPullBody,
  renderRollbackSummary,
} from './rollback/summary.js';
export {
  type ResolvedTarget,
  resolveTarget,
  type TargetContext,
  type TargetKind,
} from './rollback/target.js';

// Capability: triggers
export { type ConfirmRun, TRIGGER_EVENTS, type TriggerDecision, type TriggerEvent, type TriggerReport, type TriggerVerdict } from './triggers/types.js';
export { branchTip, DISPATCH_TYPE, evaluateTrigger, startTrigger, type StartTriggerRequest, triggerOnlyReport, isTriggerEvent, NO_AUTO_REVERT, recheckBeforeApply, type TriggerDeps, type TriggerRequest, vetCulprits } from './triggers/trigger.js';
export { askAuthors, notifyCulprits, type NotifyContext } from './triggers/notify.js';
export { renderTriggerSummary } from './triggers/summary.js';
export { isSafeTarget, untrustedText, UNTRUSTED_MAX } from './triggers/untrusted.js';

// Capability: postmortem
export {
  appendRecord,
  buildRecoveryRecord,
  checkLogPath,
  describeStrategy,
  logHeader,
  readRollbackReport,
  recordPostmortem,
} from './postmortem/postmortem.js';
export {
  describeScope,
  formatRecoveryMinutes,
  type HandWrittenRecord,
  type LogProblem,
  minutesBetween,
  type ParsedLog,
  type ParsedRecord,
  parseRecoveryLog,
  RECORD_MARKER,
  recordDay,
  recordMarkerLine,
  recordText,
  RECOVERY_RECORD_SCHEMA,
  RECOVERY_TYPES,
  recoveryChart,
  type RecoveryRecord,
  type RecoveryScope,
  type RecoveryStats,
  recoveryStats,
  type RecoveryType,
  renderRecord,
  renderRecordLines,
  sameRecoveryEvent,
  type TimeSource,
  type TrendRow,
  validateRecord,
} from './postmortem/record.js';
export {
  doraBand,
  type DoraBand,
  eventMeetsSlo,
  sloAttainment,
  type SloReport,
  type SloWindow,
} from './postmortem/slo.js';
export {
  renderPostmortemSummary,
} from './postmortem/summary.js';
export {
  POSTMORTEM_COMMIT_MODES,
  type PostmortemCommitMode,
  type PostmortemDelivery,
  type PostmortemDeps,
  type PostmortemRequest,
  type PostmortemResult,
} from './postmortem/types.js';
