"""A fake YouTube built from the shipped catalog, where the right answer is known.

``build_world(catalog, n=300, seed=6)`` samples ``n`` songs (deterministically; a share of them
with the catalog's own YouTube ids, a few without a duration) and gives each a scenario:

=================  =====  =============================================================================
scenario           share  uploads
=================  =====  =============================================================================
full                35 %  official MV (an intro of 0-40 s), ``<Artist> - Topic`` upload, a cover, a live
                          cut, a lyric video, sometimes part 2 of the song
translated           5 %  only an official upload whose title is in the other script (a Korean title
                          for a Latin one and back), which no catalog spelling gives: the known limit
topic_only          10 %  the Topic upload and a cover
official_only       10 %  the official video (within a few seconds of the catalog) and a karaoke version
blocked             10 %  only uploads whose owners disallow embedding (half of them still found by
                          ``videoEmbeddable=true``: a stale search index), and an embeddable cover
restricted           5 %  an age-restricted official video, a private Topic upload, a reaction video
deleted              5 %  uploads deleted since the search index saw them, and a cover
none                10 %  nothing at all
decoys_only         10 %  a cover, a karaoke version and a live cut
=================  =====  =============================================================================

Official titles follow one of ``OFFICIAL_STYLES`` (``[MV] Artist _ Title`` on a label's channel,
``Artist 'Title' MV``, ``ARTIST - TITLE [Official Video]`` on ``ArtistVEVO``, the artist's other
spelling from the alias table, ...); 30 % of the songs also have a song of the same title by another
artist (``other_artist``), popular, on its official channel.

A video is *acceptable* for its song when it plays embedded (public, embeddable, processed, not
age-restricted) and is the song's recording (official, Topic or lyric upload) within the duration
tolerance of ``moodtune.youtube.match`` (15 s or 10 %). A song is *resolvable* when it has one.
Catalog ids of sampled songs exist in the fake too: mostly valid, some deleted, some no longer
embeddable, for the re-check.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from moodtune.music.catalog import Catalog, Song
from moodtune.music.normalize import canonical_artist, clean, compact, load_aliases, strip_version

SCENARIOS: tuple[tuple[str, float], ...] = (
    ("full", 0.35),
    ("translated", 0.05),
    ("topic_only", 0.10),
    ("official_only", 0.10),
    ("blocked", 0.10),
    ("restricted", 0.05),
    ("deleted", 0.05),
    ("none", 0.10),
    ("decoys_only", 0.10),
)
RECORDINGS = ("official", "topic", "lyrics", "catalog")


def video_id(*parts: str) -> str:
    """A deterministic 11-character YouTube-style id."""
    digest = hashlib.sha1("|".join(parts).encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(alphabet[b % 64] for b in digest[:11])


def channel_id(name: str) -> str:
    return "UC" + video_id("channel", name) + video_id("channel2", name)[:11]


@dataclass
class FakeVideo:
    """One upload in the fake: what ``videos.list`` reports, plus the truth (``song_id``, ``kind``)."""

    id: str
    title: str
    channel_title: str
    duration_s: int
    song_id: str | None
    kind: str
    embeddable: bool = True
    privacy: str = "public"
    upload_status: str = "processed"
    age_restricted: bool = False
    live: str = "none"
    deleted: bool = False
    search_embeddable: bool | None = None
    """What the search index believes (None: the truth); a stale index still finds it."""
    popularity: int = 0
    region_allowed: tuple[str, ...] | None = None
    region_blocked: tuple[str, ...] = ()

    @property
    def channel_id(self) -> str:
        return channel_id(self.channel_title)

    def duration_iso(self) -> str:
        m, s = divmod(self.duration_s, 60)
        h, m = divmod(m, 60)
        return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + f"{s}S"

    def resource(self) -> dict:
        """The ``videos.list`` item (part=status,contentDetails,snippet)."""
        details: dict = {
            "duration": self.duration_iso(),
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": True,
            "contentRating": {"ytRating": "ytAgeRestricted"} if self.age_restricted else {},
            "projection": "rectangular",
        }
        if self.region_allowed is not None or self.region_blocked:
            details["regionRestriction"] = (
                {"allowed": list(self.region_allowed)}
                if self.region_allowed is not None
                else {"blocked": list(self.region_blocked)}
            )
        return {
            "kind": "youtube#video",
            "etag": video_id("etag", self.id),
            "id": self.id,
            "snippet": {
                "publishedAt": "2019-05-01T09:00:00Z",
                "channelId": self.channel_id,
                "title": self.title,
                "description": f"{self.title} - {self.channel_title}",
                "thumbnails": {"default": {"url": f"https://i.ytimg.com/vi/{self.id}/default.jpg"}},
                "channelTitle": self.channel_title,
                "categoryId": "10",
                "liveBroadcastContent": self.live,
            },
            "contentDetails": details,
            "status": {
                "uploadStatus": self.upload_status,
                "privacyStatus": self.privacy,
                "license": "youtube",
                "embeddable": self.embeddable,
                "publicStatsViewable": True,
                "madeForKids": False,
            },
        }


@dataclass
class World:
    songs: list[Song]
    videos: dict[str, FakeVideo]
    scenario: dict[str, str]
    catalog_ids: dict[str, str] = field(default_factory=dict)
    """Catalog youtube id -> song id, for the sampled songs that have one."""
    _indexed: int = field(default=-1, repr=False, compare=False)
    _videos_by_song: dict[str | None, list[FakeVideo]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _songs_by_id: dict[str, Song] = field(default_factory=dict, repr=False, compare=False)

    def acceptable(self, song_id: str) -> set[str]:
        """The videos that would be right for the song (see the module docstring)."""
        return {v.id for v in self._by_song().get(song_id, ()) if self._acceptable(v)}

    def _by_song(self) -> dict[str | None, list[FakeVideo]]:
        # An index, rebuilt when videos were added: the whole catalog's world has ~100k videos.
        if self._indexed != len(self.videos):
            self._videos_by_song = {}
            for v in self.videos.values():
                self._videos_by_song.setdefault(v.song_id, []).append(v)
            self._songs_by_id = {s.id: s for s in self.songs}
            self._indexed = len(self.videos)
        return self._videos_by_song

    def resolvable(self) -> set[str]:
        """The songs that have an acceptable video (their catalog id included)."""
        return {s.id for s in self.songs if self.acceptable(s.id)}

    def _acceptable(self, v: FakeVideo) -> bool:
        if v.kind not in RECORDINGS or v.deleted or not v.embeddable or v.privacy != "public":
            return False
        if v.age_restricted or v.upload_status != "processed" or v.live != "none":
            return False
        song = self.song(v.song_id)
        if song.duration_ms is None:
            return 30 <= v.duration_s <= 900
        catalog = song.duration_ms / 1000
        return abs(v.duration_s - catalog) <= max(15.0, 0.10 * catalog)

    def song(self, song_id: str | None) -> Song:
        self._by_song()
        return self._songs_by_id[str(song_id)]


def _sample(catalog: Catalog, n: int, rng: random.Random) -> list[Song]:
    songs = sorted(catalog, key=lambda s: s.id)
    if n >= len(songs):  # the whole catalog
        return songs
    with_ids = [s for s in songs if s.youtube_id]
    korean = [s for s in songs if not s.youtube_id and s.language == "ko" and s.duration_ms]
    no_duration = [s for s in songs if not s.youtube_id and s.duration_ms is None]
    rest = [s for s in songs if not s.youtube_id and s.duration_ms and s.language != "ko"]
    picked = rng.sample(with_ids, min(24, len(with_ids)))
    picked += rng.sample(no_duration, min(12, len(no_duration)))
    picked += rng.sample(korean, min(n // 4, len(korean)))
    picked += rng.sample(rest, n - len(picked))
    return sorted(picked, key=lambda s: s.id)


def build_world(catalog: Catalog, n: int = 300, seed: int = 6) -> World:
    """The fake world (see the module docstring): deterministic for a catalog, ``n`` and ``seed``."""
    rng = random.Random(seed)
    songs = _sample(catalog, n, rng)
    world = World(songs=songs, videos={}, scenario={})
    names, weights = zip(*SCENARIOS, strict=True)
    for song in songs:
        scenario = rng.choices(names, weights)[0]
        world.scenario[song.id] = scenario
        _uploads(world, song, scenario, rng)
        if song.youtube_id:
            _catalog_upload(world, song, rng)
    return world


def _add(
    world: World, song: Song, kind: str, title: str, channel: str, duration: int, **kw: object
) -> FakeVideo:
    video = FakeVideo(
        id=video_id(song.id, kind, title),
        title=title,
        channel_title=channel,
        duration_s=max(1, duration),
        song_id=song.id if kind in RECORDINGS else None,
        kind=kind,
        **kw,
    )
    world.videos[video.id] = video
    return video


def _other_spelling(artist: str) -> str:
    """Another spelling of the artist from the alias table (빅뱅 for BIGBANG), else the name."""
    aliases = load_aliases()
    canonical = canonical_artist(artist, aliases)
    others = sorted(
        {a for a, c in aliases.items() if c == canonical} - {compact(artist)}, key=lambda a: (len(a), a)
    )
    return canonical if compact(canonical) != compact(artist) else (others[0] if others else artist)


# How uploaders write an official video's title, and on which channel ({label}: a label's channel).
OFFICIAL_STYLES: tuple[tuple[str, str], ...] = (
    ("{artist} - {title} (Official Music Video)", "{artist}"),
    ("{title}", "{artist}"),
    ("[MV] {artist} _ {title}", "1theK (원더케이)"),
    ("{artist} '{title}' MV", "{artist_upper} OFFICIAL"),
    ("{ARTIST} - {TITLE} [Official Video]", "{artist_joined}VEVO"),
    ("{artist} - {title} (Official Audio)", "{other}"),
)


def _official(artist: str, title: str, rng: random.Random) -> tuple[str, str]:
    template, channel = rng.choice(OFFICIAL_STYLES)
    fields = {
        "artist": artist,
        "title": title,
        "ARTIST": artist.upper(),
        "TITLE": title.upper(),
        "artist_upper": artist.upper(),
        "artist_joined": artist.replace(" ", ""),
        "other": _other_spelling(artist),
    }
    return template.format(**fields), channel.format(**fields).replace(
        " ", ""
    ) if "VEVO" in channel else channel.format(**fields)


def _uploads(world: World, song: Song, scenario: str, rng: random.Random) -> None:
    artist = clean(song.artist)
    title = strip_version(clean(song.title))
    seconds = round(song.duration_ms / 1000) if song.duration_ms else rng.randint(150, 300)
    pop = rng.randint(1000, 10_000)
    official, official_channel = _official(artist, title, rng)
    topic = f"{_other_spelling(artist) if rng.random() < 0.3 else artist} - Topic"
    if rng.random() < 0.3:  # another artist's song of the same name, on its official channel
        _add(
            world,
            song,
            "other_artist",
            f"The Lanterns - {title} (Official Video)",
            "The Lanterns",
            seconds + rng.randint(-5, 5),
            popularity=pop * 4,
        )

    def cover() -> None:
        cover_title = f"{title} - {artist} (Cover by Jamie Lane)"
        _add(
            world,
            song,
            "cover",
            cover_title,
            "Jamie Lane Covers",
            seconds + rng.randint(-4, 4),
            popularity=pop * 3,
        )

    if scenario == "full":
        _add(
            world,
            song,
            "official",
            official,
            official_channel,
            seconds + rng.randint(0, 40),
            popularity=pop * 2,
        )
        _add(world, song, "topic", title, topic, seconds + rng.choice((-1, 0, 1)), popularity=pop // 10)
        cover()
        _add(
            world,
            song,
            "live",
            f"{artist} - {title} (Live at Seoul Olympic Stadium)",
            artist,
            seconds + rng.randint(20, 90),
            popularity=pop,
        )
        _add(
            world,
            song,
            "lyrics",
            f"{artist} - {title} (Lyrics)",
            "Lyric Vibes",
            seconds + rng.choice((-1, 0, 1)),
            popularity=pop,
        )
        if rng.random() < 0.3:
            _add(
                world,
                song,
                "other_song",
                f"{artist} - {title} Pt. 2 (Official Video)",
                artist,
                seconds + rng.randint(-30, 30),
                popularity=pop,
            )
    elif scenario == "translated":
        _add(
            world,
            song,
            "official",
            f"{artist} - {_translation(title)}",
            official_channel,
            seconds,
            popularity=pop,
        )
    elif scenario == "topic_only":
        _add(world, song, "topic", title, topic, seconds, popularity=pop // 10)
        cover()
    elif scenario == "official_only":
        _add(
            world, song, "official", official, official_channel, seconds + rng.randint(-3, 3), popularity=pop
        )
        _add(
            world,
            song,
            "karaoke",
            f"[Karaoke] {artist} - {title}",
            "Sing King Karaoke",
            seconds + rng.randint(-5, 5),
            popularity=pop * 2,
        )
    elif scenario == "blocked":
        stale = rng.random() < 0.5
        _add(
            world,
            song,
            "official",
            official,
            artist,
            seconds,
            embeddable=False,
            search_embeddable=stale or None,
            popularity=pop,
        )
        _add(
            world,
            song,
            "topic",
            title,
            topic,
            seconds,
            embeddable=False,
            search_embeddable=stale or None,
            popularity=pop,
        )
        cover()
    elif scenario == "restricted":
        _add(world, song, "official", official, artist, seconds, age_restricted=True, popularity=pop)
        _add(world, song, "topic", title, topic, seconds, privacy="private", popularity=pop)
        _add(
            world,
            song,
            "reaction",
            f"REACTING to {artist} - {title}!!",
            "Reacts Daily",
            seconds + 300,
            popularity=pop,
        )
    elif scenario == "deleted":
        _add(world, song, "official", official, artist, seconds, deleted=True, popularity=pop)
        _add(world, song, "topic", title, topic, seconds, deleted=True, popularity=pop)
        cover()
    elif scenario == "decoys_only":
        cover()
        _add(
            world,
            song,
            "karaoke",
            f"{artist} - {title} (Karaoke Version)",
            "Sing King Karaoke",
            seconds,
            popularity=pop,
        )
        _add(
            world,
            song,
            "live",
            f"{artist} - {title} LIVE",
            "Concert Clips",
            seconds + rng.randint(20, 60),
            popularity=pop,
        )


def _translation(title: str) -> str:
    """A made-up title in the other script: what a translation looks like to a matcher that has none."""
    digest = hashlib.sha1(title.encode()).digest()
    if any("\uac00" <= ch <= "\ud7a3" for ch in title):
        return " ".join(["Sora", "Haneul", "Dal", "Byeol", "Baram"][b % 5] for b in digest[:2])
    return "".join(chr(0xAC00 + (b * 97) % 11172) for b in digest[:3])


def _catalog_upload(world: World, song: Song, rng: random.Random) -> None:
    """The catalog's own id for the song: valid (70 %), deleted (15 %) or no longer embeddable."""
    assert song.youtube_id
    fate = rng.random()
    seconds = round(song.duration_ms / 1000) if song.duration_ms else rng.randint(150, 300)
    world.videos[song.youtube_id] = FakeVideo(
        id=song.youtube_id,
        title=f"{clean(song.artist)} - {clean(song.title)} MV",
        channel_title=clean(song.artist),
        duration_s=seconds,
        song_id=song.id,
        kind="catalog",
        deleted=0.70 <= fate < 0.85,
        embeddable=fate < 0.85,
        popularity=50_000,
    )
    world.catalog_ids[song.youtube_id] = song.id
