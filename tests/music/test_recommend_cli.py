"""`moodtune recommend` through its real entry point: the JSON object, the table, and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from moodtune.moodspace import MUSIC_MOODS
from moodtune.music.catalog import CATALOG_PATH, Catalog
from tests.music.test_rank import spread


def run(*args: str, hash_seed: str | None = None) -> subprocess.CompletedProcess[str]:
    env = None if hash_seed is None else {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [sys.executable, "-m", "moodtune.cli", "recommend", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 12, seed=len(mood), language="ko")]
    return Catalog(songs).save(tmp_path_factory.mktemp("catalog") / "tiny.csv.gz")


def test_json_is_one_object_with_the_plan_the_songs_and_what_was_not_judged() -> None:
    if not CATALOG_PATH.is_file():
        pytest.skip("the shipped catalog is missing; build it with `moodtune catalog build`")
    proc = run("--mood", "neutral", "-n", "5", "--lang", "ko", "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    d = json.loads(line)
    assert d["plan"]["strategy"] == "match"
    assert len(d["plan"]["targets"]) == 5
    assert len(d["songs"]) == 5
    for s in d["songs"]:
        assert set(s) >= {"id", "title", "artist", "language", "genres", "year", "valence", "energy"}
        assert set(s) >= {"youtube_id", "spotify_id", "reason", "score"}
        assert s["language"] == "ko"
        assert "matches a calm neutral mood" in s["reason"]
    assert d["unjudged"]["songs"] > 0  # the shipped catalog does not know most songs' language
    assert d["unjudged"]["by_filter"]["language"] == d["unjudged"]["songs"]


@pytest.mark.slow
def test_bright_songs_for_a_positive_mood_sad_ones_for_a_negative_and_a_lift_between_them() -> None:
    if not CATALOG_PATH.is_file():
        pytest.skip("the shipped catalog is missing; build it with `moodtune catalog build`")

    def valence(mood: str, strategy: str, hash_seed: str = "0") -> tuple[list[str], list[float]]:
        proc = run("--mood", mood, "--strategy", strategy, "-n", "10", "--json", hash_seed=hash_seed)
        assert proc.returncode == 0, proc.stderr
        songs = json.loads(proc.stdout)["songs"]
        assert len(songs) == 10
        return [s["id"] for s in songs], [s["valence"] for s in songs]

    ids, positive = valence("positive", "match")
    assert sum(positive) / 10 >= 0.65
    assert sum(valence("negative", "match")[1]) / 10 <= 0.35
    lift = valence("negative", "lift")[1]
    assert sum(lift[-3:]) / 3 - sum(lift[:3]) / 3 >= 0.3
    # The same request gives the same list, whatever the interpreter's string hashing.
    assert valence("positive", "match", hash_seed="12345") == (ids, positive)


def test_a_point_with_a_strategy(tiny: Path) -> None:
    proc = run(
        "--valence",
        "-0.5",
        "--arousal",
        "-0.3",
        "--strategy",
        "lift",
        "-n",
        "6",
        "--json",
        "--catalog",
        str(tiny),
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["plan"]["strategy"] == "lift"
    assert d["plan"]["reading"] == {
        "mood": "negative",
        "probabilities": {"negative": 1.0, "neutral": 0.0, "positive": 0.0},
        "valence": -0.5,
        "arousal": -0.3,
    }
    assert [s["target"] for s in d["songs"]] == list(range(6))
    assert all("toward a lighter mood" in s["reason"] for s in d["songs"])


def test_a_chosen_mood_with_only_songs_the_page_plays(tmp_path: Path) -> None:
    """What the page's mood picker asks for, from the command line: a mood, a strategy, and only
    songs with a YouTube or a Spotify id."""
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 12, seed=len(mood))]
    songs = [replace(s, spotify_id=f"{i:022d}") if i % 2 else s for i, s in enumerate(songs)]
    playable = {s.id for s in songs if s.spotify_id}
    path = Catalog(songs).save(tmp_path / "half.csv.gz")
    proc = run(
        "--mood",
        "negative",
        "--strategy",
        "calm",
        "-n",
        "10",
        "--playable-only",
        "--json",
        "--catalog",
        str(path),
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["filters"]["playable_only"] is True and d["plan"]["strategy"] == "calm"
    assert len(d["songs"]) == 10 and {s["id"] for s in d["songs"]} <= playable


def test_the_table_by_default(tiny: Path) -> None:
    proc = run("--probabilities", "0.1,0.3,0.6", "-n", "3", "--seed", "4", "--catalog", str(tiny))
    assert proc.returncode == 0, proc.stderr
    assert "match for a positive mood: 3 songs" in proc.stdout
    assert "song" in proc.stdout and "reason" in proc.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--mood", "happy"], "invalid_mood_input"),  # a music mood, not a listener mood
        (["--mood", "neutral", "--valence", "0.1", "--arousal", "0"], "usage_error"),  # two readings
        ([], "usage_error"),  # no reading
        (["--valence", "0.1"], "usage_error"),  # arousal missing
        (["--valence", "2", "--arousal", "0"], "invalid_mood_input"),  # outside [-1, 1]
        (["--probabilities", "0.5,0.5"], "invalid_mood_input"),
        (["--mood", "neutral", "--strategy", "cheer"], "usage_error"),
        (["--mood", "neutral", "--decade", "90s"], "usage_error"),
    ],
)
def test_usage_errors_exit_2_with_the_error_on_stderr(args: list[str], code: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error ({code}): ")
