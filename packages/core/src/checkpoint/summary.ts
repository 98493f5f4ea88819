/** The checkpoint's job summary. */
import { markdownBlock, markdownCode, markdownTable } from '../output/report.js';
import { shellCommand } from '../output/shell.js';
import type { CheckpointResult, PruneResult } from './checkpoint.js';

/** The job summary for a checkpoint run. */
export function renderCheckpointSummary(result: CheckpointResult, prune?: PruneResult): string {
  const m = result.manifest;
  const rows: string[][] = [
    ['tag', markdownCode(result.tag)],
    ['commit', markdownCode(m.commit)],
    ['tree', markdownCode(m.tree)],
    ['branch', m.branch ? markdownCode(m.branch) : '(detached)'],
    ['created', result.created ? `yes, ${m.createdAt}` : `no: it already existed (${m.createdAt})`],
    ['pushed', result.pushed ? 'yes' : 'no'],
    ['seal', markdownCode(m.seal)],
    ['manifest digest', markdownCode(result.digest)],
  ];
  const parts = [`## Checkpoint ${markdownCode(result.tag)}`, markdownTable(['', ''], rows)];
  if (m.artifacts.length > 0) {
    parts.push(
      '### Artifacts',
      markdownTable(
        ['name', 'path', 'sha256', 'bytes'],
        m.artifacts.map((a) => [markdownCode(a.name), markdownCode(a.path), markdownCode(a.sha256), String(a.bytes)]),
      ),
    );
  }
  parts.push(
    '### Restore it',
    'Check out the known-good state on a new branch:',
    markdownBlock(`${shellCommand(['git', 'fetch', 'origin', 'tag', result.tag, '--no-tags'])} && ${shellCommand(['git', 'switch', '--create', `restore/${m.id}`, result.tag])}`, 'sh'),
  );
  if (prune) {
    parts.push(
      `### Retention${prune.dryRun ? ' (dry run: nothing deleted)' : ''}`,
      prune.deleted.length === 0
        ? `No checkpoint is past the policy; ${prune.kept} kept.`
        : markdownTable(
            ['tag', 'commit', 'created', prune.dryRun ? 'would be deleted' : 'deleted'],
            prune.deleted.map((d) => [markdownCode(d.tag), markdownCode(d.commit.slice(0, 12)), d.createdAt.toISOString(), 'yes']),
          ),
    );
  }
  return parts.join('\n\n');
}
