/**
 * A small glob matcher for workspace patterns ('packages/*', 'apps/**', '!**\/test/**'):
 * `*` and `?` stay within a segment, `**` spans segments, `{a,b}` alternates.
 */
export function globToRegExp(pattern: string): RegExp {
  let p = pattern.trim();
  while (p.startsWith('./')) p = p.slice(2);
  while (p.endsWith('/')) p = p.slice(0, -1);
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const slashAfter = p[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      const close = p.indexOf('}', i);
      if (close < 0) {
        re += '\\{';
        continue;
      }
      re += `(?:${p.slice(i + 1, close).split(',').map(escapeRegExp).join('|')})`;
      i = close;
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`);
}

/** Matches a path against include patterns, honouring `!negated` patterns. */
export function createGlobFilter(patterns: readonly string[]): (path: string) => boolean {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const raw of patterns) {
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const pattern = raw.trim();
    if (pattern.startsWith('!')) exclude.push(globToRegExp(pattern.slice(1)));
    else include.push(globToRegExp(pattern));
  }
  return (path) => include.some((r) => r.test(path)) && !exclude.some((r) => r.test(path));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
