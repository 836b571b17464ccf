"""Saving a playlist to the listener's YouTube account: their stored connection (``Account``) and
``save_playlist`` (``playlists.insert``, then one ``playlistItems.insert`` per song).

The access token is refreshed before it expires, and once more when a call answers 401 (revoked
early, or a clock out of step); a refresh that Google refuses (``invalid_grant``) deletes the
stored connection and asks the listener to connect again. Quota: a playlist costs 50 units and each
song 50 more, so a 20-song playlist spends 1,050 of the project's 10,000 daily units; the songs
that no longer fit are returned as skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from moodtune.store import Store, StoredToken
from moodtune.youtube.api import YouTubeClient
from moodtune.youtube.errors import (
    NothingToSave,
    YouTubeNotConnected,
    YouTubeNotFound,
    YouTubeQuotaExceeded,
    YouTubeUnauthorized,
)
from moodtune.youtube.oauth import OAuthClient, TokenGrant, TokenVault
from moodtune.youtube.quota import COSTS

T = TypeVar("T")
PRIVACY: tuple[str, ...] = ("private", "unlisted", "public")
EXPIRY_MARGIN = 60.0
"""Seconds before its stated expiry that an access token is refreshed anyway."""
PLAYLIST_URL = "https://www.youtube.com/playlist?list={id}"


class Account:
    """One listener's YouTube connection: tokens kept encrypted in ``store``."""

    def __init__(
        self,
        store: Store,
        vault: TokenVault,
        oauth: OAuthClient,
        listener_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.vault = vault
        self.oauth = oauth
        self.listener_id = listener_id
        self.clock = clock
        self.refreshes = 0

    def stored(self) -> StoredToken | None:
        return self.store.youtube_token(self.listener_id)

    def save(self, grant: TokenGrant) -> None:
        """Keep a grant (a refresh token only comes with a consent; without one the stored one stays)."""
        self.store.save_youtube_token(
            self.listener_id,
            refresh_token=self.vault.encrypt(grant.refresh_token) if grant.refresh_token else None,
            scope=grant.scope,
            access_token=self.vault.encrypt(grant.access_token),
            access_expires_at=grant.expires_at,
        )

    def access_token(self, *, force_refresh: bool = False) -> str:
        """A current access token: the stored one while it is valid, else a refreshed one."""
        token = self.stored()
        if token is None:
            raise YouTubeNotConnected(
                "no YouTube account is connected for you: connect one first (GET /api/v1/youtube/connect)"
            )
        valid = (
            token.access_token is not None
            and token.access_expires_at is not None
            and token.access_expires_at - EXPIRY_MARGIN > self.clock()
        )
        if valid and not force_refresh:
            assert token.access_token is not None
            return self.vault.decrypt(token.access_token)
        try:
            grant = self.oauth.refresh(self.vault.decrypt(token.refresh_token))
        except YouTubeNotConnected:
            self.store.delete_youtube_token(self.listener_id)  # dead: "connected?" must say no
            raise
        self.refreshes += 1
        self.save(grant)
        return grant.access_token

    def call(self, fn: Callable[[str], T]) -> T:
        """``fn(access_token)``; on a 401, refresh the token once and call again."""
        try:
            return fn(self.access_token())
        except YouTubeUnauthorized:
            return fn(self.access_token(force_refresh=True))

    def disconnect(self) -> bool:
        """Revoke the grant at Google (best effort) and forget the tokens; whether one was stored."""
        token = self.stored()
        if token is None:
            return False
        # One that cannot be decrypted cannot be revoked: forgetting it is all there is to do.
        with contextlib.suppress(YouTubeNotConnected):
            self.oauth.revoke(self.vault.decrypt(token.refresh_token))
        return self.store.delete_youtube_token(self.listener_id)


@dataclass(frozen=True)
class Entry:
    """One song asked for: its video, or why it has none."""

    song_id: str
    youtube_id: str | None
    skip_reason: str | None = None


@dataclass
class SavedPlaylist:
    playlist_id: str
    url: str
    added: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    quota_spent: int = 0
    created: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def save_playlist(
    client: YouTubeClient,
    account: Account,
    title: str,
    entries: Sequence[Entry],
    *,
    privacy: str = "private",
    playlist_id: str | None = None,
    description: str = "Made by moodtune for your mood.",
) -> SavedPlaylist:
    """Create a playlist (or append to ``playlist_id``) with the entries' videos, in order; entries
    without a video, repeats and songs past the quota are returned in ``skipped``."""
    if privacy not in PRIVACY:
        raise ValueError(f"privacy must be one of {', '.join(PRIVACY)}, but got {privacy!r}")
    start = client.units_spent
    playable = [e for e in entries if e.youtube_id]
    if not playable:
        raise NothingToSave(
            f"none of the {len(entries)} song(s) has a playable YouTube video, so there is nothing to save "
            "(they play through Spotify or a search link)"
        )
    needed = COSTS["playlistItems.insert"]
    if playlist_id is None:
        needed += COSTS["playlists.insert"]
    left = client.quota.left(client.bucket)
    if left < needed:
        raise YouTubeQuotaExceeded(
            f"saving needs at least {needed} units of the YouTube quota but {left} are left today: "
            + client.quota.exceeded_message("playlists.insert", client.bucket).split(": ", 1)[1]
        )
    created = playlist_id is None
    if playlist_id is None:
        playlist_id = account.call(lambda token: client.insert_playlist(token, title, description, privacy))
    target = playlist_id
    result = SavedPlaylist(target, PLAYLIST_URL.format(id=target), created=created)
    seen: set[str] = set()
    quota_out = False
    for entry in entries:
        if entry.youtube_id is None:
            result.skipped.append(
                {"song_id": entry.song_id, "reason": entry.skip_reason or "no YouTube video"}
            )
            continue
        if entry.youtube_id in seen:
            result.skipped.append(
                {"song_id": entry.song_id, "reason": "its video is already in the playlist"}
            )
            continue
        if quota_out or not client.quota.allows("playlistItems.insert", client.bucket):
            quota_out = True
            result.skipped.append(
                {"song_id": entry.song_id, "reason": "today's YouTube quota ran out; add it tomorrow"}
            )
            continue
        video = entry.youtube_id

        def insert(token: str, video: str = video) -> str:
            return client.insert_playlist_item(token, target, video)

        try:
            account.call(insert)
        except YouTubeNotFound as e:
            if "playlistNotFound" in e.reasons:
                raise YouTubeNotFound(
                    f"no playlist {target!r} in your YouTube account (deleted, or not yours): "
                    "leave out playlist_id to create a new one",
                    e.reasons,
                ) from None
            result.skipped.append(
                {"song_id": entry.song_id, "reason": f"YouTube has no video {video} any more"}
            )
            continue
        except YouTubeQuotaExceeded:
            quota_out = True
            result.skipped.append(
                {"song_id": entry.song_id, "reason": "today's YouTube quota ran out; add it tomorrow"}
            )
            continue
        seen.add(video)
        result.added.append({"song_id": entry.song_id, "youtube_id": video})
    result.quota_spent = client.units_spent - start
    return result
