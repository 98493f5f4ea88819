/**
 * The README's pictures: every image it shows is in docs/images, is a real PNG of a sensible size,
 * and is one `npm run screenshots` makes (scripts/screenshots.mjs). That their Markdown comes from
 * the demo's run is checked in test/demo.test.ts, on the demo it plays anyway; CI has no Chromium,
 * so the photographs themselves are made by hand with `npm run screenshots`.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const script = readFileSync(join(ROOT, 'scripts', 'screenshots.mjs'), 'utf8');

/** Width and height from a PNG's IHDR chunk; undefined when the file is not a PNG. */
function pngSize(file: string): { width: number; height: number } | undefined {
  const bytes = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("README's screenshots", () => {
  const shown = [...readme.matchAll(/!\[([^\]]*)\]\((docs\/images\/[^)]+)\)/g)].map((m) => ({ alt: m[1]!, path: m[2]! }));
  const made = [...script.matchAll(/image: '([^']+\.png)'/g)].map((m) => `docs/images/${m[1]}`);

  it('shows the gate comment and the rollback pull request, each with a description', () => {
    expect(shown.map((s) => s.path)).toEqual(expect.arrayContaining(['docs/images/gate-comment.png', 'docs/images/rollback-pr.png']));
    for (const { alt } of shown) expect(alt.length).toBeGreaterThan(20);
  });

  it('every image it shows is made by npm run screenshots, and every image made is shown', () => {
    expect(made.length).toBeGreaterThanOrEqual(2);
    expect(new Set(shown.map((s) => s.path))).toEqual(new Set(made));
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.screenshots).toBe('node scripts/screenshots.mjs');
  });

  it.each(['gate-comment.png', 'rollback-pr.png', 'scope-guard-summary.png'])('docs/images/%s is a PNG of a readable size, small enough for the repository', (name) => {
    const file = join(ROOT, 'docs', 'images', name);
    expect(existsSync(file)).toBe(true);
    const size = pngSize(file);
    expect(size).toBeDefined();
    expect(size!.width).toBeGreaterThanOrEqual(700);
    expect(size!.width).toBeLessThanOrEqual(1800);
    expect(size!.height).toBeGreaterThan(200);
    expect(readFileSync(file).length).toBeLessThan(250_000);
  });

  it('all of them together stay small (a few hundred KB)', () => {
    const total = made.reduce((sum, path) => sum + (existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path)).length : 0), 0);
    expect(total).toBeLessThan(600_000);
  });
});
