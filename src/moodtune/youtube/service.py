"""What the web service and the CLI build from ``Settings`` for YouTube: the quota (kept in the
store), Data API clients for each use, the resolver, and listeners' accounts; and the web service's
live search for a replacement when a video will not play (``find_live``).

Each feature is on only when its settings are there, and says which are missing otherwise:
searching needs ``MOODTUNE_YOUTUBE_API_KEY``; saving playlists needs ``MOODTUNE_GOOGLE_CLIENT_ID``,
``MOODTUNE_GOOGLE_CLIENT_SECRET`` and ``MOODTUNE_TOKEN_KEY``. The rest of moodtune never needs them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from moodtune.music.catalog import Song
from moodtune.settings import Settings
from moodtune.store import Resolution, Store
from moodtune.youtube.api import NO_RETRY, Retry, YouTubeClient
from moodtune.youtube.errors import YouTubeError, YouTubeNotConfigured
from moodtune.youtube.match import MatchPolicy
from moodtune.youtube.oauth import OAuthClient, TokenVault
from moodtune.youtube.playlists import Account
from moodtune.youtube.quota import COSTS, Quota
from moodtune.youtube.resolve import Freshness, Resolver, Summary

log = logging.getLogger("moodtune.youtube")

SEARCH_SETTINGS = ("MOODTUNE_YOUTUBE_API_KEY",)
DEFAULT_RETRY = Retry()
PLAYLIST_SETTINGS = ("MOODTUNE_GOOGLE_CLIENT_ID", "MOODTUNE_GOOGLE_CLIENT_SECRET", "MOODTUNE_TOKEN_KEY")


class YouTube:
    """Everything YouTube, built once from ``settings`` over ``store`` (see the module docstring)."""

    def __init__(self, settings: Settings, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.quota = Quota(
            settings.youtube_daily_quota, store, caps={"live": settings.youtube_live_quota}, clock=clock
        )
        self.api_key = settings.youtube_api_key.get_secret_value() if settings.youtube_api_key else None
        self.policy = MatchPolicy(region=settings.youtube_region)
        self.freshness = Freshness(
            confirmed_days=settings.youtube_confirmed_days,
            unplayable_days=settings.youtube_unplayable_days,
            no_match_days=settings.youtube_no_match_days,
        )
        self.vault = TokenVault(settings.token_key.get_secret_value()) if settings.token_key else None
        secret = settings.google_client_secret.get_secret_value() if settings.google_client_secret else None
        self.oauth = (
            OAuthClient(
                settings.google_client_id,
                secret,
                auth_url=settings.google_auth_url,
                token_url=settings.google_token_url,
                revoke_url=settings.google_revoke_url,
                clock=clock,
            )
            if settings.google_client_id and secret
            else None
        )
        self._live: YouTubeClient | None = None
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()

    def close(self) -> None:
        if self._live is not None:
            self._live.close()
        if self.oauth is not None:
            self.oauth.close()

    # -- what is configured -----------------------------------------------------------------------------

    @property
    def search_configured(self) -> bool:
        return bool(self.api_key)

    @property
    def playlists_configured(self) -> bool:
        return self.oauth is not None and self.vault is not None

    def missing(self, feature: str) -> list[str]:
        """The settings ``feature`` (``search`` or ``playlists``) lacks."""
        if feature == "search":
            return [] if self.api_key else list(SEARCH_SETTINGS)
        values = {
            "MOODTUNE_GOOGLE_CLIENT_ID": self.settings.google_client_id,
            "MOODTUNE_GOOGLE_CLIENT_SECRET": self.settings.google_client_secret,
            "MOODTUNE_TOKEN_KEY": self.settings.token_key,
        }
        return [name for name, value in values.items() if not value]

    def not_configured(self, feature: str) -> YouTubeNotConfigured:
        what = {
            "search": "searching YouTube for songs' videos",
            "playlists": "saving playlists to listeners' YouTube accounts",
        }[feature]
        return YouTubeNotConfigured(
            f"{what} is off on this server: set {', '.join(self.missing(feature))} "
            "(see docs/settings.md); everything else works without it"
        )

    # -- building -------------------------------------------------------------------------------------

    def client(
        self, bucket: str = "resolve", *, timeout: float = 10.0, retry: Retry = DEFAULT_RETRY
    ) -> YouTubeClient:
        """A new Data API client spending ``bucket``'s quota (the caller closes it)."""
        if bucket != "playlists" and not self.search_configured:
            raise self.not_configured("search")
        return YouTubeClient(
            self.api_key,
            quota=self.quota,
            base=self.settings.youtube_api_base,
            bucket=bucket,
            timeout=timeout,
            retry=retry,
        )

    def live_client(self) -> YouTubeClient:
        """The web service's long-lived client for live searches: one try, a short timeout."""
        with self._lock:
            if self._live is None:
                self._live = self.client("live", timeout=self.settings.youtube_live_timeout, retry=NO_RETRY)
            return self._live

    def resolver(self, client: YouTubeClient) -> Resolver:
        return Resolver(client, self.store, policy=self.policy, freshness=self.freshness, clock=self.clock)

    def account(self, listener_id: str) -> Account:
        if self.oauth is None or self.vault is None:
            raise self.not_configured("playlists")
        return Account(self.store, self.vault, self.oauth, listener_id, clock=self.clock)

    # -- the web service's live search ----------------------------------------------------------------

    def can_search_live(self, method: str = "search.list") -> bool:
        """Whether the web service may ask ``method`` now: search is configured, live searches are on
        (a timeout above 0) and the live share of the quota has room for it."""
        return (
            self.search_configured
            and self.settings.youtube_live_timeout > 0
            and self.quota.allows(method, "live")
        )

    def find_live(self, song: Song, unplayable: Collection[str]) -> Resolution | None:
        """Search ``song``'s video now, for a listener waiting on a replacement: one try per request
        with a short timeout, within the live share of the quota, never twice at once for a song,
        and not again while a fresh ``no_match`` stands. A search kept from an earlier try whose
        check failed is not made again: its candidates are checked (``videos.list``, 1 unit). None
        when nothing was found or YouTube failed (logged: the caller falls back to a similar song)."""
        if not self.can_search_live("videos.list"):  # the least a live search costs
            return None
        last = self.store.resolutions([song.id]).get(song.id)
        if last is not None and not self.freshness.resolution_fresh(last, self.clock()):
            last = None  # stale: search again
        if last is not None and (
            last.status == "no_match" or (last.youtube_id is not None and last.youtube_id not in unplayable)
        ):
            return last if last.status == "confirmed" else None
        kept = last is not None and last.status == "searched"
        if not kept and not self.can_search_live():  # a new search: 100 units
            return None
        with self._lock:
            if song.id in self._in_flight:
                return None
            self._in_flight.add(song.id)
        try:
            found = self.resolver(self.live_client()).resolve_one(song, exclude=unplayable)
        except YouTubeError as e:
            log.warning("live YouTube search for %s (%s) failed: %s", song.id, song.title, e.message)
            return None
        finally:
            with self._lock:
                self._in_flight.discard(song.id)
        return found if found.status == "confirmed" else None

    def check_live(self, youtube_id: str, song_id: str | None) -> bool | None:
        """Ask the Data API now (``videos.list``, 1 unit of the live share) whether a video a
        listener reported plays embedded; a fresh earlier answer is used instead. The check's
        verdict is cached and, when the video will not play, marked for everyone
        (``Resolver.recheck``). True: it will not play; False: it plays; None: not asked (search
        is off, no quota left, or YouTube failed: logged)."""
        check = self.store.video_checks([youtube_id]).get(youtube_id)
        now = self.clock()
        if check is not None and self.freshness.video_fresh(check, None, now):
            return check.status == "unplayable"
        if not (
            self.search_configured
            and self.settings.youtube_live_timeout > 0
            and self.quota.allows("videos.list", "live")
        ):
            return None
        summary = Summary()
        try:
            self.resolver(self.live_client()).recheck({youtube_id: song_id}, summary)
        except YouTubeError as e:
            log.warning("live YouTube check of video %s failed: %s", youtube_id, e.message)
            return None
        return summary.videos_unplayable > 0

    def status(self) -> dict[str, Any]:
        """The quota today and what is configured (for ``GET /api/v1/youtube/status`` and the CLI)."""
        return {
            "search": self.search_configured,
            "playlists": self.playlists_configured,
            "quota": {
                "day": self.quota.day(),
                "limit": self.quota.limit,
                "spent": self.quota.spent(),
                "left": self.quota.left(),
                "search_cost": COSTS["search.list"],
            },
        }
