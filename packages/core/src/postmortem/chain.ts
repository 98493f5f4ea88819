/**
 * The chain of custody of a recovery, read from the rollback report: what started it (a trigger's
 * event, or a person dispatching it), the plan it executed (its digest; pre-built when the change
 * landed, or sealed by a plan job), who approved it and when (the run's environment approvals; else
 * the run's actor), the apply (when, what it pushed) and how it was verified. Every value from the
 * report is untrusted text: it is escaped where it is shown (recordText).
 */
import type { RollbackReport } from '../rollback/rollback-report.js';

export interface CustodyChain {
  /** `workflow_run`, `repository_dispatch` (a trigger), or `manual` (dispatched by `actor`). */
  trigger: { event: string; detail: string | null };
  /** `stored`: the plan pre-built when the change landed that a plan job made this plan from (absent when executed directly, or none). */
  plan: { digest: string; source: string; prebuilt: boolean; createdAt: string | null; stored?: { ref: string; digest: string | null } } | null;
  /** `environment`: the run's required-reviewer approvals; `actor`: no approval recorded, the run's actor; `none`: neither known. */
  approval: { source: 'environment' | 'actor' | 'none'; by: string[]; at: string | null };
  apply: { phase: string; at: string; outcome: string; sha: string | null; prUrl: string | null };
  verification: { status: string; note: string | null };
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** What the trigger section of a report (written by the triggers) says, read defensively. */
function triggerOf(report: RollbackReport): CustodyChain['trigger'] {
  const trigger = (report as unknown as Loose).trigger;
  const actor = str((report as unknown as Loose).actor);
  if (!isObject(trigger)) return { event: 'manual', detail: actor ? `dispatched by ${actor}` : null };
  const event = str(trigger.event) ?? 'trigger';
  const alert = isObject(trigger.alert) ? trigger.alert : null;
  const failing = isObject(trigger.failingRun) ? trigger.failingRun : null;
  const parts = [
    alert ? [str(alert.source), str(alert.severity), str(alert.reason)].filter(Boolean).join(', ') : null,
    failing ? [str(failing.workflow), str(failing.url)].filter(Boolean).join(' ') : null,
    str(trigger.reason),
  ].filter((p): p is string => !!p);
  return { event, detail: parts.length ? parts.join('; ') : null };
}

/** When the trigger says the problem was detected, and from where: the alert's `detected_at`, the failing run's start, or the trigger's own time. */
export function triggerDetection(report: RollbackReport): { at: string; source: 'alert' | 'failing-run' | 'report' } | undefined {
  const trigger = (report as unknown as Loose).trigger;
  if (!isObject(trigger)) return undefined;
  const alert = isObject(trigger.alert) ? str(trigger.alert.detectedAt) : null;
  if (alert) return { at: alert, source: 'alert' };
  const failing = isObject(trigger.failingRun) ? str(trigger.failingRun.startedAt) : null;
  if (failing) return { at: failing, source: 'failing-run' };
  const at = str(trigger.detectedAt);
  return at ? { at, source: 'report' } : undefined;
}

export function chainOfCustody(report: RollbackReport): CustodyChain {
  const approved = (report.approvals ?? []).filter((a) => a.state === 'approved');
  const actor = str((report as unknown as Loose).actor);
  const plan = report.plan ?? null;
  return {
    trigger: triggerOf(report),
    plan: plan
      ? {
          digest: plan.digest,
          source: plan.path,
          prebuilt: !!report.prebuilt,
          createdAt: plan.createdAt ?? null,
          ...(report.prebuilt && report.prebuilt.ref !== plan.path ? { stored: { ref: report.prebuilt.ref, digest: report.prebuilt.digest ?? null } } : {}),
        }
      : null,
    // The approvals API gives no time; the apply job starts only once approved, so its start is the latest the approval can be.
    approval:
      approved.length > 0
        ? { source: 'environment', by: approved.map((a) => `${a.user}${a.environments.length ? ` (${a.environments.join(', ')})` : ''}`), at: report.startedAt }
        : actor
          ? { source: 'actor', by: [actor], at: report.startedAt }
          : { source: 'none', by: [], at: null },
    apply: { phase: report.phase ?? 'all', at: report.finishedAt, outcome: report.outcome, sha: report.rollbackSha ?? null, prUrl: report.prUrl ?? null },
    verification: { status: report.verification ?? (report.verified ? 'passed' : 'none'), note: report.verificationNote ?? null },
  };
}

/** A chain read back from a record's JSON line; null when absent or not a chain. */
export function readChain(value: unknown): CustodyChain | null {
  if (!isObject(value) || !isObject(value.trigger) || !isObject(value.approval) || !isObject(value.apply) || !isObject(value.verification)) return null;
  const plan = isObject(value.plan) ? value.plan : null;
  const approvalSource = value.approval.source === 'environment' || value.approval.source === 'actor' ? value.approval.source : 'none';
  return {
    trigger: { event: str(value.trigger.event) ?? 'manual', detail: str(value.trigger.detail) },
    plan:
      plan && str(plan.digest)
        ? {
            digest: str(plan.digest)!,
            source: str(plan.source) ?? '',
            prebuilt: plan.prebuilt === true,
            createdAt: str(plan.createdAt),
            ...(isObject(plan.stored) && str(plan.stored.ref) ? { stored: { ref: str(plan.stored.ref)!, digest: str(plan.stored.digest) } } : {}),
          }
        : null,
    approval: { source: approvalSource, by: Array.isArray(value.approval.by) ? value.approval.by.filter((b): b is string => typeof b === 'string') : [], at: str(value.approval.at) },
    apply: { phase: str(value.apply.phase) ?? 'all', at: str(value.apply.at) ?? '', outcome: str(value.apply.outcome) ?? '', sha: str(value.apply.sha), prUrl: str(value.apply.prUrl) },
    verification: { status: str(value.verification.status) ?? 'none', note: str(value.verification.note) },
  };
}

/** The chain as the parts of one Markdown line, `text` escaping every untrusted value. */
export function renderChain(chain: CustodyChain, text: (s: string | null | undefined, fallback?: string) => string): string {
  const trigger = chain.trigger.event === 'manual' ? `dispatched by hand${chain.trigger.detail ? ` (${text(chain.trigger.detail)})` : ''}` : `${text(chain.trigger.event)}${chain.trigger.detail ? ` (${text(chain.trigger.detail)})` : ''}`;
  const plan = !chain.plan
    ? 'no sealed plan (planned and applied in one job)'
    : chain.plan.stored
      ? `plan ${text(chain.plan.digest)} (${text(chain.plan.source)}), made by the plan job from the plan pre-built when the change landed (${text(chain.plan.stored.ref)}${chain.plan.stored.digest ? `, ${text(chain.plan.stored.digest)}` : ''})`
      : `plan ${text(chain.plan.digest)} (${chain.plan.prebuilt ? 'pre-built when the change landed, ' : ''}${text(chain.plan.source)})`;
  const approval =
    chain.approval.source === 'environment'
      ? `approved by ${chain.approval.by.map((b) => text(b)).join(', ')} before ${text(chain.approval.at)}`
      : chain.approval.source === 'actor'
        ? `no environment approval recorded; run by ${text(chain.approval.by[0])} at ${text(chain.approval.at)}`
        : 'no approval recorded';
  const pushed = chain.apply.prUrl ? `, ${text(chain.apply.prUrl)}` : chain.apply.sha ? `, ${text(chain.apply.sha.slice(0, 12))}` : '';
  const apply = `${chain.apply.phase === 'apply' ? 'applied' : 'planned and applied'} ${text(chain.apply.at)} (${text(chain.apply.outcome)}${pushed})`;
  const verification = `verification ${text(chain.verification.status)}${chain.verification.note ? ` (${text(chain.verification.note)})` : ''}`;
  return [trigger, plan, approval, apply, verification].join(' → ');
}
