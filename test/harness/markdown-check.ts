/**
 * Reads Markdown the way GitHub renders it (GitHub-flavoured Markdown through `marked`, mermaid
 * blocks through mermaid's own parser) and lists what would read badly or be unsafe:
 * an empty table header row, an escaped or stray backtick shown in our own text, a blank line inside
 * a fence, a mermaid block that does not parse, a link anywhere but the repository's GitHub pages,
 * raw HTML other than <details>/<summary> and our hidden markers, a mention, more than one headline,
 * a "(s)" plural, a body over GitHub's 65,536-character limit, a runner temp path in a comment.
 */
import { Lexer, marked, type Token, type Tokens } from 'marked';

export type MarkdownKind = 'summary' | 'comment' | 'pr-body' | 'issue-body';

export interface MarkdownCheckOptions {
  kind: MarkdownKind;
  /** Links may point only here (and to a few documentation hosts). */
  allowedLinkPrefixes?: readonly string[];
  /** Paths that must not appear (the runner's temp folder). */
  forbiddenPaths?: readonly string[];
  /** A message to people that mentions someone on purpose (a trigger asking the culprit's author). */
  allowMentions?: boolean;
}

/** GitHub's limit for an issue comment, a pull request body and an issue body. */
export const GITHUB_BODY_LIMIT = 65_536;

const DEFAULT_LINKS = ['https://github.com/', 'https://www.githubstatus.com', 'https://docs.github.com/'];

/** HTML we write on purpose: collapsible sections and the hidden markers. */
const ALLOWED_HTML = /^(?:<\/?details(?: open)?>|<\/?summary>|<!-- rollback-gate:[^>]*-->|<br\s*\/?>|<\/?sub>|<\/?sup>)$/;

function walk(tokens: readonly Token[], visit: (token: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    const nested = token as { tokens?: Token[]; items?: Token[]; header?: Tokens.TableCell[]; rows?: Tokens.TableCell[][] };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    if (nested.header) for (const cell of nested.header) walk(cell.tokens, visit);
    if (nested.rows) for (const row of nested.rows) for (const cell of row) walk(cell.tokens, visit);
  }
}

/** The problems of one body; an empty list when it reads well. */
export async function checkMarkdown(body: string, options: MarkdownCheckOptions): Promise<string[]> {
  const problems: string[] = [];
  const allowedLinks = options.allowedLinkPrefixes ?? DEFAULT_LINKS;
  if (options.kind !== 'summary' && body.length > GITHUB_BODY_LIMIT) {
    problems.push(`${options.kind} is ${body.length} characters; GitHub stores at most ${GITHUB_BODY_LIMIT}`);
  }
  for (const path of options.forbiddenPaths ?? []) {
    if (path && options.kind !== 'summary' && body.includes(path)) problems.push(`${options.kind} names a runner temp path (${path}): name the artifact and link the run instead`);
  }
  if (/\\?\(s\\?\)/.test(body)) problems.push(`"(s)" plural: ${JSON.stringify(body.match(/.{0,30}\\?\(s\\?\).{0,10}/)?.[0])}`);

  const tokens = new Lexer({ gfm: true }).lex(body);
  let headlines = 0;
  const mermaidBlocks: string[] = [];
  walk(tokens, (token) => {
    switch (token.type) {
      case 'table': {
        const table = token as Tokens.Table;
        if (table.header.every((cell) => cell.text.trim() === '')) problems.push(`a table has an empty header row (first row: ${JSON.stringify(table.rows[0]?.map((c) => c.text))})`);
        break;
      }
      case 'code': {
        const block = token as Tokens.Code;
        if (block.codeBlockStyle !== 'indented' && block.text.split('\n').some((line) => line.trim() === '')) {
          problems.push(`a fenced block has a blank line inside: ${JSON.stringify(block.text.slice(0, 80))}`);
        }
        if (block.codeBlockStyle === 'indented') problems.push(`an indented code block (four spaces) where none was meant: ${JSON.stringify(block.text.slice(0, 60))}`);
        if (block.lang === 'mermaid') mermaidBlocks.push(block.text);
        break;
      }
      case 'heading': {
        const heading = token as Tokens.Heading;
        if (heading.depth <= 2) headlines++;
        if (heading.text.trim() === '') problems.push('an empty heading');
        break;
      }
      case 'link': {
        const href = (token as Tokens.Link).href;
        if (!allowedLinks.some((prefix) => href.startsWith(prefix))) problems.push(`a link to ${href} (${JSON.stringify((token as Tokens.Link).text)})`);
        break;
      }
      case 'html': {
        for (const tag of (token as Tokens.HTML).raw.match(/<!--[\s\S]*?-->|<[^>]*>/g) ?? []) {
          if (!ALLOWED_HTML.test(tag.trim())) problems.push(`raw HTML ${JSON.stringify(tag.slice(0, 60))}`);
        }
        break;
      }
      case 'text': {
        const raw = (token as Tokens.Text).raw;
        if ((token as { tokens?: Token[] }).tokens) break; // its inline tokens are visited
        if (!options.allowMentions && /(^|[^\w`])@[A-Za-z0-9][A-Za-z0-9-]*/.test(raw.replace(/@&#8203;/g, ''))) problems.push(`a mention: ${JSON.stringify(raw.slice(0, 80))}`);
        if (/\\`/.test(raw) || /`/.test(raw)) problems.push(`a backtick shown as text: ${JSON.stringify(raw.slice(0, 80))}`);
        break;
      }
      case 'escape': {
        if ((token as Tokens.Escape).text === '`') problems.push('an escaped backtick shown as text');
        break;
      }
    }
  });
  if (headlines > 1) problems.push(`${headlines} headlines (# or ##): one per report`);
  const html = await marked.parse(body, { gfm: true });
  const visible = html.replace(/<code>[\s\S]*?<\/code>|<pre>[\s\S]*?<\/pre>/g, '');
  if (/<h[1-6][^>]*>\s*<\/h[1-6]>/.test(html)) problems.push('an empty heading');
  if (!options.allowMentions && /(^|[^\w&;/])@[A-Za-z0-9][A-Za-z0-9-]*/.test(visible.replace(/<[^>]+>/g, ' '))) problems.push(`a mention in ${JSON.stringify(visible.match(/.{0,30}@[A-Za-z0-9].{0,20}/)?.[0])}`);
  for (const source of mermaidBlocks) {
    const error = await mermaidError(source);
    if (error) problems.push(`a mermaid block does not parse: ${error}\n${source}`);
  }
  return problems;
}

/**
 * The reports whose Markdown the harness checks as it records them (every job summary of these
 * actions, every comment carrying their marker); the others are being reworked and join when done.
 */
export const CHECKED_REPORTS = new Set(['checkpoint', 'scope-guard', 'squash-session', 'verify-rollback', 'gate', 'rollback', 'postmortem', 'bisect-round']);

/** Throws with every problem of a body the tests produced, naming where it came from. */
export async function assertReadsWell(body: string, where: string, options: MarkdownCheckOptions): Promise<void> {
  const problems = await checkMarkdown(body, options);
  if (problems.length > 0) throw new Error(`${where} does not read well on GitHub:\n- ${problems.join('\n- ')}\n\n${body}`);
}

let mermaidParse: ((text: string) => Promise<unknown>) | undefined;

/**
 * mermaid's own parser. mermaid needs a DOM even to parse (DOMPurify), so a jsdom window is
 * installed as the global one first; nothing is rendered.
 */
async function mermaidError(source: string): Promise<string | undefined> {
  if (!mermaidParse) {
    const { JSDOM } = await import('jsdom');
    const { window } = new JSDOM('');
    const globals = globalThis as Record<string, unknown>;
    globals.window ??= window;
    globals.document ??= window.document;
    const mermaid = (await import('mermaid')).default;
    mermaidParse = (text) => mermaid.parse(text);
  }
  try {
    await mermaidParse(source);
    return undefined;
  } catch (error) {
    return error instanceof Error || (error && typeof error === 'object' && 'message' in error) ? String((error as { message: unknown }).message) : String(error);
  }
}
