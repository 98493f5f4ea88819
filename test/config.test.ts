import { describe, expect, it } from '@jest/globals';
import { CONFIG_PATH, DEFAULT_CONFIG, loadConfig, parseConfig } from '../packages/core/src/config/config.js';
import { ConfigError } from '../packages/core/src/base/errors.js';
import { compileGlobs, matchesAny } from '../packages/core/src/config/glob.js';

const FILE = CONFIG_PATH;

/** The ConfigError that parsing `text` throws. */
function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}

/** The first line of the error's message (the hint follows on the next lines). */
function headline(error: Error): string {
  return error.message.split('\n')[0]!;
}

/** The YAML block of DESIGN.md's "Config" section, verbatim. */
const DESIGN_EXAMPLE = `scope:
  max-files: 5                 # the 5-file rule; renames count once
  ignore: ["**/*.lock"]        # not counted
  layers: { bronze: ["src/bronze/**"], silver: ["src/silver/**"] }
  cross-layer: fail            # allowed with label \`cross-layer\` or a \`Cross-Layer: <why>\` trailer
  protected: [{ paths: ["src/auth/**"], reason: "authorization", require-label: security-reviewed }]
  mode: fail                   # or warn
agents: { trailers: ["Co-authored-by: *Claude*"], authors: ["*[bot]*"], max-files: 5 }
blast-radius: { max-depth: 3, mode: warn }
verify:
  commands: [{ name: tests, run: npm test }, { name: secrets, run: npx secretlint "**/*" }]
  timeout-minutes: 15
  window: { commits: 50, days: 14 }
  irreversible: [{ paths: ["migrations/**"], reason: "schema change", require-label: irreversible-ok }]
postmortem: { security-log: docs/SECURITY_LOG.md, decisions-log: docs/DECISIONS.md }
checkpoint: { prefix: checkpoint/, keep: 100, max-age-days: 180 }
`;

describe('defaults', () => {
  it('uses the defaults when the file is absent', () => {
    const config = loadConfig(() => undefined);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.scope).toMatchObject({ maxFiles: 5, layers: {}, crossLayer: 'fail', protected: [], mode: 'fail' });
    expect(config.scope.ignore).toEqual(
      expect.arrayContaining(['**/*.lock', '**/package-lock.json', '**/yarn.lock', '**/pnpm-lock.yaml']),
    );
    expect(config.agents.maxFiles).toBeUndefined();
    expect(config.agents.trailers).toEqual(expect.arrayContaining(['Generated-by: *', 'Assisted-by: *']));
    expect(config.agents.authors).toContain('*[bot]*');
    expect(config.blastRadius).toEqual({ maxDepth: 3, mode: 'warn' });
    expect(config.verify).toEqual({
      commands: [],
      timeoutMinutes: 15,
      window: { commits: 50, days: 14 },
      irreversible: [],
      entanglement: 'fail',
    });
    expect(config.postmortem).toEqual({
      securityLog: 'docs/SECURITY_LOG.md',
      decisionsLog: 'docs/DECISIONS.md',
      slo: { timeToRestoreMinutes: 60, successRate: 0.95 },
    });
    expect(config.checkpoint).toEqual({ prefix: 'checkpoint/', keep: 100, maxAgeDays: 180 });
    expect(config.triggers).toEqual({
      enabled: false,
      confirm: 2,
      maxPerDay: 3,
      maxAgeHours: 72,
      lookback: 100,
      pauseVariable: 'ROLLBACK_GATE_PAUSED',
      pauseLabel: 'rollback-gate:pause',
      delivery: 'pr',
    });
  });

  it('reads the default path and hands back a copy the caller may change', () => {
    const asked: string[] = [];
    const config = loadConfig((path) => {
      asked.push(path);
      return undefined;
    });
    expect(asked).toEqual(['.github/rollback-gate.yml']);
    config.scope.ignore.push('docs/**');
    config.scope.maxFiles = 9;
    expect(DEFAULT_CONFIG.scope.ignore).not.toContain('docs/**');
    expect(DEFAULT_CONFIG.scope.maxFiles).toBe(5);
    expect(Object.isFrozen(DEFAULT_CONFIG.scope.ignore)).toBe(true);
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# rollback-gate config\n\n   # nothing yet\n'],
    ['an empty document', '---\n'],
  ])('treats %s as the defaults', (_, text) => {
    expect(parseConfig(text, FILE)).toEqual(DEFAULT_CONFIG);
  });

  it('fills in what a section leaves out, and treats an empty section as its defaults', () => {
    const config = parseConfig('scope:\n  max-files: 8\nverify:\n  window: { days: 30 }\ncheckpoint:\n  # keep: 10\n', FILE);
    expect(config.scope).toEqual({ ...DEFAULT_CONFIG.scope, maxFiles: 8 });
    expect(config.verify.window).toEqual({ commits: 50, days: 30 });
    expect(config.checkpoint).toEqual(DEFAULT_CONFIG.checkpoint);
  });
});

describe('a valid file', () => {
  it('parses every key into camelCase properties', () => {
    const text = `# every key, block style
scope:
  max-files: 10
  ignore:
    - "**/*.lock"
    - dist/**
  layers:
    api: [src/api/**]
    db:
      - src/db/**
      - migrations/**
  cross-layer: warn
  protected:
    - paths: [src/auth/**]
      reason: authorization
      require-label: security-reviewed
    - paths: [.github/workflows/**]
  mode: warn
agents:
  trailers: ["Co-authored-by: *Robo*"]
  authors: ["robo <*>"]
  max-files: 3
blast-radius:
  max-depth: 2
  mode: fail
verify:
  commands:
    - name: tests
      run: npm test
      timeout-minutes: 20
    - name: lint
      run: |
        npm run lint
  timeout-minutes: 30
  window:
    commits: 20
    days: 7
  irreversible:
    - paths: [migrations/**]
  entanglement: warn
postmortem:
  security-log: SECURITY.md
  decisions-log: docs/adr/LOG.md
  slo:
    time-to-restore-minutes: 30
    success-rate: 0.99
checkpoint:
  prefix: cp/
  keep: 10
  max-age-days: 30
rollback:
  allow-secrets-label: secret-approved
  lock-timeout-minutes: 90
triggers:
  enabled: true
  workflow: ci.yml
  bisect-command: npm test
  confirm: 3
  max-per-day: 2
  max-age-hours: 24
  lookback: 50
  pause-variable: RG_PAUSED
  pause-label: rollback-pause
  delivery: direct
`;
    expect(parseConfig(text, FILE)).toEqual({
      scope: {
        maxFiles: 10,
        ignore: ['**/*.lock', 'dist/**'],
        layers: { api: ['src/api/**'], db: ['src/db/**', 'migrations/**'] },
        crossLayer: 'warn',
        protected: [
          { paths: ['src/auth/**'], reason: 'authorization', requireLabel: 'security-reviewed' },
          { paths: ['.github/workflows/**'], reason: 'protected path', requireLabel: 'protected-ok' },
        ],
        mode: 'warn',
      },
      agents: { trailers: ['Co-authored-by: *Robo*'], authors: ['robo <*>'], maxFiles: 3 },
      blastRadius: { maxDepth: 2, mode: 'fail' },
      verify: {
        commands: [
          { name: 'tests', run: 'npm test', timeoutMinutes: 20 },
          { name: 'lint', run: 'npm run lint\n' },
        ],
        timeoutMinutes: 30,
        window: { commits: 20, days: 7 },
        irreversible: [{ paths: ['migrations/**'], reason: 'git cannot roll this back', requireLabel: 'irreversible-ok' }],
        entanglement: 'warn',
      },
      postmortem: { securityLog: 'SECURITY.md', decisionsLog: 'docs/adr/LOG.md', slo: { timeToRestoreMinutes: 30, successRate: 0.99 } },
      checkpoint: { prefix: 'cp/', keep: 10, maxAgeDays: 30 },
      rollback: { allowSecretsLabel: 'secret-approved', lockTimeoutMinutes: 90 },
      triggers: {
        enabled: true,
        workflow: 'ci.yml',
        bisectCommand: 'npm test',
        confirm: 3,
        maxPerDay: 2,
        maxAgeHours: 24,
        lookback: 50,
        pauseVariable: 'RG_PAUSED',
        pauseLabel: 'rollback-pause',
        delivery: 'direct',
      },
      architecture: { rules: [] },
    });
  });

  it('parses the example of DESIGN.md', () => {
    const config = parseConfig(DESIGN_EXAMPLE, FILE);
    expect(config.scope).toEqual({
      maxFiles: 5,
      ignore: ['**/*.lock'],
      layers: { bronze: ['src/bronze/**'], silver: ['src/silver/**'] },
      crossLayer: 'fail',
      protected: [{ paths: ['src/auth/**'], reason: 'authorization', requireLabel: 'security-reviewed' }],
      mode: 'fail',
    });
    expect(config.agents).toEqual({ trailers: ['Co-authored-by: *Claude*'], authors: ['*[bot]*'], maxFiles: 5 });
    expect(config.blastRadius).toEqual({ maxDepth: 3, mode: 'warn' });
    expect(config.verify.commands).toEqual([
      { name: 'tests', run: 'npm test' },
      { name: 'secrets', run: 'npx secretlint "**/*"' },
    ]);
    expect(config.verify.irreversible).toEqual([
      { paths: ['migrations/**'], reason: 'schema change', requireLabel: 'irreversible-ok' },
    ]);
    expect(config.postmortem).toEqual(DEFAULT_CONFIG.postmortem);
    expect(config.checkpoint).toEqual(DEFAULT_CONFIG.checkpoint);
  });

  it('loads through the reader it is given, with the path it is given', () => {
    const config = loadConfig((path) => (path === 'ci/gate.yml' ? 'scope: { max-files: 2 }' : undefined), 'ci/gate.yml');
    expect(config.scope.maxFiles).toBe(2);
  });
});

describe('invalid YAML', () => {
  it("reports js-yaml's own line and column", () => {
    const error = configError('scope:\n  max-files: 5\n    ignore: []\n');
    expect(error.file).toBe(FILE);
    expect([error.line, error.column]).toEqual([3, 11]);
    expect(headline(error)).toMatch(/^\.github\/rollback-gate\.yml:3:11: invalid YAML: /);
  });

  it('reports an unclosed flow list where the parser gives up', () => {
    const error = configError('scope:\n  ignore: ["a/**", "b/**"\nverify: {}\n');
    expect(error.line).toBe(3);
    expect(headline(error)).toContain('invalid YAML');
  });

  it('reports a duplicated key', () => {
    const error = configError('scope:\n  max-files: 3\n  max-files: 4\n');
    expect([error.line, error.column]).toEqual([3, 3]);
    expect(headline(error)).toContain('duplicated mapping key');
  });

  it('rejects several documents', () => {
    const error = configError('scope: {}\n---\nverify: {}\n');
    expect([error.line, error.column]).toEqual([2, 1]);
    expect(headline(error)).toContain('expected one YAML document, found 2');
  });
});

describe('wrong types', () => {
  it('names the value, what was expected and what was found', () => {
    const text = '# rollback-gate\n\nscope:\n  max-files: five\n';
    const error = configError(text);
    expect(headline(error)).toBe(
      '.github/rollback-gate.yml:4:14: scope.max-files: expected a whole number >= 1, found the string "five"',
    );
    expect([error.line, error.column]).toEqual([4, 14]);
  });

  it('rejects a list at the top level, at 1:1', () => {
    const error = configError('- scope\n- verify\n');
    expect([error.line, error.column]).toEqual([1, 1]);
    expect(headline(error)).toBe(`${FILE}:1:1: top level: expected a mapping (key: value pairs), found a list`);
  });

  it.each([
    ['a number below the minimum', 'verify:\n  window: { commits: 0 }\n', 2, 22, 'verify.window.commits: expected a whole number >= 1, found the number 0'],
    ['a fraction', 'checkpoint: { keep: 2.5 }\n', 1, 21, 'checkpoint.keep: expected a whole number >= 1, found the number 2.5'],
    ['a quoted number', 'scope:\n  max-files: "5"\n', 2, 14, 'scope.max-files: expected a whole number >= 1, found the string "5"'],
    ['an empty value', 'scope:\n  max-files:\n', 2, 3, 'scope.max-files: expected a whole number >= 1, found an empty value'],
    ['a mapping for a list', 'scope:\n  ignore: { a: 1 }\n', 2, 11, 'scope.ignore: expected a list of glob patterns, found a mapping'],
    ['a list for a section', 'verify: [tests]\n', 1, 9, 'verify: expected a mapping (key: value pairs), found a list'],
    ['a boolean for a mode', 'blast-radius:\n  mode: true\n', 2, 9, 'blast-radius.mode: expected one of "fail", "warn", found the boolean true'],
    ['a list item of the wrong type', 'scope:\n  ignore:\n    - "**/*.lock"\n    - 42\n', 4, 7, 'scope.ignore[1]: expected a glob pattern, found the number 42'],
    ['an empty glob', 'scope: { ignore: [""] }\n', 1, 19, 'scope.ignore[0]: expected a glob pattern, found an empty string'],
    ['an absolute glob', "scope:\n  protected:\n    - paths: ['/src/auth/**']\n", 3, 15, 'scope.protected[0].paths[0]: expected a glob pattern relative to the repository root (no leading "/"), found the string "/src/auth/**"'],
    ['a layer without globs', 'scope:\n  layers:\n    api: []\n', 3, 10, 'scope.layers.api: expected a list of glob patterns (at least one), found a list'],
    ['a label too long', `verify:\n  irreversible: [{ paths: [db/**], require-label: ${'x'.repeat(51)} }]\n`, 2, 51, 'verify.irreversible[0].require-label: expected a label name of at most 50 characters'],
    ['a log outside the repository', 'postmortem: { decisions-log: ../DECISIONS.md }\n', 1, 30, 'postmortem.decisions-log: expected a file path inside the repository (no ".."), found the string "../DECISIONS.md"'],
    ['triggers.enabled quoted', 'triggers:\n  enabled: "true"\n', 2, 12, 'triggers.enabled: expected true or false, found the string "true"'],
    ['triggers.enabled as yes', 'triggers:\n  enabled: yes\n', 2, 12, 'triggers.enabled: expected true or false, found the string "yes"'],
    ['a confirm of zero', 'triggers:\n  enabled: true\n  confirm: 0\n', 3, 12, 'triggers.confirm: expected a whole number >= 1, found the number 0'],
    ['an unknown delivery', 'triggers:\n  delivery: push\n', 2, 13, 'triggers.delivery: expected one of "pr", "direct", found the string "push"'],
    ['a pause variable with a dash', 'triggers:\n  pause-variable: RG-PAUSED\n', 2, 19, 'triggers.pause-variable: expected a variable name (letters, digits and _, not starting with a digit), found the string "RG-PAUSED"'],
    ['a misspelt max-per-day', 'triggers:\n  max-per-days: 2\n', 2, 3, 'unknown key "max-per-days" in triggers; did you mean "max-per-day"?'],
    ['an SLO time of zero', 'postmortem:\n  slo: { time-to-restore-minutes: 0 }\n', 2, 35, 'postmortem.slo.time-to-restore-minutes: expected a whole number >= 1, found the number 0'],
    ['a success rate above 1', 'postmortem:\n  slo:\n    success-rate: 1.5\n', 3, 19, 'postmortem.slo.success-rate: expected a number greater than 0 and at most 1 (0.95 for 95%), found the number 1.5'],
    ['a success rate of 0', 'postmortem:\n  slo: { success-rate: 0 }\n', 2, 24, 'postmortem.slo.success-rate: expected a number greater than 0 and at most 1 (0.95 for 95%), found the number 0'],
    ['a success rate as text', 'postmortem:\n  slo: { success-rate: high }\n', 2, 24, 'postmortem.slo.success-rate: expected a number greater than 0 and at most 1 (0.95 for 95%), found the string "high"'],
    ['an SLO that is not a mapping', 'postmortem:\n  slo: 60\n', 2, 8, 'postmortem.slo: expected a mapping (key: value pairs), found the number 60'],
    ['a bad tag prefix', 'checkpoint:\n  prefix: "check point/"\n', 2, 11, 'checkpoint.prefix: expected a tag name prefix that git accepts'],
    ['an alias of the wrong type', 'checkpoint: { keep: &n 3 }\nscope:\n  ignore: *n\n', 3, 11, 'scope.ignore: expected a list of glob patterns, found the number 3'],
  ])('rejects %s', (_, text, line, column, message) => {
    const error = configError(text);
    expect(headline(error)).toContain(message);
    expect([error.line, error.column]).toEqual([line, column]);
  });

  it.each([
    ['success-rate: 95', 'Write 0.95 for 95%.'],
    ['success-rate: "95%"', 'Write 0.95 for 95%.'],
    ['success-rate: "0.9"', 'Write the number without quotes.'],
  ])('an SLO success rate written as %s says how to write it', (line, hint) => {
    const error = configError(`postmortem:\n  slo:\n    ${line}\n`);
    expect([error.line, error.column]).toEqual([3, 19]);
    expect(error.hint).toBe(hint);
  });

  it('keeps the SLO defaults for the keys left out', () => {
    expect(parseConfig('postmortem:\n  slo: { success-rate: 0.9 }\n', FILE).postmortem.slo).toEqual({ timeToRestoreMinutes: 60, successRate: 0.9 });
    expect(parseConfig('postmortem:\n  slo:\n', FILE).postmortem.slo).toEqual({ timeToRestoreMinutes: 60, successRate: 0.95 });
  });

  it('suggests the nearest allowed value', () => {
    const error = configError('scope:\n  cross-layer: alow\n');
    expect(headline(error)).toBe(
      `${FILE}:2:16: scope.cross-layer: expected one of "fail", "warn", "allow", found the string "alow"; did you mean "allow"?`,
    );
  });

  it('rejects a duplicated command name at the second one', () => {
    const error = configError('verify:\n  commands:\n    - { name: tests, run: npm test }\n    - { name: tests, run: npm run e2e }\n');
    expect([error.line, error.column]).toEqual([4, 15]);
    expect(headline(error)).toContain('verify.commands[1].name: the name "tests" is already used by verify.commands[0]');
  });
});

describe('unknown keys', () => {
  it('suggests the nearest known key, at the key', () => {
    const error = configError('scope:\n  # the 5-file rule\n  max-file: 5\n');
    expect(headline(error)).toBe(`${FILE}:3:3: unknown key "max-file" in scope; did you mean "max-files"?`);
    expect(error.hint).toBe('Valid keys in scope: max-files, ignore, layers, cross-layer, protected, mode.');
  });

  it.each([
    ['a top-level key', 'scopes:\n  max-files: 5\n', 1, 1, 'unknown key "scopes" at the top level; did you mean "scope"?'],
    ['a key in a flow mapping', 'blast-radius: { max-dept: 3, mode: warn }\n', 1, 17, 'unknown key "max-dept" in blast-radius; did you mean "max-depth"?'],
    ['a camelCase key', 'checkpoint:\n  maxAgeDays: 30\n', 2, 3, 'unknown key "maxAgeDays" in checkpoint; did you mean "max-age-days"?'],
    ['a snake_case key', 'verify:\n  timeout_minutes: 30\n', 2, 3, 'unknown key "timeout_minutes" in verify; did you mean "timeout-minutes"?'],
    ['swapped letters', 'agents:\n  atuhors: ["*[bot]*"]\n', 2, 3, 'unknown key "atuhors" in agents; did you mean "authors"?'],
    ['a truncated key', 'verify:\n  timeout: 5\n', 2, 3, 'unknown key "timeout" in verify; did you mean "timeout-minutes"?'],
    ['a quoted key', 'postmortem:\n  "security_log": SEC.md\n', 2, 3, 'unknown key "security_log" in postmortem; did you mean "security-log"?'],
    [
      'a key in a list of mappings',
      'verify:\n  commands:\n    - name: tests\n      run: npm test\n    - name: lint\n      rn: npm run lint\n',
      6,
      7,
      'unknown key "rn" in verify.commands[1]; did you mean "run"?',
    ],
    [
      'a key in a flow list of flow mappings',
      'scope:\n  protected: [{ paths: [a/**] }, { paths: [b/**], label: x }]\n',
      2,
      51,
      'unknown key "label" in scope.protected[1]',
    ],
  ])('reports %s', (_, text, line, column, message) => {
    const error = configError(text);
    expect(headline(error)).toBe(`${FILE}:${line}:${column}: ${message}`);
  });

  it('makes no suggestion when no known key is close', () => {
    const error = configError('scope:\n  max-files: 5\n  banana: yellow\n');
    expect(headline(error)).toBe(`${FILE}:3:3: unknown key "banana" in scope`);
    expect(error.hint).toContain('Valid keys in scope: max-files');
  });
});

describe('required keys in list items', () => {
  it('reports a command without `run` at that list item', () => {
    const text = [
      'verify:',
      '  commands:',
      '    - name: tests',
      '      run: npm test',
      '    # lint has no run yet',
      '    - name: lint',
      '      timeout-minutes: 5',
      '',
    ].join('\n');
    const error = configError(text);
    expect(headline(error)).toBe(`${FILE}:6:7: verify.commands[1]: missing required key "run"`);
  });

  it('reports a protected entry without `paths`', () => {
    const error = configError('scope:\n  protected:\n    - reason: secrets\n      require-label: ok\n');
    expect(headline(error)).toBe(`${FILE}:3:7: scope.protected[0]: missing required key "paths"`);
  });

  it('reports a flow-mapping list item without `run` at its brace', () => {
    const error = configError('verify:\n  commands: [{ name: tests, run: npm test }, { name: lint }]\n');
    expect(headline(error)).toBe(`${FILE}:2:46: verify.commands[1]: missing required key "run"`);
  });
});

describe('glob helpers', () => {
  it('matches repository paths, dot files included', () => {
    const isIgnored = compileGlobs(DEFAULT_CONFIG.scope.ignore);
    expect(isIgnored('yarn.lock')).toBe(true);
    expect(isIgnored('packages/app/package-lock.json')).toBe(true);
    expect(isIgnored('pnpm-lock.yaml')).toBe(true);
    expect(isIgnored('src/index.ts')).toBe(false);
    const inSrc = compileGlobs(['src/**']);
    expect(inSrc('src/.env')).toBe(true);
    expect(inSrc('src/a/b.ts')).toBe(true);
    expect(inSrc('lib/src/a.ts')).toBe(false);
  });

  it('matches nothing with no globs, and matchesAny agrees with compileGlobs', () => {
    expect(compileGlobs([])('anything')).toBe(false);
    expect(matchesAny('src/auth/login.ts', ['docs/**', 'src/auth/**'])).toBe(true);
    expect(matchesAny('src/authz.ts', ['docs/**', 'src/auth/**'])).toBe(false);
    expect(matchesAny('src/authz.ts', [])).toBe(false);
  });
});
