"""The perturbations of a face crop behave as their names say, and the robustness report counts a
flip against the clean reading, not against the label. Every crop here is drawn in code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodtune.datasets import open_dataset
from moodtune.datasets.base import FaceDataset
from moodtune.emotions import DEFAULT_MOOD_GROUPS, EMOTIONS
from moodtune.evaluation.robustness import (
    CLEAN,
    PERTURBATIONS,
    blur_sigma,
    robustness_report,
)
from moodtune.vision.classifier import EmotionClassifier


def disc(size: int = 48, radius: float = 10.0) -> np.ndarray:
    img = np.full((size, size), 40, dtype=np.uint8)
    c = (size - 1) / 2
    yy, xx = np.mgrid[:size, :size]
    img[(yy - c) ** 2 + (xx - c) ** 2 <= radius**2] = 220
    return img


def bar(size: int = 48) -> np.ndarray:
    """A horizontal bright bar through the centre."""
    img = np.full((size, size), 30, dtype=np.uint8)
    c = size // 2
    img[c - 2 : c + 2, size // 6 : size - size // 6] = 230
    return img


def textured(size: int = 48, seed: int = 0) -> np.ndarray:
    """A smooth face-like gradient with some texture: what JPEG and blur would change."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    base = 60 + 120 * np.exp(-((xx - 0.5) ** 2 + (yy - 0.45) ** 2) / 0.08)
    return np.clip(base + rng.normal(0, 12, (size, size)), 0, 255).astype(np.uint8)


def bright_area(img: np.ndarray) -> int:
    return int((img > 130).sum())


def centroid(img: np.ndarray) -> tuple[float, float]:
    """(x, y) of the brightness above the background, to a fraction of a pixel."""
    m = cv2.moments(np.clip(img.astype(np.float32) - float(img.min()), 0, None))
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def orientation_deg(img: np.ndarray) -> float:
    """The bright shape's long axis in degrees, counter-clockwise as seen on screen."""
    m = cv2.moments((img > 130).astype(np.uint8), binaryImage=True)
    # Image y points down: an axis that rises to the right has a negative mu11.
    return float(-np.degrees(0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])))


@pytest.mark.parametrize("name", list(PERTURBATIONS))
@pytest.mark.parametrize("size", [48, 64])
def test_every_perturbation_keeps_shape_and_dtype_and_changes_a_face(name: str, size: int) -> None:
    crops = np.stack([textured(size, seed) for seed in range(3)])
    before = crops.copy()
    out = PERTURBATIONS[name](crops)
    assert out.shape == crops.shape and out.dtype == np.uint8
    assert np.array_equal(crops, before), "a perturbation must not write into its input"
    assert not np.array_equal(out, crops)
    # Each face is perturbed on its own: the batch gives what one face at a time gives.
    assert np.array_equal(out[1], PERTURBATIONS[name](crops[1:2])[0])
    assert PERTURBATIONS[name](crops[:0]).shape == (0, size, size)


@pytest.mark.parametrize(
    ("name", "area_ratio"),
    [("zoom_in_10", 1.1**2), ("zoom_out_10", 0.9**2)],
)
def test_zoom_scales_a_centred_disc_about_the_centre(name: str, area_ratio: float) -> None:
    crop = disc()[None]
    out = PERTURBATIONS[name](crop)[0]
    assert bright_area(out) / bright_area(crop[0]) == pytest.approx(area_ratio, rel=0.08)
    assert centroid(out) == pytest.approx(centroid(crop[0]), abs=0.1)


@pytest.mark.parametrize(
    ("name", "dx", "dy"),
    [
        ("shift_right_5", 1, 0),
        ("shift_left_5", -1, 0),
        ("shift_down_5", 0, 1),
        ("shift_up_5", 0, -1),
    ],
)
@pytest.mark.parametrize("size", [48, 96])
def test_shift_moves_the_face_by_5_percent_of_the_side(name: str, dx: int, dy: int, size: int) -> None:
    crop = disc(size, radius=size / 5)[None]
    x0, y0 = centroid(crop[0])
    x1, y1 = centroid(PERTURBATIONS[name](crop)[0])
    assert (x1 - x0, y1 - y0) == pytest.approx((0.05 * size * dx, 0.05 * size * dy), abs=0.1)


@pytest.mark.parametrize(("name", "degrees"), [("rotate_+10", 10.0), ("rotate_-10", -10.0)])
def test_rotation_turns_a_bar_by_10_degrees(name: str, degrees: float) -> None:
    crop = bar()[None]
    assert orientation_deg(crop[0]) == pytest.approx(0.0, abs=0.1)
    out = PERTURBATIONS[name](crop)[0]
    assert orientation_deg(out) == pytest.approx(degrees, abs=1.0)
    left, right = out[:, :16], out[:, 32:]
    rows = np.arange(out.shape[0])[:, None]
    left_y = (rows * (left > 130)).sum() / (left > 130).sum()
    right_y = (rows * (right > 130)).sum() / (right > 130).sum()
    # +10 (counter-clockwise) lifts the bar's right end: a smaller row index on screen.
    assert (right_y < left_y) == (degrees > 0)


def test_geometry_repeats_the_border_instead_of_adding_black_bars() -> None:
    crops = np.full((1, 48, 48), 150, dtype=np.uint8)
    for name in ("zoom_out_10", "shift_right_5", "rotate_+10", "rotate_-10"):
        assert PERTURBATIONS[name](crops).min() == 150, name


@pytest.mark.parametrize(("name", "factor"), [("darken_0.6", 0.6), ("brighten_1.4", 1.4)])
def test_brightness_scales_pixels_and_clips_at_white(name: str, factor: float) -> None:
    crops = np.array([[[0, 50, 100, 200, 255]] * 5], dtype=np.uint8)
    out = PERTURBATIONS[name](crops)
    expected = np.clip(np.rint(crops.astype(np.float64) * factor), 0, 255)
    assert np.array_equal(out, expected.astype(np.uint8))


def test_blur_softens_edges_keeps_the_mean_and_scales_with_size() -> None:
    assert blur_sigma(48) == 1.0 and blur_sigma(96) == 2.0
    crop = disc()[None]
    out = PERTURBATIONS["blur"](crop)[0]
    assert abs(float(out.mean()) - float(crop.mean())) < 1.0
    # The disc's edge becomes a ramp: intermediate grey levels appear.
    assert ((out > 60) & (out < 200)).sum() > 3 * ((crop[0] > 60) & (crop[0] < 200)).sum()
    # At twice the size the blur is twice as wide: the same picture, upscaled, blurs alike.
    big = cv2.resize(crop[0], (96, 96), interpolation=cv2.INTER_LINEAR)[None]
    big_out = cv2.resize(PERTURBATIONS["blur"](big)[0], (48, 48), interpolation=cv2.INTER_AREA)
    assert np.abs(big_out.astype(int) - out.astype(int)).mean() < 4.0


def test_jpeg_30_changes_pixels_but_keeps_the_mean() -> None:
    crops = np.stack([textured(48, seed) for seed in range(4)])
    out = PERTURBATIONS["jpeg_30"](crops)
    changed = np.abs(out.astype(int) - crops.astype(int))
    assert changed.mean() > 2.0
    assert np.abs(out.mean(axis=(1, 2)) - crops.mean(axis=(1, 2))).max() < 3.0


# A stand-in classifier that reads the mean brightness of a face:
#   < 40 anger, 40-80 sadness (both negative), 80-120 neutral, >= 120 happiness (positive).
def by_brightness(images: np.ndarray) -> np.ndarray:
    mean = images.reshape(len(images), -1).mean(axis=1)
    top = np.select(
        [mean < 40, mean < 80, mean < 120],
        [EMOTIONS.index("anger"), EMOTIONS.index("sadness"), EMOTIONS.index("neutral")],
        EMOTIONS.index("happiness"),
    )
    probs = np.full((len(images), len(EMOTIONS)), 0.02)
    probs[np.arange(len(images)), top] = 1 - 0.02 * (len(EMOTIONS) - 1)
    return probs


def in_memory(pixels: np.ndarray, labels: list[str]) -> FaceDataset:
    n = len(pixels)
    return FaceDataset(
        name="drawn",
        paths=tuple(Path(f"face{i}.png") for i in range(n)),
        classes=EMOTIONS,
        level="emotion",
        labels=np.asarray([EMOTIONS.index(x) for x in labels], dtype=np.int64),
        targets=np.zeros((n, len(EMOTIONS))),
        pixels=pixels,
    )


def test_flips_are_counted_against_the_clean_reading() -> None:
    # Flat faces at 100 (neutral) and 60 (sad); one of each labelled wrongly. Flat faces are left as
    # they are by every geometric change, blur and JPEG; only brightness moves the reading.
    pixels = np.stack([np.full((48, 48), v, dtype=np.uint8) for v in (100, 60, 100, 60)])
    data = in_memory(pixels, ["neutral", "sadness", "happiness", "anger"])
    report = robustness_report(by_brightness, data, 48, EMOTIONS, DEFAULT_MOOD_GROUPS, batch_size=3)
    rows = {r.name: r for r in report.rows}
    assert [r.name for r in report.rows] == [CLEAN, *PERTURBATIONS]
    # name: (emotion accuracy, mood accuracy, mood flips, emotion flips)
    expected = {
        CLEAN: (2 / 4, 3 / 4, 0.0, 0.0),
        # 100 -> 60 sadness (a new mood), 60 -> 36 anger (a new emotion, the same negative mood)
        "darken_0.6": (1 / 4, 2 / 4, 2 / 4, 4 / 4),
        # 100 -> 140 happiness, 60 -> 84 neutral: every mood flips
        "brighten_1.4": (1 / 4, 1 / 4, 4 / 4, 4 / 4),
        "zoom_in_10": (2 / 4, 3 / 4, 0.0, 0.0),
        "jpeg_30": (2 / 4, 3 / 4, 0.0, 0.0),
    }
    for name, (acc, mood_acc, mood_flip, emotion_flip) in expected.items():
        row = rows[name]
        assert (row.n, row.accuracy, row.mood_accuracy) == (4, acc, mood_acc), name
        assert (row.mood_flip, row.emotion_flip) == (mood_flip, emotion_flip), name
    assert report.worst.name == "brighten_1.4"
    d = report.to_dict()
    assert d["worst"] == {"name": "brighten_1.4", "mood_flip": 1.0} and d["n"] == 4


def test_an_unchanged_crop_never_flips_and_unlabelled_faces_are_left_out() -> None:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (20, 48, 48), dtype=np.uint8)
    labels = ["neutral", "sadness", "happiness", "anger"] * 5
    data = in_memory(pixels, labels)
    data = dataclasses.replace(data, labels=np.where(np.arange(20) < 3, -1, data.labels))
    identity = {"identity": lambda x: x.copy()}
    report = robustness_report(by_brightness, data, 48, EMOTIONS, DEFAULT_MOOD_GROUPS, identity)
    rows = {r.name: r for r in report.rows}
    assert rows["identity"].n == 17
    assert (rows["identity"].mood_flip, rows["identity"].emotion_flip) == (0.0, 0.0)
    assert rows["identity"].accuracy == rows[CLEAN].accuracy


def test_a_perturbation_must_keep_the_crop_shape() -> None:
    data = in_memory(np.zeros((2, 48, 48), dtype=np.uint8), ["neutral", "neutral"])
    with pytest.raises(ValueError, match="'half'"):
        robustness_report(
            by_brightness, data, 48, EMOTIONS, DEFAULT_MOOD_GROUPS, {"half": lambda x: x[:, ::2, ::2]}
        )


def test_the_shipped_model_reads_drawn_faces_steadily_enough_to_report(ferplus_tree: Path) -> None:
    clf = EmotionClassifier()
    data = open_dataset(f"ferplus:{ferplus_tree}", "test")
    report = robustness_report(
        clf.predict_proba, data, clf.meta.input_size, clf.meta.labels, clf.meta.mood_groups
    )
    assert [r.name for r in report.rows] == [CLEAN, *PERTURBATIONS]
    assert report.clean.n == len(data.labelled) > 0
    assert (report.clean.mood_flip, report.clean.emotion_flip) == (0.0, 0.0)
    for row in report.perturbed:
        assert 0.0 <= row.mood_flip <= 1.0 and 0.0 <= row.emotion_flip <= 1.0
        assert 0.0 <= row.accuracy <= 1.0 and 0.0 <= row.mood_accuracy <= 1.0
    assert report.worst.mood_flip == max(r.mood_flip for r in report.perturbed)
