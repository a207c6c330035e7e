#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, integration,
# browser end-to-end (headless Chromium), fuzz smoke runs and format check.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's elapsed time, so a slow CI run says where its time went.
phase() { echo "test.sh: $1 done after ${SECONDS}s"; }
scripts/install-deps.sh --test
phase "install"

JOBS=$(nproc)
# Line tables only (-g1): backtraces keep file and line, and the build takes a
# fifth less time than with full debug information (CI runs on 2 cores).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j "$JOBS"
phase "build"

# Style: the repo's .clang-format and .clang-tidy are the house rules.
scripts/check-format.sh
scripts/check-tidy.sh build
phase "format and tidy"

# Fuzz targets, built with clang + libFuzzer, each run briefly on its corpus.
scripts/run-fuzzers.sh 15
phase "fuzz"

cd build && ctest --output-on-failure -j 2 --timeout 600
