#!/usr/bin/env bash
# Installs the Debian 12 packages Myriad needs. `--test` adds what the test
# suite needs (Chromium for the browser tests, clang for the fuzz targets,
# Node.js for the e2e harness). Installs only what is missing.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-program-options-dev libssl-dev libsrtp2-dev
  nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libusrsctp-dev catch2
)
TEST_PACKAGES=(
  chromium clang libclang-rt-14-dev clang-format clang-tidy nodejs npm
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev yamllint
)

packages=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" == "--test" ]]; then
  packages+=("${TEST_PACKAGES[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # node and npm may come from outside Debian on developer machines.
    if [[ "$p" == nodejs || "$p" == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then
      continue
    fi
    missing+=("$p")
  fi
done

if (( ${#missing[@]} )); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
