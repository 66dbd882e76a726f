#!/usr/bin/env bash
# The mutation suite (internal/mutant): builds bitsim once with -tags mutants,
# runs the scenario catalogue once without any mutant (it must pass), then
# once per registered mutant with BITSIM_MUTANT set, always with the same seed.
# A mutant is killed when at least one catalogue scenario run fails; a run
# that crashes or times out kills nothing. Prints, per mutant, the scenario
# runs that killed it; the last line is "mutation score: K/N killed", with the
# survivors named above it. Exit status 1 unless every mutant was killed.
#
#   bash scripts/mutants.sh                 # every mutant
#   bash scripts/mutants.sh NAME...         # only these
#   MUTANTS_SEED=7 bash scripts/mutants.sh  # another seed (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${MUTANTS_SEED:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/bitsim"
go build -tags mutants -o "$bin" ./cmd/bitsim

if [ $# -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(grep -oE '^\s*\{"[a-z0-9-]+"' internal/mutant/mutants.go | grep -oE '[a-z0-9-]+')
fi

# failed RUN_OUTPUT: the scenario runs whose verdict is not "pass".
failed() {
  awk '/^SCENARIO /{t=1; next} /^(report:|[0-9]+ of [0-9]+ )/{t=0} t && NF>1 && $NF!="pass"{print $1}' "$1"
}

run() { # run NAME: the catalogue with mutant NAME ("" for none)
  local out="$work/out-${1:-none}.txt"
  set +e
  BITSIM_MUTANT="$1" timeout 600 "$bin" run --seed "$seed" --no-progress --out "$work/run-${1:-none}" >"$out" 2>&1
  local rc=$?
  set -e
  rm -rf "$work/run-${1:-none}"
  echo "$rc"
}

rc=$(run "")
if [ "$rc" != 0 ]; then
  echo "mutants: the catalogue fails without any mutant (exit $rc):"; cat "$work/out-none.txt"; exit 1
fi

killed=0; survivors=()
for m in "${names[@]}"; do
  start=$SECONDS
  rc=$(run "$m")
  kills=$(failed "$work/out-$m.txt" | paste -sd ' ' -)
  if [ "$rc" = 1 ] && [ -n "$kills" ]; then
    killed=$((killed + 1))
    printf '%-36s killed by %s (%ds)\n' "$m" "$kills" $((SECONDS - start))
  else
    survivors+=("$m")
    why="every scenario passed"
    [ "$rc" != 0 ] && why="no scenario failed, run exit $rc: $(tail -n 3 "$work/out-$m.txt" | tr '\n' ' ')"
    printf '%-36s SURVIVED (%s)\n' "$m" "$why"
  fi
done
for m in "${survivors[@]}"; do echo "survivor: $m"; done
echo "mutation score: $killed/${#names[@]} killed"
[ "$killed" = "${#names[@]}" ]
