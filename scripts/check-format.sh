#!/usr/bin/env bash
# Fails when a C++ source differs from the repo's .clang-format style.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find rtp server signaling simulcast congestion config loadtest tests bench -name '*.cpp' -o -name '*.h')
if (( ${#files[@]} == 0 )); then exit 0; fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
