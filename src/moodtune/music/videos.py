"""K-pop music videos joined to catalog songs: more songs that play in the page.

``kpop_music_videos.csv`` (Kaggle "kpopdb", compiled from dbkpop.com; ``shared/data/music``)
lists music videos by release date, artist, song name, YouTube URL and release kind (Major,
Minor, Japanese, English, Chinese, Special, OST, CF). It has no Spotify ids, so a video joins a
song by artist and title: the song whose id (``moodtune.music.normalize.song_id``: aliases,
credits, brackets of the same recording, case, punctuation and both-script names all
normalised) is the video's, or the song a row of that id was merged into (a collaboration that
the K-pop file lists under each of its artists). Nothing looser: a title that differs by a
word (``Burn`` / ``Burn It``) is another song until shown otherwise.

A song without a video gets the best of its matched videos (Korean releases first, the
official Major before Minor, OST, Special and CF clips, then the earliest); a song that has one
keeps it, and every other matched video goes to ``other_ids`` as ``youtube:ID`` (another
upload the page can fall back to). Rows whose URL holds no 11-character video id, or without a
song name, are reported and skipped; a video listed twice is used once.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moodtune.music.catalog import Song
from moodtune.music.normalize import artist_key

KPOP_VIDEOS = "kpop_music_videos.csv"
VIDEO_SOURCE = KPOP_VIDEOS
"""The name a joined song lists in ``Song.sources``."""

_VIDEO_ID = re.compile(r"(?:youtu\.be/|[?&]v=|/embed/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")

RELEASE_LANGUAGES = {"japanese": "ja", "english": "en", "chinese": "zh"}
"""Release kinds that name the language sung; every other kind of this Korean list is ``ko``."""
_RELEASE_RANK = {"major": 0, "minor": 1, "ost": 2, "special": 3, "": 4, "cf": 5}
SAMPLE_SIZE = 50
"""Matches the join report lists (a fixed random sample), for checking by hand."""


@dataclass(frozen=True)
class MusicVideo:
    """One row of the video list, its URL reduced to the video id."""

    youtube_id: str
    artist: str
    title: str
    release: str = ""
    date: str | None = None
    """ISO date (YYYY-MM-DD), None when the row's date cannot be read."""
    line: int = 0

    @property
    def language(self) -> str:
        """``ja``, ``en`` or ``zh`` for a release in that language, else ``ko``."""
        return RELEASE_LANGUAGES.get(self.release.strip().casefold(), "ko")

    def rank(self) -> tuple[int, str, int]:
        """Sort key among the videos of one song: Korean releases by kind, foreign ones last;
        then the earliest; then file order."""
        kind = self.release.strip().casefold()
        return (_RELEASE_RANK.get(kind, len(_RELEASE_RANK)), self.date or "9999", self.line)


def video_id(url: str) -> str | None:
    """The 11-character YouTube id in ``url`` (``https://youtu.be/ID``, ``...watch?v=ID``, a
    trailing ``/`` or ``&`` tolerated), or None."""
    m = _VIDEO_ID.search(url.strip())
    return m.group(1) if m else None


def _iso_date(text: str) -> str | None:
    """``4/5/21`` (month/day/year, as the list writes it) -> ``2021-04-05``; None if unreadable."""
    m = _DATE.match(text.strip())
    if not m:
        return None
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if year < 100:  # the list runs from 1992 to 2021
        year += 1900 if year >= 90 else 2000
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_videos(
    rows: Iterable[tuple[int, Mapping[str, str]]],
) -> tuple[list[MusicVideo], list[tuple[int, str, str]]]:
    """Rows of ``kpop_music_videos.csv`` (line, row) -> the videos, first row of each id, and the
    rows skipped as ``(line, reason, detail)``."""
    videos: list[MusicVideo] = []
    skipped: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        artist, title = (row.get("Artist") or "").strip(), (row.get("Song Name") or "").strip()
        url = (row.get("Video") or "").strip()
        vid = video_id(url)
        if not artist or not title:
            skipped.append(
                (line, f"missing {'artist' if not artist else 'song name'}", f"{artist!r} {title!r}")
            )
            continue
        if vid is None:
            skipped.append(
                (line, "video id malformed", f"Video={url!r} (expected https://youtu.be/ + 11 characters)")
            )
            continue
        if vid in seen:
            skipped.append((line, "video listed twice", f"{vid} (first on line {seen[vid]})"))
            continue
        seen[vid] = line
        date = _iso_date(row.get("Date") or "")
        videos.append(MusicVideo(vid, artist, title, (row.get("Release") or "").strip(), date, line))
    return videos, skipped


@dataclass
class VideoJoinReport:
    """What the join did: how many videos matched, how many songs gained a video."""

    videos: int = 0
    matched_videos: int = 0
    matched_songs: int = 0
    songs_given_a_video: int = 0
    songs_that_kept_their_video: int = 0
    extra_videos_kept_as_other_ids: int = 0
    unmatched_artist_not_in_catalog: int = 0
    unmatched_title_not_in_catalog: int = 0
    matched_by_release: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    """A fixed random sample of matches (``SAMPLE_SIZE``): the video's and the song's names."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def lines(self) -> list[str]:
        """A readable summary (the build report's lines about videos)."""
        return [
            f"music videos: {self.videos} read, {self.matched_videos} matched {self.matched_songs} songs; "
            f"{self.songs_given_a_video} songs got a video, {self.songs_that_kept_their_video} kept theirs, "
            f"{self.extra_videos_kept_as_other_ids} more videos kept as other ids",
            f"music videos not matched: {self.unmatched_artist_not_in_catalog} (artist not in the catalog), "
            f"{self.unmatched_title_not_in_catalog} (a song of a catalog artist that the catalog lacks)",
            "music videos matched, by release: "
            + ", ".join(f"{k} {n}" for k, n in self.matched_by_release.items()),
        ]


def join_videos(
    songs: Sequence[Song],
    videos: Sequence[MusicVideo],
    resolve: Callable[[str, str], str | None],
    *,
    aliases: Mapping[str, str] | None = None,
    sample_seed: int = 0,
) -> tuple[list[Song], dict[str, str], VideoJoinReport]:
    """Join ``videos`` to ``songs`` (see the module docstring).

    ``resolve(artist, title)`` gives the id of the catalog song a video is, or None. Returns the
    songs (same order), the language of each joined song's best video (song id -> code, for
    ``moodtune.music.language``), and the report."""
    table = dict(aliases) if aliases is not None else None
    index = {s.id: i for i, s in enumerate(songs)}
    artists = {artist_key(s.artist, table) for s in songs}
    matches: dict[str, list[MusicVideo]] = defaultdict(list)
    report = VideoJoinReport(videos=len(videos))
    by_release: Counter[str] = Counter()
    pairs: list[tuple[MusicVideo, str]] = []
    for video in videos:
        sid = resolve(video.artist, video.title)
        if sid is None or sid not in index:
            if artist_key(video.artist, table) in artists:
                report.unmatched_title_not_in_catalog += 1
            else:
                report.unmatched_artist_not_in_catalog += 1
            continue
        matches[sid].append(video)
        pairs.append((video, sid))
        by_release[video.release or "(blank)"] += 1
    out = list(songs)
    languages: dict[str, str] = {}
    for sid, found in matches.items():
        found = sorted(found, key=MusicVideo.rank)
        song = out[index[sid]]
        primary = song.youtube_id
        if primary is None:
            primary = found[0].youtube_id
            report.songs_given_a_video += 1
        else:
            report.songs_that_kept_their_video += 1
        other = list(song.other_ids)
        for video in found:
            tagged = f"youtube:{video.youtube_id}"
            if video.youtube_id != primary and tagged not in other:
                other.append(tagged)
                report.extra_videos_kept_as_other_ids += 1
        sources = song.sources if VIDEO_SOURCE in song.sources else (*song.sources, VIDEO_SOURCE)
        out[index[sid]] = dataclasses.replace(
            song, youtube_id=primary, other_ids=tuple(other), sources=sources
        )
        languages[sid] = found[0].language
    report.matched_videos = len(pairs)
    report.matched_songs = len(matches)
    report.matched_by_release = dict(by_release.most_common())
    picked = random.Random(sample_seed).sample(pairs, min(SAMPLE_SIZE, len(pairs)))
    report.sample = [
        {
            "line": v.line,
            "video_artist": v.artist,
            "video_title": v.title,
            "release": v.release,
            "date": v.date,
            "youtube_id": v.youtube_id,
            "song_id": sid,
            "song_artist": songs[index[sid]].artist,
            "song_title": songs[index[sid]].title,
        }
        for v, sid in sorted(picked, key=lambda p: p[0].line)
    ]
    return out, languages, report
