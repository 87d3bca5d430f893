#!/usr/bin/env bash
# Reproduces the shipped models from nothing: synthetic NTU-format data (fixed seed) -> dataset cache ->
# non-recurrent baselines -> res-IndRNNs trained on the cross-subject and cross-view splits -> per-class
# evaluation -> ONNX export -> models/<name>.onnx and models/<name>.md. Two models:
#   ntu-synth         the paper's segment sampling (40 segments), whole actions (HTTP predict)
#   ntu-synth-stream  fixed-rate sampling (10 steps/s, windows of 32), a prediction at every step (streaming)
# About 15-30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-data/default-model}
SEED=${SEED:-1}
EPOCHS=${EPOCHS:-60}
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
indrnn() { node dist/src/cli.js "$@"; }

npm run -s build
mkdir -p "$WORK" models
indrnn data synth --out "$WORK/raw" --seed "$SEED" --json > "$WORK/synth.json"
indrnn data build --raw "$WORK/raw" --out "$WORK/all.cache" --json > "$WORK/build.json"
indrnn data baseline --cache "$WORK/all.cache" --json > "$WORK/baseline.json"
indrnn data baseline --cache "$WORK/all.cache" --center first-frame --json > "$WORK/baseline-first-frame.json"

# make_model NAME FLAGS...: trains on both splits side by side (one core each), exports the
# cross-subject model and writes its report.
make_model() {
  local name=$1
  shift
  for split in xsub xview; do
    indrnn train --task skeleton --cache "$WORK/all.cache" --split "ntu60-$split" \
      --arch residual --depth 2 --hidden 128 --dropout 0 --no-augment --schedule plateau --patience 5 --view-align yaw "$@" \
      --epochs "$EPOCHS" --seed "$SEED" --threads 1 --shards 1 --quiet \
      --out "$WORK/$name-$split" --force --json > "$WORK/$name-$split.json" &
  done
  wait
  indrnn export --checkpoint "$WORK/$name-xsub/checkpoint.safetensors" --out "models/$name.onnx" --name "$name" --model-version 1
  node dist/scripts/model-report.js --name "$name" --xsub "$WORK/$name-xsub" --xview "$WORK/$name-xview" \
    --baseline "$WORK/baseline.json" --baseline-first-frame "$WORK/baseline-first-frame.json" \
    --synth "$WORK/synth.json" --model "models/$name.onnx"
}

make_model ntu-synth --sampling segments --segments 40
make_model ntu-synth-stream --sampling rate --fps 10 --window 32
