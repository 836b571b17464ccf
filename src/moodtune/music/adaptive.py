"""Adaptive sessions: the next song, re-planned from the current reading and the listener's model.

The plans of ``moodtune.music.plan`` are made once, from the reading at the start. Here "lift",
"calm" and "energize" are re-made before every song from the reading the face gives *now*: the plan
from the current point to the strategy's end over the songs left, whose next step (the first target
for the session's first song, where the listener is; then one step along) is the target of the next
song. "match" keeps its steady mood and is not adapted.

Choosing the song (``AdaptivePlanner.next_song``):

1. Candidates: the ``CANDIDATES`` (30) best songs for that target by the ranker's own score
   (``rank.score_songs``: distance, mood model, popularity), less the songs already played and the
   artists of the last ``rank.ARTIST_WINDOW - 1`` songs, within the filters. Every candidate fits
   the plan, so learning moves the choice only among songs that serve the strategy. On a large
   catalog only the ``SHORTLIST`` (400) songs nearest the target are scored, as ``rank.recommend``
   shortlists (on the shipped catalog 97.7% of the exact best 30 are found;
   ``benchmarks/response_bench.py``).
2. Thompson sampling over the listener's ``response.ResponseModel``: one draw of their weights, and
   the candidate with the largest drawn gain for the strategy's goal (valence up for lift, arousal
   down for calm, up for energize) is played. A listener the model knows little about gets varied
   choices (exploration); one it knows well gets the songs that worked.
3. A reason in plain English that says why (``reason``): "acoustic songs like this lifted you before;
   step 3 of 8 toward a lighter mood", "trying a new kind of song for you; ...", or the ranker's
   reason alone when the model has nothing to add.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from moodtune.errors import InvalidMoodInput, UsageError
from moodtune.moodspace import MUSIC_MOODS, MoodPoint
from moodtune.music.plan import MAX_TARGETS, STRATEGIES, Plan, Reading, Target, as_reading, make_plan
from moodtune.music.rank import (
    ARTIST_WINDOW,
    DIMENSIONS,
    EXACT_LIMIT,
    SHORTLIST_MOOD_SCALE,
    Filters,
    Recommendation,
    RecommenderIndex,
    reason,
    score_songs,
)
from moodtune.music.response import GOALS, SONG_FEATURES, TERMS, ResponseModel, SongFeatures

ADAPTIVE: tuple[str, ...] = tuple(GOALS)
"""The strategies that re-plan after each song (``match`` stays a steady mood)."""
CANDIDATES = 30
"""How many of the ranker's best songs for the next target the model chooses among."""
MIN_RESPONSES_FOR_REASON = 3
"""A listener's model speaks of "you" once it has seen this many of their responses."""
SHORTLIST = 400
"""On a large catalog, how many songs near the target (the ranker's k-d tree space) are scored."""
REASON_MIN_GAIN = 0.01
"""A predicted gain (mood-space units per song) worth naming in a reason."""

# What a high and a low value of each song feature sound like, for reasons.
_PHRASES: dict[str, tuple[str, str]] = {
    "valence": ("bright", "dark"),
    "energy": ("lively", "quiet"),
    "danceability": ("danceable", "less danceable"),
    "tempo": ("fast", "slow"),
    "acousticness": ("acoustic", "electronic"),
    "instrumentalness": ("instrumental", "sung"),
    "speechiness": ("wordy", "melodic"),
    "loudness": ("loud", "soft"),
    "korean": ("Korean-language", "non-Korean"),
    "k-pop": ("K-pop", "non-K-pop"),
    "decade": ("recent", "older"),
}
_VERBS = {"lift": "lifted you", "calm": "calmed you", "energize": "gave you energy"}
_AVERAGE_VERBS = {
    "lift": "lift most listeners",
    "calm": "calm most listeners",
    "energize": "energize most listeners",
}


def _check_strategy(strategy: str) -> str:
    name = strategy.strip().lower() if isinstance(strategy, str) else strategy
    if name not in STRATEGIES:
        raise UsageError(f"strategy must be one of {list(STRATEGIES)}, but got {strategy!r}")
    return str(name)


def next_target(reading: Reading, strategy: str, songs_left: int, first: bool) -> tuple[Plan, int]:
    """The plan re-made from ``reading`` and the index of the target the next song follows: the
    session's first song follows the first target of a plan over ``songs_left`` songs (where the
    listener is); a later one the second target of a plan over ``songs_left + 1`` (one step on)."""
    if isinstance(songs_left, bool) or not isinstance(songs_left, int) or not 1 <= songs_left < MAX_TARGETS:
        raise UsageError(
            f"songs_left must be a whole number from 1 to {MAX_TARGETS - 1}, but got {songs_left!r}"
        )
    if first:
        return make_plan(reading, strategy, songs_left), 0
    return make_plan(reading, strategy, songs_left + 1), 1


def _tree(index: RecommenderIndex) -> Any:
    """A k-d tree over the index's ranking space (the ranker's own shortlist construction), built on
    first use and kept as long as the index lives."""
    tree = _TREES.get(index)
    if tree is None:
        from sklearn.neighbors import KDTree

        tree = _TREES[index] = KDTree(index.space, leaf_size=40)
    return tree


_TREES: weakref.WeakKeyDictionary[RecommenderIndex, Any] = weakref.WeakKeyDictionary()


def candidates(
    index: RecommenderIndex,
    target: Target,
    k: int = CANDIDATES,
    exclude: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best index rows for ``target`` by ``rank.score_songs`` and their scores, best first
    (ties by row), among the ``allowed`` mask (None: every song) less the ``exclude`` mask.

    On a catalog of more than ``rank.EXACT_LIMIT`` songs without a filter, only the ``SHORTLIST``
    songs nearest the target in the ranker's k-d tree space are scored (``rank``'s own shortlist:
    features, then mood match), as ``rank.recommend`` does; otherwise every allowed song is."""
    keep = np.ones(len(index), dtype=bool) if allowed is None else allowed.copy()
    if exclude is not None:
        keep &= ~exclude
    rows = np.array([], dtype=np.int64)
    if allowed is None and len(index) > EXACT_LIMIT:
        excluded = len(index) - int(keep.sum())
        query = np.concatenate(
            [index.target_vector(target), SHORTLIST_MOOD_SCALE * np.array(target.moods), [0.0]]
        )
        near = _tree(index).query(
            query[None], k=min(len(index), max(SHORTLIST, 4 * k) + excluded), return_distance=False
        )[0]
        rows = near[keep[near]]
    if len(rows) < k:
        rows = np.flatnonzero(keep)
    if not len(rows):
        return rows, np.zeros(0)
    scores = score_songs(index, target, rows)
    if len(rows) > k:
        top = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[top], scores[top]
    order = np.lexsort((rows, -np.round(scores, 9)))
    return rows[order], scores[order]


def sampled_gains(
    model: ResponseModel,
    features: SongFeatures,
    rows: np.ndarray,
    state: np.ndarray,
    strategy: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """Thompson sampling's scores: for each listener, the gain toward the strategy's goal that one
    draw from their posterior gives each candidate. ``rows`` ``(N, K)`` index rows, ``state``
    ``(N, 2)`` the listeners' current valence and arousal; returns ``(N, K)``."""
    output, sign = GOALS[strategy]
    theta = model.sample(rng, output)
    x = features.design(rows, state[:, None, :])
    return np.asarray(sign * np.einsum("nkd,nd->nk", x, theta))


def reason_for(
    model: ResponseModel,
    features: SongFeatures,
    row: int,
    state: np.ndarray,
    strategy: str,
    explored: bool,
    listener: int = 0,
) -> str | None:
    """What the model says about a chosen song, or None when it has nothing to add (see the module
    docstring): the song feature that contributes most to the predicted gain names the kind of song.
    ``explored``: the posterior's draw chose the song over the one its mean prefers."""
    output, sign = GOALS[strategy]
    x = features.design(np.array([[row]]), state[None, None, :])[0, 0]
    weights = model.mean[listener, :, output]
    predicted = sign * float(x @ weights)
    if predicted > REASON_MIN_GAIN:
        song = slice(len(TERMS) - len(SONG_FEATURES) - 2, len(TERMS) - 2)
        parts = sign * x[song] * weights[song]
        best = int(np.argmax(parts))
        kind = ""
        if parts[best] > REASON_MIN_GAIN / 2:
            high, low = _PHRASES[SONG_FEATURES[best]]
            kind = (high if x[song][best] > 0 else low) + " "
        if model.count[listener] >= MIN_RESPONSES_FOR_REASON:
            return f"{kind}songs like this {_VERBS[strategy]} before"
        if model.prior.responses:
            return f"{kind}songs like this {_AVERAGE_VERBS[strategy]}"
    if explored:
        return "trying a new kind of song for you"
    return None


@dataclass(frozen=True)
class Choice:
    """The next song of an adaptive session: the ``Recommendation`` (song, the ranker's score for
    its target, the target's index in ``plan``, reason, moods) and the plan it follows."""

    recommendation: Recommendation
    plan: Plan


class AdaptivePlanner:
    """Picks the next song of a session from the current reading and the listener's model."""

    def __init__(self, index: RecommenderIndex, k: int = CANDIDATES) -> None:
        if not isinstance(index, RecommenderIndex):
            raise UsageError(f"AdaptivePlanner needs a RecommenderIndex, but got {type(index).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k (candidates) must be a whole number >= 1, but got {k!r}")
        self.index = index
        self.features = SongFeatures.for_index(index)
        self.k = k

    def next_song(
        self,
        model: ResponseModel,
        reading: Reading | MoodPoint,
        strategy: str,
        songs_left: int,
        played: Sequence[str] = (),
        rng: np.random.Generator | int = 0,
        filters: Filters | None = None,
        exclude_ids: Iterable[str] = (),
        listener: int = 0,
    ) -> Choice | None:
        """The next song for ``listener`` of ``model``, now at ``reading`` (a point: the face's
        valence and arousal), with ``songs_left`` songs to go (this one included) after the
        session's songs ``played`` (ids, in order); None when no song is left to play. ``match``
        plays the ranker's best candidate; the other strategies choose by Thompson sampling."""
        strategy = _check_strategy(strategy)
        read = as_reading(reading)
        if read.point is None:
            raise InvalidMoodInput(
                "an adaptive session needs the reading's valence and arousal (a MoodPoint), "
                f"but got only mood probabilities {read.probabilities!r}"
            )
        if isinstance(played, str) or isinstance(exclude_ids, str):
            raise UsageError("played and exclude_ids must be collections of song ids, not one string")
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        ix = self.index
        plan, t = next_target(read, strategy, songs_left, first=not played)
        played_rows = ix.rows_of(list(played))
        exclude = np.zeros(len(ix), dtype=bool)
        exclude[ix.lookup([*played, *exclude_ids])] = True
        recent = played_rows[played_rows >= 0][-(ARTIST_WINDOW - 1) :]
        if len(recent):
            exclude |= np.isin(ix.artist, ix.artist[recent])
        allowed = ix.allowed(filters or Filters())[0]
        rows, scores = candidates(ix, plan.targets[t], self.k, exclude, allowed)
        if not len(rows):
            return None
        state = np.array([read.point.valence, read.point.arousal])
        if strategy in GOALS:
            own = model.view(listener)
            gains = sampled_gains(own, self.features, rows[None], state[None], strategy, rng)[0]
            output, sign = GOALS[strategy]
            expected = (
                sign * own.predict(self.features.design(rows[None], state[None, None]))[0][0, :, output]
            )
            pick = int(np.argmax(gains))
            explored = pick != int(np.argmax(expected))  # the draw, not the mean, chose it
            learned = reason_for(own, self.features, int(rows[pick]), state, strategy, explored)
        else:
            pick, learned = 0, None
        row = int(rows[pick])
        song = ix.catalog.songs[int(ix.rows[row])]
        because = reason(song, plan, t)
        probabilities = ix.space[row, len(DIMENSIONS) : -1] / SHORTLIST_MOOD_SCALE
        return Choice(
            Recommendation(
                song=song,
                score=float(scores[pick]),
                target=t,
                reason=because if learned is None else f"{learned}; {because}",
                moods={m: float(p) for m, p in zip(MUSIC_MOODS, probabilities, strict=True)},
            ),
            plan,
        )


__all__ = [
    "ADAPTIVE",
    "CANDIDATES",
    "AdaptivePlanner",
    "Choice",
    "candidates",
    "next_target",
    "reason_for",
    "sampled_gains",
]
