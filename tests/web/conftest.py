"""One app per backend for the API tests (building it loads the catalog and the models, a few
seconds), and a fresh client - a fresh listener - per test."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.samples import sample_path
from moodtune.settings import Settings
from moodtune.web.app import create_app
from tests.conftest import BACKENDS, postgres_schema


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One empty database per test module and backend (the app is built once per module)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'moodtune.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def app(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("web-data")
    settings = Settings(
        data_dir=data,
        database_url=module_database_url,
        analyze_threads=1,
        rate_limit=0,
        secret_key="test-key",
    )
    application = create_app(settings)
    with TestClient(application):  # runs the lifespan (and its shutdown at the end)
        yield application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A new listener (no cookie yet). Not entered as a context manager: the app's lifespan is the
    module fixture's, not each test's."""
    c = TestClient(app)
    yield c
    c.close()


def png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="session")
def smiling_crop() -> bytes:
    """The shipped astronaut crop (public domain): a smiling face filling the image."""
    return Path(sample_path("astronaut")).read_bytes()


@pytest.fixture(scope="session")
def noise_jpeg() -> bytes:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
