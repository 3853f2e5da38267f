#!/usr/bin/env bash
# `invsync plan` against the NumPy peer on VN2 week 0 x 20 (11,980 items), CPU time
# (user + system, whole process), alternated in one run: invsync, peer, invsync, peer ...
# Prints every run, then the median of each side and the median of the pairs' ratios.
#
#   python3 ../shared/peers/vn2x20.py ../shared/data/vn2 /tmp/vn2x20   # the workload
#   cargo build --release -p invsync-cli
#   bash benches/peer_vn2x20.sh /tmp/vn2x20 [PAIRS] [THREADS]          # 3 pairs, 1 thread
#
# Environment: INVSYNC (the binary, default target/release/invsync), PYTHON (a python3 with
# numpy, default python3), PEER (default ../shared/peers/numpy_peer.py beside the repo, or
# /work/shared/peers/numpy_peer.py). The peer runs with OPENBLAS_NUM_THREADS=1 and
# `--sweep --all-candidates` (its closest match to invsync's candidates).
set -euo pipefail
dir=${1:?usage: peer_vn2x20.sh DIR [PAIRS] [THREADS]}
pairs=${2:-3}
threads=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${INVSYNC:-$root/target/release/invsync}
python=${PYTHON:-python3}
peer=${PEER:-}
if [[ -z $peer ]]; then
  for p in "$root/../shared/peers/numpy_peer.py" /work/shared/peers/numpy_peer.py; do
    [[ -f $p ]] && peer=$p && break
  done
fi
[[ -x $bin ]] || { echo "no invsync binary at $bin (cargo build --release -p invsync-cli)" >&2; exit 2; }
[[ -f $peer ]] || { echo "no numpy_peer.py found (set PEER)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# CPU seconds (user + system) of one command, from GNU time's output file.
cpu() {
  /usr/bin/time -f "%U %S" -o "$out/time" "$@" >/dev/null 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
  awk '{ printf "%.3f\n", $1 + $2 }' "$out/time"
}
run_invsync() {
  cpu "$bin" plan --threads "$threads" --history "$dir/sales.csv" --in-stock "$dir/instock.csv" \
    --state "$dir/state.csv" --lead-time 2 --review-period 1 --holding-cost 0.2 --shortage-cost 1 \
    --out "$out/plan.csv"
}
run_peer() {
  OPENBLAS_NUM_THREADS=1 cpu "$python" "$peer" "$dir/sales.csv" "$dir/instock.csv" "$dir/state.csv" \
    "$out/peer.csv" --sweep --all-candidates
}

mine=() theirs=() ratios=()
for ((i = 1; i <= pairs; i++)); do
  a=$(run_invsync)
  b=$(run_peer)
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
  echo "pair $i: invsync ${a} s CPU, peer ${b} s CPU, invsync / peer ${r}"
  mine+=("$a") theirs+=("$b") ratios+=("$r")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: invsync $(median "${mine[@]}") s CPU, peer $(median "${theirs[@]}") s CPU," \
  "invsync / peer $(median "${ratios[@]}") (target <= 0.200), $pairs pairs, --threads $threads"
