/**
 * How `init` merges into files that exist: JSON merged key by key (only our entries added), a
 * Markdown section replaced between its markers or appended once, anything else created only when
 * absent. A line `init` did not write is never changed; when that cannot be guaranteed (a
 * settings.json formatted differently from what a rewrite would produce), it stops and says what
 * to add by hand.
 */
import { UserError } from '@rollback-gate/core';
import { SECTION_BEGIN, SECTION_END, type HookSpec } from './protocol.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The indentation the file uses (two spaces when it cannot tell). */
function detectIndent(text: string): string | number {
  const m = text.match(/^[{[]\s*\n([ \t]+)\S/);
  return m?.[1] ?? 2;
}

function hookEntry(spec: HookSpec): Json {
  const entry: Json = {};
  if (spec.matcher) entry.matcher = spec.matcher;
  entry.hooks = [{ type: 'command', command: spec.command, timeout: spec.timeout }];
  return entry;
}

function hasOurHook(entries: unknown[], spec: HookSpec): boolean {
  return entries.some(
    (entry) => isObject(entry) && Array.isArray(entry.hooks) && entry.hooks.some((h) => isObject(h) && typeof h.command === 'string' && spec.recognise.test(h.command)),
  );
}

/** Adds our hooks to .claude/settings.json; returns the new text (the same text when nothing is missing). */
export function mergeClaudeSettings(existing: string | undefined, hooks: readonly HookSpec[], path: string): string {
  const settings: Json = {};
  let original: Json = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (error) {
      throw new UserError(`${path} is not valid JSON (${(error as Error).message}); init changes nothing.`, 'Fix the file (Claude Code ignores invalid settings too), then run init again.');
    }
    if (!isObject(parsed)) throw new UserError(`${path} does not hold a JSON object; init changes nothing.`, 'Fix the file, then run init again.');
    original = parsed;
  }
  Object.assign(settings, structuredClone(original));
  if (settings.hooks !== undefined && !isObject(settings.hooks)) {
    throw new UserError(`${path}: "hooks" is not an object; init changes nothing.`, 'Fix the file (see Claude Code\'s hooks documentation), then run init again.');
  }
  const hooksObject: Json = (settings.hooks as Json | undefined) ?? {};
  let added = 0;
  for (const spec of hooks) {
    const entries = hooksObject[spec.event] ?? [];
    if (!Array.isArray(entries)) {
      throw new UserError(`${path}: "hooks.${spec.event}" is not a list; init changes nothing.`, 'Fix the file, then run init again.');
    }
    if (hasOurHook(entries, spec)) continue;
    hooksObject[spec.event] = [...entries, hookEntry(spec)];
    added++;
  }
  if (added === 0 && existing !== undefined) return existing;
  settings.hooks = hooksObject;
  const indent = existing ? detectIndent(existing) : 2;
  if (existing !== undefined && existing.trim() !== '') {
    const rewritten = `${JSON.stringify(original, null, indent)}\n`;
    if (rewritten !== existing && rewritten.trimEnd() !== existing.trimEnd()) {
      const snippet = JSON.stringify({ hooks: Object.fromEntries(hooks.map((h) => [h.event, [hookEntry(h)]])) }, null, 2);
      throw new UserError(
        `${path} is formatted in a way init cannot keep line for line; it will not rewrite lines it did not write, so nothing was changed.`,
        `Add these entries to its "hooks" by hand (next to any you have), then run init again:\n${snippet}`,
      );
    }
  }
  return `${JSON.stringify(settings, null, indent)}\n`;
}

/** Puts the section between its markers (replacing what is there) or appends it once. */
export function mergeSection(existing: string | undefined, section: string, path: string): string {
  if (existing === undefined || existing.trim() === '') return `${section}\n`;
  const begin = existing.indexOf(SECTION_BEGIN.slice(0, SECTION_BEGIN.indexOf(' (')));
  const end = existing.indexOf(SECTION_END);
  if (begin < 0 && end < 0) {
    const eol = existing.includes('\r\n') ? '\r\n' : '\n';
    const separator = existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? eol : `${eol}${eol}`;
    return `${existing}${separator}${section.replace(/\n/g, eol)}${eol}`;
  }
  if (begin < 0 || end < begin) {
    throw new UserError(`${path} has one rollback-gate session-protocol marker without the other; init changes nothing.`, `Restore both markers (or remove both and the lines between them), then run init again.`);
  }
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  return `${existing.slice(0, begin)}${section.replace(/\n/g, eol)}${existing.slice(end + SECTION_END.length)}`;
}
