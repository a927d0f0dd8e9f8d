#!/usr/bin/env bash
# The command line as a user runs it: gen, serve, submit, stop, replay — and
# replay with other rules must report the decisions that would differ.
set -euo pipefail
BIN=$1
SRC=$2
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((30000 + RANDOM % 20000))
"$BIN" gen --out "$work/wl" --parcels 60 --per-message 7 --seed 3 >/dev/null
"$BIN" serve --config "$SRC/data/serve.example.toml" --data "$work/data" --listen "127.0.0.1:$port" \
  >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
"$BIN" submit -q "http://127.0.0.1:$port" "$work"/wl/*.xml | tail -n 1 | tee "$work/submit.txt"
grep -q "240 documents accepted, 0 refused" "$work/submit.txt"
# A resend is refused as duplicates, and submit says so with exit code 3.
set +e
"$BIN" submit -q "http://127.0.0.1:$port" "$work/wl/000001-CEB311Message.xml" >/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ]
# The lists were decided: the agent has CEB622 receipts beyond the declarations.
lists=("$work"/wl/*CEB621Message.xml)
agent=$(grep -o '<ceb:agentCode>[^<]*' "${lists[0]}" | sed -n '1s/.*>//p')  # no head: pipefail + SIGPIPE
decided=no
for _ in $(seq 1 100); do  # the read model follows the log a moment later
  if curl -sf "http://127.0.0.1:$port/v1/receipts?copCode=$agent&limit=1000" | grep -q '"returnStatus":"120"'; then
    decided=yes; break
  fi
  sleep 0.05
done
[ "$decided" = yes ]
kill "$pid"; wait "$pid" 2>/dev/null || true
"$BIN" replay --data "$work/data" | tee "$work/replay.txt"
grep -q " 0 differ" "$work/replay.txt"
# Rules that differ (a single-transaction limit of 100 yuan) change decisions: replay must say so.
sed 's/^single = "5000"/single = "100"/' "$SRC/data/rules/default.toml" >"$work/strict.toml"
grep -q '^single = "100"' "$work/strict.toml"
set +e
"$BIN" replay --data "$work/data" --rules "$work/strict.toml" >"$work/replay2.txt"
rc=$?
set -e
sed -n '1,2p' "$work/replay2.txt"
[ "$rc" -eq 1 ] && ! grep -q " 0 differ" "$work/replay2.txt"
echo "cli_e2e: ok"
