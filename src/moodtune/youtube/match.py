"""Which YouTube video is a catalog song: plain functions over what the Data API returned, no I/O.

A video can stand for a song when it plays embedded (``playability``: processed, public, embeddable,
not age-restricted, not a live stream, not blocked in ``MOODTUNE_YOUTUBE_REGION``) and ``judge``
accepts it. ``judge`` scores three kinds of evidence, each in [0, 1]:

* **title** (weight 0.5): the video's title with the noise of uploads removed (``[MV]``,
  ``(Official Video)``, ``(Audio)``, credits such as ``(feat. X)``, remaster suffixes) and every
  spelling of the artist taken out, compared with the song's title keys
  (``moodtune.music.normalize``: case, accents, punctuation and spacing ignored; both parts of a
  bilingual title tried) by ``difflib.SequenceMatcher``'s ratio; the best of the whole title, the
  title without its remaining brackets or the noise words at its ends (``Artist 'Title' MV``), a
  quoted part, and each part between `` - `` / `` _ `` / `` | ``.
* **channel** (weight 0.3): 1.0 for the artist's auto-generated ``<Artist> - Topic`` channel (the
  label's own audio of the released track), 0.9 for the artist's official channel (``Artist``,
  ``ArtistVEVO``, ``Artist Official``), 0.8 for a channel that names the artist, 0.6 when only the
  video title names the artist. Artist spellings come from the alias table (``빅뱅`` = ``BIGBANG``).
* **duration** (weight 0.2): 1 when it equals the catalog's ``duration_ms``, falling linearly to 0
  at the tolerance (the larger of ``tolerance_s`` = 15 s and ``tolerance_ratio`` = 10 %); beyond it
  the video is refused (a live cut, an extended MV, another song). 0.5 when the catalog has no
  duration (then 30 s - 15 min is required).

Words that mark another recording or a video about the song are penalised unless the catalog's
title has them too: covers, karaoke, instrumentals, reactions, remixes, fancams, another part
("Pt. 2"), teasers (-0.5); live, acoustic and stage versions (-0.35); lyric videos (-0.15: the
right recording, a poorer video). Region restrictions cost 0.2 (plays in listed countries only) or
0.05 (blocked somewhere) when no region is set.

A video is accepted with a title match of at least ``min_title`` (0.8), the artist named somewhere
(channel or title) and a score of at least ``min_score`` (0.65). ``choose`` takes the best accepted
one; its ``reason`` reads like "topic channel, duration 3:45 vs 3:46, title match 0.97".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from moodtune.music.catalog import Song
from moodtune.music.normalize import (
    canonical_artist,
    clean,
    compact,
    fold,
    load_aliases,
    split_bilingual,
    strip_version,
    title_key,
)
from moodtune.youtube.api import Video

CHANNEL_SCORES: dict[str, float] = {
    "topic channel": 1.0,
    "official channel": 0.9,
    "artist's channel": 0.8,
    "artist in title": 0.6,
}
WEIGHTS = {"title": 0.5, "channel": 0.3, "duration": 0.2}

# (pattern on the folded title, penalty, label). Latin words need word boundaries; Hangul does not
# separate words with spaces the same way, so it is matched as a substring.
_DECOYS: tuple[tuple[str, float, str], ...] = (
    (r"\bcover(?:ed)?\b|커버", 0.5, "cover"),
    (r"\bkaraoke\b|노래방|\bsing ?along\b", 0.5, "karaoke"),
    (r"\binst(?:rumental)?\b|\bmr\b|\bbacking track\b", 0.5, "instrumental"),
    (r"\breact(?:ion|s)?\b|반응", 0.5, "reaction"),
    (r"\bremix(?:es)?\b|\bmashup\b|\bmedley\b|\bnightcore\b|\bsped up\b|\bslowed\b|\b8d\b", 0.5, "remix"),
    (r"\bfan ?cam\b|직캠|\bdance practice\b|안무|\btutorial\b|\blesson\b", 0.5, "fan video"),
    (r"\bpiano\b|\bguitar\b|\bdrum\b|\bviolin\b|\bparody\b", 0.5, "another instrument or parody"),
    (r"\b(?:pt|part|vol|chapter|episode|ep)\.? ?\d+\b|\bsequel\b", 0.5, "another part"),
    (r"\bteaser\b|\btrailer\b|\bbehind\b|\bmaking\b|\bpreview\b|\bsnippet\b", 0.5, "teaser"),
    (
        r"\blive\b|라이브|\bconcert\b|콘서트|\bunplugged\b|\bsession\b|\bstage\b|무대|\bperformance\b",
        0.35,
        "live",
    ),
    (r"\bacoustic\b|\bdemo\b", 0.35, "acoustic or demo"),
    (
        r"\blyrics?\b|가사|\bcolou?r coded\b|\bletra\b|\bsub(?:s|bed|titles?)?\b|자막|\bvietsub\b",
        0.15,
        "lyrics",
    ),
)
_DECOY_PATTERNS = tuple((re.compile(p), penalty, label) for p, penalty, label in _DECOYS)

# Bracketed words that only describe the upload, dropped before comparing titles.
_NOISE_WORDS = frozenset(
    [
        "official",
        "music",
        "video",
        "audio",
        "mv",
        "m",
        "v",
        "hd",
        "hq",
        "4k",
        "1080p",
        "720p",
        "visualizer",
        "visualiser",
        "remastered",
        "remaster",
        "full",
        "ver",
        "version",
        "clip",
        "musicvideo",
        "뮤직비디오",
        "공식",
        "음원",
        "special",
    ]
)
_BRACKETS = re.compile(r"[\(\[【「『〈《]([^\)\]】」』〉》]*)[\)\]】」』〉》]")
_SEPARATORS = re.compile(r"\s+[-–—_|/]\s+|\s*[|｜]\s*")
_WORDS = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"|‘([^’]+)’|“([^”]+)”")


@dataclass(frozen=True)
class MatchPolicy:
    """How strict ``judge`` is (see the module docstring); ``region``: an ISO 3166-1 alpha-2 code
    where the video must play (None: region restrictions only cost a little)."""

    tolerance_s: float = 15.0
    tolerance_ratio: float = 0.10
    min_title: float = 0.8
    min_score: float = 0.65
    region: str | None = None

    def tolerance(self, duration_s: float) -> float:
        return max(self.tolerance_s, self.tolerance_ratio * duration_s)


@dataclass(frozen=True)
class Verdict:
    """Whether a video stands for a song, how well (``score``), and why (``reason``)."""

    youtube_id: str
    accepted: bool
    score: float
    reason: str
    title_match: float = 0.0
    channel: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fmt_duration(seconds: float | None) -> str:
    """``225`` -> ``"3:45"``; ``3725`` -> ``"1:02:05"``; None -> ``"?"``."""
    if seconds is None:
        return "?"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def search_query(song: Song) -> str:
    """The ``q`` of ``search.list`` for a song: artist and title without credits or remaster notes."""
    return f"{clean(song.artist)} {strip_version(clean(song.title))}".strip()


def playability(video: Video, region: str | None = None, *, allow_unlisted: bool = False) -> str | None:
    """Why ``video`` cannot play embedded in the page, or None when it can. ``allow_unlisted`` for
    ids a curator chose (an unlisted video plays embedded; a search should only pick public ones)."""
    if video.upload_status != "processed":
        return f"upload status {video.upload_status!r} (not a finished video)"
    if video.privacy != "public" and not (allow_unlisted and video.privacy == "unlisted"):
        return f"privacy status {video.privacy or 'unknown'!r}"
    if not video.embeddable:
        return "the owner does not allow embedding"
    if video.age_restricted:
        return "age-restricted (will not play embedded)"
    if video.live in ("live", "upcoming"):
        return f"a {video.live} broadcast, not a recording"
    if region and (
        region in video.region_blocked
        or (video.region_allowed is not None and region not in video.region_allowed)
    ):
        return f"blocked in {region}"
    return None


@dataclass(frozen=True)
class SongNames:
    """A song's title and artist keys, computed once per song (``names_of``)."""

    titles: tuple[str, ...]
    artists: tuple[str, ...]
    title_folded: str

    @classmethod
    def of(cls, song: Song) -> SongNames:
        return _names(song.title, song.artist)


@lru_cache(maxsize=4096)
def _names(title: str, artist: str) -> SongNames:
    base = strip_version(clean(title))
    key = title_key(title)
    titles: set[str] = {compact(title), compact(clean(title)), compact(base), key}
    both = split_bilingual(base)
    # Both parts of a title written in two scripts, but not when the Latin part is a qualifier
    # ("사랑 - Instrumental" is not "사랑"): title_key keys such a title by its Latin part only when it
    # is a translation.
    if both is not None and key == compact(both[0]):
        titles.update(compact(part) for part in both)
    aliases = load_aliases()
    canonical = canonical_artist(artist, aliases)
    artists: set[str] = {compact(artist), compact(clean(artist)), compact(canonical)}
    for text in (artist, clean(artist), clean(artist).split(",")[0]):
        artists.add(compact(text))
        both = split_bilingual(text.strip())
        if both is not None:
            artists.update(compact(part) for part in both)
    canonical_key = compact(canonical)
    artists.update(alias for alias, name in aliases.items() if compact(name) == canonical_key)
    return SongNames(
        titles=tuple(sorted(t for t in titles if t)),
        artists=tuple(sorted((a for a in artists if a), key=lambda a: (-len(a), a))),
        title_folded=fold(title),
    )


def _drop_noise(title: str) -> str:
    def keep(m: re.Match[str]) -> str:
        words = [w.casefold() for w in _WORDS.findall(m.group(1))]
        return " " if not words or all(w in _NOISE_WORDS for w in words) else m.group(0)

    return _BRACKETS.sub(keep, title)


def _without_artist(text: str, artists: Iterable[str]) -> str:
    # Longest first, so that "iu" does not eat part of "iuandfriends"; a one-letter name (눈, 비)
    # would eat letters of the title.
    for a in artists:
        if len(a) >= 2:
            text = text.replace(a, "")
    return text


def _strip_edges(text: str) -> str:
    """Noise words outside brackets at either end: ``Artist 'Title' MV``, ``Title Official Video``."""
    words = text.split()
    while words and words[-1].strip(".,:;!-/").casefold() in _NOISE_WORDS | {"m/v"}:
        words.pop()
    while words and words[0].strip(".,:;!-/").casefold() in _NOISE_WORDS | {"m/v"}:
        words.pop(0)
    return " ".join(words)


def title_match(names: SongNames, video_title: str) -> float:
    """How well a video title names the song's title, in [0, 1] (see the module docstring)."""
    cleaned = strip_version(clean(_drop_noise(video_title)))
    variants = {cleaned, _BRACKETS.sub(" ", cleaned)}
    variants |= {_strip_edges(v) for v in variants}
    variants |= {"".join(groups) for groups in _QUOTED.findall(cleaned)}  # Artist 'Title' MV
    for v in list(variants):
        variants.update(p for p in _SEPARATORS.split(v) if p.strip())
    # With and without the artist's name: it may be part of the title ("Killer Queen" by Queen).
    keys = {k for v in variants for k in (compact(v), _without_artist(compact(v), names.artists)) if k}
    best = 0.0
    for key in keys:
        for t in names.titles:
            best = max(best, SequenceMatcher(None, t, key, autojunk=False).ratio())
            if best == 1.0:
                return best
    return best


def channel_evidence(names: SongNames, video: Video) -> str | None:
    """How the upload is tied to the artist: a key of ``CHANNEL_SCORES``, or None."""
    channel = video.channel_title.strip()
    if channel.endswith(" - Topic") and compact(channel[: -len(" - Topic")]) in names.artists:
        return "topic channel"
    key = compact(channel)
    for a in names.artists:
        if key in (a, a + "vevo", a + "official", "official" + a, a + "officialchannel", a + "music"):
            return "official channel"
    if any(len(a) >= 3 and a in key for a in names.artists):
        return "artist's channel"
    title = compact(video.title)
    if any(len(a) >= 2 and a in title for a in names.artists):
        return "artist in title"
    # A short name only as a whole part of the title: "눈 - You are warm".
    parts = {compact(p) for p in _SEPARATORS.split(_BRACKETS.sub(" ", video.title))}
    if parts & set(names.artists):
        return "artist in title"
    return None


def penalties(names: SongNames, video_title: str) -> list[tuple[str, float]]:
    """The decoy words in the video's title that the song's own title lacks, with their penalty."""
    folded = fold(video_title)
    found = []
    for pattern, penalty, label in _DECOY_PATTERNS:
        if pattern.search(folded) and not pattern.search(names.title_folded):
            found.append((label, penalty))
    return found


def judge(
    song: Song, video: Video, policy: MatchPolicy = MatchPolicy(), names: SongNames | None = None
) -> Verdict:
    """Whether ``video`` stands for ``song``, its score and the reason (see the module docstring)."""
    names = names or SongNames.of(song)

    def refuse(why: str, title: float = 0.0, channel: str = "") -> Verdict:
        return Verdict(video.id, False, 0.0, f"refused: {why}", round(title, 3), channel)

    cannot = playability(video, policy.region)
    if cannot:
        return refuse(cannot)
    catalog_s = song.duration_ms / 1000 if song.duration_ms else None
    if video.duration_s is None or video.duration_s <= 0:
        return refuse("no duration (a live stream or a broken upload)")
    if catalog_s is not None:
        off = abs(video.duration_s - catalog_s)
        tolerance = policy.tolerance(catalog_s)
        if off > tolerance:
            return refuse(
                f"duration {fmt_duration(video.duration_s)} vs {fmt_duration(catalog_s)} "
                f"(more than {tolerance:.0f} s apart)"
            )
        duration = 1.0 - off / tolerance
        duration_note = f"duration {fmt_duration(video.duration_s)} vs {fmt_duration(catalog_s)}"
    else:
        if not 30 <= video.duration_s <= 900:
            return refuse(f"duration {fmt_duration(video.duration_s)} is not a song's (no catalog duration)")
        duration = 0.5
        duration_note = f"duration {fmt_duration(video.duration_s)} (catalog has none)"
    title = title_match(names, video.title)
    channel = channel_evidence(names, video)
    if channel is None:
        return refuse("neither the channel nor the title names the artist", title)
    if title < policy.min_title:
        return refuse(f"title match {title:.2f} < {policy.min_title}", title, channel)
    minus = penalties(names, video.title)
    if policy.region is None and video.region_allowed is not None:
        minus.append((f"plays in {len(video.region_allowed)} countries only", 0.2))
    elif policy.region is None and video.region_blocked:
        minus.append((f"blocked in {len(video.region_blocked)} countries", 0.05))
    score = (
        WEIGHTS["title"] * title
        + WEIGHTS["channel"] * CHANNEL_SCORES[channel]
        + WEIGHTS["duration"] * duration
        - sum(p for _, p in minus)
    )
    score = round(max(0.0, score), 4)
    reason = f"{channel}, {duration_note}, title match {title:.2f}"
    if minus:
        reason += "; penalised: " + ", ".join(label for label, _ in minus)
    reason += f"; score {score:.2f}"
    if score < policy.min_score:
        return Verdict(
            video.id,
            False,
            score,
            f"refused: score {score:.2f} < {policy.min_score} ({reason})",
            round(title, 3),
            channel,
        )
    return Verdict(video.id, True, score, reason, round(title, 3), channel)


def choose(
    song: Song,
    videos: Iterable[Video],
    policy: MatchPolicy = MatchPolicy(),
    exclude: Collection[str] = (),
) -> tuple[Verdict | None, list[Verdict]]:
    """The best accepted verdict among ``videos`` (in search order; ties go to the better channel,
    then the earlier result), or None; and every verdict, in the order given."""
    names = SongNames.of(song)
    verdicts = []
    for video in videos:
        if video.id in exclude:
            verdicts.append(Verdict(video.id, False, 0.0, "refused: reported unplayable or refused before"))
        else:
            verdicts.append(judge(song, video, policy, names))
    ranked = [
        (v.score, CHANNEL_SCORES.get(v.channel, 0.0), -i, v) for i, v in enumerate(verdicts) if v.accepted
    ]
    best = max(ranked, key=lambda r: r[:3])[3] if ranked else None
    return best, verdicts
