#!/usr/bin/env node
/** The `rollback-gate` executable: wires the process to main() and does nothing else. */
import { main } from './main.js';

const cleanups = new Set<() => void>();
let interrupted = false;

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) process.exit(130); // a second Ctrl-C: leave at once
  interrupted = true;
  process.stderr.write(`\nrollback-gate: ${signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`}; cleaning up…\n`);
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`rollback-gate: cleanup failed: ${(error as Error).message}\n`);
    }
  }
  process.stderr.write('rollback-gate: nothing left behind.\n');
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  stdinIsTty: process.stdin.isTTY === true,
  columns: process.stdout.columns,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  onInterrupt: (cleanup) => {
    cleanups.add(cleanup);
    return () => cleanups.delete(cleanup);
  },
});
process.exitCode = code;
