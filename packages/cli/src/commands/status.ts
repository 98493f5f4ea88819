import {
  UserError,
  checkScope,
  createClassifier,
  describeCheckpoint,
  findCheckpoint,
  readCommits,
  resolveTarget,
  revertSteps,
  type ScopeResult,
} from '@rollback-gate/core';
import { EXIT, type Command } from '../command.js';
import { REMOTE, openRepo, resolveSessionId, sessionOption, type Repo } from '../context.js';
import { stringOption } from '../args.js';
import { safe, type Terminal, count } from '../terminal.js';

interface RollbackNow {
  possible: boolean;
  strategy: string | null;
  commits: string[];
  files: string[];
  /** The rolled-back tree is exactly the checkpoint's. */
  backToCheckpoint: boolean;
  problem: string | null;
  command: string;
}

/** What rolling the session back would do right now, computed in memory (nothing is written to a ref). */
async function rollbackNow(repo: Repo, id: string, head: string, branch: string | undefined, checkpointTree: string, commitCount: number): Promise<RollbackNow> {
  const command = `rollback-gate rollback ${id}`;
  if (commitCount === 0) return { possible: true, strategy: null, commits: [], files: [], backToCheckpoint: true, problem: null, command };
  const { git } = repo;
  try {
    const target = await resolveTarget(
      { git, github: undefined, owner: undefined, repo: undefined, remote: REMOTE, branch: branch ?? 'HEAD', tip: head, checkpointPrefix: repo.config.checkpoint.prefix },
      id,
      'auto',
    );
    const tipTree = await git.treeOf(head);
    const outcome = await revertSteps(git, head, tipTree, target.commits.map((commit) => ({ commit, mainline: commit.parents.length > 1 ? (1 as const) : null })));
    return {
      possible: true,
      strategy: target.strategy,
      commits: outcome.applied.map((s) => s.commit.sha),
      files: outcome.files,
      backToCheckpoint: outcome.tree === checkpointTree,
      problem: null,
      command,
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { possible: false, strategy: null, commits: [], files: [], backToCheckpoint: false, problem: error.problem, command };
  }
}

function scopeRows(result: ScopeResult, repo: Repo): Array<[string, string, string]> {
  const { config } = repo;
  const ok = (pass: boolean): string => (pass ? 'ok' : 'over');
  const rows: Array<[string, string, string]> = [
    ['files changed', `${count(result.counted.length, 'file')} of a budget of ${config.scope.maxFiles}${result.changed.length > result.counted.length ? ` (${count(result.changed.length - result.counted.length, 'more file')} ignored)` : ''}`, ok(result.counted.length <= config.scope.maxFiles)],
  ];
  if (config.agents.maxFiles !== undefined) rows.push(['agent commits\' files', `${result.agentFiles.length} (budget ${config.agents.maxFiles})`, ok(result.agentFiles.length <= config.agents.maxFiles)]);
  rows.push(['layers', result.layers.length > 0 ? result.layers.join(', ') : '(none)', result.violations.some((v) => v.rule === 'cross-layer') ? 'over' : 'ok']);
  const prot = result.violations.filter((v) => v.rule === 'protected').length;
  rows.push(['protected paths', prot === 0 ? 'none touched' : `${prot} touched`, prot === 0 ? 'ok' : 'over']);
  const atRisk = result.blastRadius.filter((r) => !r.changed).length;
  rows.push(['blast radius', `${count(result.blastRadius.length, 'dependent')}, ${atRisk} at risk on revert`, atRisk === 0 ? 'ok' : config.blastRadius.mode === 'fail' ? 'over' : 'warn']);
  return rows;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'The session against its checkpoint: commits, file budget, layers, blast radius, the rollback now.',
  usage: 'status [--session-id ID] [--from-hook]',
  description:
    'The one screen to look at before ending a session. Compares HEAD with the session\'s checkpoint: the commits ' +
    '(agent or human), the files changed against the budget, the layers, protected paths, the blast radius with its ' +
    'import chains (scope-guard\'s rules and code), uncommitted files, and what a rollback would be right now. ' +
    'Exit 1 when the session is out of scope (in `scope.mode: fail`).',
  options: [{ name: 'from-hook', type: 'boolean', description: "Read the agent hook's JSON on stdin (session_id, cwd)." }],
  positionals: [],
  examples: ['rollback-gate status', 'rollback-gate status --session-id 20260301-0930 --json'],
  async run(ctx) {
    const session = await sessionOption(ctx);
    const repo = await openRepo(ctx, { dir: stringOption(ctx.args, 'dir') ?? session.hook?.cwd });
    const { git, config, log } = repo;
    const { id, how } = await resolveSessionId(repo, session.id);
    // Ours (sealed, re-checked) or hand-made (unsealed): `<prefix><id>`, then `<prefix>before-session-<id>`.
    const manifest = await findCheckpoint(git, id, { prefix: config.checkpoint.prefix });
    if (!manifest) {
      throw new UserError(`there is no checkpoint ${config.checkpoint.prefix}${id} (or ${config.checkpoint.prefix}before-session-${id}) in this repository.`, `Run \`rollback-gate checkpoint --session-id ${id}\` at the start of the session, or check the id (git tag --list '${config.checkpoint.prefix}*').`);
    }
    const tag = manifest.tag;
    const head = await git.requireCommit('HEAD', 'HEAD');
    const branch = await git.currentBranch();
    const classify = createClassifier(config.agents);
    // Four independent questions, asked at once (each is a few git processes).
    const [scope, history, porcelain, rollback] = await Promise.all([
      checkScope(git, log, { base: manifest.commit, head, labels: [], config }),
      readCommits(git, [`${manifest.commit}..${head}`], { newestFirst: true }),
      git.run(['status', '--porcelain=v1', '-z', '--untracked-files=all']),
      rollbackNow(repo, id, head, branch, manifest.tree, head === manifest.commit ? 0 : 1),
    ]);
    const commits = history.map((c) => {
      const kind = classify(c);
      return { sha: c.sha, subject: c.subject, author: `${c.authorName} <${c.authorEmail}>`, kind: kind.kind, why: kind.reason };
    });
    const uncommitted = porcelain.stdout
      .split('\0')
      .filter(Boolean)
      .map((e) => e.slice(3))
      .filter((f) => f.length > 0);
    const failing = !scope.passed && scope.mode === 'fail';
    const agent = commits.filter((c) => c.kind === 'agent').length;

    const { term } = ctx;
    if (term.json) {
      term.document({
        command: 'status',
        session: { id, tag, checkpoint: manifest.commit, chosen: how },
        head,
        branch: branch ?? null,
        passed: scope.passed,
        mode: scope.mode,
        commits,
        agentCommits: agent,
        humanCommits: commits.length - agent,
        files: { counted: scope.counted, changed: scope.changed, budget: config.scope.maxFiles, agentFiles: scope.agentFiles, agentBudget: config.agents.maxFiles ?? null },
        layers: scope.layers,
        violations: scope.violations,
        warnings: scope.warnings,
        blastRadius: scope.blastRadius,
        uncommitted,
        rollback,
      });
      return failing ? EXIT.finding : EXIT.ok;
    }
    const verdict = scope.passed
      ? term.paint('green', '✓ within scope')
      : scope.mode === 'warn'
        ? term.paint('yellow', `! out of scope (warn mode): ${count(scope.violations.length, 'violation')}`)
        : term.paint('red', `✗ out of scope: ${count(scope.violations.length, 'violation')}`);
    term.essential(`session ${id}: ${verdict}; ${count(commits.length, 'commit')} (${agent} agent, ${commits.length - agent} human), ${scope.counted.length}/${config.scope.maxFiles} files`);
    term.fields([
      ['checkpoint', `${manifest.sealed ? tag : describeCheckpoint(manifest)} at ${manifest.commit.slice(0, 12)}${how === 'newest-reachable' ? ' (the newest reachable from HEAD)' : ''}`],
      ['head', `${head.slice(0, 12)}${branch ? ` on ${safe(branch)}` : ' (detached)'}`],
    ]);
    renderStatus(term, scope, repo, commits, uncommitted, rollback);
    return failing ? EXIT.finding : EXIT.ok;
  },
};

function renderStatus(
  term: Terminal,
  scope: ScopeResult,
  repo: Repo,
  commits: Array<{ sha: string; subject: string; kind: string }>,
  uncommitted: string[],
  rollback: RollbackNow,
): void {
  term.line();
  term.heading('Scope');
  const rows = scopeRows(scope, repo).map(([rule, value, state]) => [rule, value, state === 'ok' ? term.paint('green', state) : state === 'warn' ? term.paint('yellow', state) : term.paint('red', state)]);
  term.table(['rule', 'value', ''], rows);
  if (scope.violations.length > 0) {
    term.line();
    term.heading('Violations');
    term.table(['rule', 'file', 'message'], scope.violations.slice(0, 50).map((v) => [v.rule, safe(v.file ?? ''), safe(v.message)]));
  }
  for (const w of scope.warnings.slice(0, 20)) term.warning(safe(w));
  term.line();
  term.heading(`Commits since the checkpoint (${commits.length}, newest first)`);
  if (commits.length === 0) term.line('  none');
  else term.table(['commit', 'kind', 'subject'], commits.slice(0, 30).map((c) => [c.sha.slice(0, 12), c.kind === 'agent' ? term.paint('cyan', 'agent') : 'human', safe(c.subject)]));
  if (commits.length > 30) term.line(`  …and ${commits.length - 30} more (--json lists all)`);
  if (scope.blastRadius.length > 0) {
    term.line();
    term.heading('Blast radius (files importing what changed)');
    term.table(
      ['file', 'depth', 'status', 'import chain (→: imported by)'],
      scope.blastRadius.slice(0, 30).map((r) => [safe(r.file), String(r.depth), r.changed ? 'in the change' : term.paint('yellow', 'at risk on revert'), safe(r.chain.join(' → '))]),
    );
  }
  if (uncommitted.length > 0) {
    term.line();
    term.warning(`${count(uncommitted.length, 'uncommitted file')} (${uncommitted.slice(0, 5).map(safe).join(', ')}${uncommitted.length > 5 ? ', …' : ''}): no rollback covers them until they are committed.`);
  }
  term.line();
  term.heading('Rollback now');
  if (!rollback.possible) term.line(`  ${term.paint('red', 'not possible as it stands:')} ${safe(rollback.problem ?? '')}`);
  else if (rollback.commits.length === 0) term.line('  nothing to roll back: HEAD is at the checkpoint.');
  else {
    term.line(
      `  ${rollback.strategy}: revert ${count(rollback.commits.length, 'commit')}, ${count(rollback.files.length, 'file')}, in memory: ${term.paint('green', 'clean')}` +
        `${rollback.backToCheckpoint ? ', back to the checkpoint\'s tree exactly' : ''}.`,
    );
    term.line(`  plan it: ${rollback.command}    or squash the session first: rollback-gate squash --run-checks`);
  }
}
