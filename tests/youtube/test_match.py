"""Choosing a song's video: what is refused, what is preferred, and the reason recorded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moodtune.music.catalog import Song
from moodtune.youtube.api import Video
from moodtune.youtube.match import MatchPolicy, choose, fmt_duration, judge, playability, search_query

SONG = Song(id="s_0123456789ab", title="Spring Day", artist="BTS", duration_ms=274_000)
KOREAN = Song(id="s_0123456789ac", title="봄날", artist="방탄소년단", duration_ms=274_000)


def video(title: str, channel: str = "BTS", seconds: int = 274, **changes: object) -> Video:
    base = Video(
        id="v" + str(abs(hash((title, channel, seconds))) % 10**10).zfill(10),
        title=title,
        channel_id="UC1",
        channel_title=channel,
        duration_s=seconds,
        embeddable=True,
        privacy="public",
        upload_status="processed",
        age_restricted=False,
        live="none",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidate", "accepted", "words"),
    [
        (
            video("Spring Day", "BTS - Topic", 275),
            True,
            "topic channel, duration 4:35 vs 4:34, title match 1.00",
        ),
        (
            video("BTS (방탄소년단) '봄날 (Spring Day)' Official MV", "HYBE LABELS", 280),
            True,
            "artist in title",
        ),
        (video("BTS - Spring Day", "BTS", 274), True, "official channel"),
        (video("BTS - Spring Day (Official Audio)", "BTSVEVO", 274), True, "official channel"),
        (video("Spring Day", "BTS - Topic", 274, embeddable=False), False, "does not allow embedding"),
        (video("Spring Day", "BTS - Topic", 274, privacy="private"), False, "privacy status 'private'"),
        (video("Spring Day", "BTS - Topic", 274, privacy="unlisted"), False, "privacy status 'unlisted'"),
        (video("Spring Day", "BTS - Topic", 274, age_restricted=True), False, "age-restricted"),
        (video("Spring Day", "BTS - Topic", 274, live="live"), False, "live broadcast"),
        (video("Spring Day", "BTS - Topic", 274, upload_status="rejected"), False, "upload status"),
        (video("BTS - Spring Day (Official MV)", "BTS", 330), False, "duration 5:30 vs 4:34 (more than 27 s"),
        (
            video("Spring Day", "Some Uploader", 274),
            False,
            "neither the channel nor the title names the artist",
        ),
        (video("BTS - Butter", "BTS", 274), False, "title match"),
        (video("BTS - Spring Day (Cover by Jane)", "Jane Covers", 274), False, "penalised: cover"),
        (video("BTS - Spring Day [Karaoke Version]", "Sing King", 274), False, "karaoke"),
        (video("BTS - Spring Day (Live at Wembley)", "BTS", 280), False, "penalised: live"),
        (video("REACTION: BTS - Spring Day", "Reacts", 280), False, "reaction"),
        (video("BTS - Spring Day Pt. 2", "BTS", 274), False, "another part"),
        (video("BTS - Spring Day (Lyrics)", "Lyric Vibes", 274), True, "penalised: lyrics"),
        (video("Spring Day", "BTS - Topic", 0), False, "no duration"),
    ],
)
def test_judge_refuses_what_cannot_play_or_is_another_recording(
    candidate: Video, accepted: bool, words: str
) -> None:
    verdict = judge(SONG, candidate)
    assert verdict.accepted is accepted, verdict.reason
    assert words in verdict.reason


def test_the_topic_upload_wins_over_the_official_video_and_the_lyrics() -> None:
    official = video("BTS - Spring Day (Official MV)", "BTS", 290)  # an intro of 16 s
    topic = video("Spring Day", "BTS - Topic", 274)
    lyrics = video("BTS - Spring Day (Lyrics)", "Lyric Vibes", 274)
    cover = video("Spring Day - BTS (Cover)", "Jane", 274)
    best, verdicts = choose(SONG, [cover, lyrics, official, topic])
    assert best is not None and best.youtube_id == topic.id
    assert best.reason == "topic channel, duration 4:34 vs 4:34, title match 1.00; score 1.00"
    assert [v.accepted for v in verdicts] == [False, True, True, True]
    best, _ = choose(SONG, [cover, lyrics])  # a lyric video of the right recording beats nothing
    assert best is not None and best.youtube_id == lyrics.id


def test_videos_reported_unplayable_are_never_chosen() -> None:
    topic = video("Spring Day", "BTS - Topic", 274)
    best, verdicts = choose(SONG, [topic], exclude={topic.id})
    assert best is None and "reported unplayable" in verdicts[0].reason


def test_artists_are_matched_in_either_script_through_the_alias_table() -> None:
    # 방탄소년단 and BTS are one artist in music/data/artist_aliases.csv.
    assert judge(KOREAN, video("봄날", "BTS - Topic", 274)).channel == "topic channel"
    assert judge(SONG, video("봄날 (Spring Day)", "방탄소년단 - Topic", 274)).accepted


def test_a_word_in_the_catalog_title_is_not_a_decoy() -> None:
    live = replace(SONG, title="Spring Day (Live)")
    assert judge(live, video("BTS - Spring Day (Live)", "BTS", 274)).accepted
    inst = Song(id="s_0123456789ad", title="D-Day - Instrumental", artist="myB 마이비", duration_ms=215_048)
    assert judge(inst, video("D-Day (Instrumental)", "myB - Topic", 215)).accepted
    # and the vocal version is not the instrumental one
    assert not judge(inst, video("D-Day", "myB - Topic", 215)).accepted


def test_without_a_catalog_duration_any_song_length_passes_with_less_confidence() -> None:
    unknown = replace(SONG, duration_ms=None)
    verdict = judge(unknown, video("Spring Day", "BTS - Topic", 200))
    assert verdict.accepted and "catalog has none" in verdict.reason
    assert verdict.score < judge(SONG, video("Spring Day", "BTS - Topic", 274)).score
    assert not judge(unknown, video("Spring Day (10 hours)", "BTS - Topic", 36_000)).accepted


def test_a_region_listed_in_the_settings_refuses_videos_blocked_there() -> None:
    blocked = video("Spring Day", "BTS - Topic", 274, region_blocked=frozenset({"KR"}))
    assert "blocked in KR" in judge(SONG, blocked, MatchPolicy(region="KR")).reason
    assert judge(SONG, blocked, MatchPolicy(region="US")).accepted
    allowed = video("Spring Day", "BTS - Topic", 274, region_allowed=frozenset({"JP"}))
    assert playability(allowed, "KR") == "blocked in KR"
    assert "plays in 1 countries only" in judge(SONG, allowed).reason  # no region set: a penalty


def test_known_ids_may_be_unlisted_but_a_search_only_takes_public_videos() -> None:
    unlisted = video("Spring Day", "BTS - Topic", 274, privacy="unlisted")
    assert playability(unlisted, allow_unlisted=True) is None
    assert playability(unlisted) is not None


def test_the_query_is_artist_and_title_without_credits_or_remaster_notes() -> None:
    song = Song(id="s_0123456789ae", title="Many Ways (feat. Wizkid) - 2011 Remaster", artist="Bnxn")
    assert search_query(song) == "Bnxn Many Ways"


@pytest.mark.parametrize(("seconds", "text"), [(225, "3:45"), (5, "0:05"), (3725, "1:02:05"), (None, "?")])
def test_durations_are_written_as_people_read_them(seconds: int | None, text: str) -> None:
    assert fmt_duration(seconds) == text
