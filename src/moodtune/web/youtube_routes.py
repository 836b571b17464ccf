"""The API's YouTube routes (docs/api.md, "YouTube"): connect a listener's YouTube account with
OAuth and save playlists to it.

``GET /api/v1/youtube/status`` tells the page whether to offer the button; without the settings the
other routes answer 503 ``youtube_not_configured`` naming them, and nothing else changes. Routes
are sync ``def``: the calls to Google run in FastAPI's thread pool, off the event loop. The OAuth
flow itself is ``moodtune.youtube.oauth``; saving is ``moodtune.youtube.playlists``.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field

from moodtune.errors import MoodtuneError, UsageError
from moodtune.web.api import Svc, Who, rate_limit, same_origin
from moodtune.web.errors import error_classes, errors
from moodtune.web.schemas import ANY_OBJECT, Strict
from moodtune.youtube.api import Retry
from moodtune.youtube.errors import (
    NothingToSave,
    OAuthStateInvalid,
    YouTubeError,
    YouTubeNotConfigured,
    YouTubeNotConnected,
    YouTubeNotFound,
)
from moodtune.youtube.oauth import CALLBACK_PATH, SCOPE, pkce_pair
from moodtune.youtube.play import playable_video
from moodtune.youtube.playlists import Entry, save_playlist

router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(rate_limit), Depends(same_origin)], tags=["youtube"]
)

NO_VIDEO = "no playable YouTube video (it plays through Spotify or a search link)"


class YouTubePlaylistIn(Strict):
    title: str = Field(min_length=1, max_length=150, description="the playlist's title (new playlists)")
    song_ids: list[str] = Field(min_length=1, max_length=200, description="songs, in playlist order")
    privacy: Literal["private", "unlisted", "public"] = "private"
    playlist_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{10,64}$",
        description="append to this playlist of the listener's instead of creating one",
    )
    description: str | None = Field(None, max_length=4000)


def _origin(request: Request, svc: Svc) -> str:
    if svc.settings.public_origin:
        return svc.settings.public_origin
    return str(request.base_url).rstrip("/")


def _back_to_page(**query: str) -> RedirectResponse:
    return RedirectResponse("/?" + urlencode(query), status_code=302)


@router.get("/youtube/status", summary="Is saving to YouTube on here, and is your account connected?")
def youtube_status(svc: Svc, who: Who) -> dict[str, Any]:
    yt = svc.youtube
    connected = yt.playlists_configured and not who.new and svc.store.youtube_token(who.id) is not None
    info = yt.status()
    return {
        "configured": yt.playlists_configured,
        "connected": connected,
        "search_configured": yt.search_configured,
        "scope": SCOPE,
        "quota": info["quota"],
        "message": None if yt.playlists_configured else yt.not_configured("playlists").message,
    }


@router.get(
    "/youtube/connect",
    summary="Go to Google to connect your YouTube account (302)",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "to Google's consent page"}, **errors(YouTubeNotConfigured)},
)
def youtube_connect(request: Request, svc: Svc, who: Who) -> RedirectResponse:
    yt = svc.youtube
    account = yt.account(who.id)  # 503 when not configured
    assert yt.vault is not None and yt.oauth is not None
    verifier, challenge = pkce_pair()
    redirect_uri = _origin(request, svc) + CALLBACK_PATH
    state = yt.vault.seal({"l": who.id, "v": verifier, "r": redirect_uri, "n": secrets.token_hex(8)})
    consent = who.new or account.stored() is None
    response = RedirectResponse(
        yt.oauth.authorization_url(redirect_uri, state, challenge, consent=consent), status_code=302
    )
    if who.new:  # a returned response does not carry the cookie the listener dependency set
        svc.cookie.issue(response, who.id, request)
    return response


@router.get(
    "/youtube/oauth/callback",
    summary="Google's redirect after consent; back to the page (302)",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {
            "description": "to /?youtube=connected, /?youtube=denied&reason=... or /?youtube=error&code=CODE"
        }
    },
)
def youtube_callback(
    svc: Svc,
    who: Who,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Redirects to ``/?youtube=connected``, ``/?youtube=denied`` or ``/?youtube=error&code=...``: the
    listener arrives here from Google in a top-level navigation, so the page shows the outcome."""
    yt = svc.youtube
    try:
        account = yt.account(who.id)
        assert yt.vault is not None and yt.oauth is not None
        if not state:
            raise OAuthStateInvalid(
                "Google's redirect carried no state; start again from /api/v1/youtube/connect"
            )
        data = yt.vault.unseal(state)
        if data.get("l") != who.id:
            raise OAuthStateInvalid(
                "this sign-in was started in another browser or by another listener; start again here"
            )
        if error:
            return _back_to_page(youtube="denied", reason=error)
        if not code:
            raise UsageError("Google's redirect carried neither a code nor an error; start again")
        grant = yt.oauth.exchange(code, str(data.get("v", "")), str(data.get("r", "")))
        if SCOPE not in grant.scope.split():
            return _back_to_page(youtube="denied", reason="scope_not_granted")
        if grant.refresh_token is None and account.stored() is None:
            raise YouTubeNotConnected(
                "Google sent no refresh token: remove moodtune at myaccount.google.com/permissions, then "
                "connect again"
            )
        account.save(grant)
    except MoodtuneError as exc:
        return _back_to_page(youtube="error", code=exc.code)
    return _back_to_page(youtube="connected")


@router.post(
    "/playlists/youtube",
    summary="Save songs as a playlist in your YouTube account",
    responses={
        201: {"description": "a new playlist, created", "content": ANY_OBJECT},
        200: {"description": "the songs appended to the listener's playlist_id"},
        **errors(*error_classes(YouTubeError), YouTubeNotFound, NothingToSave),
    },
)
def save_to_youtube(body: YouTubePlaylistIn, svc: Svc, who: Who, response: Response) -> dict[str, Any]:
    yt = svc.youtube
    account = yt.account(who.id)  # 503 when not configured
    if who.new or account.stored() is None:
        raise YouTubeNotConnected(
            "no YouTube account is connected for you: connect one first (GET /api/v1/youtube/connect)"
        )
    unplayable, confirmed = svc.unplayable(), svc.confirmed()
    entries = []
    for song_id in body.song_ids:
        song = svc.catalog.get(song_id)
        if song is None:
            entries.append(Entry(song_id, None, "no song with this id in the catalog"))
            continue
        video = playable_video(song, unplayable, confirmed.get(song.id, ()))
        entries.append(Entry(song_id, video, None if video else NO_VIDEO))
    with yt.client("playlists", retry=Retry(tries=3, cap=4.0)) as client:
        saved = save_playlist(
            client,
            account,
            body.title,
            entries,
            privacy=body.privacy,
            playlist_id=body.playlist_id,
            description=body.description or "Made by moodtune for your mood.",
        )
    response.status_code = 201 if saved.created else 200
    return {
        "playlist_id": saved.playlist_id,
        "url": saved.url,
        "created": saved.created,
        "added": saved.added,
        "skipped": saved.skipped,
        "quota_spent": saved.quota_spent,
    }


@router.delete("/youtube/connection", status_code=204, summary="Disconnect your YouTube account")
def youtube_disconnect(svc: Svc, who: Who) -> None:
    yt = svc.youtube
    if who.new:
        return
    if yt.playlists_configured:
        yt.account(who.id).disconnect()  # revokes at Google too
    else:
        svc.store.delete_youtube_token(who.id)
