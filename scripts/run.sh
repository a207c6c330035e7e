#!/usr/bin/env bash
# Builds Myriad (Release) and starts it with the default config:
# demo page at http://127.0.0.1:7880/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMYRIAD_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target myriad
exec build-release/myriad --config config/myriad.json "$@"
