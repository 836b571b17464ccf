"""OAuth 2.0 for saving playlists to a listener's YouTube account: Google's web-server flow
(https://developers.google.com/identity/protocols/oauth2/web-server) with PKCE (RFC 7636).

The scope is ``https://www.googleapis.com/auth/youtube`` ("manage your YouTube account"), the
narrowest that allows ``playlists.insert`` and ``playlistItems.insert``: the API reference lists
``youtube``, ``youtube.force-ssl`` and ``youtubepartner`` for them. ``youtube.readonly`` only reads,
and ``youtube.upload`` only uploads videos (``videos.insert``); ``youtube.force-ssl`` adds nothing
moodtune needs (comments, captions), and ``youtubepartner`` is for content owners.

1. ``/api/v1/youtube/connect`` sends the browser to ``authorization_url``: ``access_type=offline``
   (a refresh token, so the listener consents once), ``prompt=consent`` only when moodtune holds
   no refresh token for them (Google sends a refresh token only with a consent screen), a PKCE
   challenge, and a ``state`` that ``TokenVault.seal`` encrypts and authenticates (Fernet): the
   listener's id, the PKCE verifier and the redirect URI, valid for ``STATE_TTL`` seconds. The
   verifier never appears in a URL in the clear, and a state made for one listener does not work
   for another.
2. Google redirects to ``{origin}/api/v1/youtube/oauth/callback?code&state``; ``exchange`` trades
   the code (with the verifier) for tokens.
3. The refresh token and the access token are stored encrypted with ``MOODTUNE_TOKEN_KEY``
   (``TokenVault``; several comma-separated keys rotate: the first encrypts, all decrypt);
   ``moodtune.youtube.playlists.Account`` refreshes the access token when it expires or a call
   answers 401.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from moodtune.errors import ConfigError
from moodtune.youtube.errors import (
    OAuthStateInvalid,
    YouTubeError,
    YouTubeNotConfigured,
    YouTubeNotConnected,
    YouTubeUnavailable,
)

SCOPE = "https://www.googleapis.com/auth/youtube"
AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
CALLBACK_PATH = "/api/v1/youtube/oauth/callback"
STATE_TTL = 600
"""Seconds a listener has to consent before the state expires."""

_NEW_KEY_HELP = (
    "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` with the S256 method (RFC 7636 section 4)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]; 43-128 are allowed
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint granted. ``refresh_token`` is None on a refresh and on a consent
    that Google skipped (the listener had consented before)."""

    access_token: str
    expires_at: float
    refresh_token: str | None
    scope: str


class TokenVault:
    """Encrypts tokens at rest and seals OAuth states, with Fernet keys from ``MOODTUNE_TOKEN_KEY``."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ConfigError(f"MOODTUNE_TOKEN_KEY is empty; {_NEW_KEY_HELP}")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except (ValueError, TypeError) as e:
            raise ConfigError(
                f"MOODTUNE_TOKEN_KEY must be Fernet keys (32 bytes, url-safe base64, 44 characters), "
                f"comma-separated, but one is not ({e}); {_NEW_KEY_HELP}"
            ) from None

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise YouTubeNotConnected(
                "the stored YouTube connection cannot be decrypted with MOODTUNE_TOKEN_KEY (was the key "
                "changed? keep the old one after the new one, comma-separated, to rotate); connect again"
            ) from None

    def seal(self, payload: dict[str, Any]) -> str:
        return self.encrypt(json.dumps(payload, separators=(",", ":")))

    def unseal(self, token: str, ttl: int = STATE_TTL) -> dict[str, Any]:
        """The payload of a state sealed within ``ttl`` seconds; ``OAuthStateInvalid`` otherwise."""
        try:
            data = json.loads(self._fernet.decrypt(token.encode("ascii"), ttl=ttl))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise OAuthStateInvalid(
                "the sign-in link is invalid or older than 10 minutes; start again from "
                "GET /api/v1/youtube/connect"
            ) from None
        if not isinstance(data, dict):
            raise OAuthStateInvalid(
                "the sign-in state is malformed; start again from /api/v1/youtube/connect"
            )
        return data


class OAuthClient:
    """Google's authorization and token endpoints for one OAuth client (id and secret)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        auth_url: str = AUTH_URL,
        token_url: str = TOKEN_URL,
        revoke_url: str = REVOKE_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.auth_url = auth_url
        self.token_url = token_url
        self.revoke_url = revoke_url
        self._clock = clock
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def authorization_url(self, redirect_uri: str, state: str, challenge: str, *, consent: bool) -> str:
        """Where to send the browser for the listener's consent (see the module docstring)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "access_type": "offline",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if consent:
            params["prompt"] = "consent"
        sep = "&" if "?" in self.auth_url else "?"
        return f"{self.auth_url}{sep}{urlencode(params)}"

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> TokenGrant:
        """Trade an authorization code for tokens."""
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
            },
            "the sign-in code was refused (used already, or expired): connect again",
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        """A fresh access token for a stored refresh token."""
        return self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            "Google no longer accepts this YouTube connection (revoked by the listener, or unused for "
            "months): connect again",
        )

    def revoke(self, token: str) -> bool:
        """Ask Google to revoke ``token`` (and the grant behind it); whether Google agreed."""
        try:
            r = self._http.post(self.revoke_url, data={"token": token})
        except httpx.HTTPError:
            return False
        return r.is_success

    def _token(self, form: dict[str, str], invalid_grant: str) -> TokenGrant:
        form = {**form, "client_id": self.client_id, "client_secret": self._secret}
        try:
            r = self._http.post(self.token_url, data=form, headers={"accept": "application/json"})
        except httpx.HTTPError as e:
            raise YouTubeUnavailable(f"cannot reach Google's token endpoint {self.token_url}: {e}") from None
        try:
            body = r.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if r.is_success:
            access = body.get("access_token")
            if not isinstance(access, str) or not access:
                raise YouTubeError(
                    f"Google's token endpoint answered without an access token: {str(body)[:200]}"
                )
            return TokenGrant(
                access_token=access,
                expires_at=self._clock() + float(body.get("expires_in") or 3600),
                refresh_token=body.get("refresh_token") or None,
                scope=str(body.get("scope") or SCOPE),
            )
        error = str(body.get("error") or r.status_code)
        said = f"{error}: {body.get('error_description') or r.text[:200]}"
        if r.status_code >= 500:
            raise YouTubeUnavailable(
                f"Google's token endpoint answered {r.status_code} ({said}); try again later"
            )
        if error == "invalid_grant":
            raise YouTubeNotConnected(f"{invalid_grant} ({said})")
        if error in ("invalid_client", "unauthorized_client"):
            raise YouTubeNotConfigured(
                f"Google refused the OAuth client ({said}): check MOODTUNE_GOOGLE_CLIENT_ID and "
                "MOODTUNE_GOOGLE_CLIENT_SECRET (a 'Web application' client in console.cloud.google.com)"
            )
        if error == "redirect_uri_mismatch":
            raise YouTubeNotConfigured(
                f"Google refused the redirect URI ({said}): add {form.get('redirect_uri')} to the OAuth "
                "client's authorised redirect URIs, or set MOODTUNE_PUBLIC_ORIGIN to the registered origin"
            )
        raise YouTubeError(f"Google's token endpoint answered {r.status_code} ({said})")
