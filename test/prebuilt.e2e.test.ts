/**
 * Pre-built rollback plans, through the bundles on real repositories with a bare remote: a push to
 * the default branch stores each landed commit's plan as `refs/rollback-gate/plans/<sha>`
 * (verify-rollback `store-plan`), and the rollback executes it at alert time (`phase: apply` with a
 * target, or `phase: all`): the plan's tree on the landed tip; re-planned with `verification: none`
 * when the branch moved; refused when the stored plan was tampered with.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction, webhookPayload } from './harness/run-action.js';
import { canonical, lines, sha256 } from './harness/verify-rollback.js';

const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const ref = (sha: string) => `refs/rollback-gate/plans/${sha}`;

function pushEvent(before: string, after: string, branch = 'main') {
  return { name: 'push', payload: webhookPayload('push', undefined, { ref: `refs/heads/${branch}`, before, after, repository: { default_branch: 'main', master_branch: 'main' } }) };
}

/** A repository whose main has landed one PR, squashed: `feat: widget (#9)`. */
function landed(config = ''): { r: TestRepo; before: string; pr: string } {
  const r = createRepo({ initial: { 'src/app.js': lines('app', 12), ...(config ? { '.github/rollback-gate.yml': config } : {}) } });
  repos.push(r);
  r.commit('feat: one (#1)', { 'src/one.js': 'one\n' });
  r.git(['push', '--quiet', 'origin', 'main']);
  const before = r.head();
  const pr = r.commit('feat: widget (#9)', { 'src/widget.js': 'widget\n', 'src/app.js': lines('app', 12, { 4: 'widget' }) });
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, before, pr };
}

const storePlans = (r: TestRepo, before: string, after: string, inputs: Record<string, string> = {}, branch = 'main') =>
  runAction('verify-rollback', { workspace: r.dir, event: pushEvent(before, after, branch), inputs: { token: '', 'store-plan': 'true', ...inputs } });

const rollback = (r: TestRepo, inputs: Record<string, string>, env: Record<string, string> = {}) => runAction('rollback', { workspace: r.dir, inputs: { token: '', ...inputs }, env });

function storedPlan(r: TestRepo, sha: string): Record<string, unknown> & { seal: string } {
  return JSON.parse(git(r.remote, ['cat-file', 'blob', `${ref(sha)}:plan.json`])) as Record<string, unknown> & { seal: string };
}

function report(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
}

/** Replaces the stored plan with `plan` (a new commit, force-pushed to the ref): what an attacker with push rights could do. */
function replaceStoredPlan(r: TestRepo, sha: string, plan: unknown): void {
  const blob = git(r.remote, ['hash-object', '-w', '--stdin'], { input: `${JSON.stringify(plan, null, 2)}\n` });
  const tree = git(r.remote, ['mktree'], { input: `100644 blob ${blob}\tplan.json\n` });
  const commit = git(r.remote, ['commit-tree', tree, '-m', 'forged']);
  git(r.remote, ['update-ref', ref(sha), commit]);
}

describe('pre-built plans: stored when a change lands, executed at alert time', () => {
  it('a push to main stores the landed commit\'s sealed plan; apply with the target executes it at once: the tree before it landed', async () => {
    const { r, before, pr } = landed();
    const store = await storePlans(r, before, pr);
    expect(store.stderr).toBe('');
    expect(store.exitCode).toBe(0);
    const outcomes = JSON.parse(store.outputs['stored-plans']!) as Array<Record<string, unknown>>;
    expect(outcomes).toEqual([{ landed: pr, ref: ref(pr), status: 'stored', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), reason: null }]);

    // The plan is data in the repository: a parentless commit holding plan.json, sealed.
    expect(git(r.remote, ['rev-list', '--count', ref(pr)])).toBe('1');
    expect(git(r.remote, ['ls-tree', '--name-only', ref(pr)])).toBe('plan.json');
    const plan = storedPlan(r, pr);
    const { seal, ...body } = plan;
    expect(seal).toBe(`sha256:${sha256(canonical(body))}`);
    expect(seal).toBe(outcomes[0]!.digest);
    expect(plan).toMatchObject({ schema: 'rollback-gate/plan@1', kind: 'landing', strategy: 'revert-squash', checkpoint: { commit: before }, target: { tree: git(r.dir, ['rev-parse', `${pr}^{tree}`]), pullRequest: 9 } });
    expect(plan.expectedTree).toBe(git(r.dir, ['rev-parse', `${before}^{tree}`]));

    // A re-run keeps what is stored.
    const again = await storePlans(r, before, pr);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.outputs['stored-plans']!)[0]).toMatchObject({ status: 'kept', reason: 'already stored' });

    // Alert time: apply with the target, no plan file: the stored plan, no command run.
    const apply = await rollback(r, { phase: 'apply', target: pr, direct: 'true' });
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect(JSON.parse(apply.outputs.commits!)).toEqual([pr]);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(plan.expectedTree);
    expect(apply.outputs.verified).toBe('false');
    expect(apply.outputs.verification).toBe('none');
    const rep = report(apply.outputs['report-path']!);
    expect(rep.phase).toBe('apply');
    expect(rep.prebuilt).toEqual({ ref: ref(pr), commit: git(r.remote, ['rev-parse', ref(pr)]), landed: pr, digest: seal, movedBy: 0, replanned: false });
    expect(rep.plan).toMatchObject({ path: ref(pr), digest: seal });
    expect(rep.verificationNote).toContain('no check ran');
    expect(apply.summary).toContain('recomputing its revert on the tip gave its expected tree');
  });

  it('the branch moved since: re-planned on the tip without running anything, verification none; checks configured in phase all then verify it', async () => {
    const config = 'verify:\n  commands:\n    - name: marker\n      run: node -e "require(\'fs\').writeFileSync(process.env.MARKER, \'ran\')"\n';
    const { r, before, pr } = landed(config);
    expect((await storePlans(r, before, pr)).exitCode).toBe(0);
    const later = r.commit('feat: later (#10)', { 'src/later.js': 'later\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const marker = `${r.root}/marker`;

    const apply = await rollback(r, { phase: 'apply', target: pr, 'dry-run': 'true' }, { MARKER: marker });
    expect(apply.exitCode).toBe(0);
    expect(apply.outputs.verification).toBe('none');
    expect(apply.outputs.verified).toBe('false');
    const rolled = apply.outputs['rollback-sha']!;
    expect(git(r.dir, ['rev-parse', `${rolled}^`])).toBe(later);
    expect(git(r.dir, ['ls-tree', '--name-only', '-r', rolled])).not.toContain('src/widget.js');
    expect(git(r.dir, ['show', `${rolled}:src/later.js`])).toBe('later');
    const rep = report(apply.outputs['report-path']!);
    expect(rep.prebuilt).toMatchObject({ landed: pr, movedBy: 1, replanned: true });
    expect(rep.verificationNote).toContain('re-planned on');
    expect(rep.checks).toEqual([]);
    expect(apply.summary).toContain('re-planned on the current tip without running any command');
    expect(() => readFileSync(marker)).toThrow();

    // phase all: the same stored plan, and the configured check runs on the result: now it is verified.
    const all = await rollback(r, { target: pr, 'dry-run': 'true' }, { MARKER: marker });
    expect(all.exitCode).toBe(0);
    expect(report(all.outputs['report-path']!).prebuilt).toMatchObject({ landed: pr, replanned: true });
    expect(all.outputs.verification).toBe('passed');
    expect(all.outputs.verified).toBe('true');
    expect(readFileSync(marker, 'utf8')).toBe('ran');
  }, 60_000);

  it('a tampered stored plan is refused (seal); a re-sealed plan with another tree is refused by recomputing the revert', async () => {
    const { r, before, pr } = landed();
    expect((await storePlans(r, before, pr)).exitCode).toBe(0);
    const plan = storedPlan(r, pr);

    replaceStoredPlan(r, pr, { ...plan, expectedTree: git(r.dir, ['rev-parse', `${pr}^{tree}`]) });
    const edited = await rollback(r, { phase: 'apply', target: pr, direct: 'true' });
    expect(edited.exitCode).toBe(1);
    expect(edited.annotations[0]!.message).toContain(`the pre-built plan ${ref(pr)} is refused: the seal does not verify`);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(pr);

    // Anyone can re-seal: the revert recomputed on the tip is what counts.
    const { seal: _seal, ...body } = plan;
    const forged = { ...body, expectedTree: git(r.dir, ['rev-parse', `${pr}^{tree}`]) };
    replaceStoredPlan(r, pr, { ...forged, seal: `sha256:${sha256(canonical(forged))}` });
    const resealed = await rollback(r, { phase: 'apply', target: pr, direct: 'true' });
    expect(resealed.exitCode).toBe(1);
    expect(resealed.annotations[0]!.message).toContain('is not the tree the sealed plan expects');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(pr);

    // A plan stored under the ref of another commit is not that commit's.
    const other = git(r.dir, ['rev-parse', `${before}`]);
    replaceStoredPlan(r, other, plan);
    const misplaced = await rollback(r, { phase: 'apply', target: other, direct: 'true' });
    expect(misplaced.exitCode).toBe(1);
    expect(misplaced.annotations[0]!.message).toContain(`is the plan of another change`);
  }, 60_000);

  it('apply with a target and no stored plan runs nothing and says what to do', async () => {
    const { r, pr } = landed();
    const run = await rollback(r, { phase: 'apply', target: pr, direct: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain(`no plan is stored for`);
    expect(run.annotations[0]!.message).toContain('store-plan: true');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).toBe(pr);
  });

  it('store-plan: a push of several commits stores one plan each; another branch stores none; run-checks and other events are refused', async () => {
    const { r, before, pr } = landed();
    const a = r.commit('feat: a (#11)', { 'src/a.js': 'a\n' });
    const merged = (() => {
      r.git(['switch', '--quiet', '-c', 'feature', `${a}`]);
      r.commit('feat: b', { 'src/b.js': 'b\n' });
      r.git(['switch', '--quiet', 'main']);
      r.git(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #12 from octo/feature', 'feature']);
      return r.head();
    })();
    r.git(['push', '--quiet', 'origin', 'main']);
    const store = await storePlans(r, before, merged);
    expect(store.exitCode).toBe(0);
    const outcomes = JSON.parse(store.outputs['stored-plans']!) as Array<Record<string, unknown>>;
    expect(outcomes.map((o) => [o.landed, o.status])).toEqual([
      [merged, 'stored'],
      [a, 'stored'],
      [pr, 'stored'],
    ]);
    expect(storedPlan(r, merged)).toMatchObject({ strategy: 'revert-merge', target: { pullRequest: 12 } });

    // The merge's stored plan rolls it back (mainline 1) to the tree before it.
    const apply = await rollback(r, { phase: 'apply', target: merged, direct: 'true' });
    expect(apply.exitCode).toBe(0);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(git(r.dir, ['rev-parse', `${a}^{tree}`]));

    const branch = await storePlans(r, before, merged, {}, 'feature');
    expect(branch.exitCode).toBe(0);
    expect(JSON.parse(branch.outputs['stored-plans']!)).toEqual([]);
    expect(branch.summary).toContain('not the default branch main');

    const checks = await storePlans(r, before, merged, { 'run-checks': 'true' });
    expect(checks.exitCode).toBe(1);
    expect(checks.annotations[0]!.message).toContain('runs no command of the project');

    const pull = await runAction('verify-rollback', { workspace: r.dir, inputs: { token: '', 'store-plan': 'true' } });
    expect(pull.exitCode).toBe(1);
    expect(pull.annotations[0]!.message).toContain('this is a workflow_dispatch event');
  }, 60_000);
});
