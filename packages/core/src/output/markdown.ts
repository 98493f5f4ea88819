/**
 * Markdown for job summaries, sticky comments and pull request bodies, as GitHub renders them.
 *
 * Rendered Markdown has its own type, `Md`. Our own text becomes Md as written (`md` template
 * literals, `trusted`); untrusted text (commit messages, branch names, titles, file paths, command
 * output) becomes Md only through `text` or `code`, which escape it exactly once, so that it renders
 * as the characters it is and never makes a link, a mention, an issue reference, a heading, a list,
 * emphasis or HTML. A plain `string` is never Md: the compiler keeps the two apart.
 */

declare const MARKDOWN: unique symbol;

/** Rendered Markdown: ours, or untrusted text escaped by `text`/`code`. */
export type Md = string & { readonly [MARKDOWN]: true };

/** Our own Markdown, as written. Only for text we wrote (never data from git, GitHub or the user). */
export function trusted(markdown: string): Md {
  return markdown as Md;
}

/**
 * A template of our own Markdown: the literal parts are ours. Only Md and numbers can be
 * interpolated, so untrusted text must pass through `text`, `code` or `prose` first (the compiler
 * refuses a plain string).
 */
export function md(strings: TemplateStringsArray, ...values: readonly (Md | number)[]): Md {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += String(value) + (strings[i + 1] ?? '');
  });
  return out as Md;
}

const brand = trusted;

/** Zero-width space, as an entity: breaks a mention, an issue reference or an autolink without showing. */
const ZWSP = '&#8203;';

/**
 * Untrusted text as inline Markdown, on one line: every character shows as itself; nothing in it
 * becomes a link (no URL, `www.` or e-mail autolink), a mention (`@user`), an issue or pull
 * request reference (`#12`, `GH-12`), a heading, a list item, a table cell break, emphasis or HTML.
 */
export function text(value: string): Md {
  const escaped = value
    .replace(/\r\n?|\n|\u2028|\u2029/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\*_{}[\]()#+!|~]/g, '\\$&')
    // A backtick as an entity, not `\``: an escaped backtick in a report is then always a bug of ours.
    .replace(/`/g, '&#96;')
    .replace(/^(\s*)([-=])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2')
    .replace(/@/g, `@${ZWSP}`)
    .replace(/\\#(?=\d)/g, `\\#${ZWSP}`)
    .replace(/\b(gh-)(?=\d)/gi, `$1${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, `www${ZWSP}.`);
  return brand(escaped);
}

/**
 * Untrusted text as inline code: shown as typed, in a code span whose fence is longer than any
 * run of backticks inside it. Code spans make no links or mentions.
 */
export function code(value: string): Md {
  const single = value.replace(/\r\n?|\n|\u2028|\u2029/g, ' ');
  if (single === '') return brand('*(empty)*');
  const longest = Math.max(0, ...(single.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = single.startsWith('`') || single.endsWith('`') || single.trim() === '' ? ' ' : '';
  return brand(`${fence}${pad}${single}${pad}${fence}`);
}

/**
 * A sentence of ours with untrusted values in it (a message built by the engine, such as an error
 * or a violation): code spans (`…`) show as code, everything else as escaped text. Untrusted text
 * inside can at worst shift which part shows as code; it can never make a link, heading or HTML.
 */
export function prose(message: string): Md {
  const parts: string[] = [];
  let rest = realPlurals(message);
  for (;;) {
    const open = /`+/.exec(rest);
    if (!open) break;
    const fence = open[0];
    const after = rest.slice(open.index + fence.length);
    const close = new RegExp(`(?<!\`)${fence}(?!\`)`).exec(after);
    if (!close) break;
    const inner = after.slice(0, close.index);
    parts.push(text(rest.slice(0, open.index)), code(/^ .*[^ ].* $/.test(inner) ? inner.slice(1, -1) : inner));
    rest = after.slice(close.index + fence.length);
  }
  parts.push(text(rest));
  return brand(parts.join(''));
}

/** Md pieces joined; empty, false and undefined pieces are left out. */
export function join(parts: readonly (Md | false | undefined | null | '')[], separator: Md | '' | '\n' | '\n\n' | ', ' | ' ' | ' · ' = '\n\n'): Md {
  return brand(parts.filter((p): p is Md => typeof p === 'string' && p !== '').join(separator));
}

/** A link, when the address is known; the label alone otherwise. The address is ours (built from the server URL). */
export function link(label: Md, url: string | undefined): Md {
  if (!url) return label;
  const href = encodeURI(decodeURI(url)).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return brand(`[${label}](${href})`);
}

/** A table. Headers are ours and never empty (a table without a header row renders as a grey strip). */
export function table(headers: readonly string[], rows: readonly (readonly Md[])[]): Md {
  if (headers.length === 0 || headers.some((h) => h.trim() === '')) {
    throw new Error(`a Markdown table needs a header for every column: ${JSON.stringify(headers)}`);
  }
  // A bare `|` would end the cell, also inside a code span: GFM reads `\|` there as `|`.
  const cell = (c: string): string => c.replace(/\r?\n/g, ' ').replace(/(?<!\\)\|/g, '\\|');
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return brand([line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n'));
}

/** A two-column table of facts: our labels on the left, values on the right, under a real header. */
export function facts(rows: readonly (readonly [label: string, value: Md] | false | undefined)[], headers: readonly [string, string] = ['field', 'value']): Md {
  const kept = rows.filter((r): r is readonly [string, Md] => Array.isArray(r));
  return table(headers, kept.map(([label, value]) => [brand(label), value]));
}

/** A fenced code block that its content cannot close; blank lines are dropped, so it stays one block. */
export function codeBlock(content: string, language = ''): Md {
  const body = content
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .join('\n');
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return brand(`${fence}${language}\n${body}\n${fence}`);
}

/**
 * Shell commands to paste, one per line in a `sh` block: `a && b` becomes two lines, and a line
 * longer than `width` is wrapped before an option or argument with ` \`. Quoting is the caller's.
 */
export function commands(lines: readonly string[], width = 88): Md {
  const out: string[] = [];
  for (const line of lines.flatMap(splitAnd)) out.push(...wrapCommand(line, width));
  return codeBlock(out.join('\n'), 'sh');
}

/** Splits `a && b` into its commands (outside quotes). */
function splitAnd(line: string): string[] {
  const words = shellWords(line);
  const commands: string[][] = [[]];
  for (const word of words) {
    if (word === '&&') commands.push([]);
    else commands.at(-1)!.push(word);
  }
  return commands.filter((c) => c.length > 0).map((c) => c.join(' '));
}

/** A long command on several lines, each continued with ` \`, breaking between words (never inside quotes). */
function wrapCommand(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const words = shellWords(line);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const candidate = current ? `${current} ${word}` : word;
    // Break before an option when the line has grown, or whenever it would overflow.
    if (current && (candidate.length > width - 2 || (word.startsWith('-') && current.length > width / 2))) {
      lines.push(`${current} \\`);
      current = `  ${word}`;
    } else current = candidate;
  }
  lines.push(current);
  return lines;
}

/** The words of a command line as written (quotes kept), split on unquoted blanks. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      word += c;
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
    } else if (c === "'" || c === '"') {
      quote = c;
      word += c;
    } else if (c === '\\' && i + 1 < line.length) {
      word += c + line[++i];
    } else if (c === ' ' || c === '\t') {
      if (word) words.push(word);
      word = '';
    } else word += c;
  }
  if (word) words.push(word);
  return words;
}

/** Collapsed content: the summary line shows, the body opens on a click. */
export function details(summary: Md, body: Md, open = false): Md {
  return brand(`<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`);
}

/** A bulleted list, one item per line. */
export function bullets(items: readonly Md[]): Md {
  return brand(items.map((item) => `- ${item.replace(/\r?\n/g, ' ')}`).join('\n'));
}

/** The one headline of a report: `## <icon> <title>`. */
export function headline(icon: string, title: Md, level: 2 | 3 = 2): Md {
  return brand(`${'#'.repeat(level)} ${icon ? `${icon} ` : ''}${title.replace(/\r?\n/g, ' ')}`);
}

/** A section heading inside a report. */
export function heading(title: Md, level: 3 | 4 = 3): Md {
  return brand(`${'#'.repeat(level)} ${title.replace(/\r?\n/g, ' ')}`);
}

/** A noun's plural: commits, dependencies, matches. */
function pluralWord(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/**
 * An engine message's "2 commit(s)" as "2 commits" and "1 commit(s)" as "1 commit" (the count up to
 * three words before the noun); a "(s)" with no count becomes the plural. For our own messages only.
 */
export function realPlurals(message: string): string {
  return message
    .replace(/\b(\d[\d,]*)((?:[ \t]+[A-Za-z'-]+){0,3}?)[ \t]+([A-Za-z]+)\(s\)/g, (_m, count: string, between: string, word: string) =>
      `${count}${between} ${Number(count.replace(/,/g, '')) === 1 ? word : pluralWord(word)}`,
    )
    .replace(/([A-Za-z]+)\(s\)/g, (_m, word: string) => pluralWord(word));
}

/** `1 commit`, `2 commits`: a count with its noun. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${groupDigits(count)} ${count === 1 ? singular : pluralForm}`;
}

/**
 * `80000` as `80,000`: what `toLocaleString('en-US')` prints for a whole number, without the
 * ~25 ms its first call spends loading the locale data (other numbers go to it).
 */
export function groupDigits(count: number): string {
  if (!Number.isSafeInteger(count) || Object.is(count, -0)) return count.toLocaleString('en-US');
  const digits = String(Math.abs(count));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let at = out.length; at < digits.length; at += 3) out += `,${digits.slice(at, at + 3)}`;
  return count < 0 ? `-${out}` : out;
}

/** The most GitHub stores in an issue comment, a pull request body or an issue body. */
export const GITHUB_BODY_LIMIT = 65_536;

/**
 * Keeps Markdown under `limit` characters: cuts at a line boundary, closes a fence or a
 * `<details>` left open by the cut, and ends with `tail` (say where the rest is).
 */
export function fit(markdown: Md, tail: Md, limit = GITHUB_BODY_LIMIT): Md {
  if (markdown.length <= limit) return markdown;
  const room = limit - tail.length - 64;
  let cut = markdown.slice(0, Math.max(0, room));
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > 0) cut = cut.slice(0, lastBreak);
  let closing = '';
  const fences = cut.match(/^(`{3,}|~{3,})/gm) ?? [];
  let open: string | undefined;
  for (const f of fences) {
    if (open === undefined) open = f;
    else if (f[0] === open[0] && f.length >= open.length) open = undefined;
  }
  if (open) closing += `\n${open}`;
  const opened = (cut.match(/<details[\s>]/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  for (let i = 0; i < opened; i++) closing += '\n\n</details>';
  return brand(`${cut}${closing}\n\n${tail}`);
}

/** Links into the repository on GitHub, when the server and the repository are known. */
export interface GitHubLinks {
  /** e.g. https://github.com/octo-org/octo-repo */
  repository?: string;
  /** The workflow run that rendered the report. */
  run?: string;
}

/** Links for the run an event context describes (its server URL, repository and run). */
export function contextLinks(context: { serverUrl?: string; repository?: string; runUrl?: string }): GitHubLinks {
  return repositoryLinks(context.serverUrl, context.repository, context.runUrl);
}

export function repositoryLinks(serverUrl: string | undefined, repository: string | undefined, runUrl?: string): GitHubLinks {
  return { repository: serverUrl && repository ? `${serverUrl.replace(/\/+$/, '')}/${repository}` : undefined, run: runUrl };
}

/** A commit's short sha, linked to the commit. */
export function commitLink(links: GitHubLinks | undefined, sha: string, length = 12): Md {
  const label = code(sha.slice(0, length));
  return /^[0-9a-f]{7,64}$/i.test(sha) && links?.repository ? link(label, `${links.repository}/commit/${sha}`) : label;
}

/** `#12`, linked to the pull request. */
export function pullLink(links: GitHubLinks | undefined, number: number): Md {
  const label = brand(`#${number}`);
  return links?.repository ? link(label, `${links.repository}/pull/${number}`) : label;
}

/** A file path, linked to the file at a commit. */
export function fileLink(links: GitHubLinks | undefined, path: string, sha: string | undefined): Md {
  const label = code(path);
  if (!links?.repository || !sha || !/^[0-9a-f]{7,64}$/i.test(sha)) return label;
  return link(label, `${links.repository}/blob/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`);
}

/** "the run's summary", linked to the run. */
export function runLink(links: GitHubLinks | undefined, label = 'the run'): Md {
  return link(brand(label), links?.run);
}
