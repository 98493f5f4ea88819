/**
 * A fast, forgiving import scanner for TypeScript and JavaScript. Not a parser: one pass over the
 * text that skips comments, strings, template literals and regular expressions well enough, and
 * recognises the import forms at the places they can appear:
 *
 *   import x from 'm'      import 'm'            import type { T } from 'm'
 *   export * from 'm'      export { a } from 'm' export type * as ns from 'm'
 *   require('m')           import('m')           import x = require('m')
 *   /// <reference path="m" />
 *
 * Linear in the input; a string is cut only for the words and specifiers it keeps. Never throws
 * on malformed input: unterminated constructs end at the line (strings, regexps) or the file.
 */
import { LineCounter } from './lines.js';
import type { ImportKind, ImportRef } from './types.js';

const CH_TAB = 9;
const CH_LF = 10;
const CH_VT = 11;
const CH_FF = 12;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_DQUOTE = 34;
const CH_HASH = 35;
const CH_DOLLAR = 36;
const CH_SQUOTE = 39;
const CH_LPAREN = 40;
const CH_RPAREN = 41;
const CH_STAR = 42;
const CH_COMMA = 44;
const CH_DOT = 46;
const CH_SLASH = 47;
const CH_0 = 48;
const CH_9 = 57;
const CH_EQ = 61;
const CH_BACKSLASH = 92;
const CH_LBRACKET = 91;
const CH_RBRACKET = 93;
const CH_UNDERSCORE = 95;
const CH_BACKTICK = 96;
const CH_LBRACE = 123;
const CH_RBRACE = 125;

/** Brace-stack markers: a plain `{`, or the `${` of a template literal. */
const BRACE_PLAIN = 0;
const BRACE_TEMPLATE = 1;


/** The characters the fast scan stops at besides the keywords (one shared instance: a scan is synchronous). */
const SPECIAL_CHARS = /[/'"`{}]/g;

function indexOrEnd(src: string, word: string, from: number): number {
  const at = src.indexOf(word, from);
  return at < 0 ? src.length : at;
}

const REFERENCE_PATH = /^\/\/\/\s*<reference\s+path\s*=\s*(["'])([^"'\r\n]*)\1/;

function isIdentStart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === CH_UNDERSCORE || c === CH_DOLLAR || c === CH_BACKSLASH || (c >= 128 && !isUnicodeSpace(c))
  );
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= CH_0 && c <= CH_9);
}

function isUnicodeSpace(c: number): boolean {
  return (
    c === 0xa0 || c === 0xfeff || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

function isSpace(c: number): boolean {
  return c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB || c === CH_VT || c === CH_FF || (c >= 128 && isUnicodeSpace(c));
}

/** Words after which a `/` starts a regular expression rather than a division. */
function isExpressionKeyword(src: string, start: number, length: number): boolean {
  switch (length) {
    case 2:
      return src.startsWith('in', start) || src.startsWith('of', start) || src.startsWith('do', start);
    case 3:
      return src.startsWith('new', start);
    case 4:
      return src.startsWith('case', start) || src.startsWith('else', start) || src.startsWith('void', start);
    case 5:
      return src.startsWith('throw', start) || src.startsWith('yield', start) || src.startsWith('await', start);
    case 6:
      return src.startsWith('return', start) || src.startsWith('typeof', start) || src.startsWith('delete', start);
    case 10:
      return src.startsWith('instanceof', start);
    default:
      return false;
  }
}

/** A string literal read by the scanner: its value and the index just past its closing quote. */
interface Literal {
  value: string;
  end: number;
}

class JsImportScanner {
  private pos = 0;
  private readonly len: number;
  private readonly imports: ImportRef[] = [];
  private readonly braces: number[] = [];
  /** True where a `/` would begin a regular expression. */
  private regexAllowed = true;
  /** True right after a member-access `.` (so `x.import(...)`/`x.require(...)` are not imports). */
  private afterDot = false;
  private readonly lines: LineCounter;

  constructor(
    private readonly src: string,
    private readonly report: ((message: string, line?: number) => void) | undefined,
  ) {
    this.len = src.length;
    this.lines = new LineCounter(src);
  }

  /**
   * Jumps from one token that matters to the next with native searches (a regular expression for
   * quotes, backticks, slashes and braces; indexOf for the words import / export / require). Everything between them
   * is plain code, read only backwards and only where a `/` or a keyword needs to know what came
   * before it. Gives exactly what `runEveryChar` gives (test/graph-scan.test.ts checks that on
   * thousands of files), several times faster, since most of a file is plain code.
   */
  run(): ImportRef[] {
    const src = this.src;
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
    if (src.charCodeAt(this.pos) === CH_HASH && src.charCodeAt(this.pos + 1) === CH_BANG) this.pos = this.lineEnd(this.pos);
    // What the char-by-char scan would know at `mark`: the end of the last token handled here.
    this.mark = this.pos;
    this.markRegex = true;
    this.markDot = false;
    const len = this.len;
    let from = this.pos;
    // The next occurrence at or after `from` of each thing worth stopping at (len: none left).
    let special = -1;
    let nextImport = -1;
    let nextExport = -1;
    let nextRequire = -1;
    for (;;) {
      if (special < from) {
        SPECIAL_CHARS.lastIndex = from;
        special = SPECIAL_CHARS.test(src) ? SPECIAL_CHARS.lastIndex - 1 : len;
      }
      if (nextImport < from) nextImport = indexOrEnd(src, 'import', from);
      if (nextExport < from) nextExport = indexOrEnd(src, 'export', from);
      if (nextRequire < from) nextRequire = indexOrEnd(src, 'require', from);
      const keyword = Math.min(nextImport, nextExport, nextRequire);
      if (keyword < special) {
        // import / export (6 letters) or require (7): a keyword only as a whole word, not after a dot.
        const start = keyword;
        const isRequire = start === nextRequire;
        const end = start + (isRequire ? 7 : 6);
        from = end;
        if ((start > 0 && isIdentPart(src.charCodeAt(start - 1))) || (end < len && isIdentPart(src.charCodeAt(end)))) continue;
        this.stateBefore(start);
        if (this.stateDot) continue;
        from = isRequire ? this.afterRequire(end) : start === nextImport ? this.afterImport(end) : this.afterExport(end);
        this.setMark(from, false, false);
        continue;
      }
      if (special >= len) break;
      const start = special;
      const c = src.charCodeAt(start);
      switch (c) {
        case CH_SQUOTE:
        case CH_DQUOTE:
          from = this.skipString(start, c);
          this.setMark(from, false, false);
          break;
        case CH_BACKTICK:
          from = this.skipTemplate(start + 1);
          this.setMark(from, false, false);
          break;
        case CH_LBRACE:
          this.braces.push(BRACE_PLAIN);
          from = start + 1;
          this.setMark(from, true, false);
          break;
        case CH_RBRACE:
          if (this.braces.pop() === BRACE_TEMPLATE) {
            from = this.skipTemplate(start + 1);
            this.setMark(from, false, false);
          } else {
            from = start + 1;
            this.setMark(from, true, false);
          }
          break;
        default: {
          // A slash: a comment (which changes nothing), a regular expression, or a division.
          this.stateBefore(start);
          const next = src.charCodeAt(start + 1);
          if (next === CH_SLASH) {
            from = this.lineEnd(start);
            if (src.charCodeAt(start + 2) === CH_SLASH) this.referenceDirective(start, from);
            this.setMark(from, this.stateRegex, this.stateDot);
          } else if (next === CH_STAR) {
            from = this.skipBlockComment(start);
            this.setMark(from, this.stateRegex, this.stateDot);
          } else if (this.stateRegex) {
            from = this.skipRegex(start);
            this.setMark(from, false, false);
          } else {
            from = start + 1;
            this.setMark(from, true, false);
          }
        }
      }
    }
    return this.imports;
  }

  private mark = 0;
  private markRegex = true;
  private markDot = false;
  /** Set by stateBefore: whether a `/` there starts a regular expression, and whether a keyword there follows a member-access dot. */
  private stateRegex = true;
  private stateDot = false;

  private setMark(at: number, regex: boolean, dot: boolean): void {
    this.mark = at;
    this.markRegex = regex;
    this.markDot = dot;
  }

  /**
   * The char-by-char scan's regexAllowed / afterDot just before `at`, from the plain code between
   * the mark and `at`: only its last token matters (`#` keeps the state before it).
   */
  private stateBefore(at: number): void {
    const src = this.src;
    const mark = this.mark;
    let p = at - 1;
    while (p >= mark && isSpace(src.charCodeAt(p))) p--;
    if (p < mark) {
      this.stateRegex = this.markRegex;
      this.stateDot = this.markDot;
      return;
    }
    const c = src.charCodeAt(p);
    if (isIdentPart(c)) {
      let w = p;
      while (w > mark && isIdentPart(src.charCodeAt(w - 1))) w--;
      this.stateDot = false;
      this.stateRegex = !this.inNumber(w) && isExpressionKeyword(src, w, p + 1 - w);
    } else if (c === CH_RPAREN || c === CH_RBRACKET) {
      this.stateRegex = false;
      this.stateDot = false;
    } else if (c === CH_DOT) {
      if (p - 2 >= mark && src.charCodeAt(p - 1) === CH_DOT && src.charCodeAt(p - 2) === CH_DOT && !(p - 3 >= mark && src.charCodeAt(p - 3) === CH_DOT)) {
        this.stateRegex = true; // spread
        this.stateDot = false;
      } else if (this.inNumber(p)) {
        this.stateRegex = false;
        this.stateDot = false;
      } else {
        this.stateRegex = false;
        this.stateDot = true;
      }
    } else if (c === CH_HASH) {
      this.stateBefore(p);
      this.stateDot = true;
    } else {
      this.stateRegex = true;
      this.stateDot = false;
    }
  }

  /** True when the character at `at` belongs to a number token (`1.5e3`, `.5`, `1.`): its run of word characters and dots starts with a digit. */
  private inNumber(at: number): boolean {
    const src = this.src;
    let q = at;
    while (q > this.mark) {
      const b = src.charCodeAt(q - 1);
      if (isIdentPart(b) || b === CH_DOT) q--;
      else break;
    }
    // Leading dots belong to the number only as `.5`; `x..y` / `...x` are punctuation.
    while (q < at && src.charCodeAt(q) === CH_DOT && !this.isDigit(q + 1)) q++;
    return this.isDigit(q);
  }

  /** The original scanner, one character at a time: the reference `run` is tested against. */
  runEveryChar(): ImportRef[] {
    const src = this.src;
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
    if (src.charCodeAt(this.pos) === CH_HASH && src.charCodeAt(this.pos + 1) === CH_BANG) this.pos = this.lineEnd(this.pos);
    while (this.pos < this.len) {
      const c = src.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      const wasAfterDot = this.afterDot;
      this.afterDot = false;
      if (isIdentStart(c)) {
        this.identifier(wasAfterDot);
        continue;
      }
      switch (c) {
        case CH_SLASH:
          this.slash(wasAfterDot);
          break;
        case CH_SQUOTE:
        case CH_DQUOTE:
          this.pos = this.skipString(this.pos, c);
          this.regexAllowed = false;
          break;
        case CH_BACKTICK:
          this.pos = this.skipTemplate(this.pos + 1);
          this.regexAllowed = false;
          break;
        case CH_LBRACE:
          this.braces.push(BRACE_PLAIN);
          this.pos++;
          this.regexAllowed = true;
          break;
        case CH_RBRACE:
          if (this.braces.pop() === BRACE_TEMPLATE) {
            this.pos = this.skipTemplate(this.pos + 1);
            this.regexAllowed = false;
          } else {
            this.pos++;
            this.regexAllowed = true;
          }
          break;
        case CH_RPAREN:
        case CH_RBRACKET:
          this.pos++;
          this.regexAllowed = false;
          break;
        case CH_DOT:
          if (src.charCodeAt(this.pos + 1) === CH_DOT && src.charCodeAt(this.pos + 2) === CH_DOT) {
            this.pos += 3;
            this.regexAllowed = true;
          } else if (this.isDigit(this.pos + 1)) {
            this.pos = this.skipNumber(this.pos);
            this.regexAllowed = false;
          } else {
            this.pos++;
            this.afterDot = true;
            this.regexAllowed = false;
          }
          break;
        case CH_HASH: // private name #x
          this.pos++;
          this.afterDot = true; // #import is a member name, not the keyword
          break;
        default:
          if (c >= CH_0 && c <= CH_9) {
            this.pos = this.skipNumber(this.pos);
            this.regexAllowed = false;
          } else {
            this.pos++;
            this.regexAllowed = true;
          }
      }
    }
    return this.imports;
  }

  private isDigit(at: number): boolean {
    const c = this.src.charCodeAt(at);
    return c >= CH_0 && c <= CH_9;
  }

  private skipNumber(at: number): number {
    let p = at + 1;
    while (p < this.len) {
      const c = this.src.charCodeAt(p);
      if (isIdentPart(c) || c === CH_DOT) p++;
      else break;
    }
    return p;
  }

  private identifier(wasAfterDot: boolean): void {
    const src = this.src;
    const start = this.pos;
    let end = start + 1;
    while (end < this.len && isIdentPart(src.charCodeAt(end))) end++;
    const length = end - start;
    this.pos = end;
    this.regexAllowed = isExpressionKeyword(src, start, length);
    if (wasAfterDot) return;
    if (length === 6) {
      if (src.startsWith('import', start)) this.pos = this.afterImport(end);
      else if (src.startsWith('export', start)) this.pos = this.afterExport(end);
    } else if (length === 7 && src.startsWith('require', start)) {
      this.pos = this.afterRequire(end);
    }
  }

  private slash(wasAfterDot: boolean): void {
    const src = this.src;
    const next = src.charCodeAt(this.pos + 1);
    if (next === CH_SLASH) {
      const end = this.lineEnd(this.pos);
      if (src.charCodeAt(this.pos + 2) === CH_SLASH) this.referenceDirective(this.pos, end);
      this.pos = end;
      this.afterDot = wasAfterDot;
    } else if (next === CH_STAR) {
      this.pos = this.skipBlockComment(this.pos);
      this.afterDot = wasAfterDot;
    } else if (this.regexAllowed) {
      this.pos = this.skipRegex(this.pos);
      this.regexAllowed = false;
    } else {
      this.pos++;
      this.regexAllowed = true;
    }
  }

  // ---- import forms -------------------------------------------------------------------------

  /** After the word `import`: a declaration, `import 'm'`, `import('m')`, or `import.meta`. */
  private afterImport(afterWord: number): number {
    const src = this.src;
    let p = this.skipTrivia(afterWord);
    const c = src.charCodeAt(p);
    if (c === CH_LPAREN) return this.callWithLiteral(p, 'dynamic', afterWord);
    if (c === CH_SQUOTE || c === CH_DQUOTE) return this.recordLiteral(p, 'import', false) ?? afterWord;
    if (c === CH_DOT) return afterWord;

    let typeOnly = false;
    let first = true;
    // A bounded walk over the import clause: names, `{ … }`, `* as ns`, commas, then `from 'm'` or `= require('m')`.
    for (let steps = 0; steps < 64 && p < this.len; steps++) {
      const ch = src.charCodeAt(p);
      if (isIdentStart(ch)) {
        const wordEnd = this.identEnd(p);
        if (this.isWord(p, wordEnd, 'from')) {
          const q = this.skipTrivia(wordEnd);
          const quote = src.charCodeAt(q);
          if (quote === CH_SQUOTE || quote === CH_DQUOTE) return this.recordLiteral(q, 'import', typeOnly) ?? wordEnd;
        } else if (first && this.isWord(p, wordEnd, 'type')) {
          const q = this.skipTrivia(wordEnd);
          const nc = src.charCodeAt(q);
          if (nc === CH_LBRACE || nc === CH_STAR) typeOnly = true;
          else if (isIdentStart(nc)) {
            // `import type from 'm'` imports a default named `type`.
            const ne = this.identEnd(q);
            if (!this.isWord(q, ne, 'from') || !this.isQuote(this.skipTrivia(ne))) typeOnly = true;
          }
        }
        p = this.skipTrivia(wordEnd);
      } else if (ch === CH_LBRACE) {
        const close = this.skipNamedBindings(p);
        if (close < 0) return p;
        p = this.skipTrivia(close);
      } else if (ch === CH_STAR || ch === CH_COMMA) {
        p = this.skipTrivia(p + 1);
      } else if (ch === CH_EQ && src.charCodeAt(p + 1) !== CH_EQ) {
        return this.importEquals(p + 1, typeOnly) ?? p;
      } else {
        return p;
      }
      first = false;
    }
    return p;
  }

  /** `= require('m')` of `import x = require('m')`; undefined when it is an alias (`import x = A.B`). */
  private importEquals(afterEq: number, typeOnly: boolean): number | undefined {
    const p = this.skipTrivia(afterEq);
    const end = this.identEnd(p);
    if (!this.isWord(p, end, 'require')) return undefined;
    const open = this.skipTrivia(end);
    if (this.src.charCodeAt(open) !== CH_LPAREN) return undefined;
    const q = this.skipTrivia(open + 1);
    if (!this.isQuote(q)) return undefined;
    return this.recordLiteral(q, 'import-equals', typeOnly);
  }

  /** After the word `export`: only `export … from 'm'` forms are imports. */
  private afterExport(afterWord: number): number {
    const src = this.src;
    let p = this.skipTrivia(afterWord);
    let typeOnly = false;
    if (isIdentStart(src.charCodeAt(p))) {
      const end = this.identEnd(p);
      if (!this.isWord(p, end, 'type')) return afterWord; // export const / default / function …
      const q = this.skipTrivia(end);
      const nc = src.charCodeAt(q);
      if (nc !== CH_LBRACE && nc !== CH_STAR) return afterWord; // export type X = …
      typeOnly = true;
      p = q;
    }
    const c = src.charCodeAt(p);
    if (c === CH_STAR) {
      p = this.skipTrivia(p + 1);
      let end = this.identEnd(p);
      if (this.isWord(p, end, 'as')) {
        p = this.skipTrivia(end);
        if (this.isQuote(p)) {
          const name = this.readString(p);
          if (!name) return afterWord;
          p = this.skipTrivia(name.end);
        } else {
          end = this.identEnd(p);
          if (end === p) return afterWord;
          p = this.skipTrivia(end);
        }
      }
    } else if (c === CH_LBRACE) {
      const close = this.skipNamedBindings(p);
      if (close < 0) return p;
      p = this.skipTrivia(close);
    } else {
      return afterWord;
    }
    const fromEnd = this.identEnd(p);
    if (!this.isWord(p, fromEnd, 'from')) return p;
    const q = this.skipTrivia(fromEnd);
    if (!this.isQuote(q)) return fromEnd;
    return this.recordLiteral(q, 'export', typeOnly) ?? fromEnd;
  }

  private afterRequire(afterWord: number): number {
    const p = this.skipTrivia(afterWord);
    if (this.src.charCodeAt(p) !== CH_LPAREN) return afterWord;
    return this.callWithLiteral(p, 'require', afterWord);
  }

  /** `( 'm' )` or `( \`m\` )` (a template without substitutions), possibly with more arguments. */
  private callWithLiteral(open: number, kind: ImportKind, fallback: number): number {
    const src = this.src;
    const q = this.skipTrivia(open + 1);
    const c = src.charCodeAt(q);
    let literal: Literal | undefined;
    if (c === CH_SQUOTE || c === CH_DQUOTE) literal = this.readString(q);
    else if (c === CH_BACKTICK) literal = this.readPlainTemplate(q);
    if (!literal) return fallback;
    const after = this.skipTrivia(literal.end);
    const close = src.charCodeAt(after);
    if (close === CH_RPAREN || close === CH_COMMA) this.add(literal.value, kind, q, false);
    return literal.end;
  }

  private recordLiteral(quoteAt: number, kind: ImportKind, typeOnly: boolean): number | undefined {
    const literal = this.readString(quoteAt);
    if (!literal) return undefined;
    this.add(literal.value, kind, quoteAt, typeOnly);
    return literal.end;
  }

  private referenceDirective(start: number, end: number): void {
    const match = REFERENCE_PATH.exec(this.src.slice(start, end));
    if (match?.[2]) this.add(match[2], 'reference', start, false);
  }

  private add(specifier: string, kind: ImportKind, at: number, typeOnly: boolean): void {
    if (specifier === '') return;
    const ref: ImportRef = typeOnly ? { specifier, kind, line: this.lines.lineAt(at), typeOnly } : { specifier, kind, line: this.lines.lineAt(at) };
    this.imports.push(ref);
  }

  // ---- lexical helpers ----------------------------------------------------------------------

  /** `{ a, b as c, type T, "x-y" as z }`: the index after the closing brace, or -1 when it is not a binding list. */
  private skipNamedBindings(open: number): number {
    const src = this.src;
    let p = open + 1;
    while (p < this.len) {
      p = this.skipTrivia(p);
      const c = src.charCodeAt(p);
      if (c === CH_RBRACE) return p + 1;
      if (c === CH_SQUOTE || c === CH_DQUOTE) {
        const s = this.readString(p);
        if (!s) return -1;
        p = s.end;
      } else if (c === CH_COMMA) {
        p++;
      } else if (isIdentStart(c)) {
        p = this.identEnd(p);
      } else {
        return -1;
      }
    }
    return -1;
  }

  private skipTrivia(from: number): number {
    const src = this.src;
    let p = from;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (isSpace(c)) {
        p++;
      } else if (c === CH_SLASH) {
        const next = src.charCodeAt(p + 1);
        if (next === CH_SLASH) p = this.lineEnd(p);
        else if (next === CH_STAR) p = this.skipBlockComment(p);
        else return p;
      } else {
        return p;
      }
    }
    return p;
  }

  private identEnd(from: number): number {
    let p = from;
    while (p < this.len && isIdentPart(this.src.charCodeAt(p))) p++;
    return p;
  }

  private isWord(start: number, end: number, word: string): boolean {
    return end - start === word.length && this.src.startsWith(word, start);
  }

  private isQuote(at: number): boolean {
    const c = this.src.charCodeAt(at);
    return c === CH_SQUOTE || c === CH_DQUOTE;
  }

  private lineEnd(from: number): number {
    const src = this.src;
    let p = from;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === CH_LF || c === CH_CR || c === 0x2028 || c === 0x2029) return p;
      p++;
    }
    return p;
  }

  private skipBlockComment(start: number): number {
    const close = this.src.indexOf('*/', start + 2);
    if (close < 0) {
      this.warn('unterminated block comment', start);
      return this.len;
    }
    return close + 2;
  }

  /** The index after a string literal; an unterminated one ends at its line. */
  private skipString(start: number, quote: number): number {
    const src = this.src;
    let p = start + 1;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === quote) return p + 1;
      if (c === CH_BACKSLASH) p += src.charCodeAt(p + 1) === CH_CR && src.charCodeAt(p + 2) === CH_LF ? 3 : 2;
      else if (c === CH_LF || c === CH_CR) return p;
      else p++;
    }
    return p;
  }

  /** A terminated single-line string literal's value, escapes simplified. */
  private readString(start: number): Literal | undefined {
    const src = this.src;
    const quote = src.charCodeAt(start);
    let p = start + 1;
    let escaped = false;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === quote) {
        const raw = src.slice(start + 1, p);
        return { value: escaped ? unescapeSimple(raw) : raw, end: p + 1 };
      }
      if (c === CH_BACKSLASH) {
        escaped = true;
        p += 2;
      } else if (c === CH_LF || c === CH_CR) {
        return undefined;
      } else {
        p++;
      }
    }
    return undefined;
  }

  /** A template literal with no `${…}` and no escapes, e.g. import(`./x.js`). */
  private readPlainTemplate(start: number): Literal | undefined {
    const src = this.src;
    for (let p = start + 1; p < this.len; p++) {
      const c = src.charCodeAt(p);
      if (c === CH_BACKTICK) return { value: src.slice(start + 1, p), end: p + 1 };
      if (c === CH_BACKSLASH || c === CH_LF || (c === CH_DOLLAR && src.charCodeAt(p + 1) === CH_LBRACE)) return undefined;
    }
    return undefined;
  }

  /**
   * Template literal text from `from` (just after the opening backtick or a substitution's `}`):
   * returns after the closing backtick, or after a `${` (pushing a template marker so the matching
   * `}` resumes the literal).
   */
  private skipTemplate(from: number): number {
    const src = this.src;
    let p = from;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === CH_BACKTICK) return p + 1;
      if (c === CH_BACKSLASH) p += 2;
      else if (c === CH_DOLLAR && src.charCodeAt(p + 1) === CH_LBRACE) {
        this.braces.push(BRACE_TEMPLATE);
        this.regexAllowed = true;
        return p + 2;
      } else p++;
    }
    this.warn('unterminated template literal', from - 1);
    return this.len;
  }

  /** A regular expression literal (class-aware); one that runs into the end of its line ends there. */
  private skipRegex(start: number): number {
    const src = this.src;
    let p = start + 1;
    let inClass = false;
    while (p < this.len) {
      const c = src.charCodeAt(p);
      if (c === CH_BACKSLASH) p += 2;
      else if (c === CH_LF || c === CH_CR) return p;
      else if (c === CH_LBRACKET) {
        inClass = true;
        p++;
      } else if (c === CH_RBRACKET) {
        inClass = false;
        p++;
      } else if (c === CH_SLASH && !inClass) {
        return this.identEnd(p + 1);
      } else p++;
    }
    return p;
  }

  private warn(message: string, at: number): void {
    this.report?.(message, this.lines.lineAt(at));
  }

}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '', '\r': '' };

function unescapeSimple(raw: string): string {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_, e: string) => {
    if (e.startsWith('u{')) {
      const code = parseInt(e.slice(2, -1), 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : e;
    }
    if ((e.startsWith('u') || e.startsWith('x')) && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return SIMPLE_ESCAPES[e] ?? e;
  });
}

/** True when the text looks binary (it holds a NUL character, which source code never does): not worth scanning. */
export function looksBinary(source: string): boolean {
  return source.indexOf('\u0000') >= 0;
}

/** The imports of TypeScript/JavaScript source text, in order of appearance. */
export function scanJsImports(source: string, report?: (message: string, line?: number) => void): ImportRef[] {
  return new JsImportScanner(source, report).run();
}

/** The same, one character at a time: the reference scanJsImports is tested against (not part of the public API). */
export function scanJsImportsEveryChar(source: string, report?: (message: string, line?: number) => void): ImportRef[] {
  return new JsImportScanner(source, report).runEveryChar();
}
