import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLLBACK_PHASES, ROLLBACK_PLAN_SCHEMA, ROLLBACK_STRATEGIES, RollbackFailure, UserError, checkTimeoutCapMs, parseIsoTime, planSchemaOf, loadConfigForEvent, renderRollbackSummary, rollback, systemClock, type RollbackReport, createClassifier, askAuthors, branchTip, isTriggerEvent, notifyCulprits, readRollbackPlan, recheckBeforeApply, renderTriggerSummary, startTrigger, triggerOnlyReport, vetCulprits, type TriggerReport } from '@rollback-gate/core';
import { ActionIO, actionLogger, eventContext, githubClient, runAction, runnerTemp, workspaceGit } from '../../shared/src/runtime.js';
import { rollbackSpec } from './spec.js';

const STRATEGIES = ['auto', ...ROLLBACK_STRATEGIES] as const;

function wholeNumber(raw: string, name: string, fallback: number): number {
  if (raw === '') return fallback;
  if (!/^\d{1,2}$/.test(raw)) throw new UserError(`input \`${name}\` is ${JSON.stringify(raw)}; expected a whole number from 0 to 99.`);
  return Number(raw);
}

function isoTime(raw: string, name: string): string | undefined {
  return raw.trim() ? parseIsoTime(raw, `input \`${name}\``).toISOString() : undefined;
}

/** A plan path, or a directory holding exactly one rollback plan (where download-artifact put it). */
function planFile(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const plans = readdirSync(path).filter((f) => f.endsWith('.json') && planSchemaOf(join(path, f)) === ROLLBACK_PLAN_SCHEMA);
  if (plans.length !== 1) {
    throw new UserError(`input \`plan\` is the directory ${path}, which holds ${plans.length} rollback plans; expected exactly one.`, 'Name the plan file itself.');
  }
  return join(path, plans[0]!);
}

/** `rollback.yml` from `owner/repo/.github/workflows/rollback.yml@refs/heads/main`. */
function workflowFile(ref: string | undefined): string | undefined {
  return ref?.match(/\/\.github\/workflows\/([^@/]+)@/)?.[1];
}

export async function run(): Promise<void> {
  await runAction(async (summary) => {
    const io = new ActionIO(rollbackSpec);
    const context = eventContext();
    const git = workspaceGit(io.text('working-directory'));
    const config = await loadConfigForEvent(git, context, io.text('config'));
    const target = io.text('target');
    const plan = io.text('plan');
    const phase = io.choice('phase', ROLLBACK_PHASES, 'all');
    // A red default branch (workflow_run) or an alert (repository_dispatch) chooses the target itself.
    const triggered = !target && !plan && phase !== 'apply' && isTriggerEvent(context.eventName);
    if (!target && !plan && !triggered) {
      throw new UserError('give `target` (a session id, checkpoint tag, PR number, commit or range) or a sealed `plan` file.');
    }
    if (phase === 'apply' && io.text('bisect-command')) actionLogger.warning('`bisect-command` is ignored in `phase: apply`: apply runs no command; the plan job bisected.');
    const parallel = wholeNumber(io.text('parallel'), 'parallel', 1);
    if (parallel < 1) throw new UserError('input `parallel` is "0"; expected a whole number from 1 to 99 (1: one probe at a time).');
    const tempDir = join(runnerTemp(), 'rollback-gate');
    const maxCommandTimeoutMs = checkTimeoutCapMs(process.env);
    let report: RollbackReport | undefined;
    const deps = { git, log: actionLogger, clock: systemClock, github: githubClient(io.text('token')), env: process.env };
    const startedAt = systemClock().toISOString();
    let trigger: TriggerReport | undefined;
    if (triggered) {
      trigger = await startTrigger(deps, { eventName: context.eventName, payload: context.payload, owner: context.owner, repo: context.repo, remote: 'origin', branchInput: io.text('branch'), config, phase: phase === 'plan' ? 'plan' : 'all', tempDir, maxCommandTimeoutMs });
    } else if (phase === 'apply' && plan) {
      const sealed = readRollbackPlan(planFile(existsSync(plan) ? plan : join(git.cwd, plan)));
      if (sealed.trigger) {
        trigger = structuredClone(sealed.trigger);
        const held = await recheckBeforeApply(deps, { owner: context.owner, repo: context.repo, remote: 'origin', tip: await branchTip(git, 'origin', sealed.branch), config }, trigger);
        if (held) trigger = held;
      }
    }
    if (trigger && trigger.verdict !== 'rollback') {
      const reportPath = join(tempDir, `rollback-trigger-${trigger.verdict}.json`);
      mkdirSync(tempDir, { recursive: true });
      writeFileSync(reportPath, `${JSON.stringify(triggerOnlyReport(trigger, phase, startedAt, systemClock().toISOString()), null, 2)}\n`);
      io.output('report-path', reportPath);
      io.output('commits', []);
      io.output('verified', false);
      io.output('verification', 'none');
      summary.push(renderTriggerSummary(trigger));
      if (trigger.verdict === 'refused') throw new UserError(`the ${trigger.event} trigger was refused: ${trigger.reason}`);
      if (trigger.verdict === 'ignored') actionLogger.info(`ignored: ${trigger.reason}`);
      else actionLogger.warning(`no automatic rollback (${trigger.verdict}): ${trigger.reason}`);
      return;
    }
    const lists = { serverUrl: process.env.GITHUB_SERVER_URL || 'https://github.com', repository: context.repository, runUrl: context.runUrl, classify: createClassifier(config.agents) };
    try {
      const outcome = await rollback(
        deps,
        {
          target: trigger?.target ?? target,
          strategy: trigger?.strategy ?? io.choice('strategy', STRATEGIES, 'auto'),
          phase,
          labels: io.text('labels').split(/[,\n]/).map((l) => l.trim()).filter(Boolean),
          bisectCommand: trigger?.strategy === 'bisect' ? (config.triggers.bisectCommand ?? '') : io.text('bisect-command'),
          retries: wholeNumber(io.text('retries'), 'retries', 0),
          parallel,
          bisectVerdicts: io.text('bisect-verdicts'),
          planPath: plan ? planFile(existsSync(plan) ? plan : join(git.cwd, plan)) : '',
          replan: io.flag('replan', false),
          branch: io.text('branch'),
          batch: io.flag('batch', true),
          direct: trigger ? trigger.delivery === 'direct' : io.flag('direct', false),
          dryRun: io.flag('dry-run', false),
          detectedAt: trigger ? trigger.detectedAt : isoTime(io.text('detected-at'), 'detected-at'),
          trigger: trigger && { report: trigger, vet: (commits) => vetCulprits(trigger!, commits, config, systemClock()) },
          owner: context.owner,
          repo: context.repo,
          runUrl: context.runUrl,
          runId: process.env.GITHUB_RUN_ID,
          actor: process.env.GITHUB_TRIGGERING_ACTOR || process.env.GITHUB_ACTOR,
          workflow: workflowFile(process.env.GITHUB_WORKFLOW_REF),
          workspace: git.cwd,
          config,
          tempDir,
          maxCommandTimeoutMs,
          includeDependent: io.flag('include-dependent', false),
        },
      );
      report = outcome.report;
      if (trigger && phase !== 'plan' && (report.prUrl || report.rollbackSha)) {
        await notifyCulprits({ github: deps.github, owner: context.owner, repo: context.repo, runUrl: context.runUrl }, trigger, { prUrl: report.prUrl, branch: report.branch });
        writeFileSync(outcome.reportPath, `${JSON.stringify(report, null, 2)}\n`);
      }
      io.output('report-path', outcome.reportPath);
      if (outcome.planPath) io.output('plan-path', outcome.planPath);
      summary.push(renderRollbackSummary(outcome.report, outcome.target, outcome.skipped, { ...lists, described: outcome.described }));
    } catch (error) {
      // The report is written whatever happened: point at it and show it.
      if (error instanceof RollbackFailure) {
        report = error.outcome.report;
        io.output('report-path', error.outcome.reportPath);
        if (error.declined && trigger) {
          // A guardrail on the culprit (its age, its opt-out) held the rollback: a decision, not a failure.
          if (error.declined.verdict === 'report-only') await askAuthors({ github: deps.github, owner: context.owner, repo: context.repo, runUrl: context.runUrl }, trigger);
          writeFileSync(error.outcome.reportPath, `${JSON.stringify(report, null, 2)}\n`);
          actionLogger.warning(`no automatic rollback (${error.declined.verdict}): ${error.declined.problem}`);
          return;
        }
        summary.push(renderRollbackSummary(report, error.outcome.target, error.outcome.skipped, { ...lists, described: error.outcome.described }));
      }
      throw error;
    } finally {
      if (trigger && !summary.some((part) => /^#{2,3} \S+ Trigger: /m.test(part))) summary.unshift(renderTriggerSummary(trigger));
      if (report) {
        io.output('strategy', report.strategy ?? '');
        io.output('commits', report.commits);
        io.output('culprit', report.culprit ?? '');
        io.output('rollback-sha', report.rollbackSha ?? '');
        io.output('branch', report.branch ?? '');
        io.output('pr-url', report.prUrl ?? '');
        io.output('verified', report.verified);
        io.output('verification', report.verification ?? 'none');
      }
    }
  });
}
