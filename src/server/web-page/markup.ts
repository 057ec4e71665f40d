/** The page's HTML: the header, the conversation, the question form, search options and the ingest panel. */
export const PAGE_MARKUP = /* html */ `</head>
<body>
<header>
  <h1>milvus-rag</h1>
  <button id="theme" class="secondary" type="button" title="Switch between light and dark theme">Dark theme</button>
  <div id="info" role="status">connecting...</div>
</header>

<main>
<form id="key-box" aria-label="API key">
  <input id="key" type="password" placeholder="API key" autocomplete="off" aria-label="API key">
  <button>Use key</button>
</form>

<div id="conversation" aria-live="polite"></div>
<p id="empty">Ask a question about the documents in the collection. Answers cite their sources as [1], [2]...; follow-up questions keep the conversation.</p>

<form id="ask-form" aria-label="Ask">
  <input id="question" type="text" placeholder="Ask a question about your documents" aria-label="Question" required>
  <button id="ask-button">Ask</button>
  <button id="stop-button" type="button" class="secondary" hidden>Stop</button>
  <button id="new-button" type="button" class="secondary" hidden>New conversation</button>
</form>
<details class="options">
  <summary>Search options</summary>
  <label id="collection-label" hidden>Collection <select id="collection"></select></label>
  <label>Mode <select id="mode"><option value="">auto</option><option>hybrid</option><option>dense</option><option>sparse</option></select></label>
  <label>Sources <input id="limit" type="number" min="1" max="20" value="3"></label>
  <label>Only files <input id="source" type="text" placeholder="e.g. faq/*"></label>
</details>
</main>

<section class="ingest" aria-labelledby="ingest-title">
  <h2 id="ingest-title">Add documents</h2>
  <form id="upload-form">
    <input id="files" type="file" multiple aria-label="Files to upload">
    <button>Upload and ingest</button>
  </form>
  <form id="path-form">
    <input id="path" type="text" placeholder="or a folder, glob or .zip on the server" aria-label="Path on the server">
    <button>Ingest</button>
  </form>
  <progress id="progress" value="0" max="1" hidden aria-label="Ingest progress"></progress>
  <div id="job" class="meta" role="status"></div>
  <button id="cancel-job" type="button" class="secondary" hidden>Cancel ingest</button>
</section>
`;
