"""``photos:DIR``: whole photos evaluated through the serving path (detection, alignment, the largest
face), photos without a face counted and listed, and per-person calibration by each person's own
neutral photos (leave one out).

The photos are built in code from the sample faces that ship with the package (a smiling and a
neutral portrait, each set on a grey background) and a flat grey image with no face; one test reads
the real Taiwanese set in ../shared/data and is skipped without it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.emotions import EMOTIONS
from moodtune.errors import UsageError
from moodtune.evaluation.photos import calibrated_by_person, open_photos
from moodtune.evaluation.run import evaluate_model
from moodtune.samples import sample_path
from moodtune.vision.calibration import calibrate
from moodtune.vision.engine import Analyzer
from moodtune.vision.image_io import load_image
from tests.fixtures import SHARED

TAIWAN = SHARED / "taiwan-actors"


def _photo_of(sample: str) -> np.ndarray:
    """A shipped 96x96 sample face set in a 192x192 grey photo (BGR), as a camera might frame it."""
    gray = cv2.imread(str(sample_path(sample)), cv2.IMREAD_GRAYSCALE)
    assert gray is not None, sample_path(sample)
    framed = cv2.copyMakeBorder(gray, 48, 48, 48, 48, cv2.BORDER_CONSTANT, value=128)
    return cv2.cvtColor(framed, cv2.COLOR_GRAY2BGR)


def _write(path: Path, bgr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), bgr)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    """happy/ holds the smiling astronaut and a flat grey photo (no face); neutral/ holds Grace Hopper.
    File names start with a person id, as the Taiwanese set's do."""
    root = tmp_path / "photos"
    return {
        "root": root,
        "smile": _write(root / "happy" / "01b_astronaut.png", _photo_of("astronaut")),
        "blank": _write(root / "happy" / "02b_blank.png", np.full((240, 320, 3), 128, np.uint8)),
        "neutral": _write(root / "neutral" / "03a_grace_hopper.jpg", _photo_of("grace_hopper")),
    }


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_a_photo_without_a_face_is_counted_and_listed_never_dropped(
    photos: dict[str, Path], analyzer: Analyzer
) -> None:
    ds = open_photos(photos["root"], analyzer)
    assert sorted(ds.paths) == sorted([photos["smile"], photos["neutral"]])
    assert ds.no_face == (photos["blank"],)
    assert ds.no_face_classes == ("happiness",)
    assert ds.no_face_report() == {
        "photos": 3,
        "faces_read": 2,
        "no_face": 1,
        "no_face_by_class": {"happiness": 1},
        "no_face_paths": [str(photos["blank"])],
    }
    result = evaluate_model(f"photos:{photos['root']}")
    assert result["n"] == 2  # the figures are over the photos read...
    assert result["photos"]["no_face"] == 1  # ...and the report says which one was not
    assert result["photos"]["no_face_paths"] == [str(photos["blank"])]


def test_faces_are_read_with_the_serving_paths_crop(photos: dict[str, Path], analyzer: Analyzer) -> None:
    ds = open_photos(photos["root"], analyzer)
    serving = Analyzer()  # a fresh one, as the service builds it
    for size in (analyzer.meta.input_size, 64):  # the model's size (made at opening) and another
        for i, path in enumerate(ds.paths):
            located = serving.locate(load_image(path).rgb, size=size)
            assert located.faces, path
            np.testing.assert_array_equal(ds.read(i, size), located.crops[0], err_msg=f"{path} at {size}")


def test_a_subset_of_photos_keeps_their_aligned_faces(photos: dict[str, Path], analyzer: Analyzer) -> None:
    ds = open_photos(photos["root"], analyzer, person_pattern=r"^(\w)")
    size = analyzer.meta.input_size
    part = ds.subset([1, 0])
    assert isinstance(part, type(ds)) and part.paths == (ds.paths[1], ds.paths[0])
    assert part.persons == (ds.persons[1], ds.persons[0])
    np.testing.assert_array_equal(part.read(0, size), ds.read(1, size))  # the face, not the whole photo


def test_the_evaluated_moods_are_what_analyze_reads(photos: dict[str, Path]) -> None:
    result = evaluate_model(f"photos:{photos['root']}")
    serving = Analyzer()
    moods = list(result["mood"]["classes"])
    cm = np.zeros((len(moods), len(moods)), dtype=np.int64)
    for path, true in ((photos["smile"], "positive"), (photos["neutral"], "neutral")):
        faces = serving.analyze(path).faces
        assert len(faces) == 1, path
        cm[moods.index(true), moods.index(faces[0].mood)] += 1
    assert result["mood"]["confusion_matrix"] == cm.tolist()


def test_a_person_pattern_that_does_not_match_is_a_clear_usage_error(
    photos: dict[str, Path], analyzer: Analyzer
) -> None:
    with pytest.raises(UsageError, match=r"does not match the photo name '01b_astronaut'"):
        open_photos(photos["root"], analyzer, person_pattern=r"^actor(\d+)")
    with pytest.raises(UsageError, match="not a regular expression"):
        open_photos(photos["root"], analyzer, person_pattern="^(\\d")
    with pytest.raises(UsageError, match="applies only to photos:DIR"):
        evaluate_model(f"folder:{photos['root']}", person_pattern=r"^(\d\d)")
    ds = open_photos(photos["root"], analyzer, person_pattern=r"^(\d\d)")
    assert dict(zip(ds.paths, ds.persons, strict=True)) == {photos["smile"]: "01", photos["neutral"]: "03"}


def test_the_cli_reports_a_pattern_that_does_not_match_as_a_usage_error(photos: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", f"photos:{photos['root']}", "--person-pattern", r"^actor(\d+)", "--json"]
    )
    assert result.exit_code == UsageError.exit_code, result.output
    assert "--person-pattern" in result.stderr and "does not match" in result.stderr
    assert result.stdout == ""


def test_the_cli_prints_the_photos_block(photos: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["evaluate", f"photos:{photos['root']}", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dataset"] == f"photos:{photos['root']}"
    assert report["n"] == 2
    assert report["photos"] == {
        "photos": 3,
        "faces_read": 2,
        "no_face": 1,
        "no_face_by_class": {"happiness": 1},
        "no_face_paths": [str(photos["blank"])],
    }
    assert "calibrated" not in report  # only with --person-pattern
    text = CliRunner().invoke(app, ["evaluate", f"photos:{photos['root']}"])
    assert text.exit_code == 0, text.output
    assert "2 of 3 photos read; no face found in 1" in text.stdout
    assert "02b_blank.png" in text.stdout


def test_the_cli_with_a_person_pattern_adds_the_calibrated_block(photos: dict[str, Path]) -> None:
    # Two neutral photos of person 03 and a smile of 03: each neutral photo has the other as baseline.
    _write(photos["root"] / "neutral" / "03a_again.png", _photo_of("grace_hopper"))
    _write(photos["root"] / "happy" / "03b_smile.png", _photo_of("astronaut"))
    result = CliRunner().invoke(
        app, ["evaluate", f"photos:{photos['root']}", "--person-pattern", r"^(\d\d)", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["photos"]["no_face"] == 1
    # Person 01 has no neutral photo: left out; person 03's three photos are calibrated.
    assert report["calibrated"]["n"] == 3
    assert report["calibrated"]["persons"] == 1


# Leave-one-out baselines. Each case: persons, which rows are neutral, and for each row the rows whose
# mean must be its baseline (None: no baseline, the row is left out).
CASES = [
    pytest.param(
        ["a", "a", "a"], [True, True, False], [[1], [0], [0, 1]], id="two-neutrals-calibrate-each-other"
    ),
    pytest.param(["a", "a"], [True, False], [None, [0]], id="a-lone-neutral-never-calibrates-itself"),
    pytest.param(["a", "a"], [False, False], [None, None], id="no-neutral-no-baseline"),
    pytest.param(
        ["a", "b", "a", "b", "b"],
        [True, True, False, True, False],
        [None, [3], [0], [1], [1, 3]],
        id="persons-never-mix",
    ),
    pytest.param(
        ["x", "x", "x", "x"],
        [True, True, True, False],
        [[1, 2], [0, 2], [0, 1], [0, 1, 2]],
        id="three-neutrals",
    ),
]


@pytest.mark.parametrize(("persons", "neutral", "baselines"), CASES)
def test_calibrated_by_person_never_uses_a_photo_to_calibrate_itself(
    persons: list[str], neutral: list[bool], baselines: Sequence[list[int] | None]
) -> None:
    rng = np.random.default_rng(len(persons))
    probs = rng.dirichlet(np.ones(len(EMOTIONS)), size=len(persons))
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def record(
        p: np.ndarray, baseline: np.ndarray, labels: Sequence[str], reference: Sequence[float] = ()
    ) -> np.ndarray:
        seen.append((p, baseline))
        return baseline  # the output row is the baseline it was given

    out, rows = calibrated_by_person(probs, persons, np.asarray(neutral), EMOTIONS, calibrate_fn=record)
    expected_rows = [i for i, b in enumerate(baselines) if b is not None]
    assert rows.tolist() == expected_rows
    assert out.shape == (len(expected_rows), len(EMOTIONS))
    for k, i in enumerate(expected_rows):
        mine = baselines[i]
        assert mine is not None and i not in mine
        np.testing.assert_allclose(out[k], probs[mine].mean(axis=0))
        np.testing.assert_array_equal(seen[k][0], probs[i])
    # With the real calibration, each row is calibrate(its reading, its baseline).
    real, real_rows = calibrated_by_person(probs, persons, np.asarray(neutral), EMOTIONS)
    assert real_rows.tolist() == expected_rows
    for k, i in enumerate(expected_rows):
        np.testing.assert_allclose(real[k], calibrate(probs[i], probs[baselines[i]].mean(axis=0), EMOTIONS))


def test_the_taiwanese_photos_all_have_a_face() -> None:
    if not TAIWAN.is_dir():
        pytest.skip(f"{TAIWAN} not found (../shared/data/taiwan-actors beside the checkout)")
    result = evaluate_model(f"photos:{TAIWAN}", person_pattern=r"^(\d\d)")
    assert result["photos"]["photos"] == 1232
    assert result["photos"]["no_face"] == 0
    assert result["n"] == 1232
    assert result["calibrated"]["persons"] == 29


def test_photos_without_a_folder_says_what_to_give() -> None:
    from moodtune.errors import UsageError
    from moodtune.evaluation.run import evaluate_model

    with pytest.raises(UsageError, match=r"photos: needs a folder"):
        evaluate_model("photos:")
