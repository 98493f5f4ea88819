/**
 * Records every Markdown body the tests produce (job summaries from the bundles, comment, pull
 * request and issue bodies sent to the loopback API) when ROLLBACK_GATE_MARKDOWN_DIR is set: one
 * file each, named after the action or the API call, for looking at them (and for screenshots).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';

let counter = 0;

export function recordMarkdown(kind: string, name: string, body: string): void {
  const dir = process.env.ROLLBACK_GATE_MARKDOWN_DIR;
  if (!dir || body.trim() === '') return;
  mkdirSync(dir, { recursive: true });
  const test = (expect.getState().currentTestName ?? 'outside-a-test').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80);
  counter++;
  writeFileSync(join(dir, `${process.pid}-${String(counter).padStart(3, '0')}-${kind}-${name}-${test}.md`), body);
}
