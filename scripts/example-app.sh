#!/usr/bin/env bash
# Runs the scenario catalogue against the example SQLite order application
# (examples/orderapp) in one mode, as the README's "Testing your
# application" does, and checks the outcome:
#   naive      bitsim must exit 1, exactly-once-effect failing on §14 cases
#              4, 5 and 7, each with its transaction id and cause chain;
#   idempotent bitsim must exit 0.
# usage: scripts/example-app.sh naive|idempotent OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?naive or idempotent}
out=${2:?output directory}
rm -rf "$out"; mkdir -p "$out/bin"
go build -o "$out/bin/orderapp" ./examples/orderapp/cmd/orderapp
go build -o "$out/bin/bitsim" ./cmd/bitsim

"$out/bin/orderapp" --mode "$mode" --listen 127.0.0.1:0 --db "$out/orders.db" --addr-file "$out/addr" &
app=$!
trap 'kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/addr" ] && break; sleep 0.1; done
[ -s "$out/addr" ] || { echo "orderapp did not start"; exit 1; }
url=$(cat "$out/addr")

set +e
"$out/bin/bitsim" run --app-url "$url/notify" --effects-url "$url/effects" --out "$out/run" --no-progress
rc=$?
set -e
echo "bitsim run against the $mode app exited $rc"
case "$mode" in
naive)
  [ "$rc" = 1 ] || { echo "want exit 1: the naive app applies duplicates"; exit 1; }
  go run ./internal/tools/reportcheck -report "$out/run/report.json" -checker exactly-once-effect \
    -fail case4-fallback-duplicate,case5-reforward-after-crash,case5-app-crash-before-reply,case7-app-timeout ;;
idempotent)
  [ "$rc" = 0 ] || { echo "want exit 0: the idempotent app applies each order once"; exit 1; }
  go run ./internal/tools/reportcheck -report "$out/run/report.json" -pass ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
