"""The engine end to end on real photos: found, read, rotated, scaled, tiled, blank, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import moodtune
import moodtune.samples
from moodtune.errors import CorruptImage, EmptyImage, ImageTooSmall, InvalidImage, UnsupportedImageFormat
from moodtune.vision.engine import Analyzer
from tests.fixtures import FACES
from tests.vision.scenes import four_portraits


def _rgb(name: str) -> np.ndarray:
    path = FACES / name
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data/faces beside the checkout)")
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def engine() -> Analyzer:
    return Analyzer()


def test_the_smiling_astronaut_is_one_positive_face(engine: Analyzer) -> None:
    result = engine.analyze_rgb(_rgb("astronaut.png"))
    assert len(result.faces) == 1
    face = result.faces[0]
    assert face.mood == "positive" and face.emotion == "happiness"
    assert face.valence > 0.3
    assert face.quality.ok
    d = result.to_dict()["faces"][0]
    for key in (
        "box",
        "score",
        "emotion",
        "probabilities",
        "mood",
        "mood_probabilities",
        "valence",
        "arousal",
        "quality",
    ):
        assert key in d, key
    assert len(d["probabilities"]) == 8 and len(d["mood_probabilities"]) == 3
    assert -1 <= d["valence"] <= 1 and -1 <= d["arousal"] <= 1


def test_grace_hopper_is_one_face(engine: Analyzer) -> None:
    assert len(engine.analyze_rgb(_rgb("grace_hopper.jpg")).faces) == 1


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_rotated_with_an_exif_tag_is_read_upright(engine: Analyzer, quarter_turns: int) -> None:
    # Store the pixels rotated, with the EXIF orientation that undoes it (as a phone does).
    rgb = _rgb("astronaut.png")
    # np.rot90 turns counter-clockwise; tag 6 means "turn 90 degrees clockwise to display".
    orientation = {1: 6, 2: 3, 3: 8}[quarter_turns]
    stored = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(buf, format="JPEG", quality=95, exif=exif)
    result = engine.analyze(buf.getvalue())
    assert len(result.faces) == 1
    assert (result.width, result.height) == (512, 512)
    assert result.faces[0].mood == "positive"
    x, y, _, _ = result.faces[0].face.box
    assert 150 < x < 210 and 50 < y < 110  # where the face is in the upright photo


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_rotated_without_a_tag_is_found_but_not_turned_upright(engine: Analyzer, quarter_turns: int) -> None:
    # Documented behaviour (engine docstring): no rotations are tried. BlazeFace still finds a face
    # turned by quarter turns, but its eye keypoints do not follow the turn (measured: 180 degrees
    # reads as -15), so the crop is not upright and the reading is not to be trusted.
    rotated = np.ascontiguousarray(np.rot90(_rgb("astronaut.png"), quarter_turns))
    result = engine.analyze_rgb(rotated)
    assert len(result.faces) == 1


def test_huge_photo_is_downscaled_for_detection_and_boxes_map_back(engine: Analyzer) -> None:
    big = cv2.resize(_rgb("astronaut.png"), (6000, 6000), interpolation=cv2.INTER_LINEAR)
    result = engine.analyze_rgb(big)
    assert len(result.faces) == 1
    x, _, w, _ = result.faces[0].face.box
    assert abs(x - 178 * 6000 / 512) < 60 and abs(w - 94 * 6000 / 512) < 80
    assert not result.faces[0].quality.too_small


def test_small_photo_down_to_the_minimum_face_size(engine: Analyzer) -> None:
    # The face is ~94 px in the 512 px photo; at 160 px it is ~29 px, above min_face (24).
    small = cv2.resize(_rgb("astronaut.png"), (160, 160), interpolation=cv2.INTER_AREA)
    result = engine.analyze_rgb(small)
    assert len(result.faces) == 1
    assert result.faces[0].quality.too_small  # below the 48 px training resolution: flagged


def test_four_faces_in_a_2x2_tiling_largest_first(engine: Analyzer) -> None:
    img = _rgb("astronaut.png")
    tiled = np.vstack([np.hstack([img, img]), np.hstack([img, img])])
    result = engine.analyze_rgb(tiled)
    assert len(result.faces) == 4
    areas = [f.face.area for f in result.faces]
    assert areas == sorted(areas, reverse=True)
    assert all(f.mood == "positive" for f in result.faces)


def test_blank_image_has_no_face_and_that_is_not_an_error(engine: Analyzer) -> None:
    result = engine.analyze_rgb(np.full((480, 640, 3), 128, np.uint8))
    assert result.faces == [] and result.to_dict()["faces"] == []


def test_assume_face_reads_the_whole_image_as_one_crop(engine: Analyzer) -> None:
    crop = cv2.cvtColor(moodtune.samples.sample_faces()[0][1], cv2.COLOR_GRAY2RGB)
    result = engine.analyze_rgb(crop, assume_face=True)
    assert len(result.faces) == 1
    assert result.faces[0].face.box == (0.0, 0.0, 96.0, 96.0)
    assert result.faces[0].mood == "positive"


def test_public_api_takes_path_bytes_array_and_pil(tmp_path: Path) -> None:
    rgb = _rgb("astronaut.png")
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    for source in (path, str(path), path.read_bytes(), rgb, Image.fromarray(rgb)):
        result = moodtune.analyze(source)
        assert [f.mood for f in result.faces] == ["positive"], type(source)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (b"", EmptyImage),  # an empty upload
        (b"GIF89a" + b"\x00" * 64, UnsupportedImageFormat),  # a GIF: not a photo format we take
        (b"hello, this is text", UnsupportedImageFormat),  # not an image at all
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, CorruptImage),  # a PNG cut short
        (np.zeros((8, 8, 3), np.uint8), ImageTooSmall),  # too small to hold a face
        (np.zeros((10, 10, 2), np.uint8), InvalidImage),  # two channels: not an image layout
    ],
)
def test_bad_input_raises_a_typed_error(engine: Analyzer, source: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.analyze(source)  # type: ignore[arg-type]


@pytest.mark.data
def test_every_face_of_the_four_portrait_tile_is_read_and_pooled_into_the_room(engine: Analyzer) -> None:
    _rgb("astronaut.png")  # skips without ../shared/data/faces
    result = engine.analyze_rgb(four_portraits())
    assert len(result.faces) == 4
    assert sorted(f.mood for f in result.faces) == ["neutral", "neutral", "positive", "positive"]
    room = result.to_dict()["room"]
    assert room["faces"] == 4 and len(room["weights"]) == 4
    # each face's share of the room, as its answer shows it: valence is their weighted mean
    mean = sum(w * f["valence"] for w, f in zip(room["weights"], result.to_dict()["faces"], strict=True))
    assert room["valence"] == pytest.approx(mean, abs=1e-3)
    assert min(f.valence for f in result.faces) < room["valence"] < max(f.valence for f in result.faces)


def test_one_face_is_its_own_room_and_no_face_no_room(engine: Analyzer) -> None:
    crop = cv2.cvtColor(moodtune.samples.sample_faces()[0][1], cv2.COLOR_GRAY2RGB)
    result = engine.analyze_rgb(crop, assume_face=True)
    assert result.room is not None
    assert (result.room.faces, result.room.mood, result.room.weights) == (1, "positive", (1.0,))
    assert result.room.valence == pytest.approx(result.faces[0].valence)
    blank = engine.analyze_rgb(np.full((480, 640, 3), 128, np.uint8))
    assert blank.room is None and blank.to_dict()["room"] is None
