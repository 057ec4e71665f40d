/**
 * The page served at `/`: ask a question and watch the answer stream, see the cited sources,
 * ingest documents with a progress bar, and see what the server answers with. One file of plain
 * HTML, CSS and JavaScript, no framework and no build step: it talks to the same JSON API as
 * every other client.
 */
export const WEB_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>milvus-rag</title>
<style>
  :root { color-scheme: light dark; --accent: #0b6bcb; --muted: #6b7280; --line: #d1d5db; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 1rem; }
  header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: .5rem; }
  h1 { font-size: 1.4rem; margin: 0; }
  #info { color: var(--muted); font-size: .85rem; }
  form { display: flex; gap: .5rem; margin: 1rem 0; }
  input[type=text], input[type=password] { flex: 1; font: inherit; padding: .5rem; border: 1px solid var(--line); border-radius: .4rem; }
  button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: .4rem; background: var(--accent); color: white; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  #answer { white-space: pre-wrap; min-height: 1.5rem; padding: .75rem; border-left: 3px solid var(--accent); }
  #answer:empty { display: none; }
  .error { color: #b91c1c; }
  ol#sources { padding-left: 0; list-style: none; }
  ol#sources li { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .75rem; margin: .5rem 0; }
  ol#sources li.cited { border-color: var(--accent); }
  .meta { color: var(--muted); font-size: .85rem; }
  .snippet { font-size: .9rem; margin-top: .25rem; }
  section { margin-top: 2rem; }
  h2 { font-size: 1.1rem; }
  progress { width: 100%; }
  #key-box { display: none; }
</style>
</head>
<body>
<header>
  <h1>milvus-rag</h1>
  <div id="info">connecting...</div>
</header>

<form id="key-box">
  <input id="key" type="password" placeholder="API key" autocomplete="off" aria-label="API key">
  <button>Use key</button>
</form>

<form id="ask-form">
  <input id="question" type="text" placeholder="Ask a question about your documents" aria-label="Question" required>
  <button id="ask-button">Ask</button>
</form>
<div id="answer" aria-live="polite"></div>
<div id="timing" class="meta"></div>
<ol id="sources"></ol>

<section>
  <h2>Add documents</h2>
  <form id="upload-form">
    <input id="files" type="file" multiple accept=".md,.mdx,.markdown,.txt,.html,.htm,.pdf" aria-label="Files to upload">
    <button>Upload and ingest</button>
  </form>
  <form id="path-form">
    <input id="path" type="text" placeholder="or a folder, glob or .zip on the server" aria-label="Path on the server">
    <button>Ingest</button>
  </form>
  <progress id="progress" value="0" max="1" hidden></progress>
  <div id="job" class="meta"></div>
</section>

<script>
const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem('milvus-rag-key') || '';

function headers(extra) {
  const all = Object.assign({}, extra || {});
  if (key) all.Authorization = 'Bearer ' + key;
  return all;
}

async function api(path, init) {
  const response = await fetch(path, Object.assign({}, init, { headers: headers(init && init.headers) }));
  if (response.status === 401) { $('key-box').style.display = 'flex'; }
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try { message = (await response.json()).error.message; } catch (_) {}
    throw new Error(message);
  }
  return response;
}

async function loadInfo() {
  try {
    const health = await (await api('/health')).json();
    $('key-box').style.display = health.auth && !key ? 'flex' : 'none';
    const llm = health.llm ? health.llm.model : 'no chat model (sources only)';
    $('info').textContent = 'collection ' + health.collection + ' (' + (health.rows ?? 0) + ' chunks) · embeddings ' +
      health.embedding.model + ' · LLM ' + llm + ' · Milvus ' + health.milvus.backend;
  } catch (error) {
    $('info').textContent = 'server unreachable: ' + error.message;
  }
}

function showSources(sources, cited) {
  const list = $('sources');
  list.textContent = '';
  for (const source of sources) {
    const item = document.createElement('li');
    if (cited.has(source.number)) item.className = 'cited';
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = '[' + source.number + '] ' + source.source + (source.headings ? ' › ' + source.headings : '') +
      (source.page ? ' · page ' + source.page : '') + ' · distance ' + source.distance.toFixed(4) + (cited.has(source.number) ? ' · cited' : '');
    const snippet = document.createElement('div');
    snippet.className = 'snippet';
    snippet.textContent = source.text.length > 300 ? source.text.slice(0, 300) + '…' : source.text;
    item.append(meta, snippet);
    list.append(item);
  }
}

// Reads Server-Sent Events from a fetch response: POST bodies rule out EventSource.
async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\\n\\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message', data = '';
      for (const line of block.split('\\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      yield { event, data: data ? JSON.parse(data) : null };
    }
  }
}

$('ask-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  const question = $('question').value.trim();
  if (!question) return;
  $('ask-button').disabled = true;
  $('answer').textContent = '';
  $('answer').classList.remove('error');
  $('timing').textContent = 'searching...';
  $('sources').textContent = '';
  let sources = [];
  try {
    const response = await api('/v1/ask', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ question, stream: true }),
    });
    for await (const { event, data } of readEvents(response)) {
      if (event === 'retrieval') { sources = data.sources; showSources(sources, new Set()); $('timing').textContent = 'answering...'; }
      else if (event === 'token') { $('answer').textContent += data.text; }
      else if (event === 'done') {
        if (data.answer === null) $('answer').textContent = 'No chat model is configured on the server: here are the closest sources.';
        else $('answer').textContent = data.answer;
        showSources(sources, new Set(data.citations.map((citation) => citation.number)));
        const t = data.timings;
        $('timing').textContent = 'retrieval ' + Math.round(t.retrievalMs) + ' ms' +
          (t.firstTokenMs !== undefined ? ' · first token ' + Math.round(t.firstTokenMs) + ' ms' : '') + ' · total ' + Math.round(t.totalMs) + ' ms';
      } else if (event === 'error') { throw new Error(data.error.message); }
    }
  } catch (error) {
    $('answer').textContent = error.message;
    $('answer').classList.add('error');
    $('timing').textContent = '';
  } finally {
    $('ask-button').disabled = false;
  }
});

async function followJob(job) {
  const bar = $('progress');
  bar.hidden = false;
  for (;;) {
    bar.max = Math.max(1, job.progress.files);
    bar.value = job.progress.filesDone;
    $('job').textContent = job.source + ': ' + job.status + ' · ' + job.progress.filesDone + '/' + job.progress.files + ' files · ' + job.progress.chunks + ' chunks';
    if (job.status === 'done' || job.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
    job = await (await api('/v1/jobs/' + job.id)).json();
  }
  if (job.result) {
    const r = job.result;
    $('job').textContent = job.source + ': ' + job.status + ' · ' + r.files + ' files, ' + r.added + ' chunks added, ' + r.updated + ' files updated, ' +
      r.skipped + ' unchanged, ' + r.deleted + ' deleted' + (r.failed.length ? ' · failed: ' + r.failed.map((f) => f.error).join('; ') : '');
  } else if (job.error) {
    $('job').textContent = job.source + ': failed · ' + job.error;
  }
  loadInfo();
}

$('upload-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  const form = new FormData();
  for (const file of $('files').files) form.append('files', file);
  try { await followJob(await (await api('/v1/ingest', { method: 'POST', body: form })).json()); }
  catch (error) { $('job').textContent = error.message; }
});

$('path-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  try {
    const response = await api('/v1/ingest', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: $('path').value.trim() }) });
    await followJob(await response.json());
  } catch (error) { $('job').textContent = error.message; }
});

$('key-box').addEventListener('submit', (submit) => {
  submit.preventDefault();
  key = $('key').value.trim();
  sessionStorage.setItem('milvus-rag-key', key);
  loadInfo();
});

loadInfo();
</script>
</body>
</html>
`;
