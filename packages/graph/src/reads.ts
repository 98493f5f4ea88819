/**
 * Which files the import graph reads, said by the graph itself so callers that fetch file contents
 * (core reads blobs from git trees in one batch) fetch exactly these: the sources its languages
 * scan, and the manifests resolution reads (package.json, tsconfig/jsconfig files, the workspace
 * files at the root).
 */
import { defaultLanguages } from './languages.js';
import { CONFIG_NAME } from './tsconfig.js';
import type { LanguageSupport } from './types.js';

/** Read at the repository root only (workspaces.ts). */
const ROOT_MANIFESTS = new Set(['pnpm-workspace.yaml', 'pnpm-workspace.yml', 'lerna.json']);

/** A file resolution reads when present: package.json, a tsconfig/jsconfig file, a root workspace file. */
export function isGraphManifest(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name === 'package.json' || CONFIG_NAME.test(name) || (name === path && ROOT_MANIFESTS.has(name));
}

let builtIn: readonly LanguageSupport[] | undefined;

/** True when building the import graph reads this file: a source of one of `languages` (default: the built-in ones), or a manifest. */
export function graphReadsFile(path: string, languages?: readonly LanguageSupport[]): boolean {
  return isGraphManifest(path) || (languages ?? (builtIn ??= defaultLanguages())).some((language) => language.matches(path));
}
