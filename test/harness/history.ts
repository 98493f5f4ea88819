/**
 * Generated histories for verify's tests: random commits of edits, additions, deletions, renames,
 * mode changes, symlinks, binary files, gitlink updates and files that become directories.
 */
import { mulberry32 } from './random.js';
import type { TestRepo } from './repo.js';

type Entry = { mode: '100644' | '100755' | '120000'; data: string } | { mode: '160000'; sha: string };

/** `count` commits of random changes on top of `r`'s main, through one `git fast-import`. */
export function generateHistory(r: TestRepo, seed: number, count: number): void {
  const next = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const dirs = ['', 'a', 'a/b', 'c', 'c/d/e', 'f g', 'h'];
  const files = new Map<string, Entry>();
  const text = (tag: string): string => Array.from({ length: 6 }, (_, i) => `${tag} line ${i} ${Math.floor(next() * 4)}`).join('\n') + '\n';
  const binary = (tag: string): string => `${tag}\u0000\u0001binary ${Math.floor(next() * 1000)}\n`;
  const fresh = (): string => {
    for (;;) {
      const dir = pick(dirs);
      const path = `${dir ? `${dir}/` : ''}file${Math.floor(next() * 40)}.txt`;
      const clash = [...files.keys()].some((p) => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`));
      if (!clash) return path;
    }
  };
  for (let i = 0; i < 24; i++) files.set(fresh(), { mode: i % 7 === 3 ? '100755' : '100644', data: i % 9 === 4 ? binary(`b${i}`) : text(`base ${i}`) });
  files.set('mod/sub', { mode: '160000', sha: '1'.repeat(40) });
  const commits: string[] = [];
  const body = (ops: string[]): void => {
    commits.push(ops.join('\n'));
  };
  const put = (path: string, entry: Entry): string =>
    entry.mode === '160000' ? `M 160000 ${entry.sha} ${path}` : `M ${entry.mode} inline ${path}\ndata ${Buffer.byteLength(entry.data)}\n${entry.data}`;
  body([...files].map(([path, entry]) => put(path, entry)));
  for (let c = 0; c < count; c++) {
    const ops: string[] = [];
    const touched = new Set<string>();
    const regular = (): string[] => [...files.keys()].filter((p) => files.get(p)!.mode !== '160000' && !touched.has(p));
    for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
      const kind = pick(['edit', 'edit', 'edit', 'add', 'add', 'delete', 'rename', 'chmod', 'symlink', 'binary', 'gitlink', 'todir']);
      const choices = regular();
      if (choices.length < 4 && kind !== 'add') continue;
      const path = pick(choices);
      const entry = files.get(path)!;
      if (kind === 'edit' && (entry.mode === '100644' || entry.mode === '100755')) {
        const updated: Entry = { mode: entry.mode, data: text(`c${c}`) };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'binary') {
        const updated: Entry = { mode: '100644', data: binary(`c${c}`) };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'add') {
        const added = fresh();
        const created: Entry = { mode: '100644', data: text(`new ${c}`) };
        files.set(added, created);
        touched.add(added);
        ops.push(put(added, created));
      } else if (kind === 'delete') {
        files.delete(path);
        ops.push(`D ${path}`);
      } else if (kind === 'rename') {
        const to = fresh();
        files.set(to, entry);
        files.delete(path);
        touched.add(to);
        ops.push(`R "${path}" "${to}"`);
      } else if (kind === 'chmod' && (entry.mode === '100644' || entry.mode === '100755')) {
        const updated: Entry = { mode: entry.mode === '100755' ? '100644' : '100755', data: entry.data };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'symlink') {
        const updated: Entry = { mode: '120000', data: 'target/elsewhere.txt' };
        files.set(path, updated);
        ops.push(put(path, updated));
      } else if (kind === 'gitlink') {
        const updated: Entry = { mode: '160000', sha: (Math.floor(next() * 9) + 1).toString().repeat(40) };
        files.set('mod/sub', updated);
        touched.add('mod/sub');
        ops.push(put('mod/sub', updated));
      } else if (kind === 'todir') {
        files.delete(path);
        const inner = `${path}/inner.txt`;
        const created: Entry = { mode: '100644', data: text(`dir ${c}`) };
        files.set(inner, created);
        touched.add(inner);
        ops.push(`D ${path}`, put(inner, created));
      }
      touched.add(path);
    }
    if (ops.length > 0) body(ops);
  }
  const base = r.head();
  const stream = commits
    .map((ops, i) => `commit refs/heads/main\ncommitter Gen <gen@example.com> ${1_700_000_000 + i * 60} +0000\ndata 9\nUnit ${String(i).padStart(3, '0')}\n${i === 0 ? `from ${base}\n` : ''}${ops}\n`)
    .join('\n');
  r.git(['fast-import', '--quiet'], { input: stream });
  r.git(['reset', '--quiet', '--hard', 'main']);
}

