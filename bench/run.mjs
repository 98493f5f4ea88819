// `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same run.
import squashBench from './squash.mjs';
import startupBench from './startup.mjs';

const only = process.argv.slice(2);
const benches = { startup: startupBench, squash: squashBench };
for (const [name, bench] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  await bench();
}
