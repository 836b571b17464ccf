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


def test_shipped_model_computes_the_same_with_this_cpus_int8_kernels() -> None:
    """The fused int8 kernels that serve it give the same readings as the model's own graph on
    this CPU (x86 CPUs without VNNI once turned 6% of FER+ Valid faces to another emotion)."""
    from moodtune.vision.kernel_check import MIN_AGREEMENT, int8_kernel_agreement

    rng = np.random.default_rng(2)
    faces = np.stack([crop for _, crop in sample_faces()])
    noisy = np.clip(faces[None].astype(int) + rng.integers(-40, 41, (40, *faces.shape)), 0, 255)
    crops = np.concatenate([faces, noisy.reshape(-1, *faces.shape[1:]).astype(np.uint8)])
    agreement = int8_kernel_agreement(EmotionClassifier().path, crops)
    assert agreement.faces == len(crops) == 82
    assert agreement.same_top_emotion >= MIN_AGREEMENT and agreement.max_abs_diff < 0.25


def test_shipped_model_weights_keep_to_seven_bits() -> None:
    """int8 weights of at most 64 in magnitude (7 bits) cannot overflow the 16-bit sums of two
    u8 x s8 products that CPUs without VNNI compute (2 * 255 * 64 < 32,767)."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    graph = onnx.load(str(EmotionClassifier().path)).graph
    weights = [
        numpy_helper.to_array(t)
        for t in graph.initializer
        if t.data_type == onnx.TensorProto.INT8 and len(t.dims) >= 2
    ]
    convolutions = [n for n in graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    assert len(weights) == len(convolutions) > 0  # every convolution and the head is int8
    assert max(int(np.abs(w.astype(int)).max()) for w in weights) <= 64


def test_shipped_model_reads_ferplus_test_as_its_metadata_says(real_ferplus) -> None:
    """The figures the model card quotes are what this CPU computes (within 3 faces of 3,064)."""
    from moodtune.datasets import open_ferplus
    from moodtune.evaluation.run import evaluate_classifier

    clf = EmotionClassifier()
    report = evaluate_classifier(clf, open_ferplus(real_ferplus, "test"))
    stored = clf.meta.metrics["ferplus_test"]
    assert report["n"] == stored["n"] == 3064
    assert abs(report["accuracy"] - stored["accuracy"]) <= 3 / 3064 + 5e-5
    assert abs(report["mood"]["accuracy"] - stored["mood_accuracy"]) <= 3 / 3064 + 5e-5
