#!/usr/bin/env bash
# PKU-MMD off-camera benchmark: the figures of a model on each camera of its held-out videos (recordings
# 250 and above; cameras 1, 2, 3 = left, middle, right), through `indrnn eval --split` with a part filter
# (docs/data.md, "Splits"). Train for it with one of
#   indrnn train --task skeleton --cache pku8.cache --split recordings:1-249+train-cameras:2   # middle only
#   indrnn train --task skeleton --cache pku8.cache --split recordings:1-249                  # all cameras
#
# Usage: scripts/pku-cameras.sh clips CHECKPOINT            clip accuracy per camera (indrnn eval)
#        scripts/pku-cameras.sh detect MODEL.onnx CACHE     mAP@0.5 and frame accuracy per camera
#                                                           (indrnn eval --detection; CACHE from
#                                                           data build --untrimmed)
# HELD sets the held-out split (default recordings:1-249: recordings 250 and above are tested).
set -euo pipefail
cd "$(dirname "$0")/.."
HELD=${HELD:-recordings:1-249}
NAMES=([1]=left [2]=middle [3]=right)
indrnn() { node dist/src/cli.js "$@"; }
usage() {
  echo "usage: scripts/pku-cameras.sh clips CHECKPOINT | detect MODEL.onnx CACHE" >&2
  exit 2
}

case "${1:-}" in
  clips)
    [ $# -eq 2 ] || usage
    printf '%-8s %6s %9s\n' camera clips accuracy
    for c in 1 2 3; do
      r=$(indrnn eval --checkpoint "$2" --split "$HELD+test-cameras:$c" --json)
      jq -r --arg cam "${NAMES[$c]}" '"\($cam)\t\(.count)\t\(.accuracy * 100)"' <<<"$r" |
        awk -F'\t' '{ printf "%-8s %6s %7.1f %%\n", $1, $2, $3 }'
    done
    ;;
  detect)
    [ $# -eq 3 ] || usage
    printf '%-8s %10s %8s %14s\n' camera recordings mAP@0.5 frame-accuracy
    for c in 1 2 3; do
      r=$(indrnn eval --detection --model "$2" --cache "$3" --split "$HELD+test-cameras:$c" --json)
      jq -r --arg cam "${NAMES[$c]}" '"\($cam)\t\(.recordings)\t\(.mAP["0.5"])\t\(.frameAccuracy * 100)"' <<<"$r" |
        awk -F'\t' '{ printf "%-8s %10s %8.3f %12.1f %%\n", $1, $2, $3, $4 }'
    done
    ;;
  *) usage ;;
esac
