/** --help for the program and for each command, generated from the command specs. */
import { COMMON_OPTIONS, type OptionSpec } from './args.js';
import type { Command } from './command.js';

function optionLines(options: readonly OptionSpec[]): string[] {
  const label = (o: OptionSpec): string => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  const width = Math.max(...options.map((o) => label(o).length));
  return options.map((o) => `  ${label(o).padEnd(width)}  ${o.description}`);
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: rollback-gate ${command.usage} [options]`, '', command.summary, '', ...wrap(command.description, 96), ''];
  if (command.positionals.length > 0) {
    const width = Math.max(...command.positionals.map((p) => p.name.length));
    lines.push('Arguments:', ...command.positionals.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`), '');
  }
  if (command.options.length > 0) lines.push('Options:', ...optionLines(command.options), '');
  lines.push('Common options:', ...optionLines(COMMON_OPTIONS), '');
  lines.push('Examples:', ...command.examples.map((e) => `  ${e.startsWith('#') ? e : `$ ${e}`}`), '');
  lines.push('Exit status: 0 ok, 1 a finding or a failed operation, 2 a usage error.');
  return `${lines.join('\n')}\n`;
}

export function programHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `rollback-gate ${version}: make an AI coding agent's session as safe to undo as it was to make.`,
    '',
    'Usage: rollback-gate <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options (every command):',
    ...optionLines(COMMON_OPTIONS),
    '',
    'A session on your machine:',
    '  $ rollback-gate init                 # once: config, workflows, agent hooks',
    '  $ rollback-gate checkpoint           # before the session (the agent hook does it)',
    '  $ rollback-gate status               # before you end it',
    '  $ rollback-gate squash --run-checks  # at the end: one commit, the originals kept',
    '',
    'Run `rollback-gate <command> --help` for a command\'s options and examples.',
    'Exit status: 0 ok, 1 a finding or a failed operation, 2 a usage error.',
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}
