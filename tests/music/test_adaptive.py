"""Adaptive sessions: the choice follows the listener's model within the plan's candidates, every song
keeps a reason, the plan is re-made from the current reading, and match does not adapt."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.moodspace import MoodPoint
from moodtune.music.adaptive import REASON_MIN_GAIN, AdaptivePlanner, candidates, next_target
from moodtune.music.catalog import Catalog, Song
from moodtune.music.plan import Reading
from moodtune.music.rank import RecommenderIndex
from moodtune.music.response import SONG_FEATURES, TERMS, Prior, ResponseModel

_ids = itertools.count(1)


def mid_song(valence: float, energy: float, acousticness: float) -> Song:
    """A song of middling features, placed at (valence, energy), with the given acousticness."""
    i = next(_ids)
    return Song(
        id=f"s_{0xA0000 + i:012x}",
        title=f"song {i}",
        artist=f"Artist {i}",
        valence=round(valence, 4),
        energy=round(energy, 4),
        danceability=0.55,
        acousticness=round(acousticness, 4),
        instrumentalness=0.05,
        speechiness=0.05,
        loudness=-8.0,
        tempo=118.0,
    )


@pytest.fixture(scope="module")
def index() -> RecommenderIndex:
    """300 songs over the whole mood space; acousticness varies independently of the place."""
    rng = np.random.default_rng(0)
    songs = [mid_song(v, e, a) for v, e, a in rng.uniform(0.02, 0.98, (300, 3))]
    return RecommenderIndex(Catalog(songs))


def knowing(weight: float, responses: int = 5) -> ResponseModel:
    """A model sure that acousticness moves this listener's valence by ``weight`` per standard deviation."""
    mean = np.zeros((len(TERMS), 2))
    mean[TERMS.index("acousticness"), 0] = weight
    model = ResponseModel(Prior(mean, np.eye(len(TERMS)) * 1e-4, (0.09, 0.09)))
    model.count[:] = responses
    return model


def session(
    planner: AdaptivePlanner, model: ResponseModel, strategy: str = "lift", seed: int = 0
) -> list[Song]:
    played: list[str] = []
    songs = []
    rng = np.random.default_rng(seed)
    for left in range(8, 0, -1):
        choice = planner.next_song(model, MoodPoint(-0.4, 0.0), strategy, left, played, rng)
        assert choice is not None
        played.append(choice.recommendation.song.id)
        songs.append(choice.recommendation.song)
    return songs


def test_a_listener_whom_acoustic_songs_lift_gets_more_acoustic_songs(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    acoustic = [s.acousticness for s in session(planner, knowing(+0.1))]
    electric = [s.acousticness for s in session(planner, knowing(-0.1))]
    assert np.mean(acoustic) > np.mean(electric) + 0.3, (acoustic, electric)


def test_the_choice_stays_among_the_plans_candidates(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index, k=10)
    choice = planner.next_song(knowing(+0.1), MoodPoint(-0.4, 0.0), "lift", 8, ["s_00000000000f"])
    assert choice is not None
    plan, t = next_target(Reading.from_point(-0.4, 0.0), "lift", 8, first=False)
    rows, _ = candidates(index, plan.targets[t], 10)
    allowed = {index.catalog.songs[int(index.rows[r])].id for r in rows}
    assert choice.recommendation.song.id in allowed
    assert choice.plan == plan and choice.recommendation.target == t


def test_every_song_keeps_a_reason_and_a_learned_one_says_so(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    column = SONG_FEATURES.index("acousticness")
    mean, scale = planner.features.mean[column], planner.features.scale[column]
    played: list[str] = []
    claims = 0
    for left in range(6, 0, -1):
        choice = planner.next_song(knowing(+0.1), MoodPoint(-0.4, 0.0), "lift", left, played)
        assert choice is not None
        song, why = choice.recommendation.song, choice.recommendation.reason
        assert "toward a lighter mood" in why, why
        claimed = why.startswith("acoustic songs like this lifted you before; ")
        # the claim is made exactly when the song is acoustic enough for the model to expect a lift
        expected = 0.1 * (song.acousticness - mean) / scale  # type: ignore[operator]
        assert claimed == (expected > REASON_MIN_GAIN), (song.acousticness, why)
        claims += claimed
        played.append(song.id)
    assert claims >= 2
    calm = planner.next_song(knowing(-0.1), MoodPoint(0.2, 0.6), "calm", 4)
    assert calm is not None and "toward a calmer mood" in calm.recommendation.reason


def test_a_new_listener_is_explored_and_told_so(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    new = ResponseModel(Prior.default())
    firsts = {session(planner, new, seed=seed)[0].id for seed in range(6)}
    assert len(firsts) > 1  # the posterior is wide: different draws try different songs
    reasons = [
        c.recommendation.reason
        for seed in range(6)
        if (c := planner.next_song(new, MoodPoint(-0.4, 0.0), "lift", 5, rng=seed)) is not None
    ]
    assert any(r.startswith("trying a new kind of song for you; ") for r in reasons)
    assert all("you before" not in r for r in reasons)  # nothing learned about this listener yet


def test_match_does_not_adapt(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    a = planner.next_song(knowing(+0.1), MoodPoint(-0.4, 0.0), "match", 5)
    b = planner.next_song(knowing(-0.1), MoodPoint(-0.4, 0.0), "match", 5, rng=7)
    assert a is not None and b is not None
    assert a.recommendation.song.id == b.recommendation.song.id
    assert a.recommendation.reason.startswith(("low", "moderate", "lively", "high"))


def test_the_plan_is_remade_from_the_current_reading() -> None:
    low, _ = next_target(Reading.from_point(-0.8, 0.0), "lift", 5, first=False)
    higher, t = next_target(Reading.from_point(0.0, 0.0), "lift", 5, first=False)
    assert t == 1
    assert higher.targets[1].valence > low.targets[1].valence
    first, t0 = next_target(Reading.from_point(-0.8, 0.0), "lift", 5, first=True)
    assert t0 == 0 and first.targets[0].valence == pytest.approx(-0.8)  # the first song starts where you are


def test_bad_input_is_refused(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    model = ResponseModel(Prior.default())
    with pytest.raises(InvalidMoodInput, match="needs the reading's valence and arousal"):
        planner.next_song(model, Reading.from_mood("negative"), "lift", 5)
    with pytest.raises(UsageError, match="strategy must be one of"):
        planner.next_song(model, MoodPoint(0, 0), "sleep", 5)
    with pytest.raises(UsageError, match="songs_left must be"):
        planner.next_song(model, MoodPoint(0, 0), "lift", 0)
    with pytest.raises(UsageError, match="not one string"):
        planner.next_song(model, MoodPoint(0, 0), "lift", 3, played="s_000000000001")


def test_no_song_left_is_none(index: RecommenderIndex) -> None:
    planner = AdaptivePlanner(index)
    every = [s.id for s in index.catalog.songs]
    assert (
        planner.next_song(ResponseModel(Prior.default()), MoodPoint(0, 0), "lift", 3, exclude_ids=every)
        is None
    )
