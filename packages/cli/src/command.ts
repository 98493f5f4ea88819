/** One command of the CLI: its spec (for parsing and --help) and what it does. */
import type { OptionSpec, PositionalSpec } from './args.js';
import type { CommandContext } from './context.js';

export interface Command {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** The synopsis after `rollback-gate`. */
  usage: string;
  /** What it does, a few lines. */
  description: string;
  options: readonly OptionSpec[];
  positionals: readonly PositionalSpec[];
  /** Words after `--` are a command to run (bisect). */
  takesCommand?: boolean;
  /** Example command lines (each with a `# comment` line before it, optional). */
  examples: readonly string[];
  /** Does the work, prints the result (or the --json document), and returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Exit codes: 0 ok, 1 a finding or a failed operation, 2 a usage error, 130 interrupted. */
export const EXIT = { ok: 0, finding: 1, usage: 2, interrupted: 130 } as const;
