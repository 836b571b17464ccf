"""What can go wrong talking to YouTube and Google, as ``moodtune.errors`` subclasses: each carries
its HTTP status and CLI exit code, and a message that says what happened and what to do. The web
layer renders them in the one error shape; the CLI prints one line.
"""

from __future__ import annotations

from moodtune.errors import MoodtuneError, NotFound, UsageError


class YouTubeError(MoodtuneError):
    """YouTube or Google answered something moodtune cannot use. ``reasons``: the ``reason`` fields of
    Google's error body (``quotaExceeded``, ``playlistNotFound``, ...), when it sent one."""

    code = "youtube_error"
    status = 502

    def __init__(self, message: str, reasons: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.reasons = reasons


class YouTubeNotConfigured(YouTubeError):
    """A YouTube feature was used without the settings it needs (a key, OAuth credentials)."""

    code = "youtube_not_configured"
    status = 503
    exit_code = 2


class YouTubeKeyInvalid(YouTubeError):
    """Google refused the API key: not valid, expired, restricted, or the API is not enabled."""

    code = "youtube_key_invalid"
    status = 503
    exit_code = 2


class YouTubeQuotaExceeded(YouTubeError):
    """The project's daily YouTube Data API quota is spent (by moodtune's count or Google's)."""

    code = "youtube_quota_exceeded"
    status = 503


class YouTubeUnavailable(YouTubeError):
    """YouTube did not answer in time, or kept answering 5xx / 429 after the retries."""

    code = "youtube_unavailable"
    status = 502


class YouTubeUnauthorized(YouTubeError):
    """An access token was refused (401): expired or revoked. The account layer refreshes once."""

    code = "youtube_unauthorized"
    status = 401


class YouTubeNotConnected(YouTubeError):
    """The listener has not connected a YouTube account, or Google revoked the connection."""

    code = "youtube_not_connected"
    status = 401


class YouTubeForbidden(YouTubeError):
    """The listener's account may not do this (a playlist of someone else, a channel-less account)."""

    code = "youtube_forbidden"
    status = 403


class YouTubeNotFound(NotFound):
    """A playlist or video named in the request does not exist (or is not visible to the account)."""

    code = "youtube_not_found"

    def __init__(self, message: str, reasons: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.reasons = reasons


class OAuthStateInvalid(UsageError):
    """The OAuth callback's ``state`` is forged, expired, or belongs to another listener."""

    code = "oauth_state_invalid"
    status = 400


class NothingToSave(UsageError):
    """None of the songs asked to be saved to YouTube has a playable video."""

    code = "nothing_to_save"
