/**
 * The page's JavaScript, run in the browser as it is (no build step): the conversation (asking,
 * streaming, citations as links, stop, history), search options, uploads and ingest jobs with
 * progress, and the theme. It talks to the JSON API only.
 */
export const PAGE_SCRIPT = /* js */ `const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem('milvus-rag-key') || '';
/** The conversation so far, as the API takes it: [{role, content}]. */
let history = [];
let turns = 0;
let asking = null;
let currentJob = null;

// Theme: the visitor's choice, else the system's.
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  $('theme').textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
}
applyTheme(localStorage.getItem('milvus-rag-theme') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
$('theme').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  localStorage.setItem('milvus-rag-theme', next);
  applyTheme(next);
});

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
    const rows = health.rows === null ? '' : ' (' + health.rows + ' chunks)';
    $('info').textContent = 'collection ' + health.collection + rows + ' · embeddings ' +
      health.embedding.model + ' · LLM ' + llm + ' · Milvus ' + health.milvus.backend;
    if (health.rows === 0) $('empty').textContent = 'The collection is empty: add documents below, then ask about them.';
    loadCollections(health.collection);
  } catch (error) {
    $('info').textContent = 'server unreachable: ' + error.message;
  }
}

/** The collection picker: shown when the key may list collections and there is more than one. */
async function loadCollections(current) {
  try {
    const response = await fetch('/v1/collections', { headers: headers() });
    if (!response.ok) return;
    const { collections } = await response.json();
    const select = $('collection');
    const chosen = select.value || current;
    select.textContent = '';
    for (const collection of collections) {
      const option = document.createElement('option');
      option.value = collection.name;
      option.textContent = collection.name + ' (' + collection.rows + ' chunks' + (collection.current ? ', default' : '') + ')';
      option.selected = collection.name === chosen;
      select.append(option);
    }
    select.dataset.current = current;
    $('collection-label').hidden = collections.length < 2;
  } catch (_) {}
}

/** Markdown to sanitised HTML; without the renderer, plain text. */
function renderMarkdown(element, text) {
  if (window.marked && window.DOMPurify) {
    element.innerHTML = DOMPurify.sanitize(marked.parse(text, { gfm: true, breaks: false }));
    for (const link of element.querySelectorAll('a[href]')) { link.target = '_blank'; link.rel = 'noopener noreferrer'; }
    // Code blocks scroll sideways on a narrow screen: focusable, so the keyboard can scroll them too.
    for (const block of element.querySelectorAll('pre')) block.tabIndex = 0;
    if (window.hljs) for (const code of element.querySelectorAll('pre code')) hljs.highlightElement(code);
  } else {
    element.textContent = text;
  }
}

/** A chunk's opening for a snippet: cut at a word, and never starting inside a Markdown link. */
function snippetOf(text) {
  let clean = text.replace(/^[^\\[\\n]*?\\]\\([^)\\s]*\\)/, (match) => match.slice(0, match.indexOf(']')));
  if (clean.length > 320) clean = clean.slice(0, clean.lastIndexOf(' ', 320) > 200 ? clean.lastIndexOf(' ', 320) : 320) + '…';
  return clean;
}

/** Turns each [n] of an answer (outside code) into a link to source n of the turn. */
function linkCitations(element, turn, numbers) {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) if (!walker.currentNode.parentElement.closest('code, a')) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const parts = node.textContent.split(/(\\[\\d+\\])/);
    if (parts.length === 1) continue;
    const fragment = document.createDocumentFragment();
    for (const part of parts) {
      const match = /^\\[(\\d+)\\]$/.exec(part);
      if (match && numbers.has(Number(match[1]))) {
        const link = document.createElement('a');
        link.href = '#s' + turn + '-' + match[1];
        link.className = 'cite';
        link.textContent = part;
        link.setAttribute('aria-label', 'source ' + match[1]);
        link.addEventListener('click', (click) => { click.preventDefault(); showSource(turn, match[1]); });
        fragment.append(link);
      } else fragment.append(part);
    }
    node.replaceWith(fragment);
  }
}

function showSource(turn, number) {
  const item = $('s' + turn + '-' + number);
  if (!item) return;
  item.scrollIntoView({ block: 'center', behavior: 'smooth' });
  item.classList.add('flash');
  item.focus({ preventScroll: true });
  setTimeout(() => item.classList.remove('flash'), 1600);
}

function showSources(list, turn, sources, cited) {
  list.textContent = '';
  for (const source of sources) {
    const item = document.createElement('li');
    item.id = 's' + turn + '-' + source.number;
    item.tabIndex = -1;
    if (cited.has(source.number)) item.className = 'cited';
    const meta = document.createElement('div');
    meta.className = 'meta';
    const name = /^https?:\\/\\//.test(source.source) ? Object.assign(document.createElement('a'), { href: source.source, target: '_blank', rel: 'noopener noreferrer', textContent: source.source }) : document.createTextNode(source.source);
    const place = source.location && source.location !== source.source ? source.location.slice(source.source.length) : '';
    meta.append('[' + source.number + '] ', name, place + (source.headings ? ' › ' + source.headings : '') +
      ' · distance ' + source.distance.toFixed(3) + (cited.has(source.number) ? ' · cited' : ''));
    const snippet = document.createElement('div');
    snippet.className = 'snippet markdown';
    renderMarkdown(snippet, snippetOf(source.text));
    const whole = document.createElement('details');
    whole.className = 'chunk';
    const summary = document.createElement('summary');
    summary.textContent = 'whole chunk';
    const body = document.createElement('div');
    body.className = 'markdown';
    whole.append(summary, body);
    whole.addEventListener('toggle', () => { if (whole.open && !body.childNodes.length) renderMarkdown(body, source.text); });
    item.append(meta, snippet, whole);
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

function options() {
  const body = {};
  if ($('mode').value) body.mode = $('mode').value;
  const limit = Number($('limit').value);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 20) body.limit = limit;
  if ($('source').value.trim()) body.source = $('source').value.trim();
  const collection = pickedCollection();
  if (collection) body.collection = collection;
  return body;
}

/** The collection chosen in the picker when it is not the server's own (searches and ingests go there). */
function pickedCollection() {
  const collection = $('collection').value;
  return collection && collection !== $('collection').dataset.current ? collection : undefined;
}

function setAsking(on) {
  $('ask-button').disabled = on;
  $('stop-button').hidden = !on;
  $('new-button').hidden = on || history.length === 0;
}

$('ask-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  const question = $('question').value.trim();
  if (!question || asking) return;
  const turn = ++turns;
  $('empty').hidden = true;
  const view = document.createElement('article');
  view.className = 'turn';
  view.dataset.turn = String(turn);
  const asked = Object.assign(document.createElement('div'), { className: 'question', textContent: question });
  const answer = Object.assign(document.createElement('div'), { className: 'answer markdown' });
  const timing = Object.assign(document.createElement('div'), { className: 'meta', textContent: 'searching...' });
  const list = Object.assign(document.createElement('ol'), { className: 'sources' });
  list.setAttribute('aria-label', 'Sources of answer ' + turn);
  view.append(asked, answer, timing, list);
  $('conversation').append(view);
  $('question').value = '';
  asking = new AbortController();
  setAsking(true);
  let sources = [];
  let text = '';
  let frame = 0;
  // Redrawn at most once a frame while tokens stream in; the final answer cancels a pending redraw.
  const draw = () => { frame = 0; renderMarkdown(answer, text); };
  try {
    const response = await api('/v1/ask', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, signal: asking.signal,
      body: JSON.stringify(Object.assign({ question, stream: true, history }, options())),
    });
    for await (const { event, data } of readEvents(response)) {
      if (event === 'retrieval') { sources = data.sources; showSources(list, turn, sources, new Set()); timing.textContent = 'answering...'; }
      else if (event === 'token') { text += data.text; if (!frame) frame = requestAnimationFrame(draw); }
      else if (event === 'done') {
        if (frame) { cancelAnimationFrame(frame); frame = 0; }
        text = data.answer === null ? 'No chat model is configured on the server: here are the closest sources.' : data.answer;
        renderMarkdown(answer, text);
        // "The sources do not say." is shown as what it is, not as an answer.
        if (data.abstained) {
          answer.classList.add('abstained');
          const label = document.createElement('p');
          label.className = 'abstained-label';
          label.textContent = 'Not in the sources: the documents found do not answer this question.';
          answer.prepend(label);
        }
        const cited = new Set(data.citations.map((citation) => citation.number));
        linkCitations(answer, turn, new Set(sources.map((source) => source.number)));
        showSources(list, turn, sources, cited);
        const t = data.timings;
        timing.textContent = 'retrieval ' + Math.round(t.retrievalMs) + ' ms' +
          (t.firstTokenMs !== undefined ? ' · first token ' + Math.round(t.firstTokenMs) + ' ms' : '') + ' · total ' + Math.round(t.totalMs) + ' ms';
        if (data.answer !== null) history = history.concat([{ role: 'user', content: question }, { role: 'assistant', content: data.answer }]).slice(-12);
      } else if (event === 'error') { throw new Error(data.error.message); }
    }
  } catch (error) {
    if (frame) { cancelAnimationFrame(frame); frame = 0; }
    if (asking && asking.signal.aborted) {
      renderMarkdown(answer, text);
      timing.textContent = 'stopped';
    } else {
      answer.textContent = error.message;
      answer.classList.add('error');
      timing.textContent = '';
    }
  } finally {
    asking = null;
    setAsking(false);
    $('question').focus();
  }
});

$('stop-button').addEventListener('click', () => { if (asking) asking.abort(); });
$('new-button').addEventListener('click', () => {
  history = [];
  $('conversation').textContent = '';
  $('empty').hidden = false;
  setAsking(false);
  $('question').focus();
});

async function followJob(job) {
  const bar = $('progress');
  bar.hidden = false;
  currentJob = job;
  $('cancel-job').hidden = false;
  for (;;) {
    bar.max = Math.max(1, job.progress.files);
    bar.value = job.progress.filesDone;
    $('job').textContent = jobLabel(job) + ': ' + job.status + ' · ' + job.progress.filesDone + '/' + job.progress.files + ' files · ' + job.progress.chunks + ' chunks';
    if (job.finishedAt) break;
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await (await api('/v1/jobs/' + job.id)).json();
  }
  currentJob = null;
  $('cancel-job').hidden = true;
  if (job.result) {
    const r = job.result;
    $('job').textContent = jobLabel(job) + ': ' + job.status + ' · ' + r.files + ' files, ' + r.added + ' chunks added, ' + r.updated + ' files updated, ' +
      r.skipped + ' unchanged, ' + r.deleted + ' deleted' + (r.failed.length ? ' · failed: ' + r.failed.map((f) => f.error).join('; ') : '');
  } else {
    $('job').textContent = jobLabel(job) + ': ' + job.status + (job.status === 'cancelled' ? ' · what was written stays; ingest it again to finish' : ' · ' + (job.error || ''));
  }
  loadInfo();
}

/** What a job reads, and where it writes when that is not the server's own collection. */
function jobLabel(job) {
  return job.source + (job.collection ? ' → ' + job.collection : '');
}

$('cancel-job').addEventListener('click', async () => {
  if (!currentJob) return;
  try { await api('/v1/jobs/' + currentJob.id, { method: 'DELETE' }); } catch (error) { $('job').textContent = error.message; }
});

$('upload-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  if (!$('files').files.length) { $('job').textContent = 'Choose one or more files first.'; return; }
  const form = new FormData();
  for (const file of $('files').files) form.append('files', file);
  if (pickedCollection()) form.append('collection', pickedCollection());
  try { await followJob(await (await api('/v1/ingest', { method: 'POST', body: form })).json()); }
  catch (error) { $('job').textContent = error.message; }
});

$('path-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  if (!$('path').value.trim()) { $('job').textContent = 'Give a folder, glob or .zip on the server first.'; return; }
  try {
    const response = await api('/v1/ingest', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Object.assign({ path: $('path').value.trim() }, pickedCollection() ? { collection: pickedCollection() } : {})) });
    await followJob(await response.json());
  } catch (error) { $('job').textContent = error.message; }
});

$('key-box').addEventListener('submit', (submit) => {
  submit.preventDefault();
  key = $('key').value.trim();
  sessionStorage.setItem('milvus-rag-key', key);
  loadInfo();
});

loadInfo();`;
