/** The squash's job summary. */
import { markdownBlock, markdownCode, markdownTable, markdownText } from '../output/report.js';
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
  parts.push(
    `## Squash session: ${result.commitsSquashed} commit(s) into one`,
    markdownTable(
      ['', ''],
      [
        ['branch', markdownCode(result.branch)],
        ['base', `${markdownCode(result.base)}${result.checkpointTag ? ` (${markdownCode(result.checkpointTag)})` : ''}`],
        ['squash commit', markdownCode(result.squashCommit ?? '')],
        ['new head', markdownCode(result.sha)],
        ['human commits replayed', String(result.humanCommitsReplayed)],
        ['tree matches the old head', result.treeMatches ? 'yes' : '**no**'],
        ['originals kept at', markdownCode(result.backupRef ?? '')],
        ['pushed', result.pushed ? 'yes (atomic, leased)' : 'no'],
      ],
    ),
  );
  if (result.unsignedResult) {
    parts.push('> [!WARNING]\n> Some squashed commits were signed; the squash commit is **not signed**. Set `require-signed: true` to refuse instead.');
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
