"""The per-listener response model: the update is the batch Bayesian posterior, the population prior
learns what helps on average, responses are checked, and the song features line up with the index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from moodtune.errors import UsageError
from moodtune.moodspace import MUSIC_MOODS, MoodPoint
from moodtune.music.catalog import Catalog
from moodtune.music.rank import RecommenderIndex
from moodtune.music.response import (
    FEEDBACK_BONUS,
    SONG_FEATURES,
    TERMS,
    Prior,
    Response,
    ResponseModel,
    SongFeatures,
    design,
)
from tests.music.test_rank import spread

D = len(TERMS)


def batch_posterior(
    prior: Prior, x: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The posterior written as one least-squares solve: (A0^-1 + X^T W X)^-1 (A0^-1 mu0 + X^T W y)."""
    p0 = np.linalg.inv(prior.cov)
    precision = p0 + (x * w[:, None]).T @ x
    mean = np.linalg.solve(precision, p0 @ prior.mean + (x * w[:, None]).T @ y)
    return mean, np.linalg.inv(precision)


def test_one_update_at_a_time_gives_the_batch_posterior() -> None:
    rng = np.random.default_rng(0)
    prior = Prior(rng.normal(0, 0.1, (D, 2)), np.eye(D) * 0.3, (0.09, 0.04))
    x = rng.normal(size=(40, D))
    y = rng.normal(size=(40, 2))
    w = rng.uniform(0.5, 2.0, 40)
    model = ResponseModel(prior, listeners=1)
    for i in range(40):
        model.update(x[i : i + 1], y[i : i + 1], weight=w[i : i + 1])
    mean, cov = batch_posterior(prior, x, y, w)
    np.testing.assert_allclose(model.mean[0], mean, atol=1e-10)
    np.testing.assert_allclose(model.cov[0], cov, atol=1e-10)
    assert model.count[0] == 40


def test_listeners_are_updated_independently() -> None:
    rng = np.random.default_rng(1)
    prior = Prior.default()
    model = ResponseModel(prior, listeners=3)
    x = rng.normal(size=(3, D))
    y = rng.normal(size=(3, 2))
    model.update(x, y, where=np.array([True, False, True]))
    np.testing.assert_array_equal(model.mean[1], prior.mean)
    np.testing.assert_array_equal(model.cov[1], prior.cov)
    for i in (0, 2):
        mean, _ = batch_posterior(prior, x[i : i + 1], y[i : i + 1], np.ones(1))
        np.testing.assert_allclose(model.mean[i], mean, atol=1e-12)
    assert model.count.tolist() == [1, 0, 1]


def test_the_population_prior_finds_what_helps_on_average_and_the_noise() -> None:
    rng = np.random.default_rng(2)
    truth = np.zeros((D, 2))
    truth[TERMS.index("acousticness"), 0] = 0.05
    truth[TERMS.index("energy"), 1] = 0.08
    x = rng.normal(size=(20_000, D))
    y = x @ truth + rng.normal(0, 0.2, (20_000, 2))
    prior = Prior.fit(x, y)
    np.testing.assert_allclose(prior.mean, truth, atol=0.01)
    np.testing.assert_allclose(prior.noise, (0.04, 0.04), rtol=0.05)
    assert prior.responses == 20_000
    again = Prior.from_dict(prior.to_dict())
    np.testing.assert_array_equal(again.mean, prior.mean)


def test_thompson_draws_spread_as_the_posterior_says() -> None:
    prior = Prior.default(noise_sd=0.3, prior_sd=0.05)
    model = ResponseModel(prior, listeners=2000)
    draws = model.sample(np.random.default_rng(3), output=0)
    assert draws.shape == (2000, D)
    np.testing.assert_allclose(draws.std(axis=0), 0.05, rtol=0.1)
    assert abs(draws.mean()) < 0.005


def test_predictions_narrow_as_responses_arrive() -> None:
    rng = np.random.default_rng(4)
    model = ResponseModel(Prior.default(), listeners=1)
    x = rng.normal(size=(1, 5, D))
    _, before = model.predict(x)
    for _ in range(30):
        model.update(rng.normal(size=(1, D)), rng.normal(0, 0.3, (1, 2)))
    _, after = model.predict(x)
    assert (after < before).all()


def test_a_response_adds_feedback_to_the_valence_change() -> None:
    start, end = MoodPoint(-0.5, 0.1), MoodPoint(-0.3, -0.1)
    for ended, bonus in FEEDBACK_BONUS.items():
        r = Response("s_000000000001", start, end, MoodPoint(-0.4, 0.0), ended)  # type: ignore[arg-type]
        np.testing.assert_allclose(r.outcome(), [0.2 + bonus, -0.2])
        assert Response.from_dict(r.to_dict()) == r
    assert FEEDBACK_BONUS["like"] > 0 > FEEDBACK_BONUS["skip"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"song_id": "s_1", "start": {"valence": 0, "arousal": 0}}, "a response is"),  # no end, no mean
        (
            {"song_id": "s_1", **{k: {"valence": 2, "arousal": 0} for k in ("start", "end", "mean")}},
            "in \\[-1, 1\\]",  # valence out of range
        ),
        (
            {
                "song_id": "s_1",
                "ended": "dislike",
                **{k: {"valence": 0, "arousal": 0} for k in ("start", "end", "mean")},
            },
            "ended must be one of",  # the face cannot tell a dislike; a skip is an ending
        ),
    ],
)
def test_bad_responses_say_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Response.from_dict(data)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.update(np.zeros((1, D - 1)), np.zeros((1, 2))), "x must be a finite array of shape"),
        (lambda m: m.update(np.zeros((1, D)), np.full((1, 2), np.nan)), "y must be a finite array"),
        (lambda m: m.update(np.zeros((1, D)), np.zeros((1, 2)), weight=0.0), "weight must be > 0"),
    ],
)
def test_bad_updates_are_refused(call: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        call(ResponseModel(Prior.default()))


def test_design_has_every_term_in_order() -> None:
    z = np.arange(len(SONG_FEATURES), dtype=float)
    x = design(z, np.array([0.5, -0.5]), np.array([-0.1, 0.3]))
    assert x.shape == (D,)
    assert x[TERMS.index("bias")] == 1.0
    assert x[TERMS.index("listener valence")] == -0.1
    assert x[TERMS.index("tempo")] == SONG_FEATURES.index("tempo")
    assert x[TERMS.index("valence gap^2")] == pytest.approx(0.36)
    assert x[TERMS.index("arousal gap^2")] == pytest.approx(0.64)
    # a batch of listeners against a batch of candidates broadcasts
    assert design(np.zeros((4, 7, len(SONG_FEATURES))), np.zeros((4, 7, 2)), np.zeros((4, 1, 2))).shape == (
        4,
        7,
        D,
    )


def test_song_features_are_standardised_over_the_index_and_know_language_and_genre() -> None:
    songs = [
        s for mood in MUSIC_MOODS for s in spread(mood, 10, seed=len(mood), language="ko", genres=("k-pop",))
    ]
    songs += spread("sad", 10, seed=9, language="en", year=1994)
    index = RecommenderIndex(Catalog(songs))
    f = SongFeatures.for_index(index)
    assert f is SongFeatures.for_index(index)
    assert f.z.shape == (50, len(SONG_FEATURES))
    np.testing.assert_allclose(f.z.mean(axis=0), 0.0, atol=1e-9)
    korean = f.z[:, SONG_FEATURES.index("korean")]
    assert (korean[:40] > 0).all() and (korean[40:] < 0).all()
    decade = f.z[:, SONG_FEATURES.index("decade")]
    assert (decade[:40] == 0).all()  # unknown decade sits at the mean
    song = index.catalog.songs[0]
    np.testing.assert_allclose(f.points[0], [2 * song.valence - 1, 2 * song.energy - 1])  # type: ignore[operator]


def test_observe_learns_from_responses_and_skips_unknown_songs() -> None:
    songs = [s for mood in MUSIC_MOODS for s in spread(mood, 10, seed=len(mood))]
    index = RecommenderIndex(Catalog(songs))
    f = SongFeatures.for_index(index)
    model = ResponseModel(Prior.default())
    lifted = [
        Response(s.id, MoodPoint(-0.5, 0.0), MoodPoint(-0.3, 0.0), MoodPoint(-0.4, 0.0), "like")
        for s in songs[:8]
    ]
    unknown = Response("s_ffffffffffff", MoodPoint(0, 0), MoodPoint(0, 0), MoodPoint(0, 0))
    assert model.observe(f, [*lifted, unknown]) == 8
    assert model.count[0] == 8
    mean, _ = model.predict(f.design(np.arange(8)[None], np.array([-0.5, 0.0])))
    assert (mean[0, :, 0] > 0.05).all()  # these songs now predict a lift
    with pytest.raises(UsageError, match="not a single one"):
        model.observe(f, lifted[0])  # type: ignore[arg-type]


def test_a_view_of_one_listener_updates_the_whole() -> None:
    rng = np.random.default_rng(5)
    model = ResponseModel(Prior.default(), listeners=3)
    one = model.view(1)
    one.update(rng.normal(size=(1, D)), rng.normal(size=(1, 2)))
    assert model.count.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(model.mean[1], one.mean[0])
    assert not np.array_equal(model.mean[1], model.mean[0])
    with pytest.raises(UsageError, match="listener must be a whole number in \\[0, 3\\)"):
        model.view(3)
