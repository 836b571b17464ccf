"""Does this CPU compute a quantized model the way the model says?

An int8 (QDQ) model states its arithmetic: each DequantizeLinear -> float operator ->
QuantizeLinear. onnxruntime fuses those into integer kernels, whose results depend on the CPU:
on x86 CPUs without VNNI (AVX2 only: AMD Zen 1-3, Intel before Ice Lake) u8 x s8 products are
added in pairs into 16-bit integers (``vpmaddubsw``) and saturate when weights use all 8 bits.
The shipped model, quantized with full 8-bit weights, read FER+ Valid at 86.7% instead of 88.2%
that way on an AMD EPYC (negative-mood recall 77.6% instead of 85.7%) while reading as designed
on a VNNI CPU. ``moodtune export --quantize`` therefore keeps weights to 7 bits and checks the result here:
the fused kernels against the unfused graph (the reference), face by face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from moodtune.vision.classifier import EmotionClassifier

# The top emotion may differ only where two emotions are within a few quantization steps: a
# deep network's integer kernels round each of its ~50 requantizations differently from the graph's
# float arithmetic (EfficientNet-Lite0 at 112 px: 1.2% of FER+ Valid faces change their top
# emotion, at no cost in accuracy: 89.11% fused, 89.24% float), while saturated 16-bit sums changed
# 6.3% and cost 1.5 points.
MIN_AGREEMENT = 0.98


@dataclass(frozen=True)
class KernelAgreement:
    faces: int
    same_top_emotion: float  # share of faces whose top emotion the two runs agree on
    max_abs_diff: float  # the largest difference of one probability

    @property
    def ok(self) -> bool:
        return self.same_top_emotion >= MIN_AGREEMENT

    def to_dict(self) -> dict[str, float | int]:
        return {
            "faces": self.faces,
            "same_top_emotion": round(self.same_top_emotion, 6),
            "max_abs_diff": round(self.max_abs_diff, 6),
        }


def int8_kernel_agreement(model_path: str | Path, crops: np.ndarray, batch: int = 256) -> KernelAgreement:
    """The model's raw probabilities on ``crops`` (uint8 ``(B, S, S)``) as serving computes them
    (``EmotionClassifier``'s own session: all graph optimisations, fused int8 kernels) against the
    unfused graph (no optimisation: the float arithmetic the QDQ nodes specify). A float model
    agrees up to float rounding."""
    clf = EmotionClassifier(model_path)
    x = clf.preprocess(crops)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    reference = ort.InferenceSession(str(clf.path), opts, providers=["CPUExecutionProvider"])
    name = reference.get_inputs()[0].name

    def unfused(part: np.ndarray) -> np.ndarray:
        return np.asarray(reference.run(None, {name: part})[0], dtype=np.float32)

    def run(network: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return np.concatenate([network(x[i : i + batch]) for i in range(0, len(x), batch)])

    a, b = run(clf.run_network), run(unfused)
    return KernelAgreement(
        faces=len(x),
        same_top_emotion=float((a.argmax(axis=1) == b.argmax(axis=1)).mean()),
        max_abs_diff=float(np.abs(a - b).max()),
    )
