/**
 * The files the web page loads besides itself: Markdown rendering (`marked`) and its sanitiser
 * (`DOMPurify`), served from the installed packages (no CDN, works offline), and the icon.
 * @module server/web-assets
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The browser builds: beside each package's entry point, or (`fromRoot`) at the package's root. */
const SCRIPTS: Record<string, { package: string; file: string; fromRoot?: boolean }> = {
  'marked.js': { package: 'marked', file: 'marked.umd.js' },
  'purify.js': { package: 'dompurify', file: 'purify.min.js' },
  // highlight.js' own browser build of its common languages (the package has no entry point).
  'highlight.js': { package: '@highlightjs/cdn-assets', file: 'highlight.min.js', fromRoot: true },
};

const cache = new Map<string, string>();

/** A script by its name under `/assets/`, or undefined for any other name. */
export async function webAsset(name: string): Promise<string | undefined> {
  const entry = SCRIPTS[name];
  if (!entry) return undefined;
  let text = cache.get(name);
  if (text === undefined) {
    const base = path.dirname(require.resolve(entry.fromRoot ? `${entry.package}/package.json` : entry.package));
    text = await readFile(path.join(base, entry.file), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** The page's icon: a small SVG (also answered at /favicon.ico, which browsers ask for). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b6bcb"/>' +
  '<path d="M8 22V10l8 7 8-7v12" fill="none" stroke="#fff" stroke-width="3" stroke-linejoin="round"/></svg>';
