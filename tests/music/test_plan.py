"""From a reading to a plan: readings, anchors, and the trajectory of each strategy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.moodspace import LISTENER_TO_MUSIC_MOODS, MUSIC_MOODS, MoodPoint, mood_of_point
from moodtune.music.plan import (
    ANCHORS,
    LIFT_END_MAX_AROUSAL,
    PLAYS,
    STRATEGIES,
    Plan,
    Reading,
    Target,
    as_reading,
    make_plan,
    measure_anchors,
)
from tests.fixtures import SHARED

DATA_MOODS = SHARED / "music" / "data_moods.csv"
READINGS = ["negative", "neutral", "positive", (0.2, 0.5, 0.3), MoodPoint(-0.7, 0.6), MoodPoint(0.1, -0.8)]


def thirds(values: list[float]) -> tuple[float, float]:
    third = len(values) // 3
    return float(np.mean(values[:third])), float(np.mean(values[-third:]))


@pytest.mark.data
def test_the_anchors_are_the_data_moods_centroids() -> None:
    if not DATA_MOODS.is_file():
        pytest.skip(f"{DATA_MOODS} not found (../shared/data beside the checkout)")
    measured = measure_anchors(DATA_MOODS)
    assert set(measured) == set(ANCHORS)
    for name, anchor in ANCHORS.items():
        m = measured[name]
        assert m.songs == anchor.songs, name
        for field in ("valence", "arousal", "danceability", "acousticness"):
            assert round(getattr(m, field), 3) == getattr(anchor, field), (name, field)
    # The finding the anchors exist for: calm music sits at low valence, not where the quadrant rule puts it.
    assert ANCHORS["calm"].valence < -0.6 and ANCHORS["calm"].arousal < -0.6


def test_each_listener_mood_plays_the_first_music_mood_that_fits_it_and_sits_in_its_own_region() -> None:
    for mood, music in PLAYS.items():
        assert music == LISTENER_TO_MUSIC_MOODS[mood][0]
        anchor = ANCHORS[mood]
        assert mood_of_point(anchor.valence, anchor.arousal) == mood
    # Bright and sad in Spotify valence (0-1), well clear of the whole labels' centroids.
    assert (ANCHORS["positive"].valence + 1) / 2 > 0.8 > (ANCHORS["happy"].valence + 1) / 2
    assert (ANCHORS["negative"].valence + 1) / 2 < 0.2 < (ANCHORS["sad"].valence + 1) / 2
    lift_end = ANCHORS["lift_end"]
    assert mood_of_point(lift_end.valence, lift_end.arousal) == "positive"
    assert lift_end.arousal <= LIFT_END_MAX_AROUSAL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("negative", (1.0, 0.0, 0.0)),
        (" Positive ", (0.0, 0.0, 1.0)),
        ((1, 3, 6), (0.1, 0.3, 0.6)),  # normalised: percentages and counts work
        ({"neutral": 0.5, "positive": 0.5}, (0.0, 0.5, 0.5)),  # moods left out count as 0
        (MoodPoint(0.0, 0.9), (0.0, 1.0, 0.0)),  # valence 0 is neutral whatever the arousal
        (MoodPoint(-0.2, 0.0), (0.5, 0.5, 0.0)),  # on the boundary of mood_of_point: half and half
        (MoodPoint(0.6, -0.3), (0.0, 0.0, 1.0)),
    ],
)
def test_readings(value: object, expected: tuple[float, float, float]) -> None:
    reading = as_reading(value)  # type: ignore[arg-type]
    assert reading.probabilities == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    [
        "happy",  # a music mood, not a listener mood
        "",
        (0.5, 0.5),  # a point or two probabilities? refused: pass a MoodPoint
        (0.2, 0.3, 0.4, 0.1),  # four probabilities
        (-0.1, 0.5, 0.6),  # negative
        (0.0, 0.0, 0.0),  # sums to 0
        (math.nan, 0.5, 0.5),
        {"happy": 1.0},  # unknown key
        ("a", "b", "c"),
        42,
    ],
)
def test_bad_readings_are_refused(value: object) -> None:
    with pytest.raises(InvalidMoodInput):
        as_reading(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("valence", "arousal"), [(1.5, 0.0), (0.0, -1.01), (math.nan, 0.0), (True, 0.0), ("0.5", 0.0)]
)
def test_points_outside_the_square_are_refused(valence: object, arousal: object) -> None:
    with pytest.raises(InvalidMoodInput, match=r"\[-1, 1\]"):
        Reading.from_point(valence, arousal)  # type: ignore[arg-type]


def test_a_mood_name_starts_at_its_listener_anchor_and_wants_the_music_it_plays() -> None:
    for mood, music in PLAYS.items():
        start = make_plan(mood, "match", 1).targets[0]
        anchor = ANCHORS[mood]
        assert (start.valence, start.arousal) == pytest.approx((anchor.valence, anchor.arousal))
        assert (start.danceability, start.acousticness) == pytest.approx(
            (anchor.danceability, anchor.acousticness)
        )
        assert start.mood_weights == {m: (1.0 if m == music else 0.0) for m in MUSIC_MOODS}


def test_probabilities_blend_the_anchors_and_the_wanted_moods() -> None:
    t = make_plan((0.5, 0.5, 0.0), "match", 1).targets[0]
    assert t.valence == pytest.approx((ANCHORS["negative"].valence + ANCHORS["neutral"].valence) / 2)
    assert t.acousticness == pytest.approx(
        (ANCHORS["negative"].acousticness + ANCHORS["neutral"].acousticness) / 2
    )
    assert t.mood_weights == pytest.approx({"happy": 0.0, "sad": 0.5, "calm": 0.5, "energetic": 0.0})


def test_a_point_is_its_own_target_and_arousal_splits_happy_from_energetic() -> None:
    t = make_plan(MoodPoint(0.6, 0.1), "match", 1).targets[0]
    assert (t.valence, t.arousal) == (0.6, 0.1)
    assert t.mood_weights["happy"] == 1.0  # below the happy anchor's arousal: all happy
    aroused = make_plan(MoodPoint(0.6, 0.9), "match", 1).targets[0]
    assert aroused.mood_weights["energetic"] == 1.0  # above the energetic anchor's: all energetic


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("reading", READINGS)
def test_every_plan_has_n_numbered_valid_targets(strategy: str, reading: object) -> None:
    plan = make_plan(reading, strategy, 12)  # type: ignore[arg-type]
    assert isinstance(plan, Plan) and plan.strategy == strategy and len(plan) == 12
    assert [t.step for t in plan.targets] == list(range(1, 13))
    for t in plan.targets:
        assert -1 <= t.valence <= 1 and -1 <= t.arousal <= 1
        assert sum(t.moods) == pytest.approx(1.0)
    # every trajectory starts where the listener is
    assert plan.targets[0] == make_plan(reading, "match", 12).targets[0]  # type: ignore[arg-type]


@pytest.mark.parametrize("reading", READINGS)
def test_match_stays_with_the_mood(reading: object) -> None:
    plan = make_plan(reading, "match", 10)  # type: ignore[arg-type]
    first = plan.targets[0]
    for t in plan.targets:
        assert (t.valence, t.arousal, t.moods) == (first.valence, first.arousal, first.moods)


@pytest.mark.parametrize("reading", READINGS)
def test_lift_moves_toward_a_positive_calm_to_moderate_target(reading: object) -> None:
    plan = make_plan(reading, "lift", 15)  # type: ignore[arg-type]
    valence = [t.valence for t in plan.targets]
    happy = [t.mood_weights["happy"] for t in plan.targets]
    first, last = thirds(valence)
    assert last > first
    assert all(b >= a for a, b in itertools.pairwise(valence))  # step by step, never back
    assert all(b >= a for a, b in itertools.pairwise(happy))
    end = plan.targets[-1]
    assert end.valence >= ANCHORS["lift_end"].valence
    assert end.arousal == pytest.approx(ANCHORS["lift_end"].arousal)
    assert end.mood_weights["happy"] == pytest.approx(1.0)


def test_a_lift_from_a_negative_mood_climbs_from_sad_to_happy_targets() -> None:
    valence = [(t.valence + 1) / 2 for t in make_plan("negative", "lift", 10).targets]  # Spotify 0-1
    assert valence[0] == pytest.approx((ANCHORS["negative"].valence + 1) / 2)
    assert valence[-1] == pytest.approx((ANCHORS["lift_end"].valence + 1) / 2)
    first, last = thirds(valence)
    assert last - first > 0.45  # 7/9 of the 0.62 between the anchors


def test_lift_never_lowers_a_listener_who_is_already_bright() -> None:
    valence = [t.valence for t in make_plan(MoodPoint(0.9, 0.8), "lift", 10).targets]
    assert valence == [0.9] * 10


@pytest.mark.parametrize("reading", READINGS)
def test_calm_lowers_arousal_and_energize_raises_it(reading: object) -> None:
    calm = [t.arousal for t in make_plan(reading, "calm", 12).targets]  # type: ignore[arg-type]
    energize = [t.arousal for t in make_plan(reading, "energize", 12).targets]  # type: ignore[arg-type]
    assert thirds(calm)[1] < thirds(calm)[0]
    assert thirds(energize)[1] > thirds(energize)[0]
    assert calm[-1] <= max(-1.0, min(calm[0] - 0.25, ANCHORS["calm"].arousal))
    assert energize[-1] >= min(1.0, max(energize[0] + 0.25, ANCHORS["energetic"].arousal))
    calm_plan = make_plan(reading, "calm", 12)  # type: ignore[arg-type]
    assert calm_plan.targets[-1].mood_weights["calm"] >= 0.5
    assert calm_plan.targets[-1].valence == calm_plan.targets[0].valence  # only arousal moves


def test_one_target_plans_stay_where_the_listener_is() -> None:
    for strategy in STRATEGIES:
        plan = make_plan("negative", strategy, 1)
        assert len(plan) == 1
        assert plan.targets[0].mood_weights["sad"] == 1.0


@pytest.mark.parametrize(
    ("strategy", "n", "match"),
    [
        ("cheer", 10, "strategy must be one of"),
        ("match", 0, "n must be"),
        ("match", 501, "n must be"),
        ("match", 2.5, "n must be"),
        ("match", True, "n must be"),
    ],
)
def test_bad_strategy_or_length_is_a_usage_error(strategy: str, n: object, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        make_plan("neutral", strategy, n)  # type: ignore[arg-type]


def test_targets_check_themselves() -> None:
    with pytest.raises(InvalidMoodInput, match="sum to 1"):
        Target(0.0, 0.0, (0.5, 0.2, 0.0, 0.0), 0.5, 0.5)
    with pytest.raises(InvalidMoodInput, match=r"\[-1, 1\]"):
        Target(1.5, 0.0, (1.0, 0.0, 0.0, 0.0), 0.5, 0.5)


def test_plan_to_dict() -> None:
    d = make_plan("neutral", "lift", 3).to_dict()
    assert d["strategy"] == "lift"
    assert d["reading"]["mood"] == "neutral"
    assert len(d["targets"]) == 3
    assert set(d["targets"][0]) == {"step", "valence", "arousal", "moods", "danceability", "acousticness"}
    assert list(d["targets"][0]["moods"]) == list(MUSIC_MOODS)
