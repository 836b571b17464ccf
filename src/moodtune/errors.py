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


class InvalidImage(MoodtuneError):
    """An image could not be decoded or is not usable."""

    code = "invalid_image"
    status = 400


class ModelError(MoodtuneError):
    """A model file or its metadata is missing or inconsistent."""

    code = "invalid_model"
    status = 500
