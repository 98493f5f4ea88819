// Keeps each action's reference (actions/<name>/README.md) true to its action.yml.
//
// The part between `<!-- action-docs:start -->` and `<!-- action-docs:end -->` (the description,
// the inputs with their defaults, the outputs) is generated from the action's metadata; the rest
// (permissions, the example) is written by hand. The gate's metadata is the root action.yml and
// its reference is actions/gate/README.md.
//
//   node scripts/action-docs.mjs           rewrite the generated part of every README
//   node scripts/action-docs.mjs --check   exit 1, naming each README that is out of date
//   --root <dir>                           work on another checkout (the tests use a copy)
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

export const START = '<!-- action-docs:start: generated from action.yml by `node scripts/action-docs.mjs`; edit action.yml, not this part -->';
export const END = '<!-- action-docs:end -->';

/** Every action: the folders of actions/ with an action.yml, and the gate (the root action.yml). */
export function actionNames(root) {
  const names = readdirSync(join(root, 'actions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'actions', d.name, 'action.yml')))
    .map((d) => d.name);
  return [...names, 'gate'].sort();
}

export const metadataPath = (root, name) => (name === 'gate' ? join(root, 'action.yml') : join(root, 'actions', name, 'action.yml'));
export const readmePath = (root, name) => join(root, 'actions', name, 'README.md');

/** A table cell: one line, `|` escaped. Descriptions are our own Markdown and are kept as written. */
const cell = (text) => String(text).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();

/** Inline code that survives backticks inside the value. */
function code(text) {
  const longest = Math.max(0, ...(String(text).match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^`|`$/.test(text) ? ' ' : '';
  return `${fence}${pad}${cell(text)}${pad}${fence}`;
}

function defaultCell(input) {
  if (input.required) return 'required';
  if (input.default === undefined || input.default === '') return '*(empty)*';
  return code(String(input.default));
}

/** The generated part of one action's README. */
export function renderGenerated(root, name) {
  const yml = load(readFileSync(metadataPath(root, name), 'utf8'));
  const uses = name === 'gate' ? 'rollback-gate/rollback-gate@v1' : `rollback-gate/rollback-gate/actions/${name}@v1`;
  const inputs = Object.entries(yml.inputs ?? {});
  const outputs = Object.entries(yml.outputs ?? {});
  const lines = [START, '', cell(yml.description), '', `\`uses: ${uses}\` (runs on \`${yml.runs?.using}\`)`, '', '## Inputs', ''];
  if (inputs.length === 0) lines.push('This action has no inputs.');
  else {
    lines.push('| input | default | description |', '| --- | --- | --- |');
    for (const [id, input] of inputs) lines.push(`| \`${id}\` | ${defaultCell(input)} | ${cell(input.description ?? '')} |`);
  }
  lines.push('', '## Outputs', '');
  if (outputs.length === 0) lines.push('This action has no outputs.');
  else {
    lines.push('| output | description |', '| --- | --- |');
    for (const [id, output] of outputs) lines.push(`| \`${id}\` | ${cell(output.description ?? '')} |`);
  }
  lines.push('', END);
  return lines.join('\n');
}

/** The README with its generated part replaced; throws when the markers are missing. */
export function updateReadme(root, name) {
  const file = readmePath(root, name);
  if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: write it with a "${START}" … "${END}" part.`);
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${relative(root, file)} has no generated part: add the lines "${START}" and "${END}".`);
  return { file, text, updated: `${text.slice(0, start)}${renderGenerated(root, name)}${text.slice(end + END.length)}` };
}

function main(argv) {
  const check = argv.includes('--check');
  const rootAt = argv.indexOf('--root');
  const root = rootAt >= 0 ? argv[rootAt + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
  const stale = [];
  for (const name of actionNames(root)) {
    const { file, text, updated } = updateReadme(root, name);
    if (updated === text) continue;
    if (check) stale.push(relative(root, file));
    else {
      writeFileSync(file, updated);
      console.log(`updated ${relative(root, file)}`);
    }
  }
  if (stale.length > 0) {
    console.error(`out of date with action.yml: ${stale.join(', ')}. Run \`node scripts/action-docs.mjs\` and commit the result.`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
