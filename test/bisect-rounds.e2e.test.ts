/**
 * The bisect spread over runners, through the committed bundle of actions/bisect-round:
 * - every bad input and fault of the action, each failing the step with what to do next
 *   (examples/workflows/bisect.yml, played round by round: test/bisect-rounds.workflow.test.ts);
 * - `bisectInRounds` (k probes at once in k worktrees) against the sequential `bisect`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { bisect, bisectInRounds, Git, ScratchStore, silentLogger, VERDICT_SCHEMA } from '@rollback-gate/core';
import { COMMAND, session as makeSession } from './bisect-rounds.session.js';
import { createRepo, tempDir, type TestRepo } from './harness/repo.js';
import { runAction, type ActionRun } from './harness/run-action.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

describe('actions/bisect-round: bad inputs and faults', () => {
  let s: ReturnType<typeof makeSession>;
  const session = () => makeSession(repos);
  const run = (inputs: Record<string, string>, workspace?: string) => {
    s ??= session();
    return runAction('bisect-round', { workspace: workspace ?? s.r.dir, inputs: { good: 'checkpoint/s1', ...inputs } });
  };
  const failed = (result: ActionRun, ...texts: string[]) => {
    expect(result.exitCode).toBe(1);
    for (const text of texts) expect(result.stdout).toContain(text);
  };

  it('plan: refuses a range the workflow rounds cannot finish, naming the parallelism that can', async () => {
    failed(await run({ parallel: '2', rounds: '3' }), '10 commits can take 4 rounds with parallel 2, and the workflow holds 3.', 'Set `parallel` to 3 or more');
    expect((await run({ parallel: '3', rounds: '3' })).exitCode).toBe(0);
  });

  it('plan: the rounds ran out with candidates left: fails naming the narrowed range to bisect again', async () => {
    const verdicts = tempDir('rg-verdicts-');
    const first = await run({ parallel: '1', verdicts });
    expect(first.outputs.matrix).toBe(JSON.stringify({ include: [{ commit: s.commits[9], role: 'bad-end' }] }));
    const probe = await run({ mode: 'probe', commit: s.commits[9]!, 'bisect-command': COMMAND, verdicts });
    expect(probe.outputs.verdict).toBe('bad');
    const out = await run({ parallel: '1', verdicts, round: '2', rounds: '1' });
    failed(out, "the workflow's 1 round ran out with 10 candidates left", `Run the bisect again with good: ${s.good} and bad: ${s.commits[9]}`);
    expect(out.outputs.status).toBe('probe');
  });

  it('plan: a command that passes at the bad end: cannot tell, the step fails saying the range was wrong', async () => {
    s ??= session();
    const verdicts = tempDir('rg-verdicts-');
    await run({ mode: 'probe', commit: s.commits[9]!, 'bisect-command': 'true', verdicts });
    const out = await run({ verdicts, parallel: '3' });
    failed(out, 'passes at the bad end', 'Check `bisect-command` and the range.');
    expect(out.outputs.status).toBe('cannot-tell');
    expect(out.summary).toContain('**Cannot tell the culprit**');
  });

  it('plan: verdict files of another bisect, or not verdicts at all, are refused by name', async () => {
    s ??= session();
    const verdicts = tempDir('rg-verdicts-');
    writeFileSync(join(verdicts, 'x.json'), JSON.stringify({ schema: VERDICT_SCHEMA, good: s.commits[0], bad: s.commits[9], commit: s.commits[5], verdict: 'bad', exitCodes: [1] }));
    failed(await run({ verdicts }), 'the verdict file x.json belongs to the bisect', 'Artifacts of another bisect were downloaded');
    writeFileSync(join(verdicts, 'x.json'), '{"schema":"rollback-gate/plan@1"}');
    failed(await run({ verdicts }), 'x.json is not a bisect verdict');
    writeFileSync(join(verdicts, 'x.json'), '{not json');
    failed(await run({ verdicts }), 'the verdict file x.json is not valid JSON');
    writeFileSync(join(verdicts, 'x.json'), JSON.stringify({ schema: VERDICT_SCHEMA, good: s.good, bad: s.commits[9], commit: 'HEAD', verdict: 'bad' }));
    failed(await run({ verdicts }), 'names no full commit id');
    writeFileSync(join(verdicts, 'x.json'), JSON.stringify({ schema: VERDICT_SCHEMA, good: s.good, bad: s.commits[9], commit: s.commits[5], verdict: 'maybe' }));
    failed(await run({ verdicts }), 'has the verdict "maybe"; expected good, bad or skip');
  });

  it('inputs: no good end, a good end that is not an ancestor, parallel out of range, an unknown mode', async () => {
    failed(await run({ good: '' }), 'give `good`');
    failed(await run({ good: 'no-such-ref' }), 'the good end `no-such-ref` does not name a commit');
    s ??= session();
    failed(await run({ good: s.commits[5]!, bad: s.commits[2]! }), 'is not an ancestor of the bad end');
    failed(await run({ parallel: '0' }), 'input `parallel` is "0"; expected a whole number from 1 to 256.');
    failed(await run({ parallel: 'four' }), 'input `parallel` is "four"');
    failed(await run({ mode: 'bisect' }), 'input `mode` is "bisect"; expected one of: plan, probe');
  });

  it('probe: a commit outside the range, or no command, fails before running anything', async () => {
    s ??= session();
    failed(await run({ mode: 'probe', commit: 'f'.repeat(40), 'bisect-command': COMMAND }), 'which is not the good end or one of the 10 commits', 'Pass a commit from the matrix');
    failed(await run({ mode: 'probe', commit: s.commits[3]! }), '`mode: probe` needs `bisect-command`');
  });

  it('probe: the command runs without the token, retries a failure, and 125 skips; the good end can be probed', async () => {
    s ??= session();
    const verdicts = tempDir('rg-verdicts-');
    const noToken = await runAction('bisect-round', {
      workspace: s.r.dir,
      inputs: { good: 'checkpoint/s1', mode: 'probe', commit: s.commits[4]!, 'bisect-command': 'test -z "$INPUT_TOKEN$GITHUB_TOKEN"', verdicts, token: 'ghs_secret' },
      env: { GITHUB_TOKEN: 'ghs_secret' },
    });
    expect(noToken.outputs.verdict).toBe('good');
    // Fails twice, then passes: good with retries 2; bad with retries 1.
    const flaky = `n=$(cat "${verdicts}/count" 2>/dev/null || echo 0); echo $((n+1)) > "${verdicts}/count"; [ "$n" -ge 2 ]`;
    const retried = await run({ mode: 'probe', commit: s.commits[3]!, 'bisect-command': flaky, retries: '2', verdicts });
    expect(retried.outputs.verdict).toBe('good');
    expect(JSON.parse(readFileSync(retried.outputs['verdict-path']!, 'utf8'))).toMatchObject({ commit: s.commits[3], verdict: 'good', exitCodes: [1, 1, 0] });
    writeFileSync(join(verdicts, 'count'), '0');
    expect((await run({ mode: 'probe', commit: s.commits[3]!, 'bisect-command': flaky, retries: '1', verdicts })).outputs.verdict).toBe('bad');
    expect((await run({ mode: 'probe', commit: s.commits[4]!, 'bisect-command': COMMAND, verdicts })).outputs.verdict).toBe('skip');
    const goodEnd = await run({ mode: 'probe', commit: s.good, 'bisect-command': COMMAND, verdicts });
    expect(goodEnd.outputs.verdict).toBe('good');
    expect(goodEnd.summary).toContain(`## Bisect probe: \`${s.good.slice(0, 12)}\` is ✅ good`);
  });
});

describe('actions/rollback: parallel and bisect-verdicts', () => {
  const rollback = (workspace: string, inputs: Record<string, string>) =>
    runAction('rollback', { workspace, inputs: { token: '', strategy: 'bisect', phase: 'plan', ...inputs }, env: { ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '30' } });

  it('parallel 3: the culprit in rounds of 3 probes on one runner, the report counting every run', async () => {
    const s = makeSession(repos);
    const plan = await rollback(s.r.dir, { target: `${s.good}..${s.commits[9]}`, 'bisect-command': COMMAND, parallel: '3' });
    expect([plan.exitCode, plan.stdout.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []]);
    expect(plan.outputs.culprit).toBe(s.commits[6]);
    expect(plan.stdout).toContain('bisect round 1: 3 probes at once');
    const report = JSON.parse(readFileSync(plan.outputs['report-path']!, 'utf8')) as { bisect: { runs: number; skipped: number } };
    expect(report.bisect.runs).toBeGreaterThanOrEqual(4);
  });

  it('refuses parallel 0, and verdict files of another bisect', async () => {
    const s = makeSession(repos);
    const zero = await rollback(s.r.dir, { target: `${s.good}..${s.commits[9]}`, 'bisect-command': COMMAND, parallel: '0' });
    expect(zero.exitCode).toBe(1);
    expect(zero.stdout).toContain('input `parallel` is "0"; expected a whole number from 1 to 99');
    const verdicts = tempDir('rg-verdicts-');
    writeFileSync(join(verdicts, 'v.json'), JSON.stringify({ schema: VERDICT_SCHEMA, good: s.commits[1], bad: s.commits[9], commit: s.commits[5], verdict: 'good', exitCodes: [0] }));
    const foreign = await rollback(s.r.dir, { target: `${s.good}..${s.commits[9]}`, 'bisect-command': COMMAND, 'bisect-verdicts': verdicts });
    expect(foreign.exitCode).toBe(1);
    expect(foreign.stdout).toContain('the verdict file v.json belongs to the bisect');
  });
});

describe('bisectInRounds: k probes at once in k worktrees, the same answers as the sequential bisect', () => {
  it('10 commits with a skip, k = 3: the same culprit or the same refusal (first commit, beside the skip, after it, none); recorded verdicts are not run again', async () => {
    const r = createRepo({ initial: { 'README.md': '# app\n' } });
    repos.push(r);
    const good = r.head();
    let bad = good;
    for (let i = 0; i < 10; i++) bad = r.commit(`step ${i}`, { idx: `${i}\n` });
    const command = 'i=$(cat idx 2>/dev/null || echo -1); [ "$i" = 4 ] && exit 125; [ "$i" -lt "$CULPRIT" ]';
    const gitRepo = new Git(r.dir);
    for (const culprit of [0, 5, 6, 10]) {
      const options = { command, retries: 0, timeoutMinutes: 1, env: { PATH: process.env.PATH, CULPRIT: String(culprit) }, log: silentLogger };
      const store = await ScratchStore.create(gitRepo, tempDir('rg-rounds-'));
      try {
        const outcome = async (f: () => Promise<{ culprit: { sha: string }; runs: number }>) => {
          try {
            const res = await f();
            return { culprit: res.culprit.sha, runs: res.runs };
          } catch (error) {
            return { error: (error as Error).message.split('\n')[0]!.replace(/[0-9a-f]{12}/g, 'X') };
          }
        };
        const sequential = await outcome(() => bisect(gitRepo, store, good, bad, options));
        const parallel = await outcome(() => bisectInRounds(gitRepo, store, good, bad, { ...options, parallel: 3 }));
        expect([culprit, 'culprit' in parallel ? parallel.culprit : parallel]).toEqual([culprit, 'culprit' in sequential ? sequential.culprit : sequential]);
        if (culprit === 5) {
          // Culprit 5 with 4 skipped: cannot tell 4 from 5, both ways.
          expect(sequential).toEqual({ error: 'every commit between X and X was skipped (exit 125); the culprit is one of them. Nothing was reverted.' });
        }
        if (culprit === 6) {
          const rounds = await bisectInRounds(gitRepo, store, good, bad, { ...options, parallel: 3 });
          // All the verdicts recorded: the culprit without running the command again.
          const again = await bisectInRounds(gitRepo, store, good, bad, { ...options, command: 'exit 1', parallel: 3, recorded: rounds.probes });
          expect([culprit, again.culprit.sha, again.rounds, again.recorded, again.runs, again.skipped]).toEqual([culprit, rounds.culprit.sha, 0, rounds.probes.length, rounds.runs, rounds.skipped]);
          expect(rounds.rounds).toBeLessThanOrEqual(3);
        }
      } finally {
        store.dispose();
      }
    }
  });
});
