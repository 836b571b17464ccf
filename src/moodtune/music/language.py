"""Which language a song is sung in, from what its sources and its artist say.

The catalog's language is evidence, not a guess from the sound: a song gets a code (ISO 639-1)
only where something says it, and stays unknown (None) otherwise. The rules, strongest first;
the first one that speaks decides:

1. **row**: a ``language`` column (``moodtune catalog import``) -- kept as given.
2. **title** (``title_language``): a version qualifier names the language (``(Japanese Ver.)``,
   ``- English Version``, ``- Korean Version``); otherwise Hangul in the title is ``ko`` and kana
   (hiragana, katakana) is ``ja``. Han characters alone could be Chinese or Japanese: no answer.
   An instrumental (``- Instrumental``, ``(Inst.)``, ``(MR)``) has no language, whatever the
   rules below would say (``is_instrumental``): a listener asking for Korean songs means sung
   Korean, and the K-pop list holds the karaoke cuts of many of its songs.
3. **video**: the K-pop music video the song was joined to (``moodtune.music.videos``): a
   Japanese, English or Chinese release is ``ja``, ``en``, ``zh``; any other release of that
   Korean list is ``ko``.
4. **artist table** (``data/artist_languages.csv``): the artists of the K-pop lists that are not
   Korean acts (Dua Lipa, Kumi Koda, WayV, ...) and the foreign artists of the curated Korean
   playlists (some credited in Hangul: ``머라이어 캐리(Mariah Carey)``). A blank language there
   means "not a Korean act, language not known": the song stays unknown.
5. **genre** (``GENRE_LANGUAGES``): a genre that names the language sung. The K-pop list's
   songs carry ``k-pop``; the Spotify files' playlist genres include ``korean``, ``j-pop``,
   ``cantopop``, ``turkish``, ``latin/reggaeton``, ...
6. **Korean artist**: a song credited in Hangul, or a song of a Korean source (the curated
   playlists, the K-pop lists) whose artist is a Korean act: on a K-pop list
   (``tracks_top10_features.csv``, ``artists_extended.csv``, ``kpop_music_videos.csv``) or with
   songs titled in Hangul: ``ko``.

"ko" therefore means a Korean act's song, as the K-pop lists count them: an English-language
single by a Korean group (BTS's "Dynamite") is ``ko`` unless its title or video says otherwise.
Artists are compared by name (``moodtune.music.normalize.artist_key``, aliases applied), and
names collide across the Spotify files: ``Darin``, ``Hoshi``, ``Wings``, ``Aqua`` and
``Matilda`` are K-pop acts and also Swedish, French, British, Danish and Swedish ones. So the
artist speaks only for songs of the Korean sources; a song of the other files is placed by its
own title, genre or the artist table, and a rule that spread an artist's language to all their
songs was measured placing about half of those songs wrongly (``docs/catalog.md``).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from moodtune.errors import CatalogError
from moodtune.music.catalog import LANGUAGE_CODE, Song
from moodtune.music.normalize import artist_key, has_hangul

ARTIST_LANGUAGES_PATH = Path(__file__).parent / "data" / "artist_languages.csv"

RULES = ("row or title", "instrumental", "video", "artist table", "genre", "Korean artist", "unknown")
"""The rules in the order they are tried; ``assign_languages`` counts the songs each one placed."""

GENRE_LANGUAGES: dict[str, str] = {
    "k-pop": "ko",
    "korean": "ko",
    "j-pop": "ja",
    "cantopop": "zh",
    "mandopop": "zh",
    "turkish": "tr",
    "brazilian": "pt",
    "latin/reggaeton": "es",
    "latin/modern": "es",
    "latin/trap": "es",
    "latin/hip-hop": "es",
    "latin/cumbia": "es",
    "latin/chill": "es",
    "rock/spanish": "es",
    "hip-hop/french": "fr",
    "indian/bollywood": "hi",
    "dutch cabaret": "nl",
    "levenslied": "nl",
    "german pop": "de",
    "classic schlager": "de",
    "italian pop": "it",
    "classic italian pop": "it",
}
"""Genres (as the catalog spells them: ``genre``, or ``genre/subgenre`` where only some
subgenres qualify) that say what language a song is sung in. Each was checked on a sample of its
songs' titles (``docs/catalog.md``); left out where the sample said otherwise: ``arabic`` (the
Spotify file's "arabic" playlist is Nigerian afrobeats), ``latin/afro-latin`` (afrobeats too),
``latin/tango`` and ``world/*`` (mostly instrumental), ``chanson`` (English and Dutch versions),
and genres named after a country whose bands often sing in English (``dutch pop``)."""

_VERSION = re.compile(
    r"[\(\[\-–—]\s*(korean|japanese|english|chinese|mandarin)\s+(?:ver\b\.?|version)", re.IGNORECASE
)
_VERSION_LANGUAGES = {"korean": "ko", "japanese": "ja", "english": "en", "chinese": "zh", "mandarin": "zh"}
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


_INSTRUMENTAL = re.compile(
    r"[\(\[]\s*(?:inst|instrumental)\b[^\)\]]*[\)\]]"  # (Inst.), [Instrumental], (Inst. Ver.)
    r"|[\(\[]\s*mr\s*[\)\]]"  # (MR), the Korean karaoke cut; not (Mr. Chu)
    # "- Inst.", "... Instrumental", "- Instrumental Version" at the end
    r"|(?:[-–—]\s*|\s)(?:inst|instrumental)\b\.?(?:\s*(?:ver\b\.?|version))?\s*$",
    re.IGNORECASE,
)


def is_instrumental(title: str) -> bool:
    """True when the title marks the recording as an instrumental (see the module docstring)."""
    return _INSTRUMENTAL.search(title) is not None


def title_language(title: str) -> str | None:
    """The language a title shows by itself (rule 2 of the module docstring), or None (an
    instrumental's title included)."""
    if is_instrumental(title):
        return None
    m = _VERSION.search(title)
    if m:
        return _VERSION_LANGUAGES[m.group(1).lower()]
    if has_hangul(title):
        return "ko"
    if _KANA.search(title):
        return "ja"
    return None


def genre_language(genres: Iterable[str]) -> str | None:
    """The language of the first of ``genres`` that ``GENRE_LANGUAGES`` knows (a ``genre/sub``
    entry before its ``genre``), or None."""
    for genre in genres:
        g = genre.strip().casefold()
        language = GENRE_LANGUAGES.get(g) or GENRE_LANGUAGES.get(g.split("/", 1)[0])
        if language:
            return language
    return None


@lru_cache(maxsize=4)
def load_artist_languages(path: Path = ARTIST_LANGUAGES_PATH) -> dict[str, str | None]:
    """The artist table: ``artist_key`` (the shipped aliases applied) -> ISO 639-1 code, or None
    for "not a Korean act, language not known". Raises ``CatalogError`` for a missing file or
    column, an empty artist, a malformed code, or an artist listed twice."""
    if not path.is_file():
        raise CatalogError(f"artist language table not found at {path}; reinstall moodtune or restore it")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"artist", "language"} <= set(reader.fieldnames):
            raise CatalogError(
                f"{path} must have the columns artist,language, but its header is {reader.fieldnames}"
            )
        out: dict[str, str | None] = {}
        for row in reader:
            artist, language = (row["artist"] or "").strip(), (row["language"] or "").strip().lower()
            if not artist:
                raise CatalogError(f"{path} line {reader.line_num}: the artist is empty")
            if language and not LANGUAGE_CODE.match(language):
                raise CatalogError(
                    f"{path} line {reader.line_num}: language {language!r} is not an ISO 639-1 code "
                    "(ko, en, ja); leave it empty when the language is not known"
                )
            key = artist_key(artist)
            if key in out:
                raise CatalogError(f"{path} line {reader.line_num}: {artist!r} is listed twice; keep one row")
            out[key] = language or None
    return out


@dataclass(frozen=True)
class LanguageEvidence:
    """What the rules beyond a song's own row and title read (see the module docstring)."""

    artist_languages: Mapping[str, str | None] = field(default_factory=dict)
    """Rule 4: ``artist_key`` -> code, or None for a foreign act of unknown language."""
    korean_artists: frozenset[str] = frozenset()
    """Rule 6: ``artist_key`` of the artists on the K-pop lists."""
    korean_sources: frozenset[str] = frozenset()
    """Rule 6: the source files (``Song.sources``) whose songs the artist's being Korean places."""
    video_languages: Mapping[str, str] = field(default_factory=dict)
    """Rule 3: song id -> the language of the music video joined to it."""
    aliases: Mapping[str, str] | None = None
    """The alias table ``artist_key`` uses (None: the shipped one)."""


def assign_languages(songs: Sequence[Song], evidence: LanguageEvidence) -> tuple[list[Song], dict[str, int]]:
    """``songs`` with their language set by the rules of the module docstring, in the same order,
    and how many songs each rule placed (``RULES``; "unknown": none did). A song that already
    has a language (its row gave it, or a row's title when the build parsed it) keeps it."""
    aliases = dict(evidence.aliases) if evidence.aliases is not None else None
    keys = [artist_key(s.artist, aliases) for s in songs]
    korean = set(evidence.korean_artists)
    korean.update(k for k, s in zip(keys, songs, strict=True) if has_hangul(s.artist) or has_hangul(s.title))
    counts: Counter[str] = Counter()
    out: list[Song] = []
    for song, key in zip(songs, keys, strict=True):
        language, rule = _first_rule(song, key, korean, evidence)
        counts[rule] += 1
        out.append(song if language == song.language else dataclasses.replace(song, language=language))
    return out, {rule: counts[rule] for rule in RULES}


def _first_rule(song: Song, key: str, korean: set[str], evidence: LanguageEvidence) -> tuple[str | None, str]:
    if song.language is not None:
        return song.language, "row or title"
    if is_instrumental(song.title):
        return None, "instrumental"
    by_title = title_language(song.title)
    if by_title is not None:
        return by_title, "row or title"
    video = evidence.video_languages.get(song.id)
    if video is not None:
        return video, "video"
    if key in evidence.artist_languages:
        listed = evidence.artist_languages[key]
        # a blank row stops here: a foreign act of unknown language is not "Korean" by its list
        return listed, "artist table" if listed else "unknown"
    by_genre = genre_language(song.genres)
    if by_genre is not None:
        return by_genre, "genre"
    korean_source = any(source in evidence.korean_sources for source in song.sources)
    if has_hangul(song.artist) or (korean_source and key in korean):
        return "ko", "Korean artist"
    return None, "unknown"
