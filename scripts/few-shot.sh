#!/usr/bin/env bash
# Few-shot transfer learning on N-UCLA (issue 28; the table in BENCHMARKS.md, "Transfer learning"): a base
# network trained on 5 of the 10 actions, then the other 5 learnt from k clips per action (training views 1
# and 2), started from the base (`--init`, with each --freeze) or from scratch (the default length, and ten
# times that), chosen on the validation part (whole subjects of views 1 and 2), tested on view 3.
# One line of JSON per run in OUT/results.jsonl (k, seed, variant, validation and test accuracy, wall time).
#
# Usage: scripts/few-shot.sh CACHE OUT     (CACHE from `indrnn data build --format nucla`)
# Environment: SEEDS (default "1 2 3"), KS (default "1 3 5"), JOBS (runs at once, default 2),
#              FREEZES (default "0 1 3 5"), INIT_EPOCHS (epochs of the --init runs, default "default": the
#              trainer's), SCRATCH (0: no runs from scratch), EVAL_EVERY (default 5; 50 for the ten-times runs).
set -euo pipefail
CACHE=$(realpath "${1:?usage: scripts/few-shot.sh CACHE OUT}")
OUT=${2:?usage: scripts/few-shot.sh CACHE OUT}
SEEDS=${SEEDS:-1 2 3}
KS=${KS:-1 3 5}
JOBS=${JOBS:-2}
FREEZES=${FREEZES:-0 1 3 5}
INIT_EPOCHS=${INIT_EPOCHS:-default}
SCRATCH=${SCRATCH:-1}
EVAL_EVERY=${EVAL_EVERY:-5}
BASE_CLASSES='pick up with one hand,drop trash,sit down,donning,throw'
NEW_CLASSES='pick up with two hands,walk around,stand up,doffing,carry'
cd "$(dirname "$0")/.."
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
mkdir -p "$OUT/runs"
OUT=$(realpath "$OUT")
indrnn() { nice node dist/src/cli.js "$@"; }

if [ ! -f "$OUT/base.onnx" ]; then
  indrnn train --task skeleton --cache "$CACHE" --split cameras:1,2 --classes "$BASE_CLASSES" --threads 1 \
    --seed 1 --out "$OUT/base" --force --quiet --json >"$OUT/base.json"
  indrnn export --checkpoint "$OUT/base/checkpoint.safetensors" --out "$OUT/base.onnx" --name nucla-base5
fi

# One run: K SEED VARIANT [flags...]; appends its line to results.jsonl.
run() {
  local k=$1 seed=$2 variant=$3
  shift 3
  local dir="$OUT/runs/k$k-s$seed-$variant"
  indrnn train --task skeleton --cache "$CACHE" --split cameras:1,2 --classes "$NEW_CLASSES" --per-class "$k" \
    --threads 1 --seed "$seed" --out "$dir" --force --quiet --json "$@" >"$dir.json"
  node -e '
    const s = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const [k, seed, variant] = process.argv.slice(2);
    console.log(JSON.stringify({ k: +k, seed: +seed, variant, steps: s.steps, validation: s.validation?.bestMetric,
      test: s.finalTestMetric, wallSec: Math.round(s.wallTimeSec) }));
  ' "$dir.json" "$k" "$seed" "$variant" >>"$OUT/results.jsonl"
}
export -f run indrnn
export CACHE OUT NEW_CLASSES

{
  for seed in $SEEDS; do
    for k in $KS; do
      if [ "$SCRATCH" != 0 ]; then
        echo "$k $seed scratch --eval-every $EVAL_EVERY"
        echo "$k $seed scratch-x10 --epochs 2000 --eval-every 50"
      fi
      for f in $FREEZES; do
        for e in $INIT_EPOCHS; do
          if [ "$e" = default ]; then
            echo "$k $seed init-onnx-f$f --init $OUT/base.onnx --freeze $f --eval-every $EVAL_EVERY"
          else
            echo "$k $seed init-onnx-f$f-e$e --init $OUT/base.onnx --freeze $f --epochs $e --eval-every $EVAL_EVERY"
          fi
        done
      done
    done
  done
} | xargs -P "$JOBS" -L 1 bash -c 'run "$@"' _
echo "results: $OUT/results.jsonl"
