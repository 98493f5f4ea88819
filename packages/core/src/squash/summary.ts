/** The squash's job summary. */
import { commitTable } from '../output/commit-list.js';
import { markdownBlock, markdownCode, markdownTable, markdownText } from '../output/report.js';
import { describeCheck, type CheckResult } from '../sandbox/checks.js';
import { shellCommand } from '../output/shell.js';
import type { SquashResult } from './squash.js';

/** The job summary of a squash run. */
export function renderSquashSummary(result: SquashResult, remote = 'origin'): string {
  const parts: string[] = [];
  if (result.status === 'empty') {
    return `## Squash session\n\nNothing to squash: ${markdownCode(result.branch)} is at its base ${markdownCode(result.base.slice(0, 12))}.`;
  }
  if (result.status === 'already-squashed') {
    return `## Squash session\n\nAlready squashed: ${markdownCode(result.branch)} starts with the squash commit ${markdownCode(result.squashCommit ?? '')}; nothing changed.`;
  }
  if (result.status === 'checks-failed') {
    const failed = (result.checks ?? []).filter((c) => !c.passed);
    return [
      `## Squash session: refused, ${failed.length} check(s) failed on the session head`,
      `The checks ran on ${markdownCode(result.branch)} at ${markdownCode(result.originalHead)}, in a throwaway worktree. ` +
        '**Nothing was rewritten**: the branch, the remote and the backups are as they were.',
      ...checksSection(result.checks ?? []),
      'Fix the failures and run again, or set `allow-failing-checks: true` to squash anyway (the failure is then recorded in the squash commit\'s message).',
    ].join('\n\n');
  }
  parts.push(
    `## Squash session: ${result.commitsSquashed} commit(s) into one`,
    markdownTable(
      ['', ''],
      [
        ['branch', markdownCode(result.branch)],
        ['base', `${markdownCode(result.base)}${result.checkpointTag ? ` (${markdownCode(result.checkpointTag)}${result.checkpointSealed === false ? ', unsealed: a hand-made tag, no seal to re-check' : ''})` : ''}`],
        ['squash commit', markdownCode(result.squashCommit ?? '')],
        ['new head', markdownCode(result.sha)],
        ['human commits replayed', String(result.humanCommitsReplayed)],
        ['tree matches the old head', result.treeMatches ? 'yes' : '**no**'],
        ['checks on the old head', checksCell(result.checks)],
        ['originals kept at', markdownCode(result.backupRef ?? '')],
        ['pushed', result.pushed ? 'yes (atomic, leased)' : 'no'],
      ],
    ),
  );
  if (result.unsignedResult) {
    parts.push(
      `> [!WARNING]\n> ${result.signaturesDropped.length} signed commit(s) lose their signature: the squash commit is **not signed**${result.signaturesDropped.some((c) => c.how === 'replayed') ? ', and human commits replayed after it are re-created unsigned' : ''}. Set \`require-signed: true\` to refuse instead.`,
      commitTable(result.signaturesDropped, { extra: { header: 'signature dropped', cell: (_c, i) => (result.signaturesDropped[i]!.how === 'replayed' ? 'replayed unsigned' : 'squashed into the unsigned squash commit') } }),
    );
  }
  if (result.checks?.some((c) => !c.passed)) {
    parts.push(
      '> [!WARNING]\n> Checks **failed** on the session head and the session was squashed anyway (`allow-failing-checks: true`); the squash commit\'s message records the failure.',
      ...checksSection(result.checks),
    );
  }
  parts.push(
    '### Squashed commits',
    markdownTable(
      ['commit', 'subject', 'author', 'kind'],
      result.commits.map((c) => [markdownCode(c.sha.slice(0, 12)), markdownText(c.subject), markdownText(c.author), c.kind + (c.merge ? ' (merge)' : '')]),
    ),
    '### Restore the originals',
    markdownBlock(
      [
        shellCommand(['git', 'fetch', remote, result.backupRef ?? '']),
        shellCommand(['git', 'push', `--force-with-lease=refs/heads/${result.branch}:${result.sha}`, remote, `${result.originalHead}:refs/heads/${result.branch}`]),
      ].join('\n'),
      'sh',
    ),
  );
  return parts.join('\n\n');
}

function checksCell(checks: readonly CheckResult[] | undefined): string {
  if (!checks) return 'not run (`run-checks: false`)';
  const failed = checks.filter((c) => !c.passed).length;
  return failed === 0 ? `passed (${checks.length})` : `**${failed} failed** of ${checks.length}`;
}

/** Every check's verdict, then the output of the failing ones. */
function checksSection(checks: readonly CheckResult[]): string[] {
  return [
    '### Checks',
    markdownTable(
      ['check', 'result'],
      checks.map((c) => [markdownCode(c.name), `${c.passed ? 'pass' : '**fail**'}: ${markdownText(describeCheck(c))}`]),
    ),
    ...checks
      .filter((c) => !c.passed)
      .flatMap((c) => [`Output of ${markdownCode(c.name)} (last lines):`, markdownBlock(c.tail || '(no output)')]),
  ];
}
