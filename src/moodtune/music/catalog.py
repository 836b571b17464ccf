"""The song catalog: songs with Spotify-style audio features, ids on three services, and tags.

``Song`` is one song; ``Catalog`` holds them with a ``(N, k)`` feature matrix for fast ranking
(NaN where a feature is unknown), lookup by id, search, statistics, and one storage format: a
gzip-compressed CSV, one row per song, shipped in the package as ``data/catalog.csv.gz`` and
built from ``shared/data/music`` by ``moodtune catalog build`` (``moodtune.music.build``; the
sources and their terms are in ``data/DATA.md``).

Audio features follow Spotify's Web API definitions: valence ("the musical positiveness conveyed
by a track"), energy ("a perceptual measure of intensity and activity"), danceability,
acousticness, instrumentalness and speechiness are in [0, 1]; tempo is in beats per minute;
loudness in dB (Spotify's values run from -60 to 0, a few tracks slightly above). A feature can
be *measured* (from a file of Spotify features) or *estimated* (from a curated song's Korean mood
tag, see ``moodtune.music.build.TAG_FEATURES``); ``Song.estimated`` names the estimated ones, so a
ranker can tell them apart.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.errors import CatalogError, UsageError
from moodtune.music.normalize import canonical_artist, compact, load_aliases
from moodtune.paths import default_data_dir

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.csv.gz"
"""The catalog shipped in the package (written by ``moodtune catalog build``)."""


def user_catalog_path() -> Path:
    """Where ``moodtune catalog import`` keeps the listener's own catalog (the shipped songs plus
    theirs), outside the installed package so a reinstall keeps it: ``$MOODTUNE_DATA_DIR``, else
    ``$XDG_DATA_HOME/moodtune``, else ``~/.local/share/moodtune``."""
    return default_data_dir() / "catalog.csv.gz"


def default_catalog_path() -> Path:
    """The user's catalog once they imported songs, else the shipped one."""
    user = user_catalog_path()
    return user if user.is_file() else CATALOG_PATH


UNIT_FEATURES: tuple[str, ...] = (
    "valence",
    "energy",
    "danceability",
    "acousticness",
    "instrumentalness",
    "speechiness",
)
FEATURES: tuple[str, ...] = (*UNIT_FEATURES[:3], "tempo", *UNIT_FEATURES[3:], "loudness")
"""Every audio feature a song can carry, in the column order of ``Catalog.features()``."""

FEATURE_RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, 1.0) for name in UNIT_FEATURES},
    # Spotify reports tempos from about 30 to 250 BPM; 0 means "not detected", so it is not a tempo.
    "tempo": (1.0, 300.0),
    # Spotify's loudness runs from -60 dB to 0 dB; mastered tracks reach about +1.5 dB.
    "loudness": (-60.0, 5.0),
}
"""Valid values of each feature, bounds included; anything outside is rejected."""

LIST_SEPARATOR = "|"
"""Separates the items of list-valued fields (genres, tags, playlists, ...) in a CSV cell."""

_ID = re.compile(r"^s_[0-9a-f]{12}$")
YOUTUBE_ID = re.compile(r"\A[A-Za-z0-9_-]{11}\Z")
"""A YouTube video id (as in watch?v=dQw4w9WgXcQ): the one pattern the catalog, the store and the
web API check ids against."""
LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
"""A song's language: an ISO 639-1 code (ko, en, ja, ...)."""
_LIST_FIELDS = ("genres", "mood_tags", "playlists", "sources", "other_ids")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Song:
    """One song. Unknown values are None; list-valued fields are tuples; ``estimated`` names the
    features that were estimated rather than measured.

    ``other_ids`` keeps the ids that lost to the primary ones when rows were merged, as
    ``service:id`` (``youtube:abc123def45``): a second upload of the video to fall back to when
    the first one is removed or cannot be embedded.
    """

    id: str
    title: str
    artist: str
    album: str | None = None
    year: int | None = None
    genres: tuple[str, ...] = ()
    language: str | None = None
    valence: float | None = None
    energy: float | None = None
    danceability: float | None = None
    tempo: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    speechiness: float | None = None
    loudness: float | None = None
    popularity: int | None = None
    duration_ms: int | None = None
    spotify_id: str | None = None
    youtube_id: str | None = None
    melon_id: str | None = None
    mood_tags: tuple[str, ...] = ()
    playlists: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    estimated: frozenset[str] = field(default_factory=frozenset)
    other_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise CatalogError(
                f"Song.id must look like 's_' + 12 hex digits (see song_id), but got {self.id!r}"
            )
        for name in ("title", "artist"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise CatalogError(
                    f"Song.{name} must be a non-empty string, but got {value!r} (id {self.id})"
                )
        for name in FEATURES:
            value = getattr(self, name)
            if value is None:
                continue
            low, high = FEATURE_RANGES[name]
            if not _is_number(value) or not low <= float(value) <= high:  # NaN fails the range check
                raise CatalogError(
                    f"Song.{name} must be a number in [{low:g}, {high:g}] or None, but got {value!r} "
                    f"(id {self.id})"
                )
        if self.popularity is not None and (
            not _is_number(self.popularity) or not 0 <= self.popularity <= 100
        ):
            raise CatalogError(f"Song.popularity must be 0-100 or None, but got {self.popularity!r}")
        if self.duration_ms is not None and (not _is_number(self.duration_ms) or self.duration_ms <= 0):
            raise CatalogError(
                f"Song.duration_ms must be a positive integer or None, but got {self.duration_ms!r}"
            )
        if self.year is not None and (not _is_number(self.year) or not 1000 <= self.year <= 2999):
            raise CatalogError(f"Song.year must be a four-digit year or None, but got {self.year!r}")
        if self.language is not None and not LANGUAGE_CODE.match(str(self.language)):
            raise CatalogError(
                f"Song.language must be an ISO 639-1 code such as 'ko' or 'en', or None, "
                f"but got {self.language!r}"
            )
        for name in _LIST_FIELDS:
            items = getattr(self, name)
            if not isinstance(items, tuple) or not all(isinstance(x, str) and x for x in items):
                raise CatalogError(f"Song.{name} must be a tuple of non-empty strings, but got {items!r}")
            bad = [x for x in items if LIST_SEPARATOR in x]
            if bad:
                raise CatalogError(f"Song.{name} items must not contain {LIST_SEPARATOR!r}, but got {bad}")
        unknown = set(self.estimated) - set(FEATURES)
        if not isinstance(self.estimated, frozenset) or unknown:
            raise CatalogError(
                f"Song.estimated must be a frozenset of feature names {list(FEATURES)}, "
                f"but got {self.estimated!r}"
            )
        missing = [name for name in self.estimated if getattr(self, name) is None]
        if missing:
            raise CatalogError(
                f"Song.estimated names features without a value: {sorted(missing)} (id {self.id})"
            )

    @property
    def measured(self) -> frozenset[str]:
        """The features that have a measured (not estimated) value."""
        return frozenset(n for n in FEATURES if getattr(self, n) is not None) - self.estimated

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: tuples as lists, ``estimated`` as a sorted list."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, frozenset):
                value = sorted(value)
            out[f.name] = value
        return out


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Song))
"""The header of the stored CSV, in field order."""

_INT_FIELDS = ("year", "popularity", "duration_ms")


def _song_to_row(song: Song) -> list[str]:
    row: list[str] = []
    for name in COLUMNS:
        value = getattr(song, name)
        if value is None:
            row.append("")
        elif isinstance(value, tuple):
            row.append(LIST_SEPARATOR.join(value))
        elif isinstance(value, frozenset):
            row.append(LIST_SEPARATOR.join(sorted(value)))
        elif isinstance(value, float):
            row.append(repr(value))
        else:
            row.append(str(value))
    return row


def _song_from_row(row: dict[str, str], where: str) -> Song:
    kwargs: dict[str, Any] = {}
    try:
        for name in COLUMNS:
            cell = row.get(name) or ""
            if name in _LIST_FIELDS:
                kwargs[name] = tuple(x for x in cell.split(LIST_SEPARATOR) if x)
            elif name == "estimated":
                kwargs[name] = frozenset(x for x in cell.split(LIST_SEPARATOR) if x)
            elif not cell:
                kwargs[name] = None
            elif name in FEATURES:
                kwargs[name] = float(cell)
            elif name in _INT_FIELDS:
                kwargs[name] = int(cell)
            else:
                kwargs[name] = cell
        return Song(**kwargs)
    except (ValueError, CatalogError) as exc:
        message = exc.message if isinstance(exc, CatalogError) else str(exc)
        raise CatalogError(f"{where}: {message}; rebuild it with `moodtune catalog build`") from None


class Catalog:
    """Songs in a fixed order, with a ``(N, len(FEATURES))`` float matrix (NaN where unknown)."""

    def __init__(self, songs: Sequence[Song]) -> None:
        self._songs: tuple[Song, ...] = tuple(songs)
        self._index: dict[str, int] = {}
        for i, song in enumerate(self._songs):
            if not isinstance(song, Song):
                raise CatalogError(f"a Catalog holds Song objects, but item {i} is {type(song).__name__}")
            if song.id in self._index:
                raise CatalogError(
                    f"song ids must be unique, but {song.id} appears at positions {self._index[song.id]} "
                    f"and {i}; merge the two songs (moodtune.music.build.merge_songs) first"
                )
            self._index[song.id] = i
        self._matrix = np.full((len(self._songs), len(FEATURES)), np.nan, dtype=np.float64)
        self._estimated = np.zeros((len(self._songs), len(FEATURES)), dtype=bool)
        for i, song in enumerate(self._songs):
            for j, name in enumerate(FEATURES):
                value = getattr(song, name)
                if value is not None:
                    self._matrix[i, j] = value
                    self._estimated[i, j] = name in song.estimated
        self._search_text: list[str] | None = None

    def __len__(self) -> int:
        return len(self._songs)

    def __iter__(self) -> Iterator[Song]:
        return iter(self._songs)

    def __contains__(self, song_id: object) -> bool:
        return song_id in self._index

    @property
    def songs(self) -> tuple[Song, ...]:
        return self._songs

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self._songs)

    def get(self, song_id: str) -> Song | None:
        """The song with this id, or None."""
        i = self._index.get(song_id)
        return None if i is None else self._songs[i]

    def _columns(self, names: Sequence[str] | None) -> list[int]:
        wanted = list(FEATURES if names is None else names)
        unknown = [n for n in wanted if n not in FEATURES]
        if unknown or not wanted:
            raise CatalogError(f"feature names must be some of {list(FEATURES)}, but got {wanted}")
        return [FEATURES.index(n) for n in wanted]

    def features(self, names: Sequence[str] | None = None) -> np.ndarray:
        """``(N, k)`` float64 array of the named features (all of ``FEATURES`` by default), rows in
        catalog order, NaN where a song's value is unknown. The array is a copy."""
        return self._matrix[:, self._columns(names)].copy()

    def estimated_mask(self, names: Sequence[str] | None = None) -> np.ndarray:
        """``(N, k)`` booleans: True where the value in ``features(names)`` is estimated."""
        return self._estimated[:, self._columns(names)].copy()

    def _texts(self) -> list[str]:
        if self._search_text is None:
            # Artists are also found by their other spellings: 빅뱅 finds BIGBANG and back.
            aliases = load_aliases()
            spellings: dict[str, set[str]] = {}
            for alias_key, canonical in aliases.items():
                spellings.setdefault(compact(canonical), set()).add(alias_key)
            texts = []
            for song in self._songs:
                canonical = compact(canonical_artist(song.artist, aliases))
                names = {compact(song.artist), canonical, *spellings.get(canonical, ())}
                texts.append("\n".join([compact(song.title), *sorted(names)]))
            self._search_text = texts
        return self._search_text

    def search(self, query: str, limit: int = 20) -> list[Song]:
        """Songs whose title or artist contains ``query``, ignoring case, accents, spaces and
        punctuation (``"bigbang"`` finds ``BIG BANG``, ``"브라운아이즈"`` finds ``브라운 아이즈``),
        and artists' other spellings from the alias table (``"빅뱅"`` finds ``BIGBANG``).

        Best first: title equal to the query, then title starting with it, then the rest; more
        popular songs first within each group. A query without a letter or digit, or a ``limit``
        below 1, is a ``UsageError`` (the caller's to fix; the catalog is fine).
        """
        if limit < 1:
            raise UsageError(f"limit must be at least 1, but got {limit}")
        needle = compact(query)
        if not needle:
            raise UsageError(
                f"a search query needs at least one letter or digit, but got {query!r}; try a title or artist"
            )
        hits = []
        for i, text in enumerate(self._texts()):
            if needle in text:
                title = text.split("\n", 1)[0]
                rank = 0 if title == needle else 1 if title.startswith(needle) else 2
                song = self._songs[i]
                hits.append((rank, -(song.popularity or 0), song.title, song.id, i))
        hits.sort()
        return [self._songs[h[-1]] for h in hits[:limit]]

    def stats(self) -> dict[str, Any]:
        """Counts: songs, by source, language ("unknown" when not known), decade (from the year,
        else from a curated ``decade:`` tag, else "unknown"), genre, songs with a YouTube id,
        songs with a known language, songs with measured valence and energy, and estimated
        features."""
        by_source: Counter[str] = Counter()
        by_language: Counter[str] = Counter()
        by_decade: Counter[str] = Counter()
        by_genre: Counter[str] = Counter()
        estimated: Counter[str] = Counter()
        youtube = measured = with_estimates = with_language = 0
        for song in self._songs:
            by_source.update(song.sources)
            by_language[song.language or "unknown"] += 1
            by_decade[_decade(song)] += 1
            by_genre.update(song.genres)
            estimated.update(song.estimated)
            youtube += song.youtube_id is not None
            with_language += song.language is not None
            measured += {"valence", "energy"} <= song.measured
            with_estimates += bool(song.estimated)
        return {
            "songs": len(self._songs),
            "by_source": dict(sorted(by_source.items())),
            "by_language": dict(by_language.most_common()),
            "by_decade": dict(sorted(by_decade.items())),
            "by_genre": dict(by_genre.most_common()),
            "with_youtube_id": youtube,
            "with_language": with_language,
            "with_measured_valence_energy": measured,
            "with_estimated_features": with_estimates,
            "estimated_features": dict(sorted(estimated.items())),
        }

    @classmethod
    def load(cls, path: Path | str | None = None) -> Catalog:
        """Read a catalog written by ``save`` (default: the user's catalog if they imported songs,
        else the one shipped in the package)."""
        path = default_catalog_path() if path is None else Path(path)
        if not path.is_file():
            raise CatalogError(
                f"no catalog at {path}; build one with `moodtune catalog build` (needs shared/data/music)"
            )
        try:
            with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                header = tuple(reader.fieldnames or ())
                if header != COLUMNS:
                    raise CatalogError(
                        f"{path} must have the columns {','.join(COLUMNS)}, but its header is "
                        f"{','.join(header) or '(empty)'}; rebuild it with `moodtune catalog build`"
                    )
                songs = [_song_from_row(row, f"{path} line {reader.line_num}") for row in reader]
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
            raise CatalogError(
                f"{path} is not a gzip-compressed UTF-8 CSV catalog ({exc}); rebuild it with "
                "`moodtune catalog build`"
            ) from None
        return cls(songs)

    def save(self, path: Path | str | None = None) -> Path:
        """Write the catalog as a gzip-compressed CSV; the bytes depend only on the songs (the
        gzip header's time stamp is fixed), so a rebuild from the same sources is identical."""
        path = CATALOG_PATH if path is None else Path(path)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(_song_to_row(s) for s in self._songs)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(buffer.getvalue().encode("utf-8"))
        tmp.replace(path)
        return path


def _decade(song: Song) -> str:
    if song.year is not None:
        return f"{song.year // 10 * 10}s"
    for tag in song.mood_tags:
        if tag.startswith("decade:"):
            return tag.removeprefix("decade:")
    return "unknown"
