import { randomBytes } from 'node:crypto';

/** An annotation on a file and line, shown in the PR's "Files changed" view. */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
}

/**
 * Escapes untrusted text (commit subjects, branch names, titles) for Markdown and HTML in a job
 * summary or comment: no tags, no links, no table breaks, no headings, one line.
 */
export function markdownText(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1')
    .replace(/^(\s*)-/, '$1\\-');
}

/** Inline code for untrusted text: a fence longer than any backtick run inside it. */
export function markdownCode(text: string): string {
  const single = text.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(single.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = single.startsWith('`') || single.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${single}${pad}${fence}`;
}

/** A Markdown table; cells are already-escaped Markdown. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\n/g, ' ')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A fenced code block that untrusted text cannot close. */
export function markdownBlock(text: string, language = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

/** Lines the runner would read as workflow commands (`::set-output`, `::add-mask::`, legacy `##[...]`). */
const COMMAND_LINE = /^\s*(::|##\[)/m;

/**
 * Makes text safe to print to the log: if any line could be read as a workflow command, the
 * text is wrapped in `::stop-commands::<token>` … `::<token>::` with a random token that the
 * text cannot guess, so the runner prints it and obeys none of it.
 */
export function protectFromWorkflowCommands(text: string, token = randomBytes(16).toString('hex')): string {
  if (!COMMAND_LINE.test(text)) return text;
  return `::stop-commands::${token}\n${text}\n::${token}::`;
}

/** Output values: strings as they are, everything else as valid JSON. */
export function outputValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
