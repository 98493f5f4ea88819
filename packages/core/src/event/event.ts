import { UserError } from '../base/errors.js';

/** What the workflow run is about, resolved from the runner's environment and the webhook payload. */
export interface EventContext {
  eventName: string;
  repository: string | undefined;
  owner: string | undefined;
  repo: string | undefined;
  actor: string | undefined;
  /** GITHUB_SERVER_URL, e.g. https://github.com: for links to commits, pull requests and files. */
  serverUrl?: string;
  runUrl: string | undefined;
  /** GITHUB_SHA: the commit the run is for. */
  sha: string | undefined;
  /** GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge. */
  ref: string | undefined;
  /** The commit the change starts from: the PR base, the push's `before`, the merge group's base. */
  base: string | undefined;
  /** The commit the change ends at: the PR head, the push's `after`, the merge group's head. */
  head: string | undefined;
  baseBranch: string | undefined;
  headBranch: string | undefined;
  defaultBranch: string | undefined;
  prNumber: number | undefined;
  /** `pr-<number>` for pull requests (and merge groups naming one), `run-<run_id>` otherwise. */
  sessionId: string;
  /** pull_request_target runs read the config from the base commit, never from the PR head. */
  configFromBase: boolean;
  labels: string[];
  inputs: Record<string, unknown>;
  payload: Record<string, unknown>;
}

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

const ZERO_SHA = /^0+$/;

function obj(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads GITHUB_EVENT_NAME / GITHUB_EVENT_PATH and the other GITHUB_* variables. */
export function resolveEventContext(env: Env, readFile: (path: string) => string): EventContext {
  const eventName = env.GITHUB_EVENT_NAME ?? 'workflow_dispatch';
  let payload: Json = {};
  if (env.GITHUB_EVENT_PATH) {
    let text: string;
    try {
      text = readFile(env.GITHUB_EVENT_PATH);
    } catch (error) {
      throw new UserError(`cannot read the event payload at GITHUB_EVENT_PATH=${env.GITHUB_EVENT_PATH}: ${(error as Error).message}`);
    }
    try {
      payload = obj(JSON.parse(text));
    } catch (error) {
      throw new UserError(`the event payload at ${env.GITHUB_EVENT_PATH} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const repository = env.GITHUB_REPOSITORY ?? str(obj(payload.repository).full_name);
  const [owner, repo] = repository?.split('/') ?? [];
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runUrl =
    repository && env.GITHUB_RUN_ID
      ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}`
      : undefined;
  const context: EventContext = {
    eventName,
    repository,
    owner,
    repo,
    actor: env.GITHUB_ACTOR ?? str(obj(payload.sender).login),
    serverUrl: server,
    runUrl,
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    base: undefined,
    head: env.GITHUB_SHA,
    baseBranch: undefined,
    headBranch: env.GITHUB_REF?.startsWith('refs/heads/') ? env.GITHUB_REF.slice('refs/heads/'.length) : undefined,
    defaultBranch: str(obj(payload.repository).default_branch),
    prNumber: undefined,
    sessionId: env.GITHUB_RUN_ID ? `run-${env.GITHUB_RUN_ID}` : 'local',
    configFromBase: false,
    labels: [],
    inputs: obj(payload.inputs),
    payload,
  };

  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const pr = obj(payload.pull_request);
      const number = typeof pr.number === 'number' ? pr.number : typeof payload.number === 'number' ? payload.number : undefined;
      context.base = str(obj(pr.base).sha);
      context.head = str(obj(pr.head).sha);
      context.baseBranch = str(obj(pr.base).ref);
      context.headBranch = str(obj(pr.head).ref);
      context.prNumber = number;
      context.labels = Array.isArray(pr.labels) ? pr.labels.map((l) => str(obj(l).name)).filter((n): n is string => !!n) : [];
      if (number !== undefined) context.sessionId = `pr-${number}`;
      context.configFromBase = eventName === 'pull_request_target';
      break;
    }
    case 'push': {
      const before = str(payload.before);
      context.base = before && !ZERO_SHA.test(before) ? before : undefined;
      context.head = str(payload.after) ?? env.GITHUB_SHA;
      const ref = str(payload.ref) ?? env.GITHUB_REF;
      context.headBranch = ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
      context.baseBranch = context.headBranch;
      break;
    }
    case 'merge_group': {
      const group = obj(payload.merge_group);
      context.base = str(group.base_sha);
      context.head = str(group.head_sha);
      const baseRef = str(group.base_ref);
      context.baseBranch = baseRef?.replace(/^refs\/heads\//, '');
      const headRef = str(group.head_ref);
      context.headBranch = headRef?.replace(/^refs\/heads\//, '');
      const pr = headRef?.match(/\/pr-(\d+)-[0-9a-f]+$/);
      if (pr?.[1]) {
        context.prNumber = Number(pr[1]);
        context.sessionId = `pr-${pr[1]}`;
      }
      break;
    }
    case 'workflow_dispatch':
    case 'schedule':
    default:
      context.baseBranch = context.defaultBranch;
      break;
  }
  return context;
}
