/**
 * The rollback never hands the write token to the code it tests (plan/apply), keeps secrets out of
 * its reports, claims `verified` only for what was checked, says what a seal does not prove, prints
 * commands that are safe to paste, and takes over locks left by killed runs. Every test runs the
 * committed bundles on a real repository with a bare remote (and the OpenAPI-checked loopback API).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { canonicalJson, sha256Hex } from '../packages/core/src/index.js';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

function repo(files: Record<string, string> = { 'README.md': '# app\n' }): TestRepo {
  const r = createRepo({ initial: files });
  repos.push(r);
  return r;
}

const rollback = (r: TestRepo, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction('rollback', {
    workspace: r.dir,
    inputs: { token: '', ...inputs },
    env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20', ...env },
  });

const readJson = (path: string): Record<string, any> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const remoteRefs = (r: TestRepo): string => git(r.remote, ['for-each-ref', '--format=%(refname) %(objectname)']);

/** Re-seals an edited plan the way anyone can: the documented self-hash. */
function reseal(plan: Record<string, unknown>): Record<string, unknown> {
  const { seal: _old, ...body } = plan;
  return { ...body, seal: `sha256:${sha256Hex(canonicalJson(body))}` };
}

/** Runs a printed command as a person pasting it would: in bash, in `cwd`. */
function paste(command: string, cwd: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A summary as a reader sees it: Markdown escapes and HTML entities undone. */
const plain = (markdown: string): string => markdown.replace(/\\([\\`*_{}[\]()#+!|~-])/g, '$1').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&');

const HOSTILE = 'zzz";echo${IFS}"hello";#$(touch${IFS}pwned)';

// ---------------------------------------------------------------------------------------------
// 7. Separate privileges

/**
 * What a hostile check or bisect command tries: read the token from its parent's environment,
 * read the credential actions/checkout persisted, write to the runner's command files, and plant
 * hooks that the action's own git would run.
 */
function attackScript(loot: string): string {
  const script = join(loot, 'attack.sh');
  writeFileSync(
    script,
    `#!/bin/bash
mkdir -p "${loot}/ran"; touch "${loot}/ran/$ROLLBACK_GATE_CHECK-$$"
# the shell that runs the check, and the action's node process above it
pid=$PPID
for level in 1 2 3; do
  [ "$pid" -gt 1 ] || break
  tr '\\0' '\\n' < /proc/$pid/environ >> "${loot}/environ" 2>/dev/null
  pid=$(awk '{print $4}' /proc/$pid/stat)
done
cat "$GITHUB_WORKSPACE/.git/config" >> "${loot}/gitconfig" 2>/dev/null
for f in $(sed -n 's/^GITHUB_ENV=//p' "${loot}/environ" | sort -u); do echo "INJECTED=1" >> "$f"; done
mkdir -p "$GITHUB_WORKSPACE/.git/hooks"
for h in pre-push reference-transaction post-checkout pre-commit; do
  printf '#!/bin/sh\\ntouch "%s/hook-%s"\\n' "${loot}" "$h" > "$GITHUB_WORKSPACE/.git/hooks/$h"
  chmod +x "$GITHUB_WORKSPACE/.git/hooks/$h"
done
exit 0
`,
  );
  chmodSync(script, 0o755);
  return script;
}

function hostileRepo(): { r: TestRepo; loot: string; bad: string } {
  const r = repo({ 'README.md': '# app\n', '.github/rollback-gate.yml': 'verify:\n  commands:\n    - { name: tests, run: bash "$ATTACK_LOOT/attack.sh" }\n' });
  const loot = join(r.root, 'loot');
  mkdirSync(loot);
  attackScript(loot);
  const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
  r.git(['push', '--quiet', 'origin', 'main']);
  return { r, loot, bad };
}

const hooksRan = (loot: string): string[] => readdirSync(loot).filter((f) => f.startsWith('hook-'));

describe('7. the code the rollback tests never holds the write token', () => {
  it('phase all (one job): what user code can reach, and that planted hooks never run in the action', async () => {
    const { r, loot, bad } = hostileRepo();
    // actions/checkout's default: the token persisted in .git/config.
    r.git(['config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic CHECKOUT-WRITE-CREDENTIAL']);
    const run = await rollback(r, { target: bad, direct: 'true', token: 'ghs_WRITE_TOKEN_of_the_job' }, { ATTACK_LOOT: loot });
    expect(run.exitCode).toBe(0);
    // This is why phase all is not the safe default for untrusted code: everything is reachable.
    expect(readFileSync(join(loot, 'environ'), 'utf8')).toContain('INPUT_TOKEN=ghs_WRITE_TOKEN_of_the_job');
    expect(readFileSync(join(loot, 'gitconfig'), 'utf8')).toContain('CHECKOUT-WRITE-CREDENTIAL');
    expect(run.env).toContain('INJECTED=1');
    // ...but the hooks it planted did not run when the action pushed (core.hooksPath is ignored).
    expect(git(r.remote, ['rev-parse', 'refs/heads/main'])).not.toBe(bad);
    expect(hooksRan(loot)).toEqual([]);
    // The hooks were real: plain git in the same checkout runs them.
    r.git(['commit', '--quiet', '--allow-empty', '-m', 'control']);
    expect(hooksRan(loot)).toContain('hook-pre-commit');
    // And the token never reaches the summary or the report, even if a check prints it.
    expect(run.summary).not.toContain('ghs_WRITE_TOKEN_of_the_job');
  });

  it('phase plan refuses a checkout that persisted its credential, before running anything', async () => {
    const { r, loot, bad } = hostileRepo();
    r.git(['config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic CHECKOUT-CREDENTIAL']);
    const before = remoteRefs(r);
    const run = await rollback(r, { target: bad, phase: 'plan', token: 'ghs_READ_ONLY' }, { ATTACK_LOOT: loot });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]!.message).toContain('persist-credentials: false');
    expect(existsSync(join(loot, 'ran'))).toBe(false);
    expect(remoteRefs(r)).toBe(before);
  });

  it('phase plan: the checks run with no write token and no credential to find, and nothing is pushed; apply runs no command and no hook, and pushes', async () => {
    const { r, loot, bad } = hostileRepo();
    const before = remoteRefs(r);
    // The plan job: contents: read, checkout with persist-credentials: false, the read-only job token.
    const plan = await rollback(r, { target: bad, phase: 'plan', token: 'ghs_READ_ONLY_plan_job' }, { ATTACK_LOOT: loot });
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs).toMatchObject({ verification: 'passed', verified: 'true', commits: JSON.stringify([bad]) });
    expect(readdirSync(join(loot, 'ran'))).toHaveLength(1);
    const environ = readFileSync(join(loot, 'environ'), 'utf8');
    expect(environ).toContain('INPUT_TOKEN=ghs_READ_ONLY_plan_job'); // the attack worked: it found the read-only token
    expect(environ).not.toContain('ghs_WRITE');
    expect(readFileSync(join(loot, 'gitconfig'), 'utf8')).not.toMatch(/extraheader|AUTHORIZATION/i);
    expect(remoteRefs(r)).toBe(before); // no lock, no branch: contents: read is enough
    const planPath = plan.outputs['plan-path']!;
    const sealed = readJson(planPath);
    expect(sealed).toMatchObject({
      schema: 'rollback-gate/rollback-plan@1',
      repository: 'octo-org/octo-repo',
      branch: 'main',
      plannedTip: bad,
      strategy: 'revert-range',
      verification: 'passed',
      commits: [expect.objectContaining({ sha: bad, subject: 'feat: oops', reason: expect.stringContaining('target') })],
      checks: [expect.objectContaining({ name: 'tests', exitCode: 0 })],
      secrets: [],
      runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242/attempts/1',
    });
    expect(sealed.expectedTree).toBe(git(r.remote, ['rev-parse', `${bad}~1^{tree}`]));

    // The apply job: the write token; the same hostile config, a hostile bisect-command input, the planted hooks.
    rmLoot(loot);
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals', (q) => ({
      status: 200,
      body: [{ state: 'approved', comment: 'checked the plan', user: { login: 'release-manager' }, environments: [{ id: 1, name: 'rollback' }], run_id: q.params.run_id }],
    }));
    const apply = await rollback(r, { phase: 'apply', plan: planPath, 'bisect-command': `bash "${loot}/attack.sh"`, token: 'ghs_WRITE_apply_job', direct: 'true' }, { ATTACK_LOOT: loot });
    expect(apply.exitCode).toBe(0);
    expect(readdirSync(loot).filter((f) => f !== 'attack.sh')).toEqual([]); // no command, no hook ran
    expect(apply.env).toBe('');
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(sealed.expectedTree);
    const report = readJson(apply.outputs['report-path']!);
    expect(report).toMatchObject({
      phase: 'apply',
      plan: { digest: sealed.seal, path: planPath },
      approvals: [{ user: 'release-manager', state: 'approved', environments: ['rollback'], comment: 'checked the plan' }],
      verified: true,
      verification: 'passed',
    });
    expect(apply.summary).toContain('release-manager');
    expect(apply.summary).toContain(sealed.seal);
    expect(apply.summary).toContain('ran no command');
    expect(loopback.server.requests.some((q) => q.path === '/repos/octo-org/octo-repo/actions/runs/4242/approvals')).toBe(true);
  });

  it('strategy bisect: plan bisects to the culprit and seals it with the reason; apply reverts exactly that, running neither the bisect command nor the checks', async () => {
    const r = repo({ 'README.md': '# app\n', '.github/rollback-gate.yml': 'verify:\n  commands:\n    - { name: no-bug, run: test ! -f bug.txt }\n' });
    const base = r.head();
    const shas = [1, 2, 3, 4, 5].map((i) => r.commit(`feat: ${i}`, i === 3 ? { 'bug.txt': 'bug\n' } : { [`f${i}.txt`]: `${i}\n` }));
    r.git(['push', '--quiet', 'origin', 'main']);
    const probes = join(r.root, 'probes');
    const command = `echo probe >> "${probes}"; test ! -f bug.txt`;
    const plan = await rollback(r, { target: `${base}..${shas[4]}`, strategy: 'bisect', 'bisect-command': command, phase: 'plan' });
    expect(plan.exitCode).toBe(0);
    const sealed = readJson(plan.outputs['plan-path']!);
    expect(sealed.commits).toEqual([expect.objectContaining({ sha: shas[2], reason: expect.stringMatching(/^culprit/) })]);
    const probesInPlan = readFileSync(probes, 'utf8');
    const apply = await rollback(r, { phase: 'apply', plan: plan.outputs['plan-path']!, direct: 'true', 'bisect-command': command });
    expect(apply.exitCode).toBe(0);
    expect(readFileSync(probes, 'utf8')).toBe(probesInPlan);
    expect(apply.outputs).toMatchObject({ strategy: 'bisect', culprit: shas[2], verified: 'true' });
    expect(git(r.remote, ['ls-tree', '--name-only', 'refs/heads/main'])).not.toContain('bug.txt');
    expect(git(r.remote, ['ls-tree', '--name-only', 'refs/heads/main'])).toContain('f5.txt');
  });

  it('apply refuses a moved branch and prints the command to re-plan; running it calls the workflow with the target', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const plan = await rollback(r, { target: bad, phase: 'plan' });
    expect(plan.exitCode).toBe(0);
    r.commit('later work', { 'later.txt': 'l\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = remoteRefs(r);
    const workflow = `roll back ${HOSTILE.replace(/\//g, '')}.yml`;
    const apply = await rollback(r, { phase: 'apply', plan: plan.outputs['plan-path']! }, { GITHUB_WORKFLOW_REF: `octo-org/octo-repo/.github/workflows/${workflow}@refs/heads/main` });
    expect(apply.exitCode).toBe(1);
    const message = apply.annotations[0]!.message;
    expect(message).toContain('main moved since the plan was made');
    expect(remoteRefs(r)).toBe(before);
    const command = message.split('\n').find((l) => l.includes('gh workflow run'))!.replace(/^.*?: (gh workflow run)/, '$1');
    const bin = join(r.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'gh'), `#!/bin/bash\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${r.root}/gh-args"\n`, { mode: 0o755 });
    expect(paste(command, r.dir, { PATH: `${bin}:${process.env.PATH}` }).status).toBe(0);
    expect(readFileSync(join(r.root, 'gh-args'), 'utf8').split('\n').filter(Boolean)).toEqual(['workflow', 'run', workflow, '-f', `target=${bad}`, '-f', 'strategy=auto']);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
  });

  it('apply refuses a re-sealed plan that reverts a human commit outside the target, an edited plan, a plan whose tree does not recompute, and another repository\'s plan', async () => {
    const r = repo();
    const human = r.commit('docs: a human writes', { 'docs/guide.md': 'by a person\n' });
    const bad = r.commit('feat: agent oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const forBad = await rollback(r, { target: bad, phase: 'plan' });
    const forHuman = await rollback(r, { target: human, phase: 'plan' });
    expect([forBad.exitCode, forHuman.exitCode]).toEqual([0, 0]);
    const badPlan = readJson(forBad.outputs['plan-path']!);
    const humanPlan = readJson(forHuman.outputs['plan-path']!);
    const before = remoteRefs(r);
    const attempt = async (plan: Record<string, unknown>, name: string) => {
      const path = join(r.root, name);
      writeFileSync(path, JSON.stringify(plan, null, 2));
      return rollback(r, { phase: 'apply', plan: path, direct: 'true' });
    };

    // The target is still `bad`, but the commits and tree are the human commit's: a consistent, re-sealed lie.
    const swapped = await attempt(reseal({ ...badPlan, commits: humanPlan.commits, expectedTree: humanPlan.expectedTree, files: humanPlan.files }), 'swapped.json');
    expect(swapped.exitCode).toBe(1);
    expect(swapped.annotations[0]!.message).toContain(`${human.slice(0, 12)} "docs: a human writes", which is not part of the target ${bad}`);
    expect(swapped.annotations[0]!.message).toContain('not who sealed it');

    const edited = await attempt({ ...badPlan, commits: humanPlan.commits }, 'edited.json');
    expect(edited.annotations[0]!.message).toContain('the seal does not verify');

    const wrongTree = await attempt(reseal({ ...badPlan, expectedTree: humanPlan.expectedTree }), 'tree.json');
    expect(wrongTree.exitCode).toBe(1);
    expect(wrongTree.annotations[0]!.message).toContain("not the plan's expected tree");

    const elsewhere = await attempt(reseal({ ...badPlan, repository: 'someone/else' }), 'elsewhere.json');
    expect(elsewhere.annotations[0]!.message).toContain('the rollback plan is for someone/else, not octo-org/octo-repo');

    expect(remoteRefs(r)).toBe(before);
    const honest = await attempt(badPlan, 'honest.json');
    expect(honest.exitCode).toBe(0);
    expect(git(r.remote, ['show', 'refs/heads/main:docs/guide.md'])).toBe('by a person');
    expect(git(r.remote, ['ls-tree', '--name-only', 'refs/heads/main'])).not.toContain('oops.txt');
  });
});

function rmLoot(loot: string): void {
  for (const f of readdirSync(loot)) if (f !== 'attack.sh') spawnSync('rm', ['-rf', join(loot, f)]);
}

// ---------------------------------------------------------------------------------------------
// 8. Secrets do not leak

const NPM = `npm_${'a1B2c3D4e5'.repeat(3)}abcdef`;
const GHP = `ghp_${'0123456789abcdefghij'.repeat(2).slice(0, 36)}`;

describe('8. secrets do not leak', () => {
  it('a check that prints NPM_TOKEN=… or a secret variable leaves no trace in the report, summary or log', async () => {
    const r = repo({
      'README.md': '# app\n',
      '.github/rollback-gate.yml': `verify:\n  commands:\n    - { name: leaky, run: 'echo "NPM_TOKEN=$BUILD_INFO"; echo "db password: $DEPLOY_PASSWORD"; echo done' }\n`,
    });
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    // BUILD_INFO's name looks harmless: only the secret scanner recognises its value as an npm token.
    const run = await rollback(r, { target: bad, 'dry-run': 'true' }, { DEPLOY_PASSWORD: 'correct-horse-battery-staple', BUILD_INFO: NPM });
    expect(run.exitCode).toBe(0);
    const reportText = readFileSync(run.outputs['report-path']!, 'utf8');
    for (const text of [reportText, run.summary, run.stdout]) {
      expect(text).not.toContain(NPM);
      expect(text).not.toContain('correct-horse-battery-staple');
    }
    const tail = (readJson(run.outputs['report-path']!).checks as Array<{ outputTail: string }>)[0]!.outputTail;
    expect(tail).toBe('NPM_TOKEN=***\ndb password: ***\ndone');
  });

  it('a rollback that brings back a removed secret is reported and blocks apply unless the plan carries the approval label', async () => {
    const r = repo();
    r.commit('feat: deploy config', { 'deploy.env': `REGION=eu\nGH=${GHP}\n` });
    const removal = r.commit('security: remove the leaked token', { 'deploy.env': 'REGION=eu\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const before = remoteRefs(r);

    const direct = await rollback(r, { target: removal, direct: 'true' });
    expect(direct.exitCode).toBe(1);
    expect(direct.annotations.find((a) => a.level === 'error')!.message).toContain('re-introduce 1 secret that a later commit removed: deploy.env:2 (github)');
    expect(remoteRefs(r)).toBe(before);

    const plan = await rollback(r, { target: removal, phase: 'plan' });
    expect(plan.exitCode).toBe(0);
    expect(readJson(plan.outputs['plan-path']!).secrets).toEqual([{ file: 'deploy.env', line: 2, rule: 'github' }]);
    expect(plan.summary).toContain('Secrets the rollback re-introduces');
    expect(plan.summary).not.toContain(GHP);
    const blocked = await rollback(r, { phase: 'apply', plan: plan.outputs['plan-path']!, direct: 'true' });
    expect(blocked.exitCode).toBe(1);
    expect(blocked.annotations.find((a) => a.level === 'error')!.message).toContain('rollback-gate:secret-ok');
    expect(remoteRefs(r)).toBe(before);

    const approved = await rollback(r, { target: removal, phase: 'plan', labels: 'rollback-gate:secret-ok' });
    const applied = await rollback(r, { phase: 'apply', plan: approved.outputs['plan-path']!, direct: 'true' });
    expect(applied.exitCode).toBe(0);
    expect(git(r.remote, ['show', 'refs/heads/main:deploy.env'])).toContain(GHP);
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Claims stay honest

describe('9. verified only for what was checked', () => {
  it('no checks: verified false, verification none, and the summary says why; nothing to revert and delete-branch claim nothing', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const none = await rollback(r, { target: bad, 'dry-run': 'true' });
    expect(none.outputs).toMatchObject({ verified: 'false', verification: 'none' });
    expect(plain(none.summary)).toContain('| verified | **no**: no checks configured (verify.commands) |');

    r.git(['revert', '--no-edit', bad]);
    r.git(['push', '--quiet', 'origin', 'main']);
    const nothing = await rollback(r, { target: bad, direct: 'true' });
    expect(nothing.exitCode).toBe(0);
    expect(nothing.outputs).toMatchObject({ verified: 'false', verification: 'none' });

    r.git(['switch', '--quiet', '-c', 'agent/s9']);
    const unmerged = r.commit('feat: unmerged', { 'u.txt': 'u\n' });
    r.git(['push', '--quiet', 'origin', 'agent/s9']);
    r.git(['switch', '--quiet', 'main']);
    // The PR's head is the branch's tip (item 5: a branch at another commit is not the PR's and is left alone).
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'agent', head: 'agent/s9', base: 'main', headSha: unmerged });
    const deleted = await rollback(r, { target: `pr-${pr.number}`, token: 'ghs_test' });
    expect(deleted.exitCode).toBe(0);
    expect(deleted.outputs).toMatchObject({ strategy: 'delete-branch', verified: 'false', verification: 'none' });
  });

  it('checks that pass: verified, verification passed; a failing one: failed', async () => {
    const r = repo({ 'README.md': '# app\n', '.github/rollback-gate.yml': 'verify:\n  commands:\n    - { name: readme, run: test -f README.md }\n    - { name: no-oops, run: test ! -f oops.txt }\n' });
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const passed = await rollback(r, { target: bad, 'dry-run': 'true' });
    expect(passed.outputs).toMatchObject({ verified: 'true', verification: 'passed' });
    r.commit('config: a check the rollback fails', { '.github/rollback-gate.yml': 'verify:\n  commands:\n    - { name: needs-oops, run: test -f oops.txt }\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const failed = await rollback(r, { target: bad, 'dry-run': 'true' });
    expect(failed.outputs).toMatchObject({ verified: 'false', verification: 'failed' });
    expect(plain(failed.summary)).toContain('| verified | **no**: needs-oops failed on the rolled-back tree');
  });
});

// ---------------------------------------------------------------------------------------------
// 10. A seal proves integrity, not authorship

function certificate(dir: string, uri: string): string | undefined {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.der');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', '/O=sigstore.dev', '-addext', `subjectAltName=URI:${uri}`, '-days', '1', '-outform', 'DER', '-out', cert]);
  return made.status === 0 ? readFileSync(cert).toString('base64') : undefined;
}

describe('10. a seal proves integrity, not authorship', () => {
  it('the summary says so; the checkpoint\'s attestation is looked up and its signer compared with this repository; tag protection is reported with how to turn it on', async () => {
    const r = repo();
    const cp = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': 's10' } });
    expect(cp.exitCode).toBe(0);
    const digest = cp.outputs.digest!;
    r.commit(`feat: session\n\nSession-Id: s10\n`, { 'f.txt': 'f\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'checkpoint-s10.json', digest: { sha256: digest.slice(7) } }] })).toString('base64');
    const ours = certificate(r.root, 'https://github.com/octo-org/octo-repo/.github/workflows/rollback-gate.yml@refs/heads/main');
    const theirs = certificate(r.root, 'https://github.com/mallory/fork/.github/workflows/x.yml@refs/heads/main');
    let signer = ours;
    loopback.server.on('GET', '/repos/{owner}/{repo}/attestations/{subject_digest}', (q) =>
      q.params.subject_digest === digest && signer
        ? { status: 200, body: { attestations: [{ repository_id: 1, bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { certificate: { rawBytes: signer } }, dsseEnvelope: { payload: statement, payloadType: 'application/vnd.in-toto+json', signatures: [] } } }] } }
        : { status: 404, body: { message: 'Not Found' } },
    );
    loopback.server.on('GET', '/repos/{owner}/{repo}/rulesets', { status: 200, body: [{ id: 7, name: 'checkpoints', target: 'tag', enforcement: 'active', source_type: 'Repository', source: 'octo-org/octo-repo' }] });
    let rules = [{ type: 'deletion' }, { type: 'update' }];
    loopback.server.on('GET', '/repos/{owner}/{repo}/rulesets/{ruleset_id}', () => ({
      status: 200,
      body: { id: 7, name: 'checkpoints', target: 'tag', enforcement: 'active', conditions: { ref_name: { include: ['refs/tags/checkpoint/*'], exclude: [] } }, rules },
    }));

    const first = await rollback(r, { target: 's10', 'dry-run': 'true', token: 'ghs_test' });
    expect(first.exitCode).toBe(0);
    expect(plain(first.summary)).toContain('**integrity, not authorship**');
    const report = readJson(first.outputs['report-path']!);
    expect(report.provenance.checkpointSealed).toBe(true);
    if (ours) {
      expect(report.provenance.attestation).toMatchObject({ status: 'repository', digest, workflow: 'https://github.com/octo-org/octo-repo/.github/workflows/rollback-gate.yml@refs/heads/main' });
      expect(report.provenance.attestation.detail).toContain('signature chain and transparency log were not verified');
    }
    expect(report.provenance.tagProtection).toMatchObject({ status: 'protected', rulesets: ['checkpoints'] });

    signer = theirs;
    rules = [{ type: 'deletion' }];
    const second = await rollback(r, { target: 's10', 'dry-run': 'true', token: 'ghs_test' });
    const again = readJson(second.outputs['report-path']!);
    if (theirs) expect(again.provenance.attestation).toMatchObject({ status: 'other', workflow: expect.stringContaining('mallory/fork') });
    expect(again.provenance.tagProtection.status).toBe('unprotected');
    expect(plain(second.summary)).toContain('Settings -> Rules -> Rulesets -> New tag ruleset, target `checkpoint/*`');

    signer = undefined;
    const third = await rollback(r, { target: 's10', 'dry-run': 'true', token: 'ghs_test' });
    expect(readJson(third.outputs['report-path']!).provenance.attestation.status).toBe('none');
    const offline = await rollback(r, { target: 's10', 'dry-run': 'true' });
    expect(readJson(offline.outputs['report-path']!).provenance).toMatchObject({ attestation: { status: 'unknown' }, tagProtection: { status: 'unknown' } });
  });
});

// ---------------------------------------------------------------------------------------------
// 11. Commands printed for people to paste are shell-safe

describe('11. printed commands are shell-safe', () => {
  it(`restore the branch: a PR branch named ${HOSTILE} is archived and deleted; the printed restore command brings it back and runs nothing`, async () => {
    const r = repo();
    r.git(['switch', '--quiet', '-c', HOSTILE]);
    const head = r.commit('feat: unmerged', { 'x.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', `refs/heads/${HOSTILE}`]);
    r.git(['switch', '--quiet', 'main']);
    const pr = loopback.server.store.createPull('octo-org', 'octo-repo', { title: 'agent work', head: HOSTILE, base: 'main' });
    loopback.server.store.issue('octo-org', 'octo-repo', pr.number)!.pull!.headSha = head;
    const run = await rollback(r, { target: `pr-${pr.number}`, token: 'ghs_test' });
    expect(run.exitCode).toBe(0);
    expect(git(r.remote, ['for-each-ref', 'refs/heads/'])).not.toContain('zzz');
    const comment = loopback.server.store.comments('octo-org', 'octo-repo', pr.number).at(-1)!.body;
    const command = comment.match(/```sh\n([\s\S]*?)\n```/)![1]!;
    const pasted = paste(command, r.dir);
    expect(pasted.status).toBe(0);
    expect(pasted.output).not.toMatch(/^hello$/m);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    expect(git(r.remote, ['rev-parse', `refs/heads/${HOSTILE}`])).toBe(head);
  });

  it(`restore the originals: squash-session on a branch named ${HOSTILE}; the printed commands restore it and run nothing`, async () => {
    const r = repo();
    const base = r.head();
    r.git(['switch', '--quiet', '-c', HOSTILE]);
    r.commit('feat: a', { 'a.txt': 'a\n' });
    const original = r.commit('feat: b', { 'b.txt': 'b\n' });
    r.git(['push', '--quiet', 'origin', `refs/heads/${HOSTILE}`]);
    const squash = await runAction('squash-session', { workspace: r.dir, inputs: { base, branch: HOSTILE, 'session-id': 's11', token: '' } });
    expect(squash.exitCode).toBe(0);
    expect(git(r.remote, ['rev-parse', `refs/heads/${HOSTILE}`])).not.toBe(original);
    const block = squash.summary.slice(squash.summary.indexOf('### Restore the originals'));
    const command = block.match(/```sh\n([\s\S]*?)\n```/)![1]!;
    const pasted = paste(command, r.dir);
    expect(pasted.status).toBe(0);
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    expect(git(r.remote, ['rev-parse', `refs/heads/${HOSTILE}`])).toBe(original);
  });

  it('remove a lock: the printed command removes exactly the lock', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const lock = r.git(['commit-tree', r.git(['hash-object', '-t', 'tree', '-w', '/dev/null']), '-m', `rollback-gate lock\n\nstarted: ${new Date().toISOString()}\nrun: (local)\n`]);
    r.git(['push', '--quiet', 'origin', `${lock}:refs/rollback-gate/lock/${bad.slice(0, 12)}`]);
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(1);
    const command = run.annotations[0]!.message.match(/remove its lock: (.*)$/m)![1]!;
    expect(paste(command, r.dir).status).toBe(0);
    expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate/lock/'])).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------
// A lock left by a killed run expires

describe('a rollback lock left by a killed run expires', () => {
  function locked(r: TestRepo, id: string, body: string): string {
    const lock = r.git(['commit-tree', r.git(['hash-object', '-t', 'tree', '-w', '/dev/null']), '-m', `rollback-gate lock for ${id}\n\n${body}`]);
    r.git(['push', '--quiet', 'origin', `${lock}:refs/rollback-gate/lock/${id}`]);
    return lock;
  }

  it('a lock whose run has finished (API) is taken over, and the summary says so; one whose run is still going is respected', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    const id = bad.slice(0, 12);
    let status = 'in_progress';
    loopback.server.on('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', (q) => ({ status: 200, body: { id: q.params.run_id, status, conclusion: status === 'completed' ? 'cancelled' : null } }));
    locked(r, id, `started: ${new Date().toISOString()}\nrun: https://github.com/octo-org/octo-repo/actions/runs/77\nrun-id: 77\n`);
    const busy = await rollback(r, { target: bad, direct: 'true', token: 'ghs_test' });
    expect(busy.exitCode).toBe(1);
    expect(busy.annotations[0]!.message).toContain('another rollback of');
    status = 'completed';
    const run = await rollback(r, { target: bad, direct: 'true', token: 'ghs_test' });
    expect(run.exitCode).toBe(0);
    expect(plain(run.summary)).toContain('took over a stale lock: its run 77 has finished (cancelled)');
    expect(readJson(run.outputs['report-path']!).lockTakenOver).toMatchObject({ runId: '77' });
    expect(git(r.remote, ['for-each-ref', 'refs/rollback-gate/lock/'])).toBe('');
    expect(loopback.server.requests.some((q) => q.path === '/repos/octo-org/octo-repo/actions/runs/77')).toBe(true);
  });

  it('without a token, a lock older than the job timeout is taken over', async () => {
    const r = repo();
    const bad = r.commit('feat: oops', { 'oops.txt': 'x\n' });
    r.git(['push', '--quiet', 'origin', 'main']);
    locked(r, bad.slice(0, 12), 'started: 2020-01-01T00:00:00.000Z\nrun: (local)\nrun-id: (local)\n');
    const run = await rollback(r, { target: bad, direct: 'true' });
    expect(run.exitCode).toBe(0);
    expect(plain(run.summary)).toMatch(/took over a stale lock: it was taken \d+ minutes ago, longer than the job's timeout \(360 minutes\)/);
  });
});
