import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import { ROOT } from './harness/run-action.js';

interface ActionYml {
  name: string;
  description: string;
  inputs?: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

/** Each action's metadata file; the gate's is the root action.yml (its code is actions/gate/src). */
const actionNames = [...readdirSync(join(ROOT, 'actions')).filter((name) => existsSync(join(ROOT, 'actions', name, 'action.yml'))), 'gate'];
const metadataFile = (name: string): string => (name === 'gate' ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => join(d.parentPath, d.name));
}

function namesUsed(sources: string[], pattern: RegExp): Set<string> {
  const names = new Set<string>();
  for (const file of sources) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) names.add(match[1]!);
  }
  return names;
}

describe.each(actionNames)('the action.yml of %s', (name) => {
  const yml = load(readFileSync(metadataFile(name), 'utf8')) as ActionYml;
  const sources = sourceFiles(join(ROOT, 'actions', name, 'src'));

  it('has a name and a description that fit the Marketplace (description under 125 characters)', () => {
    expect(yml.name.trim()).not.toBe('');
    expect(yml.description.trim()).not.toBe('');
    expect([yml.description, yml.description.length < 125]).toEqual([yml.description, true]);
  });

  it('runs the committed bundle on node24', () => {
    expect(yml.runs).toEqual({ using: 'node24', main: name === 'gate' ? 'dist/gate/index.js' : `../../dist/${name}/index.js` });
    expect(existsSync(join(ROOT, 'dist', name, 'index.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist', name, 'licenses.txt'))).toBe(true);
  });

  it('declares exactly the inputs the code reads, and the reverse', async () => {
    const spec = (await import(join(ROOT, 'actions', name, 'src', 'spec.ts'))) as Record<string, { inputs: string[]; outputs: string[] }>;
    const declared = Object.keys(yml.inputs ?? {}).sort();
    const specified = Object.values(spec)[0]!;
    expect([...specified.inputs].sort()).toEqual(declared);
    const read = [...namesUsed(sources, /io\.(?:text|flag|choice|lines|number)\(\s*'([^']+)'/g)].sort();
    expect(read).toEqual(declared);
    for (const input of Object.values(yml.inputs ?? {})) expect(input.description.length).toBeGreaterThan(10);
  });

  it('declares exactly the outputs the code sets, and the reverse', async () => {
    const spec = (await import(join(ROOT, 'actions', name, 'src', 'spec.ts'))) as Record<string, { inputs: string[]; outputs: string[] }>;
    const declared = Object.keys(yml.outputs ?? {}).sort();
    expect([...Object.values(spec)[0]!.outputs].sort()).toEqual(declared);
    const set = [...namesUsed(sources, /io\.output\(\s*'([^']+)'/g)].sort();
    expect(set).toEqual(declared);
  });

  it('reads inputs and sets outputs only through the typed ActionIO', () => {
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/core\.(getInput|getBooleanInput|getMultilineInput|setOutput)\(|process\.env\.INPUT_|process\.env\[['"]INPUT_/);
    }
  });
});

it('every action shares the common inputs token, config and working-directory', () => {
  for (const name of actionNames) {
    const yml = load(readFileSync(metadataFile(name), 'utf8')) as ActionYml;
    expect(Object.keys(yml.inputs ?? {})).toEqual(expect.arrayContaining(['token', 'config', 'working-directory']));
    expect(yml.inputs?.token?.default).toBe('${{ github.token }}');
  }
});
