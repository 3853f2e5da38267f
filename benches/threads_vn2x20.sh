#!/usr/bin/env bash
# `invsync plan` on VN2 week 0 x 20 (11,980 items) with one thread and with two, alternated
# in one run (1, 2, 1, 2 ...), for the wide reader (sales.csv + instock.csv + state.csv)
# and, when DIR/long.csv exists, the long one (the same items, `in_stock` column, + state).
# Prints every run's wall and CPU time, then per reader the median wall time of each side
# and the median of the pairs' speed-ups (one-thread wall / two-thread wall). Checks that
# both thread counts write the same plan.
#
#   python3 ../shared/peers/vn2x20.py ../shared/data/vn2 /tmp/vn2x20   # the workload
#   bash benches/threads_vn2x20.sh /tmp/vn2x20 [PAIRS]                 # default 3 pairs
#
# long.csv (Store,Product,date,quantity,in_stock, grouped by item) is made from the wide
# files, e.g. with pandas: melt sales.csv and instock.csv on (Store, Product), merge on
# (Store, Product, date). INVSYNC names the binary (default target/release/invsync).
# Wall time needs both cores free: on a shared machine other tenants' load shows here.
set -euo pipefail
dir=${1:?usage: threads_vn2x20.sh DIR [PAIRS]}
pairs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${INVSYNC:-$root/target/release/invsync}
[[ -x $bin ]] || { echo "no invsync binary at $bin (cargo build --release -p invsync-cli)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rules=(--lead-time 2 --review-period 1 --holding-cost 0.2 --shortage-cost 1 --state "$dir/state.csv")

# "wall cpu" seconds of one run writing $out/plan$2.csv.
run() {
  local reader=$1 threads=$2 input
  if [[ $reader == wide ]]; then
    input=(--history "$dir/sales.csv" --in-stock "$dir/instock.csv")
  else
    input=(--history "$dir/long.csv")
  fi
  /usr/bin/time -f "%e %U %S" -o "$out/time" "$bin" plan --threads "$threads" "${input[@]}" "${rules[@]}" \
    --out "$out/plan$threads.csv" >/dev/null 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$out/time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

readers=(wide)
[[ -f $dir/long.csv ]] && readers+=(long)
for reader in "${readers[@]}"; do
  ones=() twos=() ratios=()
  for ((i = 1; i <= pairs; i++)); do
    read -r w1 c1 < <(run "$reader" 1)
    read -r w2 c2 < <(run "$reader" 2)
    cmp -s "$out/plan1.csv" "$out/plan2.csv" || { echo "$reader: plans differ between 1 and 2 threads" >&2; exit 1; }
    r=$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.3f", a / b }')
    echo "$reader pair $i: 1 thread ${w1} s wall (${c1} s CPU), 2 threads ${w2} s wall (${c2} s CPU), speed-up ${r}"
    ones+=("$w1") twos+=("$w2") ratios+=("$r")
  done
  echo "$reader median: 1 thread $(median "${ones[@]}") s, 2 threads $(median "${twos[@]}") s," \
    "speed-up $(median "${ratios[@]}") (target >= 1.8), $pairs pairs"
done
