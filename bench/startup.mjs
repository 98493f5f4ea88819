// Cold start of each bundle under Node 24 next to `node -e 0`; target: the action adds at most 100 ms (median).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE24, ROOT, fmt, report, run, tempDir, timeMs } from './lib.mjs';

export default function startupBench() {
  const files = tempDir();
  const output = join(files, 'out');
  writeFileSync(output, '');
  const baseline = timeMs(() => run(NODE24, ['-e', '0']), { runs: 21 });
  const rows = [[`node -e 0 (Node ${run(NODE24, ['--version']).stdout.trim()})`, fmt(baseline)]];
  for (const name of readdirSync(join(ROOT, 'dist'))) {
    const bundle = join(ROOT, 'dist', name, 'index.js');
    if (!existsSync(bundle)) continue;
    // The bundle as the runner starts it, with an input that makes it stop at its first check (no git work).
    const ms = timeMs(
      () =>
        run(NODE24, [bundle], {
          cwd: files,
          allowFail: true,
          env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, GITHUB_WORKSPACE: '/nonexistent', 'INPUT_SESSION-ID': '$bad id' },
        }),
      { runs: 21 },
    );
    rows.push([`dist/${name}/index.js load + first check`, `${fmt(ms)}  (adds ${fmt(ms - baseline)}; target <= 100 ms)`]);
  }
  report('Bundle cold start (median of 21)', rows);
}
