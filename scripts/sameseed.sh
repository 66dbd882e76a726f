#!/usr/bin/env bash
# Same seed → same run: plays the catalogue N times with one seed and counts,
# per scenario run, the distinct history digests (result.json's
# history_digest) and the distinct outcome lines. Every run of the exact
# tier must give exactly one of each.
#
#   bash scripts/sameseed.sh [-n N] [-s SEED] [--busy K] [--wire] [--until HH:MM] [-- extra bitsim run flags]
#
# --busy K starts K `yes > /dev/null` loops pinned (taskset) to the same
# cores as bitsim, for the duration of the measurement. --until stops
# starting runs at that time of day (the summary counts the runs done).
set -euo pipefail
n=100 seed=42 busy=0 wire="" until=""
while [ $# -gt 0 ]; do
	case "$1" in
	-n) n=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	--busy) busy=$2; shift 2 ;;
	--wire) wire=--wire; shift ;;
	--until) until=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-n N] [-s SEED] [--busy K] [--wire] [--until HH:MM] [-- flags]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/bitsim" ./cmd/bitsim
cores=$(taskset -pc $$ | sed 's/.*: //')
for _ in $(seq "$busy"); do
	taskset -c "$cores" yes >/dev/null &
	pids+=($!)
done
start=$(date +%s)
fails=0 done=0
for i in $(seq "$n"); do
	if [ -n "$until" ] && [ "$(date +%H:%M)" \> "$until" ]; then
		break
	fi
	done=$i
	if ! taskset -c "$cores" "$work/bitsim" run --seed "$seed" $wire --format json --no-progress --out "$work/run-$i" "$@" >"$work/log-$i" 2>&1; then
		fails=$((fails + 1))
	fi
	for r in "$work/run-$i"/*/result.json; do
		name=$(basename "$(dirname "$r")")
		jq -r '[.history_digest] | @tsv' "$r" >>"$work/digest.$name"
		jq -r '[.passed, .deliveries, .effects, .duplicates, .sessions, .restarts, .bytes_sent, .bytes_resent, ([.jobs[].result.state] | join(","))] | @tsv' "$r" >>"$work/outcome.$name"
	done
	rm -rf "$work/run-$i"
done
took=$(($(date +%s) - start))
same=0 total=0 samecount=0
for d in "$work"/digest.*; do
	name=${d#"$work"/digest.}
	total=$((total + 1))
	k=$(sort -u "$d" | wc -l)
	c=$(sort -u "$work/outcome.$name" | wc -l)
	[ "$k" = 1 ] && same=$((same + 1)) || echo "$name: $k distinct digests in $(wc -l <"$d") runs"
	[ "$c" = 1 ] && samecount=$((samecount + 1)) || echo "$name: $c distinct outcomes (runs: passed deliveries effects duplicates sessions restarts sent resent):" \
		"$(cut -f1-8 "$work/outcome.$name" | sort | uniq -c | tr -s ' \t\n' ' ')"
done
echo "runs: $done of $n (seed $seed, ${wire:-exact} tier, $busy busy loops on cores $cores), failed runs: $fails, wall: ${took}s"
echo "identical history_digest: $same/$total scenario runs; identical outcome: $samecount/$total"
