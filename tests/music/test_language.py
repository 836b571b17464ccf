"""Which language a song gets: the title, the video, the artist table, the genre and the artist,
strongest first, and nothing where nothing says. Songs are built in code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moodtune.errors import CatalogError
from moodtune.music.catalog import Song
from moodtune.music.language import (
    RULES,
    LanguageEvidence,
    assign_languages,
    genre_language,
    is_instrumental,
    load_artist_languages,
    title_language,
)
from moodtune.music.normalize import artist_key, song_id

KPOP = "tracks_top10_features.csv"
SPOTIFY = "high_popularity_spotify_data.csv"


def song(artist: str, title: str, *, sources: tuple[str, ...] = (KPOP,), **kwargs: Any) -> Song:
    return Song(song_id(artist, title), title, artist, sources=sources, **kwargs)


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("좋은 날", "ko"),  # Hangul
        ("러시안 룰렛 Russian Roulette", "ko"),
        ("ライラック", "ja"),  # katakana
        ("僕とまた", "ja"),  # kanji with hiragana
        ("夢を見ている間 - Korean Version", "ko"),  # the qualifier beats the script
        ("Love Talk - English Version", "en"),
        ("Ah Yeah (Japanese ver.)", "ja"),
        ("Love, Love, Love - Chinese Version", "zh"),
        ("海闊天空", None),  # Han only: Chinese or Japanese
        ("Feel Special", None),  # a Latin title says nothing
        ("봄날 (Inst.)", None),  # an instrumental has no language
    ],
)
def test_title_language(title: str, language: str | None) -> None:
    assert title_language(title) == language


@pytest.mark.parametrize(
    ("title", "instrumental"),
    [
        ("To You - Instrumental", True),
        ("My Destiny - Inst.", True),
        ("Get up (inst)", True),
        ("Song (Inst. Ver.)", True),
        ("Mr. Chu (MR)", True),
        ("Sweet Night Instrumental", True),
        ("Mr. Chu", False),  # Mr. is not MR
        ("(Mr. Chu)", False),
        ("Instrumental Love", False),
        ("Installation", False),
    ],
)
def test_instrumentals_are_recognised_by_their_qualifier(title: str, instrumental: bool) -> None:
    assert is_instrumental(title) is instrumental


@pytest.mark.parametrize(
    ("genres", "language"),
    [
        (("k-pop",), "ko"),
        (("korean", "korean/drama"), "ko"),
        (("latin", "latin/reggaeton"), "es"),
        (("latin", "latin/afro-latin"), None),  # Nigerian afrobeats in that playlist
        (("arabic", "arabic/modern"), None),  # the same
        (("brazilian", "brazilian/forró"), "pt"),
        (("Dutch Cabaret",), "nl"),
        (("dutch pop",), None),  # Dutch bands that sing in English too
        (("pop", "j-pop", "j-pop/anime"), "ja"),
        ((), None),
    ],
)
def test_genre_language(genres: tuple[str, ...], language: str | None) -> None:
    assert genre_language(genres) == language


def test_rules_in_order_and_nothing_where_nothing_says() -> None:
    songs = [
        song("IU", "좋은 날"),  # title
        song("IU", "Blueming", genres=("k-pop",)),  # a Latin title on the K-pop list
        song("BTS", "Film Out", genres=("k-pop",)),  # its video is a Japanese release: beats the genre
        song("Dua Lipa", "Levitating", genres=("k-pop",)),  # on the K-pop list, but in the artist table
        song("Gina", "Say you love me", genres=("k-pop",)),  # artist table, language left blank
        song("J Balvin", "Azul", sources=(SPOTIFY,), genres=("latin", "latin/reggaeton")),
        song("포지션", "I LOVE YOU", sources=("seed_playlists.csv",)),  # credited in Hangul
        song("ADOY", "Don't Stop", sources=("seed_playlists.csv",)),  # a K-pop act in the curated lists
        song("Norah Jones", "Sunrise", sources=("Spotify-2000.csv",), genres=("adult standards",)),
        song("IU", "Blueming (Inst.)", genres=("k-pop",)),  # instrumental: no language
        song("Ariana Grande", "Santa Tell Me", sources=("seed_playlists.csv",), language="en"),  # given
    ]
    evidence = LanguageEvidence(
        artist_languages={artist_key("Dua Lipa"): "en", artist_key("Gina"): None},
        korean_artists=frozenset({artist_key("ADOY"), artist_key("IU")}),
        korean_sources=frozenset({KPOP, "seed_playlists.csv"}),
        video_languages={songs[2].id: "ja"},
    )
    placed, counts = assign_languages(songs, evidence)
    assert [s.language for s in placed] == ["ko", "ko", "ja", "en", None, "es", "ko", "ko", None, None, "en"]
    assert counts == {
        "row or title": 2,
        "instrumental": 1,
        "video": 1,
        "artist table": 1,
        "genre": 2,
        "Korean artist": 2,
        "unknown": 2,
    }
    assert list(counts) == list(RULES)
    assert [s.id for s in placed] == [s.id for s in songs]


def test_a_k_pop_name_does_not_place_a_song_of_the_other_files() -> None:
    # Darin is a Korean singer on the K-pop list and a Swedish one in the Spotify files
    korean = song("Darin", "Can't Let You Go")
    swedish = song("Darin", "Superstar", sources=("low_popularity_spotify_data.csv",), genres=("pop",))
    evidence = LanguageEvidence(
        korean_artists=frozenset({artist_key("Darin")}), korean_sources=frozenset({KPOP})
    )
    placed, _ = assign_languages([korean, swedish], evidence)
    assert [s.language for s in placed] == ["ko", None]


def test_the_shipped_artist_table_loads_and_lists_foreign_acts() -> None:
    table = load_artist_languages()
    assert table[artist_key("Dua Lipa")] == "en" and table[artist_key("Kumi Koda")] == "ja"
    assert table[artist_key("WayV")] == "zh" and table[artist_key("Jackson Wang")] is None
    # a curated row credits her in both scripts; the table's Latin name finds her
    assert artist_key("머라이어 캐리(Mariah Carey)") in table


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("artist\nDua Lipa\n", "must have the columns artist,language"),
        ("artist,language\n,en\n", "line 2: the artist is empty"),
        ("artist,language\nDua Lipa,english\n", "line 2: language 'english' is not an ISO 639-1 code"),
        ("artist,language\nDua Lipa,en\ndua lipa,en\n", "line 3: 'dua lipa' is listed twice"),
    ],
)
def test_artist_table_errors_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "artist_languages.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_artist_languages(path)
    with pytest.raises(CatalogError, match="artist language table not found"):
        load_artist_languages(tmp_path / "missing.csv")
