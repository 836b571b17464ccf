"""The schema's history: migrations that match the models, run any number of times, by several
processes at once, and ship inside the package."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import moodtune
from moodtune.errors import StoreError
from moodtune.store import Store, make_engine
from moodtune.store.db import alembic_config, head_revision, schema_revision
from moodtune.store.models import Base
from tests.store.builders import EMPTY, sql

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "alembic_version",
    "listeners",
    "feedback",
    "taste_weights",
    "readings",
    "retired_listeners",
    "video_marks",
    "video_reports",
    "youtube_videos",
    "youtube_resolutions",
    "youtube_quota",
    "youtube_tokens",
    "service_keys",
}


def test_the_migrations_create_exactly_what_the_models_declare(store: Store) -> None:
    # What `alembic revision --autogenerate` would write if the models and migrations disagreed.
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], f"the models and the migrations differ: {differences}"
    assert set(inspect(store.engine).get_table_names()) == TABLES


def test_migrating_again_changes_nothing_and_keeps_the_data(database_url: str) -> None:
    with Store(database_url) as first:
        first.add_feedback("a", "s_1", "like", at=1.0)
        assert schema_revision(first.engine) == head_revision() == "0006"
    for _ in range(2):
        with Store(database_url) as again:
            assert again.feedback("a")[0].song_id == "s_1"
            assert schema_revision(again.engine) == head_revision()


def test_downgrade_removes_every_table_and_upgrade_restores_them(store: Store, database_url: str) -> None:
    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    with Store(database_url) as again:
        assert set(inspect(again.engine).get_table_names()) == TABLES


def test_a_store_that_may_not_migrate_refuses_a_database_not_up_to_date(database_url: str) -> None:
    with pytest.raises(StoreError, match=r"revision none \(never migrated\), but this moodtune needs 0006"):
        Store(database_url, migrate=False)
    Store(database_url).close()
    with Store(database_url, migrate=False) as store:  # now it is
        assert store.counts()["listeners"] == 0


def test_a_database_migrated_by_a_newer_moodtune_is_a_store_error(store: Store, database_url: str) -> None:
    sql(store, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="upgrade moodtune"):
        Store(database_url)


# Each process imports, says it is ready, waits for the go, then opens the store (which migrates) and
# writes; the parent gives the go once all are ready, so the migrations overlap.
_MIGRATE_AND_WRITE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from moodtune.store import Store
    url, folder, n = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    (folder / f"ready-{n}").touch()
    while not (folder / "go").exists():
        time.sleep(0.005)
    with Store(url) as store:
        store.add_feedback(f"listener-{n}", "s_1", "like")
    """
)


@pytest.mark.slow
def test_several_processes_starting_at_once_all_migrate_and_write(database_url: str, tmp_path: Path) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE_AND_WRITE, database_url, str(tmp_path), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(processes) and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for p in processes:
        _, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == (head_revision(),)
    finally:
        engine.dispose()
    with Store(database_url) as store:
        assert store.counts() == {**EMPTY, "listeners": 3, "feedback": 3, "taste_weights": 3}


def test_the_files_migrations_need_at_run_time_are_package_data() -> None:
    package = Path(moodtune.__file__).parent
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "moodtune"
    ]
    needed = [
        package / "store" / "alembic.ini",
        package / "store" / "migrations" / "env.py",
        *sorted((package / "store" / "migrations" / "versions").glob("*.py")),
    ]
    assert len(needed) >= 3
    for path in needed:
        relative = path.relative_to(package).as_posix()
        # setuptools globs: '*' does not cross '/'
        assert any(fnmatch.fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns), (
            f"{relative} is not in [tool.setuptools.package-data] of pyproject.toml: a wheel would lack it"
        )
