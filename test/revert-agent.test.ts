/**
 * Strategy revert-agent through the rollback bundle, on real repositories with a bare remote: only
 * the agent's commits are reverted, newest first, every human commit is kept. Oracle: plain
 * `git revert --no-edit` of the same agent commits, newest first, on the same tip.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const AGENT = { author: 'Claude <noreply@anthropic.com>' };

const rollback = (r: TestRepo, inputs: Record<string, string>) =>
  runAction('rollback', { workspace: r.dir, inputs: { token: '', strategy: 'revert-agent', ...inputs }, env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' } });

async function checkpoint(r: TestRepo, id: string): Promise<void> {
  const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id } });
  expect(run.exitCode).toBe(0);
}

interface Report {
  commits: string[];
  strategy: string;
  outcome: string;
  agentWork: {
    agent: Array<{ commit: string; reason: string }>;
    kept: Array<{ commit: string; reason: string }>;
    dependents: Array<{ commit: string; dependsOn: string[]; reason: string; reverted: boolean }>;
    includeDependent: boolean;
    note: string | null;
  };
}

const report = (path: string | undefined): Report => JSON.parse(readFileSync(path!, 'utf8')) as Report;

const remoteMain = (r: TestRepo): string => git(r.remote, ['rev-parse', 'refs/heads/main']);

/** The tree plain `git revert --no-edit` of `commits` (newest first) makes on `tip`, in the work clone. */
function oracleTree(r: TestRepo, tip: string, commits: string[]): string {
  r.git(['checkout', '--quiet', '-B', `oracle-${Math.random().toString(36).slice(2, 8)}`, tip]);
  r.git(['revert', '--no-edit', ...commits]);
  const tree = r.git(['rev-parse', 'HEAD^{tree}']);
  r.git(['checkout', '--quiet', 'main']);
  return tree;
}

const LIB = (extra = ''): string => `function add(a, b) {\n  return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n${extra}\nmodule.exports = { add, sub };\n`;

describe('rollback bundle: strategy revert-agent', () => {
  it('a session with interleaved human commits: reverts only the agent commits, newest first (the plain-git tree); a re-run changes nothing', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB(), 'README.md': '# app\n', 'docs/guide.md': 'guide\n' } });
    repos.push(r);
    await checkpoint(r, 'mix');
    const a1 = r.commit('feat: a logger', { 'lib/log.js': 'module.exports = function log(m) { console.log(m); };\n' }, AGENT);
    const h1 = r.commit('docs: guide', { 'docs/guide.md': 'guide, by a human\n' });
    const a2 = r.commit('feat: multiply', { 'lib/math.js': LIB('\nfunction mul(a, b) {\n  return a * b;\n}\n') }, AGENT);
    const h2 = r.commit('chore: readme', { 'README.md': '# app\n\nA human wrote this.\n' });
    const a3 = r.commit('feat: config', { 'config/app.json': '{ "verbose": true }\n' }, AGENT);
    const h3 = r.commit('docs: contributing', { 'CONTRIBUTING.md': 'Be kind.\n' });
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { target: 'mix', direct: 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.strategy).toBe('revert-agent');
    expect(JSON.parse(run.outputs.commits!)).toEqual([a3, a2, a1]);
    const rep = report(run.outputs['report-path']);
    expect(rep.agentWork.agent.map((a) => a.commit)).toEqual([a3, a2, a1]);
    expect(rep.agentWork.agent[0]!.reason).toContain('noreply@anthropic.com');
    // The session runs through its newest agent commit; h3 came after it (kept as a later commit).
    expect(rep.agentWork.kept.map((k) => k.commit)).toEqual([h2, h1]);
    expect(rep.agentWork.dependents).toEqual([]);
    expect(run.summary).toContain('3 agent commits, reverted newest first');
    expect(run.summary).toContain('2 human commits kept');
    expect(run.summary).toContain(h3.slice(0, 12));

    // The oracle: plain git revert of the same agent commits, newest first, on the same tip.
    const pushed = remoteMain(r);
    expect(git(r.remote, ['rev-parse', `${pushed}^`])).toBe(tip);
    expect(git(r.remote, ['rev-parse', `${pushed}^{tree}`])).toBe(oracleTree(r, tip, [a3, a2, a1]));
    // Every human change is there; every agent change is gone.
    expect(git(r.remote, ['show', `${pushed}:docs/guide.md`])).toBe('guide, by a human');
    expect(git(r.remote, ['show', `${pushed}:CONTRIBUTING.md`])).toBe('Be kind.');
    expect(git(r.remote, ['ls-tree', '-r', '--name-only', pushed])).not.toMatch(/lib\/log\.js|config\/app\.json/);
    const message = git(r.remote, ['log', '-1', '--format=%B', pushed]);
    expect(message).toContain('Rollback-Of: mix');
    for (const sha of [a3, a2, a1]) expect(message).toContain(`Reverts: ${sha}`);
    expect(message).not.toContain(`Reverts: ${h1}`);

    // A re-run finds its own work and changes nothing.
    r.git(['fetch', '--quiet', 'origin']);
    r.git(['reset', '--quiet', '--hard', 'origin/main']);
    const again = await rollback(r, { target: 'mix', direct: 'true' });
    expect(again.stderr).toBe('');
    expect(again.exitCode).toBe(0);
    expect(remoteMain(r)).toBe(pushed);
    expect(JSON.parse(again.outputs.commits!)).toEqual([]);
    expect(again.stdout).toContain('already rolled back');
  });

  it('a session whose commits are all the agent\'s: revert-agent gives the revert-range result', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB() } });
    repos.push(r);
    await checkpoint(r, 'all-agent');
    const a1 = r.commit('feat: mul', { 'lib/math.js': LIB('\nfunction mul(a, b) {\n  return a * b;\n}\n') }, AGENT);
    const a2 = r.commit('feat: div', { 'lib/math.js': LIB('\nfunction mul(a, b) {\n  return a * b;\n}\n\nfunction div(a, b) {\n  return a / b;\n}\n') }, AGENT);
    const a3 = r.commit('feat: notes', { 'NOTES.md': 'notes\n' }, AGENT);
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const agent = await rollback(r, { target: 'all-agent', 'dry-run': 'true' });
    expect(agent.stderr).toBe('');
    expect(agent.exitCode).toBe(0);
    const range = await rollback(r, { target: 'all-agent', strategy: 'revert-range', 'dry-run': 'true' });
    expect(range.exitCode).toBe(0);
    expect(JSON.parse(agent.outputs.commits!)).toEqual([a3, a2, a1]);
    expect(JSON.parse(range.outputs.commits!)).toEqual([a3, a2, a1]);
    const tree = (sha: string): string => r.git(['rev-parse', `${sha}^{tree}`]);
    expect(tree(agent.outputs['rollback-sha']!)).toBe(tree(range.outputs['rollback-sha']!));
    expect(tree(agent.outputs['rollback-sha']!)).toBe(oracleTree(r, tip, [a3, a2, a1]));
    expect(report(agent.outputs['report-path']).agentWork.kept).toEqual([]);
    expect(remoteMain(r)).toBe(tip);
  });

  it('no agent commits in the target: nothing to do, said plainly, exit 0, nothing pushed', async () => {
    const r = createRepo({ initial: { 'README.md': '# app\n' } });
    repos.push(r);
    const base = r.head();
    r.commit('docs: one', { 'docs/one.md': '1\n' });
    r.commit('docs: two', { 'docs/two.md': '2\n' });
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { target: `${base}..${tip}`, direct: 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([]);
    expect(run.outputs['rollback-sha']).toBe('');
    expect(run.outputs.verified).toBe('false');
    expect(remoteMain(r)).toBe(tip);
    expect(run.stdout).toContain('has no agent commits');
    expect(run.summary.replace(/\\/g, '')).toMatch(/has no agent commits .*nothing to revert; its 2 human commits are kept\. Nothing was pushed\./);
    expect(report(run.outputs['report-path']).outcome).toBe('succeeded');
  });

  it('a human commit that renames a file the agent created: named as dependent, nothing applied; with include-dependent it is reverted too', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB() } });
    repos.push(r);
    const base = r.head();
    const agent = r.commit('feat: strings helper', { 'lib/strings.js': 'exports.upper = (s) => s.toUpperCase();\n' }, AGENT);
    r.commit('docs: changelog', { 'CHANGELOG.md': '- strings\n' });
    r.git(['mv', 'lib/strings.js', 'lib/text.js']);
    r.git(['commit', '--quiet', '-m', 'refactor: strings.js is text.js']);
    const rename = r.head();
    const tip = rename;
    r.git(['push', '--quiet', 'origin', 'main']);

    const refused = await rollback(r, { target: `${base}..${tip}`, direct: 'true' });
    expect(refused.exitCode).toBe(1);
    expect(remoteMain(r)).toBe(tip);
    const rep = report(refused.outputs['report-path']);
    expect(rep.agentWork.dependents).toEqual([
      { commit: rename, dependsOn: [agent], reverted: false, reason: expect.stringContaining(`deletes lib/strings.js, which agent commit ${agent.slice(0, 12)} changed`) },
    ]);
    expect(refused.stdout + refused.stderr).toContain(`${rename.slice(0, 12)}`);
    expect(refused.stdout + refused.stderr).toContain('include-dependent: true');
    expect(refused.summary).toContain('**nothing was applied**');

    const included = await rollback(r, { target: `${base}..${tip}`, direct: 'true', 'include-dependent': 'true' });
    expect(included.stderr).toBe('');
    expect(included.exitCode).toBe(0);
    expect(JSON.parse(included.outputs.commits!)).toEqual([rename, agent]);
    const rep2 = report(included.outputs['report-path']);
    expect(rep2.agentWork.dependents).toEqual([expect.objectContaining({ commit: rename, reverted: true })]);
    expect(included.summary).toContain('reverted too (`include-dependent: true`)');
    const pushed = remoteMain(r);
    expect(git(r.remote, ['rev-parse', `${pushed}^{tree}`])).toBe(oracleTree(r, tip, [rename, agent]));
    expect(git(r.remote, ['show', `${pushed}:CHANGELOG.md`])).toBe('- strings');
  });

  it('a pull request merged with a merge commit: its agent commits are reverted, its human commit and the merge are kept', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB(), 'README.md': '# app\n' } });
    repos.push(r);
    r.git(['checkout', '--quiet', '-b', 'feature']);
    const a1 = r.commit('feat: log helper', { 'lib/log.js': 'module.exports = console.log;\n' }, AGENT);
    const h1 = r.commit('docs: usage', { 'docs/usage.md': 'use it\n' });
    const a2 = r.commit('feat: multiply', { 'lib/math.js': LIB('\nfunction mul(a, b) {\n  return a * b;\n}\n') }, AGENT);
    r.git(['checkout', '--quiet', 'main']);
    r.commit('chore: readme', { 'README.md': '# app\n\nby a human\n' });
    r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from octo-org/feature', 'feature']);
    const later = r.commit('docs: changelog', { 'CHANGELOG.md': '- multiply\n' });
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { target: '#7', 'dry-run': 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.commits!)).toEqual([a2, a1]);
    const rep = report(run.outputs['report-path']);
    expect(rep.agentWork.kept.map((k) => k.commit)).toEqual([h1]);
    expect(r.git(['rev-parse', `${run.outputs['rollback-sha']}^{tree}`])).toBe(oracleTree(r, tip, [a2, a1]));
    expect(r.git(['show', `${run.outputs['rollback-sha']}:docs/usage.md`])).toBe('use it');
    expect(r.git(['show', `${run.outputs['rollback-sha']}:CHANGELOG.md`])).toBe('- multiply');
    expect(rep.commits).not.toContain(later);
    expect(remoteMain(r)).toBe(tip);
  });

  it('plan and apply: the plan job decides (include-dependent), the apply job re-derives the tree and pushes it', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB() } });
    repos.push(r);
    const base = r.head();
    const agent = r.commit('feat: strings helper', { 'lib/strings.js': 'exports.upper = (s) => s.toUpperCase();\n' }, AGENT);
    const human = r.commit('feat: lower too', { 'lib/strings.js': 'exports.upper = (s) => s.toUpperCase();\nexports.lower = (s) => s.toLowerCase();\n' });
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const plan = await rollback(r, { target: `${base}..${tip}`, phase: 'plan', 'include-dependent': 'true' });
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(0);
    expect(remoteMain(r)).toBe(tip);
    const apply = await rollback(r, { phase: 'apply', plan: plan.outputs['plan-path']!, direct: 'true' });
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect(JSON.parse(apply.outputs.commits!)).toEqual([human, agent]);
    const rep = report(apply.outputs['report-path']);
    expect(rep.agentWork.dependents).toEqual([expect.objectContaining({ commit: human, dependsOn: [agent], reverted: true })]);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(oracleTree(r, tip, [human, agent]));
  });

  it('a human commit using a function the agent added in another file: dependent by name', async () => {
    const r = createRepo({ initial: { 'lib/math.js': LIB(), 'lib/page.js': "var math = require('./math');\nmodule.exports = function page(n) { return math.add(n, 1); };\n" } });
    repos.push(r);
    const base = r.head();
    const agent = r.commit('feat: clamp', { 'lib/math.js': LIB('\nfunction clamp(n, lo, hi) {\n  return Math.min(hi, Math.max(lo, n));\n}\n').replace('{ add, sub }', '{ add, sub, clamp }') }, AGENT);
    const unrelated = r.commit('docs: readme', { 'README.md': 'math\n' });
    const human = r.commit('feat: pages are clamped', { 'lib/view.js': "var math = require('./math');\nmodule.exports = function view(n) { return math.clamp(n, 0, 10); };\n" });
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { target: `${base}..${tip}`, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(remoteMain(r)).toBe(tip);
    const rep = report(run.outputs['report-path']);
    expect(rep.agentWork.dependents).toEqual([
      { commit: human, dependsOn: [agent], reverted: false, reason: `uses clamp in lib/view.js, which agent commit ${agent.slice(0, 12)} added or changed in lib/math.js` },
    ]);
    expect(rep.agentWork.kept.map((k) => k.commit)).toEqual([human, unrelated]);
    // Plain git would revert the agent commit cleanly and break lib/view.js: the name is the evidence.
    expect(oracleTree(r, tip, [agent])).not.toBe(r.git(['rev-parse', `${tip}^{tree}`]));
  });
});
