// Cold start of each bundle under Node 24 next to `node -e 0`; target: the action adds at most 100 ms (median).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NODE24, ROOT, actionStep, fmt, report, run, tempDir, timeMs } from './lib.mjs';

export default function startupBench() {
  const files = tempDir();
  const baseline = timeMs(() => run(NODE24, ['-e', '0']), { runs: 21 });
  const rows = [[`node -e 0 (Node ${run(NODE24, ['--version']).stdout.trim()})`, fmt(baseline)]];
  for (const name of readdirSync(join(ROOT, 'dist'))) {
    const bundle = join(ROOT, 'dist', name, 'index.js');
    if (!existsSync(bundle)) continue;
    // The bundle as the runner starts it, with an input that makes it stop at its first check (no git work).
    const step = actionStep(name, { workspace: '/nonexistent', cwd: files, inputs: { 'session-id': '$bad id' } });
    const ms = timeMs(() => step.run({ allowFail: true }), { runs: 21 });
    rows.push([`dist/${name}/index.js load + first check`, `${fmt(ms)}  (adds ${fmt(ms - baseline)}; target <= 100 ms)`]);
  }
  report('Bundle cold start (median of 21)', rows);
}
