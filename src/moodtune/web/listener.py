"""The anonymous listener: an id in a signed, HttpOnly cookie that the service sets.

The API never takes a listener id from a body or a URL; a missing or forged cookie gets a fresh
id. The signature (itsdangerous, HMAC with the service's key) stops a client from picking
someone else's id; the id itself is random (uuid4) and means nothing outside this service.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "moodtune_listener"
MAX_AGE = 365 * 24 * 3600


class ListenerCookie:
    def __init__(self, key: str, secure: bool | None = None) -> None:
        self._signer = Signer(key, salt="moodtune.listener")
        self.secure = secure

    def read(self, request: Request) -> str | None:
        """The listener id in the request's cookie, or None when it is missing or not ours."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            value = self._signer.unsign(raw).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None
        return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def signed(self, listener_id: str) -> str:
        """The cookie's value for ``listener_id``: the id and its signature."""
        return self._signer.sign(listener_id).decode("ascii")

    def issue(self, response: Response, listener_id: str, request: Request) -> None:
        secure = self.secure if self.secure is not None else request.url.scheme == "https"
        response.set_cookie(
            COOKIE,
            self.signed(listener_id),
            max_age=MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/")
