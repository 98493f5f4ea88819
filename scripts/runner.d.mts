// Types of scripts/runner.mjs (the runner emulation shared by tests, demo and benchmarks).
export declare const ROOT: string;
export declare function node24(): string;
export declare function assertBundleFresh(name: string): void;

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  value: string;
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
  commands: WorkflowCommand[];
  env: string;
}

export interface PrepareOptions {
  workspace: string;
  inputs?: Record<string, string>;
  event?: { name: string; payload: unknown };
  /** Added to (and overriding) the runner's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** The process's cwd when not the workspace. */
  cwd?: string;
  /** Where the runner's files go (default: a new temporary folder). */
  filesDir?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Kill the process when its stdout matches (crash-recovery tests); async runs only. */
  killWhen?: RegExp;
}

export interface PreparedRun {
  name: string;
  bundle: string;
  cwd: string;
  env: Record<string, string>;
  paths: Record<'GITHUB_OUTPUT' | 'GITHUB_STEP_SUMMARY' | 'GITHUB_ENV' | 'GITHUB_STATE' | 'GITHUB_PATH' | 'GITHUB_EVENT_PATH', string>;
  files: string;
}

export declare function parseCommands(stdout: string): WorkflowCommand[];
export declare function parseOutputFile(text: string): Record<string, string>;
export declare function prepareRun(name: string, options: PrepareOptions): PreparedRun;
export declare function collectRun(prepared: PreparedRun, exitCode: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): ActionRun;
export declare function runPreparedSync(prepared: PreparedRun, options?: RunOptions): ActionRun;
export declare function runActionSync(name: string, options: PrepareOptions & RunOptions): ActionRun;
export declare function runPrepared(prepared: PreparedRun, options?: RunOptions): Promise<ActionRun>;
