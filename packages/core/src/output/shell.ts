/**
 * Commands printed for people to paste into a shell. Every interpolated value is quoted with POSIX
 * single quotes, so a branch named `x";touch pwned;#` is one word and nothing in it runs.
 */

/** One shell word: the value in single quotes (a `'` inside becomes `'\''`). Plain words stay bare. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted with `shellQuote`. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
