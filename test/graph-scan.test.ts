import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsImports, scanPythonImports } from '@rollback-gate/graph';
import { scanJsImportsEveryChar } from '../packages/graph/src/scan-js.js';

const specs = (source: string): string[] => scanJsImports(source).map((r) => r.specifier);

describe('scanJsImports', () => {
  it('finds every import form with its kind, line and type-only flag', () => {
    const source = [
      "import a from './a';", // 1
      'import { b, type B } from "./b.js";', // 2
      "import type { T } from './types';", // 3
      "import * as ns from './ns';", // 4
      "import './side-effect';", // 5
      "export * from './reexport-all';", // 6
      "export { x as y } from './reexport-named';", // 7
      "export type { Z } from './reexport-type';", // 8
      "export * as nsx from './reexport-ns';", // 9
      "const c = require('./c');", // 10
      "const d = await import('./d');", // 11
      "import e = require('./e');", // 12
      'import {', // 13
      '  m1,', // 14
      '  m2 as n2, // trailing comment', // 15
      "} from './multi';", // 16
      "import def, { named } from './default-and-named';", // 17
      'const t = import(`./template-literal`);', // 18
      "export type * from './type-star';", // 19
      "import type Def from './type-default';", // 20
      "import type from './default-named-type';", // 21
      '/// <reference path="./globals.d.ts" />', // 22
      "import json from './data.json' with { type: 'json' };", // 23
      "export { default } from './default-reexport';", // 24
      "import type X = require('./type-equals');", // 25
    ].join('\n');
    const refs = scanJsImports(source);
    expect(refs.map((r) => [r.specifier, r.kind, r.line, r.typeOnly === true])).toEqual([
      ['./a', 'import', 1, false],
      ['./b.js', 'import', 2, false],
      ['./types', 'import', 3, true],
      ['./ns', 'import', 4, false],
      ['./side-effect', 'import', 5, false],
      ['./reexport-all', 'export', 6, false],
      ['./reexport-named', 'export', 7, false],
      ['./reexport-type', 'export', 8, true],
      ['./reexport-ns', 'export', 9, false],
      ['./c', 'require', 10, false],
      ['./d', 'dynamic', 11, false],
      ['./e', 'import-equals', 12, false],
      ['./multi', 'import', 16, false],
      ['./default-and-named', 'import', 17, false],
      ['./template-literal', 'dynamic', 18, false],
      ['./type-star', 'export', 19, true],
      ['./type-default', 'import', 20, true],
      ['./default-named-type', 'import', 21, false],
      ['./globals.d.ts', 'reference', 22, false],
      ['./data.json', 'import', 23, false],
      ['./default-reexport', 'export', 24, false],
      ['./type-equals', 'import-equals', 25, true],
    ]);
  });

  it('ignores imports inside comments, strings, templates and regular expressions', () => {
    const source = [
      "// import fake from './fake-line-comment';",
      "/* import fake from './fake-block';",
      "   require('./fake-block-require') */",
      "const s1 = \"import fake from './fake-double'\";",
      "const s2 = 'require(\"./fake-single\")';",
      "const s3 = 'it\\'s import(\"./fake-escaped\")';",
      "const t = `template import('./fake-template') ${require('./real-in-template')} and ${`nested ${import('./real-nested')} import './fake-nested-text'`} end`;",
      "const r = /import x from '.\\/fake-regex'/g;",
      "const r2 = x.replace(/['\"]/g, '');",
      "const r3 = /[/'`]/.test(y);",
      "import real from './real-after-regex';",
      'const ratio = a / b; const other = c / d;',
      "import afterDivision from './real-after-division';",
      "obj.import('./fake-member-import');",
      "obj.require('./fake-member-require');",
      "const o = { import: './fake-key', require: 1 };",
      "import(someVariable); require(name + '.js');",
      "import(`./fake-${dynamic}`);",
      'const m = import.meta.url;',
      "label: { if (x) { } } import last from './real-last';",
    ].join('\n');
    expect(specs(source)).toEqual(['./real-in-template', './real-nested', './real-after-regex', './real-after-division', './real-last']);
  });

  it('handles JSX, hashbangs, BOMs and keywords before regular expressions', () => {
    const source = [
      '\uFEFF#!/usr/bin/env node',
      "import React from 'react';",
      'export const C = () => <div className="a">It\'s <b>bold</b></div>;',
      "import { x } from './after-jsx';",
      "function f() { return /'/.test(s); }",
      "import y from './after-return-regex';",
    ].join('\n');
    expect(specs(source)).toEqual(['react', './after-jsx', './after-return-regex']);
    expect(specs("\uFEFFimport a from './bom';")).toEqual(['./bom']);
    expect(specs("#!/usr/bin/env node\nrequire('./after-hashbang');")).toEqual(['./after-hashbang']);
  });

  it('never throws on garbage and reports unterminated constructs', () => {
    const inputs = [
      '`unterminated ${ template',
      '/* unterminated comment import "./x"',
      "import { a, from './broken'",
      "import \"unterminated\nimport './next-line';",
      '}}}}))))]]]] {{{{ ((( `${`${`${',
      'import',
      'export',
      'require(',
      "import type",
      '\\u0069mport x from "./escaped-keyword"',
      "import x from './bad-escape-\\u{FFFFFFFFF}';",
      String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 7919) % 65536)),
    ];
    for (const input of inputs) {
      const problems: string[] = [];
      expect(() => scanJsImports(input, (m) => problems.push(m))).not.toThrow();
    }
    const problems: string[] = [];
    scanJsImports('`never closed', (m) => problems.push(m));
    expect(problems).toEqual(['unterminated template literal']);
    expect(specs("import \"unterminated\nimport './next-line';")).toEqual(['./next-line']);
  });

  it('is linear: a large file scans quickly', () => {
    const chunk = "import { a } from './a';\nconst s = 'x'; // c\n/* b */ const t = `t ${1}`;\nfunction f() { return 1 / 2; }\n";
    const big = chunk.repeat(20000);
    const start = performance.now();
    const refs = scanJsImports(big);
    expect(refs).toHaveLength(20000);
    // A guard against a quadratic scan (which takes minutes here), not a speed claim: bench/ measures speed.
    expect(performance.now() - start).toBeLessThan(20_000);
  });
});

describe('scanJsImports skips plain code, yet finds what the char-by-char scan finds', () => {
  const both = (source: string): [string, string] => {
    const fast: string[] = [];
    const slow: string[] = [];
    const a = scanJsImports(source, (m, l) => fast.push(`${m}@${l}`));
    const b = scanJsImportsEveryChar(source, (m, l) => slow.push(`${m}@${l}`));
    return [JSON.stringify([a, fast]), JSON.stringify([b, slow])];
  };

  /** The project's own TypeScript and the JavaScript of its dependencies: real code of every style. */
  function corpus(limit: number): string[] {
    const out: string[] = [];
    const walk = (dir: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.length >= limit) return;
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (depth < 6 && e.name !== '.git') walk(path, depth + 1);
        } else if (/\.(?:[cm]?[jt]sx?)$/.test(e.name)) {
          const text = readFileSync(path, 'utf8');
          if (text.length < 200_000) out.push(text);
        }
      }
    };
    for (const dir of ['packages', 'actions', 'test', 'scripts', 'bench', 'node_modules']) walk(dir, 0);
    return out;
  }

  it('on real code', () => {
    const files = corpus(3000);
    expect(files.length).toBeGreaterThan(500);
    for (const text of files) {
      const [fast, slow] = both(text);
      if (fast !== slow) expect(fast).toBe(slow);
    }
  });

  it('on real code cut and salted with the characters that change what comes next', () => {
    const files = corpus(400);
    const salt = ['/', '*', "'", '"', '`', '{', '}', '${', '.', '...', '#', 'import', 'export', 'require', '(', ')', '\n', ' ', 'return', 'in', '1', 'x', '\\', ']', 'from', 'type', '1.', '.5'];
    let seed = 16;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 6000; i++) {
      const base = files[rand(files.length)]!;
      const start = rand(base.length + 1);
      let text = base.slice(start, start + 100 + rand(1500));
      for (let k = 0; k < 4; k++) {
        const at = rand(text.length + 1);
        text = text.slice(0, at) + salt[rand(salt.length)]! + (rand(3) === 0 ? "'./m'" : '') + text.slice(at);
      }
      const [fast, slow] = both(text);
      if (fast !== slow) expect([text, fast]).toEqual([text, slow]);
    }
  });
});

describe('scanPythonImports', () => {
  it('finds absolute, relative, aliased, parenthesized and conditional imports', () => {
    const source = [
      'import os, sys', // 1
      'import a.b.c as abc', // 2
      'from . import sibling', // 3
      'from ..parent import thing', // 4
      'from pkg.sub import (one,', // 5
      '    two as deux,  # comment', // 6
      ')', // 7
      '"""', // 8
      'import fake_docstring', // 9
      '"""', // 10
      '# import fake_comment', // 11
      "s = 'from fake_string import x'", // 12
      'if True: import cond', // 13
      'def f():', // 14
      '    from lazy import z', // 15
      'x = 1; import after_semi', // 16
      "t = f'''{x}", // 17
      "import fake_fstring'''", // 18
      'from .mod.sub import *', // 19
      'from \\', // 20
      '    cont import y', // 21
      'value = a.import_thing; yield_from = 1', // 22
      "raise X from e", // 23
    ].join('\n');
    const refs = scanPythonImports(source);
    expect(refs.map((r) => [r.specifier, r.name ?? null, r.line])).toEqual([
      ['os', null, 1],
      ['sys', null, 1],
      ['a.b.c', null, 2],
      ['.', 'sibling', 3],
      ['..parent', 'thing', 4],
      ['pkg.sub', 'one', 5],
      ['pkg.sub', 'two', 5],
      ['cond', null, 13],
      ['lazy', 'z', 15],
      ['after_semi', null, 16],
      ['.mod.sub', null, 19],
      ['cont', 'y', 21],
    ]);
  });

  it('never throws on garbage', () => {
    for (const input of ['from', 'import', 'from . import', '"""never closed', "from (((( import", 'import a.', '\\']) {
      expect(() => scanPythonImports(input)).not.toThrow();
    }
    const problems: string[] = [];
    scanPythonImports("'''open", (m) => problems.push(m));
    expect(problems).toEqual(['unterminated triple-quoted string']);
  });
});
