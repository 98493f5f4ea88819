// The notes of one release, taken from CHANGELOG.md (Keep a Changelog), for release.yml.
//
//   node scripts/release-notes.mjs <tag> [--changelog <file>]     e.g. v1.2.0
//
// Prints the body of the `## [1.2.0] - YYYY-MM-DD` section (without its heading, with the link
// definitions it uses) to stdout. Fails, saying what to do, when the tag is not vX.Y.Z[-pre], when
// the changelog has no such section, when it has two, when the section has no date or is empty.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class ReleaseNotesError extends Error {}

const TAG = /^v(?<version>(?<major>0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-(?<pre>[0-9A-Za-z.-]+))?)$/;
/** A release heading: `## [1.2.0] - 2026-12-01`, `## [Unreleased]`; the date may be missing (an error for releases). */
const HEADING = /^##\s+\[?(?<name>[^\]\s]+)\]?(?:\s+-\s+(?<date>\S+))?\s*$/;
const LINK_DEFINITION = /^\[(?<label>[^\]]+)\]:\s+\S+/;

/** `v1.2.0` -> `{ version: '1.2.0', major: 'v1', prerelease: false }`. */
export function parseTag(tag) {
  const match = TAG.exec(String(tag ?? '').trim());
  if (!match) throw new ReleaseNotesError(`"${tag}" is not a release tag: tag releases as vMAJOR.MINOR.PATCH (v1.2.0) or with a pre-release suffix (v1.2.0-rc.1).`);
  const { version, major, pre } = match.groups;
  return { version, major: `v${major}`, prerelease: pre !== undefined };
}

/** The body of `version`'s section of a Keep a Changelog text. */
export function releaseNotes(changelog, version) {
  const lines = changelog.replace(/\r\n?/g, '\n').split('\n');
  const definitions = new Map();
  for (const line of lines) {
    const def = LINK_DEFINITION.exec(line);
    if (def) definitions.set(def.groups.label.toLowerCase(), line.trim());
  }
  const sections = [];
  let inFence = false;
  lines.forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence || !line.startsWith('## ')) return;
    const heading = HEADING.exec(line);
    sections.push({ index, name: heading?.groups.name ?? line.slice(3).trim(), date: heading?.groups.date });
  });
  const found = sections.filter((s) => s.name === version);
  const fix = `Rename "## [Unreleased]" to "## [${version}] - ${new Date().toISOString().slice(0, 10)}" (and start a new empty Unreleased section) in the commit you tag, then tag it again.`;
  if (found.length === 0) {
    const known = sections.map((s) => s.name).join(', ') || 'none';
    throw new ReleaseNotesError(`CHANGELOG.md has no section "## [${version}]" (it has: ${known}). ${fix}`);
  }
  if (found.length > 1) {
    throw new ReleaseNotesError(`CHANGELOG.md has ${found.length} sections "## [${version}]" (lines ${found.map((s) => s.index + 1).join(', ')}): keep one.`);
  }
  const [section] = found;
  if (!section.date || !/^\d{4}-\d{2}-\d{2}$/.test(section.date)) {
    throw new ReleaseNotesError(`CHANGELOG.md line ${section.index + 1}: the section of ${version} needs its release date as "## [${version}] - YYYY-MM-DD".`);
  }
  const next = sections.find((s) => s.index > section.index);
  const body = lines
    .slice(section.index + 1, next ? next.index : lines.length)
    .filter((line) => !LINK_DEFINITION.test(line));
  const text = body.join('\n').trim();
  if (!/\S/.test(text.replace(/^#+\s.*$/gm, ''))) {
    throw new ReleaseNotesError(`CHANGELOG.md line ${section.index + 1}: the section of ${version} is empty: list what changed under ### Added, Changed, Fixed, ... before tagging.`);
  }
  const used = [...definitions.entries()].filter(([label]) => text.toLowerCase().includes(`[${label}]`)).map(([, def]) => def);
  return used.length > 0 ? `${text}\n\n${used.join('\n')}\n` : `${text}\n`;
}

function main(argv) {
  const args = [...argv];
  let changelogPath = 'CHANGELOG.md';
  const at = args.indexOf('--changelog');
  if (at >= 0) {
    changelogPath = args[at + 1];
    args.splice(at, 2);
  }
  if (args.length !== 1 || !changelogPath) {
    throw new ReleaseNotesError('usage: node scripts/release-notes.mjs <tag> [--changelog <file>]   (e.g. v1.2.0)');
  }
  const { version } = parseTag(args[0]);
  let changelog;
  try {
    changelog = readFileSync(changelogPath, 'utf8');
  } catch (error) {
    throw new ReleaseNotesError(`cannot read ${changelogPath}: ${error.message}. Run from the repository root or pass --changelog <file>.`);
  }
  process.stdout.write(releaseNotes(changelog, version));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ReleaseNotesError)) throw error;
    process.stderr.write(`release-notes: ${error.message}\n`);
    process.exit(1);
  }
}
