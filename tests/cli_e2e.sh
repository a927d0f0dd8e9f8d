#!/usr/bin/env bash
# The command line as a user runs it: gen, serve, submit, stop, replay — and
# replay with other rules must report the decisions that would differ.
set -euo pipefail
BIN=$1
SRC=$2
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$BIN" gen --out "$work/wl" --parcels 60 --per-message 7 --seed 3 >/dev/null
# Port 0: the kernel picks a free one (a random one could collide with
# another test's under ctest -j); serve prints the port it listens on.
"$BIN" serve --config "$SRC/data/serve.example.toml" --data "$work/data" --listen "127.0.0.1:0" \
  >"$work/serve.log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log"; exit 1; }
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
"$BIN" submit -q "http://127.0.0.1:$port" "$work"/wl/*.xml | tail -n 1 | tee "$work/submit.txt"
grep -q "240 documents accepted, 0 refused" "$work/submit.txt"
# One server per data directory: a second on the same one is refused at
# once; one whose port is taken exits too (timeout's 124 would be a hang).
set +e
timeout 20 "$BIN" serve --data "$work/data" --listen "127.0.0.1:0" \
  >"$work/second.txt" 2>&1
rc1=$?
timeout 20 "$BIN" serve --data "$work/busy-data" --listen "127.0.0.1:$port" >"$work/busy.txt" 2>&1
rc2=$?
set -e
cat "$work/second.txt" "$work/busy.txt"
[ "$rc1" -eq 1 ]
[ "$rc2" -eq 1 ]
grep -q "another process has this data directory open" "$work/second.txt"
grep -qi "address already in use" "$work/busy.txt"
# The port is taken before the data directory is opened: nothing was created.
[ ! -e "$work/busy-data" ]
# A resend is refused as duplicates, and submit says so with exit code 3.
set +e
"$BIN" submit -q "http://127.0.0.1:$port" "$work/wl/000001-CEB311Message.xml" >/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ]
# A directory or a missing file is not sent (it went out as an empty
# message); the rest is, and the exit code says something was not (1).
set +e
"$BIN" submit -q "http://127.0.0.1:$port" "$work/wl" "$work/missing.xml" \
  "$work/wl/000002-CEB311Message.xml" >"$work/submit2.txt" 2>&1
rc=$?
set -e
cat "$work/submit2.txt"
[ "$rc" -eq 1 ]
grep -q "is a directory" "$work/submit2.txt"
grep -q "submitted 1 of 3 files" "$work/submit2.txt"
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
# The ledger as an enterprise, another port and an auditor use it: the log's
# key; a newer checkpoint checked against an older one; a release receipt's
# proof bundle fetched, then checked offline with the key alone.
url="http://127.0.0.1:$port"
curl -sf "$url/tlog/key" >"$work/log.vkey"
for _ in $(seq 1 100); do  # a checkpoint is signed at most once a second
  curl -sf "$url/tlog/checkpoint" >"$work/old.checkpoint"
  [ "$(sed -n 2p "$work/old.checkpoint")" -gt 0 ] && break
  sleep 0.1
done
"$BIN" gen --out "$work/wl2" --parcels 1 --per-message 1 --seed 4 >/dev/null
"$BIN" submit -q "$url" "$work"/wl2/*CEB311Message.xml >/dev/null
for _ in $(seq 1 100); do
  curl -sf "$url/tlog/checkpoint" >"$work/new.checkpoint"
  [ "$(sed -n 2p "$work/new.checkpoint")" -gt "$(sed -n 2p "$work/old.checkpoint")" ] && break
  sleep 0.1
done
[ "$(sed -n 2p "$work/old.checkpoint")" -gt 0 ]
[ "$(sed -n 2p "$work/new.checkpoint")" -gt "$(sed -n 2p "$work/old.checkpoint")" ]
"$BIN" verify consistency --old "$work/old.checkpoint" --new "$work/new.checkpoint" --fetch "$url" \
  --key "$work/log.vkey"
set +e
"$BIN" verify consistency --old "$work/new.checkpoint" --new "$work/old.checkpoint" --fetch "$url" \
  --key "$work/log.vkey" 2>"$work/order.txt"
rc=$?
set -e
[ "$rc" -eq 1 ]
grep -q "wrong order" "$work/order.txt"
release=$(curl -sf "$url/v1/receipts?copCode=$agent&limit=1000" |
  grep -o '"leafIndex":[0-9]*,"answers":[0-9]*,"messageType":"CEB622Message","receipt":{[^}]*"returnStatus":"800"' |
  sed -n '1s/^"leafIndex":\([0-9]*\),.*/\1/p')
[ -n "$release" ]
"$BIN" verify fetch "$url" --index "$release" -o "$work/release.tlog-proof" --key "$work/log.vkey"
# The first level-0 tile as the window serves it, to compare with the export.
cp_size=$(sed -n 2p "$work/new.checkpoint")
if [ "$cp_size" -ge 256 ]; then tile0=tile/0/000; else tile0="tile/0/000.p/$cp_size"; fi
curl -sf "$url/tlog/$tile0" >"$work/served.tile"
kill "$pid"; wait "$pid" 2>/dev/null || true
"$BIN" verify bundle "$work/release.tlog-proof" --key "$work/log.vkey" | tee "$work/verify.txt"
grep -q "returnStatus 800" "$work/verify.txt"
sed 's/^index .*/index 0/' "$work/release.tlog-proof" >"$work/moved.tlog-proof"
set +e
"$BIN" verify bundle "$work/moved.tlog-proof" --key "$work/log.vkey" 2>"$work/moved.txt"
rc=$?
set -e
[ "$rc" -eq 1 ]
grep -q "NOT VERIFIED" "$work/moved.txt"
# The audit: the stopped directory matches its signed checkpoint; one flipped
# byte (inside the first record, CRC left as it was) is found and named.
# (Each check below is a command of its own: in `[ a ] && b` under set -e a
# false `[ a ]` stops nothing.)
"$BIN" audit --data "$work/data" --checkpoint "$work/new.checkpoint" --key "$work/log.vkey" |
  tee "$work/audit.txt"
grep -q "^ok: every record matches" "$work/audit.txt"
# Without --checkpoint: the one the server saved in DATA/ledger/checkpoint.
test -s "$work/data/ledger/checkpoint"
"$BIN" audit --data "$work/data" --key "$work/log.vkey" | tee "$work/audit-default.txt"
grep -q "^ok: every record matches" "$work/audit-default.txt"
cp -r "$work/data" "$work/tampered"
seg=$(ls "$work/tampered/log/"*.log | head -n 1)
off=200  # a segment is preallocated: its last byte is a zero past the records
byte=$(od -An -tu1 -j "$off" -N 1 "$seg" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="$seg" bs=1 seek="$off" conv=notrunc 2>/dev/null
set +e
"$BIN" audit --data "$work/tampered" --checkpoint "$work/new.checkpoint" --key "$work/log.vkey" \
  >"$work/audit2.txt"
rc=$?
set -e
cat "$work/audit2.txt"
[ "$rc" -eq 1 ]
grep -q "^TAMPERED: record [0-9]* (.*$(basename "$seg"), byte offset" "$work/audit2.txt"
# A static copy of the tree: the checkpoint and every tile as a plain file.
"$BIN" export-tiles --data "$work/data" --out "$work/site" | tee "$work/export.txt"
grep -q "^exported [1-9][0-9]* tiles" "$work/export.txt"
cmp "$work/site/checkpoint" "$work/data/ledger/checkpoint"
exported0=$(find "$work/site/tile/0" -type f -path '*/0/000*' | sort | sed -n 1p)
cmp <(head -c "$(stat -c %s "$work/served.tile")" "$exported0") "$work/served.tile"
"$BIN" replay --data "$work/data" | tee "$work/replay.txt"
grep -q " 0 differ" "$work/replay.txt"
# Rules that differ (a single-transaction limit of 100 yuan) change decisions: replay must say so.
sed 's/^single = "5000"/single = "100"/' "$SRC/data/rules/default.toml" >"$work/strict.toml"
grep -q '^single = "100"' "$work/strict.toml"
set +e
"$BIN" replay --data "$work/data" --rules "$work/strict.toml" >"$work/replay2.txt"
rc=$?
set -e
sed -n '1,4p' "$work/replay2.txt"
[ "$rc" -eq 1 ]
# (`! grep` would not stop the script: set -e ignores a negated command.)
if grep -q " 0 differ" "$work/replay2.txt"; then exit 1; fi
# ... and show what changed: the first pair's excerpts differ (they start
# just before the first difference, not at the receipt's common opening).
logged=$(grep -m1 '^  logged:' "$work/replay2.txt" | sed 's/^  logged: *//')
replayed=$(grep -m1 '^  replayed:' "$work/replay2.txt" | sed 's/^  replayed: *//')
[ -n "$logged" ]
[ "$logged" != "$replayed" ]
# A byte damaged early in the log (valid records after it) is reported, not
# taken for the end of the log: exit 2.
cp -r "$work/data" "$work/damaged"
seg=$(ls "$work/damaged/log/"*.log | head -n 1)
printf '#' | dd of="$seg" bs=1 seek=200 conv=notrunc 2>/dev/null
set +e
"$BIN" replay --data "$work/damaged" >/dev/null 2>"$work/replay3.txt"
rc=$?
set -e
cat "$work/replay3.txt"
[ "$rc" -eq 2 ]
grep -q "valid records follow" "$work/replay3.txt"
# gen refuses bad numbers and a directory already holding a workload (exit 2).
set +e
"$BIN" gen --out "$work/wl" --parcels 1 2>"$work/gen.txt"
rc1=$?
"$BIN" gen --out "$work/wl3" --parcels -5 2>>"$work/gen.txt"
rc2=$?
set -e
cat "$work/gen.txt"
[ "$rc1" -eq 2 ]
[ "$rc2" -eq 2 ]
grep -q "not empty" "$work/gen.txt"
# serve refuses a config file it does not fully understand, before it
# touches the data directory; export-tiles an empty --out.
printf '[server]\nlsiten = "127.0.0.1:1"\n' >"$work/typo.toml"
set +e
"$BIN" serve --config "$work/typo.toml" --data "$work/typo-data" 2>"$work/typo.txt"
rc1=$?
"$BIN" export-tiles --data "$work/data" --out "" 2>>"$work/typo.txt"
rc2=$?
set -e
cat "$work/typo.txt"
[ "$rc1" -eq 2 ]
[ "$rc2" -eq 2 ]
grep -q "unknown key 'lsiten' in \[server\]" "$work/typo.txt"
grep -q -- "--out is empty" "$work/typo.txt"
[ ! -e "$work/typo-data" ]
# Numbers out of range (a shift or a cast would have made them something
# else), and a rules file that is empty or a directory (the built-in rules
# would have run instead), are refused before the data directory is touched.
: >"$work/empty.toml"
printf 'version = "x"\n' >"$work/badrules.toml"
for bad in "[server]|threads = 100000|threads must be a whole number from 1 to 256" \
  "[server]|max_body_mb = 17592186044416|max_body_mb must be a whole number from 1 to 1024" \
  "[log]|segment_mb = 4096|segment_mb must be a whole number from 1 to 2048" \
  "[clearance]|rules = \"$work/empty.toml\"|rules file $work/empty.toml is empty" \
  "[clearance]|rules = \"$work\"|cannot read rules file $work (not a readable file)" \
  "[clearance]|rules = \"$work/badrules.toml\"|rules $work/badrules.toml: "; do
  IFS='|' read -r section line why <<<"$bad"
  printf '%s\n%s\n' "$section" "$line" >"$work/bad.toml"
  set +e
  "$BIN" serve --config "$work/bad.toml" --data "$work/typo-data" 2>"$work/bad.txt"
  rc=$?
  set -e
  cat "$work/bad.txt"
  [ "$rc" -eq 2 ]
  grep -qF "$why" "$work/bad.txt"
  [ ! -e "$work/typo-data" ]
done
echo "cli_e2e: ok"
