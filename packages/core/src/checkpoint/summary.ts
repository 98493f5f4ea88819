/** The checkpoint's job summary. */
import { code, commands, commitLink, facts, type GitHubLinks, heading, headline, join, md, type Md, plural, table, text, trusted } from '../output/markdown.js';
import { shellCommand } from '../output/shell.js';
import type { CheckpointResult, PruneResult } from './checkpoint.js';

/** `2026-11-30 07:48 UTC` */
function when(iso: string): Md {
  return text(iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC'));
}

/** The job summary for a checkpoint run. */
export function renderCheckpointSummary(result: CheckpointResult, prune?: PruneResult, links?: GitHubLinks): string {
  const m = result.manifest;
  const verdict = result.created ? md`created` : md`already existed: nothing changed`;
  const parts: Md[] = [
    headline('✅', md`Checkpoint ${code(result.tag)} ${verdict}`),
    facts(
      [
        ['commit', commitLink(links, m.commit)],
        ['branch', m.branch ? code(m.branch) : md`*detached*`],
        ['created', when(m.createdAt)],
        ['pushed', result.pushed ? md`yes` : md`no (\`push: false\`)`],
        ['tree', code(m.tree)],
        ['seal', code(m.seal)],
        ['manifest digest', code(result.digest)],
      ],
      ['checkpoint', 'value'],
    ),
  ];
  if (m.artifacts.length > 0) {
    parts.push(
      heading(md`Artifacts`),
      table(
        ['name', 'path', 'sha256', 'bytes'],
        m.artifacts.map((a) => [code(a.name), code(a.path), code(a.sha256), trusted(a.bytes.toLocaleString('en-US'))]),
      ),
    );
  }
  parts.push(
    heading(md`Restore it`),
    md`Check out the known-good state on a new branch:`,
    commands([shellCommand(['git', 'fetch', 'origin', 'tag', result.tag, '--no-tags']), shellCommand(['git', 'switch', '--create', `restore/${m.id}`, result.tag])]),
  );
  if (prune) {
    const deleted = prune.dryRun ? 'would be deleted' : 'deleted';
    parts.push(
      heading(prune.dryRun ? md`Retention (dry run: nothing deleted)` : md`Retention`),
      prune.deleted.length === 0
        ? md`No checkpoint is past the policy; ${trusted(plural(prune.kept, 'checkpoint'))} kept.`
        : join([
            md`${trusted(plural(prune.deleted.length, 'checkpoint'))} ${trusted(deleted)}, ${trusted(plural(prune.kept, 'checkpoint'))} kept:`,
            table(
              ['tag', 'commit', 'created'],
              prune.deleted.map((d) => [code(d.tag), commitLink(links, d.commit), when(d.createdAt.toISOString())]),
            ),
          ]),
    );
  }
  return join(parts);
}
