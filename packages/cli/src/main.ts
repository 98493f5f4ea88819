/**
 * The program: picks the command, parses its options, runs it, and turns what happened into an
 * exit code: 0 ok, 1 a finding or a failed operation (UserError: the message and the next step,
 * no stack trace), 2 a usage error (with the nearest valid name). Anything else is an internal
 * error: reported as such, with its stack under --verbose.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '@rollback-gate/core';
import { COMMON_OPTIONS, UsageError, flag, nearestCommand, parseCommandArgs } from './args.js';
import { EXIT, type Command } from './command.js';
import { commands } from './commands/index.js';
import type { CommandContext } from './context.js';
import { commandHelp, programHelp } from './help.js';
import { Terminal, wantsColour, type Verbosity } from './terminal.js';

export interface ProgramIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  stdoutIsTty: boolean;
  stdinIsTty: boolean;
  columns?: number;
  readStdin: () => Promise<string>;
  onInterrupt: (cleanup: () => void) => () => void;
}

export function version(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const parts of [[here, '..', '..', 'package.json'], [here, '..', '..', '..', 'package.json']]) {
    const path = join(...parts);
    if (!existsSync(path)) continue;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rollback-gate' && pkg.version) return pkg.version;
    } catch {
      // not ours
    }
  }
  return 'unknown';
}

/** Splits off the command word; common options may come before it (`rollback-gate -C repo status`). */
function findCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const takesValue = new Set(COMMON_OPTIONS.filter((o) => o.type === 'string').flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: [...argv] };
}

function terminalFor(argv: readonly string[], io: ProgramIO): Terminal {
  const json = argv.includes('--json');
  const verbosity: Verbosity = argv.includes('--quiet') || argv.includes('-q') ? 'quiet' : argv.includes('--verbose') || argv.includes('-v') ? 'verbose' : 'normal';
  return new Terminal({
    json,
    verbosity,
    tty: io.stdoutIsTty && !json,
    colour: !json && wantsColour(io.env, io.stdoutIsTty),
    stdout: io.stdout,
    stderr: io.stderr,
    columns: io.columns,
  });
}

export async function main(argv: readonly string[], io: ProgramIO): Promise<number> {
  const { name, rest } = findCommand(argv);
  let term = terminalFor(argv, io);
  let command: Command | undefined;
  try {
    if (name === undefined && (argv.includes('--version') || argv.includes('-V'))) {
      io.stdout(`${version()}\n`);
      return EXIT.ok;
    }
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
      const about = topic ? commands.find((c) => c.name === topic) : undefined;
      if (topic && !about) throw unknownCommand(topic);
      const wanted = argv.includes('--help') || argv.includes('-h') || name === 'help';
      (wanted ? io.stdout : io.stderr)(about ? commandHelp(about) : programHelp(commands, version()));
      return wanted ? EXIT.ok : EXIT.usage;
    }
    command = commands.find((c) => c.name === name);
    if (!command) throw unknownCommand(name);
    const args = parseCommandArgs(command.name, rest, command.options, command.positionals, command.takesCommand);
    if (flag(args, 'help')) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    term = terminalFor(argv, io);
    const ctx: CommandContext = { term, args, env: io.env, readStdin: io.readStdin, stdinIsTty: io.stdinIsTty, onInterrupt: io.onInterrupt };
    return await command.run(ctx);
  } catch (error) {
    return report(error, term, command?.name ?? name);
  }
}

function unknownCommand(word: string): UsageError {
  const near = nearestCommand(word, commands.map((c) => c.name));
  return new UsageError(
    `unknown command ${JSON.stringify(word)}${near ? `; did you mean \`rollback-gate ${near}\`?` : ''}`,
    `Commands: ${commands.map((c) => c.name).join(', ')}. See \`rollback-gate --help\`.`,
  );
}

function report(error: unknown, term: Terminal, command: string | undefined): number {
  // A command that already printed its --json document for this error (with its report).
  if (term.json && (error as { reported?: boolean } | undefined)?.reported) {
    const e = error as UserError;
    term.error(e.problem ?? e.message, e.hint);
    return EXIT.finding;
  }
  if (error instanceof UsageError) {
    if (term.json) term.document({ command: command ?? null, ok: false, error: { kind: 'usage', message: error.message, hint: error.hint ?? null } });
    term.error(error.message, error.hint);
    return EXIT.usage;
  }
  if (error instanceof UserError) {
    if (term.json) term.document({ command: command ?? null, ok: false, error: { kind: 'user', message: error.problem, hint: error.hint ?? null } });
    term.error(error.problem, error.hint);
    return EXIT.finding;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (term.json) term.document({ command: command ?? null, ok: false, error: { kind: 'internal', message: err.message, hint: null } });
  term.error(`internal error: ${err.message}`, 'This is a bug in rollback-gate: please report it with the output of the same command run with --verbose.');
  term.verbose(err.stack ?? String(err));
  return EXIT.finding;
}
