"""The shipped classifier: probabilities, moods, batches, sample faces read as expected."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.errors import InvalidImage
from moodtune.samples import sample_faces
from moodtune.vision import EmotionClassifier


@pytest.fixture(scope="module")
def clf() -> EmotionClassifier:
    return EmotionClassifier()


def test_batch_of_any_size_gives_distributions(clf: EmotionClassifier) -> None:
    crops = np.random.default_rng(0).integers(0, 256, (5, 96, 96), dtype=np.uint8)
    probs = clf.predict_proba(crops)
    assert probs.shape == (5, 8)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(clf.mood_proba(probs).sum(axis=1), 1.0, atol=1e-5)


def test_batched_equals_one_by_one(clf: EmotionClassifier) -> None:
    crops = np.random.default_rng(1).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    together = clf.predict_proba(crops)
    apart = np.concatenate([clf.predict_proba(c) for c in crops])
    np.testing.assert_allclose(together, apart, atol=1e-5)


def test_smiling_astronaut_reads_positive(clf: EmotionClassifier) -> None:
    faces = dict(sample_faces())
    reading = clf.read(faces["astronaut"])[0]
    assert reading.emotion == "happiness"
    assert reading.mood == "positive"
    d = reading.to_dict()
    assert set(d) == {"emotion", "probabilities", "mood", "mood_probabilities"}


def test_flip_average_reads_a_face_and_its_mirror_image_the_same(clf: EmotionClassifier) -> None:
    faces = np.stack([crop for _, crop in sample_faces()])
    mirrored = np.ascontiguousarray(faces[:, :, ::-1])
    flip = EmotionClassifier(flip_average=True)
    assert not np.allclose(clf.predict_proba(faces), clf.predict_proba(mirrored), atol=1e-4)
    np.testing.assert_allclose(flip.predict_proba(faces), flip.predict_proba(mirrored), atol=1e-6)
    assert [r.emotion for r in flip.read(faces)] == [r.emotion for r in clf.read(faces)]


@pytest.mark.parametrize(
    "crops",
    [
        np.zeros((2, 48, 40), np.uint8),  # not square
        np.zeros((2, 4, 4), np.uint8),  # too small
        np.zeros((2, 48, 48, 3), np.uint8),  # colour: crops must be grayscale
    ],
)
def test_bad_crops_are_rejected(clf: EmotionClassifier, crops: np.ndarray) -> None:
    with pytest.raises(InvalidImage, match="square grayscale"):
        clf.predict_proba(crops)
