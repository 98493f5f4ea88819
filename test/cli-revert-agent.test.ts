/**
 * `rollback-gate rollback --strategy revert-agent` through the bundled CLI: what the terminal shows
 * of the agent's work (the human commits kept, the kept commits that build on the agent's and
 * whether they were reverted, with subjects), and errors in the CLI's own words (flags, not the
 * action's inputs).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createRepo, type TestRepo } from './harness/repo.js';
import { cli } from './cli-harness.js';
import { inCliWords } from '../packages/cli/src/commands/rollback.js';

const AGENT = { author: 'Claude <noreply@anthropic.com>' };
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** An agent commit, a human changelog, and a human rename of the agent's file (which builds on it). */
function history(): { r: TestRepo; base: string; agent: string; changelog: string; rename: string } {
  const r = createRepo({ initial: { 'lib/math.js': 'exports.add = (a, b) => a + b;\n' } });
  repos.push(r);
  const base = r.head();
  const agent = r.commit('feat: strings helper', { 'lib/strings.js': 'exports.upper = (s) => s.toUpperCase();\n' }, AGENT);
  const changelog = r.commit('docs: changelog', { 'CHANGELOG.md': '- strings\n' });
  r.git(['mv', 'lib/strings.js', 'lib/text.js']);
  r.git(['commit', '--quiet', '-m', 'refactor: strings.js is text.js']);
  return { r, base, agent, changelog, rename: r.head() };
}

const section = (out: string, heading: RegExp): string => {
  const start = out.search(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = out.slice(start);
  const end = rest.indexOf('\n\n');
  return end < 0 ? rest : rest.slice(0, end);
};

describe('rollback --strategy revert-agent in the terminal', () => {
  it('refuses while a kept commit builds on the agent\'s, naming it and the flag that reverts it too', async () => {
    const { r, base, rename } = history();
    const run = await cli(['rollback', `${base}..HEAD`, '--strategy', 'revert-agent'], { cwd: r.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(rename.slice(0, 12));
    expect(run.stderr).toContain('--include-dependent');
    expect(run.stderr).not.toContain('include-dependent: true');
  });

  it('with --include-dependent: the human commit kept, the dependent reverted, each with its subject', async () => {
    const { r, base, agent, changelog, rename } = history();
    const run = await cli(['rollback', `${base}..HEAD`, '--strategy', 'revert-agent', '--include-dependent'], { cwd: r.dir });
    expect(run.code).toBe(0);
    const kept = section(run.stdout, /^Human commits kept \(1\)$/m);
    expect(kept).toContain(`${changelog.slice(0, 12)}\tdocs: changelog\t`);
    expect(kept).not.toContain(rename.slice(0, 12)); // reverted with the agent's commit: not kept
    const dependents = section(run.stdout, /^Kept commits that build on the agent's \(1\): reverted with them/m);
    expect(dependents).toContain(`${rename.slice(0, 12)}\trefactor: strings.js is text.js\t${agent.slice(0, 12)}\tyes\t`);
    const reverted = section(run.stdout, /^Reverted, newest first \(2\)$/m);
    expect(reverted).toContain(`${agent.slice(0, 12)}\tfeat: strings helper`);
  });
});

describe('inCliWords', () => {
  it('turns the action\'s inputs in an engine message into the CLI\'s flags', () => {
    expect(inCliWords('Set `include-dependent: true` to revert them, or `strategy: bisect` with `bisect-command`; check `target` and `branch`; input `target` is empty.')).toBe(
      'Set `--include-dependent` to revert them, or `--strategy bisect` with `--bisect-command`; check TARGET and `--branch`; TARGET is empty.',
    );
  });
});
