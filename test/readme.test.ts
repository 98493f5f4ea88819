/**
 * The README is the front door: what it tells a new user to copy must be what we test.
 * - the gate workflow in "Set up in your repository" is examples/workflows/rollback-gate.yml,
 *   byte for byte (that file is actionlinted and replayed through the bundles in examples.test.ts);
 * - the config it shows parses with our config loader;
 * - every relative link in the README and the actions' references points at a file that exists.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@rollback-gate/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const readme = read('README.md');

function fencedBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const pattern = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next === -1 ? undefined : next);
}

describe('README: Set up in your repository', () => {
  const setup = section(readme, 'Set up in your repository');
  const [gate, config] = fencedBlocks(setup, 'yaml');

  it('shows the whole gate workflow, identical to examples/workflows/rollback-gate.yml', () => {
    expect(gate).toBe(read('examples/workflows/rollback-gate.yml'));
    expect(gate).toMatch(/^on:/m);
    expect(gate).toMatch(/^jobs:/m);
  });

  it('shows a config that our loader accepts', () => {
    expect(config).toBeDefined();
    const parsed = parseConfig(config!, '.github/rollback-gate.yml');
    expect(parsed.scope.maxFiles).toBe(5);
    expect(parsed.verify.commands.map((c) => c.name)).toEqual(['tests']);
  });

  it('names the check to require', () => {
    expect(setup).toContain('**`gate`**');
    expect(gate).toMatch(/^\s+name: gate$/m);
  });
});

describe('relative links', () => {
  const docs = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'packages/cli/README.md',
    ...['checkpoint', 'gate', 'postmortem', 'rollback', 'scope-guard', 'squash-session', 'verify-rollback'].map((a) => `actions/${a}/README.md`)];
  it.each(docs)('%s links only to files that exist', (doc) => {
    const text = read(doc).replace(/^```[\s\S]*?^```$/gm, '');
    const missing: string[] = [];
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      const path = join(ROOT, dirname(doc), target.split('#')[0]!);
      if (!existsSync(path)) missing.push(target);
    }
    expect(missing).toEqual([]);
  });
});
