"""Build the song catalog from the files in ``shared/data/music`` (described in its ``SOURCE.md``).

Every source file is read by its header (column order differs between files) through one adapter
per format, and every row goes through one row parser (``parse_record``), which the user's own CSV
(``moodtune catalog import``) goes through too:

* ``seed_playlists.csv``: the original HearUrFace service's curated Korean playlists. Melon and
  YouTube ids and the playlist names are kept; the Korean ``song_tag`` becomes a mood tag, and
  ``emotion`` and ``decade`` become ``emotion:...`` and ``decade:...`` tags. Stray quotes around
  YouTube ids are removed; an id that is not 11 characters of ``A-Z a-z 0-9 _ -`` is reported and
  dropped. A row whose title differs from the title that the other rows with its Melon song id
  carry is the copy-paste error SOURCE.md describes (mbcdrama's titles were pasted against the
  artists and ids of another playlist): it is reported and skipped.
* ``tracks_top10_features.csv`` (K-pop, genre ``k-pop``), ``high_popularity_spotify_data.csv`` and
  ``low_popularity_spotify_data.csv`` (genres ``playlist_genre`` and ``playlist_genre/subgenre``,
  year from the release date), ``data_moods.csv`` (its mood label, lower-cased, becomes a mood
  tag: happy, sad, calm, energetic) and ``Spotify-2000.csv`` (semicolon-separated; features on a
  0-100 scale are divided by 100, BPM is the tempo, length in seconds is turned into ms, ``Top
  Genre`` is the genre): Spotify audio features, measured.
* ``kpop_music_videos.csv``: K-pop music videos with YouTube ids, joined to the songs by artist
  and title (``moodtune.music.videos``); it adds no songs (its rows have no audio features).
* ``musiccaps-public.csv`` is not read: its clips have no title or artist, so they cannot become
  songs. ``artists_extended.csv`` holds artist names only: it names Korean acts for the language
  rules, and every canonical name in the alias table is checked to be spelled as it spells it.

Language: a row's ``language`` column or its title (version qualifier, script; an instrumental
has none) gives it; then the song's music video, the artist table, its genre (the K-pop list's
songs carry ``k-pop``), and a Hangul credit or, for songs of the Korean sources, an artist of the
K-pop lists, in that order (``moodtune.music.language``). A Latin title alone says nothing.

Rows are merged by song id (``moodtune.music.normalize.song_id``) in the order of ``SOURCES``
(curated first, so its Korean titles are the ones shown): the first row gives the title, artist,
album, year and language; measured features win over estimated ones (among measured ones the
first source wins); popularity is the maximum; ids of each service are all kept (the first is
primary, the others go to ``other_ids``); genres, tags, playlists and sources are united.

Curated songs that match no row with features get valence and energy *estimated* from their
Korean mood tags (``TAG_FEATURES``, the mean over a song's tags), and ``Song.estimated`` says so.
The table is a hand-made reading of each tag on Spotify's 0-1 scales; the build report compares
it with the measured values of curated songs that do have features (``tag_check``).

A value outside its range (valence 1.7, tempo 0, popularity 140) or not a number is reported and
dropped; a row of a features file left without valence and energy is skipped; a row without a
title or an artist is skipped. ``BuildReport`` counts rows read, kept, merged and skipped per
source, with reasons and a few examples (file and line).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodtune.errors import CatalogError, UsageError
from moodtune.music.catalog import (
    FEATURE_RANGES,
    FEATURES,
    LANGUAGE_CODE,
    LIST_SEPARATOR,
    YOUTUBE_ID,
    Catalog,
    Song,
)
from moodtune.music.language import (
    LanguageEvidence,
    assign_languages,
    load_artist_languages,
    title_language,
)
from moodtune.music.normalize import (
    artist_key,
    clean,
    compact,
    has_hangul,
    load_aliases,
    song_id,
    title_key,
)
from moodtune.music.videos import KPOP_VIDEOS, VideoJoinReport, join_videos, parse_videos

SEED = "seed_playlists.csv"
KPOP = "tracks_top10_features.csv"
HIGH = "high_popularity_spotify_data.csv"
LOW = "low_popularity_spotify_data.csv"
MOODS = "data_moods.csv"
TOP2000 = "Spotify-2000.csv"
ARTISTS = "artists_extended.csv"
MUSICCAPS = "musiccaps-public.csv"

# (valence, energy) on Spotify's 0-1 scales, and what the tag means, for every song_tag of
# seed_playlists.csv (and 잔잔한, "calm", the example SOURCE.md gives). Anchors: upbeat dance pop
# sits near (0.75, 0.85), a mid-tempo love song near (0.6, 0.5), a calm acoustic song near
# (0.5, 0.3), a sad ballad near (0.2, 0.35); a tag that names a season, a decade or a setting is
# placed by the kind of song the playlists file under it.
TAG_FEATURES: dict[str, tuple[float, float, str]] = {
    # exciting, danceable, driving
    "신나는": (0.75, 0.85, "exciting"),
    "흥겨운": (0.78, 0.80, "merry"),
    "댄스곡": (0.70, 0.85, "dance track"),
    "댄스": (0.70, 0.85, "dance"),
    "파티": (0.72, 0.85, "party"),
    "EDM": (0.55, 0.88, "EDM"),
    "디스코": (0.75, 0.78, "disco"),
    "펑키": (0.72, 0.75, "funky"),
    "그루비": (0.65, 0.68, "groovy"),
    "리드미컬한": (0.65, 0.78, "rhythmic"),
    "리드미컬": (0.65, 0.78, "rhythmic"),
    "비트좋은": (0.60, 0.78, "good beat"),
    "빠른비트": (0.60, 0.85, "fast beat"),
    "힘나는": (0.70, 0.82, "energising"),
    "파이팅": (0.70, 0.82, "fighting! (cheering on)"),
    "운동": (0.62, 0.88, "workout"),
    "스트레스해소": (0.65, 0.85, "stress relief"),
    "질주": (0.55, 0.88, "speeding"),
    "드라이브": (0.60, 0.75, "drive"),
    "기분전환": (0.68, 0.72, "change of mood"),
    "재밌는": (0.78, 0.75, "fun"),
    "귀여운": (0.78, 0.70, "cute"),
    "상큼한": (0.75, 0.70, "fresh, zesty"),
    "상쾌한": (0.72, 0.70, "refreshing"),
    "젊음": (0.68, 0.78, "youth"),
    "청춘": (0.62, 0.75, "youth, springtime of life"),
    "10대": (0.65, 0.72, "teens"),
    "청소년": (0.62, 0.70, "adolescents"),
    "소녀": (0.65, 0.65, "girl"),
    "자신감": (0.62, 0.78, "confidence"),
    "자존감": (0.60, 0.70, "self-esteem"),
    "스웩": (0.55, 0.75, "swag"),
    "섹시": (0.55, 0.70, "sexy"),
    "시크": (0.45, 0.65, "chic"),
    "락메탈": (0.40, 0.90, "rock, metal"),
    "추억의락": (0.50, 0.80, "nostalgic rock"),
    "고음폭발": (0.35, 0.70, "explosive high notes"),
    "가창력종결자": (0.30, 0.55, "ultimate vocal power"),
    "웅장한": (0.35, 0.72, "grand"),
    "트로트": (0.70, 0.72, "trot"),
    "세미트로트": (0.70, 0.70, "semi-trot"),
    "팝": (0.60, 0.65, "pop"),
    "뮤지컬": (0.50, 0.55, "musical"),
    "신비한": (0.40, 0.55, "mysterious"),
    # seasons, weather, places
    "여름": (0.70, 0.75, "summer"),
    "여름노래": (0.72, 0.80, "summer song"),
    "여름송": (0.72, 0.80, "summer song"),
    "여름휴가": (0.72, 0.80, "summer holiday"),
    "여름방학": (0.72, 0.75, "summer vacation"),
    "여름향기": (0.58, 0.55, "scent of summer"),
    "여름밤": (0.55, 0.55, "summer night"),
    "늦여름": (0.50, 0.50, "late summer"),
    "봄": (0.65, 0.55, "spring"),
    "봄바람": (0.65, 0.55, "spring breeze"),
    "봄꽃": (0.65, 0.55, "spring flowers"),
    "봄나들이": (0.70, 0.62, "spring outing"),
    "봄햇살": (0.68, 0.52, "spring sunshine"),
    "가을": (0.38, 0.40, "autumn"),
    "가을감성": (0.35, 0.38, "autumn mood"),
    "가을바람": (0.38, 0.40, "autumn wind"),
    "가을밤": (0.32, 0.35, "autumn night"),
    "가을향기": (0.38, 0.38, "scent of autumn"),
    "가을발라드": (0.30, 0.38, "autumn ballad"),
    "가을재즈": (0.42, 0.32, "autumn jazz"),
    "겨울감성": (0.35, 0.40, "winter mood"),
    "겨울발라드": (0.30, 0.40, "winter ballad"),
    "겨울밤": (0.32, 0.35, "winter night"),
    "겨울왕국": (0.50, 0.60, "Frozen (the film)"),
    "크리스마스캐롤": (0.75, 0.60, "Christmas carol"),
    "크리스마스노래": (0.75, 0.60, "Christmas song"),
    "메리크리스마스": (0.75, 0.60, "merry Christmas"),
    "장마": (0.35, 0.40, "rainy season"),
    "비오는날": (0.32, 0.38, "rainy day"),
    "비오는날듣기좋은노래": (0.35, 0.38, "songs for a rainy day"),
    "여행": (0.65, 0.65, "travel"),
    "여행느낌": (0.65, 0.62, "travel feeling"),
    "소풍": (0.72, 0.65, "picnic"),
    # eras
    "복고": (0.65, 0.65, "retro"),
    "레트로": (0.62, 0.65, "retro"),
    "시티팝": (0.62, 0.62, "city pop"),
    "옛날노래": (0.50, 0.55, "old song"),
    "추억의명곡": (0.50, 0.55, "classic to remember"),
    "추억소환": (0.50, 0.55, "summoning memories"),
    "추억": (0.45, 0.50, "memories"),
    "추억회상": (0.42, 0.48, "reminiscing"),
    "싸이월드": (0.45, 0.55, "Cyworld era (2000s)"),
    "2000년대가요": (0.55, 0.65, "2000s Korean pop"),
    "2000년대발라드": (0.30, 0.45, "2000s ballad"),
    "90년대발라드": (0.30, 0.42, "1990s ballad"),
    "추억의발라드": (0.30, 0.40, "nostalgic ballad"),
    # love, warmth
    "달달": (0.65, 0.50, "sweet"),
    "설레임": (0.68, 0.58, "heart-fluttering"),
    "사랑에빠졌을때": (0.65, 0.55, "when falling in love"),
    "썸": (0.62, 0.55, "'some' (flirting)"),
    "데이트": (0.65, 0.55, "date"),
    "사랑고백": (0.60, 0.50, "love confession"),
    "사랑노래": (0.55, 0.50, "love song"),
    "로맨스": (0.58, 0.50, "romance"),
    "친구": (0.60, 0.55, "friend"),
    "일상": (0.55, 0.50, "everyday life"),
    "꿈": (0.50, 0.50, "dream"),
    "맑은": (0.55, 0.45, "clear"),
    "따뜻한": (0.55, 0.40, "warm"),
    "소녀감성": (0.60, 0.50, "girlish sensibility"),
    "짝사랑": (0.40, 0.45, "unrequited love"),
    "고막남친": (0.45, 0.40, "'eardrum boyfriend' (sweet male voice)"),
    "남자보컬": (0.40, 0.45, "male vocal"),
    "감성보컬": (0.35, 0.42, "emotional vocal"),
    # calm
    "잔잔한": (0.45, 0.30, "calm"),
    "힐링": (0.50, 0.35, "healing"),
    "치유": (0.45, 0.35, "healing"),
    "위로가필요할때": (0.40, 0.38, "when you need comfort"),
    "느긋한": (0.55, 0.35, "leisurely"),
    "나른한": (0.45, 0.30, "languid"),
    "새벽감성": (0.30, 0.30, "small-hours mood"),
    "잠못이루는밤": (0.30, 0.32, "sleepless night"),
    "생각정리": (0.40, 0.30, "sorting out thoughts"),
    "재즈": (0.50, 0.35, "jazz"),
    "인디발라드": (0.35, 0.35, "indie ballad"),
    "네오소울": (0.45, 0.45, "neo soul"),
    "소울": (0.45, 0.48, "soul"),
    "감성힙합": (0.40, 0.55, "emotional hip-hop"),
    "랩발라드": (0.35, 0.50, "rap ballad"),
    # sad, longing
    "슬픈": (0.22, 0.35, "sad"),
    "슬픔": (0.20, 0.32, "sadness"),
    "슬픈발라드": (0.20, 0.35, "sad ballad"),
    "슬픈감성": (0.22, 0.35, "sad mood"),
    "슬픈날": (0.22, 0.35, "sad day"),
    "이별": (0.22, 0.40, "parting"),
    "절절한": (0.20, 0.45, "heart-rending"),
    "애틋한": (0.30, 0.38, "wistful, tender"),
    "쓸쓸한": (0.25, 0.33, "desolate"),
    "쓸쓸": (0.25, 0.33, "desolate"),
    "외로운": (0.25, 0.35, "lonely"),
    "그리운": (0.30, 0.38, "longing"),
    "보고싶다": (0.28, 0.40, "I miss you"),
    "미련": (0.25, 0.40, "lingering attachment"),
    "후회": (0.25, 0.42, "regret"),
    "감성": (0.35, 0.40, "sentimental"),
    "감성자극": (0.30, 0.42, "stirring the emotions"),
    "감성발라드": (0.28, 0.38, "emotional ballad"),
    "발라드": (0.30, 0.40, "ballad"),
    "발라드감성": (0.30, 0.38, "ballad mood"),
    "발라드명곡": (0.30, 0.42, "classic ballad"),
    "명품발라드": (0.30, 0.42, "masterpiece ballad"),
    "팝발라드": (0.38, 0.45, "pop ballad"),
    "락발라드": (0.30, 0.60, "rock ballad"),
    "드라마ost": (0.35, 0.45, "TV drama soundtrack"),
}

ESTIMATED_FEATURES = ("valence", "energy")
"""The features estimated from mood tags; the others stay unknown for songs without measurements."""

_SPOTIFY = re.compile(r"^[0-9A-Za-z]{22}$")
_MELON = re.compile(r"^[0-9]+$")
_YEAR = re.compile(r"^(\d{4})(?:-\d{1,2}){0,2}$")

IMPORT_COLUMNS: dict[str, str] = {
    "title": "required: the song's title",
    "artist": "required: the artist as credited (several: comma-separated, the first keys the song)",
    "album": "album name",
    "year": "release year, or a date starting with it (2019-05-17)",
    "genres": f"genres, separated by {LIST_SEPARATOR!r}",
    "language": "ISO 639-1 code (ko, en, ja); default: from the title, the artist table, the genre",
    **{name: f"Spotify-style {name} in [0, 1]" for name in FEATURES if FEATURE_RANGES[name] == (0.0, 1.0)},
    "tempo": "beats per minute (1-300)",
    "loudness": "dB (-60 to 5)",
    "popularity": "0-100",
    "duration_ms": "length in milliseconds",
    "spotify_id": "22-character Spotify track id (or spotify:track:ID)",
    "youtube_id": "11-character YouTube video id",
    "melon_id": "Melon song id (digits)",
    "mood_tags": f"mood tags, separated by {LIST_SEPARATOR!r} (Korean tags in TAG_FEATURES give estimates)",
    "playlists": f"playlist names, separated by {LIST_SEPARATOR!r}",
}
"""The columns ``moodtune catalog import`` reads from a user's CSV (comma, semicolon or tab)."""

MAX_EXAMPLES = 5


@dataclass
class SourceReport:
    """What happened to the rows of one source file."""

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_merged: int = 0
    rows_skipped: int = 0
    rows_with_issues: int = 0
    values_dropped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""
    skipped_lines: list[int] = field(default_factory=list)
    max_examples: int | None = MAX_EXAMPLES
    """Examples kept per reason; None keeps every one (an import lists all its bad rows)."""

    def add(self, reason: str, example: str) -> None:
        self.reasons[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if self.max_examples is None or len(shown) < self.max_examples:
            shown.append(example)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["reasons"] = dict(self.reasons.most_common())
        del out["max_examples"]
        return out


@dataclass
class BuildReport:
    """Counts of a catalog build (or import), per source and overall."""

    sources: dict[str, SourceReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    songs: int = 0
    songs_from_several_rows: int = 0
    songs_from_several_sources: int = 0
    rows_joined_by_service_id: int = 0
    artist_merges: list[dict[str, Any]] = field(default_factory=list)
    curated: dict[str, int] = field(default_factory=dict)
    tag_check: dict[str, Any] = field(default_factory=dict)
    videos: VideoJoinReport | None = None
    """The music-video join; None without its file."""
    languages: dict[str, int] = field(default_factory=dict)
    """Songs placed by each language rule (``moodtune.music.language.RULES``)."""

    @property
    def bad_rows(self) -> int:
        """Rows that were skipped or lost a value, over all sources."""
        return sum(r.rows_with_issues for r in self.sources.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "songs": self.songs,
            "songs_from_several_rows": self.songs_from_several_rows,
            "songs_from_several_sources": self.songs_from_several_sources,
            "rows_joined_by_service_id": self.rows_joined_by_service_id,
            "sources": {name: r.to_dict() for name, r in self.sources.items()},
            "notes": list(self.notes),
            "artist_merges": list(self.artist_merges),
            "curated": dict(self.curated),
            "tag_check": dict(self.tag_check),
            "videos": self.videos.to_dict() if self.videos else {},
            "languages": dict(self.languages),
            "bad_rows": self.bad_rows,
        }

    def lines(self) -> list[str]:
        """A readable summary, one line per fact."""
        out = []
        for r in self.sources.values():
            out.append(
                f"{r.source}: {r.rows_read} rows read, {r.rows_kept} kept ({r.rows_merged} merged into "
                f"songs seen before), {r.rows_skipped} skipped, {r.values_dropped} values dropped"
                + (f"  [{r.note}]" if r.note else "")
            )
            for reason, n in r.reasons.most_common():
                out.append(f"    {n} x {reason}, e.g. {'; '.join(r.examples.get(reason, [])[:2])}")
        out += [f"note: {n}" for n in self.notes]
        out.append(
            f"{self.songs} songs; {self.songs_from_several_rows} made from several rows, "
            f"{self.songs_from_several_sources} from several files; {self.rows_joined_by_service_id} rows "
            "joined a song by a shared Spotify, Melon or YouTube id"
        )
        if self.curated:
            out.append("curated: " + ", ".join(f"{k} {v}" for k, v in self.curated.items()))
        if self.tag_check:
            out.append("tag table check: " + ", ".join(f"{k} {v}" for k, v in self.tag_check.items()))
        if self.videos:
            out += self.videos.lines()
        if self.languages:
            out.append("language by rule: " + ", ".join(f"{k} {n}" for k, n in self.languages.items()))
        for m in self.artist_merges:
            out.append(f"artist merge: {' = '.join(m['artists'])} ({m['title']}, {m['id']})")
        return out


# --- the row parser ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """A problem with one row: ``skip`` drops the row, otherwise one value was dropped."""

    reason: str
    detail: str
    skip: bool = False


def _text(value: object) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _items(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    raw: Iterable[object] = value if isinstance(value, (tuple, list)) else str(value).split(LIST_SEPARATOR)
    out: list[str] = []
    for item in raw:
        s = str(item).strip().replace(LIST_SEPARATOR, "/")
        if s and s not in out:
            out.append(s)
    return tuple(out)


def _number(name: str, value: object, issues: list[Issue]) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        issues.append(Issue(f"{name} not a number", f"{name}={value!r}"))
        return None
    if x != x or x in (float("inf"), float("-inf")):
        issues.append(Issue(f"{name} not a number", f"{name}={value!r}"))
        return None
    return x


def _feature(name: str, value: object, scale: float, issues: list[Issue]) -> float | None:
    x = _number(name, value, issues)
    if x is None:
        return None
    x = round(x * scale, 6) if scale != 1.0 else x
    low, high = FEATURE_RANGES[name]
    if not low <= x <= high:
        issues.append(Issue(f"{name} out of range", f"{name}={value!r} (expected {low:g} to {high:g})"))
        return None
    return x


def _integer(
    name: str, value: object, low: int, high: int, issues: list[Issue], scale: float = 1.0
) -> int | None:
    x = _number(name, value, issues)
    if x is None:
        return None
    n = round(x * scale)
    if not low <= n <= high:
        issues.append(Issue(f"{name} out of range", f"{name}={value!r} (expected {low} to {high})"))
        return None
    return n


def _identifier(
    name: str, value: object, pattern: re.Pattern[str], what: str, issues: list[Issue]
) -> str | None:
    s = _text(value)
    if s is None:
        return None
    s = s.strip("\"'` ")
    if name == "spotify_id" and s.startswith("spotify:track:"):
        s = s.removeprefix("spotify:track:")
    if not pattern.match(s):
        issues.append(Issue(f"{name} malformed", f"{name}={value!r} (expected {what})"))
        return None
    return s


def parse_record(
    values: Mapping[str, object],
    source: str,
    *,
    scale: Mapping[str, float] | None = None,
    require_features: bool = False,
    aliases: dict[str, str] | None = None,
) -> tuple[Song | None, list[Issue]]:
    """One row, its columns already named as ``IMPORT_COLUMNS``, -> a one-source ``Song`` and the
    row's issues. Values out of range or malformed are dropped (an ``Issue`` each); the row is
    skipped (``None``) without a title or artist, or, with ``require_features``, without valence
    and energy. ``scale`` multiplies features given on another scale (0-100 -> 0.01)."""
    scale = scale or {}
    issues: list[Issue] = []
    title, artist = _text(values.get("title")), _text(values.get("artist"))
    for name, value in (("title", title), ("artist", artist)):
        if value is None:
            issues.append(Issue(f"missing {name}", f"{name} is empty", skip=True))
    if title is None or artist is None:
        return None, issues
    feats: dict[str, Any] = {
        name: _feature(name, values.get(name), scale.get(name, 1.0), issues) for name in FEATURES
    }
    if require_features and feats["valence"] is None and feats["energy"] is None:
        issues.append(Issue("no usable valence or energy", "a features file row needs one", skip=True))
        return None, issues
    year = None
    raw_year = _text(values.get("year"))
    if raw_year is not None:
        m = _YEAR.match(raw_year)
        year = int(m.group(1)) if m and 1900 <= int(m.group(1)) <= 2100 else None
        if year is None:
            issues.append(Issue("year malformed", f"year={raw_year!r} (expected 1900-2100 or YYYY-MM-DD)"))
    language = _text(values.get("language"))
    if language is not None:
        language = language.lower()
        if not LANGUAGE_CODE.match(language):
            issues.append(Issue("language malformed", f"language={language!r} (expected ISO 639-1: ko, en)"))
            language = None
    if language is None:
        language = title_language(title)
    try:
        sid = song_id(artist, title, aliases)
    except CatalogError as exc:
        issues.append(Issue("no song id", exc.message, skip=True))
        return None, issues
    song = Song(
        id=sid,
        title=title,
        artist=artist,
        album=_text(values.get("album")),
        year=year,
        genres=_items(values.get("genres")),
        language=language,
        **feats,
        popularity=_integer("popularity", values.get("popularity"), 0, 100, issues),
        duration_ms=_integer(
            "duration_ms", values.get("duration_ms"), 1, 10**8, issues, scale.get("duration_ms", 1.0)
        ),
        spotify_id=_identifier("spotify_id", values.get("spotify_id"), _SPOTIFY, "22 letters/digits", issues),
        youtube_id=_identifier(
            "youtube_id", values.get("youtube_id"), YOUTUBE_ID, "11 characters of A-Z a-z 0-9 _ -", issues
        ),
        melon_id=_identifier("melon_id", values.get("melon_id"), _MELON, "digits", issues),
        mood_tags=_items(values.get("mood_tags")),
        playlists=_items(values.get("playlists")),
        sources=(source,),
    )
    return song, issues


# --- merging and estimation --------------------------------------------------------------------


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)


def merge_songs(a: Song, b: Song) -> Song:
    """Two rows of the same song -> one. ``a`` (seen first) gives the text fields; measured
    features win over estimated ones (``a`` first among equals); popularity is the maximum; every
    id is kept (``a``'s primary, ``b``'s other ones in ``other_ids``); lists are united."""
    if a.id != b.id:
        raise CatalogError(f"only rows of the same song merge, but got ids {a.id} and {b.id}")
    values: dict[str, Any] = {}
    estimated = set()
    for name in FEATURES:
        va, vb = getattr(a, name), getattr(b, name)
        a_measured = va is not None and name not in a.estimated
        b_measured = vb is not None and name not in b.estimated
        winner = a if a_measured or (va is not None and not b_measured) else b
        values[name] = getattr(winner, name)
        if values[name] is not None and name in winner.estimated:
            estimated.add(name)
    other = _union(a.other_ids, b.other_ids)
    ids: dict[str, Any] = {}
    for service in ("spotify", "youtube", "melon"):
        mine, theirs = getattr(a, f"{service}_id"), getattr(b, f"{service}_id")
        ids[f"{service}_id"] = mine or theirs
        if mine and theirs and mine != theirs:
            other = _union(other, (f"{service}:{theirs}",))
    popularity = [p for p in (a.popularity, b.popularity) if p is not None]
    return dataclasses.replace(
        a,
        album=a.album or b.album,
        year=a.year if a.year is not None else b.year,
        genres=_union(a.genres, b.genres),
        language=a.language or b.language,
        **values,
        popularity=max(popularity) if popularity else None,
        duration_ms=a.duration_ms if a.duration_ms is not None else b.duration_ms,
        **ids,
        mood_tags=_union(a.mood_tags, b.mood_tags),
        playlists=_union(a.playlists, b.playlists),
        sources=_union(a.sources, b.sources),
        estimated=frozenset(estimated),
        other_ids=other,
    )


def tag_estimate(tags: Iterable[str]) -> tuple[float, float] | None:
    """The mean (valence, energy) of the ``TAG_FEATURES`` rows of ``tags``; None when none is known."""
    known = [TAG_FEATURES[t][:2] for t in tags if t in TAG_FEATURES]
    if not known:
        return None
    return (
        round(sum(v for v, _ in known) / len(known), 4),
        round(sum(e for _, e in known) / len(known), 4),
    )


def estimate_features(song: Song) -> Song:
    """Fill the song's missing valence and energy from its Korean mood tags, marked as estimated.
    Measured values are never replaced; a song without a known tag is returned unchanged."""
    missing = [n for n in ESTIMATED_FEATURES if getattr(song, n) is None]
    guess = tag_estimate(song.mood_tags)
    if not missing or guess is None:
        return song
    filled: dict[str, Any] = dict(zip(ESTIMATED_FEATURES, guess, strict=True))
    return dataclasses.replace(
        song, **{n: filled[n] for n in missing}, estimated=song.estimated | frozenset(missing)
    )


# --- the source adapters -----------------------------------------------------------------------

Adapter = Callable[[Mapping[str, str]], dict[str, Any]]


def _spotify_common(row: Mapping[str, str]) -> dict[str, Any]:
    return {name: row.get(name) for name in FEATURES} | {"duration_ms": row.get("duration_ms")}


def _kpop(row: Mapping[str, str]) -> dict[str, Any]:
    return _spotify_common(row) | {
        "title": row.get("track"),
        "artist": row.get("artist"),
        "genres": ("k-pop",),
        "popularity": row.get("popularity"),
        "spotify_id": row.get("id") or row.get("track_uri"),
    }


def _popularity_file(row: Mapping[str, str]) -> dict[str, Any]:
    genre, sub = _text(row.get("playlist_genre")), _text(row.get("playlist_subgenre"))
    genres = tuple(g for g in (genre, f"{genre}/{sub}" if genre and sub else None) if g)
    return _spotify_common(row) | {
        "title": row.get("track_name"),
        "artist": row.get("track_artist"),
        "album": row.get("track_album_name"),
        "year": row.get("track_album_release_date"),
        "genres": genres,
        "popularity": row.get("track_popularity"),
        "spotify_id": row.get("track_id") or row.get("id"),
    }


def _moods(row: Mapping[str, str]) -> dict[str, Any]:
    mood = _text(row.get("mood"))
    return _spotify_common(row) | {
        "title": row.get("name"),
        "artist": row.get("artist"),
        "album": row.get("album"),
        "year": row.get("release_date"),
        "popularity": row.get("popularity"),
        "duration_ms": row.get("length"),
        "spotify_id": row.get("id"),
        "mood_tags": (mood.lower(),) if mood else (),
    }


def _top2000(row: Mapping[str, str]) -> dict[str, Any]:
    return {
        "title": row.get("Title"),
        "artist": row.get("Artist"),
        "genres": (row.get("Top Genre") or "",),
        "year": row.get("Year"),
        "tempo": row.get("Beats Per Minute (BPM)"),
        "energy": row.get("Energy"),
        "danceability": row.get("Danceability"),
        "loudness": row.get("Loudness (dB)"),
        "valence": row.get("Valence"),
        "acousticness": row.get("Acousticness"),
        "speechiness": row.get("Speechiness"),
        # lengths of 1,000 seconds and more are written with a thousands separator: "1,412"
        "duration_ms": (row.get("Length (Duration)") or "").replace(",", ""),
        "popularity": row.get("Popularity"),
    }


def _seed(row: Mapping[str, str]) -> dict[str, Any]:
    tags = [row.get("song_tag") or ""]
    for prefix in ("emotion", "decade"):
        value = _text(row.get(prefix))
        if value:
            tags.append(f"{prefix}:{value}")
    return {
        "title": row.get("title"),
        "artist": row.get("artist"),
        "melon_id": row.get("melon_song_id"),
        "youtube_id": row.get("youtube_id"),
        "playlists": (row.get("playlist") or "",),
        "mood_tags": tuple(tags),
    }


def _user(row: Mapping[str, str]) -> dict[str, Any]:
    return {name: row.get(name) for name in IMPORT_COLUMNS}


@dataclass(frozen=True)
class SourceFormat:
    """How one source file is read."""

    name: str
    adapter: Adapter
    required: tuple[str, ...]
    delimiter: str = ","
    scale: tuple[tuple[str, float], ...] = ()
    require_features: bool = True


_FEATURE_COLUMNS = ("valence", "energy")
SOURCES: tuple[SourceFormat, ...] = (
    SourceFormat(
        SEED, _seed, ("playlist", "title", "artist", "melon_song_id", "youtube_id"), require_features=False
    ),
    SourceFormat(KPOP, _kpop, ("artist", "track", *_FEATURE_COLUMNS)),
    SourceFormat(HIGH, _popularity_file, ("track_name", "track_artist", *_FEATURE_COLUMNS)),
    SourceFormat(LOW, _popularity_file, ("track_name", "track_artist", *_FEATURE_COLUMNS)),
    SourceFormat(MOODS, _moods, ("name", "artist", "mood", *_FEATURE_COLUMNS)),
    SourceFormat(
        TOP2000,
        _top2000,
        ("Title", "Artist", "Valence", "Energy"),
        delimiter=";",
        scale=(
            ("valence", 0.01),
            ("energy", 0.01),
            ("danceability", 0.01),
            ("acousticness", 0.01),
            ("speechiness", 0.01),
            ("duration_ms", 1000.0),
        ),
    ),
)
"""The files read, in merge order: curated first, then features files, best features first."""

NOT_READ = {
    MUSICCAPS: "skipped: MusicCaps clips have no title or artist, so they cannot become catalog songs",
    ARTISTS: "artist names only, no songs: Korean acts for the language rules; the alias table's spellings",
    KPOP_VIDEOS: "music videos, no songs: joined to the catalog's songs for their YouTube ids",
}


def _read_rows(
    path: Path, delimiter: str | None, required: Iterable[str]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8 CSV") from None
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from None
    if delimiter is None:
        header_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=header_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise CatalogError(
            f"{path.name} must have the columns {list(required)}, but {missing} are missing "
            f"(its header: {header[:12]}{' ...' if len(header) > 12 else ''})"
        )
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, {k: v for k, v in row.items() if isinstance(k, str)}))
    except csv.Error as exc:
        raise CatalogError(f"{path.name} line {reader.line_num}: {exc}") from None
    return header, rows


def _seed_copy_errors(rows: list[tuple[int, dict[str, str]]]) -> dict[int, str]:
    """Line -> reason for seed rows whose title is not the one the other rows of their Melon
    song id carry (the playlists' copy-paste error, see the module docstring)."""
    titles: dict[str, Counter[str]] = defaultdict(Counter)
    for _, row in rows:
        mid, title = (row.get("melon_song_id") or "").strip(), (row.get("title") or "").strip()
        if mid and title:
            titles[mid][title_key(title)] += 1
    errors = {}
    for line, row in rows:
        mid, title = (row.get("melon_song_id") or "").strip(), (row.get("title") or "").strip()
        if not mid or not title:
            continue
        (top, n), *rest = titles[mid].most_common()
        tied = any(m == n for _, m in rest)
        if not tied and title_key(title) != top:
            errors[line] = f"melon_song_id {mid} is titled differently in {n} other rows"
    return errors


def _service_ids(song: Song) -> list[str]:
    ids = [f"{service}:{getattr(song, service + '_id')}" for service in ("spotify", "melon", "youtube")]
    return [i for i in ids if not i.endswith(":None")] + list(song.other_ids)


class _Builder:
    """Merges parsed rows into songs and keeps the counts."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.songs: dict[str, Song] = {}
        self.rows_per_song: Counter[str] = Counter()
        self.artists: dict[str, dict[str, str]] = defaultdict(dict)
        self.by_service_id: dict[str, str] = {}
        self.joined_by_service_id = 0
        self.redirects: dict[str, str] = {}
        """The id a row would have had -> the song it joined by a shared service id."""

    def add_rows(
        self,
        fmt: SourceFormat,
        source: str,
        rows: list[tuple[int, dict[str, str]]],
        report: SourceReport,
        skip_lines: Mapping[int, str] | None = None,
    ) -> None:
        scale = dict(fmt.scale)
        for line, row in rows:
            report.rows_read += 1
            where = f"{source} line {line}"
            if skip_lines and line in skip_lines:
                report.rows_skipped += 1
                report.rows_with_issues += 1
                report.skipped_lines.append(line)
                report.add("skipped: copy-paste error", f"{where}: {row.get('title')!r}, {skip_lines[line]}")
                continue
            song, issues = parse_record(
                fmt.adapter(row),
                source,
                scale=scale,
                require_features=fmt.require_features,
                aliases=self.aliases,
            )
            if issues:
                report.rows_with_issues += 1
            for issue in issues:
                report.add(
                    ("skipped: " if issue.skip else "dropped: ") + issue.reason, f"{where}: {issue.detail}"
                )
                report.values_dropped += not issue.skip
            if song is None:
                report.rows_skipped += 1
                report.skipped_lines.append(line)
                continue
            report.rows_kept += 1
            self.add(song, report)

    def add(self, song: Song, report: SourceReport) -> None:
        # A row that shares a Spotify track, Melon song or YouTube video id with a song read
        # before is that song, whatever its artist field says: the K-pop file lists a
        # collaboration under each of its artists.
        for key in _service_ids(song):
            known = self.by_service_id.get(key)
            if known is not None and known != song.id:
                self.redirects.setdefault(song.id, known)
                song = dataclasses.replace(song, id=known)
                self.joined_by_service_id += 1
                break
        self.artists[song.id].setdefault(compact(clean(song.artist)), song.artist)
        self.rows_per_song[song.id] += 1
        if song.id in self.songs:
            report.rows_merged += 1
            song = merge_songs(self.songs[song.id], song)
        self.songs[song.id] = song
        for key in _service_ids(song):
            self.by_service_id.setdefault(key, song.id)

    def artist_merges(self) -> list[dict[str, Any]]:
        """Songs whose rows spelled the artist differently, in Hangul in one of them at least."""
        merges = []
        for sid, spellings in self.artists.items():
            names = list(spellings.values())
            if len(names) > 1 and any(has_hangul(n) for n in names):
                merges.append({"id": sid, "title": self.songs[sid].title, "artists": names})
        return sorted(merges, key=lambda m: (m["artists"][0], m["title"]))


def _curated_counts(songs: Iterable[Song], seed_report: SourceReport) -> dict[str, int]:
    curated = [s for s in songs if SEED in s.sources]
    return {
        "rows": seed_report.rows_read,
        "songs": len(curated),
        "with_youtube_id": sum(s.youtube_id is not None for s in curated),
        "matched_to_measured_features": sum({"valence", "energy"} <= s.measured for s in curated),
        "estimated_from_tags": sum(bool(s.estimated) for s in curated),
        "without_features": sum(s.valence is None and s.energy is None for s in curated),
    }


def _tag_check(songs: Iterable[Song]) -> dict[str, Any]:
    """How far the tag table is from measured values, on curated songs that have both."""
    pairs = []
    for s in songs:
        guess = tag_estimate(s.mood_tags)
        if guess is not None and s.valence is not None and s.energy is not None and not s.estimated:
            pairs.append((guess, (s.valence, s.energy)))
    if not pairs:
        return {}
    n = len(pairs)
    mean = [sum(m[i] for _, m in pairs) / n for i in (0, 1)]
    return {
        "songs": n,
        "mean_abs_error_valence": round(sum(abs(g[0] - m[0]) for g, m in pairs) / n, 3),
        "mean_abs_error_energy": round(sum(abs(g[1] - m[1]) for g, m in pairs) / n, 3),
        # the same error for a constant guess, the measured mean: what the table has to beat
        "constant_guess_valence": round(sum(abs(mean[0] - m[0]) for _, m in pairs) / n, 3),
        "constant_guess_energy": round(sum(abs(mean[1] - m[1]) for _, m in pairs) / n, 3),
    }


def build_catalog(music_dir: Path) -> tuple[Catalog, BuildReport]:
    """Read every known CSV in ``music_dir`` (see the module docstring) into one catalog.

    Raises ``CatalogError`` when the folder is missing, holds none of the source files, or a file
    lacks a column its format needs; bad rows are reported in the ``BuildReport``, not raised."""
    music_dir = Path(music_dir)
    if not music_dir.is_dir():
        raise CatalogError(
            f"music data folder not found at {music_dir}; pass --source with the folder holding "
            f"{SEED} and the Spotify feature files (shared/data/music)"
        )
    aliases = load_aliases()
    report = BuildReport()
    builder = _Builder(aliases)
    found = 0
    korean_acts: set[str] = set()  # the artists of the K-pop lists, as written there
    for fmt in SOURCES:
        path = music_dir / fmt.name
        source_report = SourceReport(fmt.name)
        report.sources[fmt.name] = source_report
        if not path.is_file():
            source_report.note = "file not found"
            continue
        found += 1
        _, rows = _read_rows(path, fmt.delimiter, fmt.required)
        skip = _seed_copy_errors(rows) if fmt.name == SEED else None
        builder.add_rows(fmt, fmt.name, rows, source_report, skip)
        if fmt.name == KPOP:
            korean_acts.update(row.get("artist") or "" for _, row in rows)
    if not found:
        raise CatalogError(
            f"none of the source files {[f.name for f in SOURCES]} is in {music_dir}; pass --source with "
            "the folder that holds them (shared/data/music)"
        )
    known = {f.name for f in SOURCES} | set(NOT_READ)
    for path in sorted(music_dir.glob("*.csv")):
        if path.name in NOT_READ:
            report.notes.append(f"{path.name}: {NOT_READ[path.name]}")
        elif path.name not in known:
            report.notes.append(f"{path.name}: not read (an unknown format)")
    artists_path = music_dir / ARTISTS
    if artists_path.is_file():
        _, artist_rows = _read_rows(artists_path, ",", ("artist",))
        spelled = {row.get("artist", "") for _, row in artist_rows}
        korean_acts.update(spelled)
        korean_only = {c for c in aliases.values() if has_hangul(c) and not re.search("[A-Za-z]", c)}
        absent = sorted({c for c in aliases.values() if c not in spelled} - korean_only)
        if absent:
            report.notes.append(f"alias canonical names not spelled this way in {ARTISTS}: {absent}")
    songs = sorted((estimate_features(s) for s in builder.songs.values()), key=lambda s: s.id)
    report.songs = len(songs)
    report.songs_from_several_rows = sum(1 for n in builder.rows_per_song.values() if n > 1)
    report.songs_from_several_sources = sum(1 for s in songs if len(s.sources) > 1)
    report.rows_joined_by_service_id = builder.joined_by_service_id
    report.artist_merges = builder.artist_merges()
    report.curated = _curated_counts(songs, report.sources[SEED])
    report.tag_check = _tag_check(songs)
    video_languages: dict[str, str] = {}
    videos_path = music_dir / KPOP_VIDEOS
    if videos_path.is_file():
        songs, video_languages, video_artists = _join_videos(videos_path, songs, builder, report)
        korean_acts.update(video_artists)
    evidence = LanguageEvidence(
        artist_languages=load_artist_languages(),
        korean_artists=frozenset(artist_key(a, aliases) for a in korean_acts if a.strip()),
        korean_sources=frozenset({SEED, KPOP, KPOP_VIDEOS}),
        video_languages=video_languages,
        aliases=aliases,
    )
    songs, report.languages = assign_languages(songs, evidence)
    return Catalog(songs), report


def _join_videos(
    path: Path, songs: list[Song], builder: _Builder, report: BuildReport
) -> tuple[list[Song], dict[str, str], set[str]]:
    """``kpop_music_videos.csv`` joined to ``songs`` (``moodtune.music.videos``): the songs, the
    language of each joined song's video, and the list's artists. Its rows are counted in
    ``report.sources``, the join in ``report.videos``."""
    _, rows = _read_rows(path, ",", ("Artist", "Song Name", "Video"))
    videos, skipped = parse_videos(rows)
    source_report = SourceReport(KPOP_VIDEOS, note="music videos: joined to songs, adds none")
    source_report.rows_read = len(rows)
    for line, reason, detail in skipped:
        source_report.rows_skipped += 1
        source_report.rows_with_issues += reason != "video listed twice"
        source_report.skipped_lines.append(line)
        source_report.add(f"skipped: {reason}", f"{KPOP_VIDEOS} line {line}: {detail}")
    source_report.rows_kept = len(videos)

    def resolve(artist: str, title: str) -> str | None:
        try:
            sid = song_id(artist, title, builder.aliases)
        except CatalogError:
            return None
        return sid if sid in builder.songs else builder.redirects.get(sid)

    joined, languages, report.videos = join_videos(songs, videos, resolve, aliases=builder.aliases)
    report.sources[KPOP_VIDEOS] = source_report
    return joined, languages, {v.artist for v in videos}


def import_csv(path: Path, catalog: Catalog) -> tuple[Catalog, SourceReport]:
    """A user's CSV (columns: ``IMPORT_COLUMNS``; comma, semicolon or tab separated) merged into
    ``catalog``. Bad rows are reported with their line number and left out; good rows are kept.
    A song without a language gets one from its title, the artist table, its genre or a Hangul
    credit (``moodtune.music.language``; a name alone is not trusted outside the Korean sources).
    Raises ``UsageError`` for a missing file, ``CatalogError`` for a file without title and artist
    columns."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no CSV file at {path}; pass the path of a CSV with title and artist columns")
    header, rows = _read_rows(path, None, ("title", "artist"))
    report = SourceReport(path.name, max_examples=None)
    ignored = [h for h in header if h not in IMPORT_COLUMNS]
    if ignored:
        report.note = f"ignored columns: {', '.join(ignored)}"
    builder = _Builder(load_aliases())
    for song in catalog:
        builder.songs[song.id] = song
        for key in _service_ids(song):
            builder.by_service_id.setdefault(key, song.id)
    fmt = SourceFormat(path.name, _user, ("title", "artist"), require_features=False)
    builder.add_rows(fmt, path.name, rows, report)
    merged = sorted((estimate_features(s) for s in builder.songs.values()), key=lambda s: s.id)
    evidence = LanguageEvidence(artist_languages=load_artist_languages(), aliases=builder.aliases)
    merged, _ = assign_languages(merged, evidence)
    return Catalog(merged), report
