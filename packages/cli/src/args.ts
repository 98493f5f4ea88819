/**
 * Command-line parsing on node:util's parseArgs (in Node itself: no dependency, maintained with
 * Node, strict types for booleans and strings, `--` handled). On top of it: one declarative spec
 * per command, the common options, and usage errors that name the nearest valid word.
 */
import { parseArgs } from 'node:util';
import { closestWord } from '@rollback-gate/core';

export interface OptionSpec {
  name: string;
  type: 'boolean' | 'string';
  short?: string;
  /** Placeholder in help, e.g. `ID`. */
  value?: string;
  description: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
}

/** A usage error: exit 2, with the command's usage line. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'session-id', type: 'string', value: 'ID', description: 'The session (its checkpoint is `checkpoint/<ID>`). Default: the newest checkpoint reachable from HEAD.' },
  { name: 'config', type: 'string', value: 'PATH', description: 'The config file, relative to the repository. Default: .github/rollback-gate.yml.' },
  { name: 'dir', short: 'C', type: 'string', value: 'DIR', description: 'Run in DIR instead of the current directory (as `git -C`).' },
  { name: 'json', type: 'boolean', description: 'Print one JSON document on stdout and nothing else.' },
  { name: 'quiet', short: 'q', type: 'boolean', description: 'Print only the essential line (and errors).' },
  { name: 'verbose', short: 'v', type: 'boolean', description: 'Also print every engine step and git command, on stderr.' },
  { name: 'help', short: 'h', type: 'boolean', description: 'Show this help.' },
];

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Everything after `--`, as given. */
  rest: string[];
}

function flagName(token: string): string {
  return token.replace(/=.*$/, '');
}

/** Parses `argv` against the command's options (plus the common ones). */
export function parseCommandArgs(
  command: string,
  argv: readonly string[],
  options: readonly OptionSpec[],
  positionals: readonly PositionalSpec[],
  /** Whether words after `--` are a command to run (bisect) rather than more arguments (`rollback -- -odd-name`). */
  takesCommand = false,
): ParsedArgs {
  const all = [...options, ...COMMON_OPTIONS];
  const config: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const o of all) config[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: false, tokens: true });
  } catch (error) {
    throw new UsageError((error as Error).message, undefined, command);
  }
  const names = all.map((o) => `--${o.name}`);
  const values: ParsedArgs['values'] = {};
  const before: string[] = [];
  const rest: string[] = [];
  let terminated = false;
  for (const token of parsed.tokens ?? []) {
    if (token.kind === 'option-terminator') {
      terminated = true;
      continue;
    }
    if (token.kind === 'positional') {
      (terminated && takesCommand ? rest : before).push(token.value);
      continue;
    }
    const spec = all.find((o) => o.name === token.name);
    if (!spec) {
      const shown = token.rawName.startsWith('--') ? flagName(token.rawName) : token.rawName;
      const near = shown.startsWith('--') ? closestWord(shown.slice(2), all.map((o) => o.name)) : undefined;
      throw new UsageError(
        `unknown option ${shown} for \`rollback-gate ${command}\`${near ? `; did you mean --${near}?` : ''}`,
        `Valid options: ${names.join(', ')}. See \`rollback-gate ${command} --help\`.`,
        command,
      );
    }
    if (spec.type === 'string') {
      if (token.value === undefined || (token.inlineValue !== true && token.value.startsWith('-') && token.value !== '-')) {
        throw new UsageError(`option --${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}.`, `For example: --${spec.name} ${spec.value ?? 'VALUE'}`, command);
      }
      if (spec.choices && !spec.choices.includes(token.value)) {
        const near = closestWord(token.value, spec.choices);
        throw new UsageError(
          `option --${spec.name} is ${JSON.stringify(token.value)}; expected one of: ${spec.choices.join(', ')}${near ? ` (did you mean ${near}?)` : ''}.`,
          undefined,
          command,
        );
      }
      values[spec.name] = token.value;
    } else {
      if (token.value !== undefined) throw new UsageError(`option --${spec.name} takes no value (got ${JSON.stringify(token.value)}).`, undefined, command);
      values[spec.name] = true;
    }
  }
  if (!values.help) {
    const required = positionals.filter((p) => p.required);
    if (before.length < required.length) {
      const missing = required.slice(before.length).map((p) => p.name);
      throw new UsageError(`missing ${missing.join(' and ')} for \`rollback-gate ${command}\`.`, `See \`rollback-gate ${command} --help\`.`, command);
    }
    if (before.length > positionals.length) {
      const extra = before[positionals.length]!;
      throw new UsageError(
        `unexpected argument ${JSON.stringify(extra)} for \`rollback-gate ${command}\`.`,
        extra.includes(' ') || takesCommand ? 'Put a command to run after `--`.' : `See \`rollback-gate ${command} --help\`.`,
        command,
      );
    }
  }
  return { values, positionals: before, rest };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** A whole number option within bounds. */
export function wholeNumber(args: ParsedArgs, name: string, fallback: number, max: number, command: string): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new UsageError(`option --${name} is ${JSON.stringify(raw)}; expected a whole number from 0 to ${max}.`, undefined, command);
  return Number(raw);
}

/** The nearest command name, for `rollback-gate chekpoint`. */
export function nearestCommand(word: string, commands: readonly string[]): string | undefined {
  return closestWord(word, commands);
}
