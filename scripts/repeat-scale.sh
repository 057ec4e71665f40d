#!/usr/bin/env bash
# Runs the 5,000-chunk scale suite (test/integration/scale.test.ts: Milvus Lite and the Milvus 2.3
# server) N times in a row and prints one line per run: passed or failed, its duration, and whether
# the 2.3 variant had to repair rows that came back (issue 31). Stops at nothing: every run is
# reported, and the exit code is 1 if any failed.
#
#   bash scripts/repeat-scale.sh 20                  # the sync, search and retriever tests
#   bash scripts/repeat-scale.sh 20 --under-load     # with another integration suite beside each run
#   bash scripts/repeat-scale.sh 5 --all             # the watch rounds too
#
# Logs: .cache/repeat-scale/run-K.log
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
shift || true
load=false
pattern='sync:|search:|retriever'
for arg in "$@"; do
  case "$arg" in
    --under-load) load=true ;;
    --all) pattern='.' ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
export MILVUS_RAG_HOME="${MILVUS_RAG_HOME:-$PWD/.cache/test-home}"
export MILVUS_RAG_TEST_MODEL_PATH="${MILVUS_RAG_TEST_MODEL_PATH:-$PWD/.cache/models/all-MiniLM-L6-v2}"
logs=.cache/repeat-scale
mkdir -p "$logs"
failed=0
for run in $(seq 1 "$runs"); do
  started=$(date +%s)
  if $load; then
    # Load beside it: the hybrid-search suite (Milvus Lite, the real model), over and over.
    # In a session of its own, so the whole loop can be stopped as one process group.
    setsid bash -c 'while true; do node --import tsx --test test/integration/hybrid-search.test.ts >/dev/null 2>&1; done' &
    loader=$!
  fi
  node --import tsx --test --test-name-pattern="$pattern" test/integration/scale.test.ts >"$logs/run-$run.log" 2>&1
  code=$?
  if $load; then
    kill -- "-$loader" 2>/dev/null
    wait "$loader" 2>/dev/null
  fi
  seconds=$(($(date +%s) - started))
  repaired=$(grep -o 'the re-run deleted [0-9]* rows that came back' "$logs/run-$run.log" | head -1)
  if [ "$code" -eq 0 ]; then
    echo "run $run: passed in ${seconds} s${repaired:+ ($repaired)}"
  else
    failed=$((failed + 1))
    echo "run $run: FAILED in ${seconds} s${repaired:+ ($repaired)}: $(grep -m1 -E 'ids stored|Error|expected' "$logs/run-$run.log")"
  fi
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
