/**
 * Architecture rules and drift: `architecture.rules` in the config, scope-guard's
 * `forbidden-import` on the imports a change adds, and the drift report (`report: drift`) that
 * blames every forbidden import of the tree on the PR or session that introduced it. Through the
 * committed bundles, on real repositories with a bare remote.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../packages/core/src/base/errors.js';
import { CONFIG_PATH, parseConfig } from '../packages/core/src/config/config.js';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, shallowClone, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const LAYERS = `scope:
  max-files: 50
  layers:
    bronze: ["src/bronze/**"]
    silver: ["src/silver/**"]
    gold: ["src/gold/**"]
`;
const RULES = `architecture:
  rules:
    - { from: silver, allow: [bronze] }
    - { from: bronze, forbid: [silver, gold] }
`;

const BASE_FILES: Record<string, string> = {
  '.github/rollback-gate.yml': LAYERS + RULES,
  'src/bronze/b.ts': 'export const b = 1;\n',
  'src/gold/g.ts': 'export const g = 1;\n',
  'src/gold/h.ts': 'export const h = 1;\n',
  'src/util.ts': 'export const u = 1;\n',
  // Already there before the change: silver imports gold on line 1 (drift, not the change's fault).
  'src/silver/a.ts': "import { g } from '../gold/g.js';\nexport const a = g;\n",
};

function repo(files: Record<string, string> = BASE_FILES): TestRepo {
  const r = createRepo({ initial: files });
  repos.push(r);
  return r;
}

const guard = (dir: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction('scope-guard', { workspace: dir, inputs: { token: '', comment: 'false', ...inputs }, env: { GITHUB_API_URL: loopback.server.url, ...env } });

function errorAt(text: string): ConfigError {
  try {
    parseConfig(text, CONFIG_PATH);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config: architecture.rules', () => {
  it('parses allow and forbid rules over the layers of scope.layers', () => {
    const config = parseConfig(LAYERS + RULES, CONFIG_PATH);
    expect(config.architecture.rules).toEqual([
      { from: 'silver', allow: ['bronze'] },
      { from: 'bronze', forbid: ['silver', 'gold'] },
    ]);
    expect(parseConfig(LAYERS, CONFIG_PATH).architecture).toEqual({ rules: [] });
  });

  it.each([
    ['allow', `${LAYERS}architecture:\n  rules:\n    - { from: silver, allow: [bronz] }\n`, 9, 31, 'architecture.rules[0].allow[0]: unknown layer "bronz"; did you mean "bronze"?'],
    ['from', `${LAYERS}architecture:\n  rules:\n    - from: platinum\n      allow: [bronze]\n`, 9, 13, 'architecture.rules[0].from: unknown layer "platinum"'],
    ['forbid', `${LAYERS}architecture:\n  rules:\n    - { from: bronze, allow: [bronze] }\n    - from: gold\n      forbid:\n        - silver\n        - "diamond"\n`, 13, 11, 'architecture.rules[1].forbid[1]: unknown layer "diamond"'],
    ['no layers at all', 'architecture:\n  rules: [{ from: silver, allow: [bronze] }]\n', 2, 19, 'architecture.rules[0].from: unknown layer "silver"'],
    ['neither allow nor forbid', `${LAYERS}architecture:\n  rules:\n    - { from: silver }\n`, 9, 7, 'architecture.rules[0]: expected `allow`'],
  ])('an unknown layer name (%s) is an error at its file, line and column', (_, text, line, column, message) => {
    const error = errorAt(text);
    expect(error).toMatchObject({ file: CONFIG_PATH, line, column });
    expect(error.message.split('\n')[0]).toContain(`${CONFIG_PATH}:${line}:${column}: ${message}`);
  });

  it('through the bundle: the step fails with file:line:column and the layers there are', async () => {
    const r = repo({ ...BASE_FILES, '.github/rollback-gate.yml': `${LAYERS}architecture:\n  rules:\n    - { from: silver, allow: [bronz] }\n` });
    const run = await guard(r.dir, { base: 'HEAD', head: 'HEAD' });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')!;
    expect(error.message).toContain('.github/rollback-gate.yml:9:31: architecture.rules[0].allow[0]: unknown layer "bronz"; did you mean "bronze"?');
    expect(error.message).toContain('The layers are the keys of scope.layers: bronze, silver, gold.');
  });
});

describe('scope-guard: forbidden-import', () => {
  it('flags the import the change adds, on its line, quoting the rule; the one already there is not counted', async () => {
    const r = repo();
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'feature']);
    r.commit('feat: silver uses more', {
      'src/silver/a.ts': "import { g } from '../gold/g.js';\nimport { b } from '../bronze/b.js';\nimport { h } from '../gold/h.js';\nimport { u } from '../util.js';\nexport const a = g + b + h + u;\n",
    });
    const run = await guard(r.dir, { base, head: r.head() });
    expect(run.exitCode).toBe(1);
    const violations = JSON.parse(run.outputs.violations!) as Array<{ rule: string; file?: string; line?: number; message: string }>;
    expect(violations).toEqual([
      {
        rule: 'forbidden-import',
        file: 'src/silver/a.ts',
        line: 3,
        message: 'src/silver/a.ts:3 imports src/gold/h.ts ("../gold/h.js"): layer silver may not import layer gold — architecture.rules[0] { from: silver, allow: [bronze] }',
      },
    ]);
    const annotation = run.annotations.find((a) => a.properties.title === 'scope-guard: forbidden-import')!;
    expect(annotation).toMatchObject({ level: 'error', properties: expect.objectContaining({ file: 'src/silver/a.ts', line: '3' }) });
    expect(run.annotations.filter((a) => a.properties.title === 'scope-guard: forbidden-import')).toHaveLength(1);
    expect(run.summary).toContain('1 import added against a rule; 1 import already there in the changed files (not counted)');
  });

  it('a forbid rule, a new file, and a renamed file that keeps its old import', async () => {
    const r = repo();
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'feature']);
    r.git(['mv', 'src/silver/a.ts', 'src/silver/renamed.ts']);
    r.commit('refactor: rename a, bronze reaches up', {
      'src/bronze/c.ts': "export const c0 = 0;\nimport { a } from '../silver/renamed.js';\nexport const c = a;\n",
    });
    const run = await guard(r.dir, { base, head: r.head(), mode: 'warn' });
    expect(run.exitCode).toBe(0);
    const violations = JSON.parse(run.outputs.violations!) as Array<{ rule: string; file?: string; line?: number; message: string }>;
    expect(violations.filter((v) => v.rule === 'forbidden-import')).toEqual([
      expect.objectContaining({ file: 'src/bronze/c.ts', line: 2, message: expect.stringContaining('layer bronze may not import layer silver — architecture.rules[1] { from: bronze, forbid: [silver, gold] }') }),
    ]);
    expect(run.annotations.find((a) => a.properties.title === 'scope-guard: forbidden-import')).toMatchObject({ level: 'warning', properties: expect.objectContaining({ file: 'src/bronze/c.ts', line: '2' }) });
  });

  it('without architecture.rules nothing is judged', async () => {
    const r = repo({ ...BASE_FILES, '.github/rollback-gate.yml': LAYERS });
    const base = r.head();
    r.commit('feat: silver imports gold', { 'src/silver/x.ts': "import { h } from '../gold/h.js';\nexport const x = h;\n" });
    const run = await guard(r.dir, { base, head: r.head() });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.violations!)).toEqual([]);
  });
});

describe('scope-guard report: drift', () => {
  /**
   * main's history: a checkpoint; PR #12 merged with a merge commit (one violation); a checkpoint;
   * PR #13 squash-merged (two violations in one file); a session s9 pushed straight to main (one);
   * then a harmless human commit. Checkpoints made with the checkpoint bundle and pushed.
   */
  async function driftRepo(): Promise<TestRepo> {
    const r = repo();
    const checkpoint = async (id: string) => {
      const cp = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id, ref: 'main' } });
      expect([cp.exitCode, cp.annotations.map((a) => a.message)]).toEqual([0, []]);
    };
    await checkpoint('pr-12');
    r.git(['switch', '--quiet', '-c', 'pr12']);
    r.commit('feat: bronze reads silver', { 'src/bronze/c.ts': "import { a } from '../silver/a.js';\nexport const c = a;\n" });
    r.commit('docs: note', { 'docs/n.md': 'n\n' });
    r.git(['switch', '--quiet', 'main']);
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #12 from acme/pr12\n\nbronze reads silver', 'pr12']);
    r.git(['push', '--quiet', 'origin', 'main']);
    await checkpoint('pr-13');
    r.commit('feat: gold reports (#13)', {
      'src/silver/report.ts': "import { b } from '../bronze/b.js';\nimport { g } from '../gold/g.js';\n\nimport { h } from '../gold/h.js';\nexport const r = b + g + h;\n",
    });
    await checkpoint('s9');
    r.commit('feat: agent wires util\n\nSession-Id: s9\nCo-authored-by: Claude <noreply@anthropic.com>\n', {
      'src/bronze/d.ts': "import { u } from '../util.js';\nimport { h } from '../gold/h.js';\nexport const d = u + h;\n",
    });
    r.commit('chore: readme', { 'README.md': '# app\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    return r;
  }

  interface Drift {
    total: number;
    groups: Array<{ introducedBy: { kind: string; label: string; pr?: number; sessionId?: string; commit: string; landedBy: string }; count: number; violations: Array<{ file: string; line: number; to: string; rule: string }> }>;
    trend: Array<{ name: string; count: number }>;
  }

  function expectTheAgenda(drift: Drift, r: TestRepo): void {
    const byLabel = Object.fromEntries(drift.groups.map((g) => [g.introducedBy.label, g]));
    expect(drift.total).toBe(5);
    expect(Object.keys(byLabel).sort()).toEqual(['#12', '#13', 'commit ' + git(r.remote, ['rev-parse', '--short=12', 'refs/tags/checkpoint/pr-12^{commit}']), 'session s9']);
    // The line already there at the start (silver/a.ts imports gold) belongs to the initial commit.
    expect(byLabel['#12']).toMatchObject({ count: 1, introducedBy: { kind: 'pr', pr: 12 } });
    expect(byLabel['#12']!.introducedBy.landedBy).toBe(git(r.remote, ['log', '-1', '--format=%H', '--merges', 'main']));
    expect(byLabel['#12']!.violations).toEqual([expect.objectContaining({ file: 'src/bronze/c.ts', line: 1, to: 'src/silver/a.ts', rule: '{ from: bronze, forbid: [silver, gold] }' })]);
    expect(byLabel['#13']).toMatchObject({ count: 2, introducedBy: { kind: 'pr', pr: 13 } });
    expect(byLabel['#13']!.violations.map((v) => `${v.file}:${v.line}`)).toEqual(['src/silver/report.ts:2', 'src/silver/report.ts:4']);
    expect(byLabel['session s9']).toMatchObject({ count: 1, introducedBy: { kind: 'session', sessionId: 's9' } });
    expect(byLabel['session s9']!.violations.map((v) => `${v.file}:${v.line}`)).toEqual(['src/bronze/d.ts:2']);
    expect(drift.trend.map((p) => [p.name, p.count])).toEqual([
      ['checkpoint/pr-12', 1],
      ['checkpoint/pr-13', 2],
      ['checkpoint/s9', 4],
      ['HEAD', 5],
    ]);
  }

  it('names the PR (merge or squash) or session that introduced each violation, with the trend; reverts nothing', async () => {
    const r = await driftRepo();
    // A fresh clone, as actions/checkout makes it with fetch-depth: 0 (no tags).
    const clone = join(r.root, 'clone');
    git(r.root, ['clone', '--quiet', '--no-tags', '--no-local', `file://${r.remote}`, clone]);
    const remoteBefore = git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
    const headBefore = git(clone, ['rev-parse', 'HEAD']);

    const run = await guard(clone, { report: 'drift' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.passed).toBe('false');
    expectTheAgenda(JSON.parse(run.outputs.drift!) as Drift, r);
    expect(run.summary).toContain('## ⚠️ Architecture drift: 5 imports break the rules');
    expect(run.summary).toContain('| #12 | 1 |');
    expect(run.summary).toContain('| #13 | 2 |');
    expect(run.summary).toMatch(/\| session s9 \| 1 \|/);
    const warnings = run.annotations.filter((a) => a.properties.title === 'architecture drift: forbidden-import');
    expect(warnings).toHaveLength(5);
    expect(warnings).toContainEqual(expect.objectContaining({ level: 'warning', properties: expect.objectContaining({ file: 'src/bronze/d.ts', line: '2' }) }));
    expect(git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(remoteBefore);
    expect(git(clone, ['rev-parse', 'HEAD'])).toBe(headBefore);
    expect(git(clone, ['status', '--porcelain'])).toBe('');
  });

  it('on a shallow clone: deepened far enough to blame, the same agenda', async () => {
    const r = await driftRepo();
    const shallow = shallowClone(r, 'main', 1);
    const run = await guard(shallow, { report: 'drift' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('shallow clone: deepening');
    expectTheAgenda(JSON.parse(run.outputs.drift!) as Drift, r);
  });

  it('on a shallow clone that cannot be deepened: the error says fetch-depth: 0', async () => {
    const r = await driftRepo();
    const shallow = shallowClone(r, 'main', 1);
    git(shallow, ['remote', 'set-url', 'origin', join(r.root, 'gone.git')]);
    const run = await guard(shallow, { report: 'drift' });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')!;
    expect(error.message).toContain('shallow clone');
    expect(error.message).toContain('fetch-depth: 0');
  });

  it('with no rules, the drift report says what to add', async () => {
    const r = repo({ ...BASE_FILES, '.github/rollback-gate.yml': LAYERS });
    const run = await guard(r.dir, { report: 'drift' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain('no `architecture.rules`');
  });
});
