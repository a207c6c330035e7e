#!/usr/bin/env bash
# Browser end-to-end tests: installs playwright-core (no browser download; the
# tests drive Debian's /usr/bin/chromium) and runs every *.test.mjs with node's
# test runner, one file at a time. Set MYRIAD_BIN to the server binary
# (default: build/myriad in the repository). Arguments name test files to run
# instead of all of them (relative to this directory), e.g.
#   tests/e2e/run.sh simulcast.test.mjs
# The server's log is kept (and its path printed) when a test fails; set
# MYRIAD_E2E_KEEP_LOGS=1 to keep it when they pass too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

shopt -s nullglob
if (( $# > 0 )); then
  tests=("$@")
else
  tests=(./*.test.mjs)
fi
if (( ${#tests[@]} == 0 )); then
  echo "no e2e test files found" >&2
  exit 1
fi

exec node --test --test-concurrency=1 "${tests[@]}"
