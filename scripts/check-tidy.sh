#!/usr/bin/env bash
# Runs clang-tidy (the repo's .clang-tidy, warnings are errors) on every
# non-test C++ source, using the compile database of build dir $1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
mapfile -t files < <(git ls-files 'rtp/*.cpp' 'simulcast/*.cpp' 'congestion/*.cpp' 'config/*.cpp' \
  'signaling/*.cpp' 'server/*.cpp' 'server/**/*.cpp' 'loadtest/*.cpp' 'loadtest/**/*.cpp' 'bench/*.cpp')
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD_DIR" --quiet
echo "check-tidy: ${#files[@]} files clean"
