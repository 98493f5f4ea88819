// `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same run.
import bisectBench from './bisect.mjs';
import { printGraphReport, runGraphBenchmark } from './graph.mjs';
import rollbackBench from './rollback.mjs';
import revertAgentBench from './revert-agent.mjs';
import scopeBench from './scope.mjs';
import squashBench from './squash.mjs';
import startupBench from './startup.mjs';
import verifyBench from './verify.mjs';
import cliBench from './cli.mjs';
import prebuiltPlanBench from './prebuilt-plan.mjs';

const only = process.argv.slice(2);
const benches = { startup: startupBench, squash: squashBench, rollback: rollbackBench, 'revert-agent': revertAgentBench, verify: verifyBench, scope: scopeBench, cli: cliBench, bisect: bisectBench, 'prebuilt-plan': prebuiltPlanBench, graph: () => printGraphReport(runGraphBenchmark({ depcruise: process.env.DEPCRUISE_BIN })) };
for (const [name, bench] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  await bench();
}
