"""OAuth against the fake's endpoints (PKCE, sealed state, one consent, refresh on expiry and on
401, revocation) and saving playlists with the listener's account."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from moodtune.errors import ConfigError
from moodtune.store import Store
from moodtune.youtube.errors import (
    OAuthStateInvalid,
    YouTubeNotConfigured,
    YouTubeNotConnected,
    YouTubeNotFound,
    YouTubeQuotaExceeded,
)
from moodtune.youtube.oauth import SCOPE, OAuthClient, TokenVault, pkce_pair
from moodtune.youtube.playlists import Account, Entry, save_playlist
from moodtune.youtube.service import YouTube
from tests.youtube.fake import CLIENT_ID, FakeGoogle
from tests.youtube.world import World

REDIRECT = "http://127.0.0.1:8000/api/v1/youtube/oauth/callback"
LISTENER = "a" * 32


def consent(google: FakeGoogle, oauth: OAuthClient, *, first: bool = True) -> dict[str, str]:
    """What a browser does on Google's consent page: follow the authorization URL to the redirect."""
    verifier, challenge = pkce_pair()
    url = oauth.authorization_url(REDIRECT, "the-state", challenge, consent=first)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return {**query, "verifier": verifier}


def connect(google: FakeGoogle, youtube: YouTube, listener: str = LISTENER) -> Account:
    account = youtube.account(listener)
    answer = consent(google, account.oauth)
    account.save(account.oauth.exchange(answer["code"], answer["verifier"], REDIRECT))
    return account


def test_pkce_uses_a_long_random_verifier_and_its_s256_challenge() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", verifier)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == digest
    assert pkce_pair()[0] != verifier


def test_the_consent_url_asks_offline_access_to_the_narrowest_scope(youtube: YouTube) -> None:
    assert youtube.oauth is not None
    url = youtube.oauth.authorization_url(REDIRECT, "s", "c", consent=True)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "access_type": "offline",
        "state": "s",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "prompt": "consent",
    }
    assert SCOPE == "https://www.googleapis.com/auth/youtube"
    assert "prompt" not in youtube.oauth.authorization_url(REDIRECT, "s", "c", consent=False)


def test_tokens_are_encrypted_and_keys_rotate() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = TokenVault(old).encrypt("1//refresh")
    assert "refresh" not in sealed
    assert TokenVault(f"{new},{old}").decrypt(sealed) == "1//refresh"  # the old key still decrypts
    with pytest.raises(YouTubeNotConnected, match="MOODTUNE_TOKEN_KEY"):
        TokenVault(new).decrypt(sealed)


@pytest.mark.parametrize("key", ["", "short", "x" * 44])
def test_a_bad_token_key_is_a_config_error_that_says_how_to_make_one(key: str) -> None:
    with pytest.raises(ConfigError, match=r"Fernet\.generate_key"):
        TokenVault(key)


def test_the_state_is_sealed_expires_and_cannot_be_forged() -> None:
    vault = TokenVault(Fernet.generate_key().decode())
    state = vault.seal({"l": LISTENER, "v": "verifier"})
    assert "verifier" not in state
    assert vault.unseal(state) == {"l": LISTENER, "v": "verifier"}
    with pytest.raises(OAuthStateInvalid, match="older than 10 minutes"):
        vault.unseal(state, ttl=-1)
    with pytest.raises(OAuthStateInvalid):
        vault.unseal(state[:-4] + "AAAA")
    with pytest.raises(OAuthStateInvalid):
        TokenVault(Fernet.generate_key().decode()).unseal(state)


def test_the_code_is_exchanged_with_the_verifier_and_gives_a_refresh_token_once(
    google: FakeGoogle, youtube: YouTube
) -> None:
    assert youtube.oauth is not None
    answer = consent(google, youtube.oauth)
    assert answer["state"] == "the-state"
    grant = youtube.oauth.exchange(answer["code"], answer["verifier"], REDIRECT)
    assert grant.refresh_token and grant.access_token and SCOPE in grant.scope.split()
    again = consent(google, youtube.oauth, first=False)  # consented before: no prompt, no refresh token
    assert youtube.oauth.exchange(again["code"], again["verifier"], REDIRECT).refresh_token is None
    with pytest.raises(YouTubeNotConnected, match="used already, or expired"):
        youtube.oauth.exchange(answer["code"], answer["verifier"], REDIRECT)
    third = consent(google, youtube.oauth)
    with pytest.raises(YouTubeNotConnected):  # a wrong verifier: PKCE at work
        youtube.oauth.exchange(third["code"], pkce_pair()[0], REDIRECT)


def test_a_wrong_client_secret_says_which_settings_to_check(google: FakeGoogle) -> None:
    oauth = OAuthClient(CLIENT_ID, "wrong", auth_url=google.auth_url, token_url=google.token_url)
    with pytest.raises(YouTubeNotConfigured, match="MOODTUNE_GOOGLE_CLIENT_SECRET"):
        oauth.refresh("1//whatever")
    oauth.close()


def test_the_stored_tokens_are_encrypted_at_rest(google: FakeGoogle, youtube: YouTube, store: Store) -> None:
    account = connect(google, youtube)
    stored = store.youtube_token(LISTENER)
    assert stored is not None
    assert not stored.refresh_token.startswith("1//") and not (stored.access_token or "").startswith("ya29.")
    assert youtube.vault is not None and youtube.vault.decrypt(stored.refresh_token).startswith("1//")
    assert account.access_token().startswith("ya29.") and account.refreshes == 0


def test_an_expired_access_token_is_refreshed_before_the_call(google: FakeGoogle, youtube: YouTube) -> None:
    account = connect(google, youtube)
    first = account.access_token()
    account.clock = lambda: 4_000_000_000.0  # long after it expired
    assert account.access_token() != first and account.refreshes == 1


def test_a_401_refreshes_once_and_retries(google: FakeGoogle, youtube: YouTube) -> None:
    account = connect(google, youtube)
    google.expire_access_tokens()  # revoked early: the stored expiry still looks valid
    with youtube.client("playlists") as client:
        playlist = account.call(lambda token: client.insert_playlist(token, "t", "d", "private"))
    assert playlist in google.playlists and account.refreshes == 1
    assert len(google.calls("playlists.insert")) == 2  # the 401, then the retry


def test_a_revoked_connection_is_forgotten_and_says_connect_again(
    google: FakeGoogle, youtube: YouTube, store: Store
) -> None:
    account = connect(google, youtube)
    google.revoke_all()  # the listener removed moodtune at myaccount.google.com
    with pytest.raises(YouTubeNotConnected, match="connect again"):
        account.access_token(force_refresh=True)
    assert store.youtube_token(LISTENER) is None


def test_disconnect_revokes_at_google_and_forgets(google: FakeGoogle, youtube: YouTube, store: Store) -> None:
    account = connect(google, youtube)
    assert account.disconnect() is True
    assert store.youtube_token(LISTENER) is None
    assert all(g.revoked for g in google._grants.values())
    assert account.disconnect() is False


def entries_for(world: World, n: int) -> list[Entry]:
    videos = [v for v in world.videos.values() if v.kind == "topic" and v.embeddable and not v.deleted]
    return [Entry(str(v.song_id), v.id) for v in videos[:n]]


def test_a_playlist_is_created_private_with_the_songs_that_have_a_video(
    google: FakeGoogle, youtube: YouTube, world: World
) -> None:
    account = connect(google, youtube)
    entries = entries_for(world, 3)
    entries.insert(1, Entry("s_000000000000", None, "no playable YouTube video"))
    entries.append(Entry("s_111111111111", entries[0].youtube_id))  # the same video again
    with youtube.client("playlists") as client:
        saved = save_playlist(client, account, "Calm evening", entries)
    playlist = google.playlists[saved.playlist_id]
    assert playlist["privacy"] == "private" and playlist["title"] == "Calm evening"
    assert playlist["items"] == [e.youtube_id for e in entries if e.youtube_id][:3]
    assert [a["song_id"] for a in saved.added] == [entries[0].song_id, entries[2].song_id, entries[3].song_id]
    assert saved.skipped == [
        {"song_id": "s_000000000000", "reason": "no playable YouTube video"},
        {"song_id": "s_111111111111", "reason": "its video is already in the playlist"},
    ]
    assert saved.quota_spent == 50 + 3 * 50 and saved.url.endswith(saved.playlist_id)


def test_songs_are_appended_to_a_playlist_the_listener_names(
    google: FakeGoogle, youtube: YouTube, world: World
) -> None:
    account = connect(google, youtube)
    with youtube.client("playlists") as client:
        first = save_playlist(client, account, "Mine", entries_for(world, 1))
        more = save_playlist(
            client, account, "ignored", entries_for(world, 3)[1:], playlist_id=first.playlist_id
        )
        assert not more.created and more.quota_spent == 100
        assert len(google.playlists[first.playlist_id]["items"]) == 3
        with pytest.raises(YouTubeNotFound, match="leave out playlist_id"):
            save_playlist(client, account, "x", entries_for(world, 1), playlist_id="PLdoesnotexist00")


def test_when_the_quota_runs_out_the_rest_of_the_songs_are_skipped_with_the_reason(
    google: FakeGoogle, youtube: YouTube, world: World
) -> None:
    account = connect(google, youtube)
    google.quota_limit = 150  # the playlist and two songs
    with youtube.client("playlists") as client:
        saved = save_playlist(client, account, "Long", entries_for(world, 4))
    assert len(saved.added) == 2
    assert [s["reason"] for s in saved.skipped] == ["today's YouTube quota ran out; add it tomorrow"] * 2


def test_without_quota_for_even_one_song_nothing_is_created(
    google: FakeGoogle, youtube: YouTube, world: World, store: Store
) -> None:
    account = connect(google, youtube)
    youtube.quota.book.add_quota(youtube.quota.day(), "resolve", 9_990)
    with (
        youtube.client("playlists") as client,
        pytest.raises(YouTubeQuotaExceeded, match="needs at least 100"),
    ):
        save_playlist(client, account, "None", entries_for(world, 2))
    assert google.playlists == {}
