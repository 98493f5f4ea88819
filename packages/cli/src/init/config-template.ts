/**
 * `.github/rollback-gate.yml` as `init` writes it: every key with its default (read from the
 * engine's DEFAULT_CONFIG, so it cannot drift) and what it does, commented out.
 */
import { DEFAULT_CONFIG, type Config } from '@rollback-gate/core';

const HEADER = [
  '# rollback-gate configuration, written by `rollback-gate init`.',
  '#',
  '# Every key is optional. Each one is listed below with its default value, commented out:',
  '# uncomment a line and change it to override the default. A list you give replaces the',
  '# default list (it is not merged). The actions and the `rollback-gate` command read this file.',
  '',
];

function yamlScalar(value: unknown): string {
  if (typeof value === 'string') return /^[A-Za-z0-9_./-]+$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[-.\d]/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function list(indent: string, key: string, values: readonly string[]): string[] {
  if (values.length === 0) return [`${indent}${key}: []`];
  return [`${indent}${key}:`, ...values.map((v) => `${indent}  - ${yamlScalar(v)}`)];
}

/** The YAML body (uncommented); `configTemplate` comments it out line by line. */
export function configBody(config: Config = DEFAULT_CONFIG): string[] {
  const { scope, agents, blastRadius, verify, postmortem, checkpoint, triggers } = config;
  return [
    '# What one change may touch (scope-guard; `rollback-gate status`).',
    'scope:',
    '  # The most files a change may touch (renames count once).',
    `  max-files: ${scope.maxFiles}`,
    '  # Paths not counted against the budget (lock files).',
    ...list('  ', 'ignore', scope.ignore),
    '  # Layer name -> path globs; a change should touch one layer at a time. Example:',
    '  #   api: ["src/api/**"]',
    '  #   ui: ["src/ui/**"]',
    `  layers: ${Object.keys(scope.layers).length === 0 ? '{}' : JSON.stringify(scope.layers)}`,
    '  # A change across layers: fail, warn or allow (the `cross-layer` label or a `Cross-Layer:` trailer allows it).',
    `  cross-layer: ${scope.crossLayer}`,
    '  # Paths a change may touch only with a label. Example:',
    '  #   - paths: ["migrations/**"]',
    '  #     reason: database migrations',
    '  #     require-label: migration-ok',
    `  protected: ${scope.protected.length === 0 ? '[]' : JSON.stringify(scope.protected)}`,
    '  # fail: a violation fails the check; warn: it is reported only.',
    `  mode: ${scope.mode}`,
    '',
    '# How agent commits are recognised (everything else is a human\'s).',
    'agents:',
    '  # Trailer lines ("Key: value"), case-insensitive globs.',
    ...list('  ', 'trailers', agents.trailers),
    '  # Authors ("Name <email>"), case-insensitive globs.',
    ...list('  ', 'authors', agents.authors),
    '  # A file budget for the agent commits alone (absent: none). Example:',
    `  # max-files: ${agents.maxFiles ?? 10}`,
    '',
    '# The files importing what a change touched (they break if it is reverted alone).',
    'blast-radius:',
    '  # How many import hops are followed.',
    `  max-depth: ${blastRadius.maxDepth}`,
    `  mode: ${blastRadius.mode}`,
    '',
    '# Rollback readiness (verify-rollback, the drill, the rollback\'s checks, `squash --run-checks`).',
    'verify:',
    '  # Commands run on a rolled-back tree, in a throwaway worktree. Example:',
    '  #   - name: test',
    '  #     run: npm test',
    '  #     timeout-minutes: 10',
    `  commands: ${verify.commands.length === 0 ? '[]' : JSON.stringify(verify.commands)}`,
    '  # Minutes a command may take when it sets none.',
    `  timeout-minutes: ${verify.timeoutMinutes}`,
    '  # The rollback window: the last `commits` first-parent commits or `days` of the branch.',
    '  window:',
    `    commits: ${verify.window.commits}`,
    `    days: ${verify.window.days}`,
    '  # Paths git cannot roll back (data migrations, published artifacts); same shape as scope.protected.',
    `  irreversible: ${verify.irreversible.length === 0 ? '[]' : JSON.stringify(verify.irreversible)}`,
    '  # A change that entangles a recent unit: fail or warn.',
    `  entanglement: ${verify.entanglement}`,
    '',
    '# Where the postmortem action records recoveries (`rollback-gate log` reads them).',
    'postmortem:',
    `  security-log: ${yamlScalar(postmortem.securityLog)}`,
    `  decisions-log: ${yamlScalar(postmortem.decisionsLog)}`,
    '',
    '# Checkpoint tags: <prefix><session-id>, and their retention.',
    'checkpoint:',
    `  prefix: ${yamlScalar(checkpoint.prefix)}`,
    `  keep: ${checkpoint.keep}`,
    `  max-age-days: ${checkpoint.maxAgeDays}`,
    '',
    '# Rollbacks that start themselves: a red default branch or an alert (examples/workflows/auto-rollback.yml, alert-rollback.yml).',
    'triggers:',
    '  # Off unless true.',
    `  enabled: ${triggers.enabled}`,
    '  # The CI workflow whose red runs count, and the command that fails on a bad commit (it confirms the failure, then bisects). Example:',
    '  # workflow: ci.yml',
    '  # bisect-command: npm ci && npm test',
    '  # How many times the failure is confirmed on the failing head first (a pass among them: flaky, nothing is rolled back).',
    `  confirm: ${triggers.confirm}`,
    '  # Guardrails: automatic rollbacks a day, and the oldest culprit rolled back automatically.',
    `  max-per-day: ${triggers.maxPerDay}`,
    `  max-age-hours: ${triggers.maxAgeHours}`,
    '  # How many green CI runs are searched for the last green commit.',
    `  lookback: ${triggers.lookback}`,
    '  # The kill switch: this repository variable set to true, or an open issue with this label.',
    `  pause-variable: ${yamlScalar(triggers.pauseVariable)}`,
    `  pause-label: ${yamlScalar(triggers.pauseLabel)}`,
    '  # pr (a rollback pull request) or direct (a push to the branch).',
    `  delivery: ${triggers.delivery}`,
  ];
}

/** The whole file: the header, then the body with every line commented out. */
export function configTemplate(config: Config = DEFAULT_CONFIG): string {
  return `${[...HEADER, ...configBody(config).map((line) => (line === '' ? '' : `# ${line}`))].join('\n')}\n`;
}
