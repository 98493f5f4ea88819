/**
 * The example workflows `init` writes are the project's own examples/workflows/*.yml (validated by
 * actionlint and replayed in the tests). The build copies them next to the bundle
 * (dist/cli/templates/workflows); from a source checkout they are read where they live.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKFLOW_NAMES = ['rollback-gate.yml', 'rollback.yml', 'drill.yml', 'squash-session.yml'] as const;

function templateDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [[here, 'templates', 'workflows'], [here, '..', '..', '..', '..', 'examples', 'workflows']].map((parts) => join(...parts));
  const found = candidates.find((dir) => existsSync(join(dir, WORKFLOW_NAMES[0])));
  if (!found) throw new Error(`the workflow templates are missing (looked in ${candidates.join(', ')}); the package is incomplete`);
  return found;
}

/** name -> text of each example workflow. */
export function workflowTemplates(): Map<string, string> {
  const dir = templateDirectory();
  const available = new Set(readdirSync(dir));
  return new Map(WORKFLOW_NAMES.filter((name) => available.has(name)).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}
