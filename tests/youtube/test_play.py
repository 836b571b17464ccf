"""How a song plays: its video, another upload when that one is marked, Spotify, a search link."""

from __future__ import annotations

from moodtune.music.catalog import Song
from moodtune.youtube.play import play_for, playable_video, youtube_ids

SONG = Song(
    id="s_0123456789ab",
    title="Spring Day",
    artist="BTS",
    youtube_id="xEeFrLSkMm8",
    other_ids=("youtube:AAAAAAAAAAA", "spotify:zzz", "youtube:xEeFrLSkMm8"),
    spotify_id="0WNGsQ1oAuHzNTk8jivBKW",
)


def test_primary_video_first_then_other_uploads_without_repeats() -> None:
    assert list(youtube_ids(SONG)) == ["xEeFrLSkMm8", "AAAAAAAAAAA"]


def test_a_marked_video_gives_way_to_another_upload_of_the_same_song() -> None:
    assert play_for(SONG) == {"kind": "youtube", "youtube_id": "xEeFrLSkMm8"}
    assert play_for(SONG, {"xEeFrLSkMm8"}) == {"kind": "youtube", "youtube_id": "AAAAAAAAAAA"}


def test_with_every_video_marked_the_song_plays_through_spotify() -> None:
    assert playable_video(SONG, {"xEeFrLSkMm8", "AAAAAAAAAAA"}) is None
    assert play_for(SONG, {"xEeFrLSkMm8", "AAAAAAAAAAA"}) == {
        "kind": "spotify",
        "uri": "spotify:track:0WNGsQ1oAuHzNTk8jivBKW",  # what Spotify's iFrame API loads
        "embed_url": "https://open.spotify.com/embed/track/0WNGsQ1oAuHzNTk8jivBKW",
    }


def test_without_video_or_spotify_id_the_page_gets_a_search_link() -> None:
    bare = Song(id="s_0123456789ac", title="봄날 & more", artist="BTS")
    play = play_for(bare)
    assert play["kind"] == "search"
    assert play["url"] == "https://www.youtube.com/results?search_query=BTS+%EB%B4%84%EB%82%A0+%26+more"


def test_confirmed_videos_from_the_cache_play_when_the_catalog_has_none_that_plays() -> None:
    bare = Song(id="s_0123456789ad", title="Spring Day", artist="BTS", spotify_id="0WNGsQ1oAuHzNTk8jivBKW")
    assert play_for(bare, confirmed=("BBBBBBBBBBB",)) == {"kind": "youtube", "youtube_id": "BBBBBBBBBBB"}
    # the catalog's own uploads come first; a confirmed video is the fallback
    assert play_for(SONG, confirmed=("BBBBBBBBBBB",))["youtube_id"] == "xEeFrLSkMm8"
    marked = {"xEeFrLSkMm8", "AAAAAAAAAAA"}
    assert play_for(SONG, marked, confirmed=("BBBBBBBBBBB", "xEeFrLSkMm8")) == {
        "kind": "youtube",
        "youtube_id": "BBBBBBBBBBB",
    }
    assert list(youtube_ids(SONG, ("AAAAAAAAAAA", "BBBBBBBBBBB"))) == [
        "xEeFrLSkMm8",
        "AAAAAAAAAAA",
        "BBBBBBBBBBB",
    ]
    assert play_for(bare, {"BBBBBBBBBBB"}, confirmed=("BBBBBBBBBBB",))["kind"] == "spotify"
