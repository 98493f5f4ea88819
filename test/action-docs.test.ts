/**
 * Each action's reference, actions/<name>/README.md, stays true to its action.yml: the generated
 * part (description, inputs with defaults, outputs) is what scripts/action-docs.mjs renders from
 * the metadata, and the hand-written example is a workflow that passes actionlint and passes the
 * action only inputs it declares.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { ROOT } from './harness/run-action.js';

const SCRIPT = join(ROOT, 'scripts', 'action-docs.mjs');
const ACTIONLINT_CLI = join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
const scratch = mkdtempSync(join(tmpdir(), 'rollback-gate-action-docs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const NAMES = ['bisect-round', 'checkpoint', 'gate', 'postmortem', 'rollback', 'scope-guard', 'squash-session', 'verify-rollback'];
const metadataFile = (root: string, name: string): string => (name === 'gate' ? join(root, 'action.yml') : join(root, 'actions', name, 'action.yml'));
const readme = (name: string): string => readFileSync(join(ROOT, 'actions', name, 'README.md'), 'utf8');

interface ActionYml {
  inputs?: Record<string, { required?: boolean; default?: string }>;
  outputs?: Record<string, unknown>;
}

function docs(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The fenced blocks of one language in a Markdown text. */
/** The fenced blocks of the README's `## Example` section (the "How it works" prose holds fragments). */
function blocks(text: string, language: string): string[] {
  const start = text.indexOf('\n## Example\n');
  const next = start === -1 ? -1 : text.indexOf('\n## ', start + 1);
  text = start === -1 ? '' : text.slice(start, next === -1 ? undefined : next);
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

describe('actions/<name>/README.md', () => {
  it('there is one per action, and the generated part matches every action.yml', () => {
    for (const name of NAMES) expect(existsSync(join(ROOT, 'actions', name, 'README.md'))).toBe(true);
    const { status, output } = docs('--check');
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('--check fails, naming the file, when an action.yml changes and its README does not', () => {
    const copy = join(scratch, 'copy');
    cpSync(join(ROOT, 'action.yml'), join(copy, 'action.yml'));
    for (const name of NAMES.filter((n) => n !== 'gate')) {
      mkdirSync(join(copy, 'actions', name), { recursive: true });
      cpSync(metadataFile(ROOT, name), metadataFile(copy, name));
    }
    for (const name of NAMES) cpSync(join(ROOT, 'actions', name, 'README.md'), join(copy, 'actions', name, 'README.md'));
    expect(docs('--check', '--root', copy).status).toBe(0);

    const yml = metadataFile(copy, 'squash-session');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace("default: 'true'", "default: 'false'"));
    const stale = docs('--check', '--root', copy);
    expect(stale.status).toBe(1);
    expect(stale.output).toContain('out of date with action.yml: actions/squash-session/README.md');
    expect(stale.output).toContain('node scripts/action-docs.mjs');

    expect(docs('--root', copy).status).toBe(0);
    expect(readFileSync(join(copy, 'actions', 'squash-session', 'README.md'), 'utf8')).toMatch(/\| `push` \| `false` \|/);
    expect(docs('--check', '--root', copy).status).toBe(0);

    writeFileSync(join(copy, 'actions', 'rollback', 'README.md'), '# rollback\n');
    expect(docs('--check', '--root', copy).output).toContain('actions/rollback/README.md has no generated part');
  });

  describe.each(NAMES)('%s', (name) => {
    const text = readme(name);
    const yml = load(readFileSync(metadataFile(ROOT, name), 'utf8')) as ActionYml;

    it('lists every input with its default and every output', () => {
      for (const [id, input] of Object.entries(yml.inputs ?? {})) {
        const shown = input.required ? 'required' : input.default ? `\`${input.default}\`` : '*(empty)*';
        expect(text).toContain(`| \`${id}\` | ${shown} |`);
      }
      for (const id of Object.keys(yml.outputs ?? {})) expect(text).toContain(`| \`${id}\` |`);
    });

    it('says which permissions it needs, and has an example workflow', () => {
      expect(text).toMatch(/^## Permissions\n\n\| permission \| what for \|\n\| --- \| --- \|\n\| `contents: (read|write)` \|/m);
      expect(text).toMatch(/^## Example$/m);
      expect(blocks(text, 'yaml').length).toBeGreaterThan(0);
    });

    it('the example passes the action only inputs it declares, and every required one', () => {
      const uses = name === 'gate' ? 'rollback-gate/rollback-gate@v1' : `rollback-gate/rollback-gate/actions/${name}@v1`;
      const steps = blocks(text, 'yaml').flatMap((block) => {
        const workflow = load(block) as { jobs: Record<string, { steps: Array<{ id?: string; uses?: string; with?: Record<string, unknown> }> }> };
        return Object.values(workflow.jobs).flatMap((job) => job.steps);
      });
      const ours = steps.filter((step) => step.uses === uses);
      expect(ours.length).toBeGreaterThan(0);
      for (const step of ours) {
        const given = Object.keys(step.with ?? {});
        expect(given.filter((input) => !(input in (yml.inputs ?? {})))).toEqual([]);
        const required = Object.entries(yml.inputs ?? {}).filter(([, input]) => input.required).map(([id]) => id);
        expect(required.filter((input) => !given.includes(input))).toEqual([]);
        const outputs = blocks(text, 'yaml').join('\n').matchAll(new RegExp(`steps\\.${step.id ?? '\\0'}\\.outputs\\.([\\w-]+)`, 'g'));
        for (const [, output] of outputs) expect(Object.keys(yml.outputs ?? {})).toContain(output);
      }
    });

    it('links only to files that exist', () => {
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^https?:/.test(target!)) continue;
        expect([target, existsSync(resolve(ROOT, 'actions', name, target!))]).toEqual([target, true]);
      }
    });
  });

  it('every example workflow passes actionlint (offline)', () => {
    const dir = join(scratch, 'workflows');
    mkdirSync(dir, { recursive: true });
    let count = 0;
    for (const name of NAMES) {
      for (const [i, block] of blocks(readme(name), 'yaml').entries()) {
        writeFileSync(join(dir, `${name}-${i}.yml`), block);
        count++;
      }
    }
    const offline = join(scratch, 'offline.cjs');
    writeFileSync(offline, "globalThis.fetch = () => { throw new Error('network access attempted'); };\n");
    const result = spawnSync(process.execPath, ['--require', offline, ACTIONLINT_CLI, `${dir}/*.yml`], {
      cwd: dirname(dir),
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      timeout: 60_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain(`Checking ${count} workflow file(s)...`);
    expect(output).toContain('All workflow files passed lint checks');
    expect(result.status).toBe(0);
  });
});
