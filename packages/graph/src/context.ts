/**
 * The ResolveContext a build hands to the languages: the file set, the directory set derived
 * from it, cached reads of small config files, and a per-build store for language state.
 */
import { dirname } from './paths.js';
import { parseJsonc } from './jsonc.js';
import type { FileContent, ReadFile, ResolveContext } from './types.js';

const decoder = new TextDecoder('utf-8');

/** A reader's result as text; throws what the reader throws. */
export function decodeContent(content: FileContent | undefined): string | undefined {
  if (content === undefined || content === null) return undefined;
  if (typeof content === 'string') return content;
  return decoder.decode(content);
}

export interface ContextInput {
  readonly files: readonly string[];
  /** Declared absent files: they exist for resolution, are never read. */
  readonly absent: readonly string[];
  readonly readFile: ReadFile;
  /** `files` as a set, when the caller has one already (it must hold exactly `files`). */
  readonly fileSet?: ReadonlySet<string>;
  /** A text cache to share with another context over the same repository. */
  readonly textCache?: Map<string, string | undefined>;
}

export interface BuildContext extends ResolveContext {
  readonly textCache: Map<string, string | undefined>;
}

export function createResolveContext(input: ContextInput): BuildContext {
  const fileSet = input.fileSet ?? new Set<string>(input.files);
  const absentSet = new Set<string>();
  for (const path of input.absent) if (!fileSet.has(path)) absentSet.add(path);
  // The directories, derived the first time a resolver asks (a tree whose files import nothing never does).
  let dirs: Set<string> | undefined;
  const directories = (): Set<string> => {
    if (dirs) return dirs;
    const found = new Set<string>(['']);
    const addDirsOf = (path: string): void => {
      for (let dir = dirname(path); dir !== '' && !found.has(dir); dir = dirname(dir)) found.add(dir);
    };
    for (const path of fileSet) addDirsOf(path);
    for (const path of absentSet) addDirsOf(path);
    return (dirs = found);
  };

  const textCache = input.textCache ?? new Map<string, string | undefined>();
  const jsonCache = new Map<string, unknown>();
  const shared = new Map<string, unknown>();

  const readText = (path: string): string | undefined => {
    if (!fileSet.has(path)) return undefined;
    if (textCache.has(path)) return textCache.get(path);
    let text: string | undefined;
    try {
      text = decodeContent(input.readFile(path));
    } catch {
      text = undefined;
    }
    textCache.set(path, text);
    return text;
  };

  return {
    files: input.files,
    textCache,
    fileExists: (path) => fileSet.has(path) || absentSet.has(path),
    directoryExists: (path) => directories().has(path),
    readText,
    readJson(path) {
      if (jsonCache.has(path)) return jsonCache.get(path);
      const text = readText(path);
      const value = text === undefined ? undefined : parseJsonc(text);
      jsonCache.set(path, value);
      return value;
    },
    shared<T>(key: string, init: () => T): T {
      if (shared.has(key)) return shared.get(key) as T;
      const value = init();
      shared.set(key, value);
      return value;
    },
  };
}
