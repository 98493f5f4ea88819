import type { CommitInfo } from './commits.js';

export type CommitKind = 'agent' | 'human';

export interface Classification {
  kind: CommitKind;
  /** Why: the trailer or author pattern that matched, or "no agent trailer or author". */
  reason: string;
}

export interface AgentRules {
  trailers: readonly string[];
  authors: readonly string[];
}

/** A text glob (`*` any run, `?` one character), case-insensitive, matched against the whole text. */
export function textGlob(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'is');
}

/** Classifies commits as agent or human from their trailers and authors. */
export function createClassifier(rules: AgentRules): (commit: CommitInfo) => Classification {
  const trailerPatterns = rules.trailers.map((p) => ({ pattern: p, re: textGlob(p) }));
  const authorPatterns = rules.authors.map((p) => ({ pattern: p, re: textGlob(p) }));
  return (commit) => {
    for (const trailer of commit.trailers) {
      const line = `${trailer.key}: ${trailer.value}`;
      const hit = trailerPatterns.find(({ re }) => re.test(line));
      if (hit) return { kind: 'agent', reason: `trailer "${line}" matches "${hit.pattern}"` };
    }
    const author = `${commit.authorName} <${commit.authorEmail}>`;
    const byAuthor = authorPatterns.find(({ re }) => re.test(author));
    if (byAuthor) return { kind: 'agent', reason: `author "${author}" matches "${byAuthor.pattern}"` };
    return { kind: 'human', reason: 'no agent trailer or author' };
  };
}
