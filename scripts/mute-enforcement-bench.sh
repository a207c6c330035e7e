#!/usr/bin/env bash
# Issue 6's mute enforcement latency: scenario control-200's control mix with
# 80 participants (4,000 requests at 160/s, 30 ms each way and 5 % loss each
# way on the media path), once with control on the data channel and once on
# the WebSocket, against a server started here so that its histogram
# myriad_control_mute_enforcement_seconds can be read from /metrics after the
# run. Prints one table row per path (docs/benchmarks.md "Mute enforcement
# latency").
#
# Usage: scripts/mute-enforcement-bench.sh BUILD_DIR [OUT_DIR]
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [OUT_DIR]}
out=${2:-/tmp/mute-enforcement-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true' EXIT
for path in datachannel websocket; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  MYRIAD_HTTP_PORT=$port MYRIAD_MEDIA_WORKERS=2 "$build/myriad" --config "$repo/config/myriad.json" \
    >"$out/server-$path.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1  # polling the server's start, bounded: 10 s
  done
  "$build/loadtest/myriad-loadtest" --scenario control-200 --server "127.0.0.1:$port" --server-pid "$pid" \
    --participants 80 --control-messages 4000 --control-rate 160 --control-path "$path" \
    --threads 2 --quiet --report "$out/report-$path.json" >"$out/summary-$path.txt" 2>&1 || true
  curl -sf "http://127.0.0.1:$port/metrics" >"$out/metrics-$path.txt"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
done
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
print("| path | mutes enforced | p50 | p90 | p99 | mean | round trips within 200 ms | violations |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for path, label in (("datachannel", "data_channel"), ("websocket", "websocket")):
    text = open(f"{out}/metrics-{path}.txt").read()
    buckets = []
    for line in text.splitlines():
        m = re.match(r'myriad_control_mute_enforcement_seconds_bucket\{(.*)\} (\S+)$', line)
        if not m or f'path="{label}"' not in m.group(1):
            continue
        le = re.search(r'le="([^"]+)"', m.group(1)).group(1)
        buckets.append((float("inf") if le == "+Inf" else float(le), float(m.group(2))))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    total_sum = float(re.search(r'myriad_control_mute_enforcement_seconds_sum\{path="%s"\} (\S+)' % label, text).group(1))
    def quantile(q):
        target, lower, below = q * total, 0.0, 0.0
        for upper, count in buckets:
            if count >= target:
                if upper == float("inf"):
                    return lower * 1000
                return (lower + (upper - lower) * ((target - below) / (count - below) if count > below else 0)) * 1000
            lower, below = upper, count
        return 0.0
    control = json.load(open(f"{out}/report-{path}.json"))["control"]
    mean = total_sum / total * 1000 if total else 0
    print(f"| {path} | {total:.0f} | {quantile(.5):.2f} ms | {quantile(.9):.2f} ms | {quantile(.99):.2f} ms "
          f"| {mean:.2f} ms | {control['within200MsPercent']:.2f} % | {control['mutedPacketViolations']} |")
PY
