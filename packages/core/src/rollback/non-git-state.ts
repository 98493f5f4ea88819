/**
 * What git cannot restore, in the rollback plan and report: paths the config marks irreversible
 * (migrations, data, external state) that the reverted commits touch, and the checkpoint's non-git
 * artifacts (models, prompts, data, flags) whose digest is not the checkpoint's any more. Each comes
 * with what to do; apply refuses while an irreversible path lacks its label.
 */
import { UserError } from '../base/errors.js';
import { plural } from '../output/markdown.js';

export interface IrreversibleEntry {
  path: string;
  reason: string;
  requireLabel: string;
  /** What to do besides the revert. */
  todo?: string;
}

export interface ArtifactEntry {
  name: string;
  path: string;
  sha256: string;
  current: string | null;
  todo?: string;
}

export function irreversibleTodo(path: string, reason: string, requireLabel: string): string {
  return `${reason}: the revert restores ${path}, not what it did (data, schema, external state). Undo that by hand (e.g. run its down-migration or restore the data), then grant the label ${requireLabel}.`;
}

export function artifactTodo(name: string, path: string, sha256: string, current: string | null, tag: string | null = null): string {
  const whose = tag ? `the checkpoint ${tag}'s` : "the checkpoint's";
  return current === null
    ? `${path} is gone: restore ${name} from where it is kept, with sha256 ${sha256} (${whose}); git does not track it.`
    : `${path} has sha256 ${current}, not ${whose} ${sha256}: redeploy or restore that version of ${name}; git does not track it.`;
}

/** Throws unless every irreversible path's label is granted, naming exactly what to add. */
export function irreversibleGate(entries: readonly IrreversibleEntry[], granted: ReadonlySet<string>, pullRequest: number | null): void {
  const missing = entries.filter((e) => !granted.has(e.requireLabel));
  if (missing.length === 0) return;
  const labels = [...new Set(missing.map((e) => e.requireLabel))];
  const where = missing.slice(0, 10).map((e) => `${e.path} (${e.reason}; label ${e.requireLabel})`).join(', ');
  throw new UserError(
    `the rollback reverts ${plural(missing.length, 'irreversible path')} without their label: ${where}${missing.length > 10 ? `, and ${missing.length - 10} more` : ''}. git restores the files, not what they did. Nothing was pushed.`,
    `Undo their effect by hand first (the report lists what to do for each), then add ${labels.map((l) => `\`${l}\``).join(' and ')} to the input \`labels\` (\`labels: ${labels.join(',')}\`)${pullRequest ? ` or as a label on pull request #${pullRequest}` : ''}, and run again.`,
  );
}
