/**
 * The runner's side of an action's conversation: inputs from `INPUT_<NAME>`, workflow commands
 * (`::name key=value,…::data`) on stdout, outputs through the `GITHUB_OUTPUT` file, the job summary
 * through `GITHUB_STEP_SUMMARY`, and exit code 1 for a failed step.
 *
 * Why not @actions/core: loading it is most of an action's start-up. Its OIDC client pulls in
 * @actions/http-client and undici, and its `platform` export @actions/exec and @actions/io, all
 * evaluated when the bundle loads although no action here asks for an OIDC token or the platform.
 * Measured on Node 24 (dist/scope-guard failing fast outside a repository): about 72 ms of a
 * 150 ms start were @actions/core, 45 ms of it undici. The part we use is the small documented
 * protocol below, written to give the same bytes as @actions/core 3.0.1 (test/runner-commands.test.ts
 * compares the two over hostile values; @actions/core stays a devDependency as that test's oracle).
 */
import { randomUUID } from 'node:crypto';
import { accessSync, appendFileSync, constants, existsSync } from 'node:fs';
import { EOL } from 'node:os';

/** Where an annotation points (the toolkit's AnnotationProperties, the fields we use). */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
}

/** An input as the runner passes it: `INPUT_<NAME>` (spaces as `_`, upper case), trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

/** Command data: `%`, CR and LF escaped so the runner reads the whole value as one line. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Command properties: as data, and `:` and `,` too (they end a property). */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Writes `::command key=value,…::data`. Empty properties (undefined, '', 0) are left out; when a
 * properties object is given at all, a space follows the name even if every property is empty —
 * the toolkit writes it so and the runner reads `::warning ::x` as `::warning::x`.
 */
function issue(command: string, data: string, properties?: readonly (readonly [string, string | number | undefined])[]): void {
  let line = `::${command}`;
  if (properties) {
    line += ` ${properties.filter(([, value]) => value).map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',')}`;
  }
  process.stdout.write(`${line}::${escapeData(data)}${EOL}`);
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function debug(message: string): void {
  issue('debug', message);
}

function annotation(level: 'error' | 'warning' | 'notice', message: string, at?: AnnotationProperties): void {
  // As the toolkit: `{}` counts as no properties, `{ title: undefined }` as (empty) properties.
  const given = at !== undefined && Object.keys(at).length > 0;
  issue(level, message, given ? [['title', at.title], ['file', at.file], ['line', at.startLine], ['endLine', at.endLine]] : undefined);
}

export function error(message: string, at?: AnnotationProperties): void {
  annotation('error', message, at);
}

export function warning(message: string, at?: AnnotationProperties): void {
  annotation('warning', message, at);
}

export function notice(message: string, at?: AnnotationProperties): void {
  annotation('notice', message, at);
}

/** Fails the step: an error annotation now, exit code 1 when the process ends. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

/**
 * Sets a step output: a `name<<ghadelimiter_<uuid>` heredoc appended to `GITHUB_OUTPUT` (a name or
 * value containing the delimiter is refused, so a value cannot end the heredoc early). Without
 * `GITHUB_OUTPUT` (an old runner, a local run) the toolkit still falls back to `::set-output`, so do we.
 */
export function setOutput(name: string, value: string): void {
  const path = process.env.GITHUB_OUTPUT || '';
  if (!path) {
    process.stdout.write(EOL);
    issue('set-output', value, [['name', name]]);
    return;
  }
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter)) throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  if (value.includes(delimiter)) throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  if (!existsSync(path)) throw new Error(`Missing file at path: ${path}`);
  appendFileSync(path, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}

/** Appends Markdown and a line end to the job summary (`GITHUB_STEP_SUMMARY`, which must exist and be writable). */
export function appendSummary(markdown: string): void {
  const path = process.env.GITHUB_STEP_SUMMARY;
  if (!path) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(`Unable to access summary file: '${path}'. Check if the file has correct read/write permissions.`);
  }
  appendFileSync(path, markdown + EOL, { encoding: 'utf8' });
}
