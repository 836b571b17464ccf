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

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from moodtune.errors import ConfigError
from moodtune.paths import default_data_dir

ENV_PREFIX = "MOODTUNE_"


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
    secret_key: SecretStr | None = Field(
        None,
        description="key that signs the listener cookie (default: a random key kept in the database, "
        "the same for every worker and host that uses it; the first to start seeds it with its data "
        "folder's secret_key file)",
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
    flip_average: bool = Field(
        False,
        description="read each face and its mirror image and average them: a little more accurate, "
        "twice the emotion model's time",
    )
    detector: str = Field("auto", description="face detector: auto, blazeface, blazeface-full or haar")
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="largest image upload in bytes (413 above it)"
    )
    max_json_bytes: int = Field(
        256 * 1024,
        ge=1024,
        description="largest JSON request body in bytes (413 above it, before it is read)",
    )
    max_header_bytes: int = Field(
        32 * 1024, ge=4096, description="largest total size of a request's headers, cookies included (431)"
    )
    max_body_memory: int = Field(
        128 * 1024 * 1024,
        ge=1024 * 1024,
        description="bytes of request bodies a server process may hold at once while they arrive; a "
        "request that would pass it gets 503 (many slow uploads cannot exhaust memory)",
    )
    body_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="seconds a request body may take to arrive in full (408 after it): a client that "
        "stops sending does not hold memory and a connection for long",
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
    log_format: str = Field(
        "text",
        description="log lines: text (uvicorn's) or json (one JSON object a line with the request id, "
        "and an access line per request)",
    )
    public_origin: str | None = Field(
        None,
        description="the origin listeners reach the service at, e.g. https://moodtune.example.com; "
        "Google's OAuth redirect goes to {origin}/api/v1/youtube/oauth/callback (default: the request's)",
    )
    # --- YouTube (moodtune.youtube) ---
    video_report_quorum: int = Field(
        3,
        ge=1,
        le=1000,
        description="distinct client addresses whose reports that a video will not play mark it "
        "unplayable for everyone (each reporter stops getting it at once; a Data API check can mark it "
        "sooner)",
    )
    youtube_api_key: SecretStr | None = Field(
        None,
        description="YouTube Data API v3 key: `moodtune youtube resolve` and the web service's search "
        "for a replacement video (without it: catalog videos, Spotify and search links only)",
    )
    youtube_api_base: str = Field(
        "https://www.googleapis.com/youtube/v3", description="base URL of the YouTube Data API"
    )
    youtube_daily_quota: int = Field(
        10_000, ge=0, description="the project's daily Data API quota in units (Google's default: 10,000)"
    )
    youtube_live_quota: int = Field(
        2_000,
        ge=0,
        description="units of the daily quota the web service may spend searching a replacement when a "
        "video will not play (a search costs 100; 0: never search live)",
    )
    youtube_live_timeout: float = Field(
        3.0,
        ge=0,
        le=30,
        description="seconds each request of a live search may take before the page gets a similar song "
        "instead (0: never search live)",
    )
    youtube_region: str | None = Field(
        None,
        description="ISO 3166-1 country code where listeners are (e.g. KR): videos blocked there are "
        "never chosen (default: region restrictions only lower a video's score)",
    )
    youtube_confirmed_days: float = Field(
        30.0, gt=0, description="days a confirmed video stays trusted before a re-check asks again"
    )
    youtube_no_match_days: float = Field(
        7.0,
        gt=0,
        description="days before a song whose search found no video is searched again; also how long "
        "a search whose candidates are not checked yet is kept",
    )
    youtube_unplayable_days: float = Field(
        7.0, gt=0, description="days before a video found unplayable is asked about again"
    )
    google_client_id: str | None = Field(
        None,
        description="OAuth client id (a 'Web application' client) for saving playlists to listeners' "
        "YouTube accounts",
    )
    google_client_secret: SecretStr | None = Field(None, description="that OAuth client's secret")
    google_auth_url: str = Field(
        "https://accounts.google.com/o/oauth2/v2/auth", description="Google's OAuth authorization endpoint"
    )
    google_token_url: str = Field(
        "https://oauth2.googleapis.com/token", description="Google's OAuth token endpoint"
    )
    google_revoke_url: str = Field(
        "https://oauth2.googleapis.com/revoke", description="Google's OAuth revocation endpoint"
    )
    token_key: SecretStr | None = Field(
        None,
        description="Fernet key(s) that encrypt listeners' YouTube tokens at rest, comma-separated (the "
        "first encrypts; older ones still decrypt); saving playlists is off without it",
    )

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

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("youtube_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if len(value) != 2 or not value.isalpha():
            raise ValueError("must be a two-letter ISO 3166-1 country code such as KR or US")
        return value.upper()

    @field_validator("public_origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.rstrip("/")
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise ValueError("must be an origin such as https://moodtune.example.com (no path)")
        return value

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
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
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
