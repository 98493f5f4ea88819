// The one emulation of GitHub's runner, shared by the tests (test/harness/run-action.ts), the demo
// (scripts/demo.mjs) and the benchmarks (bench/): `node dist/<name>/index.js` under Node 24,
// cwd = GITHUB_WORKSPACE, inputs as INPUT_<NAME>, the GITHUB_OUTPUT/STEP_SUMMARY/ENV/STATE/PATH
// files and the event payload file, then the log parsed as the runner parses workflow commands.
// A bundle whose sources changed since it was built is refused (scripts/bundle-hash.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, staleBundle } from './bundle-hash.mjs';

export { ROOT };

/** The Node that runs the bundles: the npm-shipped Node 24 (node_modules/.bin/node), else this one. */
export function node24() {
  const bin = join(ROOT, 'node_modules', '.bin', 'node');
  return existsSync(bin) ? bin : process.execPath;
}

const checked = new Map();
/** Throws "run npm run build" when dist/<name> is missing or older than its sources (checked once per process). */
export function assertBundleFresh(name) {
  if (!checked.has(name)) checked.set(name, staleBundle(name));
  const problem = checked.get(name);
  if (problem) throw new Error(problem);
}

// As the runner (ActionCommand.cs): each escape in turn, `%25` last, so `%253A` reads back as `%3A`.
function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

/** Parses the log as the runner does, honouring ::stop-commands::. */
export function parseCommands(stdout) {
  const commands = [];
  let stopToken;
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
    const properties = {};
    for (const pair of props.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command, properties, value: unescapeData(value) });
  }
  return commands;
}

/** Parses a GITHUB_OUTPUT (or GITHUB_ENV) file: `name<<DELIM` heredocs, or `name=value`. */
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]);
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

/**
 * Everything a run needs before it starts: the runner's files (empty), the event payload, and the
 * environment the runner gives a step. Benchmarks prepare once and time only the runs.
 */
export function prepareRun(name, options) {
  assertBundleFresh(name);
  const files = options.filesDir ?? mkdtempSync(join(tmpdir(), 'rg-runner-'));
  const temp = join(files, 'temp');
  mkdirSync(temp, { recursive: true });
  const paths = {
    GITHUB_OUTPUT: join(files, 'output'),
    GITHUB_STEP_SUMMARY: join(files, 'summary'),
    GITHUB_ENV: join(files, 'env'),
    GITHUB_STATE: join(files, 'state'),
    GITHUB_PATH: join(files, 'path'),
    GITHUB_EVENT_PATH: join(files, 'event.json'),
  };
  const event = options.event ?? { name: 'workflow_dispatch', payload: {} };
  writeFileSync(paths.GITHUB_EVENT_PATH, JSON.stringify(event.payload));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? files,
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
  for (const [key, value] of Object.entries(options.inputs ?? {})) env[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = value;
  Object.assign(env, options.env);
  for (const [key, value] of Object.entries(env)) if (value === undefined || (key === 'GITHUB_SHA' && value === '')) delete env[key];
  const prepared = { name, bundle: join(ROOT, 'dist', name, 'index.js'), cwd: options.cwd ?? options.workspace, env, paths, files };
  resetFiles(prepared);
  return prepared;
}

function resetFiles(prepared) {
  for (const [key, path] of Object.entries(prepared.paths)) if (key !== 'GITHUB_EVENT_PATH') writeFileSync(path, '');
}

/** What a finished run left: its outputs, summary, workflow commands and annotations. */
export function collectRun(prepared, exitCode, signal, stdout, stderr) {
  const commands = parseCommands(stdout);
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(prepared.paths.GITHUB_OUTPUT, 'utf8')),
    summary: readFileSync(prepared.paths.GITHUB_STEP_SUMMARY, 'utf8'),
    annotations: commands.filter((c) => ['error', 'warning', 'notice'].includes(c.command)).map((c) => ({ level: c.command, message: c.value, properties: c.properties })),
    commands,
    env: readFileSync(prepared.paths.GITHUB_ENV, 'utf8'),
  };
}

/** Runs a prepared step synchronously (the runner's files are emptied first, so it can run again). */
export function runPreparedSync(prepared, options = {}) {
  resetFiles(prepared);
  const result = spawnSync(node24(), [prepared.bundle], {
    cwd: prepared.cwd,
    env: prepared.env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (result.error && result.error.code !== 'ETIMEDOUT') throw result.error;
  return collectRun(prepared, result.status, result.signal, result.stdout ?? '', result.stderr ?? '');
}

/** Prepares and runs one step synchronously (the demo, the benchmarks). */
export function runActionSync(name, options) {
  return runPreparedSync(prepareRun(name, options), options);
}

/** Prepares and runs one step (the tests): a timeout and an optional kill on a log line. */
export function runPrepared(prepared, options = {}) {
  resetFiles(prepared);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(node24(), [prepared.bundle], { cwd: prepared.cwd, env: prepared.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString('utf8');
      if (options.killWhen && options.killWhen.test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      try {
        resolvePromise(collectRun(prepared, exitCode, signal, stdout, stderr));
      } catch (error) {
        reject(error);
      }
    });
  });
}
