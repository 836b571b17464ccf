"""Keys shared by every process and host of one service: the first writer wins, everyone reads it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from moodtune.store import Store
from moodtune.store.keys import shared_key


def test_the_first_process_writes_the_key_and_every_later_one_reads_it(database_url: str) -> None:
    with Store(database_url) as first, Store(database_url) as second:
        assert shared_key(first, "cookie", seed="from-host-a") == "from-host-a"
        assert shared_key(second, "cookie", seed="from-host-b") == "from-host-a"
        assert shared_key(second, "cookie") == "from-host-a"
        assert shared_key(second, "other") not in ("", "from-host-a")  # random, and per name


def test_processes_starting_at_once_agree_on_one_key(database_url: str) -> None:
    stores = [Store(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            keys = list(pool.map(lambda s: shared_key(s, "cookie"), stores))
    finally:
        for store in stores:
            store.close()
    assert len(set(keys)) == 1 and len(keys[0]) >= 32
