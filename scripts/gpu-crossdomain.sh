#!/usr/bin/env bash
# One call on a GPU machine: for each FER2013 label weight in WEIGHTS (default "0 0.15 0.3 0.45"),
# side by side on one GPU, train EfficientNet-Lite0 at 112 px (configs/teacher-effnet112-mixed.yaml;
# the shipped model is its weight-0 run, training-runs/effnet112). With STUDENTS=1, then distil the
# compact CNN from each (configs/cnn48-student-mixed.yaml), and for FINETUNE_WEIGHT (empty: none)
# also fine-tune FINETUNE_FROM from that weight's network. Every run comes back through $OUT as one
# tar (best.pt, config.yaml, metrics.json, train.log), with summary.log: at most 8 files and
# 64 MiB (what comes back from the GPU machine: four 112 px networks, or three and four CNNs, fit).
# Prepare first: scripts/gpu-prepare.sh, and send .pack/ferplus-gpu.npz and
# .pack/effnet-lite0-fp16.pth with the repository; on the GPU machine: bash scripts/gpu-crossdomain.sh
# Seconds of training for each run (its schedule is shortened to fit): TEACHER_S (default 200),
# STUDENT_S (default 230). Each run is sent as soon as it ends.
# SMOKE=1: a few batches of each, to rehearse on the CPU.
set -euo pipefail
: "${OUT:?OUT must name the folder whose files come back from the GPU machine}"
SCRIPT=gpu-crossdomain
PACK=${PACK:-.pack/ferplus-gpu.npz}
WEIGHTS_FILE=${WEIGHTS_FILE:-.pack/effnet-lite0-fp16.pth}
RUNS=${RUNS:-runs-gpu}
WEIGHTS=${WEIGHTS:-0 0.15 0.3 0.45}
source "$(dirname "$0")/gpu-common.sh"
require_carried "$PACK" "$WEIGHTS_FILE"
started=$(date +%s)
rm -rf "$RUNS"
mkdir -p "$RUNS"

tag_of() { printf 'w%03d' "$(awk -v w="$1" 'BEGIN {printf "%d", w * 100 + 0.5}')"; }  # 0.5 -> w050

send() {  # one run folder -> $OUT/RUN.tar
    local run=$1
    cp "$RUNS/$run.log" "$RUNS/$run/train.log"
    tar -C "$RUNS" -cf "$OUT/$run.tar" "$run/best.pt" "$run/config.yaml" "$run/metrics.json" "$run/train.log"
}

teacher() {  # the teacher of one weight
    local w=$1 run
    run=teacher-effnet112-mixed-$(tag_of "$w")
    "$PY" -m moodtune.cli train --config configs/teacher-effnet112-mixed.yaml --data "$PACK" \
        --out-dir "$RUNS" --set "name=$run" --set "fer2013_weight=$w" \
        --set "arch_kwargs.weights=$WEIGHTS_FILE" --set "time_budget_s=${TEACHER_S:-200}" "${extra[@]}" \
        >"$RUNS/$run.log" 2>&1
    send "$run"
}

student() {  # the student of one weight's teacher; "finetune": from the shipped run's weights
    local w=$1 how=$2 run tag
    tag=$(tag_of "$w")
    run=cnn48-student-mixed-$tag
    local more=()
    if [ "$how" = finetune ]; then
        run=$run-ft
        more=(--set "init_from=$FINETUNE_FROM" --set lr=0.0005 --set warmup_epochs=0.5)
    fi
    "$PY" -m moodtune.cli train --config configs/cnn48-student-mixed.yaml --data "$PACK" \
        --out-dir "$RUNS" --set "name=$run" --set "fer2013_weight=$w" \
        --set "teachers=[$RUNS/teacher-effnet112-mixed-$tag]" --set "time_budget_s=${STUDENT_S:-230}" \
        "${more[@]}" "${extra[@]}" >"$RUNS/$run.log" 2>&1
    send "$run"
}

side_by_side() {  # run "$@" (each a quoted command) in parallel; fail if any failed
    local pids=() status=0
    for cmd in "$@"; do
        eval "$cmd" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || status=1
    done
    return "$status"
}

FINETUNE_WEIGHT=${FINETUNE_WEIGHT:-}
FINETUNE_FROM=${FINETUNE_FROM:-training-runs/cnn48-distilled}
status=0
teachers=() students=()
for w in $WEIGHTS; do
    teachers+=("teacher $w")
    students+=("student $w scratch")
done
if [ -n "$FINETUNE_WEIGHT" ]; then
    students+=("student $FINETUNE_WEIGHT finetune")
fi
side_by_side "${teachers[@]}" || status=1
echo "gpu-crossdomain: teachers done after $(($(date +%s) - started)) s"
if [ "${STUDENTS:-0}" = 1 ]; then
    side_by_side "${students[@]}" || status=1
fi
for log in "$RUNS"/*.log; do
    echo "== $log"
    grep -E "epoch|best|error|Error" "$log" | tail -n 6 || true
done | tee "$OUT/summary.log"
echo "gpu-crossdomain: done in $(($(date +%s) - started)) s (status $status)" | tee -a "$OUT/summary.log"
exit "$status"
