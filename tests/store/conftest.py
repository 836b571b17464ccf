"""The store tests' fixture: a migrated ``Store`` on each backend (``database_url``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moodtune.store import Store


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A Store on SQLite only: for the tables of malformed arguments, which the Store refuses before
    it touches the database, so a second backend would test nothing new (and cost a schema each)."""
    with Store(f"sqlite:///{tmp_path / 'moodtune.db'}") as s:
        yield s
