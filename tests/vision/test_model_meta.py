"""Model metadata: validated on load, mood grouping read from it, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodtune.errors import ModelError
from moodtune.vision import EmotionClassifier, ModelMeta, default_model_path


def _meta(**kw) -> ModelMeta:
    base = dict(
        labels=("neutral", "happiness", "sadness"),
        mood_groups={"negative": ("sadness",), "neutral": ("neutral",), "positive": ("happiness",)},
        input_size=48,
        mean=0.5,
        std=0.25,
        version="t",
    )
    base.update(kw)
    return ModelMeta(**base)


def test_round_trip_and_mood_matrix(tmp_path: Path) -> None:
    m = _meta()
    m.save(tmp_path / "m.json")
    back = ModelMeta.load(tmp_path / "m.json")
    assert back == m
    np.testing.assert_array_equal(np.array([[0.2, 0.7, 0.1]]) @ back.mood_matrix(), [[0.1, 0.2, 0.7]])


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"mood_groups": {"happy": ("joy",)}}, "lacks"),  # a group names an unknown label
        ({"mood_groups": {"neutral": ("neutral",)}}, "exactly once"),  # labels left ungrouped
        ({"input_size": 4}, "input_size"),  # too small to be a face
        ({"std": 0.0}, "std"),  # division by zero in preprocessing
        ({"neutral_reading": (0.5, 0.5)}, "neutral_reading"),  # not one probability per label
    ],
)
def test_invalid_metadata(kw, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        _meta(**kw)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        ModelMeta.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ModelError, match="not valid JSON"):
        ModelMeta.load(tmp_path / "bad.json")
    (tmp_path / "partial.json").write_text(json.dumps({"labels": ["a"]}))
    with pytest.raises(ModelError, match="incomplete"):
        ModelMeta.load(tmp_path / "partial.json")


def test_missing_model_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="--model"):
        EmotionClassifier(tmp_path / "none.onnx")


def test_shipped_model_is_small_and_complete() -> None:
    path = default_model_path()
    meta = ModelMeta.load(path.with_suffix(".json"))
    assert path.stat().st_size + path.with_suffix(".json").stat().st_size < 10 * 1024 * 1024
    assert meta.labels == (
        "neutral",
        "happiness",
        "surprise",
        "sadness",
        "anger",
        "disgust",
        "fear",
        "contempt",
    )
    assert meta.mood_groups["positive"] == ("happiness", "surprise")
    assert "ferplus_test" in meta.metrics
    # what a listener's own neutral face is calibrated to: a distribution, neutral on top
    assert len(meta.neutral_reading) == len(meta.labels)
    assert sum(meta.neutral_reading) == pytest.approx(1.0, abs=1e-4)
    assert max(meta.neutral_reading) == meta.neutral_reading[meta.labels.index("neutral")]


def test_adjustment_from_metadata_changes_probabilities_as_documented(tmp_path: Path) -> None:
    from moodtune.vision.classifier import adjust_probabilities

    p = np.array([[0.5, 0.3, 0.2]], np.float32)
    # temperature 0.5 squares the odds; a bias of log(2) on the last label doubles its odds
    sharp = adjust_probabilities(p, 0.5, None)
    np.testing.assert_allclose(sharp, [[0.25, 0.09, 0.04]] / np.float32(0.38), rtol=1e-5)
    tilted = adjust_probabilities(p, 1.0, np.log(np.array([1, 1, 2], np.float32)))
    np.testing.assert_allclose(tilted, [[0.5, 0.3, 0.4]] / np.float32(1.2), rtol=1e-5)
    with pytest.raises(ModelError, match="one value per label"):
        _meta(logit_bias=(0.1, 0.2))
    with pytest.raises(ModelError, match="temperature"):
        _meta(temperature=0.0)
