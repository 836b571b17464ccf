"""A local fake of the YouTube Data API v3 and Google's OAuth endpoints: a real HTTP server on
127.0.0.1 (``http.server`` in a thread) over a ``World`` (``world.py``).

It implements what moodtune calls, with Google's response and error shapes:

* ``GET /youtube/v3/search`` (``search.list``: ``q`` matched word by word against title and channel,
  ``videoEmbeddable=true`` as the search index believes it, ``maxResults``; titles HTML-escaped),
  ``GET /youtube/v3/videos`` (``videos.list``: at most 50 ids; deleted and private videos are left
  out), ``POST /youtube/v3/playlists`` and ``POST /youtube/v3/playlistItems`` (bearer tokens).
* the quota: 100 / 1 / 50 / 50 units against ``quota_limit``, then 403 ``quotaExceeded``; a wrong
  key is 400 ``badRequest`` + ``API_KEY_INVALID``, none is 403 ``forbidden``, a disabled API 403
  ``accessNotConfigured``; ``fail_next(n)`` answers the next n API requests with 503
  ``backendError`` (or any status) without charging.
* ``GET /o/oauth2/v2/auth`` (302 back to ``redirect_uri`` with ``code`` and ``state``, or
  ``error=access_denied``), ``POST /token`` (``authorization_code`` with PKCE S256,
  ``refresh_token``; ``invalid_grant``, ``invalid_client``, ``redirect_uri_mismatch``), and
  ``POST /revoke``. ``expire_access_tokens()`` makes every issued access token answer 401.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from moodtune.music.normalize import fold
from tests.youtube.world import World, video_id

API_KEY = "fake-key-0123456789"
CLIENT_ID = "moodtune-test.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
COSTS = {"search.list": 100, "videos.list": 1, "playlists.insert": 50, "playlistItems.insert": 50}
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> set[str]:
    return set(_WORD.findall(fold(html.unescape(text))))


def google_error(code: int, message: str, reason: str, domain: str = "global", **extra: Any) -> dict:
    error = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    error.update(extra)
    return {"error": error}


@dataclass
class Grant:
    user: str
    scope: str
    refresh_token: str
    revoked: bool = False


@dataclass
class FakeGoogle:
    """The fake's state; the tests change it between requests (``reset`` between tests)."""

    world: World
    quota_limit: int = 10_000
    quota_used: int = 0
    api_disabled: bool = False
    access_ttl: int = 3599
    deny_consent: bool = False
    user: str = "alice"
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    auth_requests: list[dict[str, str]] = field(default_factory=list)
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[int, str]] = field(default_factory=list)
    delay_s: float = 0.0
    base: str = ""
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _access: dict[str, tuple[str, float]] = field(default_factory=dict)
    _grants: dict[str, Grant] = field(default_factory=dict)
    _consented: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    _words: dict[str, set[str]] = field(default_factory=dict)
    _index: dict[str, list[str]] = field(default_factory=dict)
    _indexed: int = -1
    _in_flight: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    # -- what tests use -----------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return self.base + "/youtube/v3"

    @property
    def auth_url(self) -> str:
        return self.base + "/o/oauth2/v2/auth"

    @property
    def token_url(self) -> str:
        return self.base + "/token"

    @property
    def revoke_url(self) -> str:
        return self.base + "/revoke"

    def reset(self) -> None:
        """A fresh fake for the next test, once the answers still being written are done: a request a
        test gave up on (a short client timeout against ``delay_s``) is still charged when its sleep
        ends, and must not land in the next test's quota."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout=10):
                raise AssertionError("the fake Google still answers an earlier test's request after 10 s")
        with self._lock:
            self.quota_limit, self.quota_used, self.api_disabled = 10_000, 0, False
            self.access_ttl, self.deny_consent, self.user, self.delay_s = 3599, False, "alice", 0.0
            for name in ("requests", "auth_requests", "failures"):
                getattr(self, name).clear()
            for name in ("playlists", "_codes", "_access", "_grants"):
                getattr(self, name).clear()
            self._consented.clear()

    def fail_next(self, n: int, status: int = 503, reason: str = "backendError") -> None:
        with self._lock:
            self.failures.extend([(status, reason)] * n)

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = {t: (user, 0.0) for t, (user, _) in self._access.items()}

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [params for m, params in self.requests if m == method]

    def revoke_all(self) -> None:
        with self._lock:
            for grant in self._grants.values():
                grant.revoked = True

    # -- the Data API ---------------------------------------------------------------------------------

    def api(
        self, verb: str, path: str, query: dict[str, str], body: Any, bearer: str | None
    ) -> tuple[int, dict]:
        method = {
            ("GET", "/search"): "search.list",
            ("GET", "/videos"): "videos.list",
            ("POST", "/playlists"): "playlists.insert",
            ("POST", "/playlistItems"): "playlistItems.insert",
        }.get((verb, path))
        if method is None:
            return 404, google_error(404, f"Not Found: {verb} {path}", "notFound")
        with self._lock:
            self.requests.append((method, dict(query)))
            if self.failures:
                status, reason = self.failures.pop(0)
                return status, google_error(status, "The service is currently unavailable.", reason)
            user = None
            if method.endswith(".insert"):
                user = self._user_of(bearer)
                if user is None:
                    return 401, google_error(
                        401,
                        "Request had invalid authentication credentials. Expected OAuth 2 access token.",
                        "authError",
                        location="Authorization",
                        status="UNAUTHENTICATED",
                    )
            else:
                key = query.get("key")
                if not key:
                    return 403, google_error(
                        403,
                        "The request is missing a valid API key.",
                        "forbidden",
                        status="PERMISSION_DENIED",
                    )
                if key != API_KEY:
                    error = google_error(400, "API key not valid. Please pass a valid API key.", "badRequest")
                    error["error"]["status"] = "INVALID_ARGUMENT"
                    error["error"]["details"] = [
                        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
                    ]
                    return 400, error
            if self.api_disabled:
                return 403, google_error(
                    403,
                    "YouTube Data API v3 has not been used in project 123 before or it is disabled.",
                    "accessNotConfigured",
                    domain="usageLimits",
                )
            if self.quota_used + COSTS[method] > self.quota_limit:
                return 403, google_error(
                    403,
                    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
                    'getting-started#quota">quota</a>.',
                    "quotaExceeded",
                    domain="youtube.quota",
                )
            self.quota_used += COSTS[method]
            if method == "search.list":
                return 200, self._search(query)
            if method == "videos.list":
                return self._videos(query)
            if method == "playlists.insert":
                return self._insert_playlist(user or "", body)
            return self._insert_item(user or "", body)

    def _user_of(self, bearer: str | None) -> str | None:
        found = self._access.get(bearer or "")
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def _postings(self) -> dict[str, list[str]]:
        """Word -> the videos whose title or channel has it (rebuilt when videos were added): a
        search looks only at videos sharing a word with the query, not at every video."""
        if self._indexed != len(self.world.videos):
            self._index = {}
            for v in self.world.videos.values():
                have = self._words.get(v.id)
                if have is None:
                    have = self._words[v.id] = words(v.title) | words(v.channel_title)
                for w in have:
                    self._index.setdefault(w, []).append(v.id)
            self._indexed = len(self.world.videos)
        return self._index

    def _search(self, query: dict[str, str]) -> dict:
        wanted = words(query.get("q", ""))
        embeddable_only = query.get("videoEmbeddable") == "true"
        limit = min(50, int(query.get("maxResults", "5")))
        hits = []
        shared = Counter(vid for w in wanted for vid in self._postings().get(w, ()))
        for vid, count in shared.items():
            v = self.world.videos[vid]
            if v.privacy == "private":
                continue
            if embeddable_only and not (v.embeddable if v.search_embeddable is None else v.search_embeddable):
                continue
            overlap = count / max(1, len(wanted))
            if overlap >= 0.6:
                hits.append((-round(overlap, 2), -v.popularity, v.id, v))
        hits.sort(key=lambda h: h[:3])
        items = [
            {
                "kind": "youtube#searchResult",
                "etag": video_id("etag-search", v.id),
                "id": {"kind": "youtube#video", "videoId": v.id},
                "snippet": {
                    "publishedAt": "2019-05-01T09:00:00Z",
                    "channelId": v.channel_id,
                    "title": html.escape(v.title),
                    "description": "",
                    "thumbnails": {"default": {"url": f"https://i.ytimg.com/vi/{v.id}/default.jpg"}},
                    "channelTitle": html.escape(v.channel_title),
                    "liveBroadcastContent": v.live,
                    "publishTime": "2019-05-01T09:00:00Z",
                },
            }
            for *_, v in hits[:limit]
        ]
        return {
            "kind": "youtube#searchListResponse",
            "etag": video_id("etag", query.get("q", "")),
            "regionCode": query.get("regionCode", "KR"),
            "pageInfo": {"totalResults": len(hits), "resultsPerPage": limit},
            "items": items,
        }

    def _videos(self, query: dict[str, str]) -> tuple[int, dict]:
        ids = [i for i in query.get("id", "").split(",") if i]
        if len(ids) > 50:
            return 400, google_error(400, "The request specifies too many video ids.", "invalidFilters")
        items = []
        for i in ids:
            v = self.world.videos.get(i)
            if v is not None and not v.deleted and v.privacy != "private":
                items.append(v.resource())
        return 200, {
            "kind": "youtube#videoListResponse",
            "etag": video_id("etag", query.get("id", "")),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    def _insert_playlist(self, user: str, body: Any) -> tuple[int, dict]:
        snippet = (body or {}).get("snippet") or {}
        if not snippet.get("title"):
            return 400, google_error(400, "The playlist title is required.", "playlistTitleRequired")
        playlist_id = "PL" + video_id("playlist", str(next(self._ids))) * 3
        privacy = ((body or {}).get("status") or {}).get("privacyStatus", "public")
        self.playlists[playlist_id] = {
            "owner": user,
            "title": snippet["title"],
            "privacy": privacy,
            "items": [],
        }
        return 200, {
            "kind": "youtube#playlist",
            "etag": video_id("etag", playlist_id),
            "id": playlist_id,
            "snippet": {
                "publishedAt": "2026-12-02T10:00:00Z",
                "channelId": "UC" + user,
                "title": snippet["title"],
                "description": snippet.get("description", ""),
                "channelTitle": user,
                "localized": {"title": snippet["title"], "description": snippet.get("description", "")},
            },
            "status": {"privacyStatus": privacy},
        }

    def _insert_item(self, user: str, body: Any) -> tuple[int, dict]:
        snippet = (body or {}).get("snippet") or {}
        playlist = self.playlists.get(snippet.get("playlistId", ""))
        if playlist is None:
            return 404, google_error(
                404,
                "The playlist identified with the request's playlistId parameter cannot be found.",
                "playlistNotFound",
                domain="youtube.playlistItem",
            )
        if playlist["owner"] != user:
            return 403, google_error(
                403,
                "The request is not properly authorized.",
                "playlistItemsNotAccessible",
                domain="youtube.playlistItem",
            )
        video = (snippet.get("resourceId") or {}).get("videoId", "")
        v = self.world.videos.get(video)
        if v is None or v.deleted:
            return 404, google_error(404, "Video not found.", "videoNotFound", domain="youtube.playlistItem")
        playlist["items"].append(video)
        item_id = video_id("item", snippet["playlistId"], video, str(len(playlist["items"])))
        return 200, {
            "kind": "youtube#playlistItem",
            "id": item_id,
            "snippet": {
                "playlistId": snippet["playlistId"],
                "position": len(playlist["items"]) - 1,
                "resourceId": {"kind": "youtube#video", "videoId": video},
                "title": v.title,
            },
        }

    # -- OAuth ----------------------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """The consent page, consenting at once: 302 back to the redirect URI."""
        with self._lock:
            self.auth_requests.append(dict(query))
            redirect = query.get("redirect_uri", "")
            if query.get("client_id") != CLIENT_ID or not redirect:
                return 400, {"error": "invalid_client"}
            state = query.get("state", "")
            if self.deny_consent:
                return 302, {
                    "location": redirect + "?" + urlencode({"error": "access_denied", "state": state})
                }
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return 400, {"error": "invalid_request"}
            code = "4/" + secrets.token_urlsafe(16)
            self._codes[code] = {
                "redirect_uri": redirect,
                "challenge": query["code_challenge"],
                "scope": query.get("scope", ""),
                "consent": str(query.get("prompt") == "consent" or self.user not in self._consented),
                "user": self.user,
            }
            return 302, {
                "location": redirect
                + "?"
                + urlencode({"state": state, "code": code, "scope": query.get("scope", "")})
            }

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return 401, {
                    "error": "invalid_client",
                    "error_description": "The OAuth client was not found.",
                }
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                found = self._codes.pop(form.get("code", ""), None)
                if found is None:
                    return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
                if form.get("redirect_uri") != found["redirect_uri"]:
                    return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != found["challenge"]:
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                answer = self._issue(found["user"], found["scope"])
                if found["consent"] == "True":
                    refresh = "1//" + secrets.token_urlsafe(24)
                    self._grants[refresh] = Grant(found["user"], found["scope"], refresh)
                    self._consented.add(found["user"])
                    answer["refresh_token"] = refresh
                return 200, answer
            if grant_type == "refresh_token":
                grant = self._grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    }
                return 200, self._issue(grant.user, grant.scope)
            return 400, {"error": "unsupported_grant_type"}

    def _issue(self, user: str, scope: str) -> dict:
        access = "ya29." + secrets.token_urlsafe(24)
        self._access[access] = (user, time.time() + self.access_ttl)
        return {"access_token": access, "expires_in": self.access_ttl, "scope": scope, "token_type": "Bearer"}

    def revoke(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            token = form.get("token", "")
            grant = self._grants.get(token)
            if grant is None and token not in self._access:
                return 400, {"error": "invalid_token"}
            if grant is not None:
                grant.revoked = True
            self._access.pop(token, None)
            return 200, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict | None = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body or {}).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("content-type", "application/json; charset=UTF-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, verb: str) -> None:
        fake: FakeGoogle = self.server.fake
        with fake._idle:
            fake._in_flight += 1
        try:
            self._answer(verb, fake)
        finally:
            with fake._idle:
                fake._in_flight -= 1
                fake._idle.notify_all()

    def _answer(self, verb: str, fake: FakeGoogle) -> None:
        if fake.delay_s:
            time.sleep(fake.delay_s)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("content-type", "")
        if "json" in ctype:
            body: Any = json.loads(raw or b"null")
        else:
            body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        auth = self.headers.get("authorization", "")
        bearer = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if url.path.startswith("/youtube/v3/"):
            status, answer = fake.api(verb, url.path[len("/youtube/v3") :], query, body, bearer)
            self._send(status, answer)
        elif url.path == "/o/oauth2/v2/auth" and verb == "GET":
            status, answer = fake.authorize(query)
            if status == 302:
                self._send(302, None, {"location": answer["location"]})
            else:
                self._send(status, answer)
        elif url.path == "/token" and verb == "POST":
            self._send(*fake.token(body))
        elif url.path == "/revoke" and verb == "POST":
            self._send(*fake.revoke(body))
        else:
            self._send(404, {"error": "not_found"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a test's short timeout) closes the socket mid-answer: expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(world: World) -> Iterator[FakeGoogle]:
    """Run the fake on 127.0.0.1 (a free port) until the block ends."""
    fake = FakeGoogle(world)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake  # type: ignore[attr-defined]
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-google", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
