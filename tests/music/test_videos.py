"""K-pop music videos joined to catalog songs: which video a song gets, which ones it keeps, and
what the report counts. Songs and video rows are built in code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moodtune.music.catalog import Song
from moodtune.music.normalize import song_id
from moodtune.music.videos import MusicVideo, join_videos, parse_videos, video_id


def song(artist: str, title: str, **kwargs: Any) -> Song:
    return Song(song_id(artist, title), title, artist, sources=("tracks_top10_features.csv",), **kwargs)


def resolver(songs: list[Song], redirects: dict[str, str] | None = None) -> Callable[[str, str], str | None]:
    """The build's lookup: the song a video's artist and title name, or the one its row joined."""
    ids = {s.id for s in songs}

    def resolve(artist: str, title: str) -> str | None:
        sid = song_id(artist, title)
        return sid if sid in ids else (redirects or {}).get(sid)

    return resolve


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://youtu.be/-Ih5UArd4zk", "-Ih5UArd4zk"),
        ("https://youtu.be/DVWZCj4-qK4&", "DVWZCj4-qK4"),  # a stray & after the id
        ("https://youtu.be/g4ELX7LyXDw/", "g4ELX7LyXDw"),  # a trailing slash
        ("https://www.youtube.com/watch?v=XxlsLmHwCSk&t=3", "XxlsLmHwCSk"),
        ("https://youtu.be/aLn7LQIKu8", None),  # 10 characters: the list lost one
        ("https://youtu.be/aLn7LQIKu8xyz", None),  # 13: not a video id either
        ("", None),
    ],
)
def test_video_id_from_the_lists_urls(url: str, expected: str | None) -> None:
    assert video_id(url) == expected


def test_parse_skips_bad_rows_with_their_line_and_reads_dates() -> None:
    rows = [
        (
            2,
            {
                "Date": "4/5/21",
                "Artist": "Wendy",
                "Song Name": "Like Water",
                "Video": "https://youtu.be/-Ih5UArd4zk",
                "Release": "Major",
            },
        ),
        (
            3,
            {
                "Date": "6/11/98",
                "Artist": "S.E.S.",
                "Song Name": "Dreams Come True",
                "Video": "https://youtu.be/XxlsLmHwCSk",
                "Release": "",
            },
        ),
        (
            4,
            {
                "Date": "4/5/21",
                "Artist": "Wendy",
                "Song Name": "Like Water",
                "Video": "https://youtu.be/-Ih5UArd4zk",
                "Release": "Major",
            },
        ),
        (
            5,
            {
                "Date": "x",
                "Artist": "My Sunset",
                "Song Name": "",
                "Video": "https://youtu.be/OPLiykvhmTc",
                "Release": "Minor",
            },
        ),
        (
            6,
            {
                "Date": "3/14/19",
                "Artist": "Yeri",
                "Song Name": "Dear Diary",
                "Video": "https://youtu.be/mE4hSQ7j0M",
                "Release": "Minor",
            },
        ),
    ]
    videos, skipped = parse_videos(rows)
    assert [(v.youtube_id, v.date, v.line) for v in videos] == [
        ("-Ih5UArd4zk", "2021-04-05", 2),
        ("XxlsLmHwCSk", "1998-06-11", 3),  # two-digit years from 90 on are the 1990s
    ]
    assert [(line, reason) for line, reason, _ in skipped] == [
        (4, "video listed twice"),
        (5, "missing song name"),
        (6, "video id malformed"),
    ]


def test_a_song_gets_its_best_video_and_keeps_the_others() -> None:
    feel = song("TWICE", "Feel Special")
    curated = song("IU", "Good Day", youtube_id="9X5Kcr8hXmI")
    untouched = song("Red Velvet", "Psycho")
    songs = [feel, curated, untouched]
    videos = [
        MusicVideo("TWICEjpn_01", "TWICE", "Feel Special", "Japanese", "2019-10-30", 2),
        MusicVideo("TWICEspc_01", "Twice", "FEEL SPECIAL", "Special", "2019-09-24", 3),
        MusicVideo("3ymwOvzhwHs", "TWICE", "Feel Special", "Major", "2019-09-23", 4),
        MusicVideo("jeqdYqsrsA0", "아이유", "Good Day (feat. Nobody)", "Major", "2010-12-10", 5),
        MusicVideo("9X5Kcr8hXmI", "IU", "Good Day", "Minor", "2010-12-11", 6),  # its own video again
    ]
    joined, languages, report = join_videos(songs, videos, resolver(songs))
    by_id = {s.id: s for s in joined}
    got = by_id[feel.id]
    assert got.youtube_id == "3ymwOvzhwHs"  # Major before Special, Korean before Japanese
    assert got.other_ids == ("youtube:TWICEspc_01", "youtube:TWICEjpn_01")
    assert got.sources == ("tracks_top10_features.csv", "kpop_music_videos.csv")
    kept = by_id[curated.id]
    assert kept.youtube_id == "9X5Kcr8hXmI" and kept.other_ids == ("youtube:jeqdYqsrsA0",)
    assert by_id[untouched.id] == untouched
    assert languages == {feel.id: "ko", curated.id: "ko"}
    assert (report.matched_videos, report.matched_songs, report.songs_given_a_video) == (5, 2, 1)
    assert (report.songs_that_kept_their_video, report.extra_videos_kept_as_other_ids) == (1, 3)
    assert [s.id for s in joined] == [s.id for s in songs]  # same songs, same order


def test_a_foreign_release_names_the_language_only_when_it_is_the_best_match() -> None:
    japanese_only = song("BTS", "Film Out")
    both = song("Wonder Girls", "Nobody")
    songs = [japanese_only, both]
    videos = [
        MusicVideo("BTSfilmout1", "BTS", "Film Out", "Japanese", "2021-04-01", 2),
        MusicVideo("WGnobodyEN1", "Wonder Girls", "Nobody", "English", "2009-07-27", 3),
        MusicVideo("WGnobodyKO1", "Wonder Girls", "Nobody", "Major", "2008-09-22", 4),
    ]
    joined, languages, _ = join_videos(songs, videos, resolver(songs))
    assert languages == {japanese_only.id: "ja", both.id: "ko"}
    assert joined[1].youtube_id == "WGnobodyKO1" and joined[1].other_ids == ("youtube:WGnobodyEN1",)


def test_unmatched_videos_are_counted_by_why() -> None:
    songs = [song("IU", "Blueming"), song("SUNMI", "Gashina")]
    # the K-pop file listed this collaboration under AKMU too; the build merged it into Sam Kim's
    everest = song("Sam Kim", "EVEREST (with Sam Kim)")
    songs.append(everest)
    redirects = {song_id("AKMU", "EVEREST (with Sam Kim)"): everest.id}
    videos = [
        MusicVideo("IUpalette01", "IU", "Palette", line=2),  # IU's song, not in the catalog
        MusicVideo("sunmi000001", "Sunmi", "Gashina", line=3),
        MusicVideo("nobodyband1", "Nobody Band", "Gashina", line=4),  # artist not in the catalog
        MusicVideo("bigbang0001", "Big Bang", "Haru Haru", line=5),  # an artist we lack entirely
        MusicVideo("EVERESTakm1", "AKMU", "EVEREST (with Sam Kim)", line=6),
    ]
    joined, _, report = join_videos(songs, videos, resolver(songs, redirects))
    assert joined[1].youtube_id == "sunmi000001" and joined[2].youtube_id == "EVERESTakm1"
    assert (report.unmatched_title_not_in_catalog, report.unmatched_artist_not_in_catalog) == (1, 2)
    assert [m["video_title"] for m in report.sample] == ["Gashina", "EVEREST (with Sam Kim)"]
    assert report.sample[1]["song_artist"] == "Sam Kim"


def test_the_sample_is_the_same_on_every_run() -> None:
    songs = [song("A", f"Song {i}") for i in range(80)]
    videos = [MusicVideo(f"video{i:06d}", "A", f"Song {i}", "Major", line=i + 2) for i in range(80)]
    first = join_videos(songs, videos, resolver(songs))[2].sample
    again = join_videos(songs, videos, resolver(songs))[2].sample
    assert len(first) == 50 and first == again
    assert [m["line"] for m in first] == sorted(m["line"] for m in first)
