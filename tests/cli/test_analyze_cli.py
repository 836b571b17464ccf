"""`moodtune analyze` through its real entry point: JSON Lines, folders, stdin, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import FACES


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "moodtune.cli", "analyze", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    if not (FACES / "astronaut.png").is_file():
        pytest.skip(f"{FACES} not found (../shared/data/faces beside the checkout)")
    root = tmp_path / "photos"
    (root / "nested").mkdir(parents=True)
    shutil.copy(FACES / "astronaut.png", root / "astronaut.png")
    shutil.copy(FACES / "grace_hopper.jpg", root / "nested" / "grace_hopper.jpg")
    return root


def test_json_lines_for_a_folder_with_one_bad_file(photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    proc = run(str(photos), "--json")
    assert proc.returncode == 1, proc.stderr  # one file failed, the rest were read
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    by_name = {Path(obj["path"]).name: obj for obj in lines}
    assert set(by_name) == {"astronaut.png", "broken.jpg", "grace_hopper.jpg"}
    assert by_name["broken.jpg"]["error"]["code"] == "corrupt_image"
    assert by_name["broken.jpg"]["error"]["message"]
    face = by_name["astronaut.png"]["faces"][0]
    assert face["mood"] == "positive"
    assert set(face) >= {
        "box",
        "score",
        "emotion",
        "probabilities",
        "mood",
        "mood_probabilities",
        "valence",
        "arousal",
        "quality",
    }
    assert len(face["box"]) == 4


def test_all_good_files_exit_zero_and_print_a_table(photos: Path) -> None:
    proc = run(str(photos / "astronaut.png"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "happiness" in out and "positive" in out


def test_stdin(photos: Path) -> None:
    proc = run("-", "--json", stdin=(photos / "astronaut.png").read_bytes())
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["path"] == "-" and obj["faces"][0]["mood"] == "positive"


def test_assume_face_and_annotate(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "annotated"
    proc = run(str(photos / "astronaut.png"), "--json", "--assume-face", "--annotate", str(out))
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["faces"][0]["box"] == [0.0, 0.0, 512.0, 512.0]
    assert (out / "astronaut.annotated.png").is_file()


def test_missing_file_is_an_error_line_and_exit_1(tmp_path: Path) -> None:
    proc = run(str(tmp_path / "nope.jpg"), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["code"] == "image_not_found"


def test_unknown_detector_is_a_usage_error(photos: Path) -> None:
    proc = run(str(photos), "--detector", "yolo")
    assert proc.returncode == 2
    assert b"unknown face detector" in proc.stderr and b"Traceback" not in proc.stderr


def test_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    proc = run(str(tmp_path))
    assert proc.returncode == 2
    assert b"no images" in proc.stderr


def test_every_face_of_the_four_portrait_tile_and_the_room(photos: Path, tmp_path: Path) -> None:
    import cv2

    from tests.vision.scenes import four_portraits

    tile = tmp_path / "four.png"  # built here from the shared portraits, never kept
    cv2.imwrite(str(tile), cv2.cvtColor(four_portraits(), cv2.COLOR_RGB2BGR))
    obj = json.loads(run(str(tile), "--json").stdout)
    assert len(obj["faces"]) == 4
    assert obj["room"]["faces"] == 4 and len(obj["room"]["weights"]) == 4
    table = run(str(tile)).stdout.decode()
    room_rows = [line for line in table.splitlines() if "room" in line and "4 faces" in line]
    assert len(room_rows) == 1 and obj["room"]["mood"] in room_rows[0]
