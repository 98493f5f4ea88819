// `npm run screenshots`: the README's pictures of what rollback-gate posts on GitHub, made from a
// real run. It plays the demo (the committed bundles, run as GitHub's runner runs them, against the
// demo's stand-in API), takes the gate's comment and the rollback pull request's body exactly as
// the API received them and scope-guard's job summary, renders each the way GitHub does
// (GitHub-flavoured Markdown through `marked`, GitHub's stylesheet from `github-markdown-css`,
// mermaid drawn in the page by the installed `mermaid` package) and photographs it with Chromium
// (`playwright-core`; nothing is downloaded). It needs a Chromium on the machine:
//   apt-get install -y chromium fonts-noto-color-emoji     (or CHROMIUM=/path/to/chrome)
// CI does not run this; test/screenshots.test.ts checks that the README's images exist and that
// the sources below still come from the demo's run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const IMAGES_DIR = join(ROOT, 'docs', 'images');

/**
 * What the README shows, taken from a played demo (`playDemo()` of scripts/demo.mjs): each with the
 * image it becomes, the frame GitHub puts around it, and the Markdown as the run produced it.
 */
export function screenshotSources(demo) {
  const { gate, rollbackPull, scopeGuard } = demo.steps;
  return [
    {
      image: 'gate-comment.png',
      alt: "The gate's sticky comment on a pull request that would entangle a landed agent session",
      kind: 'comment',
      frame: { title: 'feat(api): member discounts', number: 2, caption: 'github-actions bot commented' },
      markdown: gate?.comment ?? '',
    },
    {
      image: 'rollback-pr.png',
      alt: 'The rollback pull request: the culprit found by bisect, its cascade, the checks and the approval',
      kind: 'pr-body',
      frame: { title: rollbackPull?.title ?? '', number: rollbackPull?.number, caption: 'github-actions bot opened this pull request' },
      markdown: rollbackPull?.body ?? '',
    },
    {
      image: 'scope-guard-summary.png',
      alt: "scope-guard's job summary: the violations and the blast-radius graph",
      kind: 'summary',
      frame: { title: 'scope-guard summary', caption: 'Job summary of the pull request check' },
      markdown: scopeGuard?.summary ?? '',
    },
  ];
}

const escapeHtml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One source as an HTML page styled as GitHub shows it (light theme); mermaid blocks left for the page's mermaid. */
export async function screenshotPage(source) {
  const { marked } = await import('marked');
  const require = createRequire(import.meta.url);
  const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
  const body = marked
    .parse(source.markdown, { gfm: true, async: false })
    .replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>');
  const { title, number, caption } = source.frame;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${css}
html, body { margin: 0; background: #ffffff; }
#shot { padding: 12px 16px 16px; }
body { width: 892px; font-family: -apple-system, "Segoe UI", "Noto Sans", "Liberation Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; }
.title { font-size: 24px; font-weight: 400; color: #1f2328; margin: 0 0 12px; }
.title .number { color: #59636e; font-weight: 300; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; overflow: hidden; }
.box-header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; color: #59636e; font-size: 14px; }
.box-header b { color: #1f2328; }
.markdown-body { padding: 16px; font-size: 14px; }
.markdown-body pre.mermaid { background: #ffffff; text-align: center; }
</style></head><body>
<div id="shot">
<p class="title">${escapeHtml(title)}${number ? ` <span class="number">#${escapeHtml(number)}</span>` : ''}</p>
<div class="box"><div class="box-header">${escapeHtml(caption).replace(/^(\S+ bot)/, '<b>$1</b>')}</div>
<article class="markdown-body">${body}</article></div>
</div>
</body></html>
`;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Photographs each source into docs/images; returns each image's path and size. */
export async function takeScreenshots(sources, { outDir = IMAGES_DIR, executablePath = process.env.CHROMIUM || '/usr/bin/chromium' } = {}) {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install it (apt-get install -y chromium fonts-noto-color-emoji) or set CHROMIUM to its path.`);
  }
  const { chromium } = await import('playwright-core');
  const require = createRequire(import.meta.url);
  const mermaidFile = join(dirname(require.resolve('mermaid/package.json')), 'dist', 'mermaid.min.js');
  const profile = mkdtempSync(join(tmpdir(), 'rollback-gate-chromium-'));
  mkdirSync(outDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 900, height: 800 },
    deviceScaleFactor: 1,
    offline: true,
  });
  const made = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    for (const source of sources) {
      if (source.markdown.trim() === '') throw new Error(`the demo produced no ${source.kind} for ${source.image}`);
      await page.setContent(await screenshotPage(source), { waitUntil: 'load' });
      if (source.markdown.includes('```mermaid')) {
        await page.addScriptTag({ path: mermaidFile });
        await page.evaluate(async () => {
          const { mermaid } = globalThis;
          mermaid.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict' });
          await mermaid.run({ querySelector: 'pre.mermaid' });
        });
        const failed = await page.locator('pre.mermaid:not([data-processed])').count();
        if (failed > 0) throw new Error(`mermaid did not draw ${failed} block(s) of ${source.image}`);
      }
      const file = join(outDir, source.image);
      await page.locator('#shot').screenshot({ path: file });
      made.push({ file, bytes: statSync(file).size });
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return made;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { playDemo } = await import('./demo.mjs');
  const demo = playDemo();
  try {
    const made = await takeScreenshots(screenshotSources(demo));
    for (const { file, bytes } of made) console.log(`${relative(ROOT, file)}: ${Math.round(bytes / 1024)} KB`);
    console.log(`${made.length} images, ${Math.round(made.reduce((n, m) => n + m.bytes, 0) / 1024)} KB in all, from the demo's run in ${demo.root}.`);
  } finally {
    rmSync(demo.root, { recursive: true, force: true });
  }
}
