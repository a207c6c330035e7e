#!/usr/bin/env bash
# The `myriad` command line as an operator meets it: --help, --version,
# --check-config on good and bad files, environment overrides, and a clear
# one-line error with a non-zero exit for a bad config or a port in use.
# Usage: cli-test.sh PATH/TO/myriad
set -uo pipefail
BIN=${1:?usage: cli-test.sh PATH/TO/myriad}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
passed=0
failed=0

check() {  # check NAME EXPECTED_EXIT REGEX -- COMMAND...
  local name=$1 expected=$2 regex=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -eq $expected ]] && grep -Eq -- "$regex" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc, expected $expected; wanted /$regex/)"
    echo "$out" | head -20
  fi
}

one_line() {  # the error must be a single line
  local name=$1
  shift
  local lines
  lines=$("$@" 2>&1 | wc -l)
  if [[ $lines -eq 1 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name printed $lines lines"; fi
}

check "--version" 0 '^myriad [0-9]+\.[0-9]+\.[0-9]+' -- "$BIN" --version
check "--help lists options and variables" 0 'MYRIAD_HTTP_PORT' -- "$BIN" --help
check "unknown option" 2 'unknown option' -- "$BIN" --frobnicate
check "default config checks" 0 '"port": 7880' -- "$BIN" --check-config "$REPO/config/myriad.json"

echo '{"http": {"prot": 80}}' >"$TMP/unknown.json"
check "unknown key" 1 'unknown key "http.prot"' -- "$BIN" --config "$TMP/unknown.json"
one_line "unknown key is one line" "$BIN" --config "$TMP/unknown.json"
check "--check-config rejects unknown key" 1 'unknown key "http.prot"' -- "$BIN" --check-config "$TMP/unknown.json"

echo '{"http": {"port": "80"}}' >"$TMP/type.json"
check "wrong type" 1 '"http.port" must be an integer, got string' -- "$BIN" --config "$TMP/type.json"
check "--check-config rejects a wrong type" 1 '"http.port" must be an integer, got string' -- "$BIN" --check-config "$TMP/type.json"
one_line "wrong type is one line" "$BIN" --check-config "$TMP/type.json"

# A partial file: the effective config printed has its values and every default.
echo '{"http": {"port": 9000}, "drain": {"redirect_url": "wss://sfu.example.com/rtc"}}' >"$TMP/partial.json"
check "--check-config prints the file's values" 0 '"port": 9000' -- "$BIN" --check-config "$TMP/partial.json"
check "--check-config prints the defaults too" 0 '"grace_period_s": 30' -- "$BIN" --check-config "$TMP/partial.json"
check "--check-config prints the redirect" 0 '"redirect_url": "wss://sfu.example.com/rtc"' -- "$BIN" --check-config "$TMP/partial.json"
echo '{"drain": {"redirect_url": "https://sfu.example.com/rtc"}}' >"$TMP/redirect.json"
check "--check-config rejects a redirect that is no WebSocket URL" 1 '"drain.redirect_url" must be "" or a ws:// or wss:// URL' -- "$BIN" --check-config "$TMP/redirect.json"

echo '{"simulcast": {"ladder": [{"height": 360, "width": 640, "target_kbps": 500, "max_kbps": 700, "max_fps": 30}, {"height": 180, "width": 320, "target_kbps": 150, "max_kbps": 200, "max_fps": 15}]}}' >"$TMP/ladder.json"
check "--check-config rejects a bad simulcast ladder" 1 '"simulcast\.ladder\[1\]\.height" must be greater than the previous level' -- "$BIN" --check-config "$TMP/ladder.json"
one_line "bad simulcast ladder is one line" "$BIN" --check-config "$TMP/ladder.json"

echo '{"http": ' >"$TMP/broken.json"
check "invalid JSON" 1 'invalid JSON' -- "$BIN" --config "$TMP/broken.json"
check "missing file" 1 'cannot read config file' -- "$BIN" --config "$TMP/nope.json"

check "environment overrides the file" 0 '"port": 9123' -- env MYRIAD_HTTP_PORT=9123 "$BIN" --check-config "$REPO/config/myriad.json"
check "bad environment value" 1 'MYRIAD_HTTP_PORT must be an integer' -- env MYRIAD_HTTP_PORT=90x "$BIN" --check-config "$REPO/config/myriad.json"

# Port in use: hold a TCP port, then ask the server for it.
python3 - "$TMP/port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(60)
PY
for _ in $(seq 1 100); do [[ -s "$TMP/port" ]] && break; sleep 0.05; done
PORT=$(cat "$TMP/port")
check "HTTP port in use" 1 "cannot listen on HTTP 127.0.0.1:$PORT" -- env MYRIAD_HTTP_PORT="$PORT" MYRIAD_MEDIA_PORT_BASE=0 "$BIN"
one_line "port in use is one line" env MYRIAD_HTTP_PORT="$PORT" MYRIAD_MEDIA_PORT_BASE=0 "$BIN"

# Media port in use: hold a UDP port and make it worker 0's.
python3 - "$TMP/udp" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(60)
PY
for _ in $(seq 1 100); do [[ -s "$TMP/udp" ]] && break; sleep 0.05; done
UDP=$(cat "$TMP/udp")
check "media port in use" 1 "cannot bind media UDP port $UDP" -- env MYRIAD_HTTP_PORT="$PORT" MYRIAD_MEDIA_PORT_BASE="$UDP" MYRIAD_MEDIA_WORKERS=1 "$BIN"

# Access tokens: `myriad token` signs with the configured key; secrets never reach the output.
KEYS='{"main": "cli-test-secret-0123456789abcdefghijkl"}'
check "token prints a JWT" 0 '^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' -- env MYRIAD_AUTH_KEYS="$KEYS" "$BIN" token --room demo --identity alice
check "token without keys warns about the development key" 0 'development key' -- "$BIN" token --room demo --identity alice
check "token usage error" 2 'myriad token: --identity is required' -- "$BIN" token --room demo
check "short secret is a config error" 1 '"auth.keys.main" must be at least 32 bytes' -- env MYRIAD_AUTH_KEYS='{"main": "short"}' "$BIN" --check-config "$REPO/config/myriad.json"
check "--check-config redacts secrets" 0 '"main": "<redacted: 38 bytes>"' -- env MYRIAD_AUTH_KEYS="$KEYS" "$BIN" --check-config "$REPO/config/myriad.json"
check "--check-config leaves the secret out" 0 '^0$' -- bash -c 'env MYRIAD_AUTH_KEYS="$0" "$1" --check-config "$2" 2>&1 | grep -c cli-test-secret; true' "$KEYS" "$BIN" "$REPO/config/myriad.json"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
