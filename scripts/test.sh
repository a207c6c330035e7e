#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, integration,
# browser end-to-end (headless Chromium), fuzz smoke runs and format check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

JOBS=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

# Style: the repo's .clang-format and .clang-tidy are the house rules.
scripts/check-format.sh
scripts/check-tidy.sh build

# Fuzz targets, built with clang + libFuzzer, each run briefly on its corpus.
scripts/run-fuzzers.sh 15

cd build && ctest --output-on-failure -j 2 --timeout 600
