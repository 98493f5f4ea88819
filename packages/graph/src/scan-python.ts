/**
 * A fast import scanner for Python. One pass that skips comments and (triple-quoted, prefixed)
 * strings and recognises, at the start of a logical line or after `;` or a block's `:`,
 *
 *   import a.b.c [as x], d          -> 'a.b.c', 'd'
 *   from a.b import c, d as e       -> 'a.b' naming 'c', 'a.b' naming 'd'
 *   from . import x / from ..pkg import (y, z)
 *
 * Conditional imports (inside if/try/functions) count. Never throws on malformed input.
 */
import { LineCounter } from './lines.js';
import type { ImportRef } from './types.js';

const CH_TAB = 9;
const CH_LF = 10;
const CH_FF = 12;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_DQUOTE = 34;
const CH_HASH = 35;
const CH_SQUOTE = 39;
const CH_LPAREN = 40;
const CH_RPAREN = 41;
const CH_STAR = 42;
const CH_COMMA = 44;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_SEMI = 59;
const CH_BACKSLASH = 92;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isOpenBracket(c: number): boolean {
  return c === CH_LPAREN || c === 91 || c === 123;
}

function isCloseBracket(c: number): boolean {
  return c === CH_RPAREN || c === 93 || c === 125;
}

/** 'r', 'b', 'f', 'u', 't' and their two-letter combinations prefix string literals. */
function isStringPrefix(word: string): boolean {
  return word.length <= 2 && /^[rRbBfFuUtT]{1,2}$/.test(word);
}

class PythonImportScanner {
  private pos = 0;
  private readonly len: number;
  private readonly imports: ImportRef[] = [];
  private readonly lines: LineCounter;

  constructor(
    private readonly src: string,
    private readonly report: ((message: string, line?: number) => void) | undefined,
  ) {
    this.len = src.length;
    this.lines = new LineCounter(src);
  }

  run(): ImportRef[] {
    const src = this.src;
    let depth = 0;
    let statementStart = true;
    while (this.pos < this.len) {
      const c = src.charCodeAt(this.pos);
      if (c === CH_LF) {
        if (depth === 0) statementStart = true;
        this.pos++;
      } else if (c === CH_SPACE || c === CH_TAB || c === CH_CR || c === CH_FF) {
        this.pos++;
      } else if (c === CH_BACKSLASH) {
        this.pos += 2; // line continuation (or a stray backslash)
      } else if (c === CH_HASH) {
        this.pos = this.lineEnd(this.pos);
      } else if (c === CH_SQUOTE || c === CH_DQUOTE) {
        this.pos = this.skipString(this.pos);
        statementStart = false;
      } else if (isIdentStart(c)) {
        const start = this.pos;
        const end = this.identEnd(start);
        const next = src.charCodeAt(end);
        if ((next === CH_SQUOTE || next === CH_DQUOTE) && isStringPrefix(src.slice(start, end))) {
          this.pos = this.skipString(end);
        } else if (statementStart && depth === 0 && this.isWord(start, end, 'import')) {
          this.pos = this.importStatement(end);
        } else if (statementStart && depth === 0 && this.isWord(start, end, 'from')) {
          this.pos = this.fromStatement(end);
        } else {
          this.pos = end;
        }
        statementStart = false;
      } else {
        if (isOpenBracket(c)) depth++;
        else if (isCloseBracket(c)) depth = depth > 0 ? depth - 1 : 0;
        statementStart = depth === 0 && (c === CH_SEMI || c === CH_COLON);
        this.pos++;
      }
    }
    return this.imports;
  }

  /** `import a.b [as x], c`: returns where scanning resumes. */
  private importStatement(afterWord: number): number {
    let p = afterWord;
    for (;;) {
      p = this.skipInline(p, false);
      const nameStart = p;
      p = this.dottedNameEnd(p);
      if (p === nameStart) return p;
      this.add(this.src.slice(nameStart, p), undefined, 'python-import', nameStart);
      p = this.skipAlias(p, false);
      if (this.src.charCodeAt(p) !== CH_COMMA) return p;
      p++;
    }
  }

  /** `from .a.b import (c, d as e)` or `from x import *`. */
  private fromStatement(afterWord: number): number {
    const src = this.src;
    let p = this.skipInline(afterWord, false);
    const moduleStart = p;
    while (src.charCodeAt(p) === CH_DOT) p = this.skipInline(p + 1, false);
    const wordEnd = this.identEnd(p);
    if (!this.isWord(p, wordEnd, 'import')) p = this.dottedNameEnd(p); // `from . import x` has no name
    if (p === moduleStart) return p;
    const module = src.slice(moduleStart, p).replace(/[\s\\]+/g, '');
    p = this.skipInline(p, false);
    const importEnd = this.identEnd(p);
    if (!this.isWord(p, importEnd, 'import')) return p;
    p = this.skipInline(importEnd, false);
    if (src.charCodeAt(p) === CH_STAR) {
      this.add(module, undefined, 'python-from', moduleStart);
      return p + 1;
    }
    const parenthesized = src.charCodeAt(p) === CH_LPAREN;
    if (parenthesized) p++;
    for (;;) {
      p = this.skipInline(p, parenthesized);
      const nameStart = p;
      p = this.identEnd(p);
      if (p === nameStart) break;
      this.add(module, src.slice(nameStart, p), 'python-from', moduleStart);
      p = this.skipAlias(p, parenthesized);
      if (src.charCodeAt(p) !== CH_COMMA) break;
      p++;
    }
    if (parenthesized && src.charCodeAt(p) === CH_RPAREN) p++;
    return p;
  }

  private skipAlias(from: number, multiline: boolean): number {
    let p = this.skipInline(from, multiline);
    const end = this.identEnd(p);
    if (this.isWord(p, end, 'as')) {
      p = this.skipInline(end, multiline);
      p = this.skipInline(this.identEnd(p), multiline);
    }
    return p;
  }

  /** `a.b.c` (spaces around dots allowed, as Python does). */
  private dottedNameEnd(from: number): number {
    const src = this.src;
    let p = this.identEnd(from);
    if (p === from) return p;
    for (;;) {
      const q = this.skipInline(p, false);
      if (src.charCodeAt(q) !== CH_DOT) return p;
      const r = this.skipInline(q + 1, false);
      const e = this.identEnd(r);
      if (e === r) return p;
      p = e;
    }
  }

  /** Spaces, tabs, backslash continuations; with `multiline` also newlines and comments (inside parentheses). */
  private skipInline(from: number, multiline: boolean): number {
    const src = this.src;
    let p = from;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === CH_SPACE || c === CH_TAB || c === CH_FF) p++;
      else if (c === CH_BACKSLASH && (src.charCodeAt(p + 1) === CH_LF || src.charCodeAt(p + 1) === CH_CR)) {
        p += src.charCodeAt(p + 1) === CH_CR && src.charCodeAt(p + 2) === CH_LF ? 3 : 2;
      } else if (multiline && (c === CH_LF || c === CH_CR)) p++;
      else if (multiline && c === CH_HASH) p = this.lineEnd(p);
      else if (c === CH_CR && src.charCodeAt(p + 1) === CH_LF) return p + 1;
      else return p;
    }
    return p;
  }

  private add(specifier: string, name: string | undefined, kind: 'python-import' | 'python-from', at: number): void {
    const spec = kind === 'python-import' ? specifier.replace(/[\s\\]+/g, '') : specifier;
    const line = this.lines.lineAt(at);
    this.imports.push(name === undefined ? { specifier: spec, kind, line } : { specifier: spec, kind, line, name });
  }

  private identEnd(from: number): number {
    let p = from;
    while (p < this.len && isIdentPart(this.src.charCodeAt(p))) p++;
    return p;
  }

  private isWord(start: number, end: number, word: string): boolean {
    return end - start === word.length && this.src.startsWith(word, start);
  }

  private lineEnd(from: number): number {
    const nl = this.src.indexOf('\n', from);
    return nl < 0 ? this.len : nl;
  }

  /** The index after a string literal starting at its quote; single-quoted ones end at their line. */
  private skipString(start: number): number {
    const src = this.src;
    const quote = src.charCodeAt(start);
    const triple = src.charCodeAt(start + 1) === quote && src.charCodeAt(start + 2) === quote;
    let p = start + (triple ? 3 : 1);
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === CH_BACKSLASH) {
        p += 2;
      } else if (c === quote) {
        if (!triple) return p + 1;
        if (src.charCodeAt(p + 1) === quote && src.charCodeAt(p + 2) === quote) return p + 3;
        p++;
      } else if (!triple && (c === CH_LF || c === CH_CR)) {
        return p;
      } else {
        p++;
      }
    }
    if (triple) this.report?.('unterminated triple-quoted string', this.lines.lineAt(start));
    return p;
  }
}

/** The imports of Python source text, in order of appearance. */
export function scanPythonImports(source: string, report?: (message: string, line?: number) => void): ImportRef[] {
  return new PythonImportScanner(source, report).run();
}
