# Sourced by the scripts that run on a GPU machine (gpu-train.sh, gpu-crossdomain.sh): moodtune from
# the source tree, the check that the carried files arrived, and SMOKE=1's tiny settings.
# Needs SCRIPT (the caller's name, for messages); sets PY, extra.
PY=${PY:-python3}
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1

require_carried() {  # each argument: a file that must have travelled with the call
    local f
    for f in "$@"; do
        if [ ! -f "$f" ]; then
            echo "$SCRIPT: $f is missing: make it with scripts/gpu-prepare.sh and carry it" >&2
            exit 2
        fi
    done
}

extra=()
if [ "${SMOKE:-0}" = 1 ]; then  # a few batches of each run, to rehearse on the CPU
    extra=(--set limit_train=64 --set limit_valid=32 --set epochs=2 --set batch_size=16 --set threads=1)
fi
nvidia-smi -L 2>/dev/null || echo "$SCRIPT: nvidia-smi sees no GPU: training on the CPU"
