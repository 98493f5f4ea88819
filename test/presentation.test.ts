/**
 * What every line we print says, read from the sources themselves: the string and template
 * literals of the engine, the actions and the CLI (log lines, errors, annotations, terminal output).
 * - real plurals: no "commit(s)", "recovery(ies)" (write `plural(n, 'commit')` / `count(...)`);
 * - one arrow for imports everywhere, → ("imported by", as the reports' legend says): no ←.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const FILES = [
  ...readdirSync(join(ROOT, 'packages')).flatMap((p) => sources(join('packages', p, 'src'))),
  ...readdirSync(join(ROOT, 'actions')).flatMap((a) => sources(join('actions', a, 'src'))),
];

/** Every literal text of a file (strings, templates without their `${…}`), with its line. */
function literals(file: string): Array<{ line: number; text: string }> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Array<{ line: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
    }
    node.forEachChild(visit);
  };
  visit(source);
  return found;
}

function offending(pattern: RegExp): string[] {
  return FILES.flatMap((file) => literals(file).filter((l) => pattern.test(l.text)).map((l) => `${relative(ROOT, join(ROOT, file))}:${l.line}: ${l.text.trim().slice(0, 100)}`));
}

describe('what we print, in the sources', () => {
  it('reads every source file of the engine, the actions and the CLI', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(FILES).toEqual(expect.arrayContaining(['packages/core/src/rollback/rollback.ts', 'packages/cli/src/commands/status.ts', 'actions/bisect-round/src/main.ts']));
    // The scanner sees literal text, not code: `Number(s)` is no plural, "commit(s)" in a template is.
    expect(literals('packages/core/src/base/time.ts').some((l) => /Number\(s\)/.test(l.text))).toBe(false);
  });

  it('says real plurals, never "(s)"', () => {
    expect(offending(/[A-Za-z]\((s|es|ies)\)(?![\w(])/)).toEqual([]);
  });

  it('draws import chains with one arrow, →: imported by', () => {
    expect(offending(/←/)).toEqual([]);
    // Wherever a chain is joined with →, the same file says what → means.
    const joining = FILES.filter((file) => /chain[\w.!?[\]()]*\.join\(' → '\)/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(joining.length).toBeGreaterThanOrEqual(3);
    for (const file of joining) expect({ file, legend: literals(file).some((l) => l.text.includes('→: imported by')) }).toEqual({ file, legend: true });
  });
});
