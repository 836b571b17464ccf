"""Connecting: which URLs the store accepts, the SQLite settings every connection gets, and the
StoreError a user sees for a URL that cannot work or a server that cannot be reached."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from moodtune.errors import MoodtuneError, StoreError
from moodtune.store import Store, make_engine, mask_url
from moodtune.store.db import BUSY_TIMEOUT_MS


def test_store_error_is_a_503_with_the_code_database_error() -> None:
    error = StoreError("down")
    assert isinstance(error, MoodtuneError)
    assert (error.status, error.code) == (503, "database_error")
    assert error.to_dict() == {"code": "database_error", "message": "down"}


def test_a_sqlite_database_gets_its_folder_and_the_pragmas_a_threaded_service_needs(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as connection:

            def pragma(name: str) -> object:
                return connection.execute(text(f"PRAGMA {name}")).scalar()

            assert pragma("journal_mode") == "wal"  # readers do not block the writer
            assert pragma("busy_timeout") == BUSY_TIMEOUT_MS >= 10_000  # waits for another process's write
            assert pragma("foreign_keys") == 1  # ON DELETE CASCADE works
            assert pragma("synchronous") == 1  # NORMAL
    finally:
        engine.dispose()


def test_a_connection_to_a_new_database_waits_while_another_process_holds_its_write_lock(
    tmp_path: Path,
) -> None:
    # Another process migrating a new database holds the write lock; switching the file to WAL
    # needs the exclusive lock, and SQLite refuses that at once instead of waiting.
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE t (x INTEGER)")
    release = threading.Timer(0.3, holder.execute, ("COMMIT",))
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        release.join()
        holder.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@db.example/moodtune", "postgresql+psycopg"),  # plain: the psycopg 3 driver
        ("postgresql+psycopg://u:p@db.example/moodtune", "postgresql+psycopg"),  # already explicit
        ("postgres://u:p@db.example/moodtune", "postgresql+psycopg"),  # as hosting providers write it
        ("sqlite:///data/moodtune.db", "sqlite+pysqlite"),  # relative path
    ],
)
def test_accepted_urls_get_the_driver_the_store_uses(
    url: str, driver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)  # connects lazily: no server needed to check the URL
    try:
        assert engine.url.drivername == driver
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("", "is empty"),  # nothing set
        ("not a url", "is not a database URL"),  # no scheme
        ("postgresql://u:secret@db.example:notaport/moodtune", "is not a database URL"),  # a port in words
        ("mysql://u:secret@db.example/moodtune", "uses 'mysql'"),  # a backend the store does not support
        ("postgresql+psycopg2://u:secret@db.example/moodtune", "through psycopg 3"),  # a driver not installed
        ("postgresql://u:secret@db.example", "names no database"),  # no /dbname
        ("sqlite://", "names no database file"),  # in memory: each thread would see its own
        ("sqlite:///:memory:", "names no database file"),  # the same, spelled out
    ],
)
def test_a_url_that_cannot_work_is_a_store_error_that_says_what_to_do(url: str, match: str) -> None:
    with pytest.raises(StoreError, match=match) as caught:
        Store(url)
    message = caught.value.message
    assert "MOODTUNE_DATABASE_URL" in message
    assert "secret" not in message


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_an_unreachable_server_is_a_store_error_naming_it_without_the_password() -> None:
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        Store(f"postgresql://moodtune:hunter2@127.0.0.1:{port}/moodtune")
    message = caught.value.message
    assert f"postgresql+psycopg://moodtune:***@127.0.0.1:{port}/moodtune" in message
    assert "hunter2" not in message
    assert "refused" in message.lower()  # the driver's reason
    assert "MOODTUNE_DATABASE_URL" in message  # and the way out
    assert time.monotonic() - started < 10


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "photo.db"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4096))
    with pytest.raises(StoreError, match="not a database"):
        Store(f"sqlite:///{path}")


def test_a_folder_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StoreError, match="cannot create the folder"):
        make_engine(f"sqlite:///{blocker / 'moodtune.db'}")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://u:secret@h/db", "postgresql://u:***@h/db"),  # parsed
        ("postgresql://u:secret@h:port/db", "postgresql://u:***@h:port/db"),  # unparseable, masked anyway
        ("sqlite:///x.db", "sqlite:///x.db"),  # nothing to mask
    ],
)
def test_mask_url_hides_passwords(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_ping_and_queries_raise_a_store_error_once_the_database_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "volume"
    store = Store(f"sqlite:///{folder / 'moodtune.db'}")
    try:
        store.ping()
        store.close()  # no pooled connection left: the next call opens the file again
        shutil.rmtree(folder)  # the volume was unmounted
        with pytest.raises(StoreError, match="cannot use the database at sqlite"):
            store.ping()
        with pytest.raises(StoreError, match="unable to open database file"):
            store.counts()
    finally:
        store.close()


def test_a_pool_with_every_connection_in_use_is_busy_not_a_database_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moodtune.errors import RetryLater, StoreBusy
    from moodtune.store import db

    monkeypatch.setattr(db, "POOL_TIMEOUT_S", 0.2)
    with Store(database_url) as store:
        pool = store.engine.pool
        held = []
        try:
            while True:  # check out every connection the pool may open
                held.append(store.engine.connect())
                if len(held) >= pool.size() + pool._max_overflow:  # type: ignore[attr-defined]
                    break
            with pytest.raises(StoreBusy) as info:
                store.ping()
        finally:
            for connection in held:
                connection.close()
        assert isinstance(info.value, RetryLater) and info.value.status == 503
        assert info.value.code == "busy" and "retry" in info.value.message
        store.ping()  # connections back: fine again
