/**
 * Everything the CLI prints goes through one Terminal: colour and aligned tables on a TTY, plain
 * tab-separated text when piped, one JSON document with --json, --quiet and --verbose, NO_COLOR.
 * Text from the repository (commit subjects, file names, command output) is untrusted: control
 * characters are made visible before it reaches a terminal, so it cannot move the cursor or
 * change colours.
 */
import type { Logger } from '@rollback-gate/core';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface TerminalOptions {
  json: boolean;
  verbosity: Verbosity;
  /** stdout is a TTY: tables and colour. */
  tty: boolean;
  colour: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Columns of the terminal, when known. */
  columns?: number;
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Makes control characters visible (`\x1b` -> `\u241b`-style escapes): untrusted text stays text. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `1 commit`, `3 commits`; `plural` for nouns that do not take an s (`dependencies`). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** Colour on a TTY unless NO_COLOR (any non-empty value) or TERM=dumb; FORCE_COLOR forces it. */
export function wantsColour(env: Record<string, string | undefined>, tty: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return tty && env.TERM !== 'dumb';
}

export class Terminal {
  constructor(readonly options: TerminalOptions) {}

  get json(): boolean {
    return this.options.json;
  }

  get tty(): boolean {
    return this.options.tty;
  }

  paint(style: Style, text: string): string {
    if (!this.options.colour) return text;
    const [on, off] = CODES[style];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  }

  /** A result line on stdout (not in --json or --quiet mode). */
  line(text = ''): void {
    if (this.options.json || this.options.verbosity === 'quiet') return;
    this.options.stdout(`${text}\n`);
  }

  /** A line that --quiet keeps (the one thing a script or a hook needs), never in --json. */
  essential(text: string): void {
    if (this.options.json) return;
    this.options.stdout(`${text}\n`);
  }

  heading(text: string): void {
    this.line(this.paint('bold', text));
  }

  /** `key: value` rows, aligned on a TTY. */
  fields(rows: ReadonlyArray<readonly [string, string]>): void {
    const width = Math.max(0, ...rows.map(([k]) => k.length));
    for (const [key, value] of rows) {
      this.line(this.options.tty ? `  ${this.paint('dim', key.padEnd(width))}  ${value}` : `${key}: ${value}`);
    }
  }

  /**
   * A table: aligned columns with a bold header on a TTY (long cells cut to the terminal's width),
   * a header and tab-separated rows when piped (for cut, awk, grep).
   */
  table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    if (this.options.json || this.options.verbosity === 'quiet') return;
    if (!this.options.tty) {
      this.options.stdout(`${[headers, ...rows].map((r) => r.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t')).join('\n')}\n`);
      return;
    }
    const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;
    const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
    const total = this.options.columns || 120;
    // Shrink the widest column until the row fits the terminal.
    while (widths.reduce((a, b) => a + b + 2, 0) > total) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= 12) break;
      widths[widest]!--;
    }
    const cell = (text: string, i: number): string => {
      const w = widths[i]!;
      const plain = visible(text);
      if (plain <= w) return text + ' '.repeat(w - plain);
      const stripped = text.replace(/\x1b\[[0-9;]*m/g, '');
      return `${stripped.slice(0, w - 1)}…`;
    };
    this.options.stdout(`  ${headers.map((h, i) => this.paint('bold', cell(h, i))).join('  ')}\n`);
    for (const row of rows) this.options.stdout(`  ${headers.map((_, i) => cell(row[i] ?? '', i)).join('  ').trimEnd()}\n`);
  }

  /** Progress for long runs: on stderr, so stdout stays the result; hidden by --quiet. */
  progress(text: string): void {
    if (this.options.verbosity === 'quiet') return;
    this.options.stderr(`${text}\n`);
  }

  warning(text: string): void {
    if (this.options.verbosity === 'quiet') return;
    this.options.stderr(`${this.paint('yellow', 'warning:')} ${text}\n`);
  }

  verbose(text: string): void {
    if (this.options.verbosity !== 'verbose') return;
    this.options.stderr(`${this.paint('dim', safe(text))}\n`);
  }

  error(problem: string, hint?: string): void {
    this.options.stderr(`${this.paint('red', 'error:')} ${safe(problem)}\n`);
    if (hint) this.options.stderr(`${this.paint('dim', 'next:')} ${safe(hint)}\n`);
  }

  /** The --json document: exactly one, on stdout. */
  document(value: unknown): void {
    this.options.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * The engine's logger: its step lines with --verbose, its warnings unless --quiet, all on
   * stderr. `onInfo` sees every info line (bisect progress reads its probe lines from there).
   */
  logger(onInfo?: (message: string) => void): Logger {
    return {
      info: (message) => {
        onInfo?.(message);
        this.verbose(message);
      },
      warning: (message) => this.warning(safe(message)),
      debug: (message) => this.verbose(message),
    };
  }
}
