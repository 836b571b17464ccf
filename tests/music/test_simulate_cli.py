"""`moodtune simulate` through its real entry point: the JSON object, the table, exit codes, and the
figures the README states for the shipped catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from moodtune.moodspace import MUSIC_MOODS
from moodtune.music.catalog import CATALOG_PATH, Catalog
from tests.music.test_rank import spread


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodtune.cli", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 50, seed=len(mood), language="ko")]
    return Catalog(songs).save(tmp_path_factory.mktemp("catalog") / "small.csv.gz")


def test_json_is_one_object_with_every_policy(small: Path) -> None:
    args = ("--catalog", str(small), "--listeners", "12", "--sessions", "4", "--songs", "5", "--seed", "2")
    proc = run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    report = json.loads(line)
    for policy in ("adaptive", "static", "random", "replan", "best_fixed"):
        assert {"mean_gain", "std", "interval95", "regret"} <= set(report[policy])
    assert report["listeners"] == 12 and report["seed"] == 2 and report["assumptions"]["songs"] == 5
    again = json.loads(run(*args, "--json").stdout)
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in report.items() if k != "seconds"
    }


def test_the_table_names_every_policy(small: Path) -> None:
    proc = run(
        "--catalog", str(small), "--listeners", "6", "--sessions", "4", "--songs", "5", "--faces", "taiwan"
    )
    assert proc.returncode == 0, proc.stderr
    for policy in ("adaptive", "static", "replan", "random", "best_fixed"):
        assert policy in proc.stdout
    assert "adaptive / static" in proc.stdout
    assert "session 4 of 4" in proc.stderr  # progress goes to stderr, the table to stdout


def test_any_assumption_can_be_changed(small: Path) -> None:
    args = ["--catalog", str(small), "--listeners", "6", "--sessions", "4", "--json"]
    proc = run(*args, "--set", "contagion=0.1", "--set", "songs=4", "--taste-spread", "2")
    assert proc.returncode == 0, proc.stderr
    assumptions = json.loads(proc.stdout)["assumptions"]
    assert assumptions["contagion"] == 0.1 and assumptions["songs"] == 4
    assert assumptions["taste_sd"] == pytest.approx(0.04)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sessions", "3"], "sessions must be a whole number >= 4"),
        (["--strategy", "match"], "match does not adapt"),
        (["--faces", "webcam"], "faces must be one of"),
        (["--taste-spread", "-1"], "--taste-spread must be a number >= 0"),
        (["--set", "mood=happy"], "an assumption is KEY=VALUE with KEY one of songs, contagion"),
        (["--set", "contagion=a lot"], "assumption contagion must be float"),
    ],
)
def test_usage_errors_exit_2_with_one_line(small: Path, args: list[str], message: str) -> None:
    proc = run("--catalog", str(small), "--listeners", "4", *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_readme_figures_hold_on_the_shipped_catalog() -> None:
    if not CATALOG_PATH.is_file():
        pytest.skip("the shipped catalog is missing; build it with `moodtune catalog build`")
    proc = run("--listeners", "500", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    adaptive, static, random = (report[p]["mean_gain"] for p in ("adaptive", "static", "random"))
    assert adaptive > 1.1 * static  # 1.21x with seed 0 (docs/simulate.md)
    assert static > random > 0
    assert report["adaptive"]["regret"] < report["static"]["regret"]
