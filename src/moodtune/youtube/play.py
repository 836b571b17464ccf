"""How the page plays one song, decided in one place.

A song plays through a YouTube video that nobody reported unplayable: its primary id, else another
upload kept in ``Song.other_ids`` as ``youtube:ID``, else a video ``moodtune youtube resolve`` (or
the web service's live search) confirmed for it; else through its Spotify embed; else the page
shows a YouTube search link. The web API attaches the answer to every song it returns as ``play``.

Pure: the caller passes what it knows (the ids marked unplayable, the song's confirmed videos from
the cache), so the same song and knowledge always give the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any
from urllib.parse import quote_plus

from moodtune.music.catalog import Song

SPOTIFY_EMBED = "https://open.spotify.com/embed/track/{id}"
SPOTIFY_URI = "spotify:track:{id}"
YOUTUBE_SEARCH = "https://www.youtube.com/results?search_query={query}"


def youtube_ids(song: Song, confirmed: Iterable[str] = ()) -> Iterator[str]:
    """The song's YouTube ids without repeats: the catalog's primary, then its other uploads in
    catalog order, then ``confirmed`` (videos the resolver confirmed for it, best first)."""
    seen: set[str] = set()
    candidates: list[str] = [song.youtube_id] if song.youtube_id else []
    for other in song.other_ids:
        service, _, value = other.partition(":")
        if service == "youtube" and value:
            candidates.append(value)
    candidates.extend(confirmed)
    for video in candidates:
        if video not in seen:
            seen.add(video)
            yield video


def playable_video(song: Song, unplayable: Collection[str] = (), confirmed: Iterable[str] = ()) -> str | None:
    """The first of ``youtube_ids(song, confirmed)`` not in ``unplayable``, or None."""
    return next((v for v in youtube_ids(song, confirmed) if v not in unplayable), None)


def play_for(song: Song, unplayable: Collection[str] = (), confirmed: Iterable[str] = ()) -> dict[str, Any]:
    """``{"kind": "youtube", "youtube_id"}``, ``{"kind": "spotify", "uri", "embed_url"}`` (the
    track's URI, what Spotify's iFrame API loads, and its embed page) or ``{"kind": "search", "url"}``
    (see the module docstring)."""
    video = playable_video(song, unplayable, confirmed)
    if video is not None:
        return {"kind": "youtube", "youtube_id": video}
    if song.spotify_id:
        return {
            "kind": "spotify",
            "uri": SPOTIFY_URI.format(id=song.spotify_id),
            "embed_url": SPOTIFY_EMBED.format(id=song.spotify_id),
        }
    return {"kind": "search", "url": YOUTUBE_SEARCH.format(query=quote_plus(f"{song.artist} {song.title}"))}
