import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { sha256Hex } from '../seal/canonical-json.js';
import type { Clock, Logger } from '../base/env.js';
import { UserError } from '../base/errors.js';
import { assertNotOption, validateSessionId, type Git } from '../git/git.js';
import { CHECKPOINT_TAG_PREFIX } from '../git/protocol.js';
import { pushAtomic } from '../git/push.js';
import { seal, verifySealed } from '../seal/seal.js';
import { ensureHistory } from '../git/shallow.js';
import { plural } from '../output/markdown.js';

export const CHECKPOINT_SCHEMA = 'rollback-gate/checkpoint@1';

export interface ArtifactEntry {
  name: string;
  path: string;
  sha256: string;
  bytes: number;
}

export interface CheckpointManifest {
  schema: typeof CHECKPOINT_SCHEMA;
  id: string;
  tag: string;
  repository: string | null;
  commit: string;
  tree: string;
  branch: string | null;
  actor: string | null;
  runUrl: string | null;
  createdAt: string;
  artifacts: ArtifactEntry[];
  seal: string;
}

export interface CheckpointDeps {
  git: Git;
  log: Logger;
  clock: Clock;
}

export interface CheckpointRequest {
  sessionId: string;
  /** A user-supplied revision; when empty the merge-base of `pullBase`/`pullHead`, else HEAD. */
  ref?: string;
  pullBase?: string;
  pullHead?: string;
  /** `name=path` lines: non-git state hashed into the manifest. */
  artifacts?: string;
  push: boolean;
  remote?: string;
  prefix?: string;
  repository?: string;
  branch?: string;
  actor?: string;
  runUrl?: string;
  /** Where relative artifact paths are resolved (the workspace). */
  workspace: string;
  /** Where the manifest file is written (RUNNER_TEMP). */
  manifestDir: string;
}

export interface CheckpointResult {
  tag: string;
  sha: string;
  tree: string;
  manifest: CheckpointManifest;
  manifestPath: string;
  /** sha256 of the manifest file's bytes, `sha256:<hex>`. */
  digest: string;
  created: boolean;
  pushed: boolean;
}

/** Parses `name=path` lines (blank lines and `#` comments skipped). */
export function parseArtifactList(text: string): Array<{ name: string; path: string }> {
  const entries: Array<{ name: string; path: string }> = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    const path = eq > 0 ? line.slice(eq + 1).trim() : '';
    if (!name || !path) {
      throw new UserError(
        `input \`artifacts\` line ${index + 1} is ${JSON.stringify(raw)}; expected \`name=path\`.`,
        'Give one artifact per line, for example `model=weights/model.bin`.',
      );
    }
    if (seen.has(name)) throw new UserError(`input \`artifacts\` names "${name}" twice.`);
    seen.add(name);
    entries.push({ name, path });
  });
  return entries;
}

function hashArtifacts(list: Array<{ name: string; path: string }>, workspace: string): ArtifactEntry[] {
  return list.map(({ name, path }) => {
    const full = isAbsolute(path) ? path : resolve(workspace, path);
    let data: Buffer;
    try {
      if (!statSync(full).isFile()) throw new Error('not a regular file');
      data = readFileSync(full);
    } catch (error) {
      throw new UserError(
        `artifact "${name}" at ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
        'Check the path; relative paths are taken from the workspace, and the file must exist before this step.',
      );
    }
    const shown = isAbsolute(path) ? path : relative(workspace, full).split('\\').join('/');
    return { name, path: shown, sha256: sha256Hex(data), bytes: data.length };
  });
}

/** The tag message: a one-line title, a blank line, the manifest as pretty JSON. */
export function checkpointTagMessage(manifest: CheckpointManifest): string {
  return `checkpoint ${manifest.id} at ${manifest.commit.slice(0, 12)}\n\n${JSON.stringify(manifest, null, 2)}\n`;
}

/** Reads and verifies the manifest held by an annotated checkpoint tag. */
export async function readCheckpointManifest(git: Git, tag: string): Promise<CheckpointManifest> {
  const type = await git.test(['cat-file', '-t', `refs/tags/${tag}`]);
  if (type.exitCode !== 0 || type.stdout.trim() !== 'tag') {
    throw new UserError(
      `refs/tags/${tag} exists but is not an annotated rollback-gate checkpoint tag.`,
      'Remove or rename that tag, or choose another session id.',
    );
  }
  const object = await git.text(['cat-file', 'tag', `refs/tags/${tag}`]);
  const message = object.slice(object.indexOf('\n\n') + 2);
  const start = message.indexOf('\n{');
  const end = message.lastIndexOf('\n}');
  if (start < 0 || end < start) {
    throw new UserError(`refs/tags/${tag} holds no checkpoint manifest.`, 'Remove or rename that tag, or choose another session id.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.slice(start + 1, end + 2));
  } catch (error) {
    throw new UserError(`the manifest in refs/tags/${tag} is not valid JSON: ${(error as Error).message}`);
  }
  const manifest = verifySealed(parsed, CHECKPOINT_SCHEMA, `the manifest in refs/tags/${tag}`) as unknown as CheckpointManifest;
  const target = await git.text(['rev-parse', '--verify', `refs/tags/${tag}^{commit}`]);
  if (manifest.commit !== target) {
    throw new UserError(`refs/tags/${tag} points at ${target}, but its manifest says ${manifest.commit}.`);
  }
  return manifest;
}

/**
 * A checkpoint as found: ours (sealed manifest, re-checked) or hand-made (a lightweight tag, or an
 * annotated tag without our manifest), which is *unsealed*: used as given, with no seal to re-check.
 */
export interface CheckpointRef {
  /** The tag name, without `refs/tags/`. */
  tag: string;
  commit: string;
  tree: string;
  sealed: boolean;
  /** Our manifest, when the tag holds one (its seal verified). */
  manifest: CheckpointManifest | null;
}

/**
 * Reads the checkpoint tag `tag`. A tag holding our manifest must verify (seal, and the commit it
 * names); a tag without one (lightweight, or annotated by hand) is an unsealed checkpoint.
 */
export async function readCheckpoint(git: Git, tag: string): Promise<CheckpointRef> {
  const ref = `refs/tags/${tag}`;
  const type = await git.test(['cat-file', '-t', ref]);
  if (type.exitCode !== 0) throw new UserError(`there is no tag ${tag}.`);
  const commit = await git.text(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '');
  if (!commit) throw new UserError(`the tag ${tag} does not point at a commit, so it is no checkpoint.`, 'Remove or rename that tag.');
  const tree = await git.treeOf(commit);
  if (type.stdout.trim() === 'tag') {
    const object = await git.text(['cat-file', 'tag', ref]);
    const message = object.slice(object.indexOf('\n\n') + 2);
    if (message.includes('{') && message.includes('rollback-gate/checkpoint')) {
      const manifest = await readCheckpointManifest(git, tag);
      return { tag, commit, tree, sealed: true, manifest };
    }
  }
  return { tag, commit, tree, sealed: false, manifest: null };
}

/**
 * Finds the checkpoint of session (or tag) `name`: `<prefix><name>`, then `<prefix>before-session-<name>`
 * (the playbook's hand-made tags), then `<name>` itself when it is a tag under the prefix; tags missing
 * here are fetched from `remote`. Undefined when none exists.
 */
export async function findCheckpoint(git: Git, name: string, options: { prefix: string; remote?: string }): Promise<(CheckpointRef & { sessionId: string }) | undefined> {
  const { prefix } = options;
  const id = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(id) || id.includes('..')) return undefined;
  const candidates = name.startsWith(prefix) ? [name] : [`${prefix}${id}`, `${prefix}before-session-${id}`];
  for (const tag of candidates) {
    const ref = `refs/tags/${tag}`;
    if (!(await git.refExists(ref)) && options.remote) {
      await git.test(['fetch', '--no-tags', '--quiet', '--end-of-options', options.remote, `+${ref}:${ref}`]);
    }
    if (await git.refExists(ref)) {
      return { ...(await readCheckpoint(git, tag)), sessionId: id.replace(/^before-session-/, '') };
    }
  }
  return undefined;
}

/** How summaries name a checkpoint: `checkpoint/s1 (sealed)` or `checkpoint/s1 (unsealed: a hand-made tag, no seal to re-check)`. */
export function describeCheckpoint(checkpoint: Pick<CheckpointRef, 'tag' | 'sealed'>): string {
  return `${checkpoint.tag} (${checkpoint.sealed ? 'sealed' : 'unsealed: a hand-made tag, no seal to re-check'})`;
}

async function resolveCheckpointCommit(git: Git, request: CheckpointRequest, log: Logger): Promise<string> {
  if (await git.isEmptyRepository()) {
    throw new UserError('the repository has no commits yet; there is no known-good state to checkpoint.', 'Make a first commit, then run again.');
  }
  const ref = request.ref?.trim();
  if (ref) {
    assertNotOption(ref, 'ref');
    return git.requireCommit(ref, 'input `ref`');
  }
  const { pullBase, pullHead } = request;
  if (pullBase && pullHead) {
    const remote = request.remote ?? 'origin';
    await ensureHistory(git, {
      remote,
      refspecs: [pullBase, pullHead],
      what: `the merge-base of the pull request's base ${pullBase.slice(0, 12)} and head ${pullHead.slice(0, 12)}`,
      log,
      reachable: async () =>
        (await git.objectExists(pullBase)) &&
        (await git.objectExists(pullHead)) &&
        (await git.test(['merge-base', pullBase, pullHead])).exitCode === 0,
    });
    return git.text(['merge-base', pullBase, pullHead]);
  }
  return git.requireCommit('HEAD', 'HEAD');
}

/**
 * Creates (or finds) the checkpoint tag `<prefix><id>` at the known-good commit. A checkpoint never
 * moves: an existing tag at another commit is an error naming that commit.
 */
export async function createCheckpoint(deps: CheckpointDeps, request: CheckpointRequest): Promise<CheckpointResult> {
  const { git, log, clock } = deps;
  const prefix = request.prefix ?? CHECKPOINT_TAG_PREFIX;
  const remote = request.remote ?? 'origin';
  const id = await validateSessionId(git, request.sessionId, prefix);
  const tag = `${prefix}${id}`;
  const tagRef = `refs/tags/${tag}`;
  const artifacts = hashArtifacts(parseArtifactList(request.artifacts ?? ''), request.workspace);
  const commit = await resolveCheckpointCommit(git, request, log);
  const tree = await git.treeOf(commit);
  const message = await git.text(['log', '-1', '--format=%B', '--end-of-options', commit]);
  log.info(`known-good commit ${commit}:\n${message}`);

  const hasRemote = request.push && (await git.hasRemote(remote));
  if (request.push && !hasRemote) {
    throw new UserError(`there is no remote named "${remote}" to push the checkpoint to.`, 'Set `push: false` to keep the tag local, or add the remote.');
  }
  const remoteSha = hasRemote ? await git.remoteRef(remote, tagRef) : undefined;
  let localExists = await git.refExists(tagRef);
  if (remoteSha && !localExists) {
    await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+${tagRef}:${tagRef}`]);
    localExists = true;
  }

  let manifest: CheckpointManifest;
  let created = false;
  if (localExists) {
    const existingCommit = await git.text(['rev-parse', '--verify', `${tagRef}^{commit}`]);
    if (existingCommit !== commit) {
      throw new UserError(
        `checkpoint ${tag} already exists at ${existingCommit}, not at ${commit}; a checkpoint never moves.`,
        `Use a new session id for a new checkpoint, or restore this one with \`git switch --create restore/${id} ${tag}\`.`,
      );
    }
    if (remoteSha) {
      const localTagObject = await git.text(['rev-parse', '--verify', tagRef]);
      if (localTagObject !== remoteSha) {
        throw new UserError(`the local tag ${tag} differs from the remote's (${remoteSha}); refusing to guess which is right.`, `Delete the local tag (\`git tag -d ${tag}\`) and run again.`);
      }
    }
    manifest = await readCheckpointManifest(git, tag);
    log.info(`checkpoint ${tag} already exists at ${commit}; nothing to create.`);
  } else {
    manifest = seal({
      schema: CHECKPOINT_SCHEMA,
      id,
      tag,
      repository: request.repository ?? null,
      commit,
      tree,
      branch: request.branch ?? null,
      actor: request.actor ?? null,
      runUrl: request.runUrl ?? null,
      createdAt: clock().toISOString(),
      artifacts,
    }) as CheckpointManifest;
    await git.run(['tag', '--annotate', '--cleanup=verbatim', '--file=-', '--end-of-options', tag, commit], {
      input: checkpointTagMessage(manifest),
      env: await git.identityEnv(),
    });
    created = true;
    log.info(`created ${tag} at ${commit}`);
  }

  let pushed = false;
  if (request.push && !remoteSha) {
    const result = await pushAtomic(git, remote, [{ ref: tagRef, to: tagRef }]);
    if (!result.pushed) {
      if (created) await git.run(['tag', '--delete', '--end-of-options', tag]);
      const now = result.rejection.refs[0]?.actual;
      throw new UserError(
        `pushing ${tag} to ${remote} was rejected${now ? ` (the remote now has ${tag} at tag object ${now})` : ''}: ${result.rejection.output}`,
        now
          ? 'Another run created this checkpoint at the same time; run again to use it.'
          : 'Nothing was left behind: the local tag was removed. Grant `permissions: contents: write` and run again, or set `push: false`.',
      );
    }
    pushed = true;
  }

  mkdirSync(request.manifestDir, { recursive: true });
  const manifestPath = join(request.manifestDir, `checkpoint-${id.replace(/\//g, '_')}.json`);
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(manifestPath, manifestText);
  return { tag, sha: commit, tree, manifest, manifestPath, digest: `sha256:${sha256Hex(manifestText)}`, created, pushed };
}

export interface RetentionPolicy {
  prefix: string;
  keep: number;
  maxAgeDays: number;
}

export interface CheckpointTagInfo {
  tag: string;
  commit: string;
  createdAt: Date;
}

export interface PruneResult {
  deleted: CheckpointTagInfo[];
  kept: number;
  dryRun: boolean;
}

/** Lists checkpoint tags (after fetching the remote's), newest first. */
export async function listCheckpoints(git: Git, prefix: string, remote?: string): Promise<CheckpointTagInfo[]> {
  if (remote) {
    await git.run(['fetch', '--no-tags', '--quiet', '--end-of-options', remote, `+refs/tags/${prefix}*:refs/tags/${prefix}*`]);
  }
  const out = await git.run([
    'for-each-ref',
    '--sort=-creatordate',
    '--format=%(refname)%00%(creatordate:unix)%00%(*objectname)%00%(objectname)',
    `refs/tags/${prefix}`,
  ]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [ref = '', date = '0', peeled = '', object = ''] = line.split('\0');
      return { tag: ref.slice('refs/tags/'.length), commit: peeled || object, createdAt: new Date(Number(date) * 1000) };
    });
}

/**
 * Applies the retention policy: keeps the newest `keep` checkpoints and those younger than
 * `maxAgeDays`; the newest and the `protect`ed ones are always kept. Deletes remote and local tags.
 */
/** The `prune` choices: keep every checkpoint, delete the old ones, or only list them. */
export const PRUNE_MODES = ['false', 'true', 'dry-run'] as const;

export async function pruneCheckpoints(
  deps: CheckpointDeps,
  policy: RetentionPolicy,
  options: { remote?: string; push: boolean; dryRun: boolean; protect?: readonly string[] },
): Promise<PruneResult> {
  const { git, clock, log } = deps;
  const remote = options.push ? (options.remote ?? 'origin') : undefined;
  const tags = await listCheckpoints(git, policy.prefix, remote);
  const cutoff = clock().getTime() - policy.maxAgeDays * 86_400_000;
  const deleted = tags.filter(
    (info, index) =>
      index > 0 && !options.protect?.includes(info.tag) && (index >= policy.keep || info.createdAt.getTime() < cutoff),
  );
  if (deleted.length > 0 && !options.dryRun) {
    if (remote) {
      await git.run(['push', '--atomic', '--end-of-options', remote, ...deleted.map((d) => `:refs/tags/${d.tag}`)], {
        hint: 'Grant `permissions: contents: write` to delete checkpoint tags, or set `prune: dry-run` to only list them.',
      });
    }
    await git.run(['tag', '--delete', '--end-of-options', ...deleted.map((d) => d.tag)]);
    log.info(`pruned ${plural(deleted.length, 'checkpoint')}: ${deleted.map((d) => d.tag).join(', ')}`);
  }
  return { deleted, kept: tags.length - deleted.length, dryRun: options.dryRun };
}
