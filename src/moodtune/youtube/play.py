"""How the page plays one song, decided in one place.

A song plays through its YouTube video when it has one that nobody reported unplayable (its
primary id, else another upload kept in ``Song.other_ids`` as ``youtube:ID``); else through its
Spotify embed; else the page shows a YouTube search link. The web API attaches the answer to every
song it returns as ``play``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any
from urllib.parse import quote_plus

from moodtune.music.catalog import Song

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
SPOTIFY_EMBED = "https://open.spotify.com/embed/track/{id}"
YOUTUBE_SEARCH = "https://www.youtube.com/results?search_query={query}"


def youtube_ids(song: Song) -> Iterator[str]:
    """The song's YouTube ids, primary first, then the other uploads in catalog order."""
    if song.youtube_id:
        yield song.youtube_id
    for other in song.other_ids:
        service, _, value = other.partition(":")
        if service == "youtube" and value and value != song.youtube_id:
            yield value


def playable_video(song: Song, unplayable: Collection[str] = ()) -> str | None:
    """The first of ``youtube_ids(song)`` not in ``unplayable``, or None."""
    return next((v for v in youtube_ids(song) if v not in unplayable), None)


def play_for(song: Song, unplayable: Collection[str] = ()) -> dict[str, Any]:
    """``{"kind": "youtube", "youtube_id"}``, ``{"kind": "spotify", "embed_url"}`` or
    ``{"kind": "search", "url"}`` (see the module docstring)."""
    video = playable_video(song, unplayable)
    if video is not None:
        return {"kind": "youtube", "youtube_id": video}
    if song.spotify_id:
        return {"kind": "spotify", "embed_url": SPOTIFY_EMBED.format(id=song.spotify_id)}
    return {"kind": "search", "url": YOUTUBE_SEARCH.format(query=quote_plus(f"{song.artist} {song.title}"))}
