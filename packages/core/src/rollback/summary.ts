/** The rollback's job summary (also the body of its pull request). */
import type { Classification } from '../git/classify.js';
import type { CommitInfo } from '../git/commits.js';
import { commitTable, type ListedCommit } from '../output/commit-list.js';
import { markdownCode, markdownTable, markdownText } from '../output/report.js';
import { type RollbackReport } from './rollback-report.js';
import { renderTriggerSummary } from '../triggers/summary.js';
import { type ResolvedTarget } from './target.js';

/** How commit lists are shown: linked to the server when its URL and the repository are known, classified agent/human. */
export interface CommitListOptions {
  serverUrl?: string;
  repository?: string;
  classify?: (commit: CommitInfo) => Classification;
}

/** Server URL and repository from a run URL (`<server>/<owner>/<repo>/actions/runs/<id>`). */
export function linksFromRunUrl(runUrl: string | undefined): Pick<CommitListOptions, 'serverUrl' | 'repository'> {
  const m = runUrl?.match(/^(https?:\/\/.+?)\/([\w.-]+\/[\w.-]+)\/actions\/runs\//);
  return m ? { serverUrl: m[1], repository: m[2] } : {};
}

/** The job summary (and PR body) of a rollback. */
export function renderRollbackSummary(
  report: RollbackReport,
  target: ResolvedTarget | undefined,
  skipped: ReadonlyArray<{ commit: string; reason: string }>,
  lists: CommitListOptions = {},
): string {
  const known = new Map<string, CommitInfo>();
  for (const c of [...(target?.commits ?? []), ...(target?.later ?? [])]) known.set(c.sha, c);
  const agentWork = target?.agentWork;
  if (agentWork) for (const c of [...agentWork.agent, ...agentWork.kept, ...agentWork.dependents]) known.set(c.commit.sha, c.commit);
  const listed = (sha: string): ListedCommit => {
    const c = known.get(sha);
    return { sha, subject: c?.subject ?? '', author: c?.authorName ?? '', kind: c && lists.classify ? lists.classify(c).kind : null };
  };
  const rows: string[][] = [
    ['target', `${markdownCode(report.target.input)}: ${markdownText(report.target.resolved)}`],
    ['strategy', report.strategy ? markdownCode(report.strategy) : `not resolved (asked: ${markdownCode(report.requested?.strategy ?? 'auto')}): the run failed before resolving its target`],
    ['outcome', report.outcome + (report.error ? `: ${markdownText(report.error.split('\n')[0] ?? '')}` : '')],
    ['verified', report.verified ? 'yes' : `**no**${report.verificationNote ? `: ${markdownText(report.verificationNote)}` : ''}`],
    ['verification', markdownCode(report.verification ?? 'none')],
  ];
  if (report.verified && report.verificationNote) rows.push(['how', markdownText(report.verificationNote)]);
  if (report.phase && report.phase !== 'all') rows.push(['phase', markdownCode(report.phase)]);
  if (report.plan) rows.push(['rollback plan', `${markdownCode(report.plan.digest)} (${markdownText(report.plan.createdAt)}${report.plan.runUrl ? `, ${markdownText(report.plan.runUrl)}` : ''})`]);
  if (report.phase === 'apply') {
    rows.push([
      'approved by',
      report.approvals === null || report.approvals === undefined
        ? 'unknown (no token, or the run\'s approvals could not be read)'
        : report.approvals.length === 0
          ? '**nobody**: this run had no environment approval'
          : report.approvals.map((a) => `${markdownText(a.user)} (${markdownText(a.state)}${a.environments.length ? ` for ${a.environments.map(markdownCode).join(', ')}` : ''}${a.comment ? `: ${markdownText(a.comment)}` : ''})`).join('; ') + `, before ${markdownText(report.startedAt)} (the apply job started then; the API gives no approval time)`,
    ]);
  }
  if (report.lockTakenOver) rows.push(['lock', `took over a stale lock: ${markdownText(report.lockTakenOver.reason)}`]);
  if (report.culprit) rows.push(['culprit', markdownCode(report.culprit)]);
  if (report.bisect) rows.push(['bisect', `${report.bisect.runs} run(s), ${report.bisect.skipped} skipped`]);
  if (report.rollbackSha) rows.push(['rollback commit', markdownCode(report.rollbackSha)]);
  if (report.branch) rows.push(['branch', markdownCode(report.branch)]);
  if (report.prUrl) rows.push(['pull request', report.prUrl]);
  rows.push(['started / finished', `${report.startedAt} / ${report.finishedAt}`]);
  const parts = [`## Rollback of ${markdownCode(target?.id ?? report.target.input)}`, markdownTable(['', ''], rows)];
  // A rollback a trigger started: every decision, taken or declined, and why (also in the PR's body).
  if (report.trigger) parts.push(renderTriggerSummary(report.trigger));
  if (report.commits.length > 0) {
    parts.push('### Reverted, newest first', commitTable(report.commits.map(listed), lists));
  }
  for (const note of target?.notes ?? []) parts.push(`> **Note:** ${markdownText(note)}`);
  const kept = target?.later ?? [];
  if (kept.length > 0 && target?.strategy !== 'delete-branch') {
    parts.push(
      `### Kept: ${kept.length} later commit(s) on the branch that are not ${markdownText(target?.id ?? '')}'s (never reverted)`,
      commitTable(kept.slice(0, 50).map((c) => listed(c.sha)), lists) + (kept.length > 50 ? `\n\nand ${kept.length - 50} more.` : ''),
    );
  }
  const work = report.agentWork;
  if (work) {
    const known2 = (c: { commit: string }): ListedCommit => listed(c.commit);
    parts.push('### The agent\'s work');
    if (work.note) parts.push(markdownText(work.note));
    if (work.agent.length > 0) parts.push(`#### Agent commits (${work.agent.length}), reverted newest first`, commitTable(work.agent.map(known2), { ...lists, extra: { header: 'why agent', cell: (_c, i) => markdownText(work.agent[i]!.reason) } }));
    if (work.kept.length > 0) parts.push(`#### Human commits kept (${work.kept.length})`, commitTable(work.kept.slice(0, 100).map(known2), lists));
    if (work.dependents.length > 0) {
      parts.push(
        `#### Kept commits that build on the agent's work (${work.dependents.length}): ${work.includeDependent ? 'reverted too (`include-dependent: true`)' : '**nothing was applied**; `include-dependent: true` reverts them too'}`,
        markdownTable(['commit', 'depends on', 'why', 'reverted'], work.dependents.map((d) => [markdownCode(d.commit.slice(0, 12)), d.dependsOn.map((s) => markdownCode(s.slice(0, 12))).join(', '), markdownText(d.reason), d.reverted ? 'yes' : 'no'])),
      );
    }
  }
  if (report.culpritBlastRadius.length > 0) {
    parts.push('### The culprit\'s blast radius (files importing what it changed)', markdownTable(['file', 'import chain'], report.culpritBlastRadius.slice(0, 100).map((r) => [markdownCode(r.file), r.chain.map(markdownCode).join(' ← ')])));
  }
  if (report.cascade.length > 0) {
    parts.push('### Cascade pulled in with the culprit', markdownTable(['commit', 'why'], report.cascade.map((c) => [markdownCode(c.commit.slice(0, 12)), markdownText(c.reason)])));
  }
  const widening = report.cascadeWidening;
  if (widening) {
    parts.push(
      `### Cascade widened: the checks failed with the minimal cascade; ${widening.passedAt ? `they pass with the **${widening.passedAt}** step` : '**no step made them pass**: nothing was delivered'}`,
      markdownTable(['step', 'commits added', 'checks', 'note'], widening.steps.map((w) => [markdownCode(w.step), w.added.length ? w.added.map((a) => markdownCode(a.commit.slice(0, 12))).join(', ') : '—', w.verification, markdownText(w.note ?? '')])),
    );
  }
  if (report.independent && report.independent.length > 0) {
    parts.push('### Checked, independent (kept)', markdownTable(['commit', 'why'], report.independent.slice(0, 100).map((c) => [markdownCode(c.commit.slice(0, 12)), markdownText(c.reason)])));
  }
  if (skipped.length > 0) {
    parts.push('### Skipped', commitTable(skipped.map((s) => listed(s.commit)), { ...lists, extra: { header: 'why', cell: (_c, i) => markdownText(skipped[i]!.reason) } }));
  }
  if (report.checks.length > 0) {
    parts.push('### Checks on the rolled-back tree', markdownTable(['check', 'exit', 'seconds', 'timed out'], report.checks.map((c) => [markdownText(c.name), String(c.exitCode), (c.durationMs / 1000).toFixed(1), c.timedOut ? 'yes' : 'no'])));
  }
  if ((report.secrets?.length ?? 0) > 0) {
    parts.push(
      '### Secrets the rollback re-introduces',
      'A later commit removed these; rolling back brings them back. Rotate them. Apply is blocked unless the configured approval label (`rollback.allow-secrets-label`) is on the target\'s pull request or granted to the plan.',
      markdownTable(['file', 'line', 'rule'], report.secrets!.map((f) => [markdownCode(f.file), String(f.line), markdownCode(f.rule)])),
    );
  }
  if ((report.irreversible?.length ?? 0) > 0) {
    parts.push('### Irreversible paths it touches (git alone cannot undo what they did)', markdownTable(['path', 'why', 'label'], report.irreversible!.map((i) => [markdownCode(i.path), markdownText(i.reason), markdownCode(i.requireLabel)])));
  }
  if ((report.artifacts?.length ?? 0) > 0) {
    parts.push('### Non-git state to restore by hand (the checkpoint\'s artifacts that changed)', markdownTable(['artifact', 'path', 'checkpoint sha256', 'now'], report.artifacts!.map((a) => [markdownText(a.name), markdownCode(a.path), markdownCode(a.sha256.slice(0, 16)), a.current ? markdownCode(a.current.slice(0, 16)) : 'missing'])));
  }
  parts.push(trustSection(report));
  return parts.join('\n\n');
}

/** What the seals prove and what they do not, and what else was checked. */
function trustSection(report: RollbackReport): string {
  const lines = [
    '### What was checked',
    '- A seal (checkpoint manifest, rollback plan) proves **integrity, not authorship**: it is a SHA-256 over the document, so anyone who can push a tag or edit the file can re-seal it. It shows the text was not changed after sealing, not who sealed it.',
  ];
  const p = report.provenance;
  if (p?.checkpointSealed === false) lines.push('- The checkpoint is **unsealed** (a tag without a verifiable manifest): used as given.');
  if (p?.attestation) lines.push(`- Checkpoint attestation (${markdownCode(p.attestation.digest)}): **${markdownText(p.attestation.status)}**, ${markdownText(p.attestation.detail)}.`);
  if (p?.tagProtection) lines.push(`- Checkpoint tags: **${markdownText(p.tagProtection.status)}**, ${markdownText(p.tagProtection.detail)}.`);
  if (report.phase === 'apply') lines.push('- Apply checked the plan against the repository, not only its seal: the branch tip is the planned tip, every reverted commit belongs to the target as resolved now, and recomputing the reverts gives the planned tree. It ran no command from the config or the inputs.');
  return lines.join('\n');
}
