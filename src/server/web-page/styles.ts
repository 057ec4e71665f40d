/** The page's CSS: layout, the light and dark themes, answers, sources and the ingest panel. */
export const PAGE_STYLES = /* css */ `  :root { color-scheme: light; --bg: #ffffff; --fg: #111827; --accent: #0b5cad; --muted: #4b5563; --line: #d1d5db; --soft: #f3f4f6; --flash: #fef3c7; --error: #b91c1c; }
  :root[data-theme=dark] { color-scheme: dark; --bg: #111418; --fg: #e5e7eb; --accent: #7cb8f5; --muted: #a1a9b5; --line: #374151; --soft: #1d232b; --flash: #3b3212; --error: #fca5a5; }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 56rem; padding: 1rem; background: var(--bg); color: var(--fg); overflow-wrap: anywhere; }
  header { display: flex; justify-content: space-between; align-items: center; flex-wrap: wrap; gap: .5rem; }
  h1 { font-size: 1.4rem; margin: 0; }
  h2 { font-size: 1.1rem; }
  a { color: var(--accent); }
  #info, .meta { color: var(--muted); font-size: .85rem; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; margin: .75rem 0; }
  input, select { font: inherit; padding: .5rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--bg); color: var(--fg); min-width: 0; }
  input[type=text], input[type=password] { flex: 1 1 12rem; }
  input[type=file] { flex: 1 1 12rem; }
  button { font: inherit; padding: .5rem 1rem; border: 1px solid var(--accent); border-radius: .4rem; background: var(--accent); color: var(--bg); cursor: pointer; }
  button.secondary { background: transparent; color: var(--accent); }
  button:disabled { opacity: .5; cursor: default; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  details.options { margin: .25rem 0 1rem; }
  details.options label { display: inline-flex; align-items: center; gap: .35rem; margin: .25rem 1rem .25rem 0; }
  details.options input[type=number] { width: 5rem; }
  .turn { border-top: 1px solid var(--line); padding-top: .75rem; margin-top: .75rem; }
  .question { font-weight: 600; }
  .answer { padding: .25rem .75rem; border-left: 3px solid var(--accent); min-height: 1.5rem; }
  .answer.error { color: var(--error); border-color: var(--error); }
  .markdown pre { background: var(--soft); padding: .5rem .75rem; border-radius: .4rem; overflow-x: auto; }
  .markdown code { font-size: .9em; }
  /* Code highlighting (highlight.js classes), in the page's two themes. */
  .hljs-keyword, .hljs-built_in, .hljs-literal { color: #8b1fa8; } .hljs-string, .hljs-attr { color: #0f6b2f; }
  .hljs-number, .hljs-title { color: #a3400d; } .hljs-comment { color: #5b6470; font-style: italic; }
  :root[data-theme=dark] .hljs-keyword, :root[data-theme=dark] .hljs-built_in, :root[data-theme=dark] .hljs-literal { color: #d7a6f5; }
  :root[data-theme=dark] .hljs-string, :root[data-theme=dark] .hljs-attr { color: #8fdca6; }
  :root[data-theme=dark] .hljs-number, :root[data-theme=dark] .hljs-title { color: #f5b38a; }
  :root[data-theme=dark] .hljs-comment { color: #9aa3ad; }
  .markdown :first-child { margin-top: 0; } .markdown :last-child { margin-bottom: 0; }
  a.cite { text-decoration: none; font-weight: 600; }
  ol.sources { padding-left: 0; list-style: none; }
  ol.sources li { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .75rem; margin: .5rem 0; scroll-margin-top: 1rem; transition: background .6s; }
  ol.sources li.cited { border-color: var(--accent); }
  ol.sources li.flash { background: var(--flash); }
  .snippet { font-size: .9rem; margin-top: .25rem; }
  details.chunk summary { cursor: pointer; color: var(--accent); font-size: .85rem; }
  section.ingest { margin-top: 2rem; border-top: 1px solid var(--line); }
  progress { width: 100%; }
  #key-box, #empty[hidden] { display: none; }
  #empty { color: var(--muted); }
  .abstained { font-style: italic; }
  .abstained-label { font-style: normal; font-weight: 600; margin: 0 0 .4em; }
`;
