/** The built-in languages: TypeScript/JavaScript and Python. */
import { PythonResolver } from './resolve-python.js';
import { TsResolver } from './resolve-ts.js';
import { looksBinary, scanJsImports } from './scan-js.js';
import { scanPythonImports } from './scan-python.js';
import type { LanguageSupport } from './types.js';

const TS_JS_FILE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const PYTHON_FILE = /\.pyi?$/;

/** TypeScript and JavaScript: .ts .tsx .mts .cts .d.ts .js .jsx .mjs .cjs. */
export function typescriptLanguage(): LanguageSupport {
  return {
    name: 'typescript',
    matches: (path) => TS_JS_FILE.test(path),
    scanImports(source, _path, report) {
      if (looksBinary(source)) {
        report?.('binary content: not scanned');
        return [];
      }
      return scanJsImports(source, report);
    },
    resolve: (ref, fromPath, ctx) => ctx.shared('typescript:resolver', () => new TsResolver(ctx)).resolve(ref.specifier, fromPath),
    isExternal: (ref, fromPath, ctx) => ctx.shared('typescript:resolver', () => new TsResolver(ctx)).isExternal(ref.specifier, fromPath),
  };
}

/** Python: .py and .pyi. */
export function pythonLanguage(): LanguageSupport {
  return {
    name: 'python',
    matches: (path) => PYTHON_FILE.test(path),
    scanImports(source, _path, report) {
      if (looksBinary(source)) {
        report?.('binary content: not scanned');
        return [];
      }
      return scanPythonImports(source, report);
    },
    resolve: (ref, fromPath, ctx) => ctx.shared('python:resolver', () => new PythonResolver(ctx)).resolve(ref, fromPath),
    isExternal: (ref, fromPath, ctx) => ctx.shared('python:resolver', () => new PythonResolver(ctx)).isExternal(ref, fromPath),
  };
}

export function defaultLanguages(): LanguageSupport[] {
  return [typescriptLanguage(), pythonLanguage()];
}
