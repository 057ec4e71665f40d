#!/usr/bin/env bash
# The test command (npm test, and CI through .ci/run): installs what the tests need, then runs the
# type check, the linter and every test (unit tests in src/, integration tests in test/) with
# node's test runner against real Milvus processes and real models.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says how long it took, and the test run ends with each file's time (issue 31's budget).
step() {
  local started=$SECONDS
  "$@"
  echo "# step '$*' took $((SECONDS - started)) s"
}
step bash scripts/setup.sh --test
step npm run --silent typecheck
step npm run --silent lint
# Tests never read a developer's own `milvus-rag setup` (~/.cache/milvus-rag): an empty home of their own.
export MILVUS_RAG_HOME="${MILVUS_RAG_TEST_HOME:-$PWD/.cache/test-home}"
export MILVUS_RAG_TEST_MODEL_PATH="${MILVUS_RAG_TEST_MODEL_PATH:-$PWD/.cache/models/all-MiniLM-L6-v2}"
# Node 20's test runner takes files, not globs: bash expands them.
shopt -s globstar nullglob
files=(src/**/*.test.ts test/**/*.test.ts)
# Integration tests each start Milvus processes; two at a time fit a 2-core machine.
exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/suite-timings.mjs --test-reporter-destination=stdout \
  "${files[@]}"
