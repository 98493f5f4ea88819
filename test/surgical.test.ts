/**
 * The cascade through the rollback bundle: only the commits that depend on the culprit (overlapping
 * hunks, names it added, tests of its files) are reverted; a decoy that shares a file or imports the
 * culprit's file without using what it changed is checked and kept. Oracle: plain `git revert`.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { useGitHubApi } from './harness/loopback-api.js';
import { createRepo, git, type TestRepo } from './harness/repo.js';
import { runAction } from './harness/run-action.js';

const loopback = useGitHubApi();
const repos: TestRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const PACKAGE = (o: { description?: string; private?: string } = {}): string =>
  `{\n  "name": "app",\n  "description": "${o.description ?? 'a small app'}",\n  "version": "1.0.0",\n  "license": "MIT",\n  "private": ${o.private ?? 'true'},\n  "main": "lib/express.js"\n}\n`;

const HUB = (o: { name?: string; mount?: boolean } = {}): string =>
  [
    "'use strict';",
    '',
    'exports = module.exports = createApplication;',
    '',
    'function createApplication() {',
    '  var app = {};',
    `  app.name = ${o.name ?? "'app'"};`,
    '  return app;',
    '}',
    '',
    'function json(body) {',
    '  return JSON.stringify(body);',
    '}',
    'exports.json = json;',
    ...(o.mount ? ['', 'function mount(app, where) {', '  app.mounted = where;', '  return app;', '}', 'exports.mount = mount;'] : []),
    '',
  ].join('\n');

const RESPONSE = (text = '  return String(text);'): string =>
  [
    "var express = require('./express');",
    '',
    'function sendJson(res, body) {',
    '  res.end(express.json(body));',
    '}',
    '',
    'function sendText(res, text) {',
    text,
    '}',
    '',
    'module.exports = { sendJson: sendJson, sendText: sendText };',
    '',
  ].join('\n');

async function checkpoint(r: TestRepo, id: string): Promise<void> {
  const run = await runAction('checkpoint', { workspace: r.dir, inputs: { 'session-id': id } });
  expect(run.exitCode).toBe(0);
}

const rollback = (r: TestRepo, inputs: Record<string, string>) =>
  runAction('rollback', { workspace: r.dir, inputs: { token: '', ...inputs }, env: { GITHUB_API_URL: loopback.server.url, ROLLBACK_GATE_CHECK_TIMEOUT_SECONDS: '20' } });

interface Report {
  commits: string[];
  cascade: Array<{ commit: string; reason: string }>;
  independent: Array<{ commit: string; reason: string }>;
}

describe('rollback bundle: the cascade is what depends on the culprit', () => {
  it('a culprit in a hub file with two dependents and a decoy: reverts exactly the culprit and the two dependents, as plain git revert does', async () => {
    const r = createRepo({
      initial: {
        'package.json': PACKAGE(),
        'lib/express.js': HUB(),
        'lib/response.js': RESPONSE(),
        'test/app.test.js': "var express = require('../lib/express');\nif (express().name !== 'app') throw new Error('name');\n",
      },
    });
    repos.push(r);
    await checkpoint(r, 'hub');
    const notes = (i: number): string => r.commit(`docs: note ${i}`, { [`docs/n${i}.md`]: `${i}\n` });
    notes(0);
    notes(1);
    // The culprit: a bug on the app's name, a new helper, and the package description.
    const culprit = r.commit('feat: mount helper', { 'lib/express.js': HUB({ name: "'app' + BUG", mount: true }), 'package.json': PACKAGE({ description: 'a small app with mounts' }) });
    notes(3);
    // Dependent 1: the same line.
    const sameLine = r.commit('feat: name from the environment', { 'lib/express.js': HUB({ name: "process.env.APP_NAME || 'app' + BUG", mount: true }) });
    notes(5);
    // Dependent 2: another file, using the function the culprit added.
    const byName = r.commit('feat: mount the api', { 'lib/api.js': "var express = require('./express');\nmodule.exports = function setup(app) {\n  return express.mount(app, '/api');\n};\n" });
    notes(7);
    // The decoy: an unrelated function of an importer, and package.json in another hunk.
    const decoy = r.commit('fix: trim text responses', { 'lib/response.js': RESPONSE('  return String(text).trim();'), 'package.json': PACKAGE({ description: 'a small app with mounts', private: 'false' }) });
    notes(9);
    const tip = r.head();
    r.git(['push', '--quiet', 'origin', 'main']);

    const run = await rollback(r, { target: 'hub', strategy: 'bisect', 'bisect-command': '! grep -q BUG lib/express.js', direct: 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.culprit).toBe(culprit);
    const rep = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')) as Report;
    expect(rep.cascade.map((c) => c.commit)).toEqual([sameLine, byName]);
    expect(rep.commits).toEqual([byName, sameLine, culprit]);
    expect(rep.cascade[0]!.reason).toMatch(/^changes lib\/express\.js at line 7, over the culprit's change/);
    expect(rep.cascade[1]!.reason).toContain('uses mount in lib/api.js, which the culprit added or changed in lib/express.js');
    const kept = rep.independent.find((c) => c.commit === decoy);
    expect(kept?.reason).toMatch(/^changes package\.json at line 6, away from the culprit's change at line 3.*shares the file only/);
    expect(rep.independent.map((c) => c.commit)).toHaveLength(5);
    expect(JSON.parse(run.outputs.commits!)).toEqual([byName, sameLine, culprit]);

    // The decoy survives; the oracle is plain git revert of the same commits on the same tip.
    expect(git(r.remote, ['show', 'refs/heads/main:lib/response.js'])).toContain('String(text).trim()');
    r.git(['checkout', '--quiet', '-B', 'oracle', tip]);
    r.git(['revert', '--no-edit', byName, sameLine, culprit]);
    expect(git(r.remote, ['rev-parse', 'refs/heads/main^{tree}'])).toBe(r.git(['rev-parse', 'HEAD^{tree}']));
  });

  it('a test of the culprit\'s file edited later is a dependent; an importer edited without the culprit\'s names is not', async () => {
    const r = createRepo({
      initial: {
        'lib/express.js': HUB(),
        'lib/response.js': RESPONSE(),
        'test/app.test.js': "var express = require('../lib/express');\nif (express().name !== 'app') throw new Error('name');\n",
      },
    });
    repos.push(r);
    await checkpoint(r, 'tests');
    const culprit = r.commit('feat: rename the app', { 'lib/express.js': HUB({ name: "'renamed' /* BUG */" }) });
    const testEdit = r.commit('test: follow the rename', { 'test/app.test.js': "var express = require('../lib/express');\nif (express().name !== 'renamed') throw new Error('name');\n" });
    const importer = r.commit('fix: text responses', { 'lib/response.js': RESPONSE('  return String(text || \'\');') });
    r.git(['push', '--quiet', 'origin', 'main']);
    const run = await rollback(r, { target: 'tests', strategy: 'bisect', 'bisect-command': '! grep -q BUG lib/express.js', direct: 'true' });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.culprit).toBe(culprit);
    const rep = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')) as Report;
    expect(rep.cascade).toEqual([{ commit: testEdit, reason: expect.stringContaining("changes test/app.test.js, a test that imports lib/express.js") }]);
    expect(rep.independent).toEqual([{ commit: importer, reason: expect.stringMatching(/^changes lib\/response\.js, which imports the culprit's change through lib\/express\.js → lib\/response\.js \(→: imported by\), but uses no name it added or changed/) }]);
    expect(rep.commits).toEqual([testEdit, culprit]);
    expect(git(r.remote, ['show', 'refs/heads/main:lib/response.js'])).toContain("String(text || '')");
  });
});
