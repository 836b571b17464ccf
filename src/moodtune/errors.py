"""The error hierarchy every layer raises.

Each error carries a stable ``code`` (used by the CLI's JSON output and, later, the web API's
``{"error": {"code", "message"}}`` shape), an ``exit_code`` for the CLI, and an HTTP ``status``.
Messages say what was expected, what arrived, and what to do.
"""

from __future__ import annotations

from typing import Any


class MoodtuneError(Exception):
    """Base class: something the user can fix, reported without a traceback."""

    code = "moodtune_error"
    status = 500
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """The one error object shared by the CLI's JSON and the web API."""
        return {"code": self.code, "message": self.message}


class UsageError(MoodtuneError):
    """A command or function was called with arguments that cannot work."""

    code = "usage_error"
    status = 422
    exit_code = 2


class ConfigError(UsageError):
    """A training or evaluation configuration is invalid."""

    code = "invalid_config"


class DatasetError(MoodtuneError):
    """A data set is missing, empty, or malformed."""

    code = "invalid_dataset"
    status = 400


class MalformedBody(MoodtuneError):
    """A request body that cannot be read as what it says it is (e.g. a broken multipart form)."""

    code = "bad_request"
    status = 400
    exit_code = 2


class ForeignOrigin(MoodtuneError):
    """A state-changing request sent by a page of another site (its Origin is not this service)."""

    code = "foreign_origin"
    status = 403
    exit_code = 2


class ListenerRequired(MoodtuneError):
    """A request that counts as a listener's word (a report that a video will not play) came
    without the listener cookie the page holds."""

    code = "listener_required"
    status = 403
    exit_code = 2


class BodyTooLarge(MoodtuneError):
    """A request body over the service's limit for its route (a JSON body; images: ImageTooLarge)."""

    code = "body_too_large"
    status = 413


class HeadersTooLarge(MoodtuneError):
    """Request headers (cookies included) over the service's limit."""

    code = "headers_too_large"
    status = 431


class BodyTimeout(MoodtuneError):
    """The request body did not arrive within the service's time limit."""

    code = "body_timeout"
    status = 408


class InvalidImage(MoodtuneError):
    """An image could not be decoded or is not usable."""

    code = "invalid_image"
    status = 400


class ImageNotFound(InvalidImage):
    """An image path names no file."""

    code = "image_not_found"
    status = 404


class EmptyImage(InvalidImage):
    """An image file, byte string or array holds no data."""

    code = "empty_image"
    status = 400


class UnsupportedImageFormat(InvalidImage):
    """The data is not one of the accepted formats (JPEG, PNG, WebP, BMP, HEIC/HEIF)."""

    code = "unsupported_image_format"
    status = 415


class CorruptImage(InvalidImage):
    """The data starts like an accepted format but is truncated or cannot be decoded."""

    code = "corrupt_image"
    status = 400


class ImageTooLarge(InvalidImage):
    """Too many bytes, or too many pixels to decode safely (a decompression bomb)."""

    code = "image_too_large"
    status = 413


class ImageTooSmall(InvalidImage):
    """Too few pixels on a side to hold a readable face."""

    code = "image_too_small"
    status = 400


class ModelError(MoodtuneError):
    """A model file or its metadata is missing or inconsistent."""

    code = "invalid_model"
    status = 500


class InvalidMoodInput(UsageError, ValueError):
    """A mood, probabilities, or a valence/arousal point is out of range or malformed."""

    code = "invalid_mood_input"


class CatalogError(MoodtuneError):
    """The song catalog, one of its source files, or a row of a user's CSV is missing or malformed."""

    code = "catalog_error"
    status = 400


class NotFound(MoodtuneError):
    """A song, video or route the request names does not exist."""

    code = "not_found"
    status = 404


class SongNotFound(NotFound):
    """No song with that id in the catalog."""

    code = "song_not_found"


class RetryLater(MoodtuneError):
    """A refusal that passes: the client may send the same request again after ``retry_after``
    seconds (the web API's ``Retry-After`` header)."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """One client sent more requests than the service's per-client limit allows."""

    code = "rate_limited"
    status = 429


class Overloaded(RetryLater):
    """The service has more work queued than it takes; the client should retry shortly."""

    code = "overloaded"
    status = 503


class StoreBusy(RetryLater):
    """Every database connection of this process is in use: the database is up, the service is
    busy; the client should retry shortly (503 with ``Retry-After``)."""

    code = "busy"
    status = 503


class StoreError(MoodtuneError):
    """The database is unreachable, its URL is malformed, or its schema cannot be brought up to date."""

    code = "database_error"
    status = 503
