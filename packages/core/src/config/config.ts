/**
 * `.github/rollback-gate.yml`: types, defaults, and a parser that reports every problem with the
 * file, line and column, what was expected and what was found.
 *
 * The YAML keys are kebab-case (`max-files`); the parsed `Config` uses camelCase (`maxFiles`).
 * Every key is optional. A list given in the file replaces the default list (it is not merged).
 *
 * How positions are found: js-yaml 5 parses into a flat event stream whose events carry source
 * offsets (`parseEvents`), and builds values from it (`constructFromEvents`). One walk over the
 * events records the offset of every key and value by its path (`verify.commands[1].run`), and
 * the validator looks errors up there.
 */
import {
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  constructFromEvents,
  getScalarValue,
  parseEvents,
  type Event,
} from 'js-yaml';
import { ConfigError } from '../base/errors.js';

export const CONFIG_PATH = '.github/rollback-gate.yml';

// ---------------------------------------------------------------------------------------------
// Types

/** scope's modes: fail the check, or only warn. */
export const MODES = ['fail', 'warn'] as const;
export type Mode = (typeof MODES)[number];
export type CrossLayerPolicy = 'fail' | 'warn' | 'allow';

/** Paths a change may touch only with a label on the PR: `scope.protected`, `verify.irreversible`. */
export interface GuardedPaths {
  /** Path globs. */
  paths: string[];
  /** Why these paths are guarded; shown in reports. */
  reason: string;
  /** The PR label that allows the change. */
  requireLabel: string;
}

export interface ScopeConfig {
  /** The most files a change may touch (renames count once). */
  maxFiles: number;
  /** Path globs not counted. */
  ignore: string[];
  /** Layer name -> path globs. */
  layers: Record<string, string[]>;
  /** A change touching several layers; allowed with the label `cross-layer` or a `Cross-Layer:` trailer. */
  crossLayer: CrossLayerPolicy;
  protected: GuardedPaths[];
  mode: Mode;
}

export interface AgentsConfig {
  /** Text globs over trailer lines (`Key: value`), case-insensitive; `*` matches anything. */
  trailers: string[];
  /** Text globs over `Name <email>`, case-insensitive; `*` matches anything, `[bot]` is literal. */
  authors: string[];
  /** A file budget for the agent commits alone; absent: no separate budget. */
  maxFiles?: number;
}

export interface BlastRadiusConfig {
  /** How many import hops are followed from the changed files. */
  maxDepth: number;
  mode: Mode;
}

export interface VerifyCommand {
  name: string;
  /** A shell command. */
  run: string;
  /** Absent: `verify.timeoutMinutes`. */
  timeoutMinutes?: number;
}

export interface VerifyConfig {
  commands: VerifyCommand[];
  timeoutMinutes: number;
  /** The rollback window: the last `commits` first-parent commits or `days` of the base branch. */
  window: { commits: number; days: number };
  irreversible: GuardedPaths[];
  /** What an entangled change does to the check. */
  entanglement: Mode;
}

/** Recovery objectives (`postmortem.slo`): what a recovery is measured against. */
export interface SloConfig {
  /** A recovery within this many minutes of detection meets the objective. */
  timeToRestoreMinutes: number;
  /** The share of recovery attempts that must succeed, 0 < rate <= 1 (0.95: 95%). */
  successRate: number;
}

export interface PostmortemConfig {
  securityLog: string;
  decisionsLog: string;
  slo: SloConfig;
}

export interface CheckpointConfig {
  /** Tag prefix: checkpoints are `<prefix><session-id>`. */
  prefix: string;
  /** Retention: how many checkpoints to keep... */
  keep: number;
  /** ...and for how long. */
  maxAgeDays: number;
}

export interface RollbackConfig {
  /** The label (on the target's PR, or granted to the plan) that lets a rollback re-introduce a secret. */
  allowSecretsLabel: string;
  /** A rollback lock older than this was left by a killed run (GitHub's default job timeout: 360). */
  lockTimeoutMinutes: number;
}

/**
 * An import rule between layers (`scope.layers`): files of layer `from` may import only the layers
 * in `allow` (besides their own layer and files in no layer), and never those in `forbid`.
 */
export interface ArchitectureRule {
  from: string;
  allow?: string[];
  forbid?: string[];
}

export interface ArchitectureConfig {
  rules: ArchitectureRule[];
}

/**
 * Rollbacks that start themselves (`triggers`): a red default branch (`workflow_run`) or an alert
 * (`repository_dispatch`), held by guardrails. Off unless `enabled: true`.
 */
export interface TriggersConfig {
  enabled: boolean;
  /** The CI workflow whose red runs count: its file name (`ci.yml`), path or name. Absent: the workflow that sent the event. */
  workflow?: string;
  /** Fails on a bad commit: confirms the failure on the failing head, then bisects a range of several units. */
  bisectCommand?: string;
  /** How many times the failure is confirmed on the failing head before anything is blamed (a pass among them: flaky). */
  confirm: number;
  /** The most automatic rollbacks a day (counted from the rollback commits and rollback branches, not from memory). */
  maxPerDay: number;
  /** A culprit older than this is not rolled back automatically. */
  maxAgeHours: number;
  /** How many of the workflow's green runs are searched for the last green commit (the range is never unbounded). */
  lookback: number;
  /** The kill switch: this repository variable set to true... */
  pauseVariable: string;
  /** ...or an open issue carrying this label. */
  pauseLabel: string;
  /** `pr` (default) or `direct` (pushes to the branch). */
  delivery: 'pr' | 'direct';
}

export interface Config {
  scope: ScopeConfig;
  architecture: ArchitectureConfig;
  agents: AgentsConfig;
  blastRadius: BlastRadiusConfig;
  verify: VerifyConfig;
  postmortem: PostmortemConfig;
  checkpoint: CheckpointConfig;
  rollback: RollbackConfig;
  triggers: TriggersConfig;
}

// ---------------------------------------------------------------------------------------------
// Defaults

/**
 * Agent trailers. Agents are recognised by their bot accounts and noreply addresses rather than
 * by first name alone, so that a human co-author called Claude or Devin is not taken for an agent.
 */
const DEFAULT_AGENT_TRAILERS = [
  'Co-authored-by: *<noreply@anthropic.com>', // Claude Code
  'Co-authored-by: *copilot*', // GitHub Copilot
  'Co-authored-by: Cursor Agent*', // Cursor
  'Co-authored-by: *cursoragent@cursor.com*',
  'Co-authored-by: *devin-ai-integration*', // Devin
  'Co-authored-by: *codex*', // OpenAI Codex
  'Co-authored-by: *noreply@aider.chat*', // Aider
  'Co-authored-by: *gemini*', // Gemini Code Assist, Gemini CLI
  'Co-authored-by: *google-labs-jules*', // Jules
  'Co-authored-by: *openhands*', // OpenHands
  'Co-authored-by: *sweep-ai*', // Sweep
  'Co-authored-by: *@ampcode.com>', // Amp
  'Co-authored-by: *windsurf*', // Windsurf / Codeium
  'Co-authored-by: *[bot]*', // any GitHub App
  'Generated-by: *',
  'Assisted-by: *',
];

const DEFAULT_AGENT_AUTHORS = [
  '*[bot]*',
  '*copilot*',
  '*devin-ai-integration*',
  '*<noreply@anthropic.com>',
  '*cursoragent@cursor.com*',
  '*noreply@aider.chat*',
  '*openhands@all-hands.dev*',
];

const DEFAULT_IGNORE = [
  '**/*.lock', // yarn.lock, Cargo.lock, poetry.lock, Gemfile.lock, composer.lock, bun.lock, uv.lock, ...
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/bun.lockb',
  '**/go.sum',
];

const PROTECTED_ENTRY_DEFAULTS = { reason: 'protected path', requireLabel: 'protected-ok' };
const IRREVERSIBLE_ENTRY_DEFAULTS = { reason: 'git cannot roll this back', requireLabel: 'irreversible-ok' };

/** The config used when the file is absent, and for every key the file leaves out. Frozen: clone it to change it. */
export const DEFAULT_CONFIG: Config = deepFreeze({
  scope: {
    maxFiles: 5,
    ignore: DEFAULT_IGNORE,
    layers: {},
    crossLayer: 'fail',
    protected: [],
    mode: 'fail',
  },
  architecture: { rules: [] },
  agents: { trailers: DEFAULT_AGENT_TRAILERS, authors: DEFAULT_AGENT_AUTHORS },
  blastRadius: { maxDepth: 3, mode: 'warn' },
  verify: {
    commands: [],
    timeoutMinutes: 15,
    window: { commits: 50, days: 14 },
    irreversible: [],
    entanglement: 'fail',
  },
  postmortem: {
    securityLog: 'docs/SECURITY_LOG.md',
    decisionsLog: 'docs/DECISIONS.md',
    slo: { timeToRestoreMinutes: 60, successRate: 0.95 },
  },
  checkpoint: { prefix: 'checkpoint/', keep: 100, maxAgeDays: 180 },
  rollback: { allowSecretsLabel: 'rollback-gate:secret-ok', lockTimeoutMinutes: 360 },
  triggers: {
    enabled: false,
    confirm: 2,
    maxPerDay: 3,
    maxAgeHours: 72,
    lookback: 100,
    pauseVariable: 'ROLLBACK_GATE_PAUSED',
    pauseLabel: 'rollback-gate:pause',
    delivery: 'pr',
  },
});

// ---------------------------------------------------------------------------------------------
// Schema: one declarative description of the file, used to validate and to suggest keys.

type Schema = BooleanSchema | IntegerSchema | FractionSchema | EnumSchema | StringSchema | ListSchema | MapSchema | ObjectSchema;

interface BooleanSchema {
  kind: 'boolean';
}
interface IntegerSchema {
  kind: 'integer';
  min: number;
}
/** A number in (0, 1]: a share, such as a success rate. */
interface FractionSchema {
  kind: 'fraction';
}
interface EnumSchema {
  kind: 'enum';
  values: readonly string[];
}
interface StringSchema {
  kind: 'string';
  /** What a valid value is, e.g. "a glob pattern". */
  expected: string;
  /** Further rules: returns what was expected when the value breaks one, else undefined. */
  check?: (value: string) => string | undefined;
}
interface ListSchema {
  kind: 'list';
  expected: string;
  items: Schema;
  nonEmpty?: boolean;
  /** A key of the item mappings whose values must differ between items. */
  uniqueKey?: string;
}
/** A mapping whose keys are names the user chooses (`scope.layers`). */
interface MapSchema {
  kind: 'map';
  expected: string;
  keyExpected: string;
  values: Schema;
}
/** A mapping with a fixed set of keys; absent keys take `defaults` (already camelCase). */
interface ObjectSchema {
  kind: 'object';
  fields: Readonly<Record<string, Schema>>;
  required?: readonly string[];
  defaults: object;
}

const boolean: BooleanSchema = { kind: 'boolean' };
const integer = (min: number): IntegerSchema => ({ kind: 'integer', min });
const fraction: FractionSchema = { kind: 'fraction' };
const oneOf = (...values: string[]): EnumSchema => ({ kind: 'enum', values });
const text = (expected: string, check?: StringSchema['check']): StringSchema => ({ kind: 'string', expected, check });
const listOf = (expected: string, items: Schema, options: Partial<ListSchema> = {}): ListSchema => ({
  kind: 'list',
  expected,
  items,
  ...options,
});
const object = (fields: Record<string, Schema>, defaults: object, required?: string[]): ObjectSchema => ({
  kind: 'object',
  fields,
  defaults,
  required,
});

const pathGlob = text('a glob pattern', checkPathGlob);
const pathGlobs = listOf('a list of glob patterns', pathGlob);
const label = text('a label name', (value) => (value.length > 50 ? 'a label name of at most 50 characters' : undefined));
const repoFile = text('a file path', checkRepoFile);
const mode = oneOf('fail', 'warn');

const guardedPaths = (defaults: object): ListSchema =>
  listOf(
    'a list of { paths, reason, require-label } entries',
    object(
      { paths: listOf('a list of glob patterns', pathGlob, { nonEmpty: true }), reason: text('a reason'), 'require-label': label },
      defaults,
      ['paths'],
    ),
  );

const CONFIG_SCHEMA: ObjectSchema = object(
  {
    scope: object(
      {
        'max-files': integer(1),
        ignore: pathGlobs,
        layers: {
          kind: 'map',
          expected: 'a mapping of layer names to lists of glob patterns',
          keyExpected: 'a layer name',
          values: listOf('a list of glob patterns', pathGlob, { nonEmpty: true }),
        },
        'cross-layer': oneOf('fail', 'warn', 'allow'),
        protected: guardedPaths(PROTECTED_ENTRY_DEFAULTS),
        mode,
      },
      DEFAULT_CONFIG.scope,
    ),
    architecture: object(
      {
        rules: listOf(
          'a list of { from, allow } or { from, forbid } entries',
          object(
            {
              from: text('a layer name (a key of scope.layers)'),
              allow: listOf('a list of layer names', text('a layer name (a key of scope.layers)')),
              forbid: listOf('a list of layer names', text('a layer name (a key of scope.layers)')),
            },
            {},
            ['from'],
          ),
        ),
      },
      DEFAULT_CONFIG.architecture,
    ),
    agents: object(
      {
        trailers: listOf('a list of trailer patterns', text('a trailer pattern such as "Generated-by: *"')),
        authors: listOf('a list of author patterns', text('an author pattern such as "*[bot]*"')),
        'max-files': integer(1),
      },
      DEFAULT_CONFIG.agents,
    ),
    'blast-radius': object({ 'max-depth': integer(1), mode }, DEFAULT_CONFIG.blastRadius),
    verify: object(
      {
        commands: listOf(
          'a list of { name, run, timeout-minutes } entries',
          object({ name: text('a command name'), run: text('a shell command'), 'timeout-minutes': integer(1) }, {}, [
            'name',
            'run',
          ]),
          { uniqueKey: 'name' },
        ),
        'timeout-minutes': integer(1),
        window: object({ commits: integer(1), days: integer(1) }, DEFAULT_CONFIG.verify.window),
        irreversible: guardedPaths(IRREVERSIBLE_ENTRY_DEFAULTS),
        entanglement: mode,
      },
      DEFAULT_CONFIG.verify,
    ),
    postmortem: object(
      {
        'security-log': repoFile,
        'decisions-log': repoFile,
        slo: object({ 'time-to-restore-minutes': integer(1), 'success-rate': fraction }, DEFAULT_CONFIG.postmortem.slo),
      },
      DEFAULT_CONFIG.postmortem,
    ),
    checkpoint: object(
      { prefix: text('a tag name prefix', checkRefPrefix), keep: integer(1), 'max-age-days': integer(1) },
      DEFAULT_CONFIG.checkpoint,
    ),
    rollback: object(
      { 'allow-secrets-label': text('a label name'), 'lock-timeout-minutes': integer(1) },
      DEFAULT_CONFIG.rollback,
    ),
    triggers: object(
      {
        enabled: boolean,
        workflow: text('a workflow file name (ci.yml), path or name'),
        'bisect-command': text('a shell command'),
        confirm: integer(1),
        'max-per-day': integer(1),
        'max-age-hours': integer(1),
        lookback: integer(1),
        'pause-variable': text('a variable name', (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'a variable name (letters, digits and _, not starting with a digit)')),
        'pause-label': label,
        delivery: oneOf('pr', 'direct'),
      },
      DEFAULT_CONFIG.triggers,
    ),
  },
  DEFAULT_CONFIG,
);

function checkPathGlob(glob: string): string | undefined {
  if (glob.startsWith('/') || glob.startsWith('./')) {
    return `a glob pattern relative to the repository root (no leading "${glob.startsWith('/') ? '/' : './'}")`;
  }
  if (glob.startsWith('!')) return 'a glob pattern without a leading "!" (negated patterns are not supported)';
  return undefined;
}

function checkRepoFile(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'a file path relative to the repository root';
  if (path.split(/[\\/]/).includes('..')) return 'a file path inside the repository (no "..")';
  if (path.endsWith('/')) return 'a file path, not a directory';
  return undefined;
}

/** The rules of `git check-ref-format` that a prefix can break on its own. */
function checkRefPrefix(prefix: string): string | undefined {
  const broken =
    /[\s~^:?*[\\\x00-\x1f\x7f]/.test(prefix) ||
    prefix.includes('..') ||
    prefix.includes('@{') ||
    prefix.includes('//') ||
    prefix.startsWith('/') ||
    prefix.startsWith('-') ||
    /(^|\/)\./.test(prefix) ||
    /\.lock(\/|$)/.test(prefix);
  return broken ? 'a tag name prefix that git accepts (no spaces, "..", "~^:?*[\\", or leading "/", "-" or ".")' : undefined;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Parses and validates the config file's text. Every problem throws a ConfigError naming `file`, line and column. */
export function parseConfig(text: string, file: string): Config {
  const document = readYamlDocument(text, file);
  if (document.value === null || document.value === undefined) return cloneDefaults();
  const validator = new ConfigValidator(file, document.locator);
  const config = validator.validate(document.value, CONFIG_SCHEMA, []) as Config;
  validator.checkArchitecture(config);
  return config;
}

/**
 * Reads the config through `read` (the working tree, or a git ref such as the base branch in
 * pull_request_target runs: the caller decides). `read` returns undefined when the file is absent.
 */
export function loadConfig(read: (path: string) => string | undefined, path: string = CONFIG_PATH): Config {
  const text = read(path);
  return text === undefined ? cloneDefaults() : parseConfig(text, path);
}

function cloneDefaults(): Config {
  return structuredClone(DEFAULT_CONFIG);
}

// ---------------------------------------------------------------------------------------------
// YAML and positions

type Path = ReadonlyArray<string | number>;

interface YamlDocument {
  value: unknown;
  locator: SourceLocator;
}

function readYamlDocument(text: string, file: string): YamlDocument {
  let events: Event[];
  let documents: unknown[];
  try {
    events = parseEvents(text, { filename: file });
    documents = constructFromEvents(events, { source: text, filename: file });
  } catch (error) {
    throw yamlSyntaxError(error, file);
  }
  const locator = new SourceLocator(text, events);
  if (documents.length > 1) {
    const { line, column } = locator.lineAndColumn(locator.secondDocumentOffset());
    throw new ConfigError(
      file,
      line,
      column,
      `expected one YAML document, found ${documents.length}`,
      'Remove the "---" separator and merge the documents.',
    );
  }
  return { value: documents[0], locator };
}

function yamlSyntaxError(error: unknown, file: string): ConfigError {
  if (error instanceof YAMLException) {
    const mark = error.mark;
    return new ConfigError(
      file,
      mark ? mark.line + 1 : undefined,
      mark ? mark.column + 1 : undefined,
      `invalid YAML: ${error.reason}`,
      mark?.snippet ?? undefined,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError(file, undefined, undefined, `invalid YAML: ${message}`);
}

interface NodeOffsets {
  /** Where the mapping key naming the node starts. */
  key?: number;
  /** Where the node itself starts; absent for an empty value (`key:` and nothing else). */
  value?: number;
}

/** Source offsets of the first document's keys and values by path, and offset -> line and column. */
class SourceLocator {
  private readonly text: string;
  private readonly events: readonly Event[];
  private readonly offsets = new Map<string, NodeOffsets>();
  private readonly lineStarts: number[] = [0];

  constructor(text: string, events: readonly Event[]) {
    this.text = text;
    this.events = events;
    for (const match of text.matchAll(/\r\n|\r|\n/g)) this.lineStarts.push(match.index + match[0].length);
    const firstDocument = events.findIndex((event) => event.type === EVENT_ID.DOCUMENT);
    const root = events[firstDocument + 1];
    if (firstDocument >= 0 && root && root.type !== EVENT_ID.POP) this.indexNode(firstDocument + 1, []);
  }

  /** The 1-based line and column of the key (or value) at `path`, else of its nearest located ancestor. */
  locate(path: Path, target: 'key' | 'value'): { line: number; column: number } {
    for (let length = path.length; length >= 0; length--) {
      const offsets = this.offsets.get(pathKey(path.slice(0, length)));
      const offset = target === 'key' ? (offsets?.key ?? offsets?.value) : (offsets?.value ?? offsets?.key);
      if (offset !== undefined) return this.lineAndColumn(offset);
    }
    return { line: 1, column: 1 };
  }

  lineAndColumn(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low]! + 1 };
  }

  /** Where the second document starts: its `---` marker. */
  secondDocumentOffset(): number {
    let documentsSeen = 0;
    for (let index = 0; index < this.events.length; index++) {
      if (this.events[index]!.type !== EVENT_ID.DOCUMENT || ++documentsSeen < 2) continue;
      const content = this.events[index + 1];
      const contentOffset = content ? nodeOffset(content, this.text) : undefined;
      if (contentOffset === undefined) return 0;
      const marker = this.text.lastIndexOf('---', contentOffset);
      return marker >= 0 ? marker : contentOffset;
    }
    return 0;
  }

  /** Records the node starting at events[index] under `path` (and its children); returns the index after it. */
  private indexNode(index: number, path: Path | undefined): number {
    const event = this.events[index]!;
    if (path) this.record(path, 'value', nodeOffset(event, this.text));
    if (event.type === EVENT_ID.MAPPING) {
      index++;
      while (this.events[index]!.type !== EVENT_ID.POP) {
        const keyEvent = this.events[index]!;
        const key = keyEvent.type === EVENT_ID.SCALAR ? getScalarValue(this.text, keyEvent) : undefined;
        const valuePath = path && key !== undefined ? [...path, key] : undefined;
        if (valuePath) this.record(valuePath, 'key', nodeOffset(keyEvent, this.text));
        index = this.indexNode(index, undefined); // a complex key's own children are not indexed
        index = this.indexNode(index, valuePath);
      }
      return index + 1;
    }
    if (event.type === EVENT_ID.SEQUENCE) {
      index++;
      for (let item = 0; this.events[index]!.type !== EVENT_ID.POP; item++) {
        index = this.indexNode(index, path && [...path, item]);
      }
      return index + 1;
    }
    return index + 1;
  }

  private record(path: Path, target: keyof NodeOffsets, offset: number | undefined): void {
    const key = pathKey(path);
    const offsets = this.offsets.get(key) ?? {};
    offsets[target] = offset;
    this.offsets.set(key, offsets);
  }
}

/** Where a node starts in the source: a quoted scalar at its quote, an alias at its `*`. */
function nodeOffset(event: Event, text: string): number | undefined {
  switch (event.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return event.start;
    case EVENT_ID.ALIAS:
      return event.anchorStart - 1;
    case EVENT_ID.SCALAR: {
      if (event.valueStart < 0) {
        if (event.tagStart >= 0) return event.tagStart;
        return event.anchorStart >= 0 ? event.anchorStart - 1 : undefined;
      }
      if (event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED) {
        return event.valueStart - 1;
      }
      if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK) {
        const firstVisible = text.slice(event.valueStart, event.valueEnd).search(/\S/);
        return firstVisible >= 0 ? event.valueStart + firstVisible : undefined;
      }
      return event.valueStart;
    }
    default:
      return undefined;
  }
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** `verify.commands[1].run`; keys that are not plain words are quoted: `scope.layers["a.b"]`. */
function formatPath(path: Path): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) formatted += formatted ? `.${segment}` : segment;
    else formatted += `[${JSON.stringify(segment)}]`;
  }
  return formatted;
}

// ---------------------------------------------------------------------------------------------
// Validation

class ConfigValidator {
  private readonly file: string;
  private readonly locator: SourceLocator;

  constructor(file: string, locator: SourceLocator) {
    this.file = file;
    this.locator = locator;
  }

  /** Checks `value` against `schema` and returns it converted: camelCase keys, defaults filled in. */
  validate(value: unknown, schema: Schema, path: Path): unknown {
    switch (schema.kind) {
      case 'boolean':
        if (typeof value === 'boolean') return value;
        throw this.mismatch(
          path,
          'true or false',
          value,
          typeof value === 'string' && /^\s*(true|false|yes|no|on|off)\s*$/i.test(value) ? 'Write true or false without quotes.' : undefined,
        );
      case 'integer':
        if (typeof value === 'number' && Number.isInteger(value) && value >= schema.min) return value;
        throw this.mismatch(
          path,
          `a whole number >= ${schema.min}`,
          value,
          typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? 'Write the number without quotes.' : undefined,
        );
      case 'fraction': {
        if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1) return value;
        const percent = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)?.[1] : typeof value === 'number' && value > 1 && value <= 100 ? String(value) : undefined;
        throw this.mismatch(
          path,
          'a number greater than 0 and at most 1 (0.95 for 95%)',
          value,
          percent !== undefined ? `Write ${Number(percent) / 100} for ${percent}%.` : typeof value === 'string' && /^\s*\d*\.?\d+\s*$/.test(value) ? 'Write the number without quotes.' : undefined,
        );
      }
      case 'enum': {
        if (typeof value === 'string' && schema.values.includes(value)) return value;
        const suggestion = typeof value === 'string' ? closestWord(value, schema.values) : undefined;
        throw this.mismatch(
          path,
          `one of ${schema.values.map((v) => JSON.stringify(v)).join(', ')}`,
          value,
          undefined,
          suggestion,
        );
      }
      case 'string': {
        if (typeof value !== 'string' || value.trim() === '') throw this.mismatch(path, schema.expected, value);
        const unmet = schema.check?.(value);
        if (unmet) throw this.mismatch(path, unmet, value);
        return value;
      }
      case 'list':
        return this.validateList(value, schema, path);
      case 'map':
        return this.validateMap(value, schema, path);
      case 'object':
        return this.validateObject(value, schema, path);
    }
  }

  private validateList(value: unknown, schema: ListSchema, path: Path): unknown[] {
    if (!Array.isArray(value)) throw this.mismatch(path, schema.expected, value);
    if (schema.nonEmpty && value.length === 0) throw this.mismatch(path, `${schema.expected} (at least one)`, value);
    const items = value.map((item, index) => this.validate(item, schema.items, [...path, index]));
    if (schema.uniqueKey) this.checkUnique(items, schema.uniqueKey, path);
    return items;
  }

  private checkUnique(items: unknown[], key: string, path: Path): void {
    const firstIndex = new Map<unknown, number>();
    items.forEach((item, index) => {
      const value = (item as Record<string, unknown>)[camelCase(key)];
      const first = firstIndex.get(value);
      if (first === undefined) {
        firstIndex.set(value, index);
        return;
      }
      const itemPath = [...path, index, key];
      throw this.error(
        itemPath,
        'value',
        `${formatPath(itemPath)}: the ${key} ${JSON.stringify(value)} is already used by ${formatPath([...path, first])}; each ${key} must be unique`,
      );
    });
  }

  private validateMap(value: unknown, schema: MapSchema, path: Path): Record<string, unknown> {
    if (value === null) return {};
    if (!isMapping(value)) throw this.mismatch(path, schema.expected, value);
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      if (key.trim() === '') {
        throw this.error(childPath, 'key', `${formatPath(path)}: expected ${schema.keyExpected}, found an empty key`);
      }
      result[key] = this.validate(child, schema.values, childPath);
    }
    return result;
  }

  private validateObject(value: unknown, schema: ObjectSchema, path: Path): Record<string, unknown> {
    const result = structuredClone(schema.defaults) as Record<string, unknown>;
    if (value === null) return result; // a section with nothing under it (e.g. all commented out)
    if (!isMapping(value)) throw this.mismatch(path, 'a mapping (key: value pairs)', value);
    const knownKeys = Object.keys(schema.fields);
    for (const [key, child] of Object.entries(value)) {
      const fieldSchema = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
      if (!fieldSchema) throw this.unknownKey(path, key, knownKeys);
      result[camelCase(key)] = this.validate(child, fieldSchema, [...path, key]);
    }
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key)) {
        throw this.error(path, 'value', `${formatPath(path) || 'top level'}: missing required key "${key}"`);
      }
    }
    return result;
  }

  /** Import rules name layers of `scope.layers`, and each says what it allows or forbids. */
  checkArchitecture(config: Config): void {
    const layers = Object.keys(config.scope.layers);
    config.architecture.rules.forEach((rule, index) => {
      const rulePath = ['architecture', 'rules', index];
      if (rule.allow === undefined && rule.forbid === undefined) {
        throw this.error(
          rulePath,
          'value',
          `${formatPath(rulePath)}: expected \`allow\` (the layers ${JSON.stringify(rule.from)} may import) or \`forbid\` (those it must not), found neither`,
          'Write it as { from: silver, allow: [bronze] } or { from: bronze, forbid: [gold] }.',
        );
      }
      const named: Array<[Path, string]> = [
        [[...rulePath, 'from'], rule.from],
        ...(rule.allow ?? []).map((layer, i): [Path, string] => [[...rulePath, 'allow', i], layer]),
        ...(rule.forbid ?? []).map((layer, i): [Path, string] => [[...rulePath, 'forbid', i], layer]),
      ];
      for (const [path, layer] of named) {
        if (layers.includes(layer)) continue;
        const suggestion = closestWord(layer, layers);
        throw this.error(
          path,
          'value',
          `${formatPath(path)}: unknown layer ${JSON.stringify(layer)}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          layers.length > 0
            ? `The layers are the keys of scope.layers: ${layers.join(', ')}.`
            : 'scope.layers defines no layers: define them first (scope.layers: { bronze: ["src/bronze/**"] }).',
        );
      }
    });
  }

  private unknownKey(path: Path, key: string, knownKeys: readonly string[]): ConfigError {
    const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
    const suggestion = closestWord(key, knownKeys);
    const didYouMean = suggestion ? `; did you mean "${suggestion}"?` : '';
    return this.error(
      [...path, key],
      'key',
      `unknown key ${JSON.stringify(key)} ${where}${didYouMean}`,
      `Valid keys ${where}: ${knownKeys.join(', ')}.`,
    );
  }

  private mismatch(path: Path, expected: string, found: unknown, hint?: string, suggestion?: string): ConfigError {
    const subject = formatPath(path) || 'top level';
    const didYouMean = suggestion ? `; did you mean "${suggestion}"?` : '';
    return this.error(path, 'value', `${subject}: expected ${expected}, found ${describeValue(found)}${didYouMean}`, hint);
  }

  private error(path: Path, target: 'key' | 'value', message: string, hint?: string): ConfigError {
    const { line, column } = this.locator.locate(path, target);
    return new ConfigError(this.file, line, column, message, hint);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') {
    if (value.trim() === '') return value === '' ? 'an empty string' : `the blank string ${JSON.stringify(value)}`;
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a value of type ${typeof value}`;
}

function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// "Did you mean": the closest known word, only when it is close.

/** The candidate nearest to `word`, or undefined when none is close enough to be a likely typo. */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const typed = normalizeWord(word);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const known = normalizeWord(candidate);
    if (known === typed) return candidate;
    const distance = editDistance(typed, known);
    const tolerated = Math.max(1, Math.floor(known.length / 4));
    if (distance <= tolerated && (!best || distance < best.distance)) best = { candidate, distance };
  }
  if (best) return best.candidate;
  // A truncated key: `timeout` for `timeout-minutes`.
  return typed.length >= 4 ? candidates.find((candidate) => normalizeWord(candidate).startsWith(typed)) : undefined;
}

/** `maxFiles`, `max_files`, `Max Files` all become `max-files`. */
function normalizeWord(word: string): string {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

/** Damerau-Levenshtein distance (optimal string alignment: a swap of two neighbours costs 1). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const distance: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: columns }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(distance[i - 1]![j]! + 1, distance[i]![j - 1]! + 1, distance[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, distance[i - 2]![j - 2]! + 1);
      }
      distance[i]![j] = best;
    }
  }
  return distance[a.length]![b.length]!;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
