#!/usr/bin/env bash
# One call on a GPU machine: train the GPU teacher (configs/teacher-effnet112.yaml), distil the
# shipped network from it and training-runs/cnn48-distilled (configs/cnn48-student.yaml), and send
# both runs back through $OUT (7 files: each run's best.pt, config.yaml, metrics.json, and train.log).
# Prepare first: scripts/gpu-prepare.sh, and send .pack/ferplus-gpu.npz and
# .pack/effnet-lite0-fp16.pth with the repository; on the GPU machine: bash scripts/gpu-train.sh
# Seconds of training for each run (its schedule is shortened to fit): TEACHER_S (default 300),
# STUDENT_S (default 150). SMOKE=1: a few batches of each, to rehearse on the CPU.
set -euo pipefail
: "${OUT:?OUT must name the folder whose files come back from the GPU machine}"
SCRIPT=gpu-train
PACK=${PACK:-.pack/ferplus-gpu.npz}
WEIGHTS=${WEIGHTS:-.pack/effnet-lite0-fp16.pth}
RUNS=${RUNS:-runs-gpu}
source "$(dirname "$0")/gpu-common.sh"
require_carried "$PACK" "$WEIGHTS"
log=$OUT/train.log
started=$(date +%s)
rm -rf "$RUNS"
train() {
    "$PY" -m moodtune.cli train "$@" --data "$PACK" --out-dir "$RUNS" "${extra[@]}" 2>&1 | tee -a "$log"
}
train --config configs/teacher-effnet112.yaml --set "arch_kwargs.weights=$WEIGHTS" \
    --set "time_budget_s=${TEACHER_S:-300}"
train --config configs/cnn48-student.yaml --set "teachers=[$RUNS/teacher-effnet112,training-runs/cnn48-distilled]" \
    --set "time_budget_s=${STUDENT_S:-150}"
for run in teacher-effnet112 cnn48-student; do
    mkdir -p "$OUT/$run"
    cp "$RUNS/$run/best.pt" "$RUNS/$run/config.yaml" "$RUNS/$run/metrics.json" "$OUT/$run/"
done
echo "gpu-train: done in $(($(date +%s) - started)) s" | tee -a "$log"
