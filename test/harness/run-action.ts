/**
 * Runs a committed bundle exactly as GitHub's runner does: `node dist/<name>/index.js` under
 * Node 24, cwd = GITHUB_WORKSPACE, inputs as INPUT_<NAME>, the GITHUB_* files and a real webhook payload.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { GIT_TEST_ENV, tempDir } from './repo.js';

const require = createRequire(import.meta.url);
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The Node that runs the bundles: the npm-shipped Node 24 (node_modules/.bin/node). */
export function node24(): string {
  const bin = join(ROOT, 'node_modules', '.bin', 'node');
  const path = existsSync(bin) ? bin : process.execPath;
  return path;
}

export interface Annotation {
  level: string;
  message: string;
  properties: Record<string, string>;
}

export interface ActionRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  /** Every workflow command the runner would have honoured (stop-commands respected). */
  commands: Array<{ command: string; properties: Record<string, string>; value: string }>;
  env: string;
}

export interface RunOptions {
  workspace: string;
  inputs?: Record<string, string>;
  event?: { name: string; payload: unknown };
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Kill the process when a stdout line matches (for crash-recovery tests). */
  killWhen?: RegExp;
}

/** A real example payload from @octokit/webhooks-examples, deep-merged with overrides. */
export function webhookPayload(event: string, action: string | undefined, overrides: Record<string, unknown> = {}): unknown {
  const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
  const entry = examples.find((e) => e.name === event);
  if (!entry) throw new Error(`no webhook example for ${event}`);
  const example = entry.examples.find((e) => action === undefined || e.action === action) ?? entry.examples[0] ?? {};
  return deepMerge(structuredClone(example), overrides);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)) {
      deepMerge(current as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

/** Parses the log as the runner does, honouring ::stop-commands::. */
export function parseCommands(stdout: string): ActionRun['commands'] {
  const commands: ActionRun['commands'] = [];
  let stopToken: string | undefined;
  for (const rawLine of stdout.split(/\r?\n/)) {
    const line = rawLine.trimStart();
    if (stopToken !== undefined) {
      if (line.trim() === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const m = line.match(/^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/);
    if (!m) continue;
    const [, command = '', props = '', value = ''] = m;
    if (command === 'stop-commands') {
      stopToken = value;
      continue;
    }
    const properties: Record<string, string> = {};
    for (const pair of props.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command, properties, value: unescapeData(value) });
  }
  return commands;
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIM` heredocs, or `name=value`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!);
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

/** The outputs an action's action.yml declares (the root action.yml for the gate). */
export function declaredOutputs(name: string): string[] {
  const file = name === 'gate' ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml');
  const yml = load(readFileSync(file, 'utf8')) as { outputs?: Record<string, unknown> };
  return Object.keys(yml.outputs ?? {});
}

export async function runAction(name: string, options: RunOptions): Promise<ActionRun> {
  const bundle = join(ROOT, 'dist', name, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
  const files = tempDir('rg-runner-');
  const temp = join(files, 'temp');
  mkdirSync(temp);
  const paths = {
    GITHUB_OUTPUT: join(files, 'output'),
    GITHUB_STEP_SUMMARY: join(files, 'summary'),
    GITHUB_ENV: join(files, 'env'),
    GITHUB_STATE: join(files, 'state'),
    GITHUB_PATH: join(files, 'path'),
    GITHUB_EVENT_PATH: join(files, 'event.json'),
  };
  for (const p of Object.values(paths)) writeFileSync(p, '');
  const event = options.event ?? { name: 'workflow_dispatch', payload: webhookPayload('workflow_dispatch', undefined) };
  writeFileSync(paths.GITHUB_EVENT_PATH, JSON.stringify(event.payload));

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? files,
    ...GIT_TEST_ENV,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_SHA: '',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux',
    ...paths,
  };
  for (const [key, value] of Object.entries(options.inputs ?? {})) {
    env[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  Object.assign(env, options.env);
  if (!env.GITHUB_SHA) delete env.GITHUB_SHA;

  return new Promise((resolvePromise, reject) => {
    const child = spawn(node24(), [bundle], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (options.killWhen && options.killWhen.test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const commands = parseCommands(stdout);
      const outputs = parseOutputFile(readFileSync(paths.GITHUB_OUTPUT, 'utf8'));
      const declared = declaredOutputs(name);
      const undeclared = Object.keys(outputs).filter((o) => !declared.includes(o));
      if (undeclared.length > 0) {
        reject(new Error(`dist/${name} set outputs its action.yml does not declare: ${undeclared.join(', ')}`));
        return;
      }
      resolvePromise({
        exitCode,
        signal,
        stdout,
        stderr,
        outputs,
        summary: readFileSync(paths.GITHUB_STEP_SUMMARY, 'utf8'),
        annotations: commands
          .filter((c) => ['error', 'warning', 'notice'].includes(c.command))
          .map((c) => ({ level: c.command, message: c.value, properties: c.properties })),
        commands,
        env: readFileSync(paths.GITHUB_ENV, 'utf8'),
      });
    });
  });
}
