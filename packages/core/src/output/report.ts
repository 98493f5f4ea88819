import { randomBytes } from 'node:crypto';
import { code, codeBlock, type Md, table, text } from './markdown.js';

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
 * summary or comment: no tags, no links, no mentions, no table breaks, no headings, one line.
 * The same escaping as `text` in markdown.ts (one implementation), for renderers built on strings.
 */
export function markdownText(value: string): string {
  return text(value);
}

/** Inline code for untrusted text: a fence longer than any backtick run inside it (`code` in markdown.ts). */
export function markdownCode(value: string): string {
  return code(value);
}

/** A Markdown table; cells are already-escaped Markdown (`table` in markdown.ts: every column needs a header). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return table(headers, rows as readonly (readonly Md[])[]);
}

/** A fenced code block that untrusted text cannot close, with no blank line inside (`codeBlock` in markdown.ts). */
export function markdownBlock(value: string, language = ''): string {
  return codeBlock(value, language);
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
