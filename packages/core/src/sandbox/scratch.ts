/**
 * A scratch object store: every object a simulation makes (commits, merged trees and blobs) is
 * written here, never into the user's repository. Git reads the repository's own objects through
 * `info/alternates`, and the whole directory is deleted when the run ends.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Git, GitResult, GitRunOptions, ObjectFormat } from '../git/git.js';

/** Synthetic commits carry a fixed identity and date, so the same inputs make the same objects. */
const IDENTITY = 'rollback-gate <rollback-gate@localhost> 0 +0000';

export class ScratchStore {
  private constructor(
    readonly git: Git,
    /** The per-run temporary directory; removed by `dispose`. */
    readonly dir: string,
    /** The scratch object directory (GIT_OBJECT_DIRECTORY for simulations). */
    readonly objects: string,
    /** The repository's own object directory (absolute). */
    readonly repositoryObjects: string,
    readonly format: ObjectFormat,
  ) {}

  /** Creates the store under `tempRoot`; the repository is only read. */
  static async create(git: Git, tempRoot: string): Promise<ScratchStore> {
    const objectsPath = await git.text(['rev-parse', '--git-path', 'objects']);
    const repositoryObjects = isAbsolute(objectsPath) ? objectsPath : resolve(git.cwd, objectsPath);
    const formatText = (await git.test(['rev-parse', '--show-object-format'])).stdout.trim();
    const format: ObjectFormat = formatText === 'sha256' ? 'sha256' : 'sha1';
    mkdirSync(tempRoot, { recursive: true });
    const dir = mkdtempSync(join(tempRoot, 'verify-'));
    const objects = join(dir, 'objects');
    mkdirSync(join(objects, 'info'), { recursive: true });
    writeFileSync(join(objects, 'info', 'alternates'), `${repositoryObjects}\n`);
    return new ScratchStore(git, dir, objects, repositoryObjects, format);
  }

  /** The environment that makes git write new objects here and read the repository's through alternates. */
  get env(): Record<string, string> {
    return { GIT_OBJECT_DIRECTORY: this.objects };
  }

  /** Runs git with the scratch store as its object directory. */
  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return this.git.run(args, { ...options, env: { ...this.env, ...options.env } });
  }

  test(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return this.git.test(args, { ...options, env: { ...this.env, ...options.env } });
  }

  async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.trim();
  }

  /**
   * Writes a commit object as a loose object (the format git itself writes), without starting git.
   * Commits are the only objects made here; trees and blobs come from `git merge-tree`.
   */
  writeCommit(tree: string, parents: readonly string[], message = 'rollback-gate simulation'): string {
    const body =
      `tree ${tree}\n` +
      parents.map((p) => `parent ${p}\n`).join('') +
      `author ${IDENTITY}\ncommitter ${IDENTITY}\n\n${message}\n`;
    const content = Buffer.from(body, 'utf8');
    const object = Buffer.concat([Buffer.from(`commit ${content.length}\0`), content]);
    const id = createHash(this.format).update(object).digest('hex');
    const folder = join(this.objects, id.slice(0, 2));
    const file = join(folder, id.slice(2));
    if (!existsSync(file)) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(file, deflateSync(object));
    }
    return id;
  }

  /** Removes the store and everything under the run's directory (throwaway worktrees included). */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
