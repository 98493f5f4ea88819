/**
 * Lists of commits, as every summary and message shows them: the sha (linked to the commit on the
 * server when its URL is known), the subject, the author, and agent or human.
 */
import type { CommitKind } from '../git/classify.js';
import { markdownCode, markdownTable, markdownText } from './report.js';

export interface ListedCommit {
  sha: string;
  subject: string;
  author: string;
  /** agent or human; null when it was not classified. */
  kind: CommitKind | null;
}

/** `https://github.com/o/r/commit/<sha>`, or undefined without a server URL and repository. */
export function commitUrl(serverUrl: string | undefined, repository: string | undefined, sha: string): string | undefined {
  if (!serverUrl || !repository || !/^[\w.-]+\/[\w.-]+$/.test(repository) || !/^https?:\/\/[^\s()<>]+$/.test(serverUrl)) return undefined;
  return `${serverUrl.replace(/\/+$/, '')}/${repository}/commit/${sha}`;
}

/** One line of plain text: `1a2b3c4d5e6f "subject" (Ada Human, human)`. */
export function describeCommitLine(commit: ListedCommit): string {
  const who = [commit.author, commit.kind].filter(Boolean).join(', ');
  return `${commit.sha.slice(0, 12)} ${JSON.stringify(commit.subject)}${who ? ` (${who})` : ''}`;
}

/** A Markdown table of commits: commit (linked when possible), subject, author, agent/human, and optional extra columns. */
export function commitTable(
  commits: readonly ListedCommit[],
  options: { serverUrl?: string; repository?: string; extra?: { header: string; cell: (commit: ListedCommit, index: number) => string } } = {},
): string {
  const headers = ['commit', 'subject', 'author', 'agent/human', ...(options.extra ? [options.extra.header] : [])];
  const rows = commits.map((c, i) => {
    const url = commitUrl(options.serverUrl, options.repository, c.sha);
    const sha = markdownCode(c.sha.slice(0, 12));
    return [
      url ? `[${sha}](${url})` : sha,
      markdownText(c.subject),
      markdownText(c.author),
      c.kind ?? '?',
      ...(options.extra ? [options.extra.cell(c, i)] : []),
    ];
  });
  return markdownTable(headers, rows);
}
