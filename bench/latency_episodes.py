#!/usr/bin/env python3
"""When were the slow answers? Reads `ftz-loadgen --latency-csv FILE` and
prints the episodes in which some request took longer than a threshold:
runs of 10 ms windows (by scheduled start) holding one, merged when at most
20 ms apart. A stall of the server shows as an episode across every
connection; episodes at a fixed period point at a periodic task. --period-ms P counts the slow answers by the tenth of a
P ms period in which they started: a cause with that period puts most of
them in one or two tenths (docs/performance.md, session 16: 100 ms).

    bench/latency_episodes.py FILE [--over-ms 8] [--max-episodes N] [--period-ms P ...]
"""
import argparse
import collections
import csv


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--over-ms", type=float, default=8.0, help="slow means over this (ms)")
    ap.add_argument("--max-episodes", type=int, default=0, help="list at most N (0: all)")
    ap.add_argument("--period-ms", type=float, action="append", default=[],
                    help="count the slow answers by tenth of this period (repeatable)")
    args = ap.parse_args()
    windows = collections.defaultdict(list)  # 10 ms window -> latencies (us)
    total = 0
    limit = args.over_ms * 1000
    slow_starts = []  # start_us of the slow answers
    with open(args.csv, newline="") as f:
        for row in csv.DictReader(f):
            start, latency = int(row["start_us"]), int(row["latency_us"])
            windows[start // 10_000].append(latency)
            if latency > limit:
                slow_starts.append(start)
            total += 1
    episodes = []
    for w in sorted(windows):
        if max(windows[w]) <= limit:
            continue
        if episodes and w - episodes[-1][-1] <= 2:
            episodes[-1].append(w)
        else:
            episodes.append([w])
    slow = sum(1 for v in windows.values() for x in v if x > limit)
    print(f"{total} requests, {slow} over {args.over_ms:g} ms, in {len(episodes)} episodes")
    for period_ms in args.period_ms:
        period_us = period_ms * 1000
        tenths = [0] * 10
        for start in slow_starts:
            tenths[min(9, int((start % period_us) * 10 // period_us))] += 1
        print(f"  by tenth of a {period_ms:g} ms period: {' '.join(map(str, tenths))}")
    for e in episodes[: args.max_episodes or None]:
        lat = [x for w in range(e[0], e[-1] + 1) for x in windows.get(w, [])]
        print(f"  at {e[0] / 100:6.2f} s for {(e[-1] - e[0] + 1) * 10:4d} ms: "
              f"{len(lat)} requests started, max {max(lat) / 1000:.1f} ms")


if __name__ == "__main__":
    main()
