/**
 * actions/shared/src/runner-commands.ts against @actions/core 3 (a devDependency kept as the
 * oracle): the same calls, each in its own Node 24 process as the runner starts an action, must
 * leave the same bytes on stdout, in GITHUB_OUTPUT and in GITHUB_STEP_SUMMARY, the same errors
 * and the same exit code, over values made to break the protocol.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { ROOT, node24, parseCommands, parseOutputFile } from '../scripts/runner.mjs';
import { tempDir } from './harness/repo.js';

const OURS = pathToFileURL(join(ROOT, 'actions', 'shared', 'src', 'runner-commands.ts')).href;
const TOOLKIT = pathToFileURL(join(ROOT, 'node_modules', '@actions', 'core', 'lib', 'core.js')).href;

/** Runs a list of calls through one implementation; a throw is written to stdout where it happened. */
const DRIVER = `
import { readFileSync } from 'node:fs';
const [impl, callsFile] = process.argv.slice(1);
let api;
if (impl === 'toolkit') {
  const core = await import(${JSON.stringify(TOOLKIT)});
  api = { ...core, appendSummary: (text) => core.summary.addRaw(text, true).write() };
} else {
  api = await import(${JSON.stringify(OURS)});
}
for (const [fn, ...args] of JSON.parse(readFileSync(callsFile, 'utf8'))) {
  try {
    if (fn === 'unsetEnv') delete process.env[args[0]];
    else if (fn === 'setEnv') process.env[args[0]] = args[1];
    else {
      const result = await api[fn](...args);
      if (fn === 'getInput') process.stdout.write('input ' + JSON.stringify(result) + '\\n');
    }
  } catch (error) {
    process.stdout.write('threw ' + fn + ': ' + error.message + '\\n');
  }
}
`;

/** Pins randomUUID (both implementations import it from node:crypto) so the heredoc delimiters are equal. */
const PIN_UUID = `
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
crypto.randomUUID = () => process.env.PINNED_UUID;
syncBuiltinESMExports();
`;
const PINNED = '0f0f0f0f-1e1e-4d4d-8c8c-2b2b2b2b2b2b';

type Call = [string, ...unknown[]];
interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  output: string;
  summary: string;
}

/** Runs `calls` through both implementations in turn, in the same directory (the runner files emptied before each). */
function runBoth(calls: Call[], options: { env?: Record<string, string>; pinUuid?: boolean; files?: 'missing' } = {}): { ours: Run; toolkit: Run } {
  const dir = tempDir('rg-runner-commands-');
  return { ours: runCalls(dir, 'ours', calls, options), toolkit: runCalls(dir, 'toolkit', calls, options) };
}

function runCalls(dir: string, impl: 'ours' | 'toolkit', calls: Call[], options: { env?: Record<string, string>; pinUuid?: boolean; files?: 'missing' }): Run {
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  rmSync(output, { force: true });
  rmSync(summary, { force: true });
  if (options.files !== 'missing') {
    writeFileSync(output, '');
    writeFileSync(summary, '');
  }
  const callsFile = join(dir, 'calls.json');
  writeFileSync(callsFile, JSON.stringify(calls));
  const preload = options.pinUuid ? ['--import', `data:text/javascript,${encodeURIComponent(PIN_UUID)}`] : [];
  const result = spawnSync(node24(), [...preload, '--input-type=module', '-e', DRIVER, impl, callsFile], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, PINNED_UUID: PINNED, ...options.env },
  });
  if (result.error) throw result.error;
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '<no file>');
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr, output: read(output), summary: read(summary) };
}

/** Values made to break a workflow command, a heredoc or an escape. */
const HOSTILE: Array<[string, string]> = [
  ['empty', ''],
  ['plain', 'plain'],
  ['newline', 'two\nlines'],
  ['CRLF', 'crlf\r\nline\r'],
  ['only a newline', '\n'],
  ['trailing newline', 'trailing\n'],
  ['percent', '100% done %'],
  ['escapes already', '%0A%0D%25%3A%2C'],
  ['a command', '::warning::injected'],
  ['set-output', '::set-output name=x::y'],
  ['stop-commands', '::stop-commands::tok\n::error::x\n::tok::'],
  ['double colons', 'a::b::c'],
  ['commas and colons', 'a,b:c=d,title=x:y'],
  ['spaces and tabs', '  padded\t \t'],
  ['unicode', 'ünïcödé ✓ 𝔘 🚀 中文 \u200b'],
  ['line separators', 'a\u2028b\u2029c'],
  ['NUL', 'a\u0000b'],
  ['lone surrogate', 'x\ud800y'],
  ['very long', `${'long line '.repeat(20_000)}\n${'%:,\n'.repeat(5_000)}`],
  ['delimiter prefix', 'ghadelimiter_'],
  ['a foreign delimiter', 'ghadelimiter_12345678-1234-4234-8234-123456789abc'],
  ['a delimiter line', 'a\nghadelimiter_12345678-1234-4234-8234-123456789abc\nb'],
  ['heredoc syntax', 'name<<EOF\nEOF\n='],
];

/** Every call the actions make, with value v in each place it can go. */
function callsFor(v: string): Call[] {
  return [
    ['info', v],
    ['debug', v],
    ['warning', v],
    ['error', v],
    ['notice', v],
    ['warning', v, { title: v, file: v, startLine: 12, endLine: 14 }],
    ['error', v, { title: v, file: null, startLine: 0, endLine: null }],
    ['notice', v, {}],
    ['notice', v, { title: null }],
    ['setOutput', 'out', v],
    ['setOutput', v, 'named'],
    ['appendSummary', v],
    ['appendSummary', v],
    ['getInput', 'value'],
    ['getInput', 'Value'],
    ['getInput', 'my input'],
    ['getInput', 'max-files'],
    ['getInput', 'missing'],
    ['unsetEnv', 'GITHUB_OUTPUT'],
    ['setOutput', 'fallback', v],
    ['setOutput', v, 'fallback named'],
    ['setFailed', v],
  ];
}

/** What the runner would give an input (an environment variable holds no NUL, lone surrogate or 128 KiB). */
function inputEnv(v: string): Record<string, string> {
  if (/[\0\ud800-\udfff]/.test(v.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) || v.length > 100_000) return {};
  return { INPUT_VALUE: v, INPUT_MY_INPUT: v, 'INPUT_MAX-FILES': v };
}

describe('runner-commands speaks the runner protocol as @actions/core does', () => {
  it.each(HOSTILE)('%s: the same stdout, GITHUB_OUTPUT, summary, errors and exit code', (_name, v) => {
    const { ours, toolkit } = runBoth(callsFor(v), { env: inputEnv(v), pinUuid: true });
    expect(toolkit.stderr).toBe('');
    expect(ours.stdout.split('\n')).toEqual(toolkit.stdout.split('\n'));
    expect(ours.output).toBe(toolkit.output);
    expect(ours.summary).toBe(toolkit.summary);
    expect([ours.exitCode, ours.stderr]).toEqual([toolkit.exitCode, toolkit.stderr]);
    // Not only equal to the oracle: what the runner reads back is the value itself (as UTF-8 carries it).
    const w = Buffer.from(v, 'utf8').toString('utf8');
    expect(ours.exitCode).toBe(1);
    expect(ours.summary).toBe(`${w}\n${w}\n`);
    expect(ours.output).toContain(`ghadelimiter_${PINNED}`);
    if (w !== '' && !/[=<\n]/.test(w)) expect(parseOutputFile(ours.output)).toEqual({ out: w, [w]: 'named' });
    else expect(parseOutputFile(ours.output).out).toBe(w);
    if (!/[\r\n\u2028\u2029]/.test(w) && !w.startsWith('::')) {
      expect(parseCommands(ours.stdout).filter((c) => c.command === 'warning')).toEqual([
        { command: 'warning', properties: {}, value: w },
        { command: 'warning', properties: w ? { title: w, file: w, line: '12', endLine: '14' } : { line: '12', endLine: '14' }, value: w },
      ]);
    }
  });

  it('with random delimiters too: every output reads back as set, and the logs are equal', () => {
    const calls: Call[] = HOSTILE.map(([, v], i) => ['setOutput', `out${i}`, v] as Call);
    calls.push(['info', 'done']);
    const { ours, toolkit } = runBoth(calls);
    expect(ours.stdout).toBe(toolkit.stdout);
    expect(ours.stdout).toBe('done\n');
    const expected = Object.fromEntries(HOSTILE.map(([, v], i) => [`out${i}`, Buffer.from(v, 'utf8').toString('utf8')]));
    expect(parseOutputFile(ours.output)).toEqual(expected);
    expect(parseOutputFile(toolkit.output)).toEqual(expected);
    const delimiters = new Set([...ours.output.matchAll(/^out\d+<<(ghadelimiter_[0-9a-f-]{36})$/gm)].map((m) => m[1]));
    expect(delimiters.size).toBe(HOSTILE.length);
  });

  it('refuses a name or value that contains the delimiter, and writes nothing', () => {
    const delimiter = `ghadelimiter_${PINNED}`;
    const calls: Call[] = [
      ['setOutput', 'out', `before\n${delimiter}\nevil<<X`],
      ['setOutput', `evil${delimiter}`, 'x'],
      ['setOutput', 'kept', 'yes'],
    ];
    const { ours, toolkit } = runBoth(calls, { pinUuid: true });
    expect([ours.stdout, ours.output]).toEqual([toolkit.stdout, toolkit.output]);
    expect(ours.stdout).toBe(
      `threw setOutput: Unexpected input: value should not contain the delimiter "${delimiter}"\n` +
        `threw setOutput: Unexpected input: name should not contain the delimiter "${delimiter}"\n`,
    );
    expect(parseOutputFile(ours.output)).toEqual({ kept: 'yes' });
  });

  it('fails the same way when the runner files are missing or unset', () => {
    const calls: Call[] = [['setOutput', 'out', 'v'], ['appendSummary', 'text'], ['unsetEnv', 'GITHUB_STEP_SUMMARY'], ['appendSummary', 'text'], ['info', 'still running']];
    const { ours, toolkit } = runBoth(calls, { files: 'missing' });
    expect(ours).toEqual(toolkit);
    expect(ours.stdout).toMatch(/^threw setOutput: Missing file at path: .*\nthrew appendSummary: Unable to access summary file: .*\nthrew appendSummary: Unable to find environment variable for \$GITHUB_STEP_SUMMARY.*\nstill running\n$/);
    expect([ours.exitCode, ours.output, ours.summary]).toEqual([0, '<no file>', '<no file>']);
  });
});
