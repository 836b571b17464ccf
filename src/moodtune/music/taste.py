"""Personal taste: feedback events -> per-song scores for ``rank.recommend(..., taste=...)``.

Feedback
--------
A ``Feedback`` is one event (like, dislike, skip, played to the end) by one listener on one song.
Events are implicit feedback in the sense of Y. Hu, Y. Koren & C. Volinsky ("Collaborative filtering
for implicit feedback datasets", ICDM 2008): each says how confident we are that the listener likes
or dislikes the song, not a rating. ``EVENT_WEIGHTS``: like +3, played to the end +1, skip -1,
dislike -3 (an explicit answer counts three plays). A song's net weight for a listener
(``song_weights``) is its latest explicit answer (like or dislike; a change of mind replaces the
old answer) plus the sum of its plays and skips, clipped to [-3, 3] so that one song replayed fifty
times cannot outweigh everything else. Storage is not this module's job: functions take events as
any iterable, or a listener's net weights already summed up.

Kept state (``SongTaste``)
--------------------------
What a listener's events on one song add up to: the latest explicit answer and its time, the sum
of plays and skips, and the number of events. ``SongTaste.add`` folds one more event in, so a store
can keep one ``SongTaste`` per listener and song and update it as each event arrives
(``moodtune.store`` does, in the table ``taste_weights``) instead of reading every event again:
folding a listener's events in the order they were recorded gives exactly ``song_weights``. The
``*_from_weights`` functions take such kept net weights; the functions that take events sum them
up first and then do the same.

Scores (all in [-1, 1], the range ``rank.recommend`` clips taste to)
---------------------------------------------------------------------
* Content (``content_scores``): the listener's profile is the weighted mean of the standardised
  features (every feature of ``catalog.FEATURES``, minus the catalog mean, over its standard
  deviation; unknown values at the mean) of the songs with feedback, weighted by net weight, so
  disliked and skipped songs pull it away from them (Rocchio's relevance feedback: J. J. Rocchio,
  "Relevance feedback in information retrieval", 1971). A song scores its cosine similarity to the
  profile; a song the listener has feedback on scores its own net weight / 3 (an answer beats an
  inference). Only the ``TASTE_LIMIT`` songs with the largest scores by magnitude are returned,
  with every song that has feedback, because each taste song joins every target's shortlist.
* Collaborative (``fit_collaborative``, ``fit_collaborative_weights``): ALS
  (``collaborative.ALSRecommender``) on the listeners x songs matrix of positive net weights (a
  dislike is no evidence of what the listener would like, so the matrix holds only r > 0; dislikes
  act through the content score). A listener's scores for unseen songs are computed from their
  current positive net weights (``CollaborativeRecommender.recommend_row``: for ALS, the user's
  factors solved against the fitted item factors, as implicit's ``recalculate_user``), divided by
  the largest magnitude: a listener who arrived, or liked something, after the model was fitted is
  scored by what they did up to now, so a model fitted a while ago serves everyone.
* The blend (``taste_scores``): cold start, no feedback: ``{}``, so the ranking is the plain mood
  ranking. Fewer than ``MIN_EVENTS_FOR_CF`` (10) events for the listener, or fewer than
  ``MIN_LISTENERS_FOR_CF`` (3) listeners with positive feedback: content only (ALS on a handful of
  events or one listener learns nothing that the content profile does not). Otherwise ``(1 -
  CF_WEIGHT) * content + CF_WEIGHT * collaborative`` with ``CF_WEIGHT`` 0.5, a missing score
  counting 0; songs with the listener's own feedback keep their net weight / 3.
  ``taste_from_weights`` does the same from kept net weights and an event count, with whatever
  collaborative model the caller has (none: content only); it reads nothing but its arguments, so
  its cost depends on the catalog and on this listener's songs, never on other listeners' events.

"More like this" (``more_like_this``): the nearest songs in standardised feature space, scored by
the Gaussian kernel ``exp(-d^2 / (2 D))`` of their Euclidean distance over ``D`` features, in
(0, 1]; with a fitted collaborative model, half that and half its item similarity (for ALS the
cosine of item factors, clipped at 0). The song itself and every song by its artist
(``normalize.artist_key``, so 빅뱅 and BIGBANG are one) are left out.
"Not this" (``not_this``): the original service's "no" flow asked about decade, season and mood;
here it records a dislike and returns what the next request should use: the song excluded, the
filters the listener chose (``rank.Filters``) and an optional strategy.
"""

from __future__ import annotations

import itertools
import math
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from scipy import sparse

from moodtune.errors import UsageError
from moodtune.music.catalog import Catalog, Song
from moodtune.music.collaborative import ALSRecommender, CollaborativeRecommender
from moodtune.music.normalize import artist_key, load_aliases
from moodtune.music.plan import STRATEGIES
from moodtune.music.rank import Filters

__all__ = [
    "CF_WEIGHT",
    "EVENT_WEIGHTS",
    "MIN_EVENTS_FOR_CF",
    "MIN_LISTENERS_FOR_CF",
    "TASTE_LIMIT",
    "Collaborative",
    "Event",
    "Feedback",
    "NotThis",
    "SongTaste",
    "content_from_weights",
    "content_scores",
    "fit_collaborative",
    "fit_collaborative_weights",
    "more_like_this",
    "not_this",
    "similar_songs",
    "song_weights",
    "taste_from_weights",
    "taste_scores",
]

Event = Literal["like", "dislike", "skip", "complete"]
EVENTS: tuple[str, ...] = get_args(Event)

EVENT_WEIGHTS: dict[str, float] = {"like": 3.0, "complete": 1.0, "skip": -1.0, "dislike": -3.0}
"""Each event's implicit-feedback weight (see the module docstring)."""
MAX_WEIGHT = 3.0
"""A song's net weight is clipped to [-MAX_WEIGHT, MAX_WEIGHT]; scores divide by it."""
MIN_EVENTS_FOR_CF = 10
"""A listener needs this many events before collaborative scores join the content profile."""
MIN_LISTENERS_FOR_CF = 3
"""Collaborative filtering needs this many listeners with positive feedback."""
CF_WEIGHT = 0.5
"""The collaborative share of the blend (the content profile has the rest)."""
TASTE_LIMIT = 200
"""At most this many inferred scores (the largest in magnitude) besides the songs with feedback."""
_EXPLICIT = ("like", "dislike")


@dataclass(frozen=True)
class Feedback:
    """One event: ``listener`` (any non-empty id), ``song_id`` (a catalog id), ``event`` (``like``,
    ``dislike``, ``skip`` or ``complete``: played to the end) and ``at`` (seconds since the epoch)."""

    listener: str
    song_id: str
    event: Event
    at: float

    def __post_init__(self) -> None:
        for name in ("listener", "song_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"Feedback.{name} must be a non-empty string, but got {value!r}")
        if self.event not in EVENT_WEIGHTS:
            raise UsageError(
                f"Feedback.event must be one of {', '.join(EVENTS)} ('complete' = played to the end), "
                f"but got {self.event!r}"
            )
        at = self.at
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise UsageError(f"Feedback.at must be a finite time in seconds since the epoch, but got {at!r}")

    @property
    def weight(self) -> float:
        """The event's implicit-feedback weight (``EVENT_WEIGHTS``)."""
        return EVENT_WEIGHTS[self.event]


def _events(events: Iterable[Feedback]) -> list[Feedback]:
    if isinstance(events, Feedback | str):
        raise UsageError("events must be a collection of Feedback, not a single one; wrap it in a list")
    out = list(events)
    for i, e in enumerate(out):
        if not isinstance(e, Feedback):
            raise UsageError(f"events must be Feedback objects, but item {i} is {type(e).__name__}")
    return out


@dataclass(frozen=True)
class SongTaste:
    """A listener's events on one song, summed up so that the next event updates it alone (see
    "Kept state" in the module docstring): ``answer`` is the latest explicit answer (+3 like, -3
    dislike, None before any) and ``answer_at`` its time, ``plays`` the sum of the plays (+1) and
    skips (-1), ``events`` how many events there were. ``weight`` is the net weight."""

    answer: float | None = None
    answer_at: float | None = None
    plays: float = 0.0
    events: int = 0

    def add(self, event: Feedback) -> SongTaste:
        """This state with one more event. An answer replaces the kept one unless the kept one was
        given later (one given at the same time as the kept one, but recorded after it, wins, as in
        ``song_weights``, which orders events by time and keeps equal times in their order)."""
        if not isinstance(event, Feedback):
            raise UsageError(f"SongTaste.add needs a Feedback, but got {type(event).__name__}")
        if event.event not in _EXPLICIT:
            return SongTaste(self.answer, self.answer_at, self.plays + event.weight, self.events + 1)
        if self.answer_at is not None and event.at < self.answer_at:
            return SongTaste(self.answer, self.answer_at, self.plays, self.events + 1)
        return SongTaste(event.weight, float(event.at), self.plays, self.events + 1)

    @property
    def weight(self) -> float:
        """The net weight: the answer (0 without one) plus the plays, clipped to [-3, 3]."""
        net = (self.answer or 0.0) + self.plays
        return max(-MAX_WEIGHT, min(MAX_WEIGHT, net))


def _tastes(events: list[Feedback]) -> dict[str, dict[str, SongTaste]]:
    """listener -> song -> ``SongTaste``, the events folded in the order given."""
    out: dict[str, dict[str, SongTaste]] = defaultdict(dict)
    empty = SongTaste()
    for e in events:
        songs = out[e.listener]
        songs[e.song_id] = songs.get(e.song_id, empty).add(e)
    return out


def _weights(events: list[Feedback]) -> dict[str, dict[str, float]]:
    """listener -> song -> net weight (see the module docstring), listeners and songs sorted."""
    return {
        listener: {song: taste.weight for song, taste in sorted(songs.items())}
        for listener, songs in sorted(_tastes(events).items())
    }


def song_weights(events: Iterable[Feedback], listener: str) -> dict[str, float]:
    """The listener's net weight per song (in [-3, 3]; see the module docstring)."""
    return _weights(_events(events)).get(listener, {})


@dataclass(frozen=True)
class _Features:
    """What scoring needs of a catalog, computed once per catalog (a catalog never changes): the
    standardised features ``z`` with each row's norm (0 norms as 1), each id's row, the ids in
    catalog order and each row's rank in id order (for ties broken by id). Arrays are read-only."""

    z: np.ndarray
    norms: np.ndarray
    rows: dict[str, int]
    ids: tuple[str, ...]
    id_rank: np.ndarray


_FEATURES: weakref.WeakKeyDictionary[Catalog, _Features] = weakref.WeakKeyDictionary()
_FEATURES_LOCK = threading.Lock()


def _features(catalog: Catalog) -> _Features:
    with _FEATURES_LOCK:
        found = _FEATURES.get(catalog)
    if found is not None:
        return found
    x = catalog.features()
    known = np.isfinite(x)
    counts = known.sum(axis=0)
    mean = np.where(counts > 0, np.nansum(np.where(known, x, 0.0), axis=0) / np.maximum(counts, 1), 0.0)
    centred = np.where(known, x - mean, 0.0)
    std = np.sqrt((centred**2).sum(axis=0) / np.maximum(counts, 1))
    z = np.asarray(np.where(std > 1e-12, centred / np.where(std > 1e-12, std, 1.0), 0.0))
    norms = np.linalg.norm(z, axis=1)
    norms = np.where(norms > 1e-12, norms, 1.0)
    ids = catalog.ids
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    for array in (z, norms, id_rank):
        array.setflags(write=False)
    found = _Features(z, norms, {s: i for i, s in enumerate(ids)}, ids, id_rank)
    with _FEATURES_LOCK:  # two threads may both have computed it: the same value
        _FEATURES[catalog] = found
    return found


def _standardised(catalog: Catalog) -> np.ndarray:
    """``(N, len(FEATURES))``: each feature minus its catalog mean over its standard deviation;
    unknown values and constant features are 0. Read-only (computed once per catalog)."""
    return _features(catalog).z


def _positions(catalog: Catalog) -> dict[str, int]:
    return _features(catalog).rows


def _limit(scores: dict[str, float], keep: Iterable[str], limit: int) -> dict[str, float]:
    """The ``limit`` largest scores by magnitude (ties by id), plus every id in ``keep``."""
    kept = set(keep)
    ranked = sorted((k for k in scores if k not in kept), key=lambda k: (-abs(scores[k]), k))
    chosen = kept.union(ranked[:limit])
    return {k: v for k, v in scores.items() if k in chosen}


def _largest(magnitude: np.ndarray, candidates: np.ndarray, id_rank: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` candidate rows with the largest ``magnitude`` (ties by id), as ``_limit``
    chooses them, without sorting every row: only those at or above the limit-th largest value."""
    if len(candidates) <= limit:
        return candidates
    values = magnitude[candidates]
    kth = np.partition(values, len(values) - limit)[len(values) - limit]
    top = candidates[values >= kth]
    return top[np.lexsort((id_rank[top], -magnitude[top]))[:limit]]


def _own(weights: Mapping[str, float], catalog: Catalog) -> dict[str, float]:
    return {s: w / MAX_WEIGHT for s, w in weights.items() if s in catalog}


def _check_weights(weights: Mapping[str, float]) -> Mapping[str, float]:
    if not isinstance(weights, Mapping):
        raise UsageError(
            "weights must map song ids to net weights (as song_weights or Store.taste_weights give "
            f"them), not {type(weights).__name__}"
        )
    return weights


def content_from_weights(
    catalog: Catalog, weights: Mapping[str, float], limit: int = TASTE_LIMIT
) -> dict[str, float]:
    """Song id -> content score in [-1, 1] from one listener's net weights (song id -> weight in
    [-3, 3], as ``song_weights`` gives them); ``{}`` when none is on a song of this catalog."""
    _check_catalog(catalog, "content_scores")
    return _content(catalog, _own(_check_weights(weights), catalog), limit)


def _check_catalog(catalog: Catalog, what: str) -> None:
    if not isinstance(catalog, Catalog):
        raise UsageError(f"{what} needs a Catalog, but got {type(catalog).__name__}")


def _content(catalog: Catalog, own: dict[str, float], limit: int) -> dict[str, float]:
    """``content_from_weights`` from the weights of catalog songs divided by ``MAX_WEIGHT`` (``_own``)."""
    if not own:
        return {}
    f = _features(catalog)
    rows = np.array([f.rows[s] for s in own], dtype=np.int64)
    w = np.array(list(own.values()), dtype=np.float64)
    profile = (w[:, None] * f.z[rows]).sum(axis=0) / np.abs(w).sum()
    norm = float(np.linalg.norm(profile))
    if norm <= 1e-9:
        return own
    cosine = np.clip((f.z @ profile) / (f.norms * norm), -1.0, 1.0)
    others = np.ones(len(cosine), dtype=bool)
    others[rows] = False
    chosen = np.concatenate([rows, _largest(np.abs(cosine), np.flatnonzero(others), f.id_rank, limit)])
    chosen.sort()  # catalog order
    return {f.ids[i]: own.get(f.ids[i], float(cosine[i])) for i in chosen.tolist()}


def content_scores(
    catalog: Catalog, events: Iterable[Feedback], listener: str, limit: int = TASTE_LIMIT
) -> dict[str, float]:
    """Song id -> content score in [-1, 1] for ``listener`` (see the module docstring); ``{}`` when
    the listener has no feedback on songs of this catalog. Usable as ``rank.recommend(taste=...)``."""
    _check_catalog(catalog, "content_scores")
    return content_from_weights(catalog, song_weights(events, listener), limit)


@dataclass(frozen=True)
class Collaborative:
    """A collaborative model fitted on feedback: the recommender, its listeners (matrix rows) and
    the catalog's song ids (matrix columns, catalog order)."""

    recommender: CollaborativeRecommender
    listeners: tuple[str, ...]
    song_ids: tuple[str, ...]
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rows", {s: i for i, s in enumerate(self.song_ids)})

    def column(self, song_id: str) -> int | None:
        """The matrix column of a song, or None when it is not in the catalog it was fitted on."""
        return self._rows.get(song_id)


def fit_collaborative(
    catalog: Catalog,
    events: Iterable[Feedback],
    make: Callable[[], CollaborativeRecommender] = ALSRecommender,
) -> Collaborative | None:
    """Fit ``make()`` (ALS by default) on every listener's positive net weights over the catalog's
    songs; None when fewer than ``MIN_LISTENERS_FOR_CF`` listeners have any."""
    weights = _weights(_events(events))
    return fit_collaborative_weights(
        catalog, ((listener, s, w) for listener, songs in weights.items() for s, w in songs.items()), make
    )


def fit_collaborative_weights(
    catalog: Catalog,
    weights: Iterable[tuple[str, str, float]],
    make: Callable[[], CollaborativeRecommender] = ALSRecommender,
) -> Collaborative | None:
    """``fit_collaborative`` from net weights already summed up: ``(listener, song id, net weight)``
    triples, one per listener and song, in any order (non-positive weights and songs not in the
    catalog are left out). Matrix rows are the listeners in sorted order, as ``fit_collaborative``'s."""
    _check_catalog(catalog, "fit_collaborative")
    column = _positions(catalog)
    seen: dict[str, int] = {}  # listener -> the order they came in
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for listener, song_id, weight in weights:
        c = column.get(song_id)
        if c is not None and weight > 0:
            rows.append(seen.setdefault(listener, len(seen)))
            cols.append(c)
            vals.append(weight)
    if len(seen) < MIN_LISTENERS_FOR_CF:
        return None
    listeners = sorted(seen)
    row_of = np.empty(len(seen), dtype=np.int64)
    row_of[[seen[name] for name in listeners]] = np.arange(len(listeners))
    matrix = sparse.csr_matrix(
        (np.array(vals, dtype=np.float32), (row_of[np.array(rows, dtype=np.int64)], np.array(cols))),
        shape=(len(listeners), len(catalog)),
        dtype=np.float32,
    )
    return Collaborative(make().fit(matrix), tuple(listeners), catalog.ids)


def _cf_scores(model: Collaborative, weights: Mapping[str, float], limit: int) -> dict[str, float]:
    """The collaborative scores of the listener whose net weights these are (see the module
    docstring), from these weights rather than the row the model was fitted on."""
    liked = sorted((c, w) for s, w in weights.items() if w > 0 and (c := model.column(s)) is not None)
    if not liked:
        return {}
    row = sparse.csr_matrix(
        ([w for _, w in liked], ([0] * len(liked), [c for c, _ in liked])),
        shape=(1, len(model.song_ids)),
        dtype=np.float32,
    )
    items, scores = model.recommender.recommend_row(row, n=min(limit, len(model.song_ids)))
    top = float(np.abs(scores).max()) if len(scores) else 0.0
    if top <= 0:
        return {}
    ids = model.song_ids
    return dict(zip([ids[i] for i in items.tolist()], np.clip(scores / top, -1.0, 1.0).tolist(), strict=True))


def _check_min_events(min_events_for_cf: int) -> int:
    if isinstance(min_events_for_cf, bool) or not isinstance(min_events_for_cf, int) or min_events_for_cf < 0:
        raise UsageError(f"min_events_for_cf must be a whole number >= 0, but got {min_events_for_cf!r}")
    return min_events_for_cf


def taste_from_weights(
    catalog: Catalog,
    weights: Mapping[str, float],
    events: int,
    collaborative: Collaborative | None = None,
    min_events_for_cf: int = MIN_EVENTS_FOR_CF,
    limit: int = TASTE_LIMIT,
) -> dict[str, float]:
    """Song id -> taste score in [-1, 1] for the listener whose net weights (song id -> weight, as
    ``song_weights`` gives them) and number of ``events`` these are: ``{}`` without feedback, the
    content profile below ``min_events_for_cf`` events or without a ``collaborative`` model, then
    the blend with the model's scores for these weights (see the module docstring)."""
    _check_min_events(min_events_for_cf)
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise UsageError(
            f"events must be the listener's number of events, a whole number >= 0, not {events!r}"
        )
    _check_catalog(catalog, "taste_scores")
    own = _own(_check_weights(weights), catalog)
    content = _content(catalog, own, limit)
    if not content or events < min_events_for_cf or collaborative is None:
        return content
    cf = _cf_scores(collaborative, weights, limit)
    if not cf:
        return content
    blend = {
        s: (1 - CF_WEIGHT) * content.get(s, 0.0) + CF_WEIGHT * cf.get(s, 0.0) for s in set(content) | set(cf)
    }
    blend.update(own)
    return _limit(dict(sorted(blend.items())), own, limit)


def taste_scores(
    catalog: Catalog,
    events: Iterable[Feedback],
    listener: str,
    min_events_for_cf: int = MIN_EVENTS_FOR_CF,
    collaborative: Collaborative | None = None,
    limit: int = TASTE_LIMIT,
) -> dict[str, float]:
    """Song id -> taste score in [-1, 1] for ``listener``: ``{}`` without feedback (cold start),
    the content profile below ``min_events_for_cf`` events, then the blend with collaborative
    scores (see the module docstring). ``collaborative`` is a model from ``fit_collaborative`` on
    the same events; without one it is fitted here when needed. ``taste_from_weights`` is the same
    from kept net weights."""
    _check_min_events(min_events_for_cf)
    events = _events(events)
    tastes = _tastes(events).get(listener, {})
    weights = {s: tastes[s].weight for s in sorted(tastes)}
    count = sum(t.events for t in tastes.values())
    model = collaborative
    if model is None and count >= min_events_for_cf and _own(weights, catalog):
        model = fit_collaborative(catalog, events)
    return taste_from_weights(catalog, weights, count, model, min_events_for_cf, limit)


def more_like_this(
    catalog: Catalog, song_id: str, n: int = 10, collaborative: Collaborative | None = None
) -> list[tuple[Song, float]]:
    """Up to ``n`` songs like ``song_id`` with their similarity in (0, 1], best first (ties by
    catalog order), never the song itself or its artist (see the module docstring)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"n must be a positive whole number, but got {n!r}")
    return list(itertools.islice(similar_songs(catalog, song_id, collaborative), n))


def similar_songs(
    catalog: Catalog, song_id: str, collaborative: Collaborative | None = None
) -> Iterator[tuple[Song, float]]:
    """``more_like_this`` without a count: every other artist's song, best first, made as the
    caller takes them (a caller that filters stops after the first few it keeps)."""
    if not isinstance(catalog, Catalog):
        raise UsageError(f"more_like_this needs a Catalog, but got {type(catalog).__name__}")
    song = catalog.get(song_id)
    if song is None:
        raise UsageError(f"no song with id {song_id!r} in the catalog; pick one from a recommendation list")
    index = _similarity_index(catalog)
    z = index.z
    row = index.positions[song_id]
    sq = ((z - z[row]) ** 2).sum(axis=1)
    sim = np.exp(-sq / (2 * z.shape[1]))
    if collaborative is not None:
        column = collaborative.column(song_id)
        if column is not None and collaborative.song_ids == catalog.ids:
            items, scores = collaborative.recommender.similar_items(column, n=len(catalog) - 1)
            cf = np.zeros(len(catalog))
            cf[items] = np.clip(scores, 0.0, 1.0)
            sim = 0.5 * sim + 0.5 * cf
    eligible = np.flatnonzero(index.artists != index.artists[row])  # the song's own artist too
    order = eligible[np.lexsort((eligible, -sim[eligible]))]
    return ((catalog.songs[int(i)], float(sim[i])) for i in order)


@dataclass(frozen=True)
class _SimilarityIndex:
    """What ``more_like_this`` needs of a catalog, computed once per catalog: the standardised
    features, each song's row, and each song's artist (``normalize.artist_key``) as a number."""

    z: np.ndarray
    positions: dict[str, int]
    artists: np.ndarray


_INDEXES: weakref.WeakKeyDictionary[Catalog, _SimilarityIndex] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def _similarity_index(catalog: Catalog) -> _SimilarityIndex:
    with _INDEX_LOCK:
        index = _INDEXES.get(catalog)
    if index is not None:
        return index
    aliases = load_aliases()
    keys: dict[str, int] = {}
    artists = np.array([keys.setdefault(artist_key(s.artist, aliases), len(keys)) for s in catalog.songs])
    index = _SimilarityIndex(_standardised(catalog), _positions(catalog), artists)
    with _INDEX_LOCK:
        _INDEXES[catalog] = index
    return index


@dataclass(frozen=True)
class NotThis:
    """What "not this" gives back: the dislike to store, and what the refreshed request should use
    (the song excluded, the filters and strategy the listener chose, None = unchanged)."""

    feedback: Feedback
    exclude_ids: tuple[str, ...]
    filters: Filters | None = None
    strategy: str | None = None


def not_this(
    listener: str,
    song_id: str,
    at: float,
    filters: Filters | None = None,
    strategy: str | None = None,
) -> NotThis:
    """The listener's "no" on a song: a ``dislike`` to record (the caller stores it; it then lowers
    the song and songs like it through ``taste_scores``), and the refresh to run: the same request
    without the song, with the listener's answers to "another decade, genre, language?"
    (``filters``) and "another mood direction?" (``strategy``, one of ``plan.STRATEGIES``)."""
    if filters is not None and not isinstance(filters, Filters):
        raise UsageError(
            f"filters must be a Filters(language, genre, decade, youtube_only), but got {filters!r}"
        )
    if strategy is not None and strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}, but got {strategy!r}")
    feedback = Feedback(listener, song_id, "dislike", at)
    return NotThis(feedback=feedback, exclude_ids=(song_id,), filters=filters, strategy=strategy)
