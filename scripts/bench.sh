#!/usr/bin/env bash
# make bench: the measurements of docs/performance.md, on this machine, now.
#  1. intake micro-benchmarks: raw pugixml parse vs full decode (same bytes),
#     JSON decode, engine + receipt, log group commit with fdatasync;
#  2. the window over HTTP keep-alive with the log on disk and fdatasync on:
#     single-document and 100-document messages, first as fast as possible
#     (closed loop), then offered at half that rate (open loop) for latency,
#     and single-document messages with HTTP/1.1 pipelining;
#  3. the read model alone; the clearance engine alone; a start from an
#     engine snapshot versus a full replay of the log.
# Each HTTP run starts a fresh server on a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release
SECONDS_PER_RUN=${FTZ_BENCH_SECONDS:-10}
OUT=${FTZ_BENCH_OUT:-build/bench-results}
mkdir -p "$OUT"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"

echo "== intake micro-benchmarks"
"$B/bench/intake_bench" --benchmark_min_time=1 --benchmark_out="$OUT/intake_bench.json" \
  --benchmark_out_format=json | grep -E '^BM_|^Benchmark'

# CPU seconds each thread of process $1 has used so far, summed by thread name.
thread_cpu() {
  for t in /proc/"$1"/task/*; do
    echo "$(cat "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
  done | awk '{cpu[$1] += $2} END {for (k in cpu) print k, cpu[k]}' | sort
}

# The server's CPU per document, by thread, between two thread_cpu snapshots:
# steadier than documents/s on a shared machine, and it shows where the time
# goes (docs/performance.md, "CPU per document").
cpu_per_document() {  # before after result_json
  local docs
  docs=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["docs_per_s"] * d["seconds"])' "$3")
  join "$1" "$2" | awk -v d="$docs" -v hz="$(getconf CLK_TCK)" '
    { us = ($3 - $2) / hz * 1e6 / d; total += us; line = line sprintf(" %s %.1f", $1, us) }
    END { printf "server CPU per document (us):%s; total %.1f\n", line, total }'
}

run_http() {  # per_message connections rate prefix [more ftz-loadgen flags]
  local data port pid result
  data=$(mktemp -d /tmp/ftz-bench-XXXXXX)
  port=$((20000 + RANDOM % 20000))
  "$B/src/cli/ftzport" serve --data "$data" --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local parcels=$(( $1 == 1 ? 100000 : 200000 ))
  thread_cpu "$pid" >"$data/cpu.before"  # the load generator's preparation costs the server nothing
  result=$("$B/bench/ftz-loadgen" --target "127.0.0.1:$port" --per-message "$1" --connections "$2" \
    --seconds "$SECONDS_PER_RUN" --parcels "$parcels" --rate "$3" --prefix "$4" \
    --latency-csv "$OUT/latency-$1x$2-$4.csv" "${@:5}" 2>>"$OUT/loadgen.err" |
    tee -a "$OUT/loadgen.txt" | grep RESULT | sed 's/^RESULT //')
  thread_cpu "$pid" >"$data/cpu.after"
  cpu_per_document "$data/cpu.before" "$data/cpu.after" "$result" | tee -a "$OUT/loadgen.txt" >&2
  # When the slow answers came (docs/performance.md, sessions 6 and 16: the
  # slow answers at half load come every 100 ms on the development machine).
  python3 bench/latency_episodes.py --max-episodes 12 --period-ms 100 \
    "$OUT/latency-$1x$2-$4.csv" | tee -a "$OUT/loadgen.txt" >&2
  echo "$result"
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^ftz_log_batch_messages_(sum|count)|^ftz_log_sync_seconds_(sum|count)' >>"$OUT/loadgen.txt" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

rate_of() { python3 -c 'import json,sys; print(int(json.loads(sys.stdin.read())["docs_per_s"]))'; }

: >"$OUT/loadgen.txt"
for shape in "1 64" "100 8"; do
  set -- $shape
  echo "== HTTP, $1 document(s) per message, $2 connections, closed loop"
  max=$(run_http "$1" "$2" 0 A | tee /dev/stderr | rate_of)
  half=$((max / 2))
  echo "== HTTP, $1 document(s) per message, open loop at half that rate ($half documents/s)"
  run_http "$1" "$2" "$half" B
done
# The floor: a responder that answers without doing anything, driven the same
# way, so the window's figures can be read as a fraction of what the load
# generator and loopback TCP leave on these two cores (docs/performance.md).
echo "== HTTP floor: ftz-http-floor (no work), 1 document per message, 64 connections, closed loop"
fport=$((20000 + RANDOM % 20000))
"$B/bench/ftz-http-floor" "$fport" &
fpid=$!
sleep 0.2
"$B/bench/ftz-loadgen" --target "127.0.0.1:$fport" --per-message 1 --connections 64 \
  --seconds "$SECONDS_PER_RUN" --parcels 100000 --rate 0 --prefix F 2>>"$OUT/loadgen.err" |
  tee -a "$OUT/loadgen.txt" | grep RESULT
kill "$fpid"; wait "$fpid" 2>/dev/null || true
echo "== HTTP, 1 document per message, 16 connections each pipelining 16 requests, closed loop"
run_http 1 16 0 P --pipeline 16
echo "== the read model alone (SQLite, one commit per 100 parcels)"
"$B/src/store/read_model_bench" --benchmark_min_time=2 --benchmark_out="$OUT/read_model_bench.json" \
  --benchmark_out_format=json | grep -E '^BM_|^Benchmark'
# The engine alone, and a start from a snapshot (small sizes here; the
# figures in docs/performance.md use --buyers 1600000 and 10 M records).
echo "== engine alone (records decoded)"
"$B/bench/ftz-engine-bench" --buyers "${ENGINE_BUYERS:-200000}" --lists 100000 | tee "$OUT/engine.txt"
echo "== start from a snapshot versus a full replay"
rdata=$(mktemp -d /tmp/ftz-restart-bench.XXXXXX)
"$B/bench/ftz-restart-bench" --data "$rdata/data" --parcels "${RESTART_PARCELS:-100000}" |
  tee "$OUT/restart.txt"
rm -rf "$rdata"
echo "results in $OUT/"
