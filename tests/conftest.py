from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FERPLUS, make_ferplus_tree


@pytest.fixture
def ferplus_tree(tmp_path: Path) -> Path:
    return make_ferplus_tree(tmp_path / "ferplus")


@pytest.fixture
def real_ferplus() -> Path:
    if not (FERPLUS / "FER2013Test" / "label.csv").is_file():
        pytest.skip(f"FER+ data not found at {FERPLUS} (../shared/data beside the checkout)")
    return FERPLUS
