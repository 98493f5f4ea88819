// `npm run demo`: the whole story, played through the committed bundles exactly as GitHub's runner
// runs them, in a throwaway repository with a bare remote. Nothing outside a temporary folder is touched.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runActionSync } from './runner.mjs';

const AGENT = { name: 'claude-code[bot]', email: 'agent@example.com' };
const HUMAN = { name: 'Ada Lovelace', email: 'ada@example.com' };
const CLAUDE_TRAILER = 'Co-authored-by: Claude <noreply@anthropic.com>';

/**
 * The story's times, relative to today so that the recovery falls in the postmortem's "last 30
 * days": the shop starts three days ago, session 1 runs two days ago, session 2 and its rollback
 * yesterday. `at(-2, 9, 30)` is 09:30 UTC two days ago.
 */
function at(daysAgo, hour, minute = 0) {
  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  day.setUTCDate(day.getUTCDate() + daysAgo);
  day.setUTCHours(hour, minute, 0, 0);
  return day.toISOString().replace('.000Z', 'Z');
}

function gitIn(cwd, args, { input, who = HUMAN, date } = {}) {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: 'Demo CI',
      GIT_COMMITTER_EMAIL: 'ci@example.com',
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  }).trim();
}

/** Runs dist/<name>/index.js through the shared runner emulation; returns its outputs, summary, exit code and log. */
function runBundle(name, { workspace, inputs = {}, event = { name: 'workflow_dispatch', payload: {} }, temp, env = {} }) {
  const run = runActionSync(name, {
    workspace,
    inputs,
    event,
    filesDir: mkdtempSync(join(temp, `${name}-`)),
    env: {
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_COMMITTER_NAME: 'github-actions[bot]',
      GIT_COMMITTER_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
      GIT_AUTHOR_NAME: 'github-actions[bot]',
      GIT_AUTHOR_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_REPOSITORY_OWNER: 'acme',
      GITHUB_RUN_ID: '1001',
      GITHUB_ACTOR: 'ada',
      ...env,
    },
  });
  const errors = run.commands.filter((c) => c.command === 'error').map((c) => c.value);
  return { exitCode: run.exitCode, outputs: run.outputs, summary: run.summary, errors, stdout: run.stdout, stderr: run.stderr };
}

/** A small TypeScript shop: core <- api <- ui, and a check script the rollback verifies with. */
const PROJECT = {
  'package.json': JSON.stringify({ name: 'shop', private: true, type: 'module' }, null, 2) + '\n',
  'src/core/prices.ts': 'export function price(cents: number): string {\n  return (cents / 100).toFixed(2);\n}\n',
  'src/core/tax.ts': "import { price } from './prices';\nexport const withTax = (cents: number) => price(Math.round(cents * 1.2));\n",
  'src/api/cart.ts': "import { withTax } from '../core/tax';\nexport const total = (items: number[]) => withTax(items.reduce((a, b) => a + b, 0));\n",
  'src/api/orders.ts': "import { total } from './cart';\nexport const order = (items: number[]) => ({ total: total(items) });\n",
  'src/ui/checkout.ts': "import { order } from '../api/orders';\nexport const render = () => `Total: ${order([100, 250]).total}`;\n",
  'check.mjs': "import { readFileSync } from 'node:fs';\nconst src = readFileSync('src/core/prices.ts', 'utf8');\nif (src.includes('cents / 10)')) { console.error('prices are off by 10x'); process.exit(1); }\nconsole.log('checks passed');\n",
  '.github/rollback-gate.yml': [
    'scope:',
    '  max-files: 5',
    '  layers: { core: ["src/core/**"], api: ["src/api/**"], ui: ["src/ui/**"] }',
    'verify:',
    '  commands: [{ name: checks, run: node check.mjs }]',
    '  window: { commits: 50, days: 30 }',
    'blast-radius: { max-depth: 3, mode: warn }',
    '',
  ].join('\n'),
};

function write(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

function commit(dir, message, files, who = HUMAN, date) {
  write(dir, files);
  gitIn(dir, ['add', '-A']);
  gitIn(dir, ['commit', '--quiet', '-F', '-'], { input: message, who, date });
  return gitIn(dir, ['rev-parse', 'HEAD']);
}

function pullRequestEvent(number, base, head) {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number,
      pull_request: { number, labels: [], base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'agent/session-1' } },
      repository: { full_name: 'acme/shop', default_branch: 'main' },
    },
  };
}

/**
 * Plays the story and returns each step's outcome (the test asserts them). `say` prints for people.
 */
export function playDemo({ say = () => {}, root = mkdtempSync(join(tmpdir(), 'rollback-gate-demo-')) } = {}) {
  const temp = join(root, 'runner');
  mkdirSync(temp);
  const remote = join(root, 'shop.git');
  const dir = join(root, 'shop');
  gitIn(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  gitIn(remote, ['config', 'uploadpack.allowAnySHA1InWant', 'true']);
  gitIn(root, ['init', '--quiet', '--initial-branch=main', dir]);
  gitIn(dir, ['remote', 'add', 'origin', remote]);
  commit(dir, 'feat: the shop', PROJECT, HUMAN, at(-3, 9));
  gitIn(dir, ['push', '--quiet', 'origin', 'main']);
  const steps = {};
  const step = (name, title, run) => {
    say(`\n━━ ${title}`);
    const outcome = run();
    steps[name] = outcome;
    if (outcome.summary) say(terminal(outcome.summary));
    if (outcome.errors?.length) say(`  ✗ ${outcome.errors.join('\n    ')}`);
    return outcome;
  };

  // 1. A checkpoint before the agent session.
  const checkpoint = step('checkpoint', '1. checkpoint: tag the known-good state before the agent session', () =>
    runBundle('checkpoint', { workspace: dir, temp, inputs: { 'session-id': 'pr-1' } }),
  );
  const base = checkpoint.outputs.sha;

  // 2. A 40-commit agent session with human commits interleaved; one change cascades across four files.
  gitIn(dir, ['switch', '--quiet', '-c', 'agent/session-1']);
  for (let i = 1; i <= 40; i++) {
    const date = at(-2, 8 + Math.floor(i / 6), (i * 7) % 60);
    if (i === 20) {
      commit(dir, `refactor(core): prices take a currency\n\n${CLAUDE_TRAILER}`, {
        'src/core/prices.ts': "export function price(cents: number, currency = 'EUR'): string {\n  return `${(cents / 100).toFixed(2)} ${currency}`;\n}\n",
        'src/core/tax.ts': "import { price } from './prices';\nexport const withTax = (cents: number, currency = 'EUR') => price(Math.round(cents * 1.2), currency);\n",
        'src/api/cart.ts': "import { withTax } from '../core/tax';\nexport const total = (items: number[], currency = 'EUR') => withTax(items.reduce((a, b) => a + b, 0), currency);\n",
        'src/ui/checkout.ts': "import { order } from '../api/orders';\nexport const render = () => `Total: ${order([100, 250]).total} (incl. VAT)`;\n",
      }, AGENT, date);
    } else if (i % 9 === 0) {
      commit(dir, `docs: review notes ${i}`, { [`docs/review-${i}.md`]: `Reviewed step ${i}.\n` }, HUMAN, date);
    } else {
      commit(dir, `feat(api): step ${i} of the discounts feature\n\n${CLAUDE_TRAILER}`, { 'src/api/discounts.ts': `export const discounts = ${JSON.stringify(Array.from({ length: i }, (_, k) => k % 5))};\n` }, AGENT, date);
    }
  }
  gitIn(dir, ['push', '--quiet', 'origin', 'agent/session-1']);
  const head = gitIn(dir, ['rev-parse', 'HEAD']);
  const prEvent = pullRequestEvent(1, base, head);

  // 3. scope-guard flags it: too many files, three layers, and the cascade's blast radius.
  step('scopeGuard', '2. scope-guard on the pull request: the session is too big and crosses layers', () =>
    runBundle('scope-guard', { workspace: dir, temp, event: prEvent, inputs: { comment: 'false' } }),
  );

  // 4. verify-rollback proves it revertible on main.
  step('verifyRollback', '3. verify-rollback on the pull request: can it be rolled back once landed?', () =>
    runBundle('verify-rollback', { workspace: dir, temp, event: prEvent, inputs: { comment: 'false', 'merge-method': 'squash' } }),
  );

  // 5. squash-session: 40 commits become one, the originals are kept; then the PR lands.
  const squash = step('squashSession', '4. squash-session: the 40 commits become one atomic commit', () =>
    runBundle('squash-session', { workspace: dir, temp, event: prEvent, inputs: { 'session-id': 'pr-1', branch: 'agent/session-1' } }),
  );
  gitIn(dir, ['fetch', '--quiet', 'origin']);
  gitIn(dir, ['switch', '--quiet', 'main']);
  gitIn(dir, ['merge', '--quiet', '--ff-only', squash.outputs.sha]);
  gitIn(dir, ['push', '--quiet', 'origin', 'main']);
  say('  → the squashed PR lands on main (fast-forward).');

  // 6. A second session works straight on main; one commit plants a bug, two later ones build on it.
  const checkpoint2 = runBundle('checkpoint', { workspace: dir, temp, inputs: { 'session-id': 'session-2' } });
  steps.checkpoint2 = checkpoint2;
  const session2 = [];
  for (let i = 1; i <= 16; i++) {
    const date = at(-1, 10, i * 3);
    if (i === 6) session2.push(commit(dir, `perf(core): faster price formatting\n\n${CLAUDE_TRAILER}`, { 'src/core/prices.ts': "export function price(cents: number, currency = 'EUR'): string {\n  return `${(cents / 10).toFixed(2)} ${currency}`;\n}\n" }, AGENT, date));
    else if (i === 9) session2.push(commit(dir, `feat(core): price ranges\n\n${CLAUDE_TRAILER}`, { 'src/core/prices.ts': "export function price(cents: number, currency = 'EUR'): string {\n  return `${(cents / 10).toFixed(2)} ${currency}`;\n}\nexport const range = (a: number, b: number) => `${price(a)} - ${price(b)}`;\n" }, AGENT, date));
    else if (i === 12) session2.push(commit(dir, `feat(ui): show price ranges\n\n${CLAUDE_TRAILER}`, { 'src/ui/ranges.ts': "import { range } from '../core/prices';\nexport const label = range(100, 900);\n" }, AGENT, date));
    else session2.push(commit(dir, `chore: tidy notes ${i}\n\n${CLAUDE_TRAILER}`, { [`notes/n${i}.md`]: `${i}\n` }, AGENT, date));
  }
  gitIn(dir, ['push', '--quiet', 'origin', 'main']);
  say('\n  → a second agent session (16 commits) lands on main; customers report prices 10x too high.');

  // 7. The rollback: bisect to the culprit, revert it and its cascade, verified.
  const detectedAt = at(-1, 12);
  const recoveredAt = at(-1, 12, 14);
  const rollback = step('rollback', '5. rollback: bisect session-2 to the culprit, revert it and only what depends on it', () =>
    runBundle('rollback', {
      workspace: dir,
      temp,
      inputs: { target: 'session-2', strategy: 'bisect', 'bisect-command': 'node check.mjs', direct: 'true', 'detected-at': detectedAt },
    }),
  );

  // 8. The postmortem record, with time to recovery and MTTR.
  const postmortem = step('postmortem', '6. postmortem: the recovery record lands in docs/DECISIONS.md', () =>
    runBundle('postmortem', {
      workspace: dir,
      temp,
      inputs: {
        report: rollback.outputs['report-path'] ?? '',
        type: 'logic-error',
        detection: 'customer report',
        'root-cause': 'An agent optimisation divided cents by 10 instead of 100.',
        prevention: 'A price-format unit test in the verify commands.',
        'detected-at': detectedAt,
        'recovered-at': recoveredAt,
        commit: 'none',
      },
    }),
  );

  const expected = { culprit: session2[5], cascade: [session2[8], session2[11]] };
  say(`\n━━ Where to look\n  repository: ${dir}\n  remote:     ${remote}\n  try: git -C ${dir} log --oneline --graph --all | head -30`);
  return { root, dir, remote, steps, expected, postmortem, recoveredAt };
}

/** Markdown to something readable in a terminal: tables kept (long ones cut), code blocks kept, HTML and mermaid dropped. */
function terminal(markdown) {
  const out = [];
  let tableRows = 0;
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      // A mermaid diagram is for the browser; every other block (commands, JSON) is printed as is.
      fenced = !fenced && line.startsWith('```mermaid');
      continue;
    }
    if (fenced) continue;
    if (/^```|^<\/?details|^<summary|^<sub>|^\s*classDef|^\s*(graph LR|xychart-beta)|^\s+n\d+/.test(line) || /^\|\s*-+/.test(line)) continue;
    tableRows = line.startsWith('|') ? tableRows + 1 : 0;
    if (tableRows > 13) {
      if (tableRows === 14) out.push('  | …');
      continue;
    }
    const text = line
      .replace(/^#+\s*/, '▸ ')
      .replace(/\\([\\`*_{}[\]()#+!|~-])/g, '$1')
      .replace(/`/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    out.push(`  ${text}`);
  }
  return out.join('\n').replace(/(\n\s*){3,}/g, '\n\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir } = playDemo({ say: (text) => console.log(text) });
  console.log(`\nDone. The demo repository is at ${dir}`);
}
