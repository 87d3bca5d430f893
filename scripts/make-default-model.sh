#!/usr/bin/env bash
# Reproduces the shipped model from nothing: synthetic NTU-format data (fixed seed) -> dataset cache ->
# non-recurrent baseline -> res-IndRNN trained on the cross-subject and cross-view splits -> per-class
# evaluation -> ONNX export -> models/$NAME.onnx and models/$NAME.md. About 20-40 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${NAME:-ntu-synth}
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
# The two splits train side by side, one core each.
for split in xsub xview; do
  indrnn train --task skeleton --cache "$WORK/all.cache" --split "ntu60-$split" \
    --arch residual --depth 2 --hidden 128 --segments 40 --dropout 0 --no-augment \
    --epochs "$EPOCHS" --seed "$SEED" --threads 1 --quiet \
    --out "$WORK/run-$split" --force --json > "$WORK/train-$split.json" &
done
wait
indrnn export --checkpoint "$WORK/run-xsub/checkpoint.safetensors" --out "models/$NAME.onnx" --name "$NAME" --model-version 1
node dist/scripts/model-report.js --name "$NAME" --xsub "$WORK/run-xsub" --xview "$WORK/run-xview" \
  --baseline "$WORK/baseline.json" --baseline-first-frame "$WORK/baseline-first-frame.json" --synth "$WORK/synth.json" --model "models/$NAME.onnx"
