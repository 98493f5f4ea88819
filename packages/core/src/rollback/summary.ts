/** The rollback's job summary, and the body of its pull request. */
import type { Classification } from '../git/classify.js';
import type { CommitInfo } from '../git/commits.js';
import { commitTable, type ListedCommit } from '../output/commit-list.js';
import {
  bullets,
  code,
  commitLink,
  facts,
  fit,
  type GitHubLinks,
  heading,
  headline,
  join,
  link,
  md,
  type Md,
  plural,
  prose,
  repositoryLinks,
  runLink,
  table,
  text,
  trusted,
} from '../output/markdown.js';
import { type RollbackReport } from './rollback-report.js';
import { renderTriggerSummary } from '../triggers/summary.js';
import { type ResolvedTarget } from './target.js';

/** How commit lists are shown: linked to the server when its URL and the repository are known, classified agent/human. */
export interface CommitListOptions {
  serverUrl?: string;
  repository?: string;
  /** The workflow run: linked from the report (its log, its artifacts). */
  runUrl?: string;
  classify?: (commit: CommitInfo) => Classification;
  /** Commits the run read that its target does not list (RollbackOutcome.described): shown with subject and author. */
  described?: readonly CommitInfo[];
}

/** Server URL, repository and the run itself from a run URL (`<server>/<owner>/<repo>/actions/runs/<id>`). */
export function linksFromRunUrl(runUrl: string | undefined): Pick<CommitListOptions, 'serverUrl' | 'repository' | 'runUrl'> {
  const m = runUrl?.match(/^(https?:\/\/.+?)\/([\w.-]+\/[\w.-]+)\/actions\/runs\//);
  return m ? { serverUrl: m[1], repository: m[2], runUrl } : {};
}

/** `2026-11-30 07:48:09 UTC` */
function when(iso: string): Md {
  return text(iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC'));
}

function duration(startedAt: string, finishedAt: string): string {
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? plural(seconds, 'second') : plural(Math.round(seconds / 60), 'minute');
}

/** The pull request's number from its URL, linked. */
function pullRequest(url: string): Md {
  const number = /\/pull\/(\d+)$/.exec(url)?.[1];
  return link(number ? trusted(`#${number}`) : text(url), url);
}

/** The icon and the plain verdict of the headline. */
function verdict(report: RollbackReport): { icon: string; words: Md } {
  switch (report.outcome) {
    case 'succeeded':
      return report.verified || report.strategy === 'delete-branch' || report.commits.length === 0
        ? { icon: '✅', words: md`succeeded` }
        : { icon: '⚠️', words: md`succeeded, not verified` };
    case 'planned':
      return { icon: '📝', words: md`planned and sealed, nothing pushed` };
    case 'dry-run':
      return { icon: '🧪', words: md`dry run, nothing pushed` };
    case 'failed':
      return { icon: '❌', words: md`failed` };
    case 'declined':
      return { icon: '✋', words: md`declined by a guardrail, nothing pushed` };
  }
}

/** One sentence: what happened. */
function lead(report: RollbackReport, target: ResolvedTarget | undefined): Md | undefined {
  const count = trusted(plural(report.commits.length, 'commit'));
  const where = report.branch ? code(report.branch) : md`the branch`;
  switch (report.outcome) {
    case 'failed':
    case 'declined':
      return undefined;
    case 'planned':
      return md`Computed the rollback (${count} to revert) and sealed it into a rollback plan; nothing was pushed. The apply job executes the plan after its approval.`;
    case 'dry-run':
      return md`A dry run: ${count} would be reverted; nothing was pushed.`;
    case 'succeeded':
      if (report.strategy === 'delete-branch') return md`The unmerged branch was archived and deleted${report.branch ? md`: ${code(report.branch)}` : md``}.`;
      if (report.commits.length === 0) {
        return report.agentWork && report.agentWork.agent.length === 0
          ? md`Nothing to revert: the target has no agent commits.`
          : md`Nothing to revert: every commit of the target is already undone${report.branch ? md` (on ${code(report.branch)})` : md``}.`;
      }
      if (report.prUrl) return md`Reverted ${count} on a new branch, ${where}, and opened ${pullRequest(report.prUrl)} to land it.`;
      if (target && report.branch && report.branch !== `rollback/${target.id}`) return md`Reverted ${count}, pushed directly to ${where}.`;
      return md`Reverted ${count}, pushed as ${where}.`;
  }
}

/** What the reader does next. */
function nextStep(report: RollbackReport): Md | undefined {
  if (report.outcome === 'declined' && report.error) return md`**Declined:** ${prose(report.error.split('\n')[0] ?? '')}`;
  if (report.outcome === 'failed' && report.error) {
    const [first = '', ...rest] = report.error.split('\n').filter((l) => l.trim() !== '');
    return join([md`**The rollback failed:** ${prose(first)}`, ...rest.map((l) => md`> ${prose(l)}`)], '\n\n');
  }
  if (report.outcome === 'succeeded' && report.prUrl) {
    return report.verified
      ? md`**What to do:** review and merge ${pullRequest(report.prUrl)}.`
      : md`**What to do:** nothing checked the rolled-back tree: let CI run on ${pullRequest(report.prUrl)} (a pull request opened with \`GITHUB_TOKEN\` starts no workflow: use a GitHub App token), then merge it.`;
  }
  return undefined;
}

function approvals(report: RollbackReport): Md {
  if (report.approvals === null || report.approvals === undefined) return md`unknown (no token, or the run's approvals could not be read)`;
  if (report.approvals.length === 0) return md`**nobody**: this run had no environment approval`;
  const who = report.approvals.map(
    (a) =>
      md`${text(a.user)} (${text(a.state)}${a.environments.length ? md` for ${join(a.environments.map(code), ', ')}` : md``}${a.comment ? md`: ${text(a.comment)}` : md``})`,
  );
  return md`${join(who, trusted('; '))}, before ${when(report.startedAt)} (the apply job started then; the API gives no approval time)`;
}

function factsTable(report: RollbackReport, links: GitHubLinks, culprit: CommitInfo | undefined): Md {
  const took = duration(report.startedAt, report.finishedAt);
  // The note says "not verified: <why>"; the row already says no.
  const note = report.verificationNote?.replace(/^not verified:\s*/, '');
  // The plan job's run, named in the note by its URL: a link.
  const planRun = report.plan?.runUrl;
  const noteText = (n: string): Md => {
    const at = planRun ? n.indexOf(`(${planRun})`) : -1;
    return at < 0 ? prose(n) : md`${prose(n.slice(0, at))}(${link(md`its run`, planRun!)})${prose(n.slice(at + planRun!.length + 2))}`;
  };
  // "session s1: bisect …" under the target s1 says the id twice.
  const resolved = report.target.resolved?.replace(new RegExp(`^session ${report.target.input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '');
  return facts(
    [
      ['target', resolved ? md`${code(report.target.input)}: ${prose(resolved)}` : code(report.target.input)],
      [
        'strategy',
        report.strategy
          ? code(report.strategy)
          : md`not resolved (asked: ${code(report.requested?.strategy ?? 'auto')}): the run failed before resolving its target`,
      ],
      ['outcome', report.outcome === 'failed' ? md`**failed**` : trusted(report.outcome)],
      ['verified', report.verified ? md`yes${note ? md`: ${noteText(note)}` : md``}` : md`**no**${note ? md`: ${noteText(note)}` : md``}`],
      ['checks on the rolled-back tree', code(report.verification ?? 'none')],
      report.phase && report.phase !== 'all' ? ['phase', code(report.phase)] : undefined,
      report.plan
        ? [
            'rollback plan',
            md`${code(report.plan.path.split(/[\\/]/).pop() ?? report.plan.path)}, seal ${code(report.plan.digest)}, made ${when(report.plan.createdAt)}${
              report.plan.runUrl ? md` in ${link(md`its run`, report.plan.runUrl)}` : md``
            }`,
          ]
        : undefined,
      report.phase === 'apply' ? ['approved by', approvals(report)] : undefined,
      report.lockTakenOver ? ['lock', md`took over a stale lock: ${prose(report.lockTakenOver.reason)}`] : undefined,
      report.culprit ? ['culprit', culprit ? md`${commitLink(links, report.culprit)} ${text(culprit.subject)} (${text(culprit.authorName)})` : commitLink(links, report.culprit)] : undefined,
      report.bisect ? ['bisect', md`${trusted(plural(report.bisect.runs, 'run'))}, ${report.bisect.skipped} skipped`] : undefined,
      report.rollbackSha ? ['rollback commit', commitLink(links, report.rollbackSha)] : undefined,
      report.branch ? ['branch', code(report.branch)] : undefined,
      report.prUrl ? ['pull request', pullRequest(report.prUrl)] : undefined,
      links.run ? ['run', runLink(links, 'the workflow run (log and report artifact)')] : undefined,
      ['started', when(report.startedAt)],
      ['finished', md`${when(report.finishedAt)}${took ? md` (${trusted(took)})` : md``}`],
    ],
    ['rollback', 'value'],
  );
}

/** The job summary (and PR body) of a rollback. */
export function renderRollbackSummary(
  report: RollbackReport,
  target: ResolvedTarget | undefined,
  skipped: ReadonlyArray<{ commit: string; reason: string }>,
  lists: CommitListOptions = {},
): string {
  const links = repositoryLinks(lists.serverUrl, lists.repository, lists.runUrl);
  const known = new Map<string, CommitInfo>();
  for (const c of [...(target?.commits ?? []), ...(target?.later ?? [])]) known.set(c.sha, c);
  const agentWork = target?.agentWork;
  if (agentWork) for (const c of [...agentWork.agent, ...agentWork.kept, ...agentWork.dependents]) known.set(c.commit.sha, c.commit);
  for (const c of lists.described ?? []) if (!known.has(c.sha)) known.set(c.sha, c);
  const listed = (sha: string): ListedCommit => {
    const c = known.get(sha);
    return { sha, subject: c?.subject ?? '', author: c?.authorName ?? '', kind: c && lists.classify ? lists.classify(c).kind : null };
  };
  /** Commits with a reason each: subject, author and agent/human when they were read, else the linked sha. */
  const reasoned = (entries: ReadonlyArray<{ commit: string; reason: string }>): Md =>
    entries.every((e) => known.has(e.commit))
      ? trusted(commitTable(entries.map((e) => listed(e.commit)), { ...lists, extra: { header: 'why', cell: (_c, i) => prose(entries[i]!.reason) } }))
      : table(['commit', 'why'], entries.map((c) => [commitLink(links, c.commit), prose(c.reason)]));
  const { icon, words } = verdict(report);
  const parts: (Md | undefined | false)[] = [
    headline(icon, md`Rollback of ${code(target?.id ?? report.target.input)}: ${words}`),
    lead(report, target),
    nextStep(report),
    factsTable(report, links, report.culprit ? known.get(report.culprit) : undefined),
    // A rollback a trigger started: every decision, taken or declined, and why (also in the PR's body).
    report.trigger ? trusted(renderTriggerSummary(report.trigger, 3)) : undefined,
  ];
  const shown = 300;
  if (report.commits.length > 0) {
    parts.push(
      heading(md`Reverted, newest first`),
      report.commits.some((sha) => known.has(sha))
        ? trusted(commitTable(report.commits.slice(0, shown).map(listed), lists))
        : // Not read (reading them failed): the commits, linked.
          join(report.commits.slice(0, shown).map((sha) => commitLink(links, sha)), ', '),
      report.commits.length > shown && md`…and ${report.commits.length - shown} more (the \`commits\` output and the report list them all).`,
    );
  }
  for (const note of target?.notes ?? []) parts.push(md`> **Note:** ${prose(note)}`);
  const kept = target?.later ?? [];
  if (kept.length > 0 && target?.strategy !== 'delete-branch') {
    parts.push(
      heading(md`Kept: ${trusted(plural(kept.length, 'later commit'))} on the branch that ${kept.length === 1 ? md`is` : md`are`} not ${text(target?.id ?? '')}'s (never reverted)`),
      trusted(commitTable(kept.slice(0, 50).map((c) => listed(c.sha)), lists)),
      kept.length > 50 && md`…and ${kept.length - 50} more.`,
    );
  }
  const work = report.agentWork;
  if (work) {
    const known2 = (c: { commit: string }): ListedCommit => listed(c.commit);
    parts.push(heading(md`The agent's work`));
    if (work.note) parts.push(prose(work.note));
    if (work.agent.length > 0) {
      parts.push(
        heading(md`${trusted(plural(work.agent.length, 'agent commit'))}, reverted newest first`, 4),
        trusted(commitTable(work.agent.map(known2), { ...lists, extra: { header: 'why agent', cell: (_c, i) => prose(work.agent[i]!.reason) } })),
      );
    }
    if (work.kept.length > 0) parts.push(heading(md`${trusted(plural(work.kept.length, 'human commit'))} kept`, 4), trusted(commitTable(work.kept.slice(0, 100).map(known2), lists)));
    if (work.dependents.length > 0) {
      parts.push(
        heading(
          md`${trusted(plural(work.dependents.length, 'kept commit'))} that build on the agent's work: ${
            work.includeDependent ? md`reverted too (\`include-dependent: true\`)` : md`**nothing was applied**; \`include-dependent: true\` reverts them too`
          }`,
          4,
        ),
        table(
          ['commit', 'depends on', 'why', 'reverted'],
          work.dependents.map((d) => [commitLink(links, d.commit), join(d.dependsOn.map((sha) => commitLink(links, sha)), ', '), prose(d.reason), d.reverted ? md`yes` : md`no`]),
        ),
      );
    }
  }
  if (report.culpritBlastRadius.length > 0) {
    parts.push(
      heading(md`The culprit's blast radius: files importing what it changed`),
      table(
        ['file', 'import chain (→: imported by)'],
        report.culpritBlastRadius.slice(0, 100).map((r) => [code(r.file), join(r.chain.map(code), trusted(' → '))]),
      ),
      report.culpritBlastRadius.length > 100 && md`…and ${report.culpritBlastRadius.length - 100} more.`,
    );
  }
  if (report.cascade.length > 0) {
    parts.push(heading(md`Cascade reverted with the culprit`), reasoned(report.cascade));
  }
  const widening = report.cascadeWidening;
  if (widening) {
    parts.push(
      heading(
        md`Cascade widened: the checks failed with the minimal cascade; ${
          widening.passedAt ? md`they pass with the **${text(widening.passedAt)}** step` : md`**no step made them pass**: nothing was delivered`
        }`,
      ),
      table(
        ['step', 'commits added', 'checks', 'note'],
        widening.steps.map((w) => [
          code(w.step),
          w.added.length ? join(w.added.map((a) => commitLink(links, a.commit)), ', ') : md`—`,
          text(w.verification),
          prose(w.note ?? ''),
        ]),
      ),
    );
  }
  if (report.independent && report.independent.length > 0) {
    parts.push(
      heading(md`Checked, independent of the culprit (kept)`),
      reasoned(report.independent.slice(0, 100)),
      report.independent.length > 100 && md`…and ${report.independent.length - 100} more.`,
    );
  }
  if (skipped.length > 0) {
    parts.push(
      heading(md`Skipped`),
      trusted(commitTable(skipped.slice(0, 100).map((s) => listed(s.commit)), { ...lists, extra: { header: 'why', cell: (_c, i) => prose(skipped[i]!.reason) } })),
      skipped.length > 100 && md`…and ${skipped.length - 100} more.`,
    );
  }
  if (report.checks.length > 0) {
    parts.push(
      heading(md`Checks on the rolled-back tree`),
      table(
        ['check', 'result', 'time'],
        report.checks.map((c) => [
          code(c.name),
          c.timedOut ? md`**timed out**` : c.exitCode === 0 ? md`passed` : md`**failed** (exit ${trusted(String(c.exitCode ?? 'killed'))})`,
          trusted(`${(c.durationMs / 1000).toFixed(1)} s`),
        ]),
      ),
    );
  }
  if ((report.secrets?.length ?? 0) > 0) {
    parts.push(
      heading(md`Secrets the rollback re-introduces`),
      md`A later commit removed these; rolling back brings them back. Rotate them. Apply is blocked unless the configured approval label (\`rollback.allow-secrets-label\`) is on the target's pull request or granted to the plan.`,
      table(['file', 'line', 'rule'], report.secrets!.map((f) => [code(f.file), trusted(String(f.line)), code(f.rule)])),
    );
  }
  if ((report.irreversible?.length ?? 0) > 0) {
    parts.push(
      heading(md`Irreversible paths it touches (git alone cannot undo what they did)`),
      table(['path', 'why', 'label', 'what to do'], report.irreversible!.map((i) => [code(i.path), text(i.reason), code(i.requireLabel), text(i.todo ?? '')])),
    );
  }
  if ((report.artifacts?.length ?? 0) > 0) {
    parts.push(
      heading(md`Non-git state to restore by hand (the checkpoint's artifacts that changed)`),
      table(
        ['artifact', 'path', 'checkpoint sha256', 'now', 'what to do'],
        report.artifacts!.map((a) => [text(a.name), code(a.path), code(a.sha256.slice(0, 16)), a.current ? code(a.current.slice(0, 16)) : md`missing`, text(a.todo ?? '')]),
      ),
    );
  }
  parts.push(trustSection(report));
  return join(parts);
}

/** The hidden first line of a rollback pull request's body: it says which tool wrote it. */
export const ROLLBACK_PR_MARKER = '<!-- rollback-gate:rollback -->';

/** The body of the rollback's pull request: the report, held under GitHub's limit (the rest is in the run's summary). */
export function renderRollbackPullBody(
  report: RollbackReport,
  target: ResolvedTarget | undefined,
  skipped: ReadonlyArray<{ commit: string; reason: string }>,
  lists: CommitListOptions = {},
): string {
  const body = trusted(`${ROLLBACK_PR_MARKER}\n${renderRollbackSummary(report, target, skipped, lists)}`);
  const where = lists.runUrl ? link(md`the run's summary`, lists.runUrl) : md`the job summary of the rollback run`;
  return fit(body, md`…cut here: GitHub keeps at most 65,536 characters. The whole report is in ${where}.`);
}

/** What the seals prove and what they do not, and what else was checked. */
function trustSection(report: RollbackReport): Md {
  const lines: Md[] = [
    md`A seal (checkpoint manifest, rollback plan) proves **integrity, not authorship**: it is a SHA-256 over the document, so anyone who can push a tag or edit the file can re-seal it. It shows the text was not changed after sealing, not who sealed it.`,
  ];
  const p = report.provenance;
  if (p?.checkpointSealed === false) lines.push(md`The checkpoint is **unsealed** (a tag without a verifiable manifest): used as given.`);
  if (p?.attestation) lines.push(md`Checkpoint attestation (${code(p.attestation.digest)}): **${text(p.attestation.status)}**, ${prose(p.attestation.detail)}.`);
  if (p?.tagProtection) lines.push(md`Checkpoint tags: **${text(p.tagProtection.status)}**, ${prose(p.tagProtection.detail)}.`);
  if (report.prebuilt) {
    const landed = code(report.prebuilt.landed.slice(0, 12));
    const ref = code(report.prebuilt.ref);
    lines.push(
      report.prebuilt.replanned
        ? md`The plan stored when ${landed} landed (${ref}) verified (seal, the landed commit, its tree); the branch had moved ${text(`${report.prebuilt.movedBy} ${report.prebuilt.movedBy === 1 ? 'commit' : 'commits'}`)} since, so its revert was **re-planned on the current tip without running any command**.`
        : md`The plan stored when ${landed} landed (${ref}) verified (seal, the landed commit, its tree), and recomputing its revert on the tip gave its expected tree.`,
    );
  }
  if (report.phase === 'apply' && (!report.prebuilt || report.plan?.path !== report.prebuilt.ref)) {
    lines.push(
      md`Apply checked the plan against the repository, not only its seal: the branch tip is the planned tip, every reverted commit belongs to the target as resolved now, and recomputing the reverts gives the planned tree. It ran no command from the config or the inputs.`,
    );
  }
  return join([heading(md`What was checked`), bullets(lines)]);
}
