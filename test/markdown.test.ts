/**
 * The Markdown building blocks, rendered as GitHub renders them (marked with GFM): untrusted text
 * shows as typed and makes no link, mention, reference, heading or HTML; our own backticks are code;
 * tables have a header; fences hold no blank line; long commands wrap; bodies fit GitHub's limit.
 */
import { describe, expect, it } from '@jest/globals';
import { marked } from 'marked';
import {
  realPlurals,
  code,
  commands,
  commitLink,
  details,
  facts,
  fileLink,
  fit,
  GITHUB_BODY_LIMIT,
  join,
  md,
  plural,
  prose,
  pullLink,
  repositoryLinks,
  table,
  text,
  trusted,
  type Md,
} from '../packages/core/src/output/markdown.js';
import { checkMarkdown } from './harness/markdown-check.js';

const render = (markdown: string): string => marked.parse(markdown, { gfm: true, async: false });
/** The text a reader sees: tags dropped, entities decoded, zero-width spaces removed. */
const visible = (html: string): string =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#8203;|\u200b/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

/** What GitHub would turn into a mention, an issue reference or a bare-URL link in a text node. */
const GITHUB_AUTOREFS = /(^|[^\w])@[A-Za-z0-9]|(^|[^\w&])#\d|\bGH-\d|https?:\/\/|\bwww\./i;

const HOSTILE = [
  'Fix login @octocat (see https://evil.example/x and www.evil.example), mail root@evil.example',
  '# Heading\n## another\n- list',
  '<img src=x onerror=alert(1)> <script>alert(1)</script> <!-- comment',
  '[click](https://evil.example) ![img](https://evil.example/i.png) <https://evil.example>',
  'closes #12, fixes GH-7 and octo/repo#3',
  '**bold** _em_ ~~strike~~ `code` | pipe | --- \\ backslash',
  '1. ordered',
  '- dash start',
  '=====',
  '> quote &amp; entity &copy;',
  'feat: a `tick` and ``double`` ticks',
];

describe('text(): untrusted text shows as typed and makes nothing', () => {
  it.each(HOSTILE)('%s', (hostile) => {
    const html = render(text(hostile));
    expect(html).not.toMatch(/<(a|img|script|h\d|ul|ol|li|blockquote|strong|em|del|code|table|hr)\b/);
    expect(html).not.toMatch(/<!--/);
    const seen = html.replace(/<\/?p>/g, '').replace(/&#8203;/g, '');
    expect(seen.replace(/<[^>]+>/g, '')).toBe(seen); // no tag at all besides the paragraph
    expect(visible(html)).toBe(hostile.replace(/\n/g, ' '));
    // What GitHub's own filters would link in the text node: mentions, #refs, bare URLs.
    expect(html.replace(/&amp;/g, '&')).not.toMatch(GITHUB_AUTOREFS);
  });

  it('inside a table cell too', () => {
    const html = render(table(['subject', 'sha'], [[text('a | b @octocat https://evil.example'), code('a|b')]]));
    expect(html).toContain('<td>a | b @\u200boctocat https:\u200b//evil.example</td>');
    expect(html).toContain('<td><code>a|b</code></td>');
  });
});

describe('code(): untrusted text as inline code', () => {
  it.each(['plain', 'a `tick`', '``two``', '`edge`', 'a|b', ' '])('%j stays one code span showing the text', (value) => {
    const html = render(code(value));
    expect(html.match(/<code>/g)).toHaveLength(1);
    expect(visible(html)).toBe(value.trim() === '' ? '' : value);
  });

  it('an empty value says so', () => {
    expect(code('')).toBe('*(empty)*');
  });
});

describe('md and prose: our own text keeps its Markdown', () => {
  it('md interpolates only Md and numbers; literals are ours', () => {
    const branch = 'feature/@octocat-`x`';
    const out = md`Add the \`cross-layer\` label to ${code(branch)} (${3} files) or ${text('**not bold**')}`;
    const html = render(out);
    expect(html).toContain('<code>cross-layer</code>');
    expect(html).toContain('<code>feature/@octocat-`x`</code>');
    expect(html).not.toContain('<strong>');
    // @ts-expect-error a plain string is not Md: untrusted text cannot slip in unescaped
    const refused = md`${'plain'}`;
    expect(typeof refused).toBe('string');
  });

  it('prose: the code spans of an engine message are code, the rest is escaped text', () => {
    const message = 'src/app/@admin/[id].ts is protected (schema <b>change</b>); the pull request needs the `db-ok` label.';
    const html = render(prose(message));
    expect(html).toContain('<code>db-ok</code>');
    expect(html).not.toMatch(/<b>|<a /);
    expect(visible(html)).toBe(message.replace(/`/g, ''));
    expect(render(prose('an unpaired ` backtick'))).toContain('an unpaired ` backtick');
  });
});

describe('tables, facts, fences, commands', () => {
  it('a table refuses an empty header', () => {
    expect(() => table(['', ''], [])).toThrow(/needs a header for every column/);
  });

  it('facts: a key/value table under a real header', async () => {
    const out = facts([['tag', code('checkpoint/pr-1')], false, ['pushed', trusted('yes')]], ['checkpoint', 'value']);
    expect(out).toBe('| checkpoint | value |\n| --- | --- |\n| tag | `checkpoint/pr-1` |\n| pushed | yes |');
    expect(await checkMarkdown(out, { kind: 'comment' })).toEqual([]);
  });

  it('commands: one per line, long ones wrapped with \\ between words, no blank line, quotes kept whole', async () => {
    const long = `git push --force-with-lease=refs/heads/agent/session-42:${'a'.repeat(40)} origin ${'b'.repeat(40)}:refs/heads/agent/session-42`;
    const out = commands(["git fetch origin 'refs/rollback-gate/backup/my session' && git switch --create restore 'checkpoint/a b'", '', long]);
    const lines = out.split('\n');
    expect(lines[0]).toBe('```sh');
    expect(lines.at(-1)).toBe('```');
    expect(lines).toContain("git fetch origin 'refs/rollback-gate/backup/my session'");
    expect(lines).toContain("git switch --create restore 'checkpoint/a b'");
    // A line is over the width only when it is one word that cannot be broken.
    expect(lines.filter((line) => line.length > 90 && line.trim().replace(/ \\$/, '').includes(' '))).toEqual([]);
    expect(lines.filter((line) => line.endsWith(' \\')).length).toBeGreaterThan(0);
    expect(lines.slice(1, -1).join('\n').replace(/ \\\n\s*/g, ' ')).toContain(long);
    expect(await checkMarkdown(out, { kind: 'comment' })).toEqual([]);
  });
});

describe('links', () => {
  const links = repositoryLinks('https://github.com', 'octo-org/octo-repo', 'https://github.com/octo-org/octo-repo/actions/runs/42');

  it('commits, pull requests and files link when the server is known', () => {
    expect(commitLink(links, 'a'.repeat(40))).toBe(`[\`aaaaaaaaaaaa\`](https://github.com/octo-org/octo-repo/commit/${'a'.repeat(40)})`);
    expect(pullLink(links, 12)).toBe('[#12](https://github.com/octo-org/octo-repo/pull/12)');
    expect(fileLink(links, 'src/a b(1).ts', 'c'.repeat(40))).toBe(`[\`src/a b(1).ts\`](https://github.com/octo-org/octo-repo/blob/${'c'.repeat(40)}/src/a%20b%281%29.ts)`);
  });

  it('and are plain text when it is not', () => {
    expect(commitLink(undefined, 'a'.repeat(40))).toBe('`aaaaaaaaaaaa`');
    expect(pullLink(undefined, 12)).toBe('#12');
    expect(commitLink(links, 'not-a-sha')).toBe('`not-a-sha`');
  });
});

describe('plurals', () => {
  it.each([
    [0, 'commits'],
    [1, 'commit'],
    [2, 'commits'],
    [1234, 'commits'],
  ])('%i', (count, noun) => {
    expect(plural(count, 'commit')).toBe(`${count.toLocaleString('en-US')} ${noun}`);
  });
  it('irregular', () => expect(plural(2, 'dependency', 'dependencies')).toBe('2 dependencies'));
  it.each([
    ['session s1: 2 commit(s) on main; 3 later commit(s) kept', 'session s1: 2 commits on main; 3 later commits kept'],
    ['1 unit(s) cannot be rolled back', '1 unit cannot be rolled back'],
    ['1 irreversible file(s) need a label', '1 irreversible file need a label'],
    ['1,234 entry(s) and the match(s)', '1,234 entries and the matches'],
    ['the commit(s) of the session', 'the commits of the session'],
  ])('an engine message with "(s)": %s', (message, plain) => {
    expect(realPlurals(message)).toBe(plain);
    expect(prose(message)).not.toMatch(/\(s\)|\\\(s\\\)/);
  });
});

describe("fit: a body held under GitHub's 65,536 characters", () => {
  const row = (i: number): Md[] => [code(`src/file-${i}.ts`), text(`a subject line that is long enough ${i}`)];
  const big = join([md`## ✅ big`, table(['file', 'subject'], Array.from({ length: 3000 }, (_, i) => row(i))), details(md`more`, commands(['echo hi']))]);
  const tail = md`…cut here: the whole report is in the run's summary.`;

  it('leaves a body at the limit as it is, and cuts one a character over', () => {
    const exact = trusted(`${big.slice(0, GITHUB_BODY_LIMIT - 1)}x`);
    expect(exact.length).toBe(GITHUB_BODY_LIMIT);
    expect(fit(exact, tail)).toBe(exact);
    const over = trusted(`${exact}y`);
    const cut = fit(over, tail);
    expect(cut.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(cut.endsWith(tail)).toBe(true);
  });

  it('cuts at a line, closes what the cut left open, and reads well', async () => {
    expect(big.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    const cut = fit(big, tail);
    expect(cut.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(await checkMarkdown(cut, { kind: 'comment' })).toEqual([]);
    const inFence = fit(join([md`## ✅ log`, commands(Array.from({ length: 9000 }, (_, i) => `echo ${i}`))]), tail);
    expect(inFence.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(render(inFence)).toContain('<p>…cut here');
    const inDetails = fit(join([md`## ✅ log`, details(md`all`, table(['file', 'subject'], Array.from({ length: 3000 }, (_, i) => row(i))))]), tail);
    expect(inDetails.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(inDetails).toMatch(/<\/details>\n\n…cut here/);
  });
});

describe('the checker finds what reads badly (it can fail)', () => {
  it.each([
    ['| | |\n| --- | --- |\n| tag | x |', /empty header row/],
    ['```sh\na\n\nb\n```', /blank line inside/],
    ['Add the \\`cross-layer\\` label', /escaped backtick/],
    ['mail a@example.com', /a link to mailto:a@example.com/],
    ['see https://evil.example', /a link to https:\/\/evil.example/],
    ['<img src=x>', /raw HTML/],
    ['## one\n\n## two', /2 headlines/],
    ['3 commit(s)', /"\(s\)" plural/],
    ['```mermaid\ngraph LR\n  a[[[ -->\n```', /mermaid block does not parse/],
    ["x".repeat(GITHUB_BODY_LIMIT + 1), /GitHub stores at most 65536/],
    ['thanks @octocat', /a mention/],
  ])('finds %p', async (body, problem) => {
    expect((await checkMarkdown(body, { kind: 'comment' })).join('\n')).toMatch(problem);
  });

  it('and passes a mermaid graph that parses', async () => {
    expect(await checkMarkdown('## ✅ graph\n\n```mermaid\ngraph RL\n  n0["src/a.ts"]:::changed\n  n1["src/b.ts"]\n  n1 --> n0\n  classDef changed fill:#fde68a\n```', { kind: 'comment' })).toEqual([]);
  });
});
