import { PAGE_MARKUP } from './web-page/markup.js';
import { PAGE_SCRIPT } from './web-page/script.js';
import { PAGE_STYLES } from './web-page/styles.js';

/**
 * The page served at `/`: a conversation with the documents (answers stream in as sanitised
 * Markdown, each `[n]` a link to its source, follow-up questions use the history, a stop button),
 * search options, ingest with progress and cancel, a light and a dark theme. Plain HTML, CSS and
 * JavaScript, no build step, one part per file in `web-page/` (styles, markup, script), joined
 * here into one document. Markdown rendering (`marked`) and sanitising (`DOMPurify`) come from
 * `/assets/`, served from the installed packages. It talks to the same JSON API as every other client.
 */
export const WEB_PAGE = [
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>milvus-rag</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<script src="/assets/marked.js"></script>
<script src="/assets/purify.js"></script>
<script src="/assets/highlight.js"></script>
<style>`,
  PAGE_STYLES,
  `</style>`,
  PAGE_MARKUP,
  `<script>`,
  PAGE_SCRIPT,
  `</script>
</body>
</html>
`,
].join('\n');
