"""No image byte reaches the database or the disk: an upload lives in the request's memory only."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from moodtune.samples import sample_path


@pytest.fixture(scope="module")
def big_photo() -> bytes:
    """A face crop pasted on noise, ~3 MB as PNG: over Starlette's 1 MB spool-to-disk threshold."""
    rng = np.random.default_rng(7)
    canvas = rng.integers(0, 255, (1100, 1100, 3), dtype=np.uint8)
    face = cv2.imread(str(sample_path("astronaut")))
    canvas[100:580, 100:580] = cv2.resize(face, (480, 480))
    ok, buf = cv2.imencode(".png", canvas)
    assert ok
    data = buf.tobytes()
    assert len(data) > 2_000_000
    return data


def _files(*roots: Path) -> dict[Path, tuple[float, int]]:
    out = {}
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                p = Path(dirpath) / name
                try:
                    st = p.stat()
                except OSError:
                    continue
                out[p] = (st.st_mtime, st.st_size)
    return out


def _markers(data: bytes) -> list[bytes]:
    chunk = data[len(data) // 2 : len(data) // 2 + 48]
    return [chunk, chunk.hex().encode(), base64.b64encode(chunk)[:40]]


@pytest.mark.parametrize("form", ["raw", "multipart"])
def test_an_upload_leaves_no_trace_on_disk_or_in_the_database(
    client: TestClient, app: FastAPI, big_photo: bytes, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = app.state.services
    roots = [services.settings.data_path, Path(tempfile.gettempdir())]
    before = _files(*roots)

    def no_temp_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary file was opened while handling an upload")

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, no_temp_files)
    client.patch("/api/v1/me", json={"history_enabled": True})  # even with history on
    if form == "raw":
        r = client.post("/api/v1/analyze", content=big_photo, headers={"content-type": "image/png"})
    else:
        r = client.post("/api/v1/analyze", files={"image": ("me.png", big_photo, "image/png")})
    assert r.status_code == 200, r.text
    assert r.json()["faces"], "the pasted face should be found"
    monkeypatch.undo()

    markers = _markers(big_photo)
    changed = [p for p, sig in _files(*roots).items() if before.get(p) != sig]
    for path in changed:
        try:
            content = path.read_bytes()
        except OSError:
            continue
        assert not any(m in content for m in markers), f"image bytes found in {path}"
    with services.store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                dumped = repr(tuple(row)).encode()
                assert not any(m in dumped for m in markers), f"image bytes found in table {table}"
