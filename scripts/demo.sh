#!/usr/bin/env bash
# make demo: start the single window on ./demo-data (the embedded default:
# one process, a local log, SQLite), feed it a generated workload over HTTP,
# and print where to look. The server keeps running; `make demo-stop` ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/src/cli/ftzport
DATA=demo-data
PORT=${FTZ_DEMO_PORT:-8080}
PIDFILE=$DATA/serve.pid

if [ "${1:-}" = stop ]; then
  if [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null; then echo "demo server stopped"; fi
  rm -f "$PIDFILE"
  exit 0
fi

mkdir -p "$DATA"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "demo server already running (pid $(cat "$PIDFILE")); restarting it"
  kill "$(cat "$PIDFILE")"; sleep 1
fi
rm -rf "$DATA/node"  # each demo starts from an empty log (the workload would all be duplicates)
nohup "$BIN" serve --data "$DATA/node" --listen "127.0.0.1:$PORT" >"$DATA/serve.log" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }

SEED=${FTZ_DEMO_SEED:-1}
rm -rf "$DATA/workload"
"$BIN" gen --out "$DATA/workload" --parcels 2000 --per-message 20 --seed "$SEED"
# The bonded warehouse's stock (1210 lists wait for it): an operator's goods-in
# for every item record the workload uses.
for item in $(cat "$DATA"/workload/*CEB621Message.xml | grep -o '<ceb:itemRecordNo>[^<]*' | sed 's/.*>//' | sort -u); do
  curl -sf -X POST "http://127.0.0.1:$PORT/v1/admin/bonded/goods-in" \
    -d "{\"emsNo\":\"T2991W000001\",\"itemRecordNo\":\"$item\",\"qty\":\"100000\",\"entryNo\":\"GI-DEMO-$item\"}" \
    >/dev/null
done
"$BIN" submit -q "http://127.0.0.1:$PORT" "$DATA"/workload/*.xml | tail -n 1

orders=("$DATA"/workload/*CEB311Message.xml)
first=${orders[0]}
# sed reads to the end: `head` would SIGPIPE the grep and trip pipefail.
ebp=$(grep -o '<ceb:ebpCode>[^<]*' "$first" | sed -n '1s/.*>//p')
order=$(grep -o '<ceb:orderNo>[^<]*' "$first" | sed -n '1s/.*>//p')
buyer=$(grep -o '<ceb:buyerIdNumber>[^<]*' "$first" | sed -n '1s/.*>//p')
cat <<MSG

The single window is running (pid $(cat "$PIDFILE")), data in $DATA/node, log in $DATA/serve.log.
Look at:
  curl http://127.0.0.1:$PORT/readyz
  curl http://127.0.0.1:$PORT/v1/orders/$ebp/$order
  curl 'http://127.0.0.1:$PORT/v1/receipts?copCode=$ebp&limit=2'
  curl 'http://127.0.0.1:$PORT/v1/receipts?copCode=3301960401&limit=5'   (the customs broker: CEB622 120/800)
  curl http://127.0.0.1:$PORT/v1/inventory-lists/$ebp/$order      (the list's state)
  curl http://127.0.0.1:$PORT/v1/quota/$buyer                   (the buyer's annual quota, masked)
  curl http://127.0.0.1:$PORT/v1/bonded/T2991W000001/stock      (the bonded account's stock report)
  curl -X POST http://127.0.0.1:$PORT/v1/admin/bonded/write-off -d '{"emsNo":"T2991W000001","itemRecordNo":"$item","qty":"2","reason":"盘点破损"}'
                                                                (an operator takes 2 off a line)
  curl -N 'http://127.0.0.1:$PORT/v1/receipts/stream?copCode=$ebp'   (Server-Sent Events)
  curl http://127.0.0.1:$PORT/metrics
  $BIN submit http://127.0.0.1:$PORT $first        (a resend: duplicate receipts, -301010)
Stop it with: make demo-stop
MSG
