"""A small client of the YouTube Data API v3: the four methods moodtune uses, with quota accounting,
retries and typed errors.

Why httpx and not google-api-python-client: four REST calls do not need a generated client. httpx
is small (already what the tests drive the web app with), takes explicit per-request timeouts (the
web service's live search must give up within a few seconds), lets the base URL point at the tests'
local fake (``MOODTUNE_YOUTUBE_API_BASE``) without discovery documents, and its errors are plain
HTTP, which maps directly onto moodtune's error hierarchy.

* ``search.list`` (``part=snippet, type=video, videoEmbeddable=true, videoCategoryId=10``): the
  candidates for a song. 100 units.
* ``videos.list`` (``part=status,contentDetails,snippet``, up to ``MAX_IDS`` = 50 ids per call):
  what the search index does not promise: embeddable now, public, age restriction, duration,
  region restrictions. 1 unit. A video that does not come back is deleted, private or never was.
* ``playlists.insert`` and ``playlistItems.insert`` with the listener's OAuth access token: 50 units
  each (``moodtune.youtube.playlists``).

Every request is counted before it is sent (``moodtune.youtube.quota``). 5xx, 429 and the
per-second ``rateLimitExceeded`` are retried with capped exponential backoff and jitter, a few
times; ``quotaExceeded`` stops at once (``YouTubeQuotaExceeded``); a bad key, an API not enabled or
a refused token become ``YouTubeKeyInvalid`` / ``YouTubeUnauthorized`` with what to do.
"""

from __future__ import annotations

import html
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from moodtune.youtube.errors import (
    YouTubeError,
    YouTubeForbidden,
    YouTubeKeyInvalid,
    YouTubeNotConfigured,
    YouTubeNotFound,
    YouTubeQuotaExceeded,
    YouTubeUnauthorized,
    YouTubeUnavailable,
)
from moodtune.youtube.quota import COSTS, Quota

API_BASE = "https://www.googleapis.com/youtube/v3"
MAX_IDS = 50
"""The most ids one ``videos.list`` call takes."""
MUSIC_CATEGORY = "10"

_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")
_KEY_HELP = (
    "set MOODTUNE_YOUTUBE_API_KEY to a key of a Google Cloud project with the YouTube Data API v3 "
    "enabled (console.cloud.google.com > APIs & Services > Credentials)"
)


def parse_duration(text: str) -> int:
    """Whole seconds of an ISO-8601 duration as the API writes them: ``PT3M45S`` -> 225,
    ``PT1H2S`` -> 3602, ``P1DT2M`` -> 86520, ``P0D`` (a live stream) -> 0."""
    m = _DURATION.match(text or "")
    if not m or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"an ISO-8601 duration such as PT3M45S was expected, but got {text!r}")
    d, h, mi, s = (float(m.group(k) or 0) for k in "dhms")
    return round(((d * 24 + h) * 60 + mi) * 60 + s)


@dataclass(frozen=True)
class SearchHit:
    """One ``search.list`` result: the video and the channel it was uploaded to."""

    video_id: str
    title: str
    channel_id: str
    channel_title: str

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> SearchHit:
        snippet = item.get("snippet") or {}
        return cls(
            video_id=str((item.get("id") or {}).get("videoId", "")),
            # The search index returns titles HTML-escaped (&amp;, &#39;); videos.list does not.
            title=html.unescape(str(snippet.get("title", ""))),
            channel_id=str(snippet.get("channelId", "")),
            channel_title=html.unescape(str(snippet.get("channelTitle", ""))),
        )


@dataclass(frozen=True)
class Video:
    """What ``videos.list`` says about one video, the parts moodtune judges it by."""

    id: str
    title: str
    channel_id: str
    channel_title: str
    duration_s: int | None
    embeddable: bool
    privacy: str
    upload_status: str
    age_restricted: bool
    live: str
    """``snippet.liveBroadcastContent``: ``none``, ``live`` or ``upcoming``."""
    region_allowed: frozenset[str] | None = None
    """Where it plays, when the owner lists the countries (``contentDetails.regionRestriction``)."""
    region_blocked: frozenset[str] = frozenset()

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Video:
        snippet = item.get("snippet") or {}
        status = item.get("status") or {}
        details = item.get("contentDetails") or {}
        region = details.get("regionRestriction") or {}
        try:
            duration: int | None = parse_duration(str(details["duration"]))
        except (KeyError, ValueError):
            duration = None
        allowed = region.get("allowed")
        return cls(
            id=str(item.get("id", "")),
            title=html.unescape(str(snippet.get("title", ""))),
            channel_id=str(snippet.get("channelId", "")),
            channel_title=html.unescape(str(snippet.get("channelTitle", ""))),
            duration_s=duration,
            embeddable=bool(status.get("embeddable", False)),
            privacy=str(status.get("privacyStatus", "")),
            upload_status=str(status.get("uploadStatus", "processed")),
            age_restricted=(details.get("contentRating") or {}).get("ytRating") == "ytAgeRestricted",
            live=str(snippet.get("liveBroadcastContent", "none")),
            region_allowed=None if allowed is None else frozenset(map(str, allowed)),
            region_blocked=frozenset(map(str, region.get("blocked") or ())),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["region_allowed"] = None if self.region_allowed is None else sorted(self.region_allowed)
        out["region_blocked"] = sorted(self.region_blocked)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Video:
        """The reverse of ``to_dict`` (a cached answer read back)."""
        allowed = data.get("region_allowed")
        return cls(
            **{
                **{k: data[k] for k in _VIDEO_FIELDS},
                "region_allowed": None if allowed is None else frozenset(allowed),
                "region_blocked": frozenset(data.get("region_blocked") or ()),
            }
        )


_VIDEO_FIELDS = (
    "id",
    "title",
    "channel_id",
    "channel_title",
    "duration_s",
    "embeddable",
    "privacy",
    "upload_status",
    "age_restricted",
    "live",
)


@dataclass(frozen=True)
class Retry:
    """How often and how patiently to retry a 5xx, a 429 or a network error: ``tries`` attempts in
    all, waiting ``base * 2**n`` seconds (at most ``cap``; half of it random) between them, or what
    ``Retry-After`` asks when that is shorter than ``cap``."""

    tries: int = 4
    base: float = 0.5
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        if retry_after is not None:
            return min(self.cap, max(0.0, retry_after))
        ceiling = min(self.cap, self.base * 2**attempt)
        return ceiling / 2 + rng() * ceiling / 2


NO_RETRY = Retry(tries=1)


def _reasons(body: Any) -> tuple[set[str], str]:
    """The ``errors[].reason`` and ``details[].reason`` of a Google error body, and its message."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set(), str(error or "")
    reasons = {str(e.get("reason")) for e in error.get("errors") or () if isinstance(e, dict)}
    reasons |= {str(d.get("reason")) for d in error.get("details") or () if isinstance(d, dict)}
    return reasons, str(error.get("message", ""))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class YouTubeClient:
    """The Data API at ``base`` with ``api_key`` (None: only the OAuth methods work), counting
    ``quota`` in ``bucket``. ``timeout`` is per request, in seconds."""

    def __init__(
        self,
        api_key: str | None,
        *,
        quota: Quota,
        base: str = API_BASE,
        bucket: str = "resolve",
        timeout: float = 10.0,
        retry: Retry = Retry(),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_key = api_key
        self.quota = quota
        self.base = base.rstrip("/")
        self.bucket = bucket
        self.retry = retry
        self._sleep = sleep
        self._rng = rng
        self._http = httpx.Client(
            timeout=timeout, transport=transport, headers={"accept": "application/json"}
        )
        self.units_spent = 0
        """Units this client's requests cost (``quota`` counts every process's)."""

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> YouTubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the methods ------------------------------------------------------------------------------

    def search(self, query: str, max_results: int = 5, region: str | None = None) -> list[SearchHit]:
        """``search.list`` for embeddable music videos matching ``query``, best first."""
        if not 1 <= max_results <= 50:
            raise ValueError(f"max_results must be 1-50, but got {max_results}")
        params: dict[str, Any] = {
            "part": "snippet",
            "type": "video",
            "videoEmbeddable": "true",
            "videoCategoryId": MUSIC_CATEGORY,
            "q": query,
            "maxResults": max_results,
        }
        if region:
            params["regionCode"] = region
        body = self._request("search.list", "GET", "/search", params=params)
        hits = [SearchHit.from_api(item) for item in body.get("items") or ()]
        return [h for h in hits if h.video_id]

    def videos(self, ids: Iterable[str]) -> dict[str, Video]:
        """``videos.list`` for ``ids`` (any number, ``MAX_IDS`` per call): the videos that exist
        and are visible, by id. An id missing from the answer is deleted, private or invalid."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Video] = {}
        for start in range(0, len(wanted), MAX_IDS):
            batch = wanted[start : start + MAX_IDS]
            body = self._request(
                "videos.list",
                "GET",
                "/videos",
                # No maxResults: the API does not take it together with id.
                params={"part": "status,contentDetails,snippet", "id": ",".join(batch)},
            )
            for item in body.get("items") or ():
                video = Video.from_api(item)
                found[video.id] = video
        return found

    def insert_playlist(self, access_token: str, title: str, description: str, privacy: str) -> str:
        """``playlists.insert`` on the token's channel; the new playlist's id."""
        body = self._request(
            "playlists.insert",
            "POST",
            "/playlists",
            params={"part": "snippet,status"},
            json={
                "snippet": {"title": title, "description": description},
                "status": {"privacyStatus": privacy},
            },
            token=access_token,
        )
        playlist_id = body.get("id")
        if not isinstance(playlist_id, str) or not playlist_id:
            raise YouTubeError(f"playlists.insert answered without a playlist id: {str(body)[:200]}")
        return playlist_id

    def insert_playlist_item(self, access_token: str, playlist_id: str, video_id: str) -> str:
        """``playlistItems.insert``: append ``video_id`` to ``playlist_id``; the new item's id."""
        body = self._request(
            "playlistItems.insert",
            "POST",
            "/playlistItems",
            params={"part": "snippet"},
            json={
                "snippet": {
                    "playlistId": playlist_id,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                }
            },
            token=access_token,
        )
        return str(body.get("id", ""))

    # -- one request, retried -----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        verb: str,
        path: str,
        *,
        params: dict[str, Any],
        json: Any = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        else:
            if not self.api_key:
                raise YouTubeNotConfigured(f"{method} needs an API key: {_KEY_HELP}")
            params = {**params, "key": self.api_key}
        url = self.base + path
        last = ""
        for attempt in range(self.retry.tries):
            self.quota.reserve(method, self.bucket)
            try:
                response = self._http.request(verb, url, params=params, json=json, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:  # never reached Google: not charged
                last, retry_after = f"cannot connect to {self.base}: {e}", None
            except httpx.TransportError as e:
                self._charge(method)
                last, retry_after = f"{type(e).__name__} from {self.base}: {e}", None
            else:
                self._charge(method)
                if response.is_success:
                    try:
                        body = response.json()
                    except ValueError:
                        raise YouTubeError(
                            f"{method} answered {response.status_code} with a body that is not JSON"
                        ) from None
                    return body if isinstance(body, dict) else {}
                last = self._retryable(method, response, using_key=token is None)
                retry_after = _retry_after(response)
            if attempt + 1 < self.retry.tries:
                self._sleep(self.retry.delay(attempt, retry_after, self._rng))
        raise YouTubeUnavailable(
            f"{method} failed {self.retry.tries} time(s), last: {last}. YouTube may be down or "
            "unreachable from here; try again later"
        )

    def _charge(self, method: str) -> None:
        self.quota.charge(method, self.bucket)
        self.units_spent += COSTS[method]

    def _retryable(self, method: str, response: httpx.Response, *, using_key: bool) -> str:
        """What went wrong, for an answer worth retrying; raises the typed error otherwise."""
        status = response.status_code
        try:
            reasons, message = _reasons(response.json())
        except ValueError:
            reasons, message = set(), response.text[:200]
        said = f"{method} answered {status} {'/'.join(sorted(reasons)) or ''}: {message}".strip()
        if status == 403 and reasons & {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}:
            self.quota.exhaust()
            raise YouTubeQuotaExceeded(
                f"Google says the project's daily YouTube quota is spent ({said}). "
                + self.quota.exceeded_message(method, self.bucket).split(": ", 1)[1],
                frozenset(reasons),
            )
        if status >= 500 or status == 429:
            return said
        if status == 403 and reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
            return said
        why = frozenset(reasons)
        if status == 401:
            raise YouTubeUnauthorized(f"{said}; the access token was refused", why)
        key_problem = {
            "keyInvalid",
            "API_KEY_INVALID",
            "keyExpired",
            "API_KEY_EXPIRED",
            "accessNotConfigured",
            "SERVICE_DISABLED",
            "ipRefererBlocked",
            "API_KEY_HTTP_REFERRER_BLOCKED",
            "API_KEY_IP_ADDRESS_BLOCKED",
            "API_KEY_SERVICE_BLOCKED",
        }
        if using_key and (
            reasons & key_problem or "API key" in message or (status == 403 and "forbidden" in reasons)
        ):
            if reasons & {"accessNotConfigured", "SERVICE_DISABLED"}:
                advice = "enable the YouTube Data API v3 for the key's project (APIs & Services > Library)"
            else:
                advice = _KEY_HELP
            raise YouTubeKeyInvalid(f"Google refused MOODTUNE_YOUTUBE_API_KEY ({said}): {advice}", why)
        if status == 404:
            raise YouTubeNotFound(said, why)
        if status == 403:
            raise YouTubeForbidden(f"{said}; the connected account may not do this", why)
        raise YouTubeError(said, why)
