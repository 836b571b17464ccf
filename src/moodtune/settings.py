"""moodtune's settings, declared once: every ``MOODTUNE_*`` environment variable, its default and
what it does. ``moodtune settings`` prints this table and docs/settings.md is generated from it
(a test keeps the two equal), so the docs cannot drift from the code.

Read with ``Settings()`` (environment, then defaults); the web service takes a ``Settings``
object, so tests and embedders pass one explicitly instead of patching the environment.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from moodtune.errors import ConfigError

ENV_PREFIX = "MOODTUNE_"


def default_data_dir() -> Path:
    """``$MOODTUNE_DATA_DIR``, else ``$XDG_DATA_HOME/moodtune``, else ``~/.local/share/moodtune``:
    the user's catalog, the SQLite database, the cookie-signing key and the HTTPS certificate."""
    root = os.environ.get("MOODTUNE_DATA_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "moodtune"


class Settings(BaseSettings):
    """Every setting of moodtune. The field's ``description`` is the documentation."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path | None = Field(
        None,
        description="folder for the user's catalog, the SQLite database, the cookie key and the "
        "HTTPS certificate (default: $XDG_DATA_HOME/moodtune or ~/.local/share/moodtune)",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database, e.g. postgresql://user:pass@host/db "
        "(default: SQLite file moodtune.db in the data folder)",
    )
    secret_key: str | None = Field(
        None,
        description="key that signs the listener cookie; set the same value on every worker and host "
        "(default: a random key kept in the data folder, file secret_key)",
    )
    host: str = Field(
        "127.0.0.1", description="address `moodtune serve` listens on (0.0.0.0: every interface)"
    )
    port: int = Field(8000, ge=1, le=65535, description="port `moodtune serve` listens on")
    workers: int = Field(1, ge=1, le=64, description="server processes")
    catalog: Path | None = Field(
        None, description="song catalog file (default: your imported catalog, else the shipped one)"
    )
    model: Path | None = Field(None, description="emotion model .onnx (default: the shipped one)")
    detector: str = Field("auto", description="face detector: auto, blazeface, blazeface-full or haar")
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="largest image upload in bytes (413 above it)"
    )
    max_pixels: int = Field(
        25_000_000, ge=10_000, description="largest decoded image in pixels (413 above it)"
    )
    analyze_threads: int = Field(
        0, ge=0, le=64, description="analysis threads per process (0: one per CPU core)"
    )
    analyze_queue: int = Field(
        16,
        ge=0,
        le=10_000,
        description="analyses that may wait for a thread; beyond it the service answers 503 at once",
    )
    rate_limit: float = Field(
        20.0,
        ge=0,
        description="API requests per second per client, with bursts of twice that "
        "(0: no limit; counted per server process)",
    )
    trust_proxy: bool = Field(
        False,
        description="take the client address from X-Forwarded-For (only behind your own reverse proxy)",
    )
    cookie_secure: bool | None = Field(
        None, description="mark the listener cookie Secure (default: when the request came over HTTPS)"
    )
    log_level: str = Field("info", description="uvicorn log level: critical, error, warning, info, debug")

    @field_validator("detector")
    @classmethod
    def _detector(cls, value: str) -> str:
        allowed = ("auto", "blazeface", "blazeface-full", "haar")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        allowed = ("critical", "error", "warning", "info", "debug", "trace")
        if value.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value.lower()

    @cached_property
    def data_path(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_path / 'moodtune.db'}"

    @cached_property
    def threads(self) -> int:
        return self.analyze_threads or os.cpu_count() or 1

    def signing_key(self) -> str:
        """``secret_key``, else the key kept in the data folder (made on first use, mode 0600), so
        cookies survive a restart and every worker of one host signs alike."""
        if self.secret_key:
            return self.secret_key
        path = self.data_path / "secret_key"
        if path.is_file():
            key = path.read_text().strip()
            if key:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment with ``overrides`` on top; a bad value becomes one
    ``ConfigError`` naming the variable, what it must be, and what it was."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in e["loc"]).upper()
            problems.append(f"{name}: {e['msg']} (got {e.get('input')!r})")
        raise ConfigError("invalid setting: " + "; ".join(problems)) from None


def settings_table() -> list[dict[str, str]]:
    """One row per setting: ``variable``, ``default``, ``description``."""
    rows = []
    for name, info in Settings.model_fields.items():
        default = info.default
        rows.append(
            {
                "variable": ENV_PREFIX + name.upper(),
                "default": "" if default is None else str(default),
                "description": info.description or "",
            }
        )
    return rows


def settings_markdown() -> str:
    """docs/settings.md, generated (``moodtune settings --markdown > docs/settings.md``)."""
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable (generated from `src/moodtune/settings.py` by",
        "`moodtune settings --markdown`; `moodtune serve` options override the first few).",
        "",
        "| variable | default | what it does |",
        "|---|---|---|",
    ]
    for row in settings_table():
        default = f"`{row['default']}`" if row["default"] else ""
        lines.append(f"| `{row['variable']}` | {default} | {row['description']} |")
    return "\n".join(lines) + "\n"
