"""Ranking: a plan's targets -> songs from the catalog, one per target slot, each with a reason.

Each slot takes the best song not yet used by the score below, greedily in playing order.

The score of song s for target t
--------------------------------
::

    score = - d(s, t)                                     distance in standardised feature space
            + 1.0 * log(max(sum_k m_t[k] * P_s[k], 1e-4)) the mood model agrees with the wanted moods
            + 0.2 * (popularity_s / 100 - 0.5)            a small popularity prior (0 when unknown)
            + 0.5 * taste_s                               optional personal score, clipped to [-1, 1]
            - 0.5 * max_{j picked} exp(-d(s, j)^2 / 2)    MMR redundancy against the songs already picked

* ``d`` is the Euclidean distance over four standardised features (each minus the catalog's mean,
  divided by its standard deviation), weighted 1.0 for valence and energy (the song's point in the
  mood space, ``moodspace.song_point``) and 0.5 for danceability and acousticness, secondary dims
  that tell a ballad from a dance track at the same point; the target's values come from
  ``moodtune.music.plan``. Unknown danceability or acousticness (songs whose features were estimated
  from tags) is taken as the catalog median; songs without valence or energy cannot be placed and
  are left out (``RecommenderIndex.unplaced`` counts them).
* ``P_s`` is ``mood_model.load_default()``'s P(happy, sad, calm, energetic) for the song (81.6%
  5-fold accuracy on data_moods; features the catalog lacks, such as liveness, are imputed by the
  model), ``m_t`` the target's wanted moods. Position alone cannot say a song's mood (the quadrant
  rule agrees with data_moods' labels on 45% of songs). The weight 1.0 was chosen on mood
  consistency (share of the top 10 whose data_moods label fits the listener mood, ranking the 686
  labelled songs with out-of-fold probabilities, ``benchmarks/recommend_bench.py``), negative /
  neutral / positive: weight 0 (position only) 0.5 / 0.4 / 0.9, 0.25 -> 0.8 / 1.0 / 0.9, 0.5 ->
  0.9 / 1.0 / 0.9, 1.0 and up 1.0 / 1.0 / 0.9: the smallest weight on the plateau, so distance
  still orders songs of the right mood. Those figures are of the first listener anchors (whole
  labels' centroids); with today's (``moodtune.music.plan``: the songs whose label and sound agree)
  weight 0 gives 0.8 / 0.4 / 0.9, 0.25 -> 1.0 / 1.0 / 0.9, 0.5 and up 1.0 / 1.0 / 1.0, and 1.0 was
  kept. The floor keeps one confident disagreement finite.
* MMR is maximal marginal relevance (J. Carbonell & J. Goldstein, "The use of MMR, diversity-based
  reranking for reordering documents and producing summaries", SIGIR 1998): relevance is the rest
  of the score, similarity a Gaussian kernel of ``d``, and weight 0.5 is their lambda = 2/3. As
  they re-rank a retrieved set, it re-ranks each slot's ``MMR_CANDIDATES`` (64) best remaining
  songs. It changed none of the mood consistency figures above.
* The popularity prior (at most +-0.1, a tenth of a standard deviation of distance) only orders
  near-equals; the taste weight lets a liked song (+1) beat one half a standard deviation closer.

Hard rules: no artist twice in any window of ``ARTIST_WINDOW`` (10) consecutive songs (artists
compared by ``normalize.artist_key``, so 빅뱅 and BIGBANG are one artist), no song from
``exclude_ids`` (the listener's recent history; ids not in the catalog are ignored), and the
``Filters``. A filter that cannot judge a song (unknown language, no genre, unknown decade) excludes
it, and the result's ``unjudged`` says how many songs that was, per filter and in all.

Determinism: the same catalog, plan, filters, history and seed give the same list. Ties (equal
scores after rounding to 1e-9; songs whose features were estimated from the same tags tie exactly)
are broken by a seeded permutation of the catalog: SplitMix64's bijective mixing function (G. L.
Steele, D. Lea & C. H. Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) of the
song's position plus a seed-dependent offset, computed only for the candidates.

Speed: ``RecommenderIndex`` computes everything per song once per catalog (mood probabilities,
standardised features, popularity, artist, filter columns, a k-d tree) and never per request. Each
target gets a shortlist of ``SHORTLIST`` (100) songs that is then scored exactly. It comes from a
scikit-learn ``KDTree`` (what ``NearestNeighbors(algorithm="kd_tree")`` wraps, asked directly to
skip per-call overhead) over the weighted standardised features, ``SHORTLIST_MOOD_SCALE`` (1.0)
times the mood probabilities, and one column that gives every song's mood part the same norm, so
that the squared distance to the query (the target's features, its wanted moods, 0) is d^2 minus
twice the mood match m . p plus a constant (the reduction of inner products to nearest neighbours of
Y. Bachrach et al., "Speeding up the Xbox recommender system using a Euclidean transformation for
inner-product spaces", RecSys 2014): a song of a wanted mood counts as near even when the target
wants a blend. A trajectory asks the tree only at every ``WAYPOINT_EVERY``-th target, for 1.5 times
as many songs (``_Request._tree_slates``). When the songs a filter allows are at most ``EXACT_LIMIT``
(5,000) they are all scored (plain numpy); a filter that keeps more than that but under
``FILTER_TREE_SHARE`` (a quarter) of the catalog gets a tree of its own, built on its first request
and kept. A slot whose shortlist runs out is re-scored against every allowed song.

On the shipped catalog (124 plans of 20 songs) the shortlist picks the same first song as scoring
every song in every plan, the same song in 95.0% of slots and 97.9% of the same songs; the
differences are at targets the catalog barely covers (a neutral listener at arousal 0.9 wants calm
music, and no calm song is that lively).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moodtune.errors import UsageError
from moodtune.moodspace import MUSIC_MOODS
from moodtune.music.catalog import FEATURES, Catalog, Song, _decade
from moodtune.music.mood_model import FEATURES as MODEL_FEATURES
from moodtune.music.mood_model import MoodModel, load_default
from moodtune.music.normalize import artist_key, fold, load_aliases
from moodtune.music.plan import MAX_TARGETS, Plan, Target

DIMENSIONS: tuple[str, ...] = ("valence", "energy", "danceability", "acousticness")
"""The features of the distance, in column order."""
DIMENSION_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 0.5, 0.5)
"""Each dimension's weight on its squared standardised difference."""

ARTIST_WINDOW = 10
"""No artist twice in any window of this many consecutive songs."""
SHORTLIST = 100
"""Candidates per target before the exact score."""
SHORTLIST_MOOD_SCALE = 1.0
"""How much the mood probabilities count, next to the features, when shortlisting with the k-d tree."""
EXACT_LIMIT = 5_000
"""At most this many allowed songs: score them all instead of shortlisting with the tree."""
WAYPOINT_EVERY = 4
"""A trajectory asks the k-d tree only at every this-many-th target and the last (``_tree_slates``)."""
WAYPOINT_SHORTLIST = 1.5
"""How many songs a waypoint asks for, in multiples of the shortlist."""
MMR_CANDIDATES = 64
"""How many of a slot's best remaining songs the MMR penalty re-ranks."""
FILTER_TREE_SHARE = 0.25
"""A filter that keeps less than this share of the songs (and more than ``EXACT_LIMIT``) gets a k-d
tree of its own, built on first use and kept; a broader one asks the catalog's tree for more songs."""
_FILTER_TREES = 8
_FILTER_CACHE = 32
_TIE_DECIMALS = 9


@dataclass(frozen=True)
class ScoreWeights:
    """The weights of the score (see the module docstring)."""

    mood: float = 1.0
    popularity: float = 0.2
    taste: float = 0.5
    diversity: float = 0.5
    mood_floor: float = 1e-4

    def __post_init__(self) -> None:
        for name in ("mood", "popularity", "taste", "diversity"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise UsageError(f"ScoreWeights.{name} must be a finite number >= 0, but got {value!r}")
        if not 0 < self.mood_floor < 1:
            raise UsageError(f"ScoreWeights.mood_floor must be in (0, 1), but got {self.mood_floor!r}")


_DECADE_FORMAT = "a decade such as '1990s'"


@dataclass(frozen=True)
class Filters:
    """Which songs may be recommended: a language (ISO 639-1, e.g. ``ko``), a genre (matches the
    genre itself and its sub-genres: ``pop`` matches ``pop/throwback``; any case), a decade
    (``1990s``), whether a YouTube video is required (``youtube_only``), and whether the song must
    play in the page at all (``playable_only``: a YouTube video or a Spotify id, so either player
    can play it). A song the filter cannot judge (language, genres or year unknown) is left out and
    counted in the result's ``unjudged``."""

    language: str | None = None
    genre: str | None = None
    decade: str | None = None
    youtube_only: bool = False
    playable_only: bool = False

    def __post_init__(self) -> None:
        if self.language is not None:
            code = str(self.language).strip().lower()
            if len(code) != 2 or not code.isascii() or not code.isalpha():
                raise UsageError(
                    f"language must be a two-letter ISO 639-1 code such as 'ko' or 'en', but got "
                    f"{self.language!r}"
                )
            object.__setattr__(self, "language", code)
        if self.genre is not None:
            genre = fold(str(self.genre))
            if not genre:
                raise UsageError("genre must name a genre such as 'k-pop' or 'jazz', but got an empty string")
            object.__setattr__(self, "genre", genre)
        if self.decade is not None:
            text = str(self.decade).strip().lower()
            if not (len(text) == 5 and text[:4].isdigit() and text[3] == "0" and text[4] == "s"):
                raise UsageError(f"decade must be {_DECADE_FORMAT}, but got {self.decade!r}")
            object.__setattr__(self, "decade", text)
        for name in ("youtube_only", "playable_only"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"{name} must be True or False, but got {getattr(self, name)!r}")

    @property
    def active(self) -> bool:
        return any((self.language, self.genre, self.decade, self.youtube_only, self.playable_only))

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "genre": self.genre,
            "decade": self.decade,
            "youtube_only": self.youtube_only,
            "playable_only": self.playable_only,
        }


@dataclass(frozen=True)
class Recommendation:
    """A recommended song: its score for its slot (the MMR penalty included), the index of the plan
    target it fills (0-based), the mood model's probabilities for it, and a one-line reason."""

    song: Song
    score: float
    target: int
    reason: str
    moods: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        s = self.song
        return {
            "id": s.id,
            "title": s.title,
            "artist": s.artist,
            "language": s.language,
            "genres": list(s.genres),
            "year": s.year,
            "decade": None if _decade(s) == "unknown" else _decade(s),
            "valence": s.valence,
            "energy": s.energy,
            "danceability": s.danceability,
            "acousticness": s.acousticness,
            "popularity": s.popularity,
            "youtube_id": s.youtube_id,
            "spotify_id": s.spotify_id,
            "estimated": sorted(s.estimated),
            "reason": self.reason,
            "score": round(self.score, 4),
            "target": self.target,
            "moods": {m: round(p, 4) for m, p in self.moods.items()},
        }


class RecommendationList(list[Recommendation]):
    """The recommended songs in playing order (a plain list of ``Recommendation``), with the plan they
    follow, the filters used, and ``unjudged``: ``{"songs": N, "by_filter": {filter: N}}``, the songs
    left out because a filter could not judge them."""

    def __init__(
        self,
        items: Iterable[Recommendation] = (),
        *,
        plan: Plan,
        filters: Filters | None = None,
        unjudged: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(items)
        self.plan = plan
        self.filters = filters or Filters()
        self.unjudged: dict[str, Any] = dict(unjudged or {"songs": 0, "by_filter": {}})

    def to_dict(self) -> dict[str, Any]:
        """``{"plan": {"strategy", "reading", "targets"}, "filters", "songs": [...], "unjudged"}``."""
        return {
            "plan": self.plan.to_dict(),
            "filters": self.filters.to_dict(),
            "songs": [r.to_dict() for r in self],
            "unjudged": self.unjudged,
        }


def _id_key(song_id: str) -> int | None:
    """``s_`` + 12 hex digits -> the 48-bit number they spell; None for anything else."""
    if not isinstance(song_id, str) or len(song_id) != 14 or not song_id.startswith("s_"):
        return None
    try:
        return int(song_id[2:], 16)
    except ValueError:
        return None


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _tiebreak(rows: np.ndarray, seed: int) -> np.ndarray:
    """A seeded permutation of positions: SplitMix64's finaliser of ``row + (seed + 1) * golden``."""
    offset = np.uint64(((seed + 1) * 0x9E3779B97F4A7C15) % (1 << 64))
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) * _GOLDEN + offset
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class RecommenderIndex:
    """Everything the ranker needs per song, computed once per catalog (never per request).

    Rows are the catalog's songs that have valence and energy, in catalog order (``rows`` holds
    their catalog positions); ``space`` is ``(n, 9)``, the k-d tree's space: the four weighted
    standardised features, then ``SHORTLIST_MOOD_SCALE`` times the four mood probabilities and the
    column that evens their norm (see the module docstring).
    """

    def __init__(
        self,
        catalog: Catalog,
        model: MoodModel | None = None,
        weights: ScoreWeights | None = None,
        shortlist: int = SHORTLIST,
    ) -> None:
        if not isinstance(catalog, Catalog):
            raise UsageError(f"RecommenderIndex needs a Catalog, but got {type(catalog).__name__}")
        if isinstance(shortlist, bool) or not isinstance(shortlist, int) or shortlist < 1:
            raise UsageError(f"shortlist must be a positive whole number, but got {shortlist!r}")
        self.catalog = catalog
        self.weights = weights or ScoreWeights()
        self.shortlist = shortlist
        feats = catalog.features()
        placed = np.isfinite(feats[:, [FEATURES.index("valence"), FEATURES.index("energy")]]).all(axis=1)
        self.rows = np.flatnonzero(placed)
        self.unplaced = int(len(catalog) - len(self.rows))
        feats = feats[self.rows]
        n = len(self.rows)

        x = feats[:, [FEATURES.index(d) for d in DIMENSIONS]]
        for j in range(x.shape[1]):
            known = np.isfinite(x[:, j])
            x[~known, j] = float(np.median(x[known, j])) if known.any() else 0.5
        self.mean = x.mean(axis=0) if n else np.full(len(DIMENSIONS), 0.5)
        scale = x.std(axis=0) if n else np.ones(len(DIMENSIONS))
        self.scale = np.where(scale > 1e-9, scale, 1.0)
        self.dim_weights = np.sqrt(np.array(DIMENSION_WEIGHTS))
        model = model or load_default()
        model_input = np.full((n, len(MODEL_FEATURES)), np.nan)
        for j, name in enumerate(MODEL_FEATURES):
            if name in FEATURES:
                model_input[:, j] = feats[:, FEATURES.index(name)]
        probabilities = model.predict_proba(model_input) if n else np.zeros((0, len(MUSIC_MOODS)))
        # The last column gives every song's mood part the same norm, so that the tree's distance to
        # a target's (features, wanted moods) ranks by distance minus the mood match m . p (the
        # inner-product-to-neighbour reduction of Bachrach et al., RecSys 2014).
        spare = np.sqrt(np.clip(1.0 - (probabilities**2).sum(axis=1, keepdims=True), 0.0, None))
        self.space = np.hstack(
            [
                (x - self.mean) / self.scale * self.dim_weights,
                SHORTLIST_MOOD_SCALE * probabilities,
                SHORTLIST_MOOD_SCALE * spare,
            ]
        )
        del feats, x, model_input

        aliases = load_aliases()
        artist_codes: dict[str, int] = {}
        key_codes: dict[str, int] = {}
        languages: dict[str, int] = {}
        genres: dict[str, list[int]] = {}
        self.artist = np.empty(n, dtype=np.int64)
        self.language = np.full(n, -1, dtype=np.int16)
        self.decade = np.full(n, -1, dtype=np.int16)
        self.youtube = np.zeros(n, dtype=bool)
        self.spotify = np.zeros(n, dtype=bool)
        self.has_genre = np.zeros(n, dtype=bool)
        prior = np.zeros(n)
        keys = np.empty(n, dtype=np.int64)
        songs = catalog.songs
        for r, pos in enumerate(self.rows.tolist()):
            song = songs[pos]
            code = artist_codes.get(song.artist)
            if code is None:
                key = artist_key(song.artist, aliases)
                code = artist_codes[song.artist] = key_codes.setdefault(key, len(key_codes))
            self.artist[r] = code
            if song.language is not None:
                self.language[r] = languages.setdefault(song.language, len(languages))
            decade = _decade(song)
            if decade[:4].isdigit():
                self.decade[r] = int(decade[:4])
            self.youtube[r] = song.youtube_id is not None
            self.spotify[r] = song.spotify_id is not None
            if song.genres:
                self.has_genre[r] = True
                for g in {fold(g) for g in song.genres}:
                    genres.setdefault(g, []).append(r)
            if song.popularity is not None:
                prior[r] = song.popularity / 100.0 - 0.5
            key_number = _id_key(song.id)  # Song checks its id, so never None
            keys[r] = -1 if key_number is None else key_number
        self.prior = prior
        self.artist_count = len(key_codes)
        self._languages = languages
        self._genres = {g: np.array(rs, dtype=np.int64) for g, rs in genres.items()}
        order = np.argsort(keys, kind="stable")
        self._keys, self._key_rows = keys[order], order
        self._filters: dict[Filters, tuple[np.ndarray | None, dict[str, Any]]] = {}
        self._tree: Any = None
        self._filter_trees: dict[Filters, tuple[Any, np.ndarray]] = {}
        if n > EXACT_LIMIT:
            # NearestNeighbors(algorithm="kd_tree") wraps this tree; asked directly, a query skips
            # its per-call checks and thread pool (about 4 ms, most of a request on this catalog).
            from sklearn.neighbors import KDTree

            self._tree = KDTree(self.space, leaf_size=40)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> RecommenderIndex:
        """The index of ``catalog`` with the default model and weights, built on first use and kept
        for as long as the catalog lives."""
        index = _INDEXES.get(catalog)
        if index is None:
            index = _INDEXES[catalog] = cls(catalog)
        return index

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def probabilities(self) -> np.ndarray:
        """``(n, 4)`` mood-model probabilities, columns in ``MUSIC_MOODS`` order."""
        return self.space[:, len(DIMENSIONS) : -1] / SHORTLIST_MOOD_SCALE

    def nbytes(self) -> int:
        """Bytes held by the index's arrays and k-d trees (not the catalog's songs)."""
        arrays = [
            self.rows,
            self.space,
            self.artist,
            self.language,
            self.decade,
            self.youtube,
            self.spotify,
            self.has_genre,
            self.prior,
            self._keys,
            self._key_rows,
            *self._genres.values(),
        ]
        total = sum(a.nbytes for a in arrays)
        trees = [self._tree, *(tree for tree, _ in self._filter_trees.values())]
        for tree in trees:
            if tree is not None:
                total += sum(a.nbytes for a in tree.get_arrays() if isinstance(a, np.ndarray))
        total += sum(rows.nbytes for _, rows in self._filter_trees.values())
        return int(total)

    def lookup(self, song_ids: Iterable[str]) -> np.ndarray:
        """Index rows of the given song ids, sorted and unique; ids not in the index are skipped."""
        rows = self.rows_of(song_ids)
        return np.unique(rows[rows >= 0])

    def rows_of(self, song_ids: Iterable[str]) -> np.ndarray:
        """The index row of each song id, in order; -1 where the id is not in the index."""
        keys = np.array([-1 if (k := _id_key(i)) is None else k for i in song_ids], dtype=np.int64)
        if not len(keys) or not len(self._keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return np.where((self._keys[at] == keys) & (keys >= 0), self._key_rows[at], -1)

    def set_youtube(self, song_ids: Iterable[str]) -> None:
        """Which songs the ``youtube_only`` filter lets through: those with a video that plays (the
        catalog's ids, less the ones reported unplayable, plus the ones the YouTube resolver
        confirmed; the web service keeps this in step). ``playable_only`` lets these through and
        every song with a Spotify id. Cached filters that used the old set go."""
        mask = np.zeros(len(self.rows), dtype=bool)
        rows = self.rows_of(list(song_ids))
        mask[rows[rows >= 0]] = True
        self.youtube = mask
        for cache in (self._filters, self._filter_trees):
            for key in [f for f in list(cache) if f.youtube_only or f.playable_only]:
                cache.pop(key, None)

    def target_vector(self, target: Target) -> np.ndarray:
        """A target in the index's weighted standardised feature space (4 values)."""
        raw = np.array(
            [(target.valence + 1) / 2, (target.arousal + 1) / 2, target.danceability, target.acousticness]
        )
        return np.asarray((raw - self.mean) / self.scale * self.dim_weights)

    def filter_tree(self, filters: Filters) -> tuple[Any, np.ndarray]:
        """A k-d tree over the songs ``filters`` allows, and their rows; built on first use, the
        last ``_FILTER_TREES`` kept."""
        hit = self._filter_trees.get(filters)
        if hit is None:
            from sklearn.neighbors import KDTree

            mask = self.allowed(filters)[0]
            rows = np.arange(len(self.rows)) if mask is None else np.flatnonzero(mask)
            if len(self._filter_trees) >= _FILTER_TREES:
                self._filter_trees.pop(next(iter(self._filter_trees)))
            hit = self._filter_trees[filters] = (KDTree(self.space[rows], leaf_size=40), rows)
        return hit

    def allowed(self, filters: Filters) -> tuple[np.ndarray | None, dict[str, Any]]:
        """A mask of the rows ``filters`` allows (None: all) and the ``unjudged`` counts; cached per
        filter."""
        hit = self._filters.get(filters)
        if hit is not None:
            return hit
        n = len(self.rows)
        if not filters.active:
            result: tuple[np.ndarray | None, dict[str, Any]] = (None, {"songs": 0, "by_filter": {}})
        else:
            mask = np.ones(n, dtype=bool)
            judged = np.ones(n, dtype=bool)
            by_filter: dict[str, int] = {}
            if filters.language is not None:
                known = self.language >= 0
                code = self._languages.get(filters.language, -2)
                mask &= self.language == code
                judged &= known
                by_filter["language"] = int(n - known.sum())
            if filters.genre is not None:
                genre_mask = np.zeros(n, dtype=bool)
                for g, rs in self._genres.items():
                    if g == filters.genre or g.startswith(filters.genre + "/"):
                        genre_mask[rs] = True
                mask &= genre_mask
                judged &= self.has_genre
                by_filter["genre"] = int(n - self.has_genre.sum())
            if filters.decade is not None:
                known = self.decade >= 0
                mask &= self.decade == int(filters.decade[:4])
                judged &= known
                by_filter["decade"] = int(n - known.sum())
            if filters.youtube_only:
                mask &= self.youtube
            if filters.playable_only:
                mask &= self.youtube | self.spotify
            result = (mask, {"songs": int(n - judged.sum()), "by_filter": by_filter})
        if len(self._filters) >= _FILTER_CACHE:
            self._filters.pop(next(iter(self._filters)))
        self._filters[filters] = result
        return result


_INDEXES: weakref.WeakKeyDictionary[Catalog, RecommenderIndex] = weakref.WeakKeyDictionary()


@dataclass
class _Slate:
    """One target's candidates, best first: index rows and base scores."""

    rows: np.ndarray
    scores: np.ndarray
    complete: bool  # every allowed song is in it


class _Request:
    """The state of one ``recommend`` call: what is allowed, what is taken, the taste, the seed."""

    def __init__(
        self,
        index: RecommenderIndex,
        filters: Filters,
        excluded: np.ndarray,
        taste: tuple[np.ndarray, np.ndarray],
        seed: int,
    ) -> None:
        self.index = index
        self.filters = filters
        allowed, unjudged = index.allowed(filters)
        self.unjudged = {
            "songs": unjudged["songs"],
            "by_filter": dict(unjudged["by_filter"]),
        }  # the cache's stays
        self.allowed = allowed
        self.allowed_count = len(index) if allowed is None else int(allowed.sum())
        self.excluded = len(excluded)
        # Songs that may not be picked: the history now, and each pick as it is made.
        self.blocked = np.zeros(len(index), dtype=bool)
        self.blocked[excluded] = True
        self.taste_rows, self.taste_values = taste
        self.seed = seed
        self.w = index.weights
        self.picks: list[int] = []
        self.picked = 0
        self.picked_points = np.zeros((0, len(DIMENSIONS)))
        # Artists of the last ARTIST_WINDOW - 1 picks, as a mask over artist codes.
        self.artist_blocked = np.zeros(index.artist_count, dtype=bool)

    def take(self, row: int) -> None:
        """Record a pick: the song is taken, its artist blocked for the next ``ARTIST_WINDOW - 1`` slots."""
        ix = self.index
        self.blocked[row] = True
        self.picks.append(row)
        if self.picked == len(self.picked_points):
            grown = np.zeros((max(32, 2 * self.picked), len(DIMENSIONS)))
            grown[: self.picked] = self.picked_points[: self.picked]
            self.picked_points = grown
        self.picked_points[self.picked] = ix.space[row, : len(DIMENSIONS)]
        self.picked += 1
        window = self.picks[-(ARTIST_WINDOW - 1) :]
        if len(self.picks) >= ARTIST_WINDOW:
            self.artist_blocked[ix.artist[self.picks[-ARTIST_WINDOW]]] = False
        self.artist_blocked[ix.artist[window]] = True

    def base(self, rows: np.ndarray, z: np.ndarray, moods: np.ndarray) -> np.ndarray:
        """The score without the MMR term: ``rows`` ``(T, K)`` index rows against ``T`` targets
        given as ``z`` ``(T, 4)`` (``RecommenderIndex.target_vector``) and wanted ``moods`` ``(T, 4)``."""
        ix = self.index
        k = len(DIMENSIONS)
        pts = ix.space[rows]
        distance = np.sqrt(((pts[..., :k] - z[:, None, :]) ** 2).sum(axis=-1))
        mix = np.einsum("tkm,tm->tk", pts[..., k:-1], moods) / SHORTLIST_MOOD_SCALE
        score = (
            -distance
            + self.w.mood * np.log(np.maximum(mix, self.w.mood_floor))
            + self.w.popularity * ix.prior[rows]
        )
        if len(self.taste_rows) and self.w.taste:
            at = np.minimum(np.searchsorted(self.taste_rows, rows), len(self.taste_rows) - 1)
            hit = self.taste_rows[at] == rows
            score[hit] += self.w.taste * self.taste_values[at[hit]]
        return np.asarray(score)

    def slates(self, targets: Sequence[Target], everything: bool = False) -> list[_Slate]:
        """Each target's shortlist, scored and sorted best first (ties in seeded order), without
        the songs not allowed or taken (see the module docstring). ``everything``: all allowed songs."""
        ix = self.index
        total = len(ix)
        z = np.array([ix.target_vector(t) for t in targets])
        moods = np.array([t.moods for t in targets])
        want = ix.shortlist + self.excluded
        k = min(total, math.ceil(want * total / max(self.allowed_count, 1)))
        if not (everything or ix._tree is None or self.allowed_count <= EXACT_LIMIT):
            if self.allowed is None or self.allowed_count >= FILTER_TREE_SHARE * total:
                return self._tree_slates(z, moods, ix._tree, None, k)
            tree, rows = ix.filter_tree(self.filters)
            return self._tree_slates(z, moods, tree, rows, min(want, len(rows)))
        pool = np.arange(total) if self.allowed is None else np.flatnonzero(self.allowed)
        rows = np.broadcast_to(pool, (len(targets), len(pool)))
        complete = everything or len(pool) <= want
        if not complete:
            top = np.argpartition(-self.base(rows, z, moods), want - 1, axis=1)[:, :want]
            rows = np.take_along_axis(rows, top, axis=1)
        return self._sorted(rows, z, moods, complete)

    def _tree_slates(
        self, z: np.ndarray, moods: np.ndarray, tree: Any, tree_rows: np.ndarray | None, k: int
    ) -> list[_Slate]:
        """Shortlists from a k-d tree (``tree_rows``: the index rows of its points, None when it
        holds every song): each target's ``k`` nearest songs in the tree's space.

        A query's cost is mostly fixed, so a trajectory of more than ``WAYPOINT_EVERY`` targets asks
        the tree only at waypoints (every ``WAYPOINT_EVERY``-th target and the last) for
        ``WAYPOINT_SHORTLIST * k`` songs each, and each target takes the songs of the two waypoints
        around it. Measured against scoring every song (``benchmarks/recommend_bench.py``), this
        keeps more of the exact picks than asking for each target's own ``k`` nearest (95% of slots
        against 93% on the shipped catalog), in less time.
        """
        size = len(self.index) if tree_rows is None else len(tree_rows)
        query = np.hstack([z, SHORTLIST_MOOD_SCALE * moods, np.zeros((len(z), 1))])
        t, kw = len(query), min(size, int(WAYPOINT_SHORTLIST * k))
        if t <= WAYPOINT_EVERY or kw >= size:
            rows = tree.query(query, k=k, return_distance=False)
            complete = k >= size
        else:
            way = np.unique(
                np.round(np.linspace(0, t - 1, math.ceil(t / WAYPOINT_EVERY) + 1)).astype(np.int64)
            )
            way_rows = tree.query(query[way], k=kw, return_distance=False)
            after = np.searchsorted(way, np.arange(t))  # the first waypoint at or after each target
            before = np.where(way[after] == np.arange(t), after, after - 1)
            rows, complete = np.hstack([way_rows[before], way_rows[after]]), False
        return self._sorted(rows if tree_rows is None else tree_rows[rows], z, moods, complete)

    def _sorted(self, rows: np.ndarray, z: np.ndarray, moods: np.ndarray, complete: bool) -> list[_Slate]:
        if len(self.taste_rows):
            extra = np.broadcast_to(self.taste_rows, (len(rows), len(self.taste_rows)))
            rows = np.hstack([rows, extra])
        scores = self.base(rows, z, moods)
        keep = ~self.blocked[rows] if self.allowed is None else self.allowed[rows] & ~self.blocked[rows]
        scores = np.where(keep, scores, -np.inf)
        order = np.lexsort((_tiebreak(rows, self.seed), -np.round(scores, _TIE_DECIMALS)), axis=-1)
        rows, scores = np.take_along_axis(rows, order, axis=1), np.take_along_axis(scores, order, axis=1)
        # Sorting put copies of a song side by side (same score, same tie-break): keep the first.
        keep = np.isfinite(scores)
        keep[:, 1:] &= rows[:, 1:] != rows[:, :-1]
        return [_Slate(r[m], sc[m], complete) for r, sc, m in zip(rows, scores, keep, strict=True)]


def _pick(request: _Request, slate: _Slate) -> tuple[int, float] | None:
    """The best song of ``slate`` for the next slot, or None when it has none left.

    Candidates are the ``MMR_CANDIDATES`` best (by base score) songs of the slate that are not
    taken and whose artist is not among the last ``ARTIST_WINDOW - 1`` picks; the MMR penalty
    re-ranks them, as Carbonell & Goldstein re-rank a retrieved top set; ties go to the first in
    slate order (score, then the seeded permutation).
    """
    ix = request.index
    k = len(DIMENSIONS)
    rows = slate.rows[:MMR_CANDIDATES]
    valid = ~(request.blocked[rows] | request.artist_blocked[ix.artist[rows]])
    if valid.all():
        scores = slate.scores[:MMR_CANDIDATES]
    else:
        # Walk on until enough candidates are found (rarely far: only taken songs and 9 artists are out).
        rows, scores = rows[valid], slate.scores[: len(valid)][valid]
        start = len(valid)
        while len(rows) < MMR_CANDIDATES and start < len(slate.rows):
            more = slate.rows[start : start + 4 * MMR_CANDIDATES]
            ok = ~(request.blocked[more] | request.artist_blocked[ix.artist[more]])
            rows = np.concatenate([rows, more[ok]])
            scores = np.concatenate([scores, slate.scores[start : start + len(more)][ok]])
            start += len(more)
        rows, scores = rows[:MMR_CANDIDATES], scores[:MMR_CANDIDATES]
    if not len(rows):
        return None
    if request.picked and request.w.diversity:
        done = request.picked_points[: request.picked]
        sq = ((ix.space[rows, None, :k] - done) ** 2).sum(axis=2).min(axis=1)
        scores = scores - request.w.diversity * np.exp(-0.5 * sq)
    i = int(scores.argmax())
    return int(rows[i]), float(scores[i])


def _same_place(t: Target) -> tuple[float, ...]:
    """What a target asks for, without its step: equal keys get one shortlist."""
    return (t.valence, t.arousal, *t.moods, t.danceability, t.acousticness)


def _slot_targets(n: int, t: int) -> list[int]:
    """Which of ``t`` targets each of ``n`` slots follows: the trajectory resampled, both ends kept."""
    if n == t:
        return list(range(n))
    if n == 1:
        return [0]
    return [round(i * (t - 1) / (n - 1)) for i in range(n)]


def _taste(index: RecommenderIndex, taste: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Taste scores as sorted index rows and their values clipped to [-1, 1]; unknown ids dropped."""
    if not taste:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    for song_id, value in taste.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise UsageError(f"taste scores must be finite numbers, but {song_id!r} has {value!r}")
    rows = index.rows_of(taste.keys())
    values = np.clip(np.array(list(taste.values()), dtype=np.float64), -1.0, 1.0)
    known = rows >= 0
    rows, values = rows[known], values[known]
    order = np.argsort(rows, kind="stable")
    return rows[order], values[order]


def score_songs(index: RecommenderIndex, target: Target, rows: Sequence[int] | np.ndarray) -> np.ndarray:
    """The score of the module docstring, without taste and the MMR term, of index ``rows`` (not
    catalog positions; see ``RecommenderIndex.rows_of``) for one ``target``: how well the ranker
    would place each song there, before anything is picked. For offline evaluation
    (``moodtune.music.evaluate``); ``recommend`` scores the same way."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= len(index))):
        raise UsageError(f"rows must be index rows in [0, {len(index)}), but got {rows!r}")
    none = np.zeros(0, dtype=np.int64)
    request = _Request(index, Filters(), none, (none, np.zeros(0)), 0)
    z = index.target_vector(target)[None, :]
    return request.base(rows[None, :], z, np.array([target.moods]))[0]


def recommend(
    catalog: Catalog | RecommenderIndex,
    plan: Plan,
    n: int | None = None,
    filters: Filters | None = None,
    exclude_ids: Iterable[str] = (),
    seed: int = 0,
    taste: Mapping[str, float] | None = None,
) -> RecommendationList:
    """Songs for ``plan``, one per slot, in playing order (see the module docstring).

    ``n`` songs (default: one per target; otherwise the trajectory is resampled so the first and
    last slots follow the first and last targets); fewer when the catalog runs out of songs that
    pass the filters, the history and the artist rule. ``catalog`` is a ``RecommenderIndex`` or a
    ``Catalog`` (whose index is built once and kept, see ``RecommenderIndex.for_catalog``).
    ``taste`` maps song ids to personal scores (clipped to [-1, 1]); songs with a score join every
    target's shortlist.
    """
    index = catalog if isinstance(catalog, RecommenderIndex) else RecommenderIndex.for_catalog(catalog)
    if not isinstance(plan, Plan):
        raise UsageError(f"recommend needs a Plan (moodtune.music.plan.make_plan), but got {plan!r}")
    n = len(plan.targets) if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TARGETS:
        raise UsageError(f"n must be a whole number of songs from 1 to {MAX_TARGETS}, but got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise UsageError(f"seed must be a whole number, but got {seed!r}")
    if isinstance(exclude_ids, str):
        raise UsageError("exclude_ids must be a collection of song ids, not one string")
    filters = Filters() if filters is None else filters
    if not isinstance(filters, Filters):
        raise UsageError(
            "filters must be a Filters(language, genre, decade, youtube_only, playable_only), but got "
            f"{filters!r}"
        )
    request = _Request(index, filters, index.lookup(exclude_ids), _taste(index, taste), int(seed))
    slot_targets = _slot_targets(n, len(plan.targets))
    places: dict[tuple[float, ...], int] = {}
    for j in slot_targets:
        places.setdefault(_same_place(plan.targets[j]), j)
    shortlists = dict(
        zip(places.values(), request.slates([plan.targets[j] for j in places.values()]), strict=True)
    )
    slates = {j: shortlists[places[_same_place(plan.targets[j])]] for j in set(slot_targets)}

    scores: list[float] = []
    picked_slot: list[int] = []
    for slot, j in enumerate(slot_targets):
        found = _pick(request, slates[j])
        if found is None and not slates[j].complete:
            slates[j] = request.slates([plan.targets[j]], everything=True)[0]
            found = _pick(request, slates[j])
        if found is None:
            continue
        request.take(found[0])
        scores.append(found[1])
        picked_slot.append(slot)
    picked = request.picks

    songs = index.catalog.songs
    probabilities = index.space[np.array(picked, dtype=np.int64), len(DIMENSIONS) : -1] / SHORTLIST_MOOD_SCALE
    out = []
    for row, p, score, slot in zip(picked, probabilities, scores, picked_slot, strict=True):
        j = slot_targets[slot]
        song = songs[int(index.rows[row])]
        out.append(
            Recommendation(
                song=song,
                score=score,
                target=j,
                reason=reason(song, plan, j),
                moods={m: float(x) for m, x in zip(MUSIC_MOODS, p, strict=True)},
            )
        )
    return RecommendationList(out, plan=plan, filters=filters, unjudged=request.unjudged)


def _unit(value: float | None) -> float:
    return 0.5 if value is None else float(value)


def _describe(song: Song) -> list[str]:
    """Plain words for a song's energy, brightness and texture."""
    energy, valence = _unit(song.energy), _unit(song.valence)
    if energy < 0.3:
        words = ["low energy"]
    elif energy < 0.55:
        words = ["moderate energy"]
    else:
        words = ["lively" if energy < 0.8 else "high energy"]
    if valence < 0.25:
        words.append("dark")
    elif valence < 0.45:
        words.append("bittersweet")
    else:
        words.append("warm" if valence < 0.65 else "bright")
    if song.instrumentalness is not None and song.instrumentalness >= 0.6:
        words.append("instrumental")
    elif song.acousticness is not None and song.acousticness >= 0.6:
        words.append("acoustic, gentle" if energy < 0.4 else "acoustic")
    elif song.danceability is not None and song.danceability >= 0.7:
        words.append("danceable")
    return words


def _wanted_words(target: Target) -> str:
    """The wanted music moods worth naming (weight >= 0.25), heaviest first: "happy and energetic"."""
    ranked = sorted(target.mood_weights.items(), key=lambda kv: -kv[1])  # stable: MUSIC_MOODS order
    named = [m for m, w in ranked if w >= 0.25] or [ranked[0][0]]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def _direction(song: Song, start: Target) -> str:
    """How the song sits relative to the plan's start: "brighter and livelier", "darker", ..."""
    moves = []
    dv = 2 * _unit(song.valence) - 1 - start.valence
    da = 2 * _unit(song.energy) - 1 - start.arousal
    if abs(dv) >= 0.1:
        moves.append("brighter" if dv > 0 else "darker")
    if abs(da) >= 0.1:
        moves.append("livelier" if da > 0 else "calmer")
    return " and ".join(moves) or "close to where you started"


_TOWARD = {"lift": "toward a lighter mood", "calm": "toward a calmer mood", "energize": "toward more energy"}


def reason(song: Song, plan: Plan, target: int) -> str:
    """One line in plain words: what the song is like and how it serves its target, e.g. "low
    energy, dark, acoustic: matches a sad negative mood" or "brighter and livelier, lively: step 4
    of 10 toward a lighter mood". Directions compare the song with the plan's first target."""
    t = plan.targets[target]
    words = _describe(song)
    mood = plan.reading.mood
    suffix = " (features estimated from its tags)" if {"valence", "energy"} & song.estimated else ""
    if plan.strategy == "match":
        return f"{', '.join(words)}: matches a {_wanted_words(t)} {mood} mood{suffix}"
    toward = _TOWARD[plan.strategy]
    if t.step == 1:
        return (
            f"{', '.join(words)}: step 1 of {t.steps}, starting where you are ({mood} mood), {toward}{suffix}"
        )
    return f"{_direction(song, plan.targets[0])}, {words[0]}: step {t.step} of {t.steps} {toward}{suffix}"


__all__ = [
    "Filters",
    "Recommendation",
    "RecommendationList",
    "RecommenderIndex",
    "ScoreWeights",
    "reason",
    "recommend",
]
