#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds
# (default 15). Crashes fail the script.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-15}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMYRIAD_FUZZ=ON -DMYRIAD_BUILD_TESTS=ON >/dev/null
targets=$(cd tests/fuzz && ls Fuzz*.cpp 2>/dev/null | sed 's/\.cpp$//')
[[ -z "$targets" ]] && exit 0
cmake --build build-fuzz -j "$(nproc)" --target $targets
for t in $targets; do
  mkdir -p build-fuzz/corpus/$t
  seeds=""
  [[ -d tests/fuzz/corpus/$t ]] && seeds=tests/fuzz/corpus/$t
  # Real browser offers are the best seeds for the SDP parser.
  [[ $t == FuzzSdp ]] && seeds="$seeds tests/signaling/fixtures"
  echo "fuzz: $t for ${SECONDS_EACH}s"
  build-fuzz/tests/fuzz/$t -max_total_time="$SECONDS_EACH" -print_final_stats=0 \
    build-fuzz/corpus/$t $seeds 2>build-fuzz/$t.log || { tail -50 build-fuzz/$t.log; exit 1; }
done
