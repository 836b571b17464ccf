"""Fixtures of the YouTube tests: the fake world built from the shipped catalog, the fake Google
server on 127.0.0.1 (one per session, reset before each test), and stores, settings and clients
pointed at it. Nothing here reaches the internet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from moodtune.music.catalog import Catalog
from moodtune.settings import Settings
from moodtune.store import Store
from moodtune.youtube.api import Retry, YouTubeClient
from moodtune.youtube.quota import Quota
from moodtune.youtube.service import YouTube
from tests.youtube.fake import API_KEY, CLIENT_ID, CLIENT_SECRET, FakeGoogle, serve
from tests.youtube.world import World, build_world

TOKEN_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def world(catalog: Catalog) -> World:
    return build_world(catalog)


@pytest.fixture(scope="session")
def google_server(world: World) -> Iterator[FakeGoogle]:
    with serve(world) as fake:
        yield fake


@pytest.fixture
def google(google_server: FakeGoogle) -> FakeGoogle:
    """The fake, with a fresh quota, no tokens, no failures queued."""
    google_server.reset()
    return google_server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'moodtune.db'}") as s:
        yield s


def fake_settings(
    google: FakeGoogle, tmp_path: Path, database_url: str | None = None, **changes: object
) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": database_url or f"sqlite:///{tmp_path / 'moodtune.db'}",
        "secret_key": "test-key",
        "rate_limit": 0,
        "analyze_threads": 1,
        "youtube_api_key": API_KEY,
        "youtube_api_base": google.api_base,
        "google_client_id": CLIENT_ID,
        "google_client_secret": CLIENT_SECRET,
        "google_auth_url": google.auth_url,
        "google_token_url": google.token_url,
        "google_revoke_url": google.revoke_url,
        "token_key": TOKEN_KEY,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(google: FakeGoogle, tmp_path: Path) -> Settings:
    return fake_settings(google, tmp_path)


@pytest.fixture
def youtube(settings: Settings, store: Store) -> Iterator[YouTube]:
    yt = YouTube(settings, store)
    yield yt
    yt.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(google: FakeGoogle, store: Store, sleeps: list[float]) -> Iterator[YouTubeClient]:
    """A Data API client on the fake whose backoff only records how long it would have slept."""
    c = YouTubeClient(
        API_KEY,
        quota=Quota(10_000, store),
        base=google.api_base,
        retry=Retry(tries=4, base=0.5, cap=8.0),
        sleep=sleeps.append,
        rng=lambda: 1.0,
    )
    yield c
    c.close()
