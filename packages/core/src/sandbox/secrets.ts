/**
 * Secrets never reach a report, a summary or a comment: the output of a user's command is scrubbed
 * of the values of environment variables whose names look secret, and of whatever the secretlint
 * recommended rules flag (tokens of npm, GitHub, AWS, Slack, private keys, basic-auth URLs, ...).
 * The same scanner looks at the lines a rollback would re-introduce.
 */
import type { Git } from '../git/git.js';

/** Names of variables whose values are treated as secrets. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH|SESSION_?KEY|COOKIE)/i;
/** Shorter values are not scrubbed (`true`, `1`, `none` would blank out ordinary text). */
const MIN_SECRET_LENGTH = 6;
export const REDACTED = '***';

export function secretEnvValues(env: Record<string, string | undefined>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

interface Flagged {
  start: number;
  end: number;
  rule: string;
}

type LintSource = typeof import('@secretlint/core').lintSource;
type Rule = import('@secretlint/types').SecretLintCoreConfigUnionRule;
let scanner: Promise<{ lintSource: LintSource; rule: Rule }> | undefined;

/** secretlint's core with its recommended preset, loaded once when first needed. */
function secretlint(): Promise<{ lintSource: LintSource; rule: Rule }> {
  scanner ??= Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]).then(([core, preset]) => ({
    lintSource: core.lintSource,
    rule: { id: preset.creator.meta.id, rule: preset.creator } as unknown as Rule,
  }));
  return scanner;
}

/** What secretlint flags in `content`, as character ranges. */
async function flag(content: string, filePath = 'output.txt'): Promise<Flagged[]> {
  if (!content) return [];
  const { lintSource, rule } = await secretlint();
  const dot = filePath.lastIndexOf('.');
  const result = await lintSource({
    source: { content, filePath, ext: dot > filePath.lastIndexOf('/') ? filePath.slice(dot) : '', contentType: 'text' },
    options: { config: { rules: [rule] }, maskSecrets: true, noPhysicFilePath: true },
  });
  return result.messages.map((m) => ({ start: m.range[0], end: m.range[1], rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, '') }));
}

/** `text` with secret values and flagged secrets replaced by `***`. */
export async function scrubSecrets(text: string, env: Record<string, string | undefined>): Promise<string> {
  let scrubbed = text;
  for (const value of secretEnvValues(env)) scrubbed = scrubbed.split(value).join(REDACTED);
  const ranges = (await flag(scrubbed)).sort((a, b) => b.start - a.start);
  for (const r of ranges) scrubbed = `${scrubbed.slice(0, r.start)}${REDACTED}${scrubbed.slice(r.end)}`;
  return scrubbed;
}

/** A secret in a line the rollback would add back. The secret itself is never recorded. */
export interface SecretFinding {
  file: string;
  line: number;
  /** The secretlint rule that flagged it (`npm`, `github`, ...), or `env:<NAME>` for a known value. */
  rule: string;
}

/**
 * Scans the lines that going from `fromTree` to `toTree` adds (what a rollback re-introduces):
 * each file's added lines are scanned together, and findings are reported by file and line.
 */
export async function scanAddedLines(git: Git, fromTree: string, toTree: string, env: Record<string, string | undefined> = {}): Promise<SecretFinding[]> {
  const diff = await git.run(['diff-tree', '-r', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-renames', '--text', fromTree, toTree]);
  const files = new Map<string, Array<{ line: number; text: string }>>();
  let file = '';
  let line = 0;
  for (const raw of diff.stdout.split('\n')) {
    if (raw.startsWith('+++ ')) {
      file = raw === '+++ /dev/null' ? '' : raw.slice(4).replace(/^"?b\//, '').replace(/"$/, '');
      continue;
    }
    const hunk = raw.match(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (raw.startsWith('+') && file) {
      const lines = files.get(file) ?? [];
      lines.push({ line, text: raw.slice(1) });
      files.set(file, lines);
      line++;
    }
  }
  const known = Object.entries(env).filter(([name, value]) => value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name));
  const findings: SecretFinding[] = [];
  for (const [path, lines] of files) {
    const content = lines.map((l) => l.text).join('\n');
    const starts: number[] = [];
    let offset = 0;
    for (const l of lines) {
      starts.push(offset);
      offset += l.text.length + 1;
    }
    const lineAt = (index: number): number => {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > index) i--;
      return lines[i]!.line;
    };
    for (const f of await flag(content, path)) findings.push({ file: path, line: lineAt(f.start), rule: f.rule });
    for (const [name, value] of known) {
      lines.forEach((l) => {
        if (l.text.includes(value!)) findings.push({ file: path, line: l.line, rule: `env:${name}` });
      });
    }
  }
  return findings;
}
