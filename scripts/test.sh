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

# Fuzz targets, built with clang + libFuzzer, each run briefly on its corpus.
# After their build the runs take one core (one target at a time, 15 s each of
# wall-clock time), so they go on in the background while clang-tidy, the
# longest step after the build, takes the other.
fuzz_log=$(mktemp)
scripts/run-fuzzers.sh 15 >"$fuzz_log" 2>&1 &
fuzz_pid=$!

# Style: the repo's .clang-format and .clang-tidy are the house rules.
style_status=0
scripts/check-format.sh || style_status=$?
((style_status != 0)) || scripts/check-tidy.sh build || style_status=$?
phase "format and tidy"
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
cat "$fuzz_log"
rm -f "$fuzz_log"
phase "fuzz"
((style_status == 0)) || { echo "test.sh: format or tidy check failed" >&2; exit "$style_status"; }
((fuzz_status == 0)) || { echo "test.sh: a fuzz target failed (log above)" >&2; exit "$fuzz_status"; }

cd build && ctest --output-on-failure -j 2 --timeout 600
