"""Text normalisation for the song catalog: the keys that make a song's id stable.

A song's id is derived from its artist and title (``song_id``), so the same song read from two
files, or read again on a rebuild, gets the same id. The keys are built in this order:

1. Unicode NFKC (full-width letters and compatibility forms become plain ones), ``casefold``,
   accents removed (NFD, drop the combining diacritics U+0300-U+036F, NFC again: Hangul syllables
   and Japanese kana survive this intact).
2. Credits are not part of a song's name: ``(feat. X)``, ``(featuring X)``, ``(ft. X)``,
   ``(with X)``, ``(Prod. X)`` in brackets, and ``feat. X`` / ``- Prod. X`` at the end, are removed.
3. Suffixes that name the same recording are removed from titles: ``- 2011 Remaster``,
   ``(Remastered 2009)``, ``- Single Version``, ``- Radio Edit``, ``- Album Version``,
   ``- Original Mix``, ``- Mono``, ``- From "8 Mile" Soundtrack``. Suffixes that name a different
   recording are kept (``Inst.``, ``Live``, ``Remix``, ``Acoustic Ver.``, ``English Version``, ...).
4. Artists: the alias table ``data/artist_aliases.csv`` is applied first (``빅뱅`` -> ``BIGBANG``);
   a name written in both scripts (``IU(아이유)``, ``BTS (방탄소년단)``) is looked up by either part
   and otherwise keyed by its Latin part; of several credited artists (``HIGH4, IU``) the first
   one keys the song.
5. Titles written in both scripts, one in brackets (``으르렁 (Growl)``) or side by side
   (``러시안 룰렛 Russian Roulette``), are keyed by their Latin part, because the Spotify-derived
   files mostly carry the Latin title only; the Latin part is not used when it is a qualifier
   (``꽃, 바람 그리고 너 Hidden Track``, ``사랑 (Inst.)``). A title in one script, Korean included,
   is kept as it is: nothing is romanised.
6. Punctuation and spaces are removed (``M.C THE MAX`` = ``MC the Max``, ``브라운 아이즈`` =
   ``브라운아이즈``: Korean spacing varies between services).

``song_id`` is ``"s_"`` + the first 12 hex digits of the SHA-1 of ``artist_key|title_key``.

The alias table was made from ``seed_playlists.csv`` (the only file with Korean spellings):
its rows were grouped by ``melon_artist_id``, which shows which spellings the service treats
as one artist (빅뱅 and BIGBANG share 198094; 버즈, 버즈(BUZZ) and 나루토OST(버즈) share 160091),
and each Korean spelling of an artist that ``artists_extended.csv`` (the artists of
``tracks_top10_features.csv``) also holds was paired with the Latin name written exactly as
there. Each pair was then checked against the songs: for most, a curated title appears among the
artist's K-pop rows (가시 for 버즈 -> BUZZ, 달팽이 for 패닉 -> PANIC); for others a translation or a
romanisation of one does (잘못된 만남 / Wrongful Meeting for 김건모 -> Kim Gun Mo, 황진이 / Hwang
Jini for 박상철 -> Park Sang-Chul); the rest are the artists' established Latin names (방탄소년단 ->
BTS, 빅뱅 -> BIGBANG, 바비 -> BOBBY of iKON). Pairs that could not be confirmed were left out
(프롬유 / From.U, 다린 / Darin). Names in both scripts need no row when the Latin part is the
K-pop file's spelling (``Mariah Carey`` in ``머라이어 캐리(Mariah Carey)``).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from moodtune.errors import CatalogError

ALIASES_PATH = Path(__file__).parent / "data" / "artist_aliases.csv"

# Hangul syllables, jamo and compatibility jamo.
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile("[A-Za-z]")
_SPACES = re.compile(r"\s+")

_CREDIT = r"(?:featuring|feat|ft|prod)\b\.?"
# A bracketed credit: (feat. X), [Prod. by X], (with X).
_BRACKET = re.compile(r"\s*[\(\[]([^\(\)\[\]]*)[\)\]]")
_BRACKET_CREDIT = re.compile(rf"^\s*(?:{_CREDIT}|with\s)", re.IGNORECASE)
# A credit at the end without brackets: "Song feat. X", "Song - Prod. X".
_TRAILING_CREDIT = re.compile(rf"\s+(?:[-–—]\s*)?\b{_CREDIT}.*$", re.IGNORECASE)
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+([^-–—]+)$")
_SAME_RECORDING = re.compile(
    r"""^\s*(?:
        (?:\d{4}\s+)?(?:digital(?:ly)?\s+)?remaster(?:ed)?(?:\s+(?:\d{4}|version|edition))*
      | (?:single|radio|album|original|mono|stereo|explicit|clean)\s+(?:version|ver\.?|edit|mix)
      | mono | stereo
      | from\b\.?\s*\S.*
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Latin words that mark a bracket or a trailing part as a qualifier rather than a translation.
_QUALIFIER = re.compile(
    r"\b(?:inst|instrumental|mr|live|remix|mix|acoustic|ver|version|edit|hidden|bonus|intro|outro|"
    r"interlude|demo|piano|orchestra|english|japanese|chinese|korean|sped|slowed|karaoke|"
    r"original|ost|soundtrack|from|part|pt|vol|cover|track|remaster|remastered)\b",
    re.IGNORECASE,
)
_BILINGUAL_BRACKET = re.compile(r"^(.+?)\s*[\(\[]([^\(\)\[\]]+)[\)\]]$")


def has_hangul(text: str | None) -> bool:
    """True when ``text`` holds a Hangul syllable or jamo."""
    return bool(text) and _HANGUL.search(text or "") is not None


def fold(text: str) -> str:
    """NFKC, casefold, accents removed, spaces collapsed: for comparing, never for showing."""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = unicodedata.normalize("NFD", s)
    # Only the combining diacritics of Latin, Greek and Cyrillic letters (U+0300-U+036F) go: the
    # voicing marks of Japanese kana are combining marks too, and removing them changes the word.
    s = "".join(ch for ch in s if not "\u0300" <= ch <= "\u036f")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", s)).strip()


def compact(text: str) -> str:
    """``fold`` with every character that is not a letter or a digit removed."""
    folded = fold(text)
    return "".join(ch for ch in folded if ch.isalnum())


def clean(text: str) -> str:
    """NFKC, spaces collapsed, and credits (feat., with, Prod.) removed; case is kept."""
    s = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    s = _BRACKET.sub(lambda m: "" if _BRACKET_CREDIT.match(m.group(1)) else m.group(0), s)
    s = _TRAILING_CREDIT.sub("", s).strip()
    return s or _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def strip_version(title: str) -> str:
    """Remove suffixes that name the same recording (remasters, single/radio/album versions)."""
    s = _BRACKET.sub(lambda m: "" if _SAME_RECORDING.match(m.group(1)) else m.group(0), title).strip()
    m = _DASH_SUFFIX.search(s)
    if m and _SAME_RECORDING.match(m.group(1)):
        s = s[: m.start()].strip()
    return s or title


def _script(part: str) -> str:
    hangul, latin = has_hangul(part), _LATIN.search(part) is not None
    if hangul and not latin:
        return "hangul"
    if latin and not hangul:
        return "latin"
    return "mixed" if hangul else "none"


def split_bilingual(text: str) -> tuple[str, str] | None:
    """``(latin, hangul)`` when ``text`` is one name written in both scripts, else None.

    Two forms are recognised: one part in brackets (``아이유(IU)``, ``Growl (으르렁)``), and the
    two parts side by side (``러시안 룰렛 Russian Roulette``). Anything else (a mixed part such as
    ``창민(2AM)&이현``, three alternating runs) is not split.
    """
    s = text.strip()
    m = _BILINGUAL_BRACKET.match(s)
    if m:
        a, b = m.group(1).strip(), m.group(2).strip()
        kinds = {_script(a): a, _script(b): b}
        if set(kinds) == {"latin", "hangul"}:
            return kinds["latin"], kinds["hangul"]
        return None
    tokens = s.split(" ")
    kinds_seq = [_script(t) for t in tokens]
    if "mixed" in kinds_seq:
        return None
    runs: list[tuple[str, list[str]]] = []
    for token, kind in zip(tokens, kinds_seq, strict=True):
        # digits and punctuation stay with the run before them
        if runs and (kind == "none" or runs[-1][0] == kind):
            runs[-1][1].append(token)
        else:
            runs.append((kind, [token]))
    if len(runs) != 2 or {runs[0][0], runs[1][0]} != {"latin", "hangul"}:
        return None
    parts = {kind: " ".join(words).strip(" ;:/-") for kind, words in runs}
    return parts["latin"], parts["hangul"]


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_PATH) -> dict[str, str]:
    """The alias table: ``compact(alias)`` -> canonical name, canonical names mapping to themselves.

    Raises ``CatalogError`` for a missing file, a missing column, an empty cell, an alias given
    two canonical names, or a chain (a canonical name that is itself an alias of another).
    """
    if not path.is_file():
        raise CatalogError(f"artist alias table not found at {path}; reinstall moodtune or restore the file")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"alias", "canonical"} <= set(reader.fieldnames):
            raise CatalogError(
                f"{path} must have the columns alias,canonical, but its header is {reader.fieldnames}"
            )
        pairs = [(row["alias"] or "", row["canonical"] or "", reader.line_num) for row in reader]
    table: dict[str, str] = {}
    canonicals = {compact(c): c for _, c, _ in pairs if c}
    for alias, canonical, line in pairs:
        if not alias.strip() or not canonical.strip():
            raise CatalogError(f"{path} line {line}: both alias and canonical must be filled in")
        key = compact(alias)
        if table.get(key, canonical) != canonical:
            raise CatalogError(
                f"{path} line {line}: alias {alias!r} maps to both {table[key]!r} and {canonical!r}; "
                "keep one row"
            )
        if key in canonicals and canonicals[key] != canonical:
            raise CatalogError(
                f"{path} line {line}: {alias!r} is itself a canonical name; map aliases to the final name"
            )
        table[key] = canonical
    for key, canonical in canonicals.items():
        table.setdefault(key, canonical)
    return table


def canonical_artist(artist: str, aliases: dict[str, str] | None = None) -> str:
    """The name that keys an artist: alias applied, bilingual names reduced, first of several."""
    table = load_aliases() if aliases is None else aliases
    s = clean(artist)
    for _ in range(3):
        hit = table.get(compact(s))
        if hit is not None:
            return hit
        both = split_bilingual(s)
        if both is not None:
            latin, hangul = both
            hit = table.get(compact(hangul)) or table.get(compact(latin))
            if hit is not None:
                return hit
            s = latin
        if "," not in s:
            return s
        s = s.split(",")[0].strip()
    return s


def artist_key(artist: str, aliases: dict[str, str] | None = None) -> str:
    """The comparison key of an artist (see the module docstring)."""
    name = canonical_artist(artist, aliases)
    return compact(name) or fold(name)


def title_key(title: str) -> str:
    """The comparison key of a title (see the module docstring)."""
    s = strip_version(clean(title))
    both = split_bilingual(s)
    if both is not None and not _QUALIFIER.search(both[0]):
        s = both[0]
    return compact(s) or fold(s)


def song_id(artist: str, title: str, aliases: dict[str, str] | None = None) -> str:
    """A stable id, ``s_`` + 12 hex digits, from the normalised artist and title.

    The same song spelled differently (``빅뱅`` / ``BIGBANG``, ``Song (feat. X)`` / ``Song``,
    ``Song - 2011 Remaster`` / ``Song``) gets the same id, and a rebuild gives the same ids.
    """
    a, t = artist_key(artist, aliases), title_key(title)
    if not a or not t:
        raise CatalogError(
            f"a song id needs a non-empty artist and title, but got artist={artist!r}, title={title!r}"
        )
    return "s_" + hashlib.sha1(f"{a}|{t}".encode()).hexdigest()[:12]
