/**
 * Errors the engine raises. A UserError is a mistake the user can fix (an input, the config file,
 * the repository's state); its message says what is wrong and `hint` says what to do next.
 * Anything else reaching the top-level catch is an internal error (GitInternalError among them).
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  /** What is wrong, without the next step. */
  readonly problem: string;
  constructor(message: string, hint?: string) {
    super(hint ? `${message}\n${hint}` : message);
    this.name = 'UserError';
    this.hint = hint;
    this.problem = message;
  }
}

/**
 * The verdict of a check that did not pass (scope-guard out of scope, not rollback-ready, the gate
 * failed): the step fails with this message in the log and the annotation, but the job summary,
 * which already opens with the verdict, gets no "Failed" section repeating it.
 */
export class VerdictFailure extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'VerdictFailure';
  }
}

/** A config file problem: names the file, line and column. */
export class ConfigError extends UserError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(file: string, line: number | undefined, column: number | undefined, message: string, hint?: string) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super(`${where}: ${message}`, hint);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * A git command failed for a reason the user can act on (a missing checkout, history or
 * permission; a lease or a remote that moved): names the command, its stderr, and the next step.
 */
export class GitError extends UserError {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number | null, stderr: string, hint?: string) {
    const command = ['git', ...args].join(' ');
    const detail = stderr.trim() || '(no output on stderr)';
    super(`\`${command}\` failed (exit ${exitCode ?? 'signal'}): ${detail}`, hint);
    this.name = 'GitError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * A git command failed and no next step is known: most likely our own misuse of git (an argument
 * git refuses, a state we did not expect). Not a user's mistake: an internal error, reported with
 * its stack, to be fixed in rollback-gate.
 */
export class GitInternalError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    const command = ['git', ...args].join(' ');
    super(`\`${command}\` failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output on stderr)'}`);
    this.name = 'GitInternalError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
