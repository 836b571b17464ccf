"""What the app holds for its lifetime, built once from ``Settings``: the store, the catalog and
its recommender, the analysis pool, the rate limiter, the cookie signer and the metrics.

Caches here are short-lived on purpose: several server processes share one database, so a video
marked unplayable by one process reaches the others within ``UNPLAYABLE_TTL`` seconds, and a video
confirmed by ``moodtune youtube resolve`` (or another process's live search) within
``CONFIRMED_TTL`` seconds.

Taste (``taste``) reads only the listener's own kept weights (``Store.taste_weights``, updated with
each event), so its cost does not grow with the feedback table. The collaborative model is fitted
in the background from every listener's kept weights (``background.Background``), again every
``COLLABORATIVE_TTL`` seconds: a request never waits for a fit, is content-only until the first
fit ends, and is scored from the listener's current weights by the latest model (a like counts in
the very next request).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from moodtune.music.catalog import Catalog, Song, _decade
from moodtune.music.rank import Filters
from moodtune.music.recommender import CatalogMoodRecommender
from moodtune.music.taste import (
    MIN_EVENTS_FOR_CF,
    Collaborative,
    fit_collaborative_weights,
    taste_from_weights,
)
from moodtune.settings import Settings
from moodtune.store.keys import COOKIE_KEY, shared_key
from moodtune.store.repository import Store
from moodtune.vision.classifier import EmotionReading
from moodtune.web.analysis import AnalysisPool, Worker
from moodtune.web.background import Background
from moodtune.web.listener import ListenerCookie
from moodtune.web.metrics import Metrics
from moodtune.web.ratelimit import RateLimiter
from moodtune.youtube.play import play_for, playable_video, youtube_ids
from moodtune.youtube.service import YouTube

UNPLAYABLE_TTL = 5.0
CONFIRMED_TTL = 30.0
COLLABORATIVE_TTL = 300.0
"""Seconds between two fits of the collaborative model (in the background)."""


T = TypeVar("T")


class Refreshed(Generic[T]):
    """A value read from the store and kept ``ttl`` seconds, then read again (at once when asked
    ``fresh``): what another process wrote reaches this one within ``ttl``."""

    def __init__(self, read: Callable[[], T], ttl: float) -> None:
        self._read = read
        self._ttl = ttl
        self._lock = threading.Lock()
        self._at = -math.inf
        self._value: T | None = None

    def get(self, fresh: bool = False) -> T:
        now = time.monotonic()
        value = self._value
        if fresh or value is None or now - self._at > self._ttl:
            value = self._read()
            with self._lock:
                self._at, self._value = now, value
        return value

    def update(self, change: Callable[[T], T]) -> None:
        """Change the kept value in place of a re-read (its age is kept)."""
        with self._lock:
            self._value = change(self._value if self._value is not None else self._read())


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.resolved_database_url)
        self.catalog = Catalog.load(settings.catalog)
        self.recommender = CatalogMoodRecommender(self.catalog)
        self.songs_by_video: dict[str, Song] = {}
        for song in self.catalog:
            for video in youtube_ids(song):
                self.songs_by_video.setdefault(video, song)
        self.analysis = AnalysisPool(
            lambda: Worker.build(settings.detector, settings.model, settings.flip_average),
            settings.threads,
            settings.analyze_queue,
        )
        # The model's labels and mood grouping, for readings made here (calibration, stored history):
        # only its pure ``readings``, never its session, which the pool's threads own.
        self.classifier = self.analysis.sample().classifier
        meta = self.classifier.meta
        self.model_version = meta.version
        self.labels: tuple[str, ...] = tuple(meta.labels)
        self.moods: tuple[str, ...] = tuple(meta.moods)
        self.mood_groups: dict[str, tuple[str, ...]] = dict(meta.mood_groups)
        self.limiter = RateLimiter(settings.rate_limit)
        # One key for every process and host on this database (moodtune.store.keys), unless set.
        secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        key = secret or shared_key(self.store, COOKIE_KEY, seed=settings.signing_key())
        self.cookie = ListenerCookie(key, settings.cookie_secure)
        self.metrics = Metrics()
        self._lock = threading.Lock()
        self._unplayable = Refreshed(self.store.unplayable_videos, UNPLAYABLE_TTL)
        self._confirmed = Refreshed(self.store.confirmed_videos, CONFIRMED_TTL)
        self.youtube = YouTube(settings, self.store)
        self.collaborative: Background[Collaborative | None] = Background(
            self._fit_collaborative, COLLABORATIVE_TTL, name="collaborative model fit"
        )
        self._youtube_view: tuple[frozenset[str], dict[str, tuple[str, ...]]] | None = None
        self.options = self._options()

    def close(self) -> None:
        self.collaborative.close()
        self.analysis.close()
        self.youtube.close()
        self.store.close()

    # --- videos -----------------------------------------------------------------------------
    def unplayable(self, fresh: bool = False) -> frozenset[str]:
        """The videos reported unplayable (``Store.unplayable_videos``)."""
        return self._unplayable.get(fresh)

    def hidden_for(self, listener_id: str | None, fresh: bool = False) -> frozenset[str]:
        """The videos not to play for this listener: those unplayable for everyone and those the
        listener reported themselves (``Store.reported_videos``; none for a new listener)."""
        everyone = self.unplayable(fresh)
        if listener_id is None:
            return everyone
        return everyone | self.store.reported_videos(listener_id)

    def unplayable_songs(self, hidden: frozenset[str], spotify_plays: bool = False) -> set[str]:
        """The ids of songs with a catalog video none of whose videos plays with ``hidden`` out
        (beyond those the ``youtube_only`` and ``playable_only`` filters already leave out for
        everyone); with ``spotify_plays``, not those Spotify can play instead."""
        personal = hidden - self.unplayable()
        confirmed = self.confirmed()
        out: set[str] = set()
        for video in personal:
            song = self.song_for_video(video)
            if song is None or (spotify_plays and song.spotify_id):
                continue
            if playable_video(song, hidden, confirmed.get(song.id, ())) is None:
                out.add(song.id)
        return out

    def not_playing_for(self, filters: Filters, hidden: frozenset[str]) -> set[str]:
        """Songs ``filters`` lets through for everyone that will not play for a listener who hides
        ``hidden``: for ``youtube_only``, those whose every video is hidden; for ``playable_only``,
        those of them without a Spotify id. None for filters that do not ask for playability."""
        if filters.youtube_only:
            return self.unplayable_songs(hidden)
        if filters.playable_only:
            return self.unplayable_songs(hidden, spotify_plays=True)
        return set()

    def confirmed(self, fresh: bool = False) -> dict[str, tuple[str, ...]]:
        """Song id -> the videos the YouTube resolver confirmed for it (``Store.confirmed_videos``)."""
        return self._confirmed.get(fresh)

    def add_confirmed(self, song_id: str, youtube_id: str) -> None:
        """Make a video just confirmed here playable at once, before the next read of the store."""
        self._confirmed.update(
            lambda known: {
                **known,
                song_id: (youtube_id, *(v for v in known.get(song_id, ()) if v != youtube_id)),
            }
        )

    def sync_youtube_filter(self) -> None:
        """Keep the recommender's ``youtube_only`` and ``playable_only`` filters in step with what
        plays now: a song whose every video was reported unplayable drops out (of
        ``playable_only`` too, unless Spotify plays it), a song the resolver found a video for
        comes in. Recomputed only when either set changed (a few hundred songs have videos)."""
        view = (self.unplayable(), self.confirmed())
        if view == self._youtube_view:
            return
        unplayable, confirmed = view
        candidates = {s.id: s for s in self.songs_by_video.values()}
        playing = [
            song_id
            for song_id in {*candidates, *confirmed}
            if (song := candidates.get(song_id) or self.catalog.get(song_id)) is not None
            and playable_video(song, unplayable, confirmed.get(song_id, ())) is not None
        ]
        self.recommender.index.set_youtube(playing)
        with self._lock:
            self._youtube_view = view

    def song_for_video(self, youtube_id: str) -> Song | None:
        """The song a video belongs to: by the catalog, else by the resolver's confirmations."""
        song = self.songs_by_video.get(youtube_id)
        if song is not None:
            return song
        for song_id, videos in self.confirmed().items():
            if youtube_id in videos:
                return self.catalog.get(song_id)
        return None

    def play(self, song: Song, unplayable: frozenset[str] | None = None) -> dict[str, Any]:
        """How the page plays ``song`` now (``youtube.play.play_for`` with what this process knows)."""
        return play_for(
            song, self.unplayable() if unplayable is None else unplayable, self.confirmed().get(song.id, ())
        )

    def song_out(self, song: Song, unplayable: frozenset[str] | None = None, **extra: Any) -> dict[str, Any]:
        """A song as the API returns it: ``Song.to_dict()``, its decade, and ``play``."""
        out = song.to_dict()
        decade = _decade(song)
        out["decade"] = None if decade == "unknown" else decade
        out["play"] = self.play(song, unplayable)
        out.update(extra)
        return out

    # --- taste ------------------------------------------------------------------------------
    def taste(self, listener_id: str) -> dict[str, float]:
        """The listener's taste scores (``taste.taste_from_weights``) from their kept weights and,
        from ``MIN_EVENTS_FOR_CF`` events on, the latest collaborative model (none yet: content
        only). Reads the listener's own rows only (see the module docstring)."""
        kept = self.store.taste_weights(listener_id)
        if not kept.weights:
            return {}
        model = self.collaborative.get() if kept.events >= MIN_EVENTS_FOR_CF else None
        return taste_from_weights(self.catalog, kept.weights, kept.events, collaborative=model)

    def _fit_collaborative(self) -> Collaborative | None:
        """The collaborative model on every listener's positive kept weights (in the background)."""
        return fit_collaborative_weights(self.catalog, self.store.positive_weights())

    # --- moods ------------------------------------------------------------------------------
    def reading(self, probs: np.ndarray) -> EmotionReading:
        """One face's emotion probabilities (in ``labels`` order) as the model reports them: rounded,
        with the mood probabilities of the model's own grouping."""
        return self.classifier.readings(np.asarray(probs, dtype=np.float64)[None, :])[0]

    def _options(self) -> dict[str, Any]:
        stats = self.catalog.stats()
        return {
            "languages": [k for k in stats["by_language"] if k != "unknown"],
            "genres": [k for k in list(stats["by_genre"])[:40] if k != "unknown"],
            "decades": sorted(k for k in stats["by_decade"] if k != "unknown"),
        }
