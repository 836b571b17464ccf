"""The song catalog: stable ids, building from every source format, merging, bad rows, storage,
search, statistics, and ``moodtune catalog`` through its real entry point.

The fixtures are tiny copies of each source file in its real format (column order, separators,
scales), written in code; one test reads the real ``shared/data/music`` and the shipped catalog.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moodtune.errors import CatalogError, UsageError
from moodtune.music.build import (
    TAG_FEATURES,
    BuildReport,
    build_catalog,
    import_csv,
    merge_songs,
)
from moodtune.music.catalog import CATALOG_PATH, FEATURES, Catalog, Song
from moodtune.music.normalize import load_aliases, song_id, split_bilingual, title_key
from tests.fixtures import SHARED

MUSIC = SHARED / "music"

SEED_HEADER = (
    "playlist,emotion,decade,title,artist,melon_song_id,melon_artist_id,song_tag,playlist_tag,youtube_id"
)
SEED_ROWS = [
    "00_negative,negative,2000s,하루 하루,빅뱅,397412,198094,감성,감성,WtAuSC3lk14",  # line 2
    "00_neutral,neutral,2000s,거짓말,BIGBANG,547940,198094,신나는,2000년대가요,Hy0W7AqDC_c",  # 3
    "10_positive,positive,2010s,좋은 날(Good Day),IU(아이유),455668,261143,소녀,기분전환,9X5Kcr8hXmI",  # 4
    "season_spring,,,좋은 날(Good Day),아이유,455668,261143,봄,봄,9X5Kcr8hXmI",  # 5: same song again
    "lunch_boss,,,걱정말아요 그대,이적,539265,1088,치유,다이나믹,Dic27EnD인",  # 6: broken YouTube id
    '10_negative,negative,2010s,신촌을 못가,포스트맨,44603,495401,절절한,힐링,"""-fDjPhFt2Ig"""',  # 7
    "kbsdrama,,,Sugar,Maroon 5,236393,107721,드라마ost,드라마ost,",  # 8
    "sbsdrama,,,Sugar,Maroon 5,236393,107721,드라마ost,드라마ost,48VSP-atSeI",  # 9
    "mbcdrama,,,들리나요,Maroon 5,236393,107721,드라마ost,드라마ost,",  # 10: copy-paste error
    "mbcdrama,,,허락,,,,,,",  # 11: no artist
]

KPOP_HEADER = (
    "artist,artist_uri,track,track_uri,popularity,danceability,energy,key,loudness,mode,speechiness,"
    "acousticness,instrumentalness,liveness,valence,tempo,type,id,track_href,analysis_url,duration_ms,"
    "time_signature"
)


def kpop_row(
    artist: str, track: str, tid: str, valence: str = "0.6", energy: str = "0.7", tempo: str = "120.0"
) -> str:
    return (
        f'"{artist}",spotify:artist:x,"{track}",spotify:track:{tid},55,0.7,{energy},7,-4.5,1,0.05,0.2,0.0,0.1,'
        f"{valence},{tempo},audio_features,{tid},https://x,https://y,200000,4"
    )


KPOP_ROWS = [
    kpop_row("BIGBANG", "하루 하루", "1" * 22, valence="0.30", energy="0.80"),  # 빅뱅 in the seed file
    kpop_row("IU", "Good Day", "2" * 22, valence="0.70", energy="0.75"),  # 좋은 날(Good Day)
    kpop_row("IU", "Blueming", "3" * 22, valence="1.7"),  # line 4: valence out of range
    kpop_row("Jero", "SAVE ME", "4" * 22, valence="", energy=""),  # line 5: no features at all
    kpop_row("TWICE", "Feel Special", "5" * 22, tempo="abc"),  # line 6: tempo not a number
    kpop_row("Beyoncé", "Halo", "6" * 22),
    kpop_row("Sam Kim", "EVEREST (with Sam Kim)", "7" * 22),  # a collaboration listed under both
    kpop_row("AKMU", "EVEREST (with Sam Kim)", "7" * 22),
]

HIGH_HEADER = (
    "energy,tempo,danceability,playlist_genre,loudness,liveness,valence,track_artist,time_signature,"
    "speechiness,track_popularity,track_href,uri,track_album_name,playlist_name,analysis_url,track_id,"
    "track_name,track_album_release_date,instrumentalness,track_album_id,mode,key,duration_ms,acousticness,"
    "id,playlist_subgenre,type,playlist_id"
)
HIGH_ROWS = [
    '0.592,157.969,0.521,pop,-7.777,0.122,0.535,"Lady Gaga, Bruno Mars",3,0.0304,100,https://x,'
    "spotify:track:2plbrEY59IikOBgBGLjaoe,Die With A Smile,Today's Top Hits,https://y,2plbrEY59IikOBgBGLjaoe,"
    "Die With A Smile,2024-08-16,0,10FLjwfpbxLmW8c25Xyc2N,0,6,251668,0.308,2plbrEY59IikOBgBGLjaoe,mainstream,"
    "audio_features,37i9dQZF1DXcBWIGoYBM5M"
]
LOW_HEADER = (
    "time_signature,track_popularity,speechiness,danceability,playlist_name,track_artist,duration_ms,energy,"
    "playlist_genre,playlist_subgenre,track_href,track_name,mode,uri,type,track_album_release_date,"
    "analysis_url,id,instrumentalness,track_album_id,playlist_id,track_id,valence,key,tempo,loudness,"
    "acousticness,liveness,track_album_name"
)
LOW_ROWS = [
    "4,53,0.0317,0.572,Rock Classics,Van Halen,241600,0.835,rock,classic,https://x,Jump - 2015 Remaster,1,"
    "spotify:track:5FqYA8KfiwsQvyBI4IamnY,audio_features,1984,https://y,5FqYA8KfiwsQvyBI4IamnY,0.000377,"
    "2c965LEDRNrXXCeBOAAwns,37i9dQZF1DWXRqgorJj26U,5FqYA8KfiwsQvyBI4IamnY,0.795,0,129.981,-6.219,0.171,"
    "0.0702,The Collection"
]
MOODS_HEADER = (
    "name,album,artist,id,release_date,popularity,length,danceability,acousticness,energy,instrumentalness,"
    "liveness,valence,loudness,speechiness,tempo,key,time_signature,mood"
)
MOODS_ROWS = [
    "Die With A Smile,Die With A Smile,Lady Gaga,2plbrEY59IikOBgBGLjaoe,2024-08-16,90,251668,0.52,0.31,0.59,"
    "0.0,0.12,0.53,-7.7,0.03,158.0,6,3,Happy",
    "Jump,1984,Van Halen,5FqYA8KfiwsQvyBI4IamnY,1984-01-04,70,241600,0.57,0.17,0.83,0.0,0.07,0.79,-6.2,0.03,"
    "130.0,0,4,Energetic",
]
TOP2000_HEADER = (
    "Index;Title;Artist;Top Genre;Year;Beats Per Minute (BPM);Energy;Danceability;Loudness (dB);Liveness;"
    "Valence;Length (Duration);Acousticness;Speechiness;Popularity"
)
TOP2000_ROWS = [
    "1;Sunrise;Norah Jones;adult standards;2004;157;30;53;-14;11;68;201;94;3;71",
    "2;Black Night;Deep Purple;album rock;2000;135;79;50;-11;17;170;207;17;7;39",  # line 3: valence 170
    '3;"Lose Yourself - From ""8 Mile"" Soundtrack";Eminem;detroit hip hop;2005;171;74;69;-5;36;6;1,326;'
    "1;26;77",
]
VIDEOS_HEADER = "Date,Artist,Song Name,Video,Type,Release"
VIDEOS_ROWS = [
    "9/23/19,TWICE,Feel Special,https://youtu.be/3ymwOvzhwHs,Girl,Major",  # line 2: gives the video
    "10/30/19,TWICE,Feel Special,https://youtu.be/TWICEjpn_01,Girl,Japanese",  # 3: kept as other id
    "12/10/10,IU,Good Day,https://youtu.be/jeqdYqsrsA0,Girl Solo,Major",  # 4: the curated video stays
    "6/25/18,AKMU,EVEREST (with Sam Kim),https://youtu.be/EVERESTakm1/,Co-ed,Minor",  # 5: listed as Sam Kim's
    "3/14/19,Yeri,Dear Diary,https://youtu.be/mE4hSQ7j0M,Girl Solo,Minor",  # 6: a 10-character id
    "9/23/19,TWICE,Feel Special,https://youtu.be/3ymwOvzhwHs,Girl,Major",  # 7: listed twice
    "1/1/20,Nobody Band,Some Song,https://youtu.be/nobodyband1,Boy,Major",  # 8: artist not in the catalog
    "5/16/19,IU,Palette,https://youtu.be/d9IxdwEFk1c,Girl Solo,Major",  # 9: IU's, but not in the catalog
    "6/25/18,My Sunset,,https://youtu.be/OPLiykvhmTc,Boy,Minor",  # 10: no song name
    "8/19/08,Big Bang,Haru Haru,https://youtu.be/MzCbEdtNbJ0,Boy,Major",  # 11: 하루 하루, not romanised
]


def write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    root = tmp_path / "music"
    root.mkdir()
    write(root / "seed_playlists.csv", SEED_HEADER, SEED_ROWS)
    write(root / "tracks_top10_features.csv", KPOP_HEADER, KPOP_ROWS)
    write(root / "high_popularity_spotify_data.csv", HIGH_HEADER, HIGH_ROWS)
    write(root / "low_popularity_spotify_data.csv", LOW_HEADER, LOW_ROWS)
    write(root / "data_moods.csv", MOODS_HEADER, MOODS_ROWS)
    write(root / "Spotify-2000.csv", TOP2000_HEADER, TOP2000_ROWS)
    write(
        root / "artists_extended.csv",
        "artist,artist_uri",
        ["BIGBANG,spotify:artist:x", "IU,spotify:artist:y"],
    )
    write(root / "kpop_music_videos.csv", VIDEOS_HEADER, VIDEOS_ROWS)
    write(
        root / "musiccaps-public.csv", "ytid,start_s,end_s,aspect_list,caption", ["-0Gj8-vB1q4,30,40,sad,a"]
    )
    return root


@pytest.fixture
def built(music_dir: Path) -> tuple[Catalog, BuildReport]:
    return build_catalog(music_dir)


def by_title(catalog: Catalog, title: str) -> Song:
    hits = [s for s in catalog if s.title == title]
    assert len(hits) == 1, [s.to_dict() for s in hits]
    return hits[0]


def examples(report: BuildReport, source: str, reason: str) -> list[str]:
    return report.sources[source].examples.get(reason, [])


# --- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("빅뱅", "하루 하루"), ("BIGBANG", "하루 하루")),  # alias table
        (("방탄소년단(BTS)", "봄날"), ("BTS (방탄소년단)", "봄날")),  # both scripts, either order
        (("IU(아이유)", "좋은 날(Good Day)"), ("IU", "Good Day")),  # bilingual title: its Latin part
        (("Red Velvet", "러시안 룰렛 Russian Roulette"), ("Red Velvet", "Russian Roulette")),
        (("Lady Gaga, Bruno Mars", "Die With A Smile"), ("Lady Gaga", "Die With A Smile")),  # first artist
        (("Wiz Khalifa (feat. Charlie Puth)", "See You Again"), ("Wiz Khalifa", "See You Again")),
        (("Loco", "남아있어 (Still) Feat. Crush"), ("Loco", "남아있어 (Still)")),
        (("Van Halen", "Jump - 2015 Remaster"), ("van halen", "JUMP")),
        (("Eminem", 'Lose Yourself - From "8 Mile" Soundtrack'), ("Eminem", "Lose Yourself")),
        (("브라운 아이즈", "벌써 일년"), ("브라운아이즈", "벌써 일년")),  # Korean spacing varies
        (("M.C THE MAX(엠씨더맥스)", "행복하지 말아요"), ("엠씨 더 맥스", "행복하지말아요")),
        (("Beyoncé", "Halo"), ("Beyonce", "halo")),  # accents
        (("ＩＵ", "Ｂｌｕｅｍｉｎｇ"), ("IU", "Blueming")),  # NFKC: full-width letters
    ],
)
def test_same_song_same_id(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert song_id(*a) == song_id(*b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("IU", "좋은 날"), ("IU", "나쁜 날")),
        (("IU", "Blueming"), ("IU", "Blueming (Inst.)")),  # a different recording
        (("X", "사랑 (Inst.)"), ("X", "이별 (Inst.)")),  # a Latin qualifier is not a translation
        (("X", "Song"), ("X", "Song - Live")),
        (("Sam Kim", "Song"), ("AKMU", "Song")),
    ],
)
def test_different_songs_different_ids(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert song_id(*a) != song_id(*b)


def test_ids_are_short_stable_and_keep_korean() -> None:
    sid = song_id("빅뱅", "하루 하루")
    assert sid.startswith("s_") and len(sid) == 14
    assert sid == song_id("빅뱅", "하루 하루")
    assert title_key("하루 하루") == "하루하루"  # nothing romanised
    assert split_bilingual("창민(2AM)&이현(8eight)") is None  # a mixed part is not split
    with pytest.raises(CatalogError, match="non-empty artist and title"):
        song_id("IU", "  ")


def test_alias_table_maps_korean_spellings_to_one_latin_name() -> None:
    aliases = load_aliases()
    assert aliases["빅뱅"] == "BIGBANG" and aliases["아이유"] == "IU" and aliases["방탄소년단"] == "BTS"
    assert all(aliases[key.casefold().replace(" ", "")] for key in ("BIGBANG", "IU", "BTS"))


def test_alias_table_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,canonical\n빅뱅,BIGBANG\n빅뱅,Big Bang\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 3: alias '빅뱅' maps to both"):
        load_aliases(path)


# --- building -----------------------------------------------------------------------------------


def test_alias_merge_brings_measured_features_to_the_curated_song(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    song = catalog.get(song_id("빅뱅", "하루 하루"))
    assert song is not None and song.id == song_id("BIGBANG", "하루 하루")
    assert song.title == "하루 하루" and song.artist == "빅뱅"  # the curated row is shown
    assert (song.valence, song.energy) == (0.30, 0.80) and not song.estimated
    assert (song.melon_id, song.youtube_id, song.spotify_id) == ("397412", "WtAuSC3lk14", "1" * 22)
    assert song.sources == ("seed_playlists.csv", "tracks_top10_features.csv")
    assert {"id": song.id, "title": "하루 하루", "artists": ["빅뱅", "BIGBANG"]} in report.artist_merges
    # the bilingual title met the K-pop file's Latin title
    good_day = catalog.get(song_id("IU", "Good Day"))
    assert (
        good_day is not None
        and good_day.valence == 0.70
        and good_day.playlists == ("10_positive", "season_spring")
    )


def test_duplicates_across_sources_merge_to_one_song(built: tuple[Catalog, BuildReport]) -> None:
    catalog, _ = built
    song = by_title(catalog, "Die With A Smile")
    assert song.sources == ("high_popularity_spotify_data.csv", "data_moods.csv")
    assert song.popularity == 100  # the maximum
    assert song.valence == 0.535  # the first measured source wins
    assert song.genres == ("pop", "pop/mainstream") and song.mood_tags == ("happy",)
    assert song.year == 2024 and song.artist == "Lady Gaga, Bruno Mars"
    jump = by_title(catalog, "Jump - 2015 Remaster")
    assert jump.sources == ("low_popularity_spotify_data.csv", "data_moods.csv") and jump.year == 1984
    # one Spotify track listed under both of its artists is one song
    everest = by_title(catalog, "EVEREST (with Sam Kim)")
    assert everest.artist == "Sam Kim" and len([s for s in catalog if s.spotify_id == "7" * 22]) == 1


def test_language_from_title_video_list_and_artist_table(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    assert by_title(catalog, "걱정말아요 그대").language == "ko"  # Hangul title
    assert by_title(catalog, "Blueming").language == "ko"  # a Latin title on the K-pop list
    assert by_title(catalog, "Feel Special").language == "ko"  # its video is a Korean release
    assert by_title(catalog, "Sugar").language == "en"  # Maroon 5: a curated foreign artist
    assert by_title(catalog, "Die With A Smile").language == "en"  # Lady Gaga, in the artist table
    assert by_title(catalog, "Sunrise").language is None  # nothing says: unknown
    assert report.languages == {
        "row or title": 5,
        "instrumental": 0,
        "video": 2,
        "artist table": 2,
        "genre": 2,
        "Korean artist": 0,
        "unknown": 4,
    }


def test_music_videos_join_songs_by_artist_and_title(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    feel = by_title(catalog, "Feel Special")
    assert feel.youtube_id == "3ymwOvzhwHs"  # the Major release, not the Japanese one
    assert feel.other_ids == ("youtube:TWICEjpn_01",)
    assert feel.sources == ("tracks_top10_features.csv", "kpop_music_videos.csv")
    good_day = by_title(catalog, "좋은 날(Good Day)")
    assert good_day.youtube_id == "9X5Kcr8hXmI"  # a song's own video stays; the new one is kept too
    assert "youtube:jeqdYqsrsA0" in good_day.other_ids
    # AKMU's row was merged into Sam Kim's song by its Spotify id; AKMU's video finds it there
    assert by_title(catalog, "EVEREST (with Sam Kim)").youtube_id == "EVERESTakm1"
    assert by_title(catalog, "하루 하루").youtube_id == "WtAuSC3lk14"  # "Haru Haru" is not 하루 하루
    videos = report.videos
    assert videos is not None
    assert (videos.videos, videos.matched_videos, videos.matched_songs) == (7, 4, 3)
    assert (videos.songs_given_a_video, videos.songs_that_kept_their_video) == (2, 1)
    assert videos.extra_videos_kept_as_other_ids == 2
    assert (videos.unmatched_artist_not_in_catalog, videos.unmatched_title_not_in_catalog) == (1, 2)
    assert videos.matched_by_release == {"Major": 2, "Japanese": 1, "Minor": 1}
    assert len(videos.sample) == 4 and videos.sample[0]["video_title"] == "Feel Special"
    rows = report.sources["kpop_music_videos.csv"]
    assert (rows.rows_read, rows.rows_kept, rows.rows_skipped) == (10, 7, 3)
    assert rows.skipped_lines == [6, 7, 10]
    assert examples(report, "kpop_music_videos.csv", "skipped: video id malformed") == [
        "kpop_music_videos.csv line 6: Video='https://youtu.be/mE4hSQ7j0M' "
        "(expected https://youtu.be/ + 11 characters)"
    ]
    assert any(line.startswith("music videos: 7 read, 4 matched 3 songs") for line in report.lines())


def test_out_of_range_and_missing_features_are_reported(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    blueming = by_title(catalog, "Blueming")
    assert blueming.valence is None and blueming.energy == 0.7  # only the bad value is dropped
    kpop = "tracks_top10_features.csv"
    assert examples(report, kpop, "dropped: valence out of range") == [
        "tracks_top10_features.csv line 4: valence='1.7' (expected 0 to 1)"
    ]
    assert examples(report, kpop, "skipped: no usable valence or energy")[0].startswith(f"{kpop} line 5")
    assert "SAVE ME" not in {s.title for s in catalog}
    assert by_title(catalog, "Feel Special").tempo is None
    assert report.sources[kpop].reasons["dropped: tempo not a number"] == 1
    r = report.sources[kpop]
    assert (r.rows_read, r.rows_kept, r.rows_skipped, r.values_dropped) == (8, 7, 1, 2)
    # Spotify-2000: 0-100 scales divided by 100, seconds to ms, valence 170 dropped
    sunrise = by_title(catalog, "Sunrise")
    assert (sunrise.valence, sunrise.energy, sunrise.tempo, sunrise.duration_ms) == (0.68, 0.3, 157.0, 201000)
    assert sunrise.genres == ("adult standards",) and sunrise.year == 2004
    assert by_title(catalog, "Black Night").valence is None
    assert by_title(catalog, 'Lose Yourself - From "8 Mile" Soundtrack').duration_ms == 1_326_000
    assert examples(report, "Spotify-2000.csv", "dropped: valence out of range") == [
        "Spotify-2000.csv line 3: valence='170' (expected 0 to 1)"
    ]


def test_bad_curated_rows_are_reported_and_good_rows_kept(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    seed = report.sources["seed_playlists.csv"]
    assert (seed.rows_read, seed.rows_kept, seed.rows_skipped) == (10, 8, 2)
    assert examples(report, "seed_playlists.csv", "skipped: copy-paste error")[0].startswith(
        "seed_playlists.csv line 10: '들리나요'"
    )
    assert examples(report, "seed_playlists.csv", "skipped: missing artist") == [
        "seed_playlists.csv line 11: artist is empty"
    ]
    assert by_title(catalog, "걱정말아요 그대").youtube_id is None  # 'Dic27EnD인' is no video id
    assert seed.reasons["dropped: youtube_id malformed"] == 1
    assert by_title(catalog, "신촌을 못가").youtube_id == "-fDjPhFt2Ig"  # stray quotes removed
    sugar = by_title(catalog, "Sugar")
    assert sugar.youtube_id == "48VSP-atSeI" and sugar.playlists == ("kbsdrama", "sbsdrama")
    assert "들리나요" not in {s.title for s in catalog}
    assert any("musiccaps-public.csv: skipped" in note for note in report.notes)


def test_estimated_features_are_flagged(built: tuple[Catalog, BuildReport]) -> None:
    catalog, report = built
    song = by_title(catalog, "걱정말아요 그대")  # 치유, healing; no features file has it
    assert (song.valence, song.energy) == TAG_FEATURES["치유"][:2]
    assert song.estimated == frozenset({"valence", "energy"}) and song.measured == frozenset()
    assert song.mood_tags == ("치유",)
    lie = by_title(catalog, "거짓말")
    assert lie.mood_tags == ("신나는", "emotion:neutral", "decade:2000s")
    mask = catalog.estimated_mask(["valence", "energy"])
    assert mask.sum() == 2 * report.curated["estimated_from_tags"]
    assert report.curated == {
        "rows": 10,
        "songs": 6,
        "with_youtube_id": 5,
        "matched_to_measured_features": 2,
        "estimated_from_tags": 4,
        "without_features": 0,
    }


def test_every_song_tag_of_the_curated_file_is_in_the_table() -> None:
    path = MUSIC / "seed_playlists.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data/music beside the checkout)")
    with path.open(encoding="utf-8") as fh:
        tags = {row["song_tag"] for row in csv.DictReader(fh) if row["song_tag"]}
    assert tags - set(TAG_FEATURES) == set()
    assert all(0 <= v <= 1 and 0 <= e <= 1 for v, e, _ in TAG_FEATURES.values())


def test_measured_features_win_over_estimated() -> None:
    sid = song_id("A", "B")
    guessed = Song(
        sid, "B", "A", valence=0.2, energy=0.3, estimated=frozenset({"valence", "energy"}), sources=("x",)
    )
    measured = Song(sid, "B", "A", valence=0.9, tempo=120.0, popularity=40, sources=("y",))
    for merged in (merge_songs(guessed, measured), merge_songs(measured, guessed)):
        assert (merged.valence, merged.energy, merged.tempo) == (0.9, 0.3, 120.0)
        assert merged.estimated == frozenset({"energy"}) and merged.popularity == 40
    with pytest.raises(CatalogError, match="same song"):
        merge_songs(guessed, dataclasses.replace(measured, id=song_id("A", "C")))


def test_rebuilds_give_the_same_ids_and_bytes(
    music_dir: Path, built: tuple[Catalog, BuildReport], tmp_path: Path
) -> None:
    again, _ = build_catalog(music_dir)
    assert again.ids == built[0].ids
    a, b = built[0].save(tmp_path / "a.csv.gz"), again.save(tmp_path / "b.csv.gz")
    assert a.read_bytes() == b.read_bytes()


def test_missing_folder_and_column_are_errors(music_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="music data folder not found"):
        build_catalog(tmp_path / "nowhere")
    write(music_dir / "data_moods.csv", "name,artist,mood", ["x,y,Happy"])
    with pytest.raises(
        CatalogError, match=r"data_moods.csv must have the columns .* \['valence', 'energy'\] are missing"
    ):
        build_catalog(music_dir)


# --- the catalog --------------------------------------------------------------------------------


def test_save_load_round_trip(built: tuple[Catalog, BuildReport], tmp_path: Path) -> None:
    catalog, _ = built
    loaded = Catalog.load(catalog.save(tmp_path / "c.csv.gz"))
    assert loaded.songs == catalog.songs
    np.testing.assert_array_equal(loaded.features(), catalog.features())
    with pytest.raises(CatalogError, match="no catalog at"):
        Catalog.load(tmp_path / "missing.csv.gz")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(CatalogError, match="not a gzip-compressed UTF-8 CSV catalog"):
        Catalog.load(tmp_path / "bad.csv.gz")


def test_features_matrix_has_nan_where_unknown(built: tuple[Catalog, BuildReport]) -> None:
    catalog, _ = built
    matrix = catalog.features(["valence", "tempo"])
    assert matrix.shape == (len(catalog), 2)
    row = catalog.ids.index(by_title(catalog, "Blueming").id)
    assert np.isnan(matrix[row, 0]) and matrix[row, 1] == 120.0
    assert catalog.features().shape == (len(catalog), len(FEATURES))
    with pytest.raises(CatalogError, match="feature names must be some of"):
        catalog.features(["liveness"])


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("하루", {"하루 하루"}),  # Korean
        ("GOOD day", {"좋은 날(Good Day)"}),  # case
        ("좋은 날", {"좋은 날(Good Day)"}),
        ("빅뱅", {"하루 하루", "거짓말"}),  # 빅뱅 finds the BIGBANG row too
        ("bigbang", {"하루 하루", "거짓말"}),
        ("아이유", {"좋은 날(Good Day)", "Blueming"}),  # through the alias table
        ("beyonce", {"Halo"}),  # accents
        ("van halen", {"Jump - 2015 Remaster"}),
        ("nothing like this", set()),
    ],
)
def test_search(built: tuple[Catalog, BuildReport], query: str, titles: set[str]) -> None:
    assert {s.title for s in built[0].search(query)} == titles


def test_search_orders_exact_titles_first_and_limits(built: tuple[Catalog, BuildReport]) -> None:
    catalog, _ = built
    assert [s.title for s in catalog.search("sunrise", limit=1)] == ["Sunrise"]
    with pytest.raises(UsageError, match="at least one letter or digit"):
        catalog.search(" !? ")


def test_stats_counts(built: tuple[Catalog, BuildReport]) -> None:
    stats = built[0].stats()
    assert stats["songs"] == len(built[0]) == 15
    assert stats["by_source"]["seed_playlists.csv"] == 6
    assert stats["by_source"]["tracks_top10_features.csv"] == 6
    assert stats["by_language"] == {"ko": 9, "unknown": 4, "en": 2}
    assert stats["with_language"] == 11
    assert stats["by_source"]["kpop_music_videos.csv"] == 3
    # years 2004, 2000 and 2005, and two curated songs of the 2000s playlists (no year, a decade tag)
    assert stats["by_decade"]["2000s"] == 5
    assert stats["by_decade"]["unknown"] == 6
    assert stats["by_genre"]["k-pop"] == 6
    assert stats["with_youtube_id"] == 7  # 5 curated, 2 from music videos
    assert stats["with_estimated_features"] == 4
    assert stats["estimated_features"] == {"energy": 4, "valence": 4}


def test_import_keeps_good_rows_and_reports_bad_ones(
    built: tuple[Catalog, BuildReport], tmp_path: Path
) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "title;artist;valence;energy;youtube_id;mood_tags;colour\n"
        "밤 편지;아이유;0.3;0.2;BzYnNdJhZQw;잔잔한;blue\n"  # line 2
        "Halo;Beyonce;;;;;\n"  # line 3: merges into the K-pop song
        ";Nobody;0.5;0.5;;;\n"  # line 4: no title
        "Song;Someone;2;0.5;;;\n",  # line 5: valence out of range (kept, value dropped)
        encoding="utf-8",
    )
    merged, report = import_csv(path, built[0])
    assert len(merged) == len(built[0]) + 2
    assert (report.rows_read, report.rows_kept, report.rows_merged, report.rows_skipped) == (4, 3, 1, 1)
    assert report.examples["skipped: missing title"] == ["mine.csv line 4: title is empty"]
    assert report.examples["dropped: valence out of range"][0].startswith("mine.csv line 5")
    assert report.note == "ignored columns: colour"
    letter = merged.get(song_id("IU", "밤 편지"))
    assert letter is not None and letter.valence == 0.3 and not letter.estimated and letter.language == "ko"
    halo = merged.get(song_id("Beyoncé", "Halo"))
    assert halo is not None and halo.sources == ("tracks_top10_features.csv", "mine.csv")


# --- the command line ---------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodtune.cli", "catalog", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_build_import_and_stats(
    music_dir: Path, built: tuple[Catalog, BuildReport], tmp_path: Path
) -> None:
    base = tmp_path / "base.csv.gz"
    proc = run("build", "--source", str(music_dir), "--out", str(base), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["songs"] == len(built[0]) and Catalog.load(base).ids == built[0].ids
    rows = tmp_path / "rows.csv"
    rows.write_text("title,artist,energy\n봄날,방탄소년단,0.6\nBad,,0.4\n", encoding="utf-8")
    out = tmp_path / "out.csv.gz"
    proc = run("import", str(rows), "--catalog", str(base), "--out", str(out))
    assert proc.returncode == 1, proc.stderr  # one bad row; the good one is still added
    assert "rows.csv line 3: artist is empty" in proc.stdout
    assert Catalog.load(out).get(song_id("BTS", "봄날")) is not None
    assert Catalog.load(base).get(song_id("BTS", "봄날")) is None  # --out, not --catalog, was written

    good = tmp_path / "good.csv"
    good.write_text("title,artist\nSpring Day,BTS\n", encoding="utf-8")
    assert run("import", str(good), "--catalog", str(out), "--json").returncode == 0

    stats = run("stats", "--json", "--catalog", str(out))
    assert stats.returncode == 0, stats.stderr
    counts = json.loads(stats.stdout)
    assert counts["songs"] == len(built[0]) + 2
    # 봄날 is Korean by its title; "Spring Day, BTS" has nothing that says so in the file
    assert counts["by_language"] == {"ko": 10, "unknown": 5, "en": 2}

    missing = run("import", str(tmp_path / "nope.csv"), "--catalog", str(out))
    assert missing.returncode == 2 and "usage_error" in missing.stderr
    no_catalog = run("stats", "--catalog", str(tmp_path / "none.csv.gz"))
    assert no_catalog.returncode == 1 and "catalog_error" in no_catalog.stderr


# --- the real data and the shipped catalog -------------------------------------------------------


@pytest.mark.data
@pytest.mark.slow
def test_real_folder_builds_the_shipped_catalog() -> None:
    if not (MUSIC / "seed_playlists.csv").is_file():
        pytest.skip(f"{MUSIC} not found (../shared/data/music beside the checkout)")
    catalog, report = build_catalog(MUSIC)
    with (MUSIC / "seed_playlists.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        seed = [(reader.line_num, row) for row in reader]
    assert len(seed) == 389
    melon = {row["melon_song_id"] for _, row in seed if row["melon_song_id"]}
    with_video = [(line, row) for line, row in seed if row["youtube_id"]]
    assert (len(melon), len(with_video)) == (331, 337)

    # every curated row is in the catalog or reported with its line
    seed_report = report.sources["seed_playlists.csv"]
    reported = set(seed_report.skipped_lines)
    assert seed_report.rows_skipped == len(reported) == 9
    ids_of: dict[str, set[str]] = {"melon": set(), "youtube": set()}
    for song in catalog:
        ids_of["melon"].add(song.melon_id or "")
        ids_of["youtube"].add(song.youtube_id or "")
        for other in song.other_ids:
            service, value = other.split(":", 1)
            ids_of.setdefault(service, set()).add(value)
    for line, row in seed:
        if line not in reported:  # its own id, or joined to a song by its Melon id
            found = (
                catalog.get(song_id(row["artist"], row["title"])) or row["melon_song_id"] in ids_of["melon"]
            )
            assert found, (line, row["title"])
    assert melon <= ids_of["melon"]  # all 331 songs
    videos = {row["youtube_id"].strip("\"'") for _, row in with_video}
    malformed = {v for v in videos if len(v) != 11 or not v.isascii()}
    assert len(malformed) == seed_report.reasons["dropped: youtube_id malformed"] == 1
    assert videos - malformed <= ids_of["youtube"]  # the other 336 rows' videos
    assert report.curated["without_features"] == 0
    assert not [n for n in report.notes if "alias canonical names" in n]  # spelled as in the K-pop file

    # the K-pop music videos: most songs that play in the page come from them
    stats = catalog.stats()
    assert report.videos is not None and report.videos.songs_given_a_video >= 1600
    assert stats["with_youtube_id"] >= 1900
    # language for every song its source or artist places: the K-pop list's Latin titles are Korean
    assert stats["with_language"] >= 12_000 and stats["by_language"]["ko"] >= 10_500
    assert sum(report.languages.values()) == len(catalog)

    shipped = Catalog.load(CATALOG_PATH)
    assert shipped.ids == catalog.ids
    assert shipped.songs == catalog.songs


def test_import_without_a_target_keeps_the_package_untouched(user_data_dir: Path, tmp_path: Path) -> None:
    # A listener's import lands in their own data folder, which then becomes the default catalog;
    # the catalog shipped inside the package is never rewritten.
    shipped_bytes = CATALOG_PATH.read_bytes()
    rows = tmp_path / "mine.csv"
    rows.write_text("title,artist,valence,energy\nMy Own Song,Some Local Band,0.7,0.4\n", encoding="utf-8")
    proc = run("import", str(rows))
    assert proc.returncode == 0, proc.stderr
    assert CATALOG_PATH.read_bytes() == shipped_bytes
    mine = user_data_dir / "catalog.csv.gz"
    assert mine.is_file()
    assert Catalog.load().get(song_id("Some Local Band", "My Own Song")) is not None
    assert len(Catalog.load()) == len(Catalog.load(CATALOG_PATH)) + 1
