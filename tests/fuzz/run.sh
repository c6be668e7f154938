#!/bin/bash
# Fuzz seeds A..B with 2 worker processes: tests/fuzz/out/SEED.txt (its -v output), the releases
# in tests/fuzz/out/pkl/SEED.pkl (for pairs.py), and a summary at the end (tests/fuzz/out/summary.txt).
# env ENGINE=/path/to/a/git-archive-copy as for fuzz.py; OUT=dir to write elsewhere.
set -u
A=$1; B=$2
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/out}
PY=$HERE/../../.venv/bin/python
mkdir -p "$OUT/pkl"
export ENGINE=${ENGINE:-} FUZZ_OUT=$OUT
seq "$A" "$B" | xargs -P 2 -I{} sh -c \
  "$PY $HERE/fuzz.py -v --save '$OUT/pkl' {} > '$OUT/{}.txt' 2>&1 || echo '{} ERROR crashed' >> '$OUT/{}.txt'"
# the seed's line is the last line starting with the seed
for s in $(seq "$A" "$B"); do
  line=$(grep -sE "^$s (clean|PIN|ERROR|nothing)" "$OUT/$s.txt" | tail -1); echo "${line:-$s MISSING}"
done > "$OUT/summary-$A-$B.txt"
{
  echo "engine: ${ENGINE:-this checkout}  seeds $A..$B"
  awk '{print $2}' "$OUT/summary-$A-$B.txt" | sort | uniq -c
  echo "pinning: $(awk '$2=="PIN"{printf "%s ", $1}' "$OUT/summary-$A-$B.txt")"
  echo "errors:  $(awk '$2=="ERROR"||$2=="MISSING"{printf "%s ", $1}' "$OUT/summary-$A-$B.txt")"
  echo "small cells per seed (all releases): $(grep -h '^# small cells' "$OUT"/*.txt 2>/dev/null | awk '{s+=$4; n++; if($4==0)z++} END{printf "mean %.1f over %d seeds, %d with none", s/n, n, z}')"
} | tee "$OUT/summary.txt"
