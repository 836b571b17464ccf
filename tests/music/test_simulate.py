"""The listener simulator: seeded and deterministic, the figures the done-when asks for, readings as
noisy as the confusion it states, and bad arguments refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from moodtune.errors import UsageError
from moodtune.moodspace import MUSIC_MOODS
from moodtune.music.catalog import Catalog
from moodtune.music.rank import RecommenderIndex
from moodtune.music.simulate import FACES, POLICIES, Assumptions, _read, _Setting, simulate
from tests.music.test_rank import spread

SMALL = Assumptions(songs=5, cohort_listeners=20, cohort_sessions=2, candidates=10)


@pytest.fixture(scope="module")
def index() -> RecommenderIndex:
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 40, seed=len(mood), language="ko")]
    return RecommenderIndex(Catalog(songs))


@pytest.fixture(scope="module")
def report(index: RecommenderIndex) -> dict[str, Any]:
    return simulate(index, listeners=30, sessions=5, seed=3, assumptions=SMALL)


def without_time(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "seconds"}


def test_the_same_seed_gives_the_same_figures(index: RecommenderIndex, report: dict[str, Any]) -> None:
    again = simulate(index, listeners=30, sessions=5, seed=3, assumptions=SMALL)
    assert without_time(again) == without_time(report)
    other = simulate(index, listeners=30, sessions=5, seed=4, assumptions=SMALL)
    assert other["adaptive"]["mean_gain"] != report["adaptive"]["mean_gain"]


def test_every_policy_reports_its_gain_spread_and_regret(report: dict[str, Any]) -> None:
    assert "static_taste" not in report  # only when asked: it is slow
    for policy in (p for p in POLICIES if p != "static_taste"):
        r = report[policy]
        assert set(r) >= {
            "mean_gain",
            "std",
            "interval95",
            "mean_ci95",
            "regret",
            "skips",
            "likes",
            "by_session",
        }
        assert r["interval95"][0] <= r["mean_gain"] <= r["interval95"][1]
        assert r["mean_ci95"][0] <= r["mean_gain"] <= r["mean_ci95"][1]
        assert len(r["by_session"]) == 5
        assert 0 <= r["skips"] <= 1 and 0 <= r["likes"] <= 1
    assert report["best_fixed"]["regret"] == 0
    assert report["adaptive_over_static"] == pytest.approx(
        report["adaptive"]["mean_gain"] / report["static"]["mean_gain"], abs=1e-3
    )
    assert report["assumptions"]["faces"] == "ferplus"
    assert report["prior_responses"] == 20 * 2 * 5  # the cohort's responses


def test_todays_lift_with_taste_is_one_more_policy(index: RecommenderIndex, report: dict[str, Any]) -> None:
    with_taste = simulate(index, listeners=30, sessions=5, seed=3, assumptions=SMALL, with_taste=True)
    assert "mean_gain" in with_taste["static_taste"]
    for policy in ("adaptive", "static", "random"):  # the others play exactly as without it
        assert with_taste[policy] == report[policy]
    # from the second session on, taste from the first session's likes and skips changes the lists
    assert with_taste["static_taste"]["by_session"][0] == report["static"]["by_session"][0]
    assert with_taste["static_taste"]["by_session"][1:] != report["static"]["by_session"][1:]


def test_regret_is_the_gap_to_the_best_fixed_playlist(report: dict[str, Any]) -> None:
    best = report["best_fixed"]["mean_gain"]
    for policy in ("adaptive", "static", "random"):
        assert report[policy]["regret"] == pytest.approx(best - report[policy]["mean_gain"], abs=2e-4)


@pytest.mark.parametrize("faces", list(FACES))
def test_readings_are_as_noisy_as_the_stated_confusion(index: RecommenderIndex, faces: str) -> None:
    confusion = np.array(FACES[faces], dtype=float)
    confusion /= confusion.sum(axis=1, keepdims=True)
    setting = _Setting(index, None, None, None, confusion, Assumptions(faces=faces), "lift")  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    for true, valence in enumerate((-0.6, 0.0, 0.6)):
        mood = np.tile([valence, 0.0], (20_000, 1))
        read, points = _read(setting, mood, rng.random(20_000), rng.standard_normal((20_000, 2)))
        shares = np.bincount(read, minlength=3) / 20_000
        np.testing.assert_allclose(shares, confusion[true], atol=0.01)
        right = read == true
        assert abs(points[right, 0].mean() - valence) < 0.01  # a right reading is unbiased
        if (~right).any():  # a misread moves valence to the read mood's band
            wrong = np.array([-0.6, 0.0, 0.6])[read[~right]]
            assert np.abs(points[~right, 0] - wrong).mean() < 0.15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sessions": 3}, "sessions must be a whole number >= 4"),  # nothing left from the 4th session on
        ({"listeners": 1}, "listeners must be a whole number >= 2"),
        ({"strategy": "match"}, "match does not adapt"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"assumptions": Assumptions(songs=30, candidates=200)}, "needs at least 230"),  # the catalog has 160
    ],
)
def test_bad_arguments_are_refused(index: RecommenderIndex, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"listeners": 4, "sessions": 4, "assumptions": SMALL, **kwargs}
    with pytest.raises(UsageError, match=message):
        simulate(index, **args)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"faces": "webcam"}, "faces must be one of"),
        ({"contagion": -0.1}, "contagion must be a number >= 0"),
        ({"songs": 0}, "songs must be a whole number from 1 to 100"),
    ],
)
def test_bad_assumptions_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Assumptions(**changes)
