"""Personal calibration: correct a listener's readings by their own neutral face.

Some faces read as sad or angry at rest (the original service's live webcam leaned toward
"negative" for real users). The listener shows their neutral face once; its reading ``b`` is the
baseline. Later readings ``p`` are reweighted toward a neutral face ``t`` (``neutral_target``):
``p'_k ∝ p_k · (t_k / max(b_k, floor)) ** STRENGTH``, a damped form of the prior-shift correction
of Saerens et al. (2002, "Adjusting the outputs of a classifier to new a priori probabilities")
with the listener's resting face as the shifted prior. At full strength the baseline would map
exactly onto ``t``, but a face much sadder than the resting one would be flattened into neutral
too; at 0.5 the resting face reads neutral (~70%) while a clear change of expression still shows.
``floor`` keeps an emotion the baseline never showed from being amplified without bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from moodtune.emotions import EMOTIONS, check_probabilities
from moodtune.errors import InvalidMoodInput

NEUTRAL_SHARE = 0.8
"""How neutral the baseline face reads after calibration."""

FLOOR = 0.05
STRENGTH = 0.5


def neutral_target(labels: Sequence[str] = EMOTIONS, share: float = NEUTRAL_SHARE) -> np.ndarray:
    """``share`` on neutral, the rest spread evenly over the other labels."""
    rest = (1.0 - share) / (len(labels) - 1)
    return np.array([share if lab == "neutral" else rest for lab in labels], dtype=np.float64)


def check_distribution(probabilities: Mapping[str, float], labels: Sequence[str] = EMOTIONS) -> np.ndarray:
    """``{label: p}`` with exactly ``labels`` as keys, finite and >= 0, positive sum -> the
    normalised vector in ``labels`` order; ``InvalidMoodInput`` naming what is wrong otherwise
    (``emotions.check_probabilities``)."""
    checked = check_probabilities("probabilities", probabilities, tuple(labels), normalise=True)
    return np.array([checked[lab] for lab in labels], dtype=np.float64)


def calibrate(
    probs: np.ndarray,
    baseline: np.ndarray,
    labels: Sequence[str] = EMOTIONS,
    floor: float = FLOOR,
    share: float = NEUTRAL_SHARE,
    strength: float = STRENGTH,
) -> np.ndarray:
    """Corrected probabilities ``(N, L)`` (or ``(L,)``) for readings ``probs`` of a listener whose
    neutral face reads ``baseline`` (``(L,)``, in ``labels`` order). See the module docstring."""
    p = np.asarray(probs, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if b.shape != (len(labels),) or p.shape[-1] != len(labels):
        raise InvalidMoodInput(
            f"calibrate needs probabilities (_, {len(labels)}) and a baseline ({len(labels)},), "
            f"but got {p.shape} and {b.shape}"
        )
    weights = (neutral_target(labels, share) / np.maximum(b / b.sum(), floor)) ** strength
    out = p * weights
    return out / out.sum(axis=-1, keepdims=True)
