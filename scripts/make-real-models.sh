#!/usr/bin/env bash
# Reproduces the models trained on real people from the two public data sets (research use only):
#   nucla    N-UCLA (Kinect v1, kinect20, 1 body), 10 actions, whole actions (segment sampling);
#            cross-view: trained on views 1 and 2, evaluated on view 3.
#   pku-mmd  PKU-MMD phase 1, the 8 two-person interactions (ntu25, 2 bodies), rate-sampled so it streams;
#            trained on the clips of recordings 1-249, evaluated on those of recordings 250 and above.
#   penn-action  Penn Action's training half (2D keypoints from YouTube video, penn13, 1 body), 15 actions,
#            whole actions; trained on a stratified four fifths, evaluated on the fifth held out.
# Each is trained with the recipe below (the shipped model) and, where that differs, with the trainer's
# defaults (for the comparison in its model card); then per-class evaluation, ONNX export to
# models/<name>.onnx and the model card models/<name>.md. About 10 minutes on 2 cores (one core per run,
# so that the figures reproduce exactly).
#
# The detection model pku-mmd-detect (whole recordings, a "no action" class) has its own script beside this
# one: scripts/make-detect-model.sh.
#
# Usage: scripts/make-real-models.sh DATA_DIR [NAME...]
#   DATA_DIR holds nucla/, pku-mmd/ and penn-action/, as released; NAMEs (default: all three) pick models.
set -euo pipefail
DATA=$(realpath "${1:?usage: scripts/make-real-models.sh DATA_DIR [NAME...] (DATA_DIR holding nucla/, pku-mmd/ and penn-action/)}")
shift
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(nucla pku-mmd penn-action)
wanted() { [[ " ${NAMES[*]} " == *" $1 "* ]]; }
cd "$(dirname "$0")/.."
WORK=${WORK:-data/real-models}
SEED=${SEED:-1}
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
indrnn() { node dist/src/cli.js "$@"; }

npm run -s build
mkdir -p "$WORK" models

# The recipes (docs/data.md, "The default recipe" and "Real-data benchmarks", says how they were chosen).
# N-UCLA: plain 4 x 128 over 40 segments, 200 epochs (otherwise the defaults). PKU-MMD: rate sampling for
# streaming (also given to the defaults run it is compared with); see PKU_RECIPE below.
NUCLA_SAMPLING=()
NUCLA_RECIPE=(--arch plain --depth 4 --hidden 128 --segments 40 --epochs 200)
PKU_SAMPLING=(--sampling rate --fps 10 --window 32)
# Penn Action: the defaults, which for 2D keypoints take the joints and their motions as input streams
# (validation 98 % against 92-93 % for joints alone, seeds 1 and 2; BENCHMARKS.md, "Input streams").
PENN_RECIPE=()
# Models whose shipped weights are the recipe trained again on every clip (--split all --validation 0): the
# card's figures stay those of the split the recipe was chosen on.
declare -A SHIP_ALL=([penn-action]=1)
# PKU-MMD: the defaults (bodies in the camera-x order, rotation up to 45 degrees: on two seeds' validation
# parts 45 tied the 20 chosen before on one seed), the shipped weights trained on the whole training part
# (--validation 0: no validation part, the final weights of the step schedule; BENCHMARKS.md, "Seeds,
# ensembles and the whole training part").
PKU_RECIPE=(--validation 0)

# make_model NAME CACHE SPLIT NSAMPLING SAMPLING... RECIPE...: trains the recipe and the defaults (the same
# run when the recipe is empty), evaluates, exports, writes the card.
make_model() {
  local name=$1 cache=$2 split=$3 ns=$4
  shift 4
  local sampling=("${@:1:ns}") recipe=("${@:ns+1}")
  local train=(train --task skeleton --cache "$cache" --split "$split" --seed "$SEED")
  indrnn "${train[@]}" "${sampling[@]}" "${recipe[@]}" --threads 1 --shards 1 --quiet --force --out "$WORK/$name" --json > "$WORK/$name.json"
  local default_run=$WORK/$name
  if [ ${#recipe[@]} -gt 0 ]; then
    default_run=$WORK/$name-default
    indrnn "${train[@]}" "${sampling[@]}" --threads 1 --shards 1 --quiet --force --out "$default_run" --json > "$default_run.json"
  fi
  indrnn eval --checkpoint "$WORK/$name/checkpoint.safetensors" --json > "$WORK/$name-eval.json"
  local shipped=$WORK/$name final=()
  if [ -n "${SHIP_ALL[$name]:-}" ]; then
    shipped=$WORK/$name-all
    final=(--final-run "$shipped")
    indrnn train --task skeleton --cache "$cache" --seed "$SEED" --split all --validation 0 "${sampling[@]}" "${recipe[@]}" --threads 1 --shards 1 --quiet --force --out "$shipped" --json > "$shipped.json"
  fi
  indrnn export --checkpoint "$shipped/checkpoint.safetensors" --out "models/$name.onnx" --name "$name" --model-version 1
  {
    echo "indrnn ${CACHE_CMD[$name]}"
    echo "indrnn ${train[*]} ${sampling[*]} ${recipe[*]} --out $WORK/$name"
    if [ ${#recipe[@]} -gt 0 ]; then echo "indrnn ${train[*]} ${sampling[*]} --out $default_run   # the defaults"; fi
    echo "indrnn eval --checkpoint $WORK/$name/checkpoint.safetensors"
    if [ ${#final[@]} -gt 0 ]; then echo "indrnn train --task skeleton --cache $cache --split all --validation 0 --seed $SEED ${sampling[*]} ${recipe[*]} --out $shipped   # the shipped weights"; fi
    echo "indrnn export --checkpoint $shipped/checkpoint.safetensors --out models/$name.onnx --name $name --model-version 1"
  } | sed 's/  */ /g' > "$WORK/$name-commands.txt"
  node dist/scripts/real-model-report.js --name "$name" --run "$WORK/$name" --default-run "$default_run" "${final[@]}" \
    --model "models/$name.onnx" --intro "$WORK/$name-intro.md" --commands "$WORK/$name-commands.txt"
}

declare -A CACHE_CMD=(
  [nucla]="data build --format nucla --raw DATA/nucla --out $WORK/nucla.cache"
  [pku-mmd]="data build --format pku-mmd --raw DATA/pku-mmd --classes 12,14,16,18,21,24,26,27 --out $WORK/pku8.cache"
  [penn-action]="data build --format penn-action --raw DATA/penn-action --out $WORK/penn.cache"
)
if wanted nucla; then
  indrnn data build --format nucla --raw "$DATA/nucla" --out "$WORK/nucla.cache" --json > "$WORK/nucla-build.json"
fi
if wanted pku-mmd; then
  indrnn data build --format pku-mmd --raw "$DATA/pku-mmd" --classes 12,14,16,18,21,24,26,27 \
    --out "$WORK/pku8.cache" --json > "$WORK/pku8-build.json"
fi
if wanted penn-action; then
  indrnn data build --format penn-action --raw "$DATA/penn-action" --out "$WORK/penn.cache" --json > "$WORK/penn-build.json"
fi

cat > "$WORK/nucla-intro.md" <<'EOF'
**Trained on real people**: the Northwestern-UCLA Multiview Action 3D data set (N-UCLA; Wang et al.,
CVPR 2014), 1,484 clips of 10 actions by 10 subjects, each seen by 3 Kinect v1 cameras. **Licence: the data
set is for non-commercial research use only, and so is this model.** The data is not part of this project:
get it from its authors (the JSON skeletons distributed with CTR-GCN, folder `all_sqe`; docs/data.md).

Protocol: the standard cross-view split, trained on views 1 and 2 (`--split cameras:1,2`), evaluated on
view 3 (a viewpoint it never saw). For whole actions (HTTP predict): the paper's segment sampling, the
classifier reads the last step; not for streams.

Reproduce: `scripts/make-real-models.sh DATA_DIR` (builds the cache, trains this recipe and the trainer's
defaults, evaluates, exports, writes this card).
EOF
cat > "$WORK/pku-mmd-intro.md" <<'EOF'
**Trained on real people**: PKU-MMD phase 1 (Liu et al., 2017), Kinect v2 recordings of two people performing
interactions; the 8 two-person interactions cut from the labelled intervals of its recordings from all three
cameras (left, middle and right, about 45 degrees apart; 64 videos have the middle camera, 26 also the left
and right ones). **Licence: the data set is for non-commercial research use only, and so is this model.** The data
is not part of this project: get it from its authors (docs/data.md).

Protocol: the trainer's defaults with rate sampling, trained on the whole training part (`--validation 0`:
all clips of recordings 1-249, every camera; the final weights), evaluated on those of the recordings
numbered 250 and above (other sessions), every camera; per-camera figures below. The two people are put in a
canonical order (the camera-x body order, the default for two bodies: by x at the first frame, then held),
so which person the sensor lists first does not matter. Layout ntu25 with two bodies, so Kinect v2 and NTU
RGB+D-format input works as is; labels as in PKU-MMD's actions.csv, with NTU RGB+D action ids where the
names match. Rate-sampled (10 steps/s, a prediction at every step): it streams over the WebSocket
endpoint, and answers HTTP predict on whole clips; the accuracy below is read at the last step of the
centre 3.2 s window of each held-out clip.

Reproduce: `scripts/make-real-models.sh DATA_DIR` (builds the cache, trains this recipe and the trainer's
defaults, evaluates, exports, writes this card).
EOF

cat > "$WORK/penn-action-intro.md" <<'EOF'
**Trained on 2D keypoints from ordinary video**: the training half of Penn Action (Zhang, Zhu and Derpanis,
ICCV 2013), 1,258 YouTube clips of 15 sports and exercise actions, 13 joints annotated in image pixels.
**Licence: the data set is for research use only, and so is this model.** The data is not part of this
project: get it from its authors (docs/data.md).

Protocol: the recipe is the trainer's default (for 2D keypoints: the joints and their motions as input
streams, chosen on a validation part; left-right flip augmentation; the server computes the motions from the
joints a request sends), measured with a stratified fifth of the training half held out (`--split
random:0.2`: clips the model never saw) and a validation part choosing the weights; the shipped weights are
the same recipe trained again on all 1,258 clips. Layout penn13 (x, y in pixels, y down): send it as is, or send COCO-17 (YOLO-pose,
RTMPose, MMPose, MoveNet), OpenPose 18/25 or MediaPipe's 33 picture landmarks with `"layout"` and the server
maps them (docs/pose-estimators.md). The preprocessing makes it indifferent to where the person stands and
how large they appear. Whole actions (HTTP predict): segment sampling, the classifier reads the last step;
not for streams. It suits a webcam with a 2D pose estimator (the camera page picks a 2D model by default).

Reproduce: `scripts/make-real-models.sh DATA_DIR penn-action` (builds the cache, trains the recipe on the
split and on every clip, evaluates, exports, writes this card).
EOF

if wanted nucla; then
  make_model nucla "$WORK/nucla.cache" cameras:1,2 ${#NUCLA_SAMPLING[@]} "${NUCLA_SAMPLING[@]}" "${NUCLA_RECIPE[@]}"
fi
if wanted pku-mmd; then
  make_model pku-mmd "$WORK/pku8.cache" recordings:1-249 ${#PKU_SAMPLING[@]} "${PKU_SAMPLING[@]}" "${PKU_RECIPE[@]}"
fi
if wanted penn-action; then
  make_model penn-action "$WORK/penn.cache" random:0.2 0 "${PENN_RECIPE[@]}"
fi
