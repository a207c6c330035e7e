#!/usr/bin/env python3
"""Issue 5's estimator targets from a myriad-bench-bandwidth-step CSV.

Per phase: when the server's estimate first came within 20 % of the cap,
the share of samples within 20 %, and over the phase's second half the
utilisation (goodput / cap) and the p50/p95 of the per-sample largest
one-way delay (the bottleneck's queueing plus loopback).

Usage: bandwidth-step-targets.py CSV [PHASE_SECONDS]
"""
import csv
import sys


def percentile(values, share):
    return values[int(share * (len(values) - 1))] if values else float("nan")


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    phase_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    for phase in sorted({int(r["phase"]) for r in rows if int(r["phase"]) > 0}):
        samples = [r for r in rows if int(r["phase"]) == phase]
        cap = float(samples[0]["cap_kbps"])
        start = (phase - 1) * phase_seconds
        estimates = [(float(r["t_s"]), float(r["estimate_kbps"]))
                     for r in samples if r["estimate_kbps"]]
        within = [t for t, e in estimates if abs(e - cap) <= 0.2 * cap]
        first = f"{within[0] - start:.1f} s" if within else "never"
        share = len(within) / max(1, len(estimates))
        half = [r for r in samples if float(r["t_s"]) >= start + phase_seconds / 2]
        utilisation = sum(float(r["goodput_kbps"]) for r in half) / max(1, len(half)) / cap
        delays = sorted(float(r["max_delay_ms"]) for r in half if r["max_delay_ms"])
        print(f"phase {phase} ({cap:.0f} kbit/s): estimate first within 20 % after {first}, "
              f"{share:.0%} of samples within; second half: utilisation {utilisation:.2f}, "
              f"delay p50 {percentile(delays, 0.5):.0f} ms p95 {percentile(delays, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
