from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FERPLUS, make_ferplus_tree


@pytest.fixture(autouse=True)
def user_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty user data folder: nothing a developer imported leaks in, and
    nothing a test imports lands in the developer's home (subprocesses inherit it too)."""
    path = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(path))
    return path


@pytest.fixture
def ferplus_tree(tmp_path: Path) -> Path:
    return make_ferplus_tree(tmp_path / "ferplus")


@pytest.fixture
def real_ferplus() -> Path:
    if not (FERPLUS / "FER2013Test" / "label.csv").is_file():
        pytest.skip(f"FER+ data not found at {FERPLUS} (../shared/data beside the checkout)")
    return FERPLUS
