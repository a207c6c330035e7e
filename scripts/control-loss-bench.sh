#!/usr/bin/env bash
# Issue 6's benchmark: conference control on the data channel through the
# load generator's impaired path (scenario control-200: 200 participants,
# 60 ms RTT, 10,000 requests) at 0, 2, 5 and 10 % random loss each way.
# Prints one table row per loss rate: requests answered, the share answered
# within 200 ms of being sent and the p50/p90/p99 of that round trip, the
# one-way shares (uplink to the server, downlink back; the server's ack
# timestamps, a server on this host), the same for host -> owner
# notifications, and the muted-packet violations.
#
# Usage: scripts/control-loss-bench.sh BUILD_DIR [OUT_DIR] [extra myriad-loadtest flags]
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [OUT_DIR] [flags]}
out=${2:-/tmp/control-loss-bench}
shift $(($# >= 2 ? 2 : 1))
mkdir -p "$out"
for loss in 0 2 5 10; do
  "$build/loadtest/myriad-loadtest" --scenario control-200 --spawn-server "$build/myriad" \
    --server-log "$out/server-$loss.log" --loss-percent "$loss" --quiet \
    --report "$out/control-$loss.json" "$@" >"$out/summary-$loss.txt" || true
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| loss | answered | within 200 ms (round trip) | p50 / p90 / p99 ms "
      "| within 200 ms one way: uplink / downlink "
      "| notified | within 200 ms (host -> owner) | p50 / p90 / p99 ms | violations |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for loss in (0, 2, 5, 10):
    r = json.load(open(f"{out}/control-{loss}.json"))
    c = r["control"]
    rt, n = c["roundTripMs"], c["notificationMs"]
    one = c.get("oneWay")
    split = (f"{one['uplinkWithin200MsPercent']:.2f} / {one['downlinkWithin200MsPercent']:.2f} %"
             if one else "-")
    print(f"| {loss} % | {c['deliveredPercent']:.2f} % | {c['within200MsPercent']:.2f} % "
          f"| {rt['p50']:.0f} / {rt['p90']:.0f} / {rt['p99']:.0f} | {split} "
          f"| {c['notifiedPercent']:.2f} % | {c['notifiedWithin200MsPercent']:.2f} % "
          f"| {n['p50']:.0f} / {n['p90']:.0f} / {n['p99']:.0f} | {c['mutedPacketViolations']} |")
PY
