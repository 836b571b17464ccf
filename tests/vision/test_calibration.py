"""Personal calibration: the listener's neutral face reads neutral, other expressions survive."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.emotions import EMOTIONS
from moodtune.errors import InvalidMoodInput
from moodtune.vision.calibration import calibrate, check_distribution


def dist(**kw: float) -> np.ndarray:
    v = np.array([kw.get(e, 0.0) for e in EMOTIONS], dtype=np.float64) + 1e-3
    return v / v.sum()


# a resting face that the model reads as mostly sad: the webcam bias toward "negative"
SAD_REST = dist(sadness=0.6, neutral=0.3, anger=0.1)


def test_the_baseline_face_itself_reads_neutral_after_calibration() -> None:
    out = calibrate(SAD_REST, SAD_REST)
    assert EMOTIONS[int(np.argmax(out))] == "neutral"
    assert out[EMOTIONS.index("neutral")] > 0.6
    assert out[EMOTIONS.index("sadness")] < 0.25


def test_a_clear_smile_stays_happy() -> None:
    smile = dist(happiness=0.9, neutral=0.1)
    out = calibrate(smile, SAD_REST)
    assert EMOTIONS[int(np.argmax(out))] == "happiness"


def test_a_sadder_than_usual_face_still_reads_sad() -> None:
    # at rest 60% sad; much sadder now (97%) must not be flattened into neutral
    sadder = dist(sadness=0.97, neutral=0.03)
    out = calibrate(sadder, SAD_REST)
    assert EMOTIONS[int(np.argmax(out))] == "sadness"


def test_batches_are_calibrated_row_by_row_and_sum_to_one() -> None:
    batch = np.stack([SAD_REST, dist(happiness=1.0)])
    out = calibrate(batch, SAD_REST)
    assert out.shape == (2, len(EMOTIONS))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        ({"neutral": 1.0}, "missing"),  # only one emotion given
        ({**{e: 0.1 for e in EMOTIONS}, "joy": 0.1}, "unknown"),  # a label the model lacks
        ({**{e: 0.1 for e in EMOTIONS}, "fear": -0.1}, ">= 0"),  # negative
        ({**{e: 0.1 for e in EMOTIONS}, "fear": float("nan")}, "finite"),  # NaN
        ({e: 0.0 for e in EMOTIONS}, "not be all zeros"),  # nothing at all
        ([0.1] * 8, "non-empty mapping"),  # a list instead of an object
    ],
)
def test_bad_distributions_say_what_is_wrong(probabilities: object, message: str) -> None:
    with pytest.raises(InvalidMoodInput, match=message):
        check_distribution(probabilities)  # type: ignore[arg-type]


def test_a_good_distribution_is_normalised() -> None:
    v = check_distribution({e: 2.0 for e in EMOTIONS})
    np.testing.assert_allclose(v, 1 / len(EMOTIONS))


# How a model reads an average neutral face (its ModelMeta.neutral_reading): mostly neutral.
REFERENCE = dist(neutral=0.74, sadness=0.14, happiness=0.05, surprise=0.02, anger=0.03, contempt=0.02)
# A resting face this model reads as firmly neutral: its real frowns stay under the neutral line.
FIRM_REST = dist(neutral=0.97, sadness=0.02, anger=0.01)


def test_with_the_models_neutral_reading_the_resting_face_reads_as_an_average_neutral_face() -> None:
    out = calibrate(FIRM_REST, FIRM_REST, reference=REFERENCE)
    neutral = EMOTIONS.index("neutral")
    assert EMOTIONS[int(np.argmax(out))] == "neutral"
    # the resting face's 97% neutral comes down to about the reference's 74% (emotions it never
    # showed, under the floor, are not amplified beyond it)
    assert abs(out[neutral] - REFERENCE[neutral] / REFERENCE.sum()) < 0.1
    # where the baseline shows an emotion above the floor, it maps exactly onto the reference
    sad = EMOTIONS.index("sadness")
    assert out[sad] / out[neutral] == pytest.approx(REFERENCE[sad] / REFERENCE[neutral], rel=1e-6)


def test_a_frown_of_a_firmly_neutral_face_reads_as_anger_after_calibration() -> None:
    frown = dist(neutral=0.7, anger=0.25, sadness=0.05)
    assert EMOTIONS[int(np.argmax(frown))] == "neutral"
    out = calibrate(frown, FIRM_REST, reference=REFERENCE)
    assert EMOTIONS[int(np.argmax(out))] == "anger"
    # while the same frown calibrated toward the fixed 80%-neutral target stays neutral
    assert EMOTIONS[int(np.argmax(calibrate(frown, FIRM_REST)))] == "neutral"


def test_a_bad_reference_reading_is_refused() -> None:
    with pytest.raises(InvalidMoodInput, match="reference neutral reading"):
        calibrate(SAD_REST, SAD_REST, reference=[1.0, 0.0])
