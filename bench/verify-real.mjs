// verify-rollback's exact-revert shortcut on real histories: every verdict computed twice, with the
// shortcut on and off (ROLLBACK_GATE_EXACT_REVERTS=0), must be the same (outputs, the sealed plan's
// units, steps and trees, the summary but its last line). Drill verdicts through the CLI
// (`dist/cli/index.js drill --json`), pr verdicts through the verify-rollback bundle as the runner
// starts it. Not part of `npm run bench` (it needs real repositories and takes minutes):
//
//   node bench/verify-real.mjs [--window N] [--tips K] [--spacing S] [REPO ...]
//
// REPO: a git repository (a clone is made under a temporary folder and left untouched otherwise);
// by default the mirrors the session's fetch tool left under /work/.mirror (express, changesets,
// trpc), skipped when absent. For each repository, K tips S first-parent commits apart from the
// newest; at each tip T: a drill of the last N first-parent commits, and pr verdicts of the change
// that T's next 1 and 5 first-parent commits make, landed on T (squash, and the 5 also as rebase).
// Exit 1 when a verdict differs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, NODE24, ROOT, actionStep, fmt, git, report, tempDir } from './lib.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  argv.splice(at, 2);
  return value;
};
const WINDOW = option('--window', 60);
const TIPS = option('--tips', 2);
const SPACING = option('--spacing', 150);
const MIRRORS = ['expressjs+express', 'changesets+changesets', 'trpc+trpc'].map((name) => `/work/.mirror/${name}/repo`);
const sources = argv.length > 0 ? argv : MIRRORS.filter((dir) => existsSync(dir));
if (sources.length === 0) {
  console.log('verify-real: no repository given and no mirror under /work/.mirror: nothing to compare.');
  process.exit(0);
}

const CLI = join(ROOT, 'dist', 'cli', 'index.js');
const work = tempDir('rg-verify-real-');
const config = join(work, 'rollback-gate.yml');
writeFileSync(config, `verify:\n  window: { commits: ${WINDOW}, days: 36500 }\n`);

/**
 * What a run says once the shortcut's own bookkeeping (its counts) is taken out, and what the
 * clock decides: the plan's creation time and seal, and the units' ages (the two runs of a
 * comparison may straddle the moment a unit turns a day older).
 */
const IGNORED = new Set(['simulation', 'createdAt', 'seal', 'plan-path', 'age-days']);
function withoutCounts(value) {
  return JSON.stringify(value, (key, v) => {
    if (IGNORED.has(key)) return undefined;
    if (key === 'units' && typeof v === 'string') return JSON.stringify(JSON.parse(v).map(({ 'age-days': _age, ...unit }) => unit)); // an action output
    return v;
  });
}

/** The simulation counts a run logged (`N merges simulated: M with …` or `N simulated merges with …`). */
function countsOf(text) {
  const both = /(\d[\d,]*) merges? simulated: (none|\d[\d,]*) with [^,]+, (\d[\d,]*) reverts? computed exactly/.exec(text);
  if (both) return { merges: both[2] === 'none' ? 0 : Number(both[2].replace(/,/g, '')), exact: Number(both[3].replace(/,/g, '')) };
  const merged = /(\d[\d,]*) simulated merges? with /.exec(text);
  return merged ? { merges: Number(merged[1].replace(/,/g, '')), exact: 0 } : undefined;
}

function timed(fn) {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function drill(dir, tip, exact) {
  const env = { ...process.env, ...GIT_ENV, NO_COLOR: '1' };
  if (exact) delete env.ROLLBACK_GATE_EXACT_REVERTS;
  else env.ROLLBACK_GATE_EXACT_REVERTS = '0';
  const { value: result, ms } = timed(() => spawnSync(NODE24, [CLI, 'drill', '--base', tip, '--config', config, '--json'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 30 }));
  if (result.status !== 0 && result.status !== 1) throw new Error(`drill on ${tip} failed (exit ${result.status}): ${result.stderr}${result.stdout}`);
  const doc = JSON.parse(result.stdout);
  const plan = JSON.parse(readFileSync(doc['plan-path'], 'utf8'));
  return { ms, said: withoutCounts({ doc, plan }), counts: { merges: doc.simulation.merges, exact: doc.simulation['exact-reverts'] }, units: doc.units.length, doc };
}

function pr(dir, base, head, method, exact) {
  const payload = { number: 1, pull_request: { number: 1, labels: [], base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'feature' } } };
  const step = actionStep('verify-rollback', {
    workspace: dir,
    event: { name: 'pull_request', payload },
    inputs: { config, mode: 'pr', 'merge-method': method },
    env: exact ? {} : { ROLLBACK_GATE_EXACT_REVERTS: '0' },
  });
  const { value: result, ms } = timed(() => step.run({ allowFail: true }));
  if (!result.outputs.units) throw new Error(`pr verdict ${base.slice(0, 12)}..${head.slice(0, 12)} (${method}) failed: ${result.stderr}${result.stdout}`);
  const plan = JSON.parse(readFileSync(result.outputs['plan-path'], 'utf8'));
  // The summary but its counts (the last line) and the plan's seal (it covers the plan's creation time).
  const summary = result.summary
    .replace(/^<sub>.*<\/sub>$/m, '')
    .replace(/seal `sha256:[0-9a-f]+`/g, 'seal')
    .replace(/ \| (?:\d+ d|today) \| /g, ' | (age) | ');
  const outputs = { ...result.outputs };
  delete outputs['plan-path'];
  return { ms, said: withoutCounts({ outputs, plan, summary }), counts: countsOf(result.stdout), units: JSON.parse(result.outputs.units).length, exitCode: result.exitCode };
}

const rows = [];
let differ = 0;
const totals = { verdicts: 0, units: 0, on: 0, off: 0, merges: 0, exact: 0, offMerges: 0 };
for (const source of sources) {
  const name = source.replace(/\/repo$/, '').split(/[\\/]/).pop().replace(/^.*\+/, '');
  const dir = join(work, name);
  git(work, ['clone', '--quiet', '--no-checkout', source, dir]);
  const firstParent = git(dir, ['rev-list', '--first-parent', 'HEAD']).split('\n');
  git(dir, ['cat-file', '--batch-all-objects', '--batch-check']); // every object read once: a warm page cache for both
  for (let t = 0; t < TIPS; t++) {
    const at = 5 + t * SPACING; // 5 newer commits kept for the pr verdicts' changes
    if (at + WINDOW >= firstParent.length) break;
    const tip = firstParent[at];
    const cases = [
      { kind: 'drill', run: (exact) => drill(dir, tip, exact) },
      { kind: 'pr +1 squash', run: (exact) => pr(dir, tip, firstParent[at - 1], 'squash', exact) },
      { kind: 'pr +5 squash', run: (exact) => pr(dir, tip, firstParent[at - 5], 'squash', exact) },
      { kind: 'pr +5 rebase', run: (exact) => pr(dir, tip, firstParent[at - 5], 'rebase', exact) },
    ];
    for (const [index, { kind, run }] of cases.entries()) {
      // Alternately on first and off first: a first run may pay for a cold page cache.
      const [on, off] = index % 2 === 0 ? [run(true), run(false)] : [run(false), run(true)].reverse();
      const same = on.said === off.said;
      const balanced = on.counts && off.counts && off.counts.exact === 0 && on.counts.merges + on.counts.exact === off.counts.merges;
      if (!same) {
        differ++;
        const file = join(work, `differ-${name}-${tip.slice(0, 12)}-${kind.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, JSON.stringify({ on: JSON.parse(on.said), off: JSON.parse(off.said) }, null, 2));
        console.log(`DIFFERENT: ${name} ${kind} at ${tip.slice(0, 12)}: see ${file}`);
      }
      totals.verdicts++;
      totals.units += on.units;
      totals.on += on.ms;
      totals.off += off.ms;
      totals.merges += on.counts?.merges ?? 0;
      totals.exact += on.counts?.exact ?? 0;
      totals.offMerges += off.counts?.merges ?? 0;
      rows.push([
        `${name} ${tip.slice(0, 12)} ${kind} (${on.units} units)`,
        `${same ? 'same' : 'DIFFERENT'}; on ${fmt(on.ms)} (${on.counts?.merges ?? '?'} merges + ${on.counts?.exact ?? '?'} exact), off ${fmt(off.ms)} (${off.counts?.merges ?? '?'} merges)${balanced ? '' : '; counts do not add up'}`,
      ]);
      process.stdout.write('.');
    }
  }
}
console.log();
rows.push([
  `all: ${totals.verdicts} verdicts, ${totals.units} units`,
  `${differ === 0 ? 'all the same' : `${differ} DIFFERENT`}; on ${fmt(totals.on)}, off ${fmt(totals.off)} (${(totals.on / totals.off).toFixed(2)}x); merges ${totals.merges} + ${totals.exact} exact vs ${totals.offMerges}`,
]);
report(`verify-rollback, exact reverts on and off, real histories (window ${WINDOW}, ${git(work, ['--version'])})`, rows);
if (differ === 0) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work} (the differences)`);
process.exit(differ === 0 ? 0 : 1);
