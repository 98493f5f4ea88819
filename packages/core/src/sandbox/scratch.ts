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

/** How git runs on the store; `reads` names the in-memory objects (addObject) the command may read, when known. */
export interface StoreRunOptions extends GitRunOptions {
  reads?: readonly string[];
}

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
    const [objectsPath, formatResult] = await Promise.all([git.text(['rev-parse', '--git-path', 'objects']), git.test(['rev-parse', '--show-object-format'])]);
    const repositoryObjects = isAbsolute(objectsPath) ? objectsPath : resolve(git.cwd, objectsPath);
    const formatText = formatResult.stdout.trim();
    const format: ObjectFormat = formatText === 'sha256' ? 'sha256' : 'sha1';
    mkdirSync(tempRoot, { recursive: true });
    const dir = mkdtempSync(join(tempRoot, 'verify-'));
    const objects = join(dir, 'objects');
    mkdirSync(join(objects, 'info'), { recursive: true });
    writeFileSync(join(objects, 'info', 'alternates'), `${repositoryObjects}\n`);
    return new ScratchStore(git, dir, objects, repositoryObjects, format);
  }

  /** Objects made in memory (addObject) and the pending objects each refers to, written before git may read them. */
  private readonly pending = new Map<string, { object: Buffer; refers: readonly string[] }>();

  /**
   * The environment that makes git write new objects here and read the repository's through
   * alternates. Whoever asks for it is about to run git on the store: objects still in memory are
   * written first.
   */
  get env(): Record<string, string> {
    this.flush();
    return this.objectEnv();
  }

  private objectEnv(): Record<string, string> {
    return { GIT_OBJECT_DIRECTORY: this.objects };
  }

  /**
   * An object git may never need to read (the tree of a revert computed without a merge): its id now,
   * its file only once git may read it (see `flush`). `refers`: the in-memory objects it names.
   */
  addObject(type: 'tree' | 'blob', content: Buffer, refers: readonly string[] = []): string {
    const object = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
    const id = createHash(this.format).update(object).digest('hex');
    if (!this.pending.has(id)) this.pending.set(id, { object, refers });
    return id;
  }

  /** Writes the objects still in memory: all of them, or those `ids` name and what they refer to. */
  flush(ids?: Iterable<string>): void {
    if (this.pending.size === 0) return;
    if (ids === undefined) {
      for (const [id, { object }] of this.pending) this.writeLoose(id, object);
      this.pending.clear();
      return;
    }
    const stack = [...ids];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      const found = this.pending.get(id);
      if (!found) continue;
      this.writeLoose(id, found.object);
      this.pending.delete(id);
      stack.push(...found.refers);
    }
  }

  /** Runs git with the scratch store as its object directory. */
  run(args: readonly string[], options: StoreRunOptions = {}): Promise<GitResult> {
    return this.git.run(args, this.optionsFor(options));
  }

  test(args: readonly string[], options: StoreRunOptions = {}): Promise<GitResult> {
    return this.git.test(args, this.optionsFor(options));
  }

  /** `reads`: the only objects made in memory the command may read (else all are written first). */
  private optionsFor({ reads, ...options }: StoreRunOptions): GitRunOptions {
    this.flush(reads);
    return { ...options, env: { ...this.objectEnv(), ...options.env } };
  }

  async text(args: readonly string[], options: StoreRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.trim();
  }

  /**
   * Writes a commit object as a loose object (the format git itself writes), without starting git.
   * Besides commits, only the trees of reverts that need no merge are made here (verify/exact-revert.ts).
   */
  writeCommit(tree: string, parents: readonly string[], message = 'rollback-gate simulation'): string {
    const body =
      `tree ${tree}\n` +
      parents.map((p) => `parent ${p}\n`).join('') +
      `author ${IDENTITY}\ncommitter ${IDENTITY}\n\n${message}\n`;
    return this.writeObject('commit', Buffer.from(body, 'utf8'));
  }

  /** Writes any object as a loose object; returns its id. */
  writeObject(type: 'commit' | 'tree' | 'blob', content: Buffer): string {
    const object = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
    const id = createHash(this.format).update(object).digest('hex');
    this.writeLoose(id, object);
    return id;
  }

  private writeLoose(id: string, object: Buffer): void {
    const folder = join(this.objects, id.slice(0, 2));
    const file = join(folder, id.slice(2));
    if (!existsSync(file)) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(file, deflateSync(object));
    }
  }

  /** Removes the store and everything under the run's directory (throwaway worktrees included). */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
