#!/usr/bin/env bash
# Reproduces the detection model pku-mmd-detect (research use only, like its data): the 8 PKU-MMD two-person
# interactions plus the background "no action", trained on whole untrimmed recordings (every frame
# labelled, the frames between actions being no action), rate-sampled so that it streams and sends action
# start/end events (docs/streaming.md, "Action events").
#   1. recipe choice: candidate recipes trained on recordings 1-199, compared on 200-249 (validation);
#   2. the chosen recipe trained on recordings 1-249; held-out figures on recordings 250 and above
#      (indrnn eval --detection: frame accuracy, mAP@0.1/0.3/0.5, start delay, false starts);
#   3. decision rules compared on the training recordings (how the server's default was chosen);
#   4. ONNX export to models/pku-mmd-detect.onnx and the model card models/pku-mmd-detect.md (which also
#      compares it with models/pku-mmd.onnx on the held-out trimmed clips).
# One core per run (the figures reproduce exactly); about 10 minutes on 2 idle cores.
#
# Usage: scripts/make-detect-model.sh DATA_DIR     (DATA_DIR holds pku-mmd/, as released)
set -euo pipefail
DATA=$(realpath "${1:?usage: scripts/make-detect-model.sh DATA_DIR (holding pku-mmd/)}")
cd "$(dirname "$0")/.."
WORK=${WORK:-data/detect-model}
SEED=${SEED:-1}
NAME=pku-mmd-detect
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
indrnn() { node dist/src/cli.js "$@"; }

npm run -s build
mkdir -p "$WORK" models

CLASSES=12,14,16,18,21,24,26,27
BUILD=(data build --format pku-mmd --raw "$DATA/pku-mmd" --classes "$CLASSES")
indrnn "${BUILD[@]}" --untrimmed --out "$WORK/untrimmed.cache" --json > "$WORK/untrimmed-build.json"
indrnn "${BUILD[@]}" --untrimmed --split recordings:1-249 --part train --out "$WORK/untrimmed-train.cache" --json > /dev/null
indrnn "${BUILD[@]}" --out "$WORK/trimmed.cache" --json > /dev/null

COMMON=(--task skeleton --seed "$SEED" --sampling rate --fps 10 --rotate-deg 20 --threads 1 --shards 1 --quiet --force)

# 1. Candidate recipes, validated on recordings 200-249 (the held-out 250+ are not looked at).
# A candidate whose report is already in $WORK is not trained again (rerunning after an interruption).
declare -A CANDIDATES=(
  [w32-e40]="--window 32 --epochs 40"
  [w48-e40]="--window 48 --epochs 40"
)
NAMES=(w32-e40 w48-e40)
RECIPE_ARGS=()
for c in "${NAMES[@]}"; do
  RECIPE_ARGS+=(--recipe "$c: ${CANDIDATES[$c]}=$WORK/val-$c-eval.json")
  [ -s "$WORK/val-$c-eval.json" ] && continue
  # shellcheck disable=SC2086
  indrnn train "${COMMON[@]}" --cache "$WORK/untrimmed-train.cache" --split recordings:1-199 ${CANDIDATES[$c]} \
    --out "$WORK/val-$c" --json > "$WORK/val-$c.json"
  indrnn eval --detection --checkpoint "$WORK/val-$c/checkpoint.safetensors" --json > "$WORK/val-$c-eval.json.tmp"
  mv "$WORK/val-$c-eval.json.tmp" "$WORK/val-$c-eval.json"
done

# 2. The candidate with the best validation mAP@0.5, trained on all training recordings.
BEST=$(node -e '
  const [work, ...names] = process.argv.slice(1);
  const map = (c) => JSON.parse(require("fs").readFileSync(`${work}/val-${c}-eval.json`, "utf8")).mAP["0.5"];
  console.log(names.reduce((a, b) => (map(b) > map(a) ? b : a)));
' "$WORK" "${NAMES[@]}")
echo "recipe: $BEST (${CANDIDATES[$BEST]})"
read -r -a RECIPE <<< "${CANDIDATES[$BEST]}"
indrnn train "${COMMON[@]}" --cache "$WORK/untrimmed.cache" --split recordings:1-249 "${RECIPE[@]}" \
  --out "$WORK/$NAME" --json > "$WORK/$NAME.json"
indrnn export --checkpoint "$WORK/$NAME/checkpoint.safetensors" --out "models/$NAME.onnx" --name "$NAME" --model-version 1
EVAL=(eval --detection --model "models/$NAME.onnx" --cache "$WORK/untrimmed.cache" --split recordings:1-249)
indrnn "${EVAL[@]}" --json > "$WORK/$NAME-eval.json"
indrnn "${EVAL[@]}"

# 3. Decision rules on the training recordings.
RULE_ARGS=()
while read -r label flags; do
  # shellcheck disable=SC2086
  indrnn "${EVAL[@]}" --part train $flags --json > "$WORK/rule-$label.json"
  RULE_ARGS+=(--rule "$label=$WORK/rule-$label.json")
done <<'EOF'
default
no-smoothing --smoothing 0
faster --smoothing 0.3 --min-steps 2
lower --start-threshold 0.5 --end-threshold 0.3
stricter --start-threshold 0.7 --end-threshold 0.5
slower --min-steps 5
EOF

# 4. The card.
cat > "$WORK/intro.md" <<'EOF'
**Online action detection, trained on real people**: PKU-MMD phase 1 (Liu et al., 2017), Kinect v2
recordings of two people performing 8 interactions one after another with pauses between them (116
recordings of 70 videos from the left, middle and right cameras; the two people in the camera-x order). **Licence: the data set is for non-commercial research use only, and so is this
model.** The data is not part of this project: get it from its authors (docs/data.md).

A detection model: besides the 8 interactions it has the background label "no action", learnt from the
frames between the actions (and from the few stray actions of other classes), so a stream of people standing
or walking says so, and the server announces when an action starts and ends (docs/streaming.md, "Action
events"). Trained on windows cut from the whole recordings 1-249, a target at every step; evaluated on the
whole recordings numbered 250 and above (other sessions), as a live stream would see them.

Reproduce: `scripts/make-detect-model.sh DATA_DIR`.
EOF
{
  echo "indrnn ${BUILD[*]} --untrimmed --out $WORK/untrimmed.cache" | sed "s|$DATA|DATA|"
  echo "indrnn train ${COMMON[*]} --cache $WORK/untrimmed.cache --split recordings:1-249 ${RECIPE[*]} --out $WORK/$NAME"
  echo "indrnn export --checkpoint $WORK/$NAME/checkpoint.safetensors --out models/$NAME.onnx --name $NAME --model-version 1"
  echo "indrnn ${EVAL[*]}"
} > "$WORK/commands.txt"
node dist/scripts/detect-model-report.js --name "$NAME" --run "$WORK/$NAME" --model "models/$NAME.onnx" \
  --eval "$WORK/$NAME-eval.json" --intro "$WORK/intro.md" --commands "$WORK/commands.txt" \
  --trimmed-cache "$WORK/trimmed.cache" --plain-model models/pku-mmd.onnx "${RULE_ARGS[@]}" "${RECIPE_ARGS[@]}"
