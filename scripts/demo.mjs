// `npm run demo`: the whole story, played through the committed bundles exactly as GitHub's runner
// runs them, in a throwaway repository with a bare remote. Nothing outside a temporary folder is touched.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
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

function pullRequestEvent(number, base, head, ref = 'agent/session-1') {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number,
      pull_request: { number, labels: [], base: { sha: base, ref: 'main' }, head: { sha: head, ref } },
      repository: { full_name: 'acme/shop', default_branch: 'main' },
    },
  };
}

/**
 * A small stand-in for the GitHub API, in its own process (the bundles run synchronously): it keeps
 * the comments the gate posts and the rollback's pull request, and answers the apply job's question
 * of who approved it. Every comment and pull request body it receives is written to `comments.json`
 * and `pulls.json` for the demo to show (and for `npm run screenshots`).
 */
const API_SERVER = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const [portFile, commentsFile, pullsFile] = process.argv.slice(2);
const comments = [];
const pulls = [];
const send = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const path = new URL(req.url, 'http://x').pathname;
    const body = raw ? JSON.parse(raw) : {};
    let m;
    if (req.method === 'GET' && /\\/issues\\/\\d+\\/labels$/.test(path)) return send(res, 200, []);
    if ((m = /\\/issues\\/(\\d+)\\/comments$/.exec(path))) {
      if (req.method === 'GET') return send(res, 200, comments.filter((c) => c.issue === Number(m[1])));
      const comment = { id: comments.length + 1, issue: Number(m[1]), body: body.body, html_url: 'https://github.com/acme/shop/pull/' + m[1] + '#issuecomment-' + (comments.length + 1) };
      comments.push(comment);
      writeFileSync(commentsFile, JSON.stringify(comments));
      return send(res, 201, comment);
    }
    if ((m = /\\/issues\\/comments\\/(\\d+)$/.exec(path)) && req.method === 'PATCH') {
      const comment = comments.find((c) => c.id === Number(m[1]));
      comment.body = body.body;
      writeFileSync(commentsFile, JSON.stringify(comments));
      return send(res, 200, comment);
    }
    if (req.method === 'POST' && /\\/pulls$/.test(path)) {
      const pull = { number: 3 + pulls.length, title: body.title, head: body.head, base: body.base, body: body.body, state: 'open' };
      pull.html_url = 'https://github.com/acme/shop/pull/' + pull.number;
      pulls.push(pull);
      writeFileSync(pullsFile, JSON.stringify(pulls));
      return send(res, 201, pull);
    }
    if ((m = /\\/pulls\\/(\\d+)$/.exec(path)) && req.method === 'PATCH') {
      const pull = pulls.find((p) => p.number === Number(m[1]));
      if (!pull) return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      Object.assign(pull, body);
      writeFileSync(pullsFile, JSON.stringify(pulls));
      return send(res, 200, pull);
    }
    if (req.method === 'GET' && /\\/actions\\/runs\\/\\d+\\/approvals$/.test(path)) {
      return send(res, 200, [{ state: 'approved', comment: 'Prices are 10x off in production: roll back.', user: { login: 'ada' }, environments: [{ name: 'rollback' }] }]);
    }
    send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  });
}).listen(0, '127.0.0.1', function () { writeFileSync(portFile, String(this.address().port)); });
`;

/** Starts the stand-in API; returns its URL, the comments and pull requests so far, and a stop function. */
function startApi(root) {
  const script = join(root, 'api-server.mjs');
  const portFile = join(root, 'api-port');
  const commentsFile = join(root, 'comments.json');
  const pullsFile = join(root, 'pulls.json');
  writeFileSync(script, API_SERVER);
  const child = spawn(process.execPath, [script, portFile, commentsFile, pullsFile], { stdio: 'ignore' });
  const until = Date.now() + 10_000;
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8') === '') {
    if (Date.now() > until) throw new Error('the demo API server did not start');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return {
    url: `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`,
    comments: () => (existsSync(commentsFile) ? JSON.parse(readFileSync(commentsFile, 'utf8')) : []),
    pulls: () => (existsSync(pullsFile) ? JSON.parse(readFileSync(pullsFile, 'utf8')) : []),
    stop: () => child.kill(),
  };
}

/**
 * Plays the story and returns each step's outcome (the test asserts them). `say` prints for people.
 */
export function playDemo({ say = () => {}, root = mkdtempSync(join(tmpdir(), 'rollback-gate-demo-')) } = {}) {
  const api = startApi(root);
  try {
    return playStory({ say, root, api });
  } finally {
    api.stop();
  }
}

function playStory({ say, root, api }) {
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
  /** What each step showed, in order, as Markdown: for the HTML page of `--open`. */
  const pages = [];
  const step = (name, title, run, shown = (outcome) => outcome.summary) => {
    say(`\n━━ ${title}`);
    const outcome = run();
    steps[name] = outcome;
    if (shown(outcome)) {
      say(terminal(shown(outcome)));
      pages.push({ title, markdown: shown(outcome) });
    }
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

  // 6. The next agent change edits what the session just added: once landed, the session could no
  // longer be rolled back alone. The gate catches it on the pull request and says so in its comment.
  gitIn(dir, ['switch', '--quiet', '-c', 'agent/session-3']);
  const entangling = commit(
    dir,
    `feat(api): member discounts\n\n${CLAUDE_TRAILER}`,
    { 'src/api/discounts.ts': 'export const discounts = [0, 1, 2, 3, 4];\nexport const memberDiscount = 5;\n' },
    AGENT,
    at(-2, 16),
  );
  gitIn(dir, ['push', '--quiet', 'origin', 'agent/session-3']);
  const gateEvent = pullRequestEvent(2, gitIn(dir, ['rev-parse', 'main']), entangling, 'agent/session-3');
  step(
    'gate',
    '5. the gate on pull request #2: it would entangle the session that just landed (its comment)',
    () => {
      const run = runBundle('gate', { workspace: dir, temp, event: gateEvent, inputs: { token: 'demo-token' }, env: { GITHUB_API_URL: api.url } });
      return { ...run, comment: api.comments().filter((c) => c.issue === 2).at(-1)?.body ?? '' };
    },
    (outcome) => outcome.comment,
  );
  gitIn(dir, ['switch', '--quiet', 'main']);
  say('  → the gate fails the pull request; it is not merged.');

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

  // 7. The rollback, planned then applied: the plan job bisects to the culprit, picks only what
  // depends on it, runs the checks and seals the plan; after approval, the apply job re-checks the
  // plan against main and pushes it, running no command.
  const detectedAt = at(-1, 12);
  const recoveredAt = at(-1, 12, 14);
  const plan = step('rollbackPlan', '6. rollback, plan job: bisect session-2 to the culprit and its cascade, check, seal a plan (nothing pushed)', () =>
    runBundle('rollback', {
      workspace: dir,
      temp,
      inputs: { target: 'session-2', strategy: 'bisect', 'bisect-command': 'node check.mjs', phase: 'plan', 'detected-at': detectedAt },
    }),
  );
  say("\n  → the apply job waits for the reviewers of the `rollback` environment; ada approves it.");
  const rollback = step('rollback', '7. rollback, apply job (approved): re-check the sealed plan against main, push it and open the rollback pull request', () =>
    runBundle('rollback', {
      workspace: dir,
      temp,
      inputs: { plan: plan.outputs['plan-path'] ?? '', phase: 'apply', token: 'demo-token', 'detected-at': detectedAt },
      env: { GITHUB_API_URL: api.url },
    }),
  );
  // The rollback's pull request, as it reads on GitHub (its body is the report once the run closed).
  const pull = api.pulls().find((p) => p.head === rollback.outputs.branch);
  steps.rollbackPull = { title: pull?.title ?? '', body: pull?.body ?? '', number: pull?.number };
  if (pull) {
    say(`\n  → the apply job opened the rollback pull request #${pull.number}, "${pull.title}"; its body is the report above.`);
    pages.push({ title: `7. the rollback pull request #${pull.number}: ${pull.title}`, markdown: pull.body });
    // It is reviewed and merged (a fast-forward: the branch is on top of main).
    gitIn(dir, ['fetch', '--quiet', 'origin']);
    gitIn(dir, ['merge', '--quiet', '--ff-only', `origin/${pull.head}`]);
    gitIn(dir, ['push', '--quiet', 'origin', 'main']);
    say(`  → #${pull.number} is reviewed and merged: main is back to working prices.`);
  }

  // 8. The postmortem record, with time to recovery and MTTR.
  const postmortem = step('postmortem', '8. postmortem: the recovery record lands in docs/DECISIONS.md', () =>
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
  return { root, dir, remote, steps, expected, postmortem, recoveredAt, pages };
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
    if (/^```|^<!--|^<\/?details|^<summary|^<sub>|^\s*classDef|^\s*(graph LR|xychart-beta)|^\s+n\d+/.test(line) || /^\|\s*-+/.test(line)) continue;
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

/** The installed mermaid (a devDependency), for the page to draw its diagrams offline. */
function mermaidScript() {
  return pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('mermaid/package.json')), 'dist', 'mermaid.min.js')).href;
}

/**
 * The Markdown each step showed, rendered as GitHub renders it (GitHub-flavoured Markdown through
 * `marked`, a devDependency; mermaid blocks drawn in the browser by the installed mermaid), on one HTML page.
 */
export async function renderPage(pages) {
  const { marked } = await import('marked');
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const sections = pages.map(({ title, markdown }) => {
    const html = marked.parse(markdown, { gfm: true }).replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>');
    return `<section><p class="step">${escape(title)}</p><div class="markdown-body">${html}</div></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rollback-gate demo</title>
<style>
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 980px; margin: 2em auto; padding: 0 1em; }
section { border: 1px solid #d1d9e0; border-radius: 6px; padding: 0 1.5em 1em; margin-bottom: 2em; }
.step { color: #59636e; border-bottom: 1px solid #d1d9e0; padding: .5em 0; margin: 0 0 1em; }
table { border-collapse: collapse; display: block; overflow: auto; } th, td { border: 1px solid #d1d9e0; padding: 6px 13px; } tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%; } pre { background: #f6f8fa; padding: 16px; overflow: auto; border-radius: 6px; } pre code { background: none; padding: 0; }
blockquote { color: #59636e; border-left: .25em solid #d1d9e0; margin: 0; padding: 0 1em; } a { color: #0969da; }
</style></head><body>
<h1>rollback-gate: the demo, as GitHub shows it</h1>
${sections.join('\n')}
<script src="${mermaidScript()}"></script>
<script>mermaid.initialize({ startOnLoad: false }); mermaid.run({ querySelector: 'pre.mermaid' });</script>
</body></html>
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, root, pages } = playDemo({ say: (text) => console.log(text) });
  console.log(`\nDone. The demo repository is at ${dir}`);
  if (process.argv.includes('--open')) {
    const file = join(root, 'demo.html');
    try {
      writeFileSync(file, await renderPage(pages));
      console.log(`The summaries and the gate's comment, rendered as on GitHub: ${file} (open it in a browser; mermaid is drawn by the installed package, offline).`);
    } catch (error) {
      console.log(`No HTML page: ${error.message}. It needs the devDependencies (npm ci).`);
    }
  }
}
