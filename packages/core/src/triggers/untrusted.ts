/**
 * Text from a webhook payload (an alert's reason, source, target) is untrusted: it is never put
 * into a shell or a workflow command; it is kept on one line, without control characters, and
 * truncated, and escaped again where it is shown (markdownText, markdownCode).
 */

/** The longest untrusted text kept (characters). */
export const UNTRUSTED_MAX = 200;

/** A payload string on one line, control characters removed, truncated; null when it is not a non-empty string. */
export function untrustedText(value: unknown, max = UNTRUSTED_MAX): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const line = value.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').trim();
  if (!line) return null;
  return line.length > max ? `${line.slice(0, max)}… (${line.length} characters, truncated)` : line;
}

/**
 * What an alert's `target` may be: a commit, a PR number (`123`, `#123`, `pr-123`), a session id or
 * checkpoint tag, or a range `a..b`: letters, digits and `._/-`, at most 100 characters a side.
 */
const TARGET = /^#?[A-Za-z0-9][A-Za-z0-9._/-]{0,99}(\.\.[A-Za-z0-9][A-Za-z0-9._/-]{0,99})?$/;

export function isSafeTarget(value: string): boolean {
  return TARGET.test(value) && !/\.\.\./.test(value) && value.split('..').length <= 2 && !value.split('/').some((p) => p === '.' || p === '..');
}
