/** The squash's job summary and sticky comment. */
import { code, codeBlock, commands, commitLink, details, facts, type GitHubLinks, heading, headline, join, link, md, type Md, plural, table, text, trusted } from '../output/markdown.js';
import { shellCommand } from '../output/shell.js';
import { describeCheck, type CheckResult } from '../sandbox/checks.js';
import type { SquashResult } from './squash.js';

export interface SquashReportOptions {
  links?: GitHubLinks;
  remote?: string;
}

/** "32 agent commits and 8 human commits" */
function composition(result: SquashResult): Md {
  const agent = result.commits.filter((c) => c.kind === 'agent').length;
  const human = result.commits.length - agent;
  if (human === 0) return md`${trusted(plural(agent, 'agent commit'))}`;
  if (agent === 0) return md`${trusted(plural(human, 'human commit'))}`;
  return md`${trusted(plural(agent, 'agent commit'))} and ${trusted(plural(human, 'human commit'))}`;
}

function title(result: SquashResult): { icon: string; words: Md } {
  if (result.status === 'empty') return { icon: '✅', words: md`nothing to squash` };
  if (result.status === 'already-squashed') return { icon: '✅', words: md`already squashed, nothing changed` };
  if (result.status === 'checks-failed') {
    const failed = (result.checks ?? []).filter((c) => !c.passed).length;
    return { icon: '❌', words: md`refused, ${trusted(plural(failed, 'check'))} failed on the session head` };
  }
  if (!result.treeMatches) return { icon: '❌', words: md`squashed, but the tree differs from the old head` };
  return { icon: '✅', words: md`${trusted(plural(result.commitsSquashed, 'commit'))} squashed into one` };
}

function checksCell(checks: readonly CheckResult[] | undefined): Md {
  if (!checks) return md`not run (\`run-checks: false\`)`;
  const failed = checks.filter((c) => !c.passed).length;
  return failed === 0 ? md`passed (${trusted(plural(checks.length, 'check'))})` : md`**${failed} failed** of ${checks.length}`;
}

function factsTable(result: SquashResult, links: GitHubLinks | undefined): Md {
  const unsealed = result.checkpointSealed === false ? md`, unsealed: a hand-made tag, no seal to re-check` : md``;
  return facts(
    [
      ['branch', code(result.branch)],
      ['base', result.checkpointTag ? md`${code(result.checkpointTag)} at ${commitLink(links, result.base)}${unsealed}` : commitLink(links, result.base)],
      ['squash commit', result.squashCommit ? commitLink(links, result.squashCommit) : md`*none*`],
      result.humanCommitsReplayed > 0 ? ['human commits replayed on top', md`${result.humanCommitsReplayed}, unchanged; new head ${commitLink(links, result.sha)}`] : undefined,
      ['tree', result.treeMatches ? md`identical to the old head's` : md`**differs from the old head's**`],
      ['checks on the old head', checksCell(result.checks)],
      ['originals kept at', code(result.backupRef ?? '')],
      ['pushed', result.pushed ? md`yes, branch and backup in one atomic push leased on the old head` : md`no (\`push: false\`): only the local branch was rewritten`],
    ],
    ['squash', 'value'],
  );
}

function restore(result: SquashResult, remote: string): Md {
  return join([
    heading(md`Restore the originals`),
    commands([
      shellCommand(['git', 'fetch', remote, result.backupRef ?? '']),
      shellCommand(['git', 'push', `--force-with-lease=refs/heads/${result.branch}:${result.sha}`, remote, `${result.originalHead}:refs/heads/${result.branch}`]),
    ]),
  ]);
}

/** Every check's verdict, then the output of the failing ones. */
function checksSection(checks: readonly CheckResult[]): Md {
  return join([
    heading(md`Checks`),
    table(
      ['check', 'result'],
      checks.map((c) => [code(c.name), md`${c.passed ? md`pass` : md`**fail**`}: ${text(describeCheck(c))}`]),
    ),
    ...checks.filter((c) => !c.passed).flatMap((c) => [md`Output of ${code(c.name)} (last lines):`, codeBlock(c.tail || '(no output)')]),
  ]);
}

function signatures(result: SquashResult, links: GitHubLinks | undefined, withList: boolean): Md | false {
  if (!result.unsignedResult) return false;
  const dropped = result.signaturesDropped;
  const replayed = dropped.some((c) => c.how === 'replayed') ? md`, and human commits replayed after it are re-created unsigned` : md``;
  const warning = md`> [!WARNING]\n> ${trusted(plural(dropped.length, 'signed commit'))} ${dropped.length === 1 ? md`loses its` : md`lose their`} signature: the squash commit is **not signed**${replayed}. Set \`require-signed: true\` to refuse instead.`;
  if (!withList || dropped.length === 0) return warning;
  const rows = dropped.map((c) => [commitLink(links, c.sha), text(c.subject), text(c.author), trusted(c.kind), c.how === 'replayed' ? md`replayed unsigned` : md`squashed into the unsigned squash commit`]);
  return join([warning, table(['commit', 'subject', 'author', 'agent/human', 'signature dropped'], rows)]);
}

/** The job summary of a squash run: the facts, the commits (collapsed) and how to restore the originals. */
export function renderSquashSummary(result: SquashResult, options: SquashReportOptions = {}): string {
  const { links, remote = 'origin' } = options;
  const { icon, words } = title(result);
  if (result.status === 'empty') {
    return join([headline(icon, md`squash-session: ${words}`), md`Nothing to squash: ${code(result.branch)} is at its base ${commitLink(links, result.base)}.`]);
  }
  if (result.status === 'already-squashed') {
    return join([
      headline(icon, md`squash-session: ${words}`),
      md`Already squashed: ${code(result.branch)} starts with the squash commit ${commitLink(links, result.squashCommit ?? '')}; nothing changed.`,
    ]);
  }
  if (result.status === 'checks-failed') {
    return join([
      headline(icon, md`squash-session: ${words}`),
      md`The checks ran on ${code(result.branch)} at ${commitLink(links, result.originalHead)}, in a throwaway worktree. **Nothing was rewritten**: the branch, the remote and the backups are as they were.`,
      md`**What to do:** fix the failures and run again, or set \`allow-failing-checks: true\` to squash anyway (the failure is then recorded in the squash commit's message).`,
      checksSection(result.checks ?? []),
    ]);
  }
  const rows = result.commits.slice(0, 300).map((c) => [commitLink(links, c.sha), text(c.subject), text(c.author), trusted(c.kind + (c.merge ? ' (merge)' : ''))]);
  const failedChecks = result.checks?.some((c) => !c.passed) ?? false;
  return join([
    headline(icon, md`squash-session: ${words}`),
    md`${composition(result)} on ${code(result.branch)} are now one commit; rolling the session back is one revert.`,
    factsTable(result, links),
    signatures(result, links, true),
    failedChecks &&
      md`> [!WARNING]\n> Checks **failed** on the session head and the session was squashed anyway (\`allow-failing-checks: true\`); the squash commit's message records the failure.`,
    failedChecks && checksSection(result.checks ?? []),
    details(
      md`The ${trusted(plural(result.commits.length, 'squashed commit'))}`,
      join([table(['commit', 'subject', 'author', 'kind'], rows), result.commits.length > 300 && md`…and ${result.commits.length - 300} more (the squash commit's message lists them all).`]),
    ),
    restore(result, remote),
  ]);
}

/** The sticky comment: what happened and how to undo it; the commit list stays in the run's summary. */
export function renderSquashComment(result: SquashResult, options: SquashReportOptions = {}): string {
  const { links, remote = 'origin' } = options;
  const { icon, words } = title(result);
  const squashed = result.status === 'squashed';
  return join([
    headline(icon, md`squash-session: ${words}`),
    squashed && md`${composition(result)} on ${code(result.branch)} are now one commit; rolling the session back is one revert.`,
    squashed && factsTable(result, links),
    squashed && signatures(result, links, false),
    squashed && result.checks?.some((c) => !c.passed) && md`> [!WARNING]\n> Checks **failed** on the session head and the session was squashed anyway (\`allow-failing-checks: true\`).`,
    squashed && restore(result, remote),
    links?.run && md`Every squashed commit: ${link(md`the run's summary`, links.run)}.`,
  ]);
}
