"""Personal calibration: correct a listener's readings by their own neutral face.

Faces differ at rest: some read as sad or angry (the original service's live webcam leaned toward
"negative" for real users), others read so firmly neutral that a real frown still reads neutral
(posed frowns of actors from another lab: the model card has the figures). The listener shows
their neutral face once; its reading ``b`` is the baseline. Later readings ``p`` are reweighted so
that the baseline reads as the model reads an average neutral face, ``t`` (the model's
``neutral_reading``, measured at export on FER+ Valid's neutral faces):
``p'_k ∝ p_k · (t_k / max(b_k, floor)) ** strength``, the prior-shift correction of Saerens et al.
(2002, "Adjusting the outputs of a classifier to new a priori probabilities") with the listener's
resting face as the shifted prior. A face that shows an emotion more than the resting face did
then reads it more than an average neutral face does. ``floor`` keeps an emotion the baseline
never showed from being amplified without bound. Full strength and a floor of 0.01 were chosen on
the Taiwanese actors' photos (each actor's other neutral photos as the baseline).

For a model whose metadata lacks ``neutral_reading`` (exported before it was measured), the target
is ``neutral_target`` (80% neutral, the rest spread evenly) at half strength and floor 0.05: at
full strength such a fixed target would flatten a face much sadder than the resting one too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from moodtune.emotions import EMOTIONS, check_probabilities
from moodtune.errors import InvalidMoodInput

NEUTRAL_SHARE = 0.8
"""How neutral the baseline face reads after calibration, for a model without a neutral reading."""

FLOOR = 0.05
STRENGTH = 0.5
REFERENCE_FLOOR = 0.01
REFERENCE_STRENGTH = 1.0


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
    reference: Sequence[float] | np.ndarray | None = None,
    floor: float | None = None,
    share: float = NEUTRAL_SHARE,
    strength: float | None = None,
) -> np.ndarray:
    """Corrected probabilities ``(N, L)`` (or ``(L,)``) for readings ``probs`` of a listener whose
    neutral face reads ``baseline`` (``(L,)``, in ``labels`` order), toward the model's
    ``reference`` reading of a neutral face (its ``ModelMeta.neutral_reading``; ``None`` or empty:
    ``neutral_target``). See the module docstring."""
    p = np.asarray(probs, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if b.shape != (len(labels),) or p.shape[-1] != len(labels):
        raise InvalidMoodInput(
            f"calibrate needs probabilities (_, {len(labels)}) and a baseline ({len(labels)},), "
            f"but got {p.shape} and {b.shape}"
        )
    if reference is not None and len(reference):
        t = np.asarray(reference, dtype=np.float64)
        if t.shape != (len(labels),) or t.min() < 0 or t.sum() <= 0:
            raise InvalidMoodInput(
                f"the reference neutral reading must hold {len(labels)} probabilities, but got {list(t)}"
            )
        target = t / t.sum()
        floor = REFERENCE_FLOOR if floor is None else floor
        strength = REFERENCE_STRENGTH if strength is None else strength
    else:
        target = neutral_target(labels, share)
        floor = FLOOR if floor is None else floor
        strength = STRENGTH if strength is None else strength
    weights = (target / np.maximum(b / b.sum(), floor)) ** strength
    out = p * weights
    return out / out.sum(axis=-1, keepdims=True)
