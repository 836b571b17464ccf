"""Image-folder reader (emotions, moods, synonyms) and the original FER2013 labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtune.datasets import open_dataset, open_fer2013, open_folder
from moodtune.emotions import EMOTIONS, MOODS
from moodtune.errors import DatasetError
from tests.fixtures import pattern_image, write_png


def _folder(root: Path, classes: dict[str, int], suffix: str = ".png") -> Path:
    rng = np.random.default_rng(0)
    for cls, n in classes.items():
        for i in range(n):
            write_png(root / cls / f"img{i}{suffix}", pattern_image(i % 8, rng, size=80))
    return root


def test_emotion_folders_with_synonyms(tmp_path: Path) -> None:
    ds = open_folder(_folder(tmp_path, {"happy": 3, "Angry": 2, "sad": 1}))
    assert ds.level == "emotion" and ds.classes == EMOTIONS
    assert ds.class_counts()["happiness"] == 3
    assert ds.class_counts()["anger"] == 2
    assert ds.class_counts()["sadness"] == 1
    images, _ = next(ds.iter_batches(6, 48))
    assert images.shape == (6, 48, 48)


def test_mood_folders_read_at_mood_level(tmp_path: Path) -> None:
    ds = open_folder(_folder(tmp_path, {"positive": 2, "neutral": 2, "angry": 1}))
    assert ds.level == "mood" and ds.classes == MOODS
    assert ds.class_counts() == {"negative": 1, "neutral": 2, "positive": 2}


def test_jpeg_and_webp_are_read(tmp_path: Path) -> None:
    _folder(tmp_path, {"happy": 1}, ".jpg")
    _folder(tmp_path, {"sad": 1}, ".webp")
    ds = open_dataset(f"folder:{tmp_path}")
    assert len(ds) == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda r: r.mkdir(), "no class folders"),  # an empty root
        (lambda r: (r / "happy").mkdir(parents=True), "holds no images"),  # an empty class
        (lambda r: (r / "bored").mkdir(parents=True), "not an emotion or mood name"),  # unknown class
    ],
)
def test_bad_folders(tmp_path: Path, setup, message: str) -> None:
    root = tmp_path / "faces"
    setup(root)
    with pytest.raises(DatasetError, match=message):
        open_folder(root)


def test_fer2013_labels_map_to_emotions(ferplus_tree: Path) -> None:
    rows = ["image,usage,fer2013_label"] + [
        f"fer{i:07d}.png,PrivateTest,{lab}" for i, lab in enumerate(["angry", "happy", "neutral"])
    ]
    (ferplus_tree / "fer2013_labels.csv").write_text("\n".join(rows) + "\n")
    ds = open_fer2013(ferplus_tree, "test")
    assert [ds.classes[i] for i in ds.labels] == ["anger", "happiness", "neutral"]
    assert "contempt" not in ds.classes and len(ds.classes) == 7
    assert ds.targets[1, EMOTIONS.index("happiness")] == 1.0


def test_fer2013_bad_label_is_reported(ferplus_tree: Path) -> None:
    (ferplus_tree / "fer2013_labels.csv").write_text(
        "image,usage,fer2013_label\nfer0000000.png,PrivateTest,bored\n"
    )
    with pytest.raises(DatasetError, match="unknown FER2013 label 'bored'"):
        open_fer2013(ferplus_tree, "test")


def test_fer2013_needs_its_labels_file(ferplus_tree: Path) -> None:
    with pytest.raises(DatasetError, match=r"fer2013_labels\.csv"):
        open_fer2013(ferplus_tree, "test")
