"""The mood recommender interface, and the default implementation over the song catalog.

A mood recommender turns a listener's reading (a mood name, three mood probabilities, or a
``MoodPoint``) and a strategy (``match``, ``lift``, ``calm``, ``energize``; see
``moodtune.music.plan``) into a ``RecommendationList``: the plan, the songs in playing order, each
with a score and a one-line reason, and how many songs the filters could not judge.
``RecommendationList.to_dict()`` is the one JSON shape that ``moodtune recommend --json`` prints
and the web API returns::

    {"plan": {"strategy", "reading", "targets": [...]}, "filters": {...},
     "songs": [{"id", "title", "artist", "language", "genres", "year", "valence", "energy",
                "youtube_id", "spotify_id", "reason", "score", "target", "moods", ...}],
     "unjudged": {"songs": N, "by_filter": {...}}}

Every implementation must pass the contract test in ``tests/music/test_rank.py``
(``MoodRecommenderContract``): on a synthetic catalog built in code, the song nearest a target point
that has the wanted mood ranks first (the mood-recommender counterpart of implicit's held-out item).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from moodtune.moodspace import MoodPoint
from moodtune.music.catalog import Catalog
from moodtune.music.mood_model import MoodModel
from moodtune.music.plan import Reading, make_plan
from moodtune.music.rank import Filters, RecommendationList, RecommenderIndex, recommend

ReadingLike = Reading | str | MoodPoint | Mapping[str, float] | Sequence[float]
"""What a reading may be given as (see ``moodtune.music.plan.as_reading``)."""

__all__ = ["CatalogMoodRecommender", "MoodRecommender", "ReadingLike", "RecommendationList"]


@runtime_checkable
class MoodRecommender(Protocol):
    """Songs for a listener's mood; see the module docstring."""

    def recommend(
        self,
        reading: ReadingLike,
        strategy: str = "match",
        n: int = 20,
        filters: Filters | None = None,
        exclude_ids: Iterable[str] = (),
        seed: int = 0,
    ) -> RecommendationList:
        """``n`` songs following ``strategy`` from ``reading``; ``InvalidMoodInput`` for a bad
        reading, ``UsageError`` for a bad strategy, ``n`` or filter."""
        ...


class CatalogMoodRecommender:
    """The default mood recommender: ``plan.make_plan`` then ``rank.recommend`` over one catalog.

    The catalog's ``RecommenderIndex`` (mood probabilities, standardised features, k-d tree) is
    built once, here, and reused by every request.
    """

    def __init__(self, catalog: Catalog | None = None, model: MoodModel | None = None) -> None:
        self.catalog = Catalog.load() if catalog is None else catalog
        self.index = RecommenderIndex(self.catalog, model=model)

    def recommend(
        self,
        reading: ReadingLike,
        strategy: str = "match",
        n: int = 20,
        filters: Filters | None = None,
        exclude_ids: Iterable[str] = (),
        seed: int = 0,
        taste: Mapping[str, float] | None = None,
    ) -> RecommendationList:
        """See ``MoodRecommender.recommend``; ``taste`` maps song ids to personal scores in [-1, 1]
        (see ``rank.recommend``)."""
        plan = make_plan(reading, strategy, n)
        return recommend(self.index, plan, filters=filters, exclude_ids=exclude_ids, seed=seed, taste=taste)
