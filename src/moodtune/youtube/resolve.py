"""Finding and re-checking songs' YouTube videos with the Data API, cached in the database.

Two jobs, both driven by ``moodtune youtube resolve`` (and ``resolve_one`` by the web service when
a video will not play):

* **Re-check** (``--recheck``): every id the catalog knows (``Song.youtube_id`` and ``youtube:``
  ``other_ids``), every video the page reported unplayable and every cached confirmation gone stale,
  through ``videos.list`` in batches of 50 (1 unit each). A video that plays embedded again clears
  its unplayable mark; one deleted, made private or no longer embeddable is marked, so the web
  service stops serving it.
* **Resolve**: songs without a playable video (no catalog id, or every one marked), most popular
  first: ``search.list`` for each (100 units; ``match.search_query``), then one ``videos.list`` for
  the candidates of up to 5 songs at once (10 results each, 50 ids), and ``match.choose`` picks the
  video, recording why. Candidates cached fresh are not asked again. Each search's answer is kept
  the moment it arrives (a ``searched`` resolution: the query and its candidates' ids), so a search
  whose ``videos.list`` never came (the quota ran out, YouTube failed) is not paid for twice: the next
  run, or the next live search for the song, checks those candidates first, with ``videos.list`` only.

What is cached (``moodtune.store.youtube``): every song's latest resolution (``confirmed`` with the
video, ``no_match``, or ``searched`` while its candidates wait for their check) and every video's
check (``confirmed`` for a song, ``playable`` but chosen for none, or ``unplayable``), with the
reason, the time and what the API said. Nothing cached and fresh is requested again: a confirmation
is fresh for ``confirmed_days`` (30), anything else (a kept search too) for ``unplayable_days`` /
``no_match_days`` (7), and a check older than the video's latest unplayable report is stale.

The quota is checked before each search; when it runs out (by moodtune's count or Google's
``quotaExceeded``) the run stops cleanly: what was resolved and every search made are kept, and the
next run (after midnight Pacific) starts with the songs already searched, then the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from moodtune.music.catalog import Catalog, Song
from moodtune.store import Resolution, Store, VideoCheck, VideoMark
from moodtune.youtube.api import MAX_IDS, Video, YouTubeClient
from moodtune.youtube.errors import YouTubeQuotaExceeded
from moodtune.youtube.match import MatchPolicy, Verdict, choose, fmt_duration, playability, search_query
from moodtune.youtube.play import youtube_ids
from moodtune.youtube.quota import COSTS, seconds_to_reset

DAY = 86_400.0
SEARCH_RESULTS = 10
"""Candidates asked per song. A search costs 100 units whatever ``maxResults`` is, and a
``videos.list`` of 50 ids 1 unit, so 10 candidates (5 songs per ``videos.list``) cost 100.2 units
a song where 5 would cost 100.1, and find the right upload more often."""
_NOT_FOUND = "not found: deleted, private, or no such video"


class Progress(Protocol):
    """What a run reports as it goes (the CLI draws progress bars from it)."""

    def start(self, phase: str, total: int) -> None:
        """``phase`` (``recheck`` or ``resolve``) begins, with ``total`` items."""

    def advance(self, phase: str, done: int) -> None:
        """``done`` more items of ``phase`` are finished."""


@dataclass(frozen=True)
class Freshness:
    """How long a cached answer stands, in days (``MOODTUNE_YOUTUBE_*_DAYS``)."""

    confirmed_days: float = 30.0
    unplayable_days: float = 7.0
    no_match_days: float = 7.0

    def video_fresh(self, check: VideoCheck, mark: VideoMark | None, now: float) -> bool:
        if mark is not None and mark.status == "unplayable" and mark.last_marked_at > check.checked_at:
            return False  # reported after the check: ask again
        days = self.confirmed_days if check.status == "confirmed" else self.unplayable_days
        return now - check.checked_at < days * DAY

    def resolution_fresh(self, resolution: Resolution, now: float) -> bool:
        days = self.confirmed_days if resolution.status == "confirmed" else self.no_match_days
        return now - resolution.checked_at < days * DAY


@dataclass(frozen=True)
class Plan:
    """What a run will ask: the ids to re-check (id -> song id or None) and the songs to search."""

    recheck: dict[str, str | None]
    songs: list[Song]
    needing: int
    """Songs without a playable video and no fresh answer (``songs`` is at most ``--limit`` of them)."""


@dataclass
class Summary:
    """What a run did, for the CLI's table and ``--json``."""

    videos_checked: int = 0
    videos_confirmed: int = 0
    videos_unplayable: int = 0
    marks_cleared: int = 0
    videos_marked: int = 0
    songs_searched: int = 0
    songs_resolved: int = 0
    songs_no_match: int = 0
    songs_left: int = 0
    searches_reused: int = 0
    """Songs judged from a search an earlier run or live search paid for (no ``search.list`` again)."""
    searches_pending: int = 0
    """Songs left searched but not judged: the next run checks them with ``videos.list`` only."""
    quota_spent: int = 0
    quota_left: int = 0
    quota_limit: int = 0
    stopped_on_quota: bool = False
    stop_reason: str | None = None
    resume: str | None = None
    resolved: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mark_code(reason: str) -> int:
    """The player error code a re-check's refusal corresponds to (``moodtune.store.UNPLAYABLE_CODES``):
    100 for a video gone or private, 150 for one that may not be embedded here."""
    return 100 if reason.startswith(("not found", "privacy", "upload status")) else 150


class Resolver:
    """Re-checks and resolves with ``client``, caching in ``store`` (see the module docstring)."""

    def __init__(
        self,
        client: YouTubeClient,
        store: Store,
        *,
        policy: MatchPolicy = MatchPolicy(),  # noqa: B008 (frozen)
        freshness: Freshness = Freshness(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = store
        self.policy = policy
        self.freshness = freshness
        self.clock = clock

    # -- planning: reads the cache, asks nothing --------------------------------------------------------

    def plan(self, catalog: Catalog, *, limit: int | None = None, recheck: bool = False) -> Plan:
        now = self.clock()
        marks = {m.youtube_id: m for m in self.store.video_marks(None)}
        checks = self.store.video_checks()
        unplayable = self._unplayable(marks, checks, now)
        confirmed = self.store.confirmed_videos()

        to_recheck: dict[str, str | None] = {}
        if recheck:
            known: dict[str, str | None] = {}
            for song in catalog:
                for video in youtube_ids(song):
                    known.setdefault(video, song.id)
            for marked in marks.values():
                if marked.status == "unplayable":
                    known.setdefault(marked.youtube_id, marked.song_id)
            for check in checks.values():
                if check.status == "confirmed" and check.song_id is not None:
                    known.setdefault(check.youtube_id, check.song_id)
            for video, song_id in known.items():
                cached, mark = checks.get(video), marks.get(video)
                # Fresh and agreeing with the marks: a known id found unplayable as some search's
                # candidate is not marked yet, and the re-check does that (1 unit per 50 ids).
                unmarked = (
                    cached is not None
                    and cached.status == "unplayable"
                    and (mark is None or mark.status != "unplayable")
                )
                if cached is None or unmarked or not self.freshness.video_fresh(cached, mark, now):
                    to_recheck[video] = (
                        song_id if song_id is not None else (cached.song_id if cached else None)
                    )

        resolutions = self.store.resolutions()
        needing = []
        kept: set[str] = set()
        for song in catalog:
            videos = [*youtube_ids(song), *confirmed.get(song.id, ())]
            if any(v not in unplayable for v in videos):
                continue
            done = resolutions.get(song.id)
            if self._kept_search(done, now) is not None:
                kept.add(song.id)
            elif (
                done is not None
                and self.freshness.resolution_fresh(done, now)
                and (done.status == "no_match" or done.youtube_id not in unplayable)
            ):
                continue
            needing.append(song)
        # Songs already searched first (their check costs 1 unit per 5 songs), then the most popular.
        needing.sort(key=lambda s: (s.id not in kept, -(s.popularity or 0), s.id))
        chosen = needing if limit is None else needing[: max(0, limit)]
        return Plan(recheck=to_recheck, songs=chosen, needing=len(needing))

    def _unplayable(
        self, marks: Mapping[str, VideoMark], checks: Mapping[str, VideoCheck], now: float
    ) -> set[str]:
        """Ids not to play or choose: marked unplayable, or checked unplayable and still fresh."""
        out = {m.youtube_id for m in marks.values() if m.status == "unplayable"}
        out |= {
            c.youtube_id
            for c in checks.values()
            if c.status == "unplayable" and self.freshness.video_fresh(c, marks.get(c.youtube_id), now)
        }
        return out

    # -- running ------------------------------------------------------------------------------------------

    def run(
        self,
        catalog: Catalog,
        *,
        limit: int | None = None,
        recheck: bool = False,
        progress: Progress | None = None,
    ) -> Summary:
        """Re-check (with ``recheck``), then resolve at most ``limit`` songs; stops cleanly when the
        quota runs out (``Summary.stopped_on_quota``, ``Summary.resume``)."""
        summary = Summary(quota_limit=self.client.quota.limit)
        start = self.client.units_spent
        plan = self.plan(catalog, limit=limit, recheck=recheck)
        try:
            if recheck:
                if progress:
                    progress.start("recheck", len(plan.recheck))
                self.recheck(plan.recheck, summary, progress)
                # What the re-check refused may leave songs without a video: plan the searches again.
                plan = self.plan(catalog, limit=limit)
            if progress:  # as many as today's quota allows; a song already searched needs no search
                kept = len(self._kept_searches(plan.songs))
                fits = kept + self.client.quota.left(self.client.bucket) // COSTS["search.list"]
                progress.start("resolve", min(len(plan.songs), fits))
            self.resolve(plan.songs, summary, progress)
        except YouTubeQuotaExceeded as e:
            summary.stopped_on_quota = True
            summary.stop_reason = e.message
        summary.quota_spent = self.client.units_spent - start
        summary.quota_left = self.client.quota.left(self.client.bucket)
        summary.songs_left = max(0, plan.needing - summary.songs_searched)
        if summary.songs_left:
            summary.searches_pending = len(self._kept_searches(plan.songs))
            when = ""
            if summary.stopped_on_quota:
                hours = seconds_to_reset(self.clock()) / 3600
                when = f" after midnight Pacific Time (in {hours:.1f} h), when the quota resets"
            kept_note = (
                f"; {summary.searches_pending} of them are searched already and only need their "
                "candidates checked (videos.list, 1 unit per 5 songs)"
                if summary.searches_pending
                else ""
            )
            summary.resume = (
                f"{summary.songs_left} song(s) still need a video: run `moodtune youtube resolve` again"
                f"{when}. What was resolved and every search made are cached and not asked again"
                f"{kept_note}"
            )
        return summary

    def recheck(
        self, ids: Mapping[str, str | None], summary: Summary, progress: Progress | None = None
    ) -> None:
        """``videos.list`` for ``ids``, 50 at a time: cache each answer, clear or set marks."""
        marks = {m.youtube_id: m for m in self.store.video_marks("unplayable")}
        order = list(ids)
        for start in range(0, len(order), MAX_IDS):
            batch = order[start : start + MAX_IDS]
            found = self.client.videos(batch)
            now = self.clock()
            checks = []
            for video_id in batch:
                song_id = ids[video_id]
                video = found.get(video_id)
                why = (
                    _NOT_FOUND
                    if video is None
                    else playability(video, self.policy.region, allow_unlisted=True)
                )
                details = None if video is None else {"video": video.to_dict()}
                if why is None:
                    checks.append(
                        VideoCheck(
                            video_id, song_id, "confirmed", "plays embedded (re-checked)", now, details
                        )
                    )
                    summary.videos_confirmed += 1
                    if video_id in marks and self.store.set_video_playable(video_id):
                        summary.marks_cleared += 1
                else:
                    checks.append(VideoCheck(video_id, song_id, "unplayable", why, now, details))
                    summary.videos_unplayable += 1
                    if video_id not in marks:
                        self.store.mark_video(video_id, _mark_code(why), song_id, now)
                        summary.videos_marked += 1
            self.store.save_video_checks(checks)
            summary.videos_checked += len(batch)
            if progress:
                progress.advance("recheck", len(batch))

    def resolve(self, songs: Iterable[Song], summary: Summary, progress: Progress | None = None) -> None:
        """Search ``songs`` 5 at a time (see the module docstring); raises ``YouTubeQuotaExceeded``
        when the quota runs out, after saving every song whose candidates could still be judged.
        Songs whose search is kept from before are not searched again, and are judged first."""
        pending = list(songs)
        kept = self._kept_searches(pending)
        pending.sort(key=lambda s: s.id not in kept)  # stable: otherwise in the order given
        per_call = max(1, MAX_IDS // SEARCH_RESULTS)
        bucket = self.client.bucket
        for start in range(0, len(pending), per_call):
            searched: list[tuple[Song, str, list[str]]] = []
            try:
                for song in pending[start : start + per_call]:
                    if song.id in kept:
                        searched.append((song, *kept[song.id]))
                        continue
                    # Keep a unit for the chunk's videos.list, or the searches would be wasted.
                    if self.client.quota.left(bucket) < COSTS["search.list"] + COSTS["videos.list"]:
                        raise YouTubeQuotaExceeded(self.client.quota.exceeded_message("search.list", bucket))
                    searched.append((song, *self._search(song)))
            finally:
                # Judge what was searched, also when the quota ran out in the middle of the chunk. When
                # Google itself refused, videos.list fails too: those songs stay unresolved, their
                # searches kept (``_search``), and the next run only checks their candidates.
                if searched:
                    for result in self._judge(searched):
                        summary.songs_searched += 1
                        summary.searches_reused += int(result.song_id in kept)
                        if result.status == "confirmed":
                            summary.songs_resolved += 1
                            summary.resolved.append(
                                {
                                    "song_id": result.song_id,
                                    "youtube_id": result.youtube_id,
                                    "reason": result.reason,
                                }
                            )
                        else:
                            summary.songs_no_match += 1
                    if progress:
                        progress.advance("resolve", len(searched))

    def resolve_one(self, song: Song, exclude: Collection[str] = ()) -> Resolution:
        """Search one song now (the web service's replacement for a video that will not play), or
        take its kept search when there is one, and judge the candidates."""
        kept = self._kept_searches([song]).get(song.id)
        query, ids = kept if kept is not None else self._search(song)
        return self._judge([(song, query, ids)], exclude)[0]

    def _search(self, song: Song) -> tuple[str, list[str]]:
        """``search.list`` for ``song``; the query and the candidates' ids, kept in the store at once
        (a ``searched`` resolution). A search costs 100 units and its candidates' check may still fail
        (the quota, a timeout): the next try then checks them with ``videos.list`` alone."""
        query = search_query(song)
        hits = self.client.search(query, SEARCH_RESULTS, region=self.policy.region)
        ids = [h.video_id for h in hits]
        reason = f"searched {query!r}: {len(ids)} candidate(s), not checked yet"
        details = {"query": query, "candidate_ids": ids}
        self.store.save_resolution(Resolution(song.id, "searched", None, reason, None, self.clock(), details))
        return query, ids

    def _kept_search(self, resolution: Resolution | None, now: float) -> tuple[str, list[str]] | None:
        """The query and candidate ids of a kept search (``searched``, still fresh), else None."""
        if resolution is None or resolution.status != "searched" or not resolution.details:
            return None
        if not self.freshness.resolution_fresh(resolution, now):
            return None
        return str(resolution.details["query"]), [str(v) for v in resolution.details["candidate_ids"]]

    def _kept_searches(self, songs: Iterable[Song]) -> dict[str, tuple[str, list[str]]]:
        """Song id -> the kept search (query, candidate ids) of each of ``songs`` that has one."""
        now, ids = self.clock(), {s.id for s in songs}
        found = self.store.resolutions(status="searched")  # few rows, where ``songs`` may be thousands
        out = {song_id: self._kept_search(r, now) for song_id, r in found.items() if song_id in ids}
        return {song_id: kept for song_id, kept in out.items() if kept is not None}

    def _judge(
        self, searched: list[tuple[Song, str, list[str]]], exclude: Collection[str] = ()
    ) -> list[Resolution]:
        """Look up the candidates (fresh cache first, then ``videos.list``), choose, and save."""
        now = self.clock()
        wanted = list(dict.fromkeys(v for _, _, ids in searched for v in ids))
        marks = {m.youtube_id: m for m in self.store.video_marks(None)}
        cached = self.store.video_checks(wanted)
        videos: dict[str, Video] = {}
        refused = set(exclude) | {m.youtube_id for m in marks.values() if m.status == "unplayable"}
        for video_id, check in cached.items():
            if not self.freshness.video_fresh(check, marks.get(video_id), now):
                continue
            if check.status == "unplayable":
                refused.add(video_id)
            elif check.details and "video" in check.details:  # confirmed or playable
                videos[video_id] = Video.from_dict(check.details["video"])
        ask = [v for v in wanted if v not in videos and v not in refused]
        found = self.client.videos(ask) if ask else {}
        videos.update(found)
        gone = [v for v in ask if v not in found]
        # Every answer is cached, so the next search that meets these videos asks nothing. A row already
        # there (a stale confirmation) is left for the re-check, not overwritten by a song-less one.
        checks = []
        for v in ask:
            if v in cached:
                continue
            video = found.get(v)
            if video is None:
                checks.append(VideoCheck(v, None, "unplayable", _NOT_FOUND, now))
                continue
            why = playability(video, self.policy.region)
            status, reason = (
                ("unplayable", why) if why else ("playable", "plays embedded; chosen for no song")
            )
            checks.append(VideoCheck(v, None, status, reason, now, {"video": video.to_dict()}))
            if why:
                refused.add(v)
        self.store.save_video_checks(checks)
        out = []
        for song, query, ids in searched:
            best, verdicts = choose(
                song, [videos[v] for v in ids if v in videos], self.policy, exclude=refused
            )
            details = {
                "query": query,
                "candidates": [_candidate(videos.get(v.youtube_id), v) for v in verdicts],
                "refused_before": [v for v in ids if v in refused and v not in videos],
                "not_found": [v for v in ids if v in gone],
            }
            if best is None:
                why = "no candidate accepted" if verdicts else "the search found no video"
                resolution = Resolution(song.id, "no_match", None, f"{why} for {query!r}", None, now, details)
                self.store.save_resolution(resolution)
            else:
                video = videos[best.youtube_id]
                resolution = Resolution(
                    song.id, "confirmed", best.youtube_id, best.reason, best.score, now, details
                )
                check = VideoCheck(
                    best.youtube_id, song.id, "confirmed", best.reason, now, {"video": video.to_dict()}
                )
                self.store.save_resolution(resolution, check)
            out.append(resolution)
        return out


def _candidate(video: Video | None, verdict: Verdict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "youtube_id": verdict.youtube_id,
        "accepted": verdict.accepted,
        "score": verdict.score,
        "reason": verdict.reason,
    }
    if video is not None:
        out.update(title=video.title, channel=video.channel_title, duration=fmt_duration(video.duration_s))
    return out
